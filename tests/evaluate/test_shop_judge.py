"""A shop's own generator and judge, end to end: `vitrine train` installs the finished model in
DATA_DIR/models/generator with a card, `vitrine evaluator train` learns the shop's label columns,
and `vitrine eval generation`, `generate` and the service use the shop's models by default."""

import json

import numpy as np
import pytest

from vitrine.cli import main
from vitrine.evaluate.data import NoLabels, label_classes
from vitrine.evaluate.evaluator import BUILT_CLASSES, load_evaluator


def test_an_imported_shop_trains_judges_and_draws_with_its_own_models(imported_shop, tmp_path, capsys):
    store, data = imported_shop(150)
    shop = ["--data-dir", str(data), "-q"]
    assert main(shop + ["train", "--preset", "tiny", "--min-photos", "20", "--steps", "2", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    generator = data / "models" / "generator"
    assert "this shop's generator is now" in out and (generator / "model_index.json").is_file()
    card = (generator / "README.md").read_text()
    assert "Source: generic" in card and "| held out |" in card and "--preset tiny" in card
    held = json.loads((generator / "heldout.json").read_text())

    assert main(shop + ["generate", "a grey top", "-n", "1", "--steps", "2", "-o", str(tmp_path / "g.png")]) == 0
    assert "the shop's own model" in capsys.readouterr().out

    assert main(shop + ["evaluator", "train", "--epochs", "1", "--width", "8", "--min-photos", "20"]) == 0
    assert "held-out accuracy on" in capsys.readouterr().out
    evaluator = load_evaluator(data / "models" / "evaluator")
    assert set(evaluator.classes) == {"category", "colour", "pattern"}
    assert set(evaluator.classes["category"]) <= set(BUILT_CLASSES["category"])

    report = tmp_path / "report"
    assert main(shop + ["eval", "generation", "--prompts", "5", "--samples", "2", "--subset-prompts", "2",
                        "--settings", "dpm++sde:2:3", "--out", str(report)]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["prompt_set"] == "shop" and metrics["model"] == str(generator)
    held_prompts = {p["text"] for p in metrics["prompts"]}
    assert len(held_prompts) == 5 and set(metrics["rows"][0]["accuracy"]) <= {"category", "colour", "pattern"}
    assert "held-out items' own prompts" in (report / "report.md").read_text()
    assert len(held["held_out"]) >= 5
    # the fixed prompt set is the built catalog's: refused on a shop, in one line
    capsys.readouterr()
    assert main(shop + ["eval", "generation", "--prompt-set", "fixed", "--out", str(tmp_path / "r2")]) == 2
    assert "not a built catalog" in capsys.readouterr().err

    from fastapi.testclient import TestClient

    from vitrine.app.settings import Settings
    from vitrine.service.app import create_app
    settings = Settings(data, token="t" * 16, job_workers=0)
    assert settings.model == generator and settings.evaluator == data / "models" / "evaluator"
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["generator"] == "shop"


def test_a_run_kept_out_and_an_unfinished_run_leave_the_shipped_model_in_place(imported_shop, tmp_path, capsys):
    store, data = imported_shop(40)
    train = ["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "2"]
    assert main(train + ["--no-install", "--out", str(tmp_path / "a")]) == 0
    assert main(train + ["--until", "1", "--export", str(tmp_path / "b-model"), "--out", str(tmp_path / "b")]) == 0
    assert not (data / "models" / "generator").exists()
    assert (tmp_path / "b-model" / "README.md").is_file()  # an exported model still has its card
    from vitrine.app.settings import Settings
    assert Settings(data).model.name == "vitrine-fashion-32"


def test_label_columns_follow_what_the_shop_fills_in():
    values = {"category": ["mug", "lamp", "mug", None], "colour": ["red", None, None, None],
              "pattern": ["solid", "striped", "solid", "dotted"]}
    classes = label_classes(values)
    assert classes == {"category": ("lamp", "mug"), "pattern": tuple(BUILT_CLASSES["pattern"])}  # colour: 1 in 4
    with pytest.raises(NoLabels):
        label_classes({"category": [None, ""], "colour": ["red", "blue"], "pattern": []})
    assert np.all([c in BUILT_CLASSES["category"] for c in label_classes({"category": ["bag", "coat"], "colour": [],
                                                                          "pattern": []})["category"]])
