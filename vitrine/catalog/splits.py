"""The temporal split and the cold-start item set, read from what the store records.

train: ts < train_end; valid: train_end ≤ ts < valid_end; test: ts ≥ valid_end. Every model
trains on train (tuning on valid), and is scored on test. New items are on sale only in the test
period, so they have no train or valid events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitrine.storage.store import Store


@dataclass(frozen=True)
class TemporalSplit:
    train_end_ms: int
    valid_end_ms: int

    def assign(self, ts: np.ndarray) -> np.ndarray:
        """0 = train, 1 = valid, 2 = test, per event time."""
        return np.searchsorted([self.train_end_ms, self.valid_end_ms], ts, side="right").astype(np.int8)

    def masks(self, ts: np.ndarray) -> dict[str, np.ndarray]:
        part = self.assign(ts)
        return {"train": part == 0, "valid": part == 1, "test": part == 2}


def split_of(store: Store) -> TemporalSplit:
    meta = store.get_meta("split")
    if meta is None:
        raise LookupError(f"{store.data_dir}: no split recorded; run `vitrine shoppers simulate` or an import first")
    return TemporalSplit(int(meta["train_end_ms"]), int(meta["valid_end_ms"]))


def new_item_ids(store: Store) -> list[str]:
    return store.new_item_ids()
