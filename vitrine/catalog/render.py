"""Colour and pattern a grey Fashion-MNIST photo into a 32×32 (or 64×64, 128×128) RGB product image.

Steps, per image:
1. pad 28×28 → 32×32 (2 px of background each side; no resampling, so no blur); at a larger
   size the padded photo is then upsampled smoothly (bicubic) — the silhouette and its shading
   are the photo's, only finer-grained;
2. silhouette: background = dark pixels (v < EDGE) connected to the border; everything else is
   garment, so dark prints inside a T-shirt stay garment instead of becoming holes;
3. alpha = 1 on the garment, v / EDGE on the background's anti-aliased fringe, 0 elsewhere;
4. fabric = pattern(base colour, contrast colour) × shade, shade = 0.5 + 0.5·s where s is the
   photo's own intensity scaled to its 95th percentile, so folds, seams and prints stay visible;
   the pattern is drawn at the output size (period, offset and dots scaled with it), so a 64-px
   stripe is sharp, not an upsampled 32-px one;
5. out = alpha·fabric + (1 − alpha)·white. Background pixels (alpha = 0) stay exactly white.
"""

from __future__ import annotations

import numpy as np

SIZE = 32
PAD = (SIZE - 28) // 2
EDGE = 40.0          # grey level below which a border-connected pixel is background
BACKGROUND = 255.0   # white studio background

SOLID, STRIPED, DOTTED, CHECKED = range(4)


def pad(gray28: np.ndarray) -> np.ndarray:
    """(B, 28, 28) → (B, 32, 32), zero (background) border."""
    return np.pad(gray28, ((0, 0), (PAD, PAD), (PAD, PAD)))


def background_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels darker than EDGE that a flood fill from the image border reaches (B, H, W) bool."""
    dark = gray < EDGE
    reached = np.zeros_like(dark)
    reached[:, 0, :] = dark[:, 0, :]
    reached[:, -1, :] = dark[:, -1, :]
    reached[:, :, 0] = dark[:, :, 0]
    reached[:, :, -1] = dark[:, :, -1]
    while True:  # grow by 4-neighbourhood dilation until nothing changes (≤ H·W rounds; ~20 here)
        grown = reached.copy()
        grown[:, 1:, :] |= reached[:, :-1, :]
        grown[:, :-1, :] |= reached[:, 1:, :]
        grown[:, :, 1:] |= reached[:, :, :-1]
        grown[:, :, :-1] |= reached[:, :, 1:]
        grown &= dark
        if np.array_equal(grown, reached):
            return reached
        reached = grown


def contrast_colour(rgb: np.ndarray) -> np.ndarray:
    """Second colour of a pattern: a light tint of dark colours, a deep shade of light ones (B, 3)."""
    luminance = (rgb @ np.array([0.299, 0.587, 0.114])) / 255.0
    tint = rgb + 0.75 * (255.0 - rgb)
    shade = rgb * 0.45
    return np.where((luminance < 0.55)[:, None], tint, shade)


def pattern_mask(pattern: int, period: int, phase_y: int, phase_x: int, size: int = SIZE) -> np.ndarray:
    """Where the contrast colour goes (size, size) bool, for one pattern, repeat period and offset
    given in 32-px pixels (scaled by size/32 here)."""
    scale = size // SIZE
    y, x = np.mgrid[0:size, 0:size]
    yy, xx, p, dot = y + phase_y * scale, x + phase_x * scale, period * scale, 2 * scale
    if pattern == STRIPED:   # horizontal bands, half the period wide
        return (yy % p) < (p // 2)
    if pattern == DOTTED:    # 2×2 dots (at 32 px) on a p-pixel grid, alternate rows staggered by half
        shifted = xx + ((yy // p) % 2) * (p // 2)
        return ((yy % p) < dot) & ((shifted % p) < dot)
    if pattern == CHECKED:   # checkerboard of half-period squares
        half = max(p // 2, dot)
        return ((yy // half) + (xx // half)) % 2 == 1
    return np.zeros((size, size), dtype=bool)


def pattern_masks(pattern: np.ndarray, period: np.ndarray, phase: np.ndarray, size: int = SIZE) -> np.ndarray:
    """pattern_mask for a batch (B, size, size), each distinct (pattern, period, phase) computed once."""
    keys = np.stack([pattern, period, phase[:, 0], phase[:, 1]], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    table = np.stack([pattern_mask(*map(int, key), size=size) for key in unique])
    return table[inverse.reshape(-1)]


def upsample(gray: np.ndarray, size: int) -> np.ndarray:
    """(B, 32, 32) grey levels → (B, size, size), bicubic, kept in [0, 255]."""
    import torch
    x = torch.from_numpy(gray.astype(np.float32))[:, None]
    out = torch.nn.functional.interpolate(x, size=(size, size), mode="bicubic", align_corners=False)
    return out[:, 0].clamp(0, 255).numpy()


def garment_percentile(gray: np.ndarray, background: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of each image's garment pixels (B,); 255 for an image with no garment.

    Sorting with the background set to −1 puts the garment's k values last; the quantile is then
    an index into that tail (nearest rank), far cheaper than np.nanpercentile on a batch.
    """
    flat = np.sort(np.where(background, -1.0, gray).reshape(len(gray), -1), axis=1)
    k = (~background).reshape(len(gray), -1).sum(axis=1)
    index = flat.shape[1] - k + np.floor(q * np.maximum(k - 1, 0)).astype(int)
    value = np.take_along_axis(flat, np.minimum(index, flat.shape[1] - 1)[:, None], axis=1)[:, 0]
    return np.where((k > 0) & (value > 0), value, 255.0)


def render(gray28: np.ndarray, rgb: np.ndarray, pattern: np.ndarray,
           period: np.ndarray, phase: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Render a batch: gray28 (B,28,28) uint8, rgb (B,3), pattern/period (B,), phase (B,2) → (B,size,size,3) uint8."""
    if size % SIZE:
        raise ValueError(f"size must be a multiple of {SIZE}, got {size}")
    gray = pad(gray28).astype(np.float32)
    if size != SIZE:
        gray = upsample(gray, size)
    background = background_mask(gray)
    alpha = np.where(background, gray / np.float32(EDGE), np.float32(1.0))[..., None]

    p95 = garment_percentile(gray, background, 0.95)
    s = np.minimum(gray / p95.astype(np.float32)[:, None, None], np.float32(1.0))
    shade = (np.float32(0.5) + np.float32(0.5) * s)[..., None]

    rgb = np.asarray(rgb, dtype=np.float32)
    second = contrast_colour(rgb).astype(np.float32)
    use_second = pattern_masks(pattern, period, phase, size)[..., None]
    fabric = np.where(use_second, second[:, None, None, :], rgb[:, None, None, :]) * shade

    out = alpha * fabric + (np.float32(1.0) - alpha) * np.float32(BACKGROUND)
    return np.rint(out).astype(np.uint8)  # every term lies in [0, 255] already
