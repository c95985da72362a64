"""The evaluation protocol: full ranking over the catalog, per segment, with and without filtering.

For each user with targets in the fold's target period, every item is scored and the top K kept
(no sampled negatives). Filters: "none" ranks everything; "bought" drops items the user already
bought before the cut. Segments:
- all / warm / short: users with > 5 or 1–5 training events (see data.SHORT_HISTORY);
- new items: only the cold-start items are ranked, against each user's targets among them — the
  question "which of the new products should this shopper see?". Models that read no content can
  only rank them by chance (they have no history); content models score them from text and image.
"""

from __future__ import annotations

import numpy as np

from vitrine.recommend.baselines import Recommender
from vitrine.recommend.data import Fold
from vitrine.recommend.metrics import evaluate_rankings

SEGMENTS = ("all", "warm", "short", "new items")
FILTERS = ("none", "bought")


def top_k(model: Recommender, users: np.ndarray, k: int, exclude=None, candidates: np.ndarray | None = None,
          batch: int = 1024, with_scores: bool = False):
    """(len(users), k) item indices, best first. `exclude`: a (U, I) sparse matrix whose non-zeros
    are removed per user; `candidates`: rank only these items. With `with_scores`, also their
    scores: (items, scores)."""
    k = min(k, len(candidates) if candidates is not None else k)  # a catalog smaller than k: rank it all
    out = np.empty((len(users), k), dtype=np.int64)
    out_scores = np.empty((len(users), k), dtype=np.float32) if with_scores else None
    for start in range(0, len(users), batch):
        rows = users[start:start + batch]
        scores = np.array(model.scores(rows), dtype=np.float32, copy=True)
        if exclude is not None:
            ex = exclude[rows].tocoo()
            scores[ex.row, ex.col] = -np.inf
        if candidates is not None:
            scores = scores[:, candidates]
        part = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        order = np.take_along_axis(scores, part, 1).argsort(axis=1)[:, ::-1]
        best = np.take_along_axis(part, order, 1)
        out[start:start + len(rows)] = candidates[best] if candidates is not None else best
        if with_scores:
            out_scores[start:start + len(rows)] = np.take_along_axis(scores, best, 1)
    return (out, out_scores) if with_scores else out


def segment_users(fold: Fold, segment: str) -> tuple[np.ndarray, list[set[int]], np.ndarray | None]:
    """(users, their relevant sets, candidate items or None for the whole catalog)."""
    if segment == "new items":
        new = np.flatnonzero(fold.log.is_new)
        new_set = set(new.tolist())
        users = fold.users("all")
        relevant = [fold.targets[u] & new_set for u in users]
        keep = np.array([len(r) > 0 for r in relevant], dtype=bool)
        return users[keep], [r for r, k in zip(relevant, keep) if k], new
    users = fold.users(segment)
    return users, [fold.targets[u] for u in users], None


def evaluate_model(model: Recommender, fold: Fold, k: int = 20, map_k: int = 12,
                   segments=SEGMENTS, filters=FILTERS) -> list[dict]:
    """One row per (segment, filter): Recall/NDCG/HitRate@k, MAP@map_k, coverage and novelty.
    The warm and short segments are subsets of "all", so their rankings are computed once."""
    rows = []
    popularity = fold.item_users
    n_users = int((fold.train_events > 0).sum())
    depth = max(k, map_k)
    everyone = fold.users("all")
    ranked_all = {filt: top_k(model, everyone, depth, fold.bought if filt == "bought" else None)
                  for filt in filters if any(s != "new items" for s in segments)}
    position = {u: n for n, u in enumerate(everyone.tolist())}
    for segment in segments:
        users, relevant, candidates = segment_users(fold, segment)
        if len(users) == 0:
            continue
        for filt in filters:
            if segment == "new items":
                if filt == "bought":
                    continue  # nobody bought a new item before the cut
                ranked = top_k(model, users, depth, None, candidates)
            else:
                ranked = ranked_all[filt][[position[u] for u in users.tolist()]]
            n_ranked = len(candidates) if candidates is not None else fold.log.n_items
            at_k = evaluate_rankings(ranked, relevant, k, n_ranked, popularity, n_users)
            at_map = evaluate_rankings(ranked, relevant, map_k, n_ranked)
            rows.append({"model": model.name, "segment": segment, "filter": filt, "users": at_k["users"],
                         **{key: at_k[key] for key in at_k if key != "users"}, f"map@{map_k}": at_map[f"map@{map_k}"]})
    return rows
