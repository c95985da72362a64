"""The shop's autoencoder: photos ↔ latents, as Stable Diffusion's KL autoencoder (Rombach et al.
2022), small enough to train on 2 cores.

A diffusers `AutoencoderKL` with three levels (two downsamplings): a 64×64×3 photo ↔ a 16×16×4
latent, 12× fewer numbers for the U-Net to denoise. Trained on the shop's own photos with
  loss = ‖x − D(z)‖₁ + β·KL(q(z|x) ‖ N(0, I)),  z ~ q(z|x) = N(μ(x), σ(x)²),
β = 1e-6: the KL term only keeps the latent space from drifting in scale (LDM's KL-f models use
weights of this order), the L1 term carries the picture. The latents handed to the U-Net are
multiplied by `scaling_factor` = 1/std of the training latents, so they have unit variance as the
noise schedule assumes (Stable Diffusion's 0.18215 was found the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

KL_WEIGHT = 1e-6


@dataclass(frozen=True)
class AutoencoderPreset:
    block_out_channels: tuple[int, ...]
    latent_channels: int = 4
    layers_per_block: int = 1
    norm_num_groups: int = 8


PRESETS = {
    "tiny": AutoencoderPreset((8, 16), latent_channels=4, norm_num_groups=4),   # tests: one downsampling
    "small": AutoencoderPreset((32, 64, 64)),                                   # 64 px → 16×16×4
}


def build_autoencoder(preset: str, size: int):
    """An untrained AutoencoderKL of the preset for `size`-px photos."""
    from diffusers import AutoencoderKL
    if preset not in PRESETS:
        raise ValueError(f"unknown autoencoder preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    levels = len(p.block_out_channels)
    return AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * levels,
                         up_block_types=("UpDecoderBlock2D",) * levels, block_out_channels=p.block_out_channels,
                         layers_per_block=p.layers_per_block, latent_channels=p.latent_channels,
                         norm_num_groups=p.norm_num_groups, sample_size=size, scaling_factor=1.0)


def latent_size(autoencoder) -> int:
    """The side of the latent of one photo: the photo's side halved at each level but the last."""
    levels = len(autoencoder.config.block_out_channels)
    return autoencoder.config.sample_size // 2 ** (levels - 1)


def reconstruction_loss(autoencoder, pixels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, dict]:
    """The training loss for pixels in [−1, 1]: L1 of the reconstruction plus β·KL, with the parts."""
    posterior = autoencoder.encode(pixels).latent_dist
    noise = torch.randn(posterior.mean.shape, generator=generator)
    z = posterior.mean + posterior.std * noise  # the reparameterised sample, drawn from our generator
    rebuilt = autoencoder.decode(z).sample
    l1 = (rebuilt - pixels).abs().mean()
    kl = posterior.kl().mean() / pixels[0].numel()  # per pixel value, like the L1 term
    return l1 + KL_WEIGHT * kl, {"l1": float(l1.detach()), "kl": float(kl.detach())}


@torch.no_grad()
def measure_scale(autoencoder, pixels: torch.Tensor, batch: int = 64) -> float:
    """1/std of the latent means of `pixels` (in [−1, 1]): the factor that gives them unit variance."""
    means = [autoencoder.encode(pixels[k:k + batch]).latent_dist.mean for k in range(0, len(pixels), batch)]
    return float(1.0 / torch.cat(means).std())


@torch.no_grad()
def round_trip(autoencoder, pixels: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Each photo encoded (the posterior's mean) and decoded, clamped to [−1, 1]."""
    out = [autoencoder.decode(autoencoder.encode(pixels[k:k + batch]).latent_dist.mean).sample.clamp(-1, 1)
           for k in range(0, len(pixels), batch)]
    return torch.cat(out)
