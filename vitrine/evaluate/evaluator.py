"""The evaluator: a small CNN that reads category, colour and pattern off a 32×32 product photo.

Trained only on real photos of Fashion-MNIST's train split and scored on the held-out test split,
whose accuracy is the ceiling every generated-image figure is compared against. It shares no
weights with the generator or the recommender, so it can judge both. Its 256-dim penultimate
features are the space FID, KID and diversity are measured in.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.weights import load_network, save_network

HEADS = {"category": len(CATEGORY_NAMES), "colour": len(COLOUR_NAMES), "pattern": len(PATTERN_NAMES)}
FEATURES = 256


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Evaluator(nn.Module):
    """Images in [0, 1], (B, 3, 32, 32) → features (B, 256) and one logit vector per attribute."""

    num_features = FEATURES  # read by torchmetrics' FID/KID when used as their feature extractor

    def __init__(self, width: int = 32):
        super().__init__()
        self.body = nn.Sequential(_block(3, width), nn.MaxPool2d(2), _block(width, 2 * width), nn.MaxPool2d(2),
                                  _block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, FEATURES), nn.ReLU(inplace=True))
        self.heads = nn.ModuleDict({name: nn.Linear(FEATURES, n) for name, n in HEADS.items()})
        self.width = width

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images * 2.0 - 1.0)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The feature vector alone (the torchmetrics feature-extractor contract)."""
        return self.features(images)

    def classify(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.features(images)
        return {name: head(f) for name, head in self.heads.items()}

    @torch.inference_mode()
    def predict(self, images: torch.Tensor, batch: int = 512) -> dict[str, np.ndarray]:
        """Predicted class index per attribute for (N, 3, 32, 32) images in [0, 1]."""
        self.eval()
        out = {name: [] for name in HEADS}
        for start in range(0, len(images), batch):
            for name, logits in self.classify(images[start:start + batch].float()).items():
                out[name].append(logits.argmax(1).numpy())
        return {name: np.concatenate(v) if v else np.array([], int) for name, v in out.items()}

    @torch.inference_mode()
    def embed(self, images: torch.Tensor, batch: int = 512) -> torch.Tensor:
        self.eval()
        return torch.cat([self.features(images[s:s + batch].float()) for s in range(0, len(images), batch)])


@dataclass
class EvaluatorConfig:
    width: int = 32
    epochs: int = 12
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    shift: int = 2  # random translation in pixels (colour is never augmented: it is a label)
    flip: bool = True  # random left-right mirror: a mirrored garment keeps its category, colour, pattern
    noise: float = 0.1  # Gaussian pixel noise, σ drawn per image from U(0, noise), for robustness to
    #                     the grain a sampler leaves; 0 = off
    seed: int = 0


def to_tensor(images_nhwc: np.ndarray) -> torch.Tensor:
    """(N, 32, 32, 3) uint8 → (N, 3, 32, 32) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images_nhwc)).permute(0, 3, 1, 2).float() / 255.0


def _shift(x: torch.Tensor, pixels: int, g: torch.Generator) -> torch.Tensor:
    if pixels == 0:
        return x
    padded = nn.functional.pad(x, (pixels,) * 4, value=1.0)  # white studio background
    dy, dx = torch.randint(0, 2 * pixels + 1, (2,), generator=g).tolist()
    return padded[:, :, dy:dy + x.shape[2], dx:dx + x.shape[3]]


def _flip_and_noise(x: torch.Tensor, config: "EvaluatorConfig", g: torch.Generator) -> torch.Tensor:
    if config.flip:
        mirror = torch.rand(len(x), generator=g) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
    if config.noise > 0:
        sigma = torch.rand(len(x), 1, 1, 1, generator=g) * config.noise
        x = (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)
    return x


def accuracy(model: Evaluator, images: torch.Tensor, labels: dict[str, np.ndarray]) -> dict[str, float]:
    predicted = model.predict(images)
    return {name: float((predicted[name] == labels[name]).mean()) for name in HEADS}


def train_evaluator(images: torch.Tensor, labels: dict[str, np.ndarray], config: EvaluatorConfig = EvaluatorConfig(),
                    progress: bool = True) -> tuple[Evaluator, dict]:
    """Fit on (images, labels); cross-entropy summed over the three heads, AdamW, cosine LR."""
    torch.manual_seed(config.seed)
    g = torch.Generator().manual_seed(config.seed)
    model = Evaluator(config.width)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(len(images) // config.batch_size, 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.epochs * steps_per_epoch)
    targets = {name: torch.as_tensor(labels[name], dtype=torch.long) for name in HEADS}
    start = time.perf_counter()
    bar = tqdm(total=config.epochs * steps_per_epoch, desc="train evaluator", unit="step", disable=not progress)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(images), generator=g)
        for k in range(steps_per_epoch):
            idx = order[k * config.batch_size:(k + 1) * config.batch_size]
            logits = model.classify(_flip_and_noise(_shift(images[idx], config.shift, g), config, g))
            loss = sum(nn.functional.cross_entropy(logits[n], targets[n][idx]) for n in HEADS)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
    bar.close()
    return model.eval(), {"train_seconds": round(time.perf_counter() - start, 1), "config": asdict(config)}


def save_evaluator(model: Evaluator, folder: str | Path, info: dict) -> Path:
    return save_network(model, folder, "evaluator", {"width": model.width, **info})


def load_evaluator(folder: str | Path) -> Evaluator:
    return load_network(folder, "evaluator", lambda info: Evaluator(int(info.get("width", 32))),
                        "train one with `vitrine evaluator train`")
