"""The lists an A/B test compares the multimodal recommender with, served from the fitted model's
own parts, so one fit answers every arm:

- `popularity`: the same list for everyone — the items with the most events in the last 14 days
  before the fit (all-time events break ties), the shopper's purchases left out.
- `als`: implicit ALS alone — the ALS block the multimodal model is fitted with (factors p_u,
  q_i on the weighted event matrix; docs/recommend.md), scored ⟨p_u, q_i⟩. A shopper's events
  since the fit fold into p_u at once by the ALS user step (Hu, Koren & Volinsky 2008), as the
  multimodal user tower reads them, so both arms react to today's clicks:

      p_u = (QᵀQ + Σ_i (c_ui − 1) q_i q_iᵀ + λI)⁻¹ Σ_i c_ui q_i,   c_ui = α·r_ui

  over the items i with events (r_ui their summed weights; implicit's convention for α).

Neither arm re-ranks for diversity or explains its items: each is the plain ranking a shop
without Vitrine's recommender would show.
"""

from __future__ import annotations

import numpy as np

from vitrine.recommend.serve import Recommendations, Suggestion

ARMS = ("multimodal", "als", "popularity")  # multimodal: the service's own ranking (vitrine.recommend.serve)


def check_arm(arm: str) -> None:
    if arm not in ARMS:
        raise ValueError(f"unknown arm {arm!r}; one of {', '.join(ARMS)}")


def popularity_scores(recs: Recommendations) -> np.ndarray:
    """(I,) recent events first, all-time events as the tie-break (both log1p counts of the fit)."""
    popularity = recs.model.popularity.numpy()
    return popularity[:, 1] + 1e-3 * popularity[:, 0]


def als_user_vector(recs: Recommendations, history: dict[int, float]) -> np.ndarray | None:
    """The ALS user factors that best explain `history` (item index → summed event weight) against
    the fitted item factors; None for a model fitted without the ALS block."""
    model = recs.model
    if model.cf_item is None:
        return None
    items = np.fromiter(history.keys(), dtype=np.int64, count=len(history))
    confidence = model.config.cf_alpha * np.fromiter(history.values(), dtype=np.float64, count=len(history))
    q = model.cf_item.astype(np.float64)
    qi = q[items]
    a = q.T @ q + (qi * (confidence - 1.0)[:, None]).T @ qi + model.config.cf_regularization * np.eye(q.shape[1])
    return np.linalg.solve(a, qi.T @ confidence).astype(np.float32)


def baseline_list(recs: Recommendations, arm: str, user_id: str | None, recent: dict[int, float], bought: set[int],
                  k: int) -> list[Suggestion]:
    """The `arm`'s top k for a shopper: `recent` (item index → weight) holds their events since the
    fit, `bought` the item indices to leave out besides their fitted purchases (those since, items
    deleted). A shopper the fit never saw gets ALS factors from `recent` alone."""
    check_arm(arm)
    if arm == "multimodal":
        raise ValueError("the multimodal arm is the recommender's own ranking (Recommendations.for_user)")
    u = recs.user_pos.get(user_id) if user_id is not None else None
    excluded = set(bought)
    if u is not None:
        excluded |= set(recs.model.bought[u].indices.tolist())
    if arm == "popularity":
        scores = popularity_scores(recs).copy()
    else:
        history = dict(recent)
        if u is not None:
            row = recs.model.history[u]
            for i, w in zip(row.indices.tolist(), row.data.tolist()):
                history[i] = history.get(i, 0.0) + w
        if u is not None and not recent:  # the fitted factors already explain the fitted history
            vector = recs.model.cf_user[u] if recs.model.cf_user is not None else None
        else:
            vector = als_user_vector(recs, history) if history else None
        if vector is None:  # no ALS block, or nothing to fold in: popularity is all ALS would know
            scores = popularity_scores(recs).copy()
        else:
            scores = recs.model.cf_item @ vector
            scores[recs.model.cf_item.any(axis=1) == 0] = -np.inf  # items without history: ALS cannot place them
    if excluded:
        scores[list(excluded)] = -np.inf
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Suggestion(str(recs.item_ids[i]), float(scores[i]), []) for i in top if np.isfinite(scores[i])]
