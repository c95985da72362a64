"""Training data for the diffusion model: the shop's own photos with their descriptions.

From a store built by `vitrine catalog build`: the photos and descriptions
`vitrine.catalog.training.training_texts` picks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vitrine.catalog.save import load_catalog_arrays
from vitrine.catalog.training import training_texts
from vitrine.diffusion.train import TrainingData
from vitrine.text.cache import cached_token_states, encode_texts


def from_arrays(images_nhwc: np.ndarray, texts: list[str], cache_dir: str | Path | None = None,
                progress: bool = True) -> TrainingData:
    """TrainingData from (N, 32, 32, 3) uint8 photos and their texts (encoded, or read from the cache)."""
    if len(images_nhwc) != len(texts):
        raise ValueError(f"{len(images_nhwc)} images but {len(texts)} texts")
    if cache_dir is not None:
        states, masks = cached_token_states(texts, cache_dir, progress=progress)
    else:
        states, masks = encode_texts(texts, progress=progress)
    null_state, null_mask = encode_texts([""], progress=False)
    images = torch.from_numpy(np.ascontiguousarray(images_nhwc.transpose(0, 3, 1, 2)))
    return TrainingData(images, states, masks, null_state[0], null_mask[0], list(texts))


def from_store(store, limit: int | None = None, progress: bool = True) -> TrainingData:
    arrays = load_catalog_arrays(store)  # each npz field read decompresses it: read each once
    keep, texts = training_texts(store, arrays["item_ids"])
    if limit is not None:
        keep, texts = keep[:limit], texts[:limit]
    if len(keep) == 0:
        raise LookupError(f"{store.data_dir}: no training photos found")
    return from_arrays(arrays["images"][keep], texts, store.data_dir / "cache", progress=progress)
