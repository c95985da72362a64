"""Write a built catalog and a simulated shopper log into a store, each in one transaction."""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from vitrine.atomic import replacing
from vitrine.storage import schema
from vitrine.catalog.attributes import BRAND_NAMES, CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
from vitrine.catalog.build import Catalog
from vitrine.storage.images import encode_png
from vitrine.catalog.shoppers import ShopperLog
from vitrine.storage.store import Store

ARRAYS_FILE = "catalog/fashion-32.npz"  # under the data dir: the pixels and labels, for training
EVENT_CHUNK = 200_000  # events turned into rows at a time


def save_catalog(store: Store, catalog: Catalog, seed: int, progress: bool = True) -> None:
    """Replace the store's contents with `catalog`: items, their photos as files, and an array cache."""
    rows, links = [], []
    size = catalog.images.shape[1]
    with store.loading() as load:
        load.clear()
        for i in tqdm(range(len(catalog)), desc="store items", unit="item", disable=not progress, mininterval=0.5):
            item_id = catalog.item_ids[i]
            image = load.images.put_verified(encode_png(catalog.images[i]), size, size, "PNG")
            links.append((item_id, image, 0))
            rows.append({
                "id": item_id, "title": catalog.titles[i], "description": catalog.descriptions[i],
                "category": CATEGORY_NAMES[catalog.category[i]], "colour": COLOUR_NAMES[catalog.colour[i]],
                "pattern": PATTERN_NAMES[catalog.pattern[i]], "brand": BRAND_NAMES[catalog.brand[i]],
                "price": float(catalog.price[i]), "source": "fashion-mnist", "launched_at": None,
                "is_new": False,
                "attributes": {"fmnist_split": str(catalog.origin[i]), "fmnist_index": int(catalog.source_index[i])},
            })
        load.insert(schema.Item, rows)
        load.attach_images(links)
        load.set_meta("catalog", {"source": "fashion-mnist", "seed": seed, "items": len(catalog),
                                  "image_size": size, "arrays": ARRAYS_FILE})
    store.prune_images()  # the replaced rows' photos, now pointed to by nothing
    cache = store.data_dir / ARRAYS_FILE
    with replacing(cache) as tmp:
        np.savez_compressed(tmp, images=catalog.images, category=catalog.category, colour=catalog.colour,
                            pattern=catalog.pattern, item_ids=np.array(catalog.item_ids), origin=catalog.origin)


def load_catalog_arrays(store: Store):
    """The array cache `save_catalog` wrote (images, category, colour, pattern, item_ids, origin)."""
    meta = store.get_meta("catalog")
    if not meta or meta.get("source") != "fashion-mnist":
        raise LookupError(f"{store.data_dir}: no Fashion-MNIST catalog; run `vitrine catalog build` first")
    path = store.data_dir / meta["arrays"]
    if not path.exists():
        raise LookupError(f"{path}: the catalog's array cache is missing; run `vitrine catalog build` again")
    return np.load(path)


def save_shopper_log(store: Store, log: ShopperLog, item_ids: list[str], progress: bool = True) -> None:
    """Replace users and interactions with the simulated ones; mark the new (cold-start) items."""
    cfg = log.config
    events = np.array(ShopperLog.EVENT_NAMES)[log.event]
    user_ids = [f"u-{u:05d}" for u in range(len(log.activity))]
    ids = np.array(item_ids, dtype=object)
    new_ids = [item_ids[i] for i in log.new_items]
    with store.loading() as load:
        load.replace_users_and_events()
        load.mark_new_items(dict.fromkeys(new_ids, cfg.valid_end_ms), clear_launch_times=True)
        load.insert(schema.User, [{"id": uid, "attributes": {"simulated": True},
                                   "true_preferences": log.true_preferences(u)} for u, uid in enumerate(user_ids)])
        user_col = np.array(user_ids, dtype=object)
        with tqdm(total=len(log.ts), desc="store events", unit="event", disable=not progress, mininterval=0.5) as bar:
            for start in range(0, len(log.ts), EVENT_CHUNK):  # rows built per chunk: memory bounded however long the log
                sl = slice(start, start + EVENT_CHUNK)
                rows = [{"user_id": u, "item_id": i, "event": e, "ts": t, "session_id": f"s{s}", "value": None}
                        for u, i, e, t, s in zip(user_col[log.user[sl]], ids[log.item[sl]], events[sl],
                                                 log.ts[sl].tolist(), log.session[sl].tolist())]
                load.insert(schema.Interaction, rows, progress=bar)
        load.set_meta("split", log.split_meta())
        load.set_meta("shoppers", {"users": len(user_ids), "events": len(log.ts),
                                   "new_items": len(new_ids), "seed": cfg.seed})
