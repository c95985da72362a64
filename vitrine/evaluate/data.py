"""Real photos and their true attributes from the catalog's array cache, split by origin."""

from __future__ import annotations

import numpy as np
import torch

from vitrine.catalog.save import load_catalog_arrays
from vitrine.evaluate.evaluator import to_tensor


def real_photos(store, origin: str, limit: int | None = None, seed: int = 0) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """Photos (N, 3, 32, 32) in [0, 1] whose Fashion-MNIST origin is `origin` ("train" or "test"),
    with their category/colour/pattern indices; a seeded random subset of `limit` if given."""
    arrays = load_catalog_arrays(store)
    index = np.flatnonzero(arrays["origin"] == origin)
    if limit is not None and limit < len(index):
        index = np.sort(np.random.default_rng(seed).choice(index, size=limit, replace=False))
    labels = {name: arrays[name][index] for name in ("category", "colour", "pattern")}
    return to_tensor(arrays["images"][index]), labels
