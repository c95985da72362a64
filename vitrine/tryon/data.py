"""Training data for the try-on model: people of the set, one garment each time, and its description.

A training example is (person i, slot s): the picture, the region to repaint and the token states
of the description of the garment person i wears in slot s. The region (model.training_mask) is
that garment's pixels grown by a pixel, or its bounding box; or — so that one garment can replace
another of a different cut — its pixels together with the region a garment of another category
of the slot would cover on the same body (a t-shirt where a coat was, sandals where boots were),
where the model learns to paint skin, trousers or background in the part the new garment leaves.

The last `held_out` people of the set are never trained on (the evaluation dresses them), and
only garments whose photo is in Fashion-MNIST's train split are: the evaluation's new garments
come from the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from vitrine.tryon.people import FOOTWEAR, SLOT_LABELS, TOPS, body_of, garment_region
from vitrine.tryon.people_set import SLOTS, PeopleSet, person_of

HELD_OUT = 500


def held_out_for(n_people: int) -> int:
    """People kept out of try-on training, the last of the set: HELD_OUT, or a quarter of a small set (tests)."""
    return min(HELD_OUT, n_people // 4)


@dataclass
class TryOnData:
    """What TryOnTrainer.batch draws from; pictures and regions stay 64×64 numpy arrays."""

    images: np.ndarray        # (n, 64, 64, 3) uint8
    labels: np.ndarray        # (n, 64, 64) uint8
    other_region: np.ndarray  # (n, 3, 64, 64) bool: another category's region per slot (empty if none)
    examples: np.ndarray      # (E, 3) int: person, slot, row of the description's states
    states: torch.Tensor      # (D, L, 384) float16, one row per distinct description
    masks: torch.Tensor       # (D, L) bool
    null_state: torch.Tensor
    null_mask: torch.Tensor
    texts: list[str]

    def __len__(self) -> int:
        return len(self.examples)


def other_regions(people: PeopleSet, categories: dict[str, str | None], seed: int = 0,
                  progress: bool = True) -> np.ndarray:
    """For each person and slot, the region a garment of another category of that slot would
    cover on their body: a random other top category, the other footwear; none for trousers."""
    rng = np.random.default_rng(seed)
    n, size = len(people.images), people.images.shape[1]
    out = np.zeros((n, len(SLOTS), size, size), bool)
    for i in tqdm(range(n), desc="garment regions", unit="person", disable=not progress):
        body = body_of(person_of(people.persons[i]))
        for s, (slot, pool) in enumerate((("top", TOPS), ("bottom", ()), ("shoes", FOOTWEAR))):
            worn = categories.get(str(people.worn[i][s]))
            others = [c for c in pool if c != worn]
            if worn and others:
                out[i, s] = garment_region(body, others[rng.integers(len(others))])
    return out


def training_examples(people: PeopleSet, train_split: set[str], held_out: int = HELD_OUT) -> list[tuple[int, int, str]]:
    """(person, slot, item) for every garment worn by a trained-on person whose photo is in the
    train split and that shows in the picture."""
    out = []
    for i in range(max(len(people.images) - held_out, 0)):
        for s, slot in enumerate(SLOTS):
            item = str(people.worn[i][s])
            if item in train_split and (people.labels[i] == SLOT_LABELS[slot]).any():
                out.append((i, s, item))
    return out


def from_people(store, people: PeopleSet, held_out: int = HELD_OUT, limit: int | None = None,
                progress: bool = True) -> TryOnData:
    from vitrine.text.cache import cached_token_states, encode_texts
    rows = {r.id: r for r in store.item_rows(("id", "category", "description", "attributes"))}
    train_split = {i for i, r in rows.items() if (r.attributes or {}).get("fmnist_split", "train") == "train"}
    found = training_examples(people, train_split, held_out)
    if limit is not None:
        found = found[:limit]
    if not found:
        raise LookupError(f"{store.data_dir}: no training garments in the people set "
                          f"({len(people.images)} people, {held_out} held out)")
    texts = sorted({rows[item].description or "" for _, _, item in found})
    row_of = {text: k for k, text in enumerate(texts)}
    examples = np.array([(i, s, row_of[rows[item].description or ""]) for i, s, item in found], np.int64)
    states, masks = cached_token_states(texts, store.data_dir / "cache", progress=progress)
    null_state, null_mask = encode_texts([""], progress=False)
    categories = {i: r.category for i, r in rows.items()}
    return TryOnData(people.images, people.labels, other_regions(people, categories, progress=progress), examples,
                     states, masks, null_state[0], null_mask[0], texts)
