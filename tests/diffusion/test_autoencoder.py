"""The shop's autoencoder: shapes, a loss that falls, latents scaled to unit variance."""

import torch

from vitrine.diffusion.autoencoder import build_autoencoder, latent_size, measure_scale, reconstruction_loss, round_trip


def test_the_small_autoencoder_turns_a_64_px_photo_into_a_16_by_16_by_4_latent():
    autoencoder = build_autoencoder("small", 64)
    assert latent_size(autoencoder) == 16
    latent = autoencoder.encode(torch.zeros(1, 3, 64, 64)).latent_dist.mean
    assert latent.shape == (1, 4, 16, 16)


def test_a_few_steps_lower_the_loss_and_the_scale_gives_unit_variance():
    torch.manual_seed(0)
    autoencoder = build_autoencoder("tiny", 16)
    pixels = (torch.rand(16, 3, 1, 1) * 2 - 1).expand(16, 3, 16, 16).contiguous()  # flat colours: learnable fast
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.AdamW(autoencoder.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        loss, parts = reconstruction_loss(autoencoder, pixels, generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(parts["l1"])
    assert losses[-1] < 0.7 * losses[0]
    scale = measure_scale(autoencoder, pixels)
    latents = autoencoder.encode(pixels).latent_dist.mean * scale
    assert abs(float(latents.std()) - 1.0) < 1e-3
    rebuilt = round_trip(autoencoder, pixels)
    assert rebuilt.shape == pixels.shape and rebuilt.abs().max() <= 1


def test_autoencoder_train_resumes_exactly_saves_a_diffusers_model_and_reports_held_out_figures(imported_shop, tmp_path,
                                                                                               capsys):
    import json

    from diffusers import AutoencoderKL
    from safetensors.torch import load_file

    from vitrine.cli import main
    store, data = imported_shop(60)
    train = ["--data-dir", str(data), "-q", "autoencoder", "train", "--preset", "tiny", "--size", "32", "--steps", "4",
             "--batch-size", "4", "--checkpoint-every", "2", "--min-photos", "20"]
    assert main(train + ["--out", str(tmp_path / "whole")]) == 0
    assert "held-out reconstruction of" in capsys.readouterr().out
    installed = data / "models" / "autoencoder" / "diffusion_pytorch_model.safetensors"
    assert installed.is_file()  # the shop's autoencoder now: `vitrine train --size N` draws through it
    installed.unlink()
    assert main(train + ["--until", "2", "--out", str(tmp_path / "half")]) == 0
    assert not (tmp_path / "half" / "autoencoder").exists()
    assert main(train + ["--resume", "--no-install", "--out", str(tmp_path / "half")]) == 0
    assert not installed.exists()
    from vitrine.diffusion.checkpoint import read_metadata
    seconds = {run: json.loads(read_metadata(tmp_path / run / "checkpoint.safetensors")["info"])["seconds"]
               for run in ("whole", "half")}
    assert seconds["half"] > 0 and seconds["whole"] > 0  # a resumed run's time adds up over its sessions
    whole, half = (load_file(str(tmp_path / run / "checkpoint.safetensors")) for run in ("whole", "half"))
    assert all(torch.equal(whole[k], half[k]) for k in whole if k.startswith("model."))  # bit-identical
    model = AutoencoderKL.from_pretrained(tmp_path / "whole" / "autoencoder")
    figures = json.loads((tmp_path / "whole" / "autoencoder" / "figures.json").read_text())
    assert model.config.scaling_factor == figures["scaling_factor"] > 0
    assert figures["held_out"]["photos"] >= 1 and set(figures["held_out"]["read_back"]) == {"category", "colour", "pattern"}
    capsys.readouterr()
    assert main(train + ["--resume", "--out", str(tmp_path / "none")]) == 2
    assert "no checkpoint" in capsys.readouterr().err and not (tmp_path / "none").exists()
    assert main(train[:-2] + ["--min-photos", "1000", "--out", str(tmp_path / "few")]) == 2
    assert "at least 1000" in capsys.readouterr().err
