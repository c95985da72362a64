"""`vitrine train`, `generate` and `diffusion forward` end to end on a tiny catalog."""

import pytest
from PIL import Image

from vitrine.cli import main


@pytest.mark.slow  # trains through the verb
def test_train_tiny_then_generate(tmp_path, fmnist_dir, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    run = tmp_path / "run"
    assert main(data + ["train", "--preset", "tiny", "--min-photos", "1", "--steps", "6", "--out", str(run)]) == 0
    assert (run / "checkpoint.safetensors").exists() and (run / "pipeline" / "model_index.json").exists()
    out = capsys.readouterr().out
    assert "trained to step 6" in out and "pipeline (EMA weights)" in out

    grid = tmp_path / "grid.png"
    assert main(["generate", "a red t-shirt", "-n", "2", "--steps", "3", "--model", str(run / "pipeline"),
                 "-o", str(grid)]) == 0
    assert Image.open(grid).size == (2 * 128, 128)
    assert main(["generate", "a red t-shirt", "-n", "1", "--steps", "2", "--precision", "bf16", "--model",
                 str(run / "pipeline"), "-o", str(tmp_path / "bf16.png")]) == 0
    assert "1 images for 'a red t-shirt'" in capsys.readouterr().out
    assert main(["generate", "a red t-shirt", "--sampler", "warp", "--model", str(run / "pipeline")]) == 2
    assert "unknown sampler" in capsys.readouterr().err

    # The demo writes a grid of generated products when given a model.
    assert main(data + ["demo", "--fashion-dir", str(fmnist_dir), "--users", "20", "--model", str(run / "pipeline"),
                        "--no-serve"]) == 0
    assert Image.open(tmp_path / "data" / "generated-showcase.png").width == 6 * 128

    # Resume continues from the checkpoint instead of starting over.
    assert main(data + ["train", "--preset", "tiny", "--min-photos", "1", "--out", str(run), "--resume", "--until", "8"]) == 0
    assert "resumed" in capsys.readouterr().out


def test_forward_strip_prints_the_table(tmp_path, fmnist_dir, capsys):
    data = ["--data-dir", str(tmp_path / "data"), "-q"]
    assert main(data + ["catalog", "build", "--fashion-dir", str(fmnist_dir)]) == 0
    strip = tmp_path / "strip.png"
    assert main(data + ["diffusion", "forward", "fm-00001", "--t", "0,100,1000", "-o", str(strip)]) == 0
    out = capsys.readouterr().out
    assert "0.95074" in out and "0.00659" in out  # ᾱ_100 and ᾱ_1000 of the brief's schedule
    assert Image.open(strip).width == 3 * 128
    assert main(data + ["diffusion", "forward", "fm-00001", "--t", "2000"]) == 2
    assert main(data + ["diffusion", "forward", "nope"]) == 2
