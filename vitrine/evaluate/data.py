"""A shop's real photos with their labels, on the two sides of the generator's split.

The evaluator learns from the photos the generator trains on and is scored on the ones it holds
out (catalog.training decides which). Its label columns are those the shop fills in: category
always, colour and pattern where at least half of the trained photos carry a value and there are
two or more values. A column whose values are all among the built catalog's classes keeps that
order, so an evaluator trained on the built catalog (or on it imported as a shop) reads like the
shipped one; any other shop's classes are its values sorted by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vitrine.evaluate.evaluator import BUILT_CLASSES, COLUMNS, MISSING, SIZE, to_tensor

MIN_SHARE = 0.5  # an optional column is read when at least this share of the trained photos has a value


class NoLabels(LookupError):
    """A store whose photos carry no category to learn."""


@dataclass
class LabelledPhotos:
    item_ids: list[str]
    images: np.ndarray                # (N, S, S, 3) uint8, as the photo cache holds them
    labels: dict[str, np.ndarray]     # column → class index per photo (MISSING where the item has none)
    prompts: list[str]                # each item's prompt (catalog.prompts.item_prompt)

    def __len__(self) -> int:
        return len(self.item_ids)

    def pixels(self) -> torch.Tensor:
        """The photos as the evaluator reads them: (N, 3, S, S) float in [0, 1]."""
        return to_tensor(self.images)


@dataclass
class ShopPhotos:
    train: LabelledPhotos
    held_out: LabelledPhotos
    classes: dict[str, tuple[str, ...]]
    rule: str                          # how the held-out items were chosen, in words
    skipped: dict[str, str]            # item ID → why its photo could not be used


def label_classes(values: dict[str, list[str | None]]) -> dict[str, tuple[str, ...]]:
    """The columns worth reading and the classes of each, from the trained photos' values."""
    classes = {}
    for column in COLUMNS:
        present = [v for v in values.get(column, []) if v]
        distinct = set(present)
        if column != "category" and (len(present) < MIN_SHARE * max(len(values[column]), 1) or len(distinct) < 2):
            continue
        if not distinct:
            continue
        built = BUILT_CLASSES[column]
        classes[column] = tuple(built) if distinct <= set(built) else tuple(sorted(distinct))
    if "category" not in classes:
        raise NoLabels("no photo item has a category; the evaluator learns at least the category column")
    return classes


def shop_photos(store, size: int = SIZE, fit: str = "pad", seed: int = 0, progress: bool = True) -> ShopPhotos:
    """The shop's labelled photos at `size` px, split as the generator's training split (`seed`)."""
    from vitrine.catalog.photo_cache import photos_at
    from vitrine.catalog.training import split_photo_items
    split = split_photo_items(store, seed=seed)
    train, train_images, skipped = photos_at(store, split.train, size, fit, progress)
    held, held_images, skipped_held = photos_at(store, split.held_out, size, fit, progress)
    rows = {r.id: r for r in store.item_rows(("id",) + COLUMNS, ids=[p.item_id for p in train + held])}
    classes = label_classes({c: [getattr(rows[p.item_id], c) for p in train] for c in COLUMNS})

    def labelled(items, images) -> LabelledPhotos:
        labels = {c: np.array([_index(names, getattr(rows[p.item_id], c)) for p in items], dtype=np.int64)
                  for c, names in classes.items()}
        return LabelledPhotos([p.item_id for p in items], images, labels, [p.prompt for p in items])

    return ShopPhotos(labelled(train, train_images), labelled(held, held_images), classes, split.rule,
                      {**skipped, **skipped_held})


def _index(names: tuple[str, ...], value: str | None) -> int:
    return names.index(value) if value in names else MISSING


def subset(photos: LabelledPhotos, limit: int | None, seed: int = 0) -> LabelledPhotos:
    """A seeded random `limit` of the photos (all of them without a limit), in their order."""
    if limit is None or limit >= len(photos):
        return photos
    index = np.sort(np.random.default_rng(seed).choice(len(photos), size=limit, replace=False))
    return LabelledPhotos([photos.item_ids[i] for i in index], photos.images[index],
                          {c: v[index] for c, v in photos.labels.items()}, [photos.prompts[i] for i in index])
