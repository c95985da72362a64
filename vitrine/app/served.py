"""Recommendations served from a cache: each shopper's re-ranked top CACHE_DEPTH items, computed
in batch after a fit and kept in the store (`recommendation_cache`), where every API process reads
them. A request filters, pages and decorates an entry; it computes nothing while the entry holds.

An entry is valid while it belongs to the served fit and the shopper has no event after the row
it was computed from (one indexed seek, in the same statement that reads it: storage/served.py),
so an event in any process makes the shopper's next request recompute — the process that stored
the event does so at once, and the next request finds the fresh entry. Requests the entry cannot
answer in full (a filter leaving fewer than k, k beyond its depth) are ranked live, as before.

An entry is bytes: n, then n item indices (int32), n scores (float32), and n × EXPLAIN "because"
item indices (int32, −1 where there are fewer), all indices into the fit's item list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitrine.progress import Reporter, bar
from vitrine.recommend.serve import RERANK_DEPTH, Suggestion

# The re-ranking picks from the RERANK_DEPTH best candidates, so its top RERANK_DEPTH is the list
# every k ≤ RERANK_DEPTH is a prefix of: caching that many serves those requests exactly as a live
# ranking would (the lists `vitrine eval diversity` measured).
CACHE_DEPTH = RERANK_DEPTH
EXPLAIN = 2
BATCH_USERS = 1024


def encode(recs, suggestions: list[Suggestion]) -> bytes:
    n = len(suggestions)
    items = np.array([recs.item_pos[s.item_id] for s in suggestions], np.int32)
    scores = np.array([s.score for s in suggestions], np.float32)
    because = np.full((n, EXPLAIN), -1, np.int32)
    for row, s in enumerate(suggestions):
        for col, item_id in enumerate(s.because[:EXPLAIN]):
            because[row, col] = recs.item_pos[item_id]
    return np.int32(n).tobytes() + items.tobytes() + scores.tobytes() + because.tobytes()


@dataclass(frozen=True)
class Entry:
    """A decoded entry: arrays over its n items, best first."""
    items: np.ndarray    # (n,) item indices
    scores: np.ndarray   # (n,)
    because: np.ndarray  # (n, EXPLAIN) item indices, −1 where there are fewer

    @classmethod
    def decode(cls, entry: bytes) -> "Entry":
        n = int(np.frombuffer(entry, np.int32, 1)[0])
        return cls(np.frombuffer(entry, np.int32, n, 4), np.frombuffer(entry, np.float32, n, 4 + 4 * n),
                   np.frombuffer(entry, np.int32, n * EXPLAIN, 4 + 8 * n).reshape(n, EXPLAIN))

    def __len__(self) -> int:
        return len(self.items)

    def suggestions(self, recs, positions) -> list[Suggestion]:
        """The entry's items at these positions as Suggestions (IDs, scores, because IDs)."""
        ids = recs.item_ids
        return [Suggestion(str(ids[self.items[p]]), float(self.scores[p]),
                           [str(ids[j]) for j in self.because[p].tolist() if j >= 0]) for p in positions]


def warm(ctx, progress: bool | Reporter = True) -> int:
    """Compute and store every fitted shopper's entry (events after the fit are not read here:
    a shopper who has some is recomputed on their next request). Entries of older fits are
    dropped. Returns how many were stored."""
    recs = ctx.require_recommender()
    users = np.arange(len(recs.user_ids))
    stored = 0
    with bar(len(users), "cache recommendations", "shopper", progress) as shown:
        for start in range(0, len(users), BATCH_USERS):
            chunk = users[start:start + BATCH_USERS]
            lists = recs.rank_users(chunk, ctx.deleted, CACHE_DEPTH, EXPLAIN)
            ctx.store.save_entries(ctx.fit_id, [(str(recs.user_ids[u]), ctx.fit_mark, encode(recs, found))
                                                for u, found in zip(chunk, lists)])
            stored += len(chunk)
            shown.update(len(chunk))
    ctx.store.drop_entries(keep_fit=ctx.fit_id)
    return stored


def cached(ctx, user_id: str, compute) -> tuple[Entry, str | None] | None:
    """(the shopper's top CACHE_DEPTH, bought items left out, the catalog version read with it):
    from their valid entry, or from `compute()` → (suggestions, the newest event row it read),
    stored for the next request; None when there is no valid entry and `compute` is None."""
    recs, fit = ctx.require_recommender(), ctx.fit_id
    entry, catalog = ctx.read_entry(user_id)
    if entry is None and compute is None:
        return None
    if entry is None:
        suggestions, mark = compute()
        entry = encode(recs, suggestions)
        if ctx.recs is recs:  # not refitted meanwhile
            ctx.store.save_entries(fit, [(user_id, mark, entry)])
    return Entry.decode(entry), catalog
