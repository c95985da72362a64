"""Build the Fashion-MNIST shop catalog: every photo becomes a priced, described, coloured product.

Every random choice comes from one seed, so the same seed gives the same catalog byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from vitrine.catalog import render
from vitrine.catalog.attributes import (
    BRANDS, CATEGORIES, COLOUR_WEIGHTS, COLOURS, PATTERN_WEIGHTS, TIER_PRICE, TIER_WEIGHT,
)
from vitrine.catalog.describe import write_text
from vitrine.catalog.fashion import FashionMNIST

RENDER_CHUNK = 4096


@dataclass
class Catalog:
    """Parallel arrays, one row per item; `images` is (N, 32, 32, 3) uint8 RGB."""

    item_ids: list[str]
    category: np.ndarray   # index into CATEGORIES
    colour: np.ndarray     # index into COLOURS
    pattern: np.ndarray    # index into PATTERNS
    brand: np.ndarray      # index into BRANDS
    price: np.ndarray      # EUR, float
    titles: list[str]
    descriptions: list[str]
    images: np.ndarray
    origin: np.ndarray     # Fashion-MNIST's own split of the photo ("train" / "test")
    source_index: np.ndarray  # position in the loaded Fashion-MNIST arrays

    def __len__(self) -> int:
        return len(self.item_ids)


def draw_attributes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(colour, pattern, brand) indices of n items, by the shop's attribute weights."""
    colour = rng.choice(len(COLOURS), size=n, p=np.array(COLOUR_WEIGHTS) / sum(COLOUR_WEIGHTS))
    pattern = rng.choice(4, size=n, p=np.array(PATTERN_WEIGHTS) / sum(PATTERN_WEIGHTS))
    brand_w = np.array([TIER_WEIGHT[b.tier] for b in BRANDS])
    brand = rng.choice(len(BRANDS), size=n, p=brand_w / brand_w.sum())
    return colour, pattern, brand


def draw_prices(category: np.ndarray, brand: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """price = category median × brand tier × lognormal(0, 0.25), ending in .99 (or .49 under 20 €)."""
    median = np.array([c.median_price for c in CATEGORIES])[category]
    tier = np.array([TIER_PRICE[b.tier] for b in BRANDS])[brand]
    raw = median * tier * rng.lognormal(0.0, 0.25, size=len(category))
    ending = np.where(raw < 20, 0.49, 0.99)
    return np.maximum(np.floor(raw) + ending, 2.99).round(2)


def build_catalog(fm: FashionMNIST, seed: int = 0, limit: int | None = None,
                  progress: bool = True, size: int = render.SIZE) -> Catalog:
    """Turn the (first `limit`) Fashion-MNIST photos into products, deterministically from `seed`;
    photos of `size` px (32, 64 or 128: the same items, colours and patterns at any size)."""
    n = len(fm) if limit is None else min(limit, len(fm))
    rng = np.random.default_rng(seed)
    colour, pattern, brand = draw_attributes(n, rng)
    period = rng.integers(4, 7, size=n)          # pattern repeat in pixels: 4, 5 or 6
    phase = rng.integers(0, 6, size=(n, 2))      # pattern offset, so no two prints line up
    category = fm.labels[:n].astype(np.int64)    # Fashion-MNIST labels are the category order
    price = draw_prices(category, brand, rng)

    rgb = np.array([c.rgb for c in COLOURS], dtype=np.float32)[colour]
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    for start in tqdm(range(0, n, RENDER_CHUNK), desc="render images", unit="chunk", disable=not progress):
        sl = slice(start, min(start + RENDER_CHUNK, n))
        images[sl] = render.render(fm.images[sl], rgb[sl], pattern[sl], period[sl], phase[sl], size)

    text_rng = random.Random(seed)
    titles, descriptions = [], []
    for i in tqdm(range(n), desc="write descriptions", unit="item", disable=not progress, mininterval=0.5):
        title, text = write_text(int(category[i]), int(colour[i]), int(pattern[i]), int(brand[i]), text_rng)
        titles.append(title)
        descriptions.append(text)

    return Catalog(
        item_ids=[f"fm-{i:05d}" for i in range(n)], category=category, colour=colour, pattern=pattern,
        brand=brand, price=price, titles=titles, descriptions=descriptions, images=images,
        origin=fm.origin[:n].copy(), source_index=np.arange(n),
    )
