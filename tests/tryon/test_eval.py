"""`vitrine eval tryon` on a small shop: cases, both methods and the report, with no pixel
changed outside any mask."""

import json

from vitrine.cli import main


def test_the_report_scores_the_model_and_the_baselines(tryon_shop, tmp_path):
    data, model = tryon_shop
    assert main(["--data-dir", str(data), "-q", "eval", "tryon", "-n", "12", "--steps", "2", "--compare-steps", "1",
                 "--tryon-model", str(model), "--evaluator", str(tmp_path / "evaluator"), "--evaluator-epochs", "1",
                 "--out", str(tmp_path / "report")]) == 0
    report = json.loads((tmp_path / "report" / "tryon.json").read_text())
    assert 1 <= report["n"] <= 12 and len(report["rows"]) == 5
    assert 0 <= report["item_prompt_differs"] <= report["n"]
    assert all(row["changed_outside_mask"] == 0 for row in report["rows"].values())
    assert report["checks"]["no pixel changed outside the mask"]
    assert 0 < report["rows"]["try-on model"]["ssim"] <= 1 and report["speed"]["seconds_per_picture"] > 0
    assert (tmp_path / "report" / "tryon.png").is_file() and "CatVTON" in (tmp_path / "report" / "tryon.md").read_text()
    assert (tmp_path / "evaluator" / "evaluator.safetensors").is_file()
    assert report["command"].startswith(f"vitrine --data-dir {data} -q eval tryon -n 12 --steps 2")  # as typed


def test_too_many_people_is_one_clear_line(tryon_shop, tmp_path, capsys):
    data, model = tryon_shop
    assert main(["--data-dir", str(data), "-q", "eval", "tryon", "-n", "31", "--tryon-model", str(model),
                 "--out", str(tmp_path)]) == 2
    assert "score at most half" in capsys.readouterr().err
