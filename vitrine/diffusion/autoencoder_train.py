"""`vitrine autoencoder train`: the shop's KL autoencoder (diffusion.autoencoder) on its own photos.

The same split as the generator's (catalog.training): trained on the photos the generator trains
on, measured on the held-out ones. AdamW on L1 + β·KL with every random draw from one seeded
generator, checkpointed in one safetensors file with the optimizer and that generator's state,
so a stopped and resumed run continues exactly. Finished, it measures the latent scale (1/std of
the trained-on latents), saves the model as a diffusers `AutoencoderKL` folder, and reports its
held-out reconstruction: PSNR, SSIM, and how often an evaluator reads the same category, colour
and pattern off the reconstruction as off the original photo.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vitrine.atomic import write_text
from vitrine.catalog.training import spread
from vitrine.diffusion.autoencoder import build_autoencoder, measure_scale, reconstruction_loss, round_trip
from vitrine.diffusion.checkpoint import load_training_state, read_metadata, save_training_state

MEASURED = 1000  # held-out photos the figures are measured on (evenly spread)


@dataclass
class AutoencoderConfig:
    preset: str = "small"
    size: int = 64
    fit: str = "pad"
    steps: int = 4000
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 250


class AutoencoderTrainer:
    """The model, optimizer and generator of one run over `images` ((N, 3, S, S) uint8)."""

    def __init__(self, config: AutoencoderConfig, images: torch.Tensor, out: Path):
        self.config, self.images, self.out = config, images, Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(config.seed)
        self.model = build_autoencoder(config.preset, config.size)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=0.0)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step, self.losses = 0, []
        self.seconds = 0.0  # training time over every session of the run (kept in the checkpoint)

    @property
    def checkpoint_path(self) -> Path:
        return self.out / "checkpoint.safetensors"

    def _parts(self) -> dict:
        return {"model": self.model, "ema": None, "optimizer": self.optimizer, "lr_scheduler": None,
                "generator": self.generator}

    def save(self) -> None:
        save_training_state(self.checkpoint_path, **self._parts(), step=self.step,
                            info={"config": asdict(self.config), "losses": self.losses, "seconds": self.seconds})
        write_text(self.out / "config.json", json.dumps(asdict(self.config), indent=2) + "\n")

    def resume(self) -> None:
        info = json.loads(read_metadata(self.checkpoint_path)["info"])
        self.step = load_training_state(self.checkpoint_path, **self._parts())
        self.losses = info["losses"][: self.step]
        self.seconds = float(info.get("seconds", 0.0))

    def train_step(self) -> float:
        index = torch.randint(len(self.images), (self.config.batch_size,), generator=self.generator)
        pixels = self.images[index].float() / 127.5 - 1.0
        loss, _ = reconstruction_loss(self.model, pixels, self.generator)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return float(loss.detach())

    def run(self, until: int | None = None, progress: bool = True) -> float:
        """Train to `until` (default config.steps); the seconds this call took (self.seconds adds them up)."""
        until = min(until or self.config.steps, self.config.steps)
        self.model.train()
        start, before = time.perf_counter(), self.seconds
        with tqdm(total=until, initial=self.step, desc="train autoencoder", unit="step", disable=not progress) as bar:
            while self.step < until:
                self.losses.append(self.train_step())
                bar.update()
                bar.set_postfix(loss=f"{np.mean(self.losses[-20:]):.4f}", refresh=False)
                if self.step % self.config.checkpoint_every == 0 or self.step == until:
                    self.seconds = before + time.perf_counter() - start
                    self.save()
        return time.perf_counter() - start

    def export(self, folder: Path) -> Path:
        """The trained model with its measured latent scale, as a diffusers AutoencoderKL folder."""
        self.model.eval()
        scale = measure_scale(self.model, spread(self.images, 2000).float() / 127.5 - 1.0)
        self.model.register_to_config(scaling_factor=scale)
        self.model.save_pretrained(folder, safe_serialization=True)
        return Path(folder)


@torch.no_grad()
def reconstruction_figures(model, images: torch.Tensor, evaluator=None) -> dict:
    """PSNR and SSIM of the round trip over `images` ((N, 3, S, S) uint8), and, given an evaluator,
    the share of photos whose every read column is read the same on the reconstruction."""
    from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure
    model.eval()
    original = images.float() / 255.0
    rebuilt = (round_trip(model, original * 2 - 1) + 1) / 2
    figures = {"photos": len(images),
               "psnr": float(peak_signal_noise_ratio(rebuilt, original, data_range=1.0)),
               "ssim": float(structural_similarity_index_measure(rebuilt, original, data_range=1.0))}
    if evaluator is not None:
        before, after = evaluator.predict(original), evaluator.predict(rebuilt)
        figures["read_back"] = {name: float((before[name] == after[name]).mean()) for name in before}
    return figures
