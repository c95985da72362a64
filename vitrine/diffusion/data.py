"""Training data for the diffusion model: the shop's own photos with their descriptions.

From a store built by `vitrine catalog build`: the items whose photo is in Fashion-MNIST's train
split and that are not new (cold-start) items — the test photos stay unseen for evaluation, and
new items' photos stay unseen so generating their previews is a fair test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sqlalchemy import select

from vitrine.catalog.save import load_catalog_arrays
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


def training_texts(store, ids: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Which rows of the catalog's array cache train the generator, and their descriptions.
    `ids`: the cache's item_ids, when the caller has read them already."""
    from vitrine.catalog import schema
    ids = load_catalog_arrays(store)["item_ids"] if ids is None else ids
    items = schema.Item.__table__
    with store.engine.connect() as conn:
        rows = conn.execute(select(items.c.id, items.c.description, items.c.is_new, items.c.attributes)).all()
    text_of = {r.id: r.description or "" for r in rows
               if not r.is_new and (r.attributes or {}).get("fmnist_split") == "train"}
    keep = np.flatnonzero([i in text_of for i in ids])
    return keep, [text_of[ids[k]] for k in keep]


def from_store(store, limit: int | None = None, progress: bool = True) -> TrainingData:
    arrays = load_catalog_arrays(store)  # each npz field read decompresses it: read each once
    keep, texts = training_texts(store, arrays["item_ids"])
    if limit is not None:
        keep, texts = keep[:limit], texts[:limit]
    if len(keep) == 0:
        raise LookupError(f"{store.data_dir}: no training photos found")
    return from_arrays(arrays["images"][keep], texts, store.data_dir / "cache", progress=progress)
