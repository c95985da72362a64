"""Which of a shop's photos train its generator, which are held out, and the prompt of each.

Every item with a photo takes part, whatever the source; its prompt is its own text
(catalog.prompts.item_prompt), or its description alone with `prompts="description"`. Held out,
never trained on, recorded with the model:
- a built catalog (`vitrine catalog build`): Fashion-MNIST's test-split photos and the new items,
  so the judge's test photos stay unseen and previews of new items are a fair test;
- any other shop: the new items (those launched in the test period) and a seeded share of the rest,
  drawn by a hash of the seed and the item ID, so an item keeps its side when others are added.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

from vitrine.catalog.prompts import item_prompt

HELD_OUT_SHARE = 0.1
MIN_PHOTOS = 200   # fewer photos than this teach a generator nothing a shop could use
PROMPTS = ("item", "description")  # what a photo's prompt is made of
FITS = ("pad", "crop")             # how a photo of another shape is fitted into the square (catalog.photos)


@dataclass
class PhotoItem:
    item_id: str
    prompt: str
    path: str  # the photo, relative to the data directory


@dataclass
class TrainingSplit:
    train: list[PhotoItem]
    held_out: list[PhotoItem]
    rule: str                                            # how the held-out items were chosen, in words
    without_text: int = 0                                # photo items with no text at all, left out
    source: str = ""                                     # where the items came from (fashion-mnist, generic, hm, …)

    def record(self) -> dict:
        """What a model folder keeps of the split (heldout.json)."""
        return {"rule": self.rule, "source": self.source, "train_items": len(self.train),
                "held_out_items": len(self.held_out), "without_text": self.without_text,
                "held_out": [p.item_id for p in self.held_out]}


def spread(items, n: int):
    """Up to n of `items` (a list, array or tensor), evenly spread over it, in its order."""
    return items[:: max(len(items) // n, 1)][:n]


def hashed_share(item_id: str, seed: int) -> float:
    """A number in [0, 1) fixed by the seed and the item ID."""
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_photo_items(store, share: float = HELD_OUT_SHARE, seed: int = 0, prompts: str = "item") -> TrainingSplit:
    """The store's photo items, split into trained-on and held-out, each with its prompt."""
    if prompts not in PROMPTS:
        raise ValueError(f"prompts: choose one of {', '.join(PROMPTS)}, got {prompts!r}")
    if not 0 <= share < 1:
        raise ValueError(f"the held-out share must lie in [0, 1), got {share}")
    photos = dict(store.main_photos())
    meta = store.get_meta("catalog") or {}
    built = meta.get("source") == "fashion-mnist"
    rows = store.item_rows(("id", "title", "description", "category", "colour", "pattern", "is_new", "attributes",
                            "source"),
                           ids=list(photos))
    train, held_out, without_text = [], [], 0
    for row in sorted(rows, key=lambda r: r.id):
        prompt = (" ".join((row.description or "").split()) if prompts == "description" else
                  item_prompt(row.description, row.category, row.colour, row.pattern, row.title))
        if not prompt:
            without_text += 1
            continue
        if built:
            keep = not row.is_new and (row.attributes or {}).get("fmnist_split") == "train"
        else:
            keep = not row.is_new and hashed_share(row.id, seed) >= share
        (train if keep else held_out).append(PhotoItem(row.id, prompt, photos[row.id]))
    rule = ("Fashion-MNIST's test split and the new items" if built else
            f"the new items and a {share:.0%} share of the rest (seed {seed})")
    sources = Counter(r.source for r in rows)
    source = ", ".join(name for name, _ in sources.most_common()) or "none"
    return TrainingSplit(train, held_out, rule, without_text, source)
