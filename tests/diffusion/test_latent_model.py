"""A latent model: the U-Net learns an autoencoder's latents of the shop's photos, the saved pipeline
decodes them, loads with diffusers and with Vitrine's loader, and an autoencoder that does not fit
is one clear line."""

import json

import pytest
import torch

from vitrine.cli import main
from vitrine.diffusion.autoencoder import build_autoencoder


def saved_autoencoder(folder, size=32, scale=0.5):
    torch.manual_seed(0)
    model = build_autoencoder("tiny", size)  # one downsampling: size px ↔ (size/2)²×4
    model.register_to_config(scaling_factor=scale)
    model.save_pretrained(folder, safe_serialization=True)
    return folder


@pytest.fixture
def latent_run(imported_shop, tmp_path):
    store, data = imported_shop(60)
    autoencoder = saved_autoencoder(tmp_path / "ae")
    run = tmp_path / "run"
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "2",
                 "--checkpoint-every", "1", "--autoencoder", str(autoencoder), "--out", str(run),
                 "--no-install"]) == 0
    return store, data, run


def test_a_latent_run_trains_on_cached_latents_and_saves_a_pipeline_that_decodes(latent_run):
    from diffusers import DiffusionPipeline

    from vitrine.diffusion.pipeline import VitrinePipeline, load_pipeline
    store, data, run = latent_run
    assert (run / "pipeline" / "vae" / "diffusion_pytorch_model.safetensors").is_file()
    assert json.loads((run / "config.json").read_text())["autoencoder"] == str(run / "autoencoder")
    assert list((data / "cache").glob("latents-*.safetensors"))
    pipe = load_pipeline(run / "pipeline")
    assert pipe.unet.config.sample_size == 16 and pipe.unet.config.in_channels == 4 and pipe.image_size == 32
    assert not pipe.scheduler.config.thresholding  # latents are not clipped to the pixels' range
    images = pipe("a red shirt", num_images_per_prompt=2, num_inference_steps=2, output_type="np",
                  generator=torch.Generator().manual_seed(0)).images
    assert images.shape == (2, 32, 32, 3) and 0 <= images.min() and images.max() <= 1
    loaded = DiffusionPipeline.from_pretrained(run / "pipeline", trust_remote_code=True)
    assert isinstance(loaded, VitrinePipeline) and loaded.vae is not None
    card = (run / "pipeline" / "README.md").read_text()
    assert "latent space of the autoencoder" in card


def test_a_pixel_models_folder_has_no_autoencoder_and_loads_as_before(imported_shop, tmp_path):
    from vitrine.diffusion.pipeline import load_pipeline
    store, data = imported_shop(60)
    run = tmp_path / "pixels"
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "1",
                 "--out", str(run), "--no-install"]) == 0
    pipe = load_pipeline(run / "pipeline")
    assert pipe.vae is None and pipe.image_size == 32 and pipe.scheduler.config.thresholding


def test_an_autoencoder_that_does_not_fit_is_one_line_and_nothing_is_trained(imported_shop, tmp_path, capsys):
    store, data = imported_shop(60)
    train = ["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "1"]
    run = tmp_path / "run"
    cases = [(["--size", "64", "--autoencoder", str(saved_autoencoder(tmp_path / "ae32"))], "made for 32-px photos"),
             (["--size", "64"], "has none yet"),
             (["--autoencoder", str(tmp_path)], "not a saved autoencoder")]
    for flags, words in cases:
        assert main(train + flags + ["--out", str(run)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err and "--" in err
        assert not (run / "checkpoint.safetensors").exists()


def test_the_shops_autoencoder_is_the_default_above_32_px(imported_shop, tmp_path, capsys):
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.paths import AUTOENCODER_DIR
    store, data = imported_shop(60)
    saved_autoencoder(data / AUTOENCODER_DIR, size=64)
    run = tmp_path / "run"
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "1",
                 "--size", "64", "--out", str(run), "--no-install"]) == 0
    assert load_pipeline(run / "pipeline").image_size == 64
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tiny", "--min-photos", "20", "--steps", "1",
                 "--size", "64", "--autoencoder", "none", "--out", str(tmp_path / "pixels"), "--no-install"]) == 0
    pixels = load_pipeline(tmp_path / "pixels" / "pipeline")
    assert pixels.vae is None and pixels.unet.config.sample_size == 64


def test_a_saved_pipeline_whose_autoencoder_does_not_feed_its_unet_is_refused(latent_run, tmp_path):
    import shutil

    from vitrine.diffusion.pipeline import load_pipeline
    store, data, run = latent_run
    broken = tmp_path / "broken"
    shutil.copytree(run / "pipeline", broken)
    shutil.rmtree(broken / "vae")
    saved_autoencoder(broken / "vae", size=64)  # 32×32 latents for a U-Net that takes 16×16
    with pytest.raises(ValueError, match="makes 32×32×4 latents, the U-Net takes 16×16×4"):
        load_pipeline(broken)


def test_latents_are_encoded_once_and_scaled(tmp_path):
    from vitrine.diffusion.latents import LatentSpace
    space = LatentSpace(saved_autoencoder(tmp_path / "ae", scale=0.5))
    images = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    first = space.cached_encode(images, tmp_path / "cache", progress=False)
    assert first.shape == (5, 4, 16, 16) and first.dtype == torch.float16
    mean = space.model.encode(images.float() / 127.5 - 1).latent_dist.mean
    assert torch.allclose(first.float(), (0.5 * mean).half().float())
    (cached,) = (tmp_path / "cache").glob("latents-*.safetensors")
    assert torch.equal(space.cached_encode(images, tmp_path / "cache", progress=False), first)
    images[0, 0, 0, 0] ^= 1  # another photo set → another cache file
    space.cached_encode(images, tmp_path / "cache", progress=False)
    assert len(list((tmp_path / "cache").glob("latents-*.safetensors"))) == 2


def test_a_latent_teacher_is_not_distilled_with_a_clipped_step(latent_run, tmp_path, capsys):
    store, data, run = latent_run
    out = tmp_path / "distill"
    assert main(["--data-dir", str(data), "-q", "distill", "--from", str(run / "pipeline"), "--clip-teacher",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--clip-teacher" in err and "latent model" in err and "Traceback" not in err and not out.exists()
