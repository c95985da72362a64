"""The people set: n drawn people, each wearing a top (or a dress), trousers unless a dress, and
shoes, all taken from the catalog; saved with each picture's label map, the items worn and the
person's parameters, so any of them can be drawn again wearing something else.

Deterministic from the seed and the catalog. Saved as DATA_DIR/people/people.npz (numpy arrays
only, read back with allow_pickle=False) and people.json (seed, n, what it was drawn from).
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vitrine.tryon.people import BOTTOMS, FOOTWEAR, SIZE, TOPS, Person, draw_person, dress

FOLDER = "people"
SLOTS = ("top", "bottom", "shoes")


@dataclass
class PeopleSet:
    images: np.ndarray   # (n, SIZE, SIZE, 3) uint8
    labels: np.ndarray   # (n, SIZE, SIZE) uint8, people.LABELS
    worn: np.ndarray     # (n, 3) str: the item IDs worn as top, bottom, shoes ("" for none)
    persons: np.ndarray  # (n, P) float32: Person fields, in order (person_of reads a row back)
    seed: int


def person_of(row: np.ndarray) -> Person:
    values, k = [], 0
    for f in fields(Person):
        width = 3 if f.name in ("skin", "hair", "background") else 2 if f.name in ("arms", "legs") else 1
        part = row[k:k + width].tolist()
        values.append(tuple(part) if width > 1 else int(part[0]) if f.name == "hair_style" else part[0])
        k += width
    return Person(*values)


def person_row(person: Person) -> list[float]:
    out: list[float] = []
    for value in astuple(person):
        out.extend(value if isinstance(value, tuple) else [value])
    return out


def item_categories(store) -> dict[str, str | None]:
    return {r.id: r.category for r in store.item_rows(("id", "category"))}


def wardrobe(categories: dict[str, str | None], photos: dict[str, str]) -> dict[str, list[str]]:
    """Item IDs with a photo (`photos`: item → path), per wearable category, sorted."""
    by_category: dict[str, list[str]] = {c: [] for c in TOPS + BOTTOMS + FOOTWEAR}
    for item_id, category in sorted(categories.items()):
        if category in by_category and item_id in photos:
            by_category[category].append(item_id)
    found = {c: ids for c, ids in by_category.items() if ids}
    tops = [c for c in TOPS if c in found]
    if not tops or not any(c in found for c in FOOTWEAR) or (tops != ["dress"] and "trousers" not in found):
        raise ValueError("to dress people the catalog needs photos of tops (t-shirt, shirt, pullover, coat or "
                         "dress), of shoes (sneakers, sandals or ankle boots) and of trousers (unless every top "
                         "is a dress)")
    return found


class PhotoCache:
    """Product photos as (32, 32, 3) arrays, read from the store once each."""

    def __init__(self, store):
        from PIL import Image
        self.store, self.Image, self.cache = store, Image, {}
        self.paths = dict(store.main_photos())

    def __call__(self, item_id: str) -> np.ndarray:
        if item_id not in self.cache:
            with self.Image.open(self.store.images.resolve(self.paths[item_id])) as im:
                self.cache[item_id] = np.asarray(im.convert("RGB"))
        return self.cache[item_id]


def redraw(store, people: PeopleSet, index: int, swap: dict[str, str] | None = None,
           categories: dict[str, str | None] | None = None, photo: PhotoCache | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Person `index` drawn again, with the items in `swap` ({slot: item ID, or None for nothing in
    that slot}) instead of theirs: (picture, labels). With no swap, exactly the saved picture.
    `categories` and `photo`: the catalog's, when the caller redraws many and has read them once."""
    categories = item_categories(store) if categories is None else categories
    photo = PhotoCache(store) if photo is None else photo
    chosen = {slot: item for slot, item in zip(SLOTS, people.worn[index].tolist()) if item}
    chosen.update(swap or {})
    chosen = {slot: item for slot, item in chosen.items() if item}
    if categories.get(chosen.get("top")) == "dress":
        chosen.pop("bottom", None)
    return dress(person_of(people.persons[index]), {slot: (categories[i], photo(i)) for slot, i in chosen.items()})


def build_people(store, n: int, seed: int = 0, progress: bool = True) -> PeopleSet:
    photo, categories = PhotoCache(store), item_categories(store)
    items = wardrobe(categories, photo.paths)
    tops = [c for c in TOPS if c in items]
    shoes = [c for c in FOOTWEAR if c in items]
    rng = np.random.default_rng(seed)
    images = np.empty((n, SIZE, SIZE, 3), np.uint8)
    labels = np.empty((n, SIZE, SIZE), np.uint8)
    worn = np.full((n, 3), "", dtype="U128")
    persons = []
    for k in tqdm(range(n), desc="draw people", unit="person", disable=not progress):
        # through float32 first, so the saved row draws exactly this picture again
        person = person_of(np.asarray(person_row(draw_person(rng)), np.float32))
        top = tops[rng.integers(len(tops))]
        chosen = {"top": items[top][rng.integers(len(items[top]))],
                  "shoes": items[(s := shoes[rng.integers(len(shoes))])][rng.integers(len(items[s]))]}
        if top != "dress":
            chosen["bottom"] = items["trousers"][rng.integers(len(items["trousers"]))]
        images[k], labels[k] = dress(person, {slot: (categories[i], photo(i)) for slot, i in chosen.items()})
        worn[k] = [chosen.get(slot, "") for slot in SLOTS]
        persons.append(person_row(person))
    return PeopleSet(images, labels, worn, np.asarray(persons, np.float32), seed)


def save_people(people: PeopleSet, data_dir: Path) -> Path:
    """Write people.npz and people.json into DATA_DIR/people, replacing both only once written."""
    folder = Path(data_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".people.npz.tmp"
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, images=people.images, labels=people.labels, worn=people.worn,
                            persons=people.persons)
    tmp.replace(folder / "people.npz")
    (folder / "people.json").write_text(json.dumps({"n": len(people.images), "seed": people.seed, "size": SIZE,
                                                    "slots": list(SLOTS)}, indent=2) + "\n")
    return folder / "people.npz"


def load_people(data_dir: Path) -> PeopleSet:
    folder = Path(data_dir) / FOLDER
    meta = json.loads((folder / "people.json").read_text())
    with np.load(folder / "people.npz", allow_pickle=False) as data:
        return PeopleSet(data["images"], data["labels"], data["worn"], data["persons"], meta["seed"])
