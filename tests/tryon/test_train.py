"""`vitrine train --preset tryon-quick`: a stopped and resumed run reproduces an unbroken one's
losses (the masks are drawn from the checkpointed generator too); the recipes other than `tiny`
are accepted (--preset no longer collides with --unet); no people set is one clear line."""

import json

from safetensors import safe_open

from vitrine.cli import main


def _losses(folder):
    with safe_open(str(folder / "checkpoint.safetensors"), "pt") as f:
        return json.loads(f.metadata()["info"])["losses"]


def test_a_resumed_tryon_run_reproduces_an_unbroken_one(tryon_shop, tmp_path):
    data, _ = tryon_shop
    base = ["--data-dir", str(data), "-q", "train", "--preset", "tryon-quick", "--steps", "4", "--batch-size", "4"]
    assert main(base + ["--out", str(tmp_path / "whole")]) == 0
    assert main(base + ["--out", str(tmp_path / "split"), "--until", "2"]) == 0
    assert main(base + ["--out", str(tmp_path / "split"), "--resume"]) == 0
    whole, split = _losses(tmp_path / "whole"), _losses(tmp_path / "split")
    assert len(whole) == 4 and whole == split
    assert (tmp_path / "whole" / "pipeline" / "model_index.json").is_file()


def test_the_quick_recipe_is_accepted(tryon_shop, tmp_path):
    data, _ = tryon_shop
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "quick", "--steps", "1", "--limit", "8",
                 "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "config.json").read_text())["preset"] == "mini"


def test_tryon_training_needs_a_people_set(shop, tmp_path, capsys):
    assert main(["--data-dir", str(shop.data_dir), "-q", "train", "--preset", "tryon-quick", "--out",
                 str(tmp_path)]) == 2
    assert "no people set" in capsys.readouterr().err
