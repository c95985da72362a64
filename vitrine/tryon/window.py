"""The square window the try-on model works in: the garment's mask with some of the body around it.

The inpainting U-Net works at 32×32. A picture of a whole person is larger (the people set's
are 64×64), so the model is given a square around the mask, side
  s = max(⌈32·min(H, W)/64⌉, extent + 2·MARGIN), at most min(H, W),
centred on the mask's box and kept inside the picture, resized to 32×32 when s ≠ 32. For a
64×64 person that is a 1:1 crop unless the mask spans more than 28 pixels (long-sleeved tops
with spread arms, some dresses), where the window is shrunk to fit. The same rule picks the
windows of the training crops and of every try-on, so the model sees garments at one scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

MODEL_SIZE = 32
MARGIN = 2


@dataclass(frozen=True)
class Window:
    top: int
    left: int
    side: int

    def crop(self, picture: np.ndarray) -> np.ndarray:
        return picture[self.top:self.top + self.side, self.left:self.left + self.side]


def window_of(mask: np.ndarray) -> Window:
    """The window around a non-empty (H, W) bool mask (see the module's docstring)."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        raise ValueError("the mask is empty: nothing to repaint")
    h, w = mask.shape
    extent = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) + 2 * MARGIN
    side = min(max(math.ceil(MODEL_SIZE * min(h, w) / 64), extent), min(h, w))
    centre_y, centre_x = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
    top = int(np.clip(round(centre_y - side / 2), 0, h - side))
    left = int(np.clip(round(centre_x - side / 2), 0, w - side))
    return Window(top, left, side)


def to_model(picture: np.ndarray, mask: np.ndarray, window: Window) -> tuple[torch.Tensor, torch.Tensor]:
    """The window's picture (3, 32, 32) in [−1, 1] and mask (1, 32, 32) in {0, 1}. Downsizing
    averages pixels (area); a model pixel is masked when any picture pixel under it is."""
    x = torch.from_numpy(np.ascontiguousarray(window.crop(picture))).permute(2, 0, 1).float()[None] / 127.5 - 1
    m = torch.from_numpy(np.ascontiguousarray(window.crop(mask))).float()[None, None]
    if window.side != MODEL_SIZE:
        x = F.interpolate(x, size=(MODEL_SIZE, MODEL_SIZE), mode="area")
        m = (F.interpolate(m, size=(MODEL_SIZE, MODEL_SIZE), mode="area") > 0).float()
    return x[0], m[0]


def from_model(generated: torch.Tensor, picture: np.ndarray, mask: np.ndarray, window: Window) -> np.ndarray:
    """The picture with the generated window ((3, 32, 32) in [−1, 1]) written into the mask's
    pixels only; every pixel outside the mask keeps its exact value."""
    x = generated.float()[None]
    if window.side != MODEL_SIZE:
        x = F.interpolate(x, size=(window.side, window.side), mode="bilinear", align_corners=False)
    pixels = ((x[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    out = picture.copy()
    inside = window.crop(mask)
    out[window.top:window.top + window.side, window.left:window.left + window.side][inside] = pixels[inside]
    return out
