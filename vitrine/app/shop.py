"""The embedded default shop: its catalog built from Fashion-MNIST, its simulated shoppers. A
rebuild never silently replaces a shop's own data (imported items, users that are not simulated)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from vitrine.errors import Conflict, NotFound


def catalog_settings(seed: int, limit: int | None, size: int = 32) -> dict:
    """What the built catalog depends on (stored in meta; `vitrine demo` rebuilds when it differs)."""
    return {"source": "fashion-mnist", "seed": seed, "limit": limit, "image_size": size}


def refuse_replacing_imports(store, force: bool, what: str, items_too: bool) -> None:
    """A Conflict (field "force") when `what` would replace an imported shop's items (when it
    replaces items) or users who are not simulated shoppers, with their events."""
    if force:
        return
    held = store.holdings()
    imported_items = {s: n for s, n in held["items_by_source"].items() if s != "fashion-mnist"} if items_too else {}
    own_users = held["users"] - held["simulated_users"]
    if not (imported_items or own_users):
        return
    parts = [f"{n:,} {source} items" for source, n in imported_items.items()]
    parts += [f"{own_users:,} imported users"] if own_users else []
    parts += [f"{held['events']:,} events"] if held["events"] else []
    replaces = "every item, user and event" if items_too else "every user and event"
    raise Conflict(f"{store.data_dir} holds an imported shop ({', '.join(parts)}); {what} replaces {replaces} — "
                   "force it to lose them, or use another data dir", "force")


def _add_meta(store, key: str, values: dict) -> None:
    """Merge values into the meta entry `key` (the build's settings and timings)."""
    with store.loading() as load:
        load.set_meta(key, {**(store.get_meta(key) or {}), **values})


@dataclass(frozen=True)
class Built:
    items: int
    build_seconds: float
    store_seconds: float


def build_catalog(store, fashion_dir=None, seed: int = 0, limit: int | None = None, force: bool = False,
                  progress: bool = True, size: int = 32) -> Built:
    """The default catalog (Fashion-MNIST photos, coloured, patterned, priced, described) into the
    store, its photos `size` px square."""
    from vitrine.catalog import fashion
    from vitrine.catalog.build import build_catalog as build
    from vitrine.catalog.save import save_catalog
    refuse_replacing_imports(store, force, "building the catalog", items_too=True)
    start = time.perf_counter()
    catalog = build(fashion.load(fashion_dir), seed=seed, limit=limit, progress=progress, size=size)
    built = time.perf_counter()
    save_catalog(store, catalog, seed=seed, progress=progress)
    done = Built(len(catalog), built - start, time.perf_counter() - built)
    _add_meta(store, "catalog", {**catalog_settings(seed, limit, size), "build_seconds": round(done.build_seconds, 1),
                                 "store_seconds": round(done.store_seconds, 1)})
    return done


@dataclass(frozen=True)
class Simulated:
    users: int
    events: int
    views: int
    carts: int
    purchases: int
    new_items: int
    simulate_seconds: float
    store_seconds: float


def simulate_shoppers(store, users: int = 25_000, seed: int = 0, force: bool = False,
                      progress: bool = True) -> Simulated:
    """Shoppers with known preferences and their event log over the default catalog, replacing
    the store's users and events."""
    import numpy as np

    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.catalog.save import save_shopper_log
    from vitrine.catalog.shoppers import ShopperConfig, simulate
    rows = store.item_rows(("id", "category", "colour", "pattern", "price"), source="fashion-mnist")
    if not rows:
        raise NotFound(f"{store.data_dir} has no Fashion-MNIST catalog; build it first (`vitrine catalog build`)")
    refuse_replacing_imports(store, force, "simulating shoppers", items_too=False)
    ids, cats, cols, pats, prices = zip(*rows)
    index = lambda names, values: np.array([names.index(v) for v in values])  # noqa: E731
    start = time.perf_counter()
    log = simulate(index(CATEGORY_NAMES, cats), index(COLOUR_NAMES, cols), index(PATTERN_NAMES, pats),
                   np.array(prices, dtype=float), ShopperConfig(n_users=users, seed=seed), progress=progress)
    simulated = time.perf_counter()
    save_shopper_log(store, log, list(ids), progress=progress)
    counts = np.bincount(log.event, minlength=3)
    done = Simulated(users, len(log.event), int(counts[0]), int(counts[1]), int(counts[2]), len(log.new_items),
                     simulated - start, time.perf_counter() - simulated)
    _add_meta(store, "shoppers", {"simulate_seconds": round(done.simulate_seconds, 1),
                                  "store_seconds": round(done.store_seconds, 1)})
    return done


@dataclass(frozen=True)
class Exported:
    items: int
    photos: int
    events: int
    users: int


def export_sample(store, folder, items: int = 2000) -> Exported:
    """A slice of the shop in the generic import layout (items.csv, interactions.csv, images/):
    the first `items` items by ID with their photos and every event on them — a shop to import
    elsewhere (`vitrine import generic FOLDER`)."""
    import csv
    import shutil
    from pathlib import Path

    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise Conflict(f"{folder} is not empty; give a new folder", "folder")
    columns = ("id", "title", "description", "category", "colour", "pattern", "brand", "price")
    rows = store.item_rows(columns)[:items]
    if not rows:
        raise NotFound(f"{store.data_dir} holds no items to export")
    chosen = {r.id for r in rows}
    (folder / "images").mkdir(parents=True, exist_ok=True)
    with open(folder / "items.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("item_id",) + columns[1:])
        writer.writerows(tuple("" if v is None else v for v in r) for r in rows)
    photos = 0
    for item_id, path in store.main_photos(sorted(chosen)):
        source = store.images.resolve(path)
        shutil.copyfile(source, folder / "images" / f"{item_id}{source.suffix}")
        photos += 1
    events, users = 0, set()
    with open(folder / "interactions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("user_id", "item_id", "event", "timestamp"))
        for batch_users, batch_items, batch_events, batch_ts in store.interaction_batches():
            for user, item, event, ts in zip(batch_users, batch_items, batch_events, batch_ts.tolist()):
                if item in chosen:
                    writer.writerow((user, item, event, ts))
                    events += 1
                    users.add(user)
    return Exported(len(rows), photos, events, len(users))
