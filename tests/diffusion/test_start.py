"""Where a training run starts without --init-from: the shipped model on an imported shop when it
fits the run, random weights otherwise; `--init-from none` always random weights."""

import json
from dataclasses import replace

import pytest

from vitrine.cli import main
from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
from vitrine.diffusion.start import default_start
from vitrine.paths import SHIPPED_PIPELINE, default_path

QUICK = TrainConfig.from_dict(TRAIN_PRESETS["quick"])


def test_the_shipped_model_starts_a_run_it_fits_on_an_imported_shop():
    assert default_start(QUICK, built_catalog=False)[0] == default_path(SHIPPED_PIPELINE)
    assert default_start(QUICK, built_catalog=True) == ("", "random weights (the shipped model learnt this "
                                                            "catalog; --init-from MODEL fine-tunes)")


@pytest.mark.parametrize("change,named", [({"preset": "tiny"}, "preset"), ({"size": 64}, "size"),
                                          ({"prediction": "epsilon"}, "prediction"),
                                          ({"autoencoder": "runs/ae"}, "pixel space")])
def test_a_run_the_shipped_model_does_not_fit_starts_from_random_weights(change, named):
    init_from, why = default_start(replace(QUICK, **change), built_catalog=False)
    assert init_from == "" and why.startswith("random weights (the shipped model differs in") and named in why


def test_no_shipped_model_or_another_task_means_random_weights(tmp_path):
    assert default_start(QUICK, False, shipped=str(tmp_path))[0] == ""
    assert default_start(replace(QUICK, task="tryon"), False)[0] == ""


def test_train_says_where_it_starts_and_none_means_random_weights(imported_shop, tmp_path, capsys):
    _, data = imported_shop(60)
    train = ["--data-dir", str(data), "-q", "train", "--preset", "quick", "--steps", "1", "--batch-size", "4",
             "--min-photos", "20", "--no-install"]
    assert main(train + ["--out", str(tmp_path / "tuned")]) == 0
    assert "starting from the shipped model" in capsys.readouterr().out
    assert json.loads((tmp_path / "tuned" / "config.json").read_text())["init_from"] == default_path(SHIPPED_PIPELINE)
    assert main(train + ["--init-from", "none", "--out", str(tmp_path / "scratch")]) == 0
    assert "starting from" not in capsys.readouterr().out
    assert json.loads((tmp_path / "scratch" / "config.json").read_text())["init_from"] == ""
