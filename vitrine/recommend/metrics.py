"""Top-K ranking metrics over full rankings (no sampled negatives), averaged over users.

For user u with ranked list R_u and relevant (held-out) set T_u, binary relevance rel_i:
- Recall@K   = |R_u[:K] ∩ T_u| / |T_u|
- HitRate@K  = 1[|R_u[:K] ∩ T_u| > 0]
- NDCG@K     = DCG/IDCG, DCG = Σ_{i<K} rel_i / log2(i + 2), IDCG the same for min(|T_u|, K) hits
- MAP@K      = mean_u (1/min(|T_u|, K)) Σ_{k≤K} P@k · rel_k   (Kaggle's H&M metric at K = 12)
- Coverage@K = |∪_u R_u[:K]| / |items|
- Novelty@K  = mean over recommended items of −log2(p_i), p_i the share of users with a training
  interaction on item i (self-information; Zhou et al. 2010), floored at 1 user.
Users with an empty T_u are skipped.
"""

from __future__ import annotations

import math

import numpy as np


def user_metrics(ranked: np.ndarray, relevant: set[int], k: int) -> dict[str, float]:
    top = [int(i) for i in ranked[:k]]
    hits = np.array([i in relevant for i in top], dtype=float)
    n_rel = len(relevant)
    discounts = 1.0 / np.log2(np.arange(2, len(top) + 2))
    idcg = discounts[: min(n_rel, k)].sum()
    precision_at = np.cumsum(hits) / np.arange(1, len(top) + 1)
    return {
        "recall": hits.sum() / n_rel,
        "hit_rate": float(hits.sum() > 0),
        "ndcg": float((hits * discounts).sum() / idcg) if idcg > 0 else 0.0,
        "map": float((precision_at * hits).sum() / min(n_rel, k)),
    }


def evaluate_rankings(rankings: np.ndarray, relevant: list[set[int]], k: int, n_items: int,
                      item_popularity: np.ndarray | None = None, n_users_train: int | None = None) -> dict[str, float]:
    """Mean metrics over users with a non-empty relevant set; rankings is (U, ≥K) item indices."""
    totals = {"recall": 0.0, "hit_rate": 0.0, "ndcg": 0.0, "map": 0.0}
    counted = 0
    shown = set()
    for ranked, rel in zip(rankings, relevant):
        if not rel:
            continue
        for name, value in user_metrics(ranked, rel, k).items():
            totals[name] += value
        counted += 1
        shown.update(int(i) for i in ranked[:k])
    out = {f"{name}@{k}": (value / counted if counted else math.nan) for name, value in totals.items()}
    out[f"coverage@{k}"] = len(shown) / n_items
    if item_popularity is not None and n_users_train:
        p = np.maximum(item_popularity, 1) / n_users_train
        evaluated = [ranked[:k] for ranked, rel in zip(rankings, relevant) if rel]
        out[f"novelty@{k}"] = float(np.mean(-np.log2(p[np.concatenate(evaluated)]))) if evaluated else math.nan
    out["users"] = counted
    return out
