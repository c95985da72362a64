"""Lists that are diverse, not only accurate: re-rankings of a recommender's top candidates, and
the measures that say what they change.

Re-rankings take each user's `depth` best candidates by score s_i and pick k of them greedily:
- MMR (Carbonell & Goldstein 1998): next = argmax (1 − λ)·ŝ_i − λ·max_{j chosen} cos(v_i, v_j),
  ŝ the scores scaled to [0, 1] over the user's candidates; λ = 0 is the plain ranking.
- popularity penalty: s_i − β·σ_u·log(1 + n_i), n_i the item's buyers in training and σ_u the
  spread of the user's candidate scores, so β means the same for every user (hubs sink).
- both: the popularity penalty's scores, then MMR over them.
- calibrated (Steck 2018): next = argmax (1 − λ)·Σ ŝ − λ·KL(p ‖ q̃) over the list so far plus
  the candidate, p the user's category shares in training, q̃ = (1 − α)·q + α·p (α = 0.01) the
  list's shares smoothed.

Measures over all users' top k: coverage (share of the catalog shown to anyone), intra-list
diversity ILD = mean over lists of 1 − the mean pairwise cosine of their item vectors, the top-10
share (the share of lists holding any of the 10 items recommended most often), and novelty.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-9)).astype(np.float32)


def _scaled(scores: np.ndarray) -> np.ndarray:
    low, high = scores.min(), scores.max()
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def mmr(candidates: np.ndarray, scores: np.ndarray, unit: np.ndarray, k: int, lam: float,
        vectors_of: np.ndarray | None = None) -> np.ndarray:
    """k of the candidates (in score order), maximal marginal relevance with weight λ on
    diversity; `vectors_of`: the rows of `unit` that are the candidates' (default the candidates)."""
    if lam <= 0:
        return candidates[np.argsort(-scores, kind="stable")[:k]]
    relevance = (1 - lam) * _scaled(scores)
    vectors = unit[candidates if vectors_of is None else vectors_of]
    closest = np.full(len(candidates), -np.inf, np.float32)  # max cosine to anything chosen
    taken = np.zeros(len(candidates), bool)
    chosen = []
    for _ in range(min(k, len(candidates))):
        gain = relevance - lam * np.where(np.isfinite(closest), closest, 0.0)
        gain[taken] = -np.inf
        best = int(gain.argmax())
        chosen.append(best)
        taken[best] = True
        closest = np.maximum(closest, vectors @ vectors[best])
    return candidates[chosen]


def penalised(candidates: np.ndarray, scores: np.ndarray, buyers: np.ndarray, beta: float) -> np.ndarray:
    """The candidates' scores less β·σ_u·log(1 + buyers)."""
    return scores - beta * scores.std() * np.log1p(buyers[candidates])


def popularity_penalty(candidates: np.ndarray, scores: np.ndarray, buyers: np.ndarray, k: int,
                       beta: float) -> np.ndarray:
    return candidates[np.argsort(-penalised(candidates, scores, buyers, beta), kind="stable")[:k]]


def calibrated(candidates: np.ndarray, scores: np.ndarray, categories: np.ndarray, wanted: np.ndarray, k: int,
               lam: float, alpha: float = 0.01) -> np.ndarray:
    """k candidates whose category shares approach `wanted` (the user's history's shares)."""
    if lam <= 0:
        return candidates[:k]
    relevance = _scaled(scores)
    of = categories[candidates]
    counts = np.zeros(len(wanted))
    total_relevance, chosen = 0.0, []
    taken = np.zeros(len(candidates), bool)
    p = wanted + 1e-12
    for n in range(1, min(k, len(candidates)) + 1):
        trial = counts[None, :] + np.eye(len(wanted))[of]          # shares if each candidate were added
        q = (1 - alpha) * trial / n + alpha * wanted[None, :]
        kl = (p[None, :] * np.log(p[None, :] / np.maximum(q, 1e-12))).sum(1)
        gain = (1 - lam) * (total_relevance + relevance) - lam * kl
        gain[taken] = -np.inf
        best = int(gain.argmax())
        chosen.append(best)
        taken[best] = True
        counts[of[best]] += 1
        total_relevance += relevance[best]
    return candidates[chosen]


def intra_list_diversity(lists: np.ndarray, unit: np.ndarray) -> float:
    """Mean over lists of 1 − mean pairwise cosine of their items' vectors."""
    values = []
    for items in lists:
        v = unit[items]
        sims = v @ v.T
        n = len(items)
        values.append(1 - (sims.sum() - np.trace(sims)) / (n * (n - 1)))
    return float(np.mean(values))


def top10_share(lists: np.ndarray) -> float:
    """Share of lists holding any of the 10 items recommended most often over all lists."""
    top = {i for i, _ in Counter(lists.ravel().tolist()).most_common(10)}
    return float(np.mean([bool(top & set(items.tolist())) for items in lists]))


def look(item) -> str:
    """An item's category × colour × pattern (a row with those columns): the group similar items
    are capped by."""
    return f"{item.category}|{item.colour}|{item.pattern}"


def group_capped(neighbours: list[int], groups: np.ndarray, k: int, share: float = 0.5) -> list[int]:
    """The first k of `neighbours` (nearest first) with at most ⌊share·k⌋ (≥ 1) of one group;
    when too few groups remain, the rest are filled in order."""
    cap = max(1, int(share * k))
    taken: Counter = Counter()
    chosen, skipped = [], []
    for i in neighbours:
        if taken[groups[i]] < cap:
            chosen.append(i)
            taken[groups[i]] += 1
        else:
            skipped.append(i)
        if len(chosen) == k:
            return chosen
    return chosen + skipped[:k - len(chosen)]
