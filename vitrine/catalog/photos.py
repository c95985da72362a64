"""A shop's photos fitted into the generator's square: any size, aspect and mode in, (size, size, 3) out.

`pad` (the default) scales the whole photo into the square and fills the rest with the photo's own
background colour — the median of its outermost ring of pixels — so nothing of the product is cut
and the padding does not read as a frame. `crop` scales the shorter side to the square and keeps
the centre. Transparent pixels are laid on white first (a cut-out product on a shop page).

A photo that cannot be used raises `UnusablePhoto` with the reason — its kind first, details in
brackets — which the caller counts: missing, unreadable (truncated, or not an image), too small
(under MIN_SIDE pixels a side), too large (over MAX_PIXELS pixels: a decompression bomb).
16-bit greyscale is scaled to 8 bits, not clipped; CMYK and palette photos are converted; of an
animated picture the first frame is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from vitrine.catalog.training import FITS
from vitrine.storage.images import MAX_PIXELS

MIN_SIDE = 8  # a photo smaller than this on a side carries no product to learn


class UnusablePhoto(ValueError):
    """A photo the generator cannot learn from; the message says why."""


def background_colour(rgb: Image.Image) -> tuple[int, int, int]:
    """The median colour of the picture's outermost ring of pixels."""
    pixels = np.asarray(rgb)
    ring = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return tuple(int(v) for v in np.median(ring, axis=0))


def as_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: 16- and 32-bit greyscale scaled by their range (floats by 1),
    alpha laid on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(im, dtype=np.float64)
        wide = im.mode.startswith("I;16") or (im.mode == "I" and values.max(initial=0) > 255)
        top = 1.0 if im.mode == "F" else 65535.0 if wide else 255.0
        return Image.fromarray(np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)).convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def check_dimensions(width: int, height: int) -> None:
    """UnusablePhoto if a photo of this size is too small to learn from or too large to decode."""
    if min(width, height) < MIN_SIDE:
        raise UnusablePhoto(f"too small ({width}×{height} px; at least {MIN_SIDE} px a side)")
    if width * height > MAX_PIXELS:
        raise UnusablePhoto(f"too large ({width}×{height} px; at most {MAX_PIXELS:,} pixels)")


def fit_square(im: Image.Image, size: int, fit: str = "pad") -> np.ndarray:
    """The photo as a (size, size, 3) uint8 array, padded on its background colour or centre-cropped."""
    if fit not in FITS:
        raise ValueError(f"fit: choose one of {', '.join(FITS)}, got {fit!r}")
    check_dimensions(*im.size)
    rgb = as_rgb(im)
    if fit == "crop":
        return np.asarray(ImageOps.fit(rgb, (size, size), Image.Resampling.LANCZOS))
    return np.asarray(ImageOps.pad(rgb, (size, size), Image.Resampling.LANCZOS, color=background_colour(rgb)))


def read_photo(path: str | Path, size: int, fit: str = "pad") -> np.ndarray:
    """The photo file fitted into the square; UnusablePhoto (with the reason) if it cannot be."""
    try:
        with Image.open(path) as im:
            check_dimensions(*im.size)  # before decoding a single pixel
            im.seek(0)  # an animated picture: its first frame
            if im.format == "JPEG":
                im.draft("RGB", (size * 2, size * 2))  # decode at the smallest scale still ≥ 2× the square
            im.load()
            return fit_square(im, size, fit)
    except UnusablePhoto:
        raise
    except FileNotFoundError:
        raise UnusablePhoto("missing (no file)") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnusablePhoto(f"unreadable ({type(exc).__name__}: {str(exc)[:120]})") from None
