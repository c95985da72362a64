"""`vitrine evaluator train` and `vitrine eval generation` end to end on the tiny preset."""

import json

from vitrine.cli import main


def test_evaluator_then_generation_report_on_tiny_models(tmp_path, fmnist_dir, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    assert main(data + ["evaluator", "train", "--epochs", "1", "--width", "8", "--out", str(tmp_path / "ev")]) == 0
    assert "held-out accuracy" in capsys.readouterr().out
    run = tmp_path / "run"
    assert main(data + ["train", "--preset", "tiny", "--steps", "2", "--out", str(run)]) == 0
    report = tmp_path / "report"
    assert main(data + ["eval", "generation", "--model", str(run / "pipeline"), "--evaluator", str(tmp_path / "ev"),
                        "--prompts", "4", "--samples", "3", "--subset-prompts", "2",
                        "--settings", "dpm++:2:1,dpm++:2:3,dpm++:3:3,ddpm:4:3:subset", "--out", str(report)]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert [r["setting"] for r in metrics["rows"]] == ["dpm++-2@1", "dpm++-2@3", "dpm++-3@3", "ddpm-4@3"]
    assert metrics["rows"][-1]["images"] == 2 * 3 and metrics["rows"][0]["images"] == 4 * 3
    assert set(metrics["rows"][0]["accuracy"]) == {"category", "colour", "pattern"}
    assert metrics["chosen"] in ("dpm++-2@1", "dpm++-2@3")  # picked from the guidance sweep
    assert (report / "quality.png").exists() and (report / "report.md").read_text().startswith("# Generation report")
    assert main(data + ["eval", "generation", "--model", str(run / "pipeline"), "--evaluator", str(tmp_path / "ev"),
                        "--settings", "dpm++:x"]) == 2
