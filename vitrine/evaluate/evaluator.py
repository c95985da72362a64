"""The evaluator: a small CNN that reads a shop's label columns (category; colour and pattern where
the shop has them) off a product photo.

Trained only on the shop's real photos that its generator trains on and scored on the photos the
generator never sees (the held-out items; in the built catalog, Fashion-MNIST's test split), whose
accuracy is the ceiling every generated-image figure is compared against. It shares no weights
with the generator or the recommender, so it can judge both. Its 256-dim penultimate features are
the space FID, KID and diversity are measured in. It reads pictures at its own size (32 px):
larger ones are scaled down first (bicubic, antialiased), so models of any size are judged alike.
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

# The label columns an evaluator can read, in this order, and the built catalog's classes of each
# (the shipped evaluator's; an evaluator trained on another shop keeps that shop's own).
COLUMNS = ("category", "colour", "pattern")
BUILT_CLASSES = {"category": CATEGORY_NAMES, "colour": COLOUR_NAMES, "pattern": PATTERN_NAMES}
FEATURES = 256
SIZE = 32
MISSING = -1  # the label of an item that has no value in a column: left out of loss and accuracy


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Evaluator(nn.Module):
    """Images in [0, 1], (B, 3, H, W) → features (B, 256) and one logit vector per label column.
    `classes`: column → its class names (index k of a column's logits is classes[column][k])."""

    num_features = FEATURES  # read by torchmetrics' FID/KID when used as their feature extractor

    def __init__(self, width: int = 32, classes: dict[str, tuple[str, ...]] | None = None, size: int = SIZE):
        super().__init__()
        self.classes = {name: tuple(names) for name, names in (classes or BUILT_CLASSES).items()}
        self.body = nn.Sequential(_block(3, width), nn.MaxPool2d(2), _block(width, 2 * width), nn.MaxPool2d(2),
                                  _block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, FEATURES), nn.ReLU(inplace=True))
        self.heads = nn.ModuleDict({name: nn.Linear(FEATURES, len(names)) for name, names in self.classes.items()})
        self.width, self.size = width, size

    def features(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-1] != self.size or images.shape[-2] != self.size:  # a larger model's pictures
            # bicubic with antialiasing, the torch kin of the Lanczos filter that fits a shop's photos
            # into the evaluator's square (catalog.photos); bilinear blurred the 64-px render's colours
            # enough to misread them on real photos (reports/generation-sizes: 'real photos read')
            images = nn.functional.interpolate(images, size=(self.size, self.size), mode="bicubic",
                                               antialias=True, align_corners=False).clamp(0, 1)
        return self.body(images * 2.0 - 1.0)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The feature vector alone (the torchmetrics feature-extractor contract)."""
        return self.features(images)

    def classify(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        f = self.features(images)
        return {name: head(f) for name, head in self.heads.items()}

    @torch.inference_mode()
    def predict(self, images: torch.Tensor, batch: int = 512) -> dict[str, np.ndarray]:
        """Predicted class index per column for (N, 3, H, W) images in [0, 1]."""
        self.eval()
        out = {name: [] for name in self.heads}
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
    """(N, S, S, 3) uint8 → (N, 3, S, S) float in [0, 1]."""
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


def attribute_accuracy(predicted: dict[str, np.ndarray], wanted: dict[str, np.ndarray]) -> dict[str, float]:
    """Share of images whose predicted attribute equals the prompt's, per attribute given, over the
    images whose prompt names one (a wanted label of MISSING is no label)."""
    out = {}
    for name, target in wanted.items():
        target = np.asarray(target)
        known = target != MISSING
        if known.any():
            out[name] = float((np.asarray(predicted[name])[known] == target[known]).mean())
    return out


def accuracy(model: Evaluator, images: torch.Tensor, labels: dict[str, np.ndarray]) -> dict[str, float]:
    """Share read right per column the model reads, over the photos that have a value in it."""
    return attribute_accuracy(model.predict(images), {name: labels[name] for name in model.heads})


def train_evaluator(images: torch.Tensor, labels: dict[str, np.ndarray], config: EvaluatorConfig = EvaluatorConfig(),
                    progress: bool = True, classes: dict[str, tuple[str, ...]] | None = None) -> tuple[Evaluator, dict]:
    """Fit on (images, labels); cross-entropy summed over the heads (a photo without a value in a
    column adds nothing to that head's), AdamW, one-cycle LR. `classes`: the columns and their
    class names (default the built catalog's three)."""
    torch.manual_seed(config.seed)
    g = torch.Generator().manual_seed(config.seed)
    model = Evaluator(config.width, classes, size=images.shape[-1])
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(len(images) // config.batch_size, 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=config.epochs * steps_per_epoch)
    targets = {name: torch.as_tensor(labels[name], dtype=torch.long) for name in model.heads}
    start = time.perf_counter()
    bar = tqdm(total=config.epochs * steps_per_epoch, desc="train evaluator", unit="step", disable=not progress)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(images), generator=g)
        for k in range(steps_per_epoch):
            idx = order[k * config.batch_size:(k + 1) * config.batch_size]
            logits = model.classify(_flip_and_noise(_shift(images[idx], config.shift, g), config, g))
            loss = sum(_head_loss(logits[n], targets[n][idx]) for n in model.heads)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
    bar.close()
    return model.eval(), {"train_seconds": round(time.perf_counter() - start, 1), "config": asdict(config)}


def _head_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the rows that have a label; zero when none of the batch has one."""
    if (target == MISSING).all():
        return logits.sum() * 0.0
    return nn.functional.cross_entropy(logits, target, ignore_index=MISSING)


def save_evaluator(model: Evaluator, folder: str | Path, info: dict) -> Path:
    return save_network(model, folder, "evaluator", {"width": model.width, "size": model.size,
                                                     "classes": {k: list(v) for k, v in model.classes.items()}, **info})


def load_evaluator(folder: str | Path) -> Evaluator:
    """An evaluator saved by save_evaluator; one saved without its classes reads the built catalog's."""
    return load_network(folder, "evaluator",
                        lambda info: Evaluator(int(info.get("width", 32)), info.get("classes"), int(info.get("size", SIZE))),
                        "train one with `vitrine evaluator train`")
