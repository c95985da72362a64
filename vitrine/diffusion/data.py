"""Training data for the diffusion model: a shop's own photos with their prompts.

Any store: the photo items catalog.training splits off for training, fitted into the model's
square (catalog.photo_cache; a built catalog at its own size is read from its array cache), and
their prompts encoded by the frozen text encoder (cached per list of texts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vitrine.catalog.training import MIN_PHOTOS, TrainingSplit, split_photo_items, spread
from vitrine.diffusion.train import TrainingData
from vitrine.text.cache import cached_token_states, encode_texts


class NotEnoughPhotos(LookupError):
    """A store whose usable photos are too few to train on."""


@dataclass
class StoreData:
    data: TrainingData
    split: TrainingSplit
    skipped: dict[str, str]  # item ID → why its photo could not be used


def from_arrays(images_nhwc: np.ndarray, texts: list[str], cache_dir: str | Path | None = None,
                progress: bool = True) -> TrainingData:
    """TrainingData from (N, S, S, 3) uint8 photos and their texts (encoded, or read from the cache)."""
    if len(images_nhwc) != len(texts):
        raise ValueError(f"{len(images_nhwc)} images but {len(texts)} texts")
    if cache_dir is not None:
        states, masks = cached_token_states(texts, cache_dir, progress=progress)
    else:
        states, masks = encode_texts(texts, progress=progress)
    null_state, null_mask = encode_texts([""], progress=False)
    images = torch.from_numpy(np.ascontiguousarray(images_nhwc.transpose(0, 3, 1, 2)))
    return TrainingData(images, states, masks, null_state[0], null_mask[0], list(texts))


def from_store(store, size: int = 32, fit: str = "pad", prompts: str = "item", limit: int | None = None,
               seed: int = 0, min_photos: int = MIN_PHOTOS, progress: bool = True, latent_space=None) -> StoreData:
    """The store's training photos at `size` px with their encoded prompts, and the split they came from;
    with a latent_space (diffusion.latents.LatentSpace), their latents too (cached).
    NotEnoughPhotos if fewer than `min_photos` photos can be trained on."""
    from vitrine.catalog.photo_cache import count_reasons, photos_at
    split = split_photo_items(store, seed=seed, prompts=prompts)
    items, images, skipped = photos_at(store, split.train, size, fit, progress)
    if len(items) < min_photos:
        reasons = ", ".join(f"{n} {why}" for why, n in count_reasons(skipped).most_common(3))
        raise NotEnoughPhotos(
            f"{store.data_dir}: {len(items)} usable training photos, at least {min_photos} are needed "
            f"({len(split.train) + len(split.held_out)} items with a photo, {len(split.held_out)} held out"
            + (f", {len(skipped)} unusable: {reasons}" if skipped else "")
            + (f", {split.without_text} without any text" if split.without_text else "") + ")")
    if limit is not None:
        items, images = items[:limit], images[:limit]
    data = from_arrays(images, [p.prompt for p in items], store.data_dir / "cache", progress=progress)
    if latent_space is not None:
        data.latents = latent_space.cached_encode(data.images, store.data_dir / "cache", progress)
    return StoreData(data, split, skipped)


def held_out_sample(store, split: TrainingSplit, size: int, fit: str = "pad", n: int = 256,
                    progress: bool = False, latent_space=None) -> TrainingData | None:
    """Up to n of the held-out photo items (evenly spread) with their prompts encoded (and their
    latents, given a latent_space): what the model card's held-out loss is measured on. None when
    none of them has a usable photo."""
    from vitrine.catalog.photo_cache import photos_at
    items, images, _ = photos_at(store, spread(split.held_out, n), size, fit, progress)
    if not items:
        return None
    data = from_arrays(images, [p.prompt for p in items], store.data_dir / "cache", progress=progress)
    if latent_space is not None:
        data.latents = latent_space.encode(data.images, progress=progress)
    return data
