"""The garment finder behind `vitrine tryon --region`: a small segmentation network that labels
every pixel of a person's picture as background, skin, hair, top, bottom or shoes.

A two-level encoder–decoder (64×64 → 32 → 16 and back, a skip connection at each level),
trained with per-pixel cross-entropy on the people set's label maps. Any picture is read at
64×64 (resized) and its labels sized back (nearest). `region()` turns a slot's labels into the
mask to repaint: the garment's pixels grown by one pixel, as the try-on model was trained with.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from vitrine.tryon.model import grow as grow_mask
from vitrine.tryon.people import LABELS, SIZE, SLOT_LABELS
from vitrine.weights import load_network, save_network

REGIONS = SLOT_LABELS  # a garment slot → its label
# A whole standing person, as the people set draws them and the upload form asks for. Over the
# 20,000 drawn people the segmenter's labels give: person share 0.15–0.26 of the picture, box
# height/width 1.5–3.6, head (skin or hair) pixels in the box's top fifth ≥ 1.9 % of the
# picture, head width ≤ 0.73 of the box's, top garment ≤ 0.72 of the box's height. Catalog photos
# fill more of the frame, or have no head above a garment (a trouser photo reads as one tall "top").
# scripts/person_check.py measures what these bounds accept.
PERSON_SHARE = (0.08, 0.35)
MIN_ASPECT = 1.4
MIN_HEAD_SHARE = 0.012
MAX_HEAD_WIDTH = 0.75
MAX_TOP_SPAN = 0.75


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Segmenter(nn.Module):
    """(B, 3, 64, 64) in [0, 1] → (B, 6, 64, 64) label logits."""

    def __init__(self, width: int = 12):
        super().__init__()
        self.width = width
        self.down0, self.down1, self.down2 = _block(3, width), _block(width, 2 * width), _block(2 * width, 4 * width)
        self.up1, self.up0 = _block(6 * width, 2 * width), _block(3 * width, width)
        self.out = nn.Conv2d(width, len(LABELS), 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        up = nn.functional.interpolate
        f0 = self.down0(images * 2 - 1)
        f1 = self.down1(self.pool(f0))
        f2 = self.down2(self.pool(f1))
        g1 = self.up1(torch.cat([f1, up(f2, scale_factor=2)], dim=1))
        return self.out(self.up0(torch.cat([f0, up(g1, scale_factor=2)], dim=1)))

    @torch.inference_mode()
    def labels(self, pictures: np.ndarray, batch: int = 256) -> np.ndarray:
        """(N, H, W) uint8 labels of (N, H, W, 3) uint8 pictures (read at 64×64, sized back)."""
        self.eval()
        out = []
        for start in range(0, len(pictures), batch):
            x = torch.from_numpy(np.array(pictures[start:start + batch])).permute(0, 3, 1, 2).float() / 255
            h, w = x.shape[2:]
            if (h, w) != (SIZE, SIZE):
                x = nn.functional.interpolate(x, size=(SIZE, SIZE), mode="area")
            logits = self(x)
            if (h, w) != (SIZE, SIZE):
                logits = nn.functional.interpolate(logits, size=(h, w), mode="nearest")
            out.append(logits.argmax(1).byte().numpy())
        return np.concatenate(out)


def region(labels: np.ndarray, slot: str, grow: int = 1) -> np.ndarray:
    """The mask to repaint for `slot` (top, bottom, shoes): its labelled pixels grown by `grow`
    pixels (8-neighbourhood). A LookupError when the picture shows no person or no such garment."""
    if slot not in REGIONS:
        raise ValueError(f"unknown region {slot!r}; choose one of {', '.join(REGIONS)}")
    problem = not_a_person(labels)
    if problem:
        raise LookupError(f"no person found in the picture ({problem}); give a picture of a whole person "
                          "standing on a plain background")
    mask = labels == REGIONS[slot]
    if not mask.any():
        raise LookupError(f"no {slot} found on the person in the picture; give a --mask instead")
    return grow_mask(mask, grow)


def not_a_person(labels: np.ndarray) -> str | None:
    """Why a label map shows no whole standing person (thresholds above), or None when it does."""
    person = labels != LABELS.index("background")
    share = float(person.mean())
    if not PERSON_SHARE[0] <= share <= PERSON_SHARE[1]:
        return (f"not the size of a whole person; a person fills {PERSON_SHARE[0]:.0%}–{PERSON_SHARE[1]:.0%} "
                f"of a picture, the figure here {share:.0%}")
    ys, xs = np.nonzero(person)
    top_row, height, width = ys.min(), ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    if height < MIN_ASPECT * width:
        return "the figure is not upright: wider than a standing person"
    head = np.isin(labels, (LABELS.index("skin"), LABELS.index("hair")))[top_row:top_row + max(1, height // 5)]
    head_columns = np.flatnonzero(head.any(axis=0))
    if head.sum() < MIN_HEAD_SHARE * labels.size or len(head_columns) == 0:
        return "no head at the top of the figure"
    if head_columns.max() - head_columns.min() + 1 > MAX_HEAD_WIDTH * width:
        return "no head at the top of the figure"
    top_rows = np.flatnonzero((labels == LABELS.index("top")).any(axis=1))
    if len(top_rows) and top_rows.max() - top_rows.min() + 1 > MAX_TOP_SPAN * height:
        return "the garment covers the whole figure"
    return None


def train_segmenter(images: np.ndarray, labels: np.ndarray, steps: int = 1000, batch_size: int = 32,
                    lr: float = 3e-3, seed: int = 0, progress: bool = True) -> tuple[Segmenter, dict]:
    """Fit on (N, 64, 64, 3) pictures and (N, 64, 64) labels: cross-entropy weighted by
    1/√(class frequency) — shoes are ~2 % of the pixels and unweighted they were never predicted
    (IoU 0.0002 after 400 steps) — AdamW, one-cycle LR; pictures are mirrored at random (a
    mirrored person keeps their labels, mirrored too)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = Segmenter()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2)
    y_all = torch.from_numpy(labels.astype(np.int64))
    frequency = np.bincount(labels.ravel(), minlength=len(LABELS)) / labels.size
    weight = torch.tensor(1 / np.sqrt(np.maximum(frequency, 1e-6)), dtype=torch.float32)
    weight = weight / weight.mean()
    start = time.perf_counter()
    model.train()
    for _ in tqdm(range(steps), desc="train segmenter", unit="step", disable=not progress):
        idx = torch.randint(len(images), (batch_size,), generator=g)
        x, y = x_all[idx].float() / 255, y_all[idx]
        mirror = torch.rand(batch_size, generator=g) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
        y = torch.where(mirror[:, None, None], y.flip(-1), y)
        loss = nn.functional.cross_entropy(model(x), y, weight=weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model.eval(), {"train_seconds": round(time.perf_counter() - start, 1), "steps": steps,
                          "batch_size": batch_size, "lr": lr, "seed": seed,
                          "class_weights": [round(float(w), 3) for w in weight]}


def pixel_accuracy(model: Segmenter, images: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Share of pixels labelled right, and each garment's intersection over union."""
    predicted = model.labels(images)
    out = {"pixel_accuracy": float((predicted == labels).mean())}
    for slot, label in REGIONS.items():
        union = ((predicted == label) | (labels == label)).sum()
        out[f"iou_{slot}"] = float(((predicted == label) & (labels == label)).sum() / max(union, 1))
    return out


def save_segmenter(model: Segmenter, folder: str | Path, info: dict) -> Path:
    return save_network(model, folder, "segmenter", {"width": model.width, "labels": list(LABELS), **info})


def load_segmenter(folder: str | Path) -> Segmenter:
    return load_network(folder, "segmenter", lambda info: Segmenter(int(info.get("width", 12))),
                        "train one with `vitrine segmenter train`")
