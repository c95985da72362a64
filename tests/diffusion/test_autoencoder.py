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
