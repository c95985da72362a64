"""The latent space a 64-px (or larger) model draws in: a trained autoencoder (`vitrine autoencoder
train`), its photos encoded once and cached.

A training photo x in [−1, 1] becomes z = s·μ(x), the mean of the encoder's posterior times the
autoencoder's `scaling_factor` s (1/std of the training latents, so z has unit variance as the
noise schedule assumes); the pipeline decodes a sampled z as D(z / s). With the KL weight of 1e-6
the posterior's σ is tiny next to μ, so the mean stands for the sample (Stable Diffusion draws
z ~ q(z|x) afresh each step; here the latents are computed once, which is what makes training on
them cheap).
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import torch
from safetensors.torch import load_file
from tqdm import tqdm

from vitrine.atomic import save_safetensors
from vitrine.diffusion.autoencoder import latent_size

WEIGHTS = "diffusion_pytorch_model.safetensors"


class LatentSpace:
    """A saved AutoencoderKL folder: its model, the photo size it reads and the latent it makes.
    Given `size`, a ValueError unless the autoencoder was made for photos of that size."""

    def __init__(self, folder: str | Path, size: int | None = None):
        from diffusers import AutoencoderKL
        self.folder = Path(folder)
        weights = self.folder / WEIGHTS
        if not (self.folder / "config.json").is_file() or not weights.is_file():
            raise ValueError(f"{self.folder}: not a saved autoencoder (needs config.json and {WEIGHTS}; "
                             f"`vitrine autoencoder train` writes one to OUT/autoencoder)")
        try:
            self.model = AutoencoderKL.from_pretrained(self.folder, use_safetensors=True).eval()
        except Exception as exc:  # a truncated file, a config that does not match its weights
            raise ValueError(f"{self.folder}: cannot load the autoencoder ({type(exc).__name__}: "
                             f"{str(exc)[:160]})") from None
        self.model.requires_grad_(False)
        if size is not None and self.image_size != size:
            raise ValueError(f"{self.folder}: made for {self.image_size}-px photos, this run draws {size} px (--size)")

    @cached_property
    def key(self) -> str:
        """A hash of the weights: what the latent cache is keyed by (read only when caching)."""
        return weights_key(self.folder / WEIGHTS)

    @property
    def image_size(self) -> int:
        return int(self.model.config.sample_size)

    @property
    def size(self) -> int:
        """The side of one photo's latent: the photo's side halved at each level but the last."""
        return latent_size(self.model)

    @property
    def channels(self) -> int:
        return int(self.model.config.latent_channels)

    @property
    def scale(self) -> float:
        return float(self.model.config.scaling_factor)

    @torch.no_grad()
    def encode(self, images: torch.Tensor, batch: int = 128, progress: bool = True) -> torch.Tensor:
        """(N, 3, S, S) uint8 photos → (N, C, s, s) float16 latents z = scale·μ(x)."""
        if images.shape[-1] != self.image_size:
            raise ValueError(f"the autoencoder reads {self.image_size}-px photos, given {images.shape[-1]} px")
        out = torch.empty((len(images), self.channels, self.size, self.size), dtype=torch.float16)
        with tqdm(total=len(images), desc="encode photos", unit="photo", disable=not progress) as bar:
            for k in range(0, len(images), batch):
                pixels = images[k:k + batch].float() / 127.5 - 1.0
                out[k:k + len(pixels)] = (self.model.encode(pixels).latent_dist.mean * self.scale).half()
                bar.update(len(pixels))
        return out

    def cached_encode(self, images: torch.Tensor, cache_dir: str | Path, progress: bool = True) -> torch.Tensor:
        """encode(), read from / written to cache_dir/latents-<key>.safetensors; the key hashes the
        autoencoder's weights and the photos' bytes, so a retrained autoencoder or a changed photo
        set never reads stale latents."""
        digest = hashlib.sha256(self.key.encode())
        digest.update(str(tuple(images.shape)).encode())
        digest.update(images.contiguous().numpy().tobytes())
        path = Path(cache_dir) / f"latents-{digest.hexdigest()[:20]}.safetensors"
        if path.is_file():
            return load_file(path)["latents"]
        latents = self.encode(images, progress=progress)
        save_safetensors({"latents": latents.contiguous()}, path)
        return latents


def weights_key(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:20]
