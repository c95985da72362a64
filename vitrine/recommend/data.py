"""The shop's log as index arrays, and the evaluation folds built from its temporal split.

A fold is what one evaluation needs: a training matrix (users × items, event-weighted counts of
everything before the cut) and, per user, the items they interacted with in the target period.
- "valid": train on the train period, target the valid period (for tuning);
- "test":  train on train + valid, target the test period (for the report);
- "all":   train on everything, no targets (the model a shop serves).
Nothing from the target period reaches the training matrix (tests/recommend/test_data.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from vitrine.catalog.splits import split_of
from vitrine.storage.store import Store

# Confidence of one event in the training matrix: a purchase says more than a cart, a cart more
# than a view (the usual implicit-feedback weighting; Hu, Koren & Volinsky 2008 use 1 + α·r).
EVENT_WEIGHT = {"view": 1.0, "cart": 3.0, "purchase": 5.0, "rating": 1.0}
SHORT_HISTORY = 5  # users with at most this many training events form the "short" segment


@dataclass
class Log:
    """The whole log in index form, with the item and user IDs those indices stand for."""

    user_ids: np.ndarray          # (U,) str
    item_ids: np.ndarray          # (I,) str, every catalog item, in catalog order
    user: np.ndarray              # (E,) int32 index into user_ids
    item: np.ndarray              # (E,) int32 index into item_ids
    weight: np.ndarray            # (E,) float32 EVENT_WEIGHT of the event
    bought: np.ndarray            # (E,) bool, a purchase
    ts: np.ndarray                # (E,) int64 epoch ms
    is_new: np.ndarray            # (I,) bool, cold-start items (on sale only in the test period)
    train_end_ms: int
    valid_end_ms: int

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)


def load_log(store: Store) -> Log:
    """Read users, items and every interaction of a store into a Log."""
    split = split_of(store)
    item_rows = store.item_rows(("id", "is_new"))
    user_ids = np.array(store.user_ids(), dtype=object)
    if not item_rows:
        raise LookupError(f"{store.data_dir}: no items; build or import a catalog first")
    item_ids = np.array([r.id for r in item_rows], dtype=object)
    is_new = np.array([bool(r.is_new) for r in item_rows])
    user_pos = {u: k for k, u in enumerate(user_ids)}
    item_pos = {i: k for k, i in enumerate(item_ids)}
    user, item, weight, bought, ts = [], [], [], [], []
    for users, items, events, times in store.interaction_batches():  # indices per batch: no 17 M strings at once
        u = np.fromiter((user_pos.get(x, -1) for x in users), np.int32, len(users))
        i = np.fromiter((item_pos.get(x, -1) for x in items), np.int32, len(items))
        # a shopper or item added while this read runs (the service takes events during a refit) is not in
        # the lists read before: its events count from the next fit, as its vector does
        known = (u >= 0) & (i >= 0)
        user.append(u[known])
        item.append(i[known])
        weight.append(np.fromiter((EVENT_WEIGHT.get(e, 1.0) for e in events), np.float32, len(events))[known])
        bought.append(np.fromiter((e == "purchase" for e in events), bool, len(events))[known])
        ts.append(times[known])
    if not ts:
        raise LookupError(f"{store.data_dir}: no interactions; simulate shoppers or import a log first")
    return Log(user_ids=user_ids, item_ids=item_ids, user=np.concatenate(user), item=np.concatenate(item),
               weight=np.concatenate(weight), bought=np.concatenate(bought), ts=np.concatenate(ts), is_new=is_new,
               train_end_ms=split.train_end_ms, valid_end_ms=split.valid_end_ms)


@dataclass
class Fold:
    """Training data before `cut_ms` and each user's target items in [cut_ms, end_ms)."""

    name: str
    log: Log
    train: sp.csr_matrix          # (U, I) summed event weights before the cut
    bought: sp.csr_matrix         # (U, I) 1 where the user bought the item before the cut
    targets: list[set[int]]       # per user: items interacted with in the target period
    train_events: np.ndarray      # (U,) number of training events per user
    recent_item_counts: np.ndarray  # (I,) events in the last 14 days before the cut
    cut_ms: int

    @property
    def item_users(self) -> np.ndarray:
        """(I,) distinct users per item in training (popularity; novelty's p_i)."""
        return np.asarray((self.train > 0).sum(axis=0)).ravel()

    def users(self, segment: str = "all") -> np.ndarray:
        """Indices of the users with targets in a segment: all, warm (> SHORT_HISTORY training
        events) or short (1 … SHORT_HISTORY). Users with no training events at all are left out:
        no model has anything to go on."""
        has_target = np.array([len(t) > 0 for t in self.targets])
        seen = self.train_events > 0
        if segment == "all":
            keep = has_target & seen
        elif segment == "warm":
            keep = has_target & (self.train_events > SHORT_HISTORY)
        elif segment == "short":
            keep = has_target & seen & (self.train_events <= SHORT_HISTORY)
        else:
            raise ValueError(f"unknown segment {segment!r}; choose all, warm or short")
        return np.flatnonzero(keep)


def make_fold(log: Log, name: str) -> Fold:
    if name == "valid":
        cut, end = log.train_end_ms, log.valid_end_ms
    elif name == "test":
        cut, end = log.valid_end_ms, np.iinfo(np.int64).max
    elif name == "all":
        cut = end = int(log.ts.max()) + 1
    else:
        raise ValueError(f"unknown fold {name!r}; choose valid, test or all")
    before = log.ts < cut
    during = (log.ts >= cut) & (log.ts < end)
    shape = (log.n_users, log.n_items)
    # coo → csr sums repeated (user, item) events; prune() trims the arrays to the summed entries
    train = sp.coo_matrix((log.weight[before], (log.user[before], log.item[before])), shape=shape).tocsr()
    train.prune()
    b = before & log.bought
    bought = sp.coo_matrix((np.ones(b.sum(), np.float32), (log.user[b], log.item[b])), shape=shape).tocsr()
    bought.prune()
    bought.data[:] = 1.0
    targets: list[set[int]] = [set() for _ in range(log.n_users)]
    for u, i in zip(log.user[during].tolist(), log.item[during].tolist()):
        targets[u].add(i)
    recent = before & (log.ts >= cut - 14 * 86_400_000)
    return Fold(name=name, log=log, train=train.astype(np.float32), bought=bought, targets=targets,
                train_events=np.bincount(log.user[before], minlength=log.n_users),
                recent_item_counts=np.bincount(log.item[recent], minlength=log.n_items).astype(np.float32),
                cut_ms=cut)
