"""`vitrine evaluator train` and `vitrine eval generation` end to end on the tiny preset."""

import json

import pytest

from vitrine.cli import main
from vitrine.evaluate.generation import Setting, parse_settings


def test_evaluator_then_generation_report_on_tiny_models(tmp_path, fmnist_dir, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    assert main(data + ["evaluator", "train", "--epochs", "1", "--width", "8", "--min-photos", "1", "--out", str(tmp_path / "ev")]) == 0
    assert "held-out accuracy" in capsys.readouterr().out
    run = tmp_path / "run"
    assert main(data + ["train", "--preset", "tiny", "--min-photos", "1", "--steps", "2", "--out", str(run)]) == 0
    report = tmp_path / "report"
    models = ["--model", str(run / "pipeline"), "--evaluator", str(tmp_path / "ev")]
    small = ["--prompts", "4", "--samples", "3", "--subset-prompts", "2"]
    assert main(data + ["eval", "generation", *models, *small, "--out", str(report),
                        "--settings", "dpm++sde:2:1,dpm++sde:2:3,dpm++:3:3,ddpm:4:3:subset"]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert [r["setting"] for r in metrics["rows"]] == ["dpm++sde-2@1", "dpm++sde-2@3", "dpm++-3@3", "ddpm-4@3"]
    assert metrics["rows"][-1]["images"] == 2 * 3 and metrics["rows"][0]["images"] == 4 * 3
    assert set(metrics["rows"][0]["accuracy"]) == {"category", "colour", "pattern"}
    assert metrics["chosen"] in ("dpm++sde-2@1", "dpm++sde-2@3")  # the default sampler's guidance sweep
    assert (report / "quality.png").exists() and (report / "report.md").read_text().startswith("# Generation report")
    assert main(data + ["eval", "generation", *models, "--settings", "dpm++:x"]) == 2

    # --add: new settings join the table, a repeated one replaces its row
    assert main(data + ["eval", "generation", *models, *small, "--out", str(report), "--add",
                        "--settings", "ddim:2:3,dpm++:3:3,dpm++sde:2:3:from=0.6"]) == 0
    added = json.loads((report / "metrics.json").read_text())
    assert [r["setting"] for r in added["rows"]] == ["dpm++sde-2@1", "dpm++sde-2@3", "ddpm-4@3",
                                                      "ddim-2@3", "dpm++-3@3", "dpm++sde-2@3 (guided t/T ≥ 0.6)"]
    assert added["rows"][-1]["guidance_from"] == 0.6 and added["chosen"] == metrics["chosen"]
    # guiding only the first of 2 steps changes the images: its FID is not the fully guided row's
    assert added["rows"][-1]["fid"] != added["rows"][1]["fid"]
    assert added["rows"][:3] == [metrics["rows"][i] for i in (0, 1, 3)] and added["grids"] == metrics["grids"]
    # rows made with other samples would not be comparable: refused before sampling, report untouched
    before = (report / "metrics.json").read_bytes()
    assert main(data + ["eval", "generation", *models, "--prompts", "4", "--samples", "2", "--subset-prompts", "2",
                        "--out", str(report), "--add", "--settings", "ddim:2:3"]) == 2
    assert "samples_per_prompt" in capsys.readouterr().err
    assert (report / "metrics.json").read_bytes() == before
    assert main(data + ["eval", "generation", *models, *small, "--out", str(tmp_path / "none"), "--add",
                        "--settings", "ddim:2:3"]) == 2


def test_settings_parse_with_subset_and_guidance_interval():
    assert parse_settings("dpm++:20:3, ddpm:1000:3:subset,dpm++sde:20:3:from=0.4") == (
        Setting("dpm++", 20, 3.0), Setting("ddpm", 1000, 3.0, subset=True), Setting("dpm++sde", 20, 3.0, guidance_from=0.4))
    assert Setting("dpm++sde", 20, 3.0, guidance_from=0.4).name == "dpm++sde-20@3 (guided t/T ≥ 0.4)"
    for bad in ("dpm++:20", "dpm++:x:3", "dpm++:20:3:all", "dpm++:20:3:from=1.5", "dpm++:20:3:from=a",
                "dpm++:20:3:from=0.1:from=0.2"):
        with pytest.raises(ValueError, match="want sampler:steps:guidance"):
            parse_settings(bad)
