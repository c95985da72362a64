"""`vitrine train` on an imported shop: its own photos of any mode, its own prompts, a held-out set
recorded with the model, unusable photos counted, too few photos one clear line."""

import json

from vitrine.cli import main


def test_a_shop_trains_on_its_own_photos_and_keeps_its_held_out_items_out(imported_shop, tmp_path, capsys):
    store, data = imported_shop(60)
    damaged = store.images.resolve(dict(store.main_photos())["fm-00010"])
    damaged.write_bytes(damaged.read_bytes()[:40])  # a photo broken after the import
    run = tmp_path / "run"
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "2", "--checkpoint-every", "1",
                 "--out", str(run)]) == 0
    assert "skipped 1 photos that cannot be used: 1 unreadable" in capsys.readouterr().err
    held = json.loads((run / "pipeline" / "heldout.json").read_text())
    assert held["source"] == "generic" and held["held_out_items"] == len(held["held_out"]) >= 1
    assert held["train_items"] + held["held_out_items"] == 60
    new_items = {r.id for r in store.item_rows(("id", "is_new")) if r.is_new}
    assert new_items <= set(held["held_out"])
    from vitrine.diffusion.pipeline import load_pipeline
    assert load_pipeline(run / "pipeline").unet.config.sample_size == 32


def test_too_few_photos_and_a_bad_size_are_one_clear_line(imported_shop, tmp_path, capsys):
    store, data = imported_shop(30)
    run = tmp_path / "run"
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--steps", "1", "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "at least 200 are needed" in err
    assert not (run / "heldout.json").exists() and not (run / "checkpoint.safetensors").exists()
    assert main(["--data-dir", str(data), "-q", "train", "--size", "48", "--out", str(run)]) == 2
    assert "--size" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "-q", "train", "--resume", "--out", str(tmp_path / "nothing")]) == 2
    assert "no checkpoint" in capsys.readouterr().err and not (tmp_path / "nothing").exists()


def test_a_model_starts_from_a_trained_one_at_another_size_and_a_wrong_start_is_named(imported_shop, tmp_path, capsys):
    store, data = imported_shop(60)
    train = ["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "1"]
    first = tmp_path / "first"
    assert main(train + ["--out", str(first)]) == 0
    bigger = tmp_path / "bigger"
    assert main(train + ["--size", "64", "--autoencoder", "none", "--init-from", str(first / "pipeline"),
                         "--out", str(bigger)]) == 0
    from vitrine.diffusion.pipeline import load_pipeline
    assert load_pipeline(bigger / "pipeline").unet.config.sample_size == 64
    capsys.readouterr()
    for start, words in ((tmp_path, "not a saved model folder"), (tmp_path / "nowhere", "no such checkpoint"),
                         (first / "loss.png", "not a training checkpoint")):
        assert main(train + ["--init-from", str(start), "--out", str(tmp_path / "bad")]) == 2
        assert words in capsys.readouterr().err
    assert main(train + ["--unet", "mini", "--init-from", str(first / "pipeline"), "--out", str(tmp_path / "bad")]) == 2
    assert "do not fit" in capsys.readouterr().err
