"""A shop's photos fitted into the generator's square once, kept in the store's cache.

`fitted_photos(store, photos, size, fit)` reads each (item ID, photo path) once, fits it
(catalog.photos), and keeps the result in DATA_DIR/cache/photos-SIZE-FIT-KEY.npz, KEY a digest of
the exact list of photos: a photo replaced in the store has a new path (its content hash), so a
changed catalog is fitted again. The file is written atomically: a full disk or a stop leaves no
half cache behind, and the next run starts over. `photos_at(store, items, size, fit)` reads a
built catalog at its own size from its array cache instead.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vitrine.atomic import replacing
from vitrine.catalog.photos import UnusablePhoto, read_photo

FORMAT = 1  # bump when fitting changes, so old caches are not read


@dataclass
class FittedPhotos:
    item_ids: list[str]
    images: np.ndarray                       # (N, size, size, 3) uint8, in item_ids' order
    skipped: dict[str, str] = field(default_factory=dict)  # item ID → why its photo is unusable


def count_reasons(skipped: dict[str, str]) -> Counter:
    """How many photos were skipped for each kind of reason (a reason's words before its bracket)."""
    return Counter(reason.split(" (")[0] for reason in skipped.values())


def cache_file(data_dir: Path, photos: list[tuple[str, str]], size: int, fit: str) -> Path:
    digest = hashlib.sha256(json.dumps([FORMAT, size, fit, photos]).encode()).hexdigest()[:16]
    return Path(data_dir) / "cache" / f"photos-{size}-{fit}-{digest}.npz"


def fitted_photos(store, photos: list[tuple[str, str]], size: int, fit: str = "pad",
                  progress: bool = True) -> FittedPhotos:
    """The listed photos fitted to (size, size), from the cache or read now and cached."""
    path = cache_file(store.data_dir, photos, size, fit)
    if path.exists():
        try:
            with np.load(path) as saved:
                return FittedPhotos(list(saved["item_ids"]), saved["images"], json.loads(str(saved["skipped"])))
        except (OSError, ValueError, KeyError):
            pass  # damaged: fitted again below, and replaced
    kept, images, skipped = [], [], {}
    for item_id, rel_path in tqdm(photos, desc=f"fit photos to {size} px", unit="photo", disable=not progress,
                                  mininterval=1.0):
        try:
            images.append(read_photo(store.images.resolve(rel_path), size, fit))
        except UnusablePhoto as exc:
            skipped[item_id] = str(exc)
            continue
        except ValueError as exc:  # a path outside the image store
            skipped[item_id] = f"unreadable ({exc})"
            continue
        kept.append(item_id)
    stacked = np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)
    with replacing(path) as tmp:
        np.savez(tmp, item_ids=np.array(kept, dtype=str), images=stacked, skipped=json.dumps(skipped))
    return FittedPhotos(kept, stacked, skipped)


def built_arrays(store, size: int) -> tuple[list[str], np.ndarray] | None:
    """A built catalog's own photos when they are at `size` px: (item IDs, images); else None."""
    from vitrine.catalog.save import load_catalog_arrays
    meta = store.get_meta("catalog") or {}
    if meta.get("source") != "fashion-mnist" or meta.get("image_size", 32) != size:
        return None
    try:
        arrays = load_catalog_arrays(store)
    except LookupError:
        return None
    return [str(i) for i in arrays["item_ids"]], arrays["images"]  # each npz field read decompresses it: once


def photos_at(store, items: list, size: int, fit: str = "pad", progress: bool = True) -> tuple[list, np.ndarray, dict]:
    """The photos of `items` (anything with .item_id and .path) at (size, size): the items whose photo
    could be used, their images (N, size, size, 3) uint8, and item ID → why for the rest."""
    built = built_arrays(store, size)
    if built is not None:
        position = {item_id: k for k, item_id in enumerate(built[0])}
        kept = [p for p in items if p.item_id in position]
        return kept, built[1][[position[p.item_id] for p in kept]], {}
    fitted = fitted_photos(store, [(p.item_id, p.path) for p in items], size, fit, progress)
    usable = set(fitted.item_ids)
    return [p for p in items if p.item_id in usable], fitted.images, fitted.skipped
