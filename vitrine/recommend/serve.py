"""A saved recommender answering questions by ID: what to show a shopper, what is like an item.

Recommendations come from the FAISS index over item vectors (the user's already-bought items
left out), re-ranked so a list is not all best sellers nor all alike (RERANK_*; at most
`per_category` items of one category when asked), each with the history items that drove it:
the user's past items j with the largest ⟨v_i, v_j⟩, the items the recommended one most
resembles in the model's own space.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitrine.recommend.diversity import mmr, penalised
from vitrine.recommend.index import ItemIndex
from vitrine.recommend.multimodal import Multimodal

# The re-ranking `vitrine eval diversity` chose (reports/recommend/diversity.md): each list is
# drawn from the RERANK_DEPTH best candidates, their scores less β·σ·log(1 + buyers) (hubs sink),
# then picked by MMR with weight λ on dissimilarity to the items already in the list.
RERANK_DEPTH, RERANK_BETA, RERANK_LAMBDA = 100, 0.5, 0.4


def _check_k(k: int) -> None:
    if not 1 <= k <= 1000:
        raise ValueError(f"k must be between 1 and 1000, got {k}")


def _unit_rows(m: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32), so an inner product is a cosine."""
    return (m / np.linalg.norm(m, axis=1, keepdims=True).clip(1e-9)).astype(np.float32)


@dataclass
class Suggestion:
    item_id: str
    score: float
    because: list[str]


class Recommendations:
    def __init__(self, folder: str | Path, index_kind: str = "exact"):
        self.model, self.user_ids, self.item_ids = Multimodal.load(folder)
        self.user_pos = {str(u): k for k, u in enumerate(self.user_ids)}
        self.item_pos = {str(i): k for k, i in enumerate(self.item_ids)}
        self.index = ItemIndex(self.model.item_vectors, self.model.item_bias, index_kind)
        self._similar_index = None
        self._text_index = None
        self._user_matrix = None
        self._unit = None
        self.rerank = True  # False: the plain ranking by score (the evaluation's baseline)
        self.buyers = np.asarray(self.model.bought.getnnz(axis=0), dtype=np.float32)  # per item

    @property
    def user_matrix(self) -> np.ndarray:
        """(U, D) every user's vector, computed once (a launch scores all shoppers)."""
        if self._user_matrix is None:
            users = np.arange(len(self.user_ids))
            self._user_matrix = np.concatenate([self.model.user_vectors(users[s:s + 8192])
                                                for s in range(0, len(users), 8192)])
        return self._user_matrix

    def _user(self, user_id: str) -> int:
        if user_id not in self.user_pos:
            raise KeyError(f"unknown user {user_id!r} (the model knows {len(self.user_pos):,} users, "
                           f"e.g. {self.user_ids[0]!r})")
        return self.user_pos[user_id]

    def _item(self, item_id: str) -> int:
        if item_id not in self.item_pos:
            raise KeyError(f"unknown item {item_id!r} (the model knows {len(self.item_pos):,} items, "
                           f"e.g. {self.item_ids[0]!r})")
        return self.item_pos[item_id]

    def user_vector(self, user_id: str) -> np.ndarray:
        """(D,) the shopper's vector u: ⟨u, v⟩ scores any item vector v, in the catalog or not."""
        return self.model.user_vectors(np.array([self._user(user_id)]))[0]

    def for_user(self, user_id: str, k: int = 20, per_category: int | None = None,
                 categories: np.ndarray | None = None, explain: int = 2,
                 exclude: set[int] = frozenset()) -> list[Suggestion]:
        """The shopper's top k; their bought items and `exclude` (item indices) left out."""
        _check_k(k)
        u = self._user(user_id)
        bought = set(self.model.bought[u].indices.tolist()) | exclude
        # the cached matrix once something asked for it (a service does at load), else the tower for one user
        vector = self._user_matrix[u] if self._user_matrix is not None else self.model.user_vectors(np.array([u]))[0]
        return self.rank(vector, self.model.history[u].indices, bought, k,
                         per_category, categories, explain)

    def for_history(self, history: dict[int, float], bought: set[int], user_id: str | None = None, k: int = 20,
                    per_category: int | None = None, categories: np.ndarray | None = None,
                    explain: int = 2) -> list[Suggestion]:
        """Recommendations from a history the fit never saw — a known shopper's fitted history plus
        `history` (item index → event weight) of events since, or an anonymous session's items —
        through the user tower, without a refit. `bought` (item indices) is left out."""
        _check_k(k)
        import scipy.sparse as sp
        row = sp.csr_matrix((list(history.values()), ([0] * len(history), list(history.keys()))),
                            shape=(1, len(self.item_ids)), dtype=np.float32)
        cf = None
        if user_id is not None:
            u = self._user(user_id)
            row = row + self.model.history[u]
            bought = bought | set(self.model.bought[u].indices.tolist())
            cf = self.model.cf_user[[u]] if self.model.cf_user is not None else None
        vector = self.model.history_vectors(row, cf)[0]
        return self.rank(vector, row.indices, bought, k, per_category, categories, explain)

    def rank(self, vector: np.ndarray, history: np.ndarray, bought: set[int], k: int, per_category: int | None,
             categories: np.ndarray | None, explain: int) -> list[Suggestion]:
        """The top k items for a user vector, `bought` left out, re-ranked (RERANK_*), at most
        `per_category` of one category, each with the `explain` history items most like it."""
        depth = max(RERANK_DEPTH, k if per_category is None else 4 * k)
        scores, items = self.index.search(vector[None, :], min(depth, len(self.item_ids)), [bought])
        return self._pick(items[0], scores[0], history, k, per_category, categories, explain)

    def rank_users(self, users: np.ndarray, exclude: set[int], k: int, explain: int = 2) -> list[list[Suggestion]]:
        """`for_user` for many fitted shoppers (indices) at once: one index search for all of them,
        then each list re-ranked and explained as `rank` does (the same lists, k ≤ RERANK_DEPTH)."""
        depth = min(max(RERANK_DEPTH, k), len(self.item_ids))
        bought = [set(self.model.bought[u].indices.tolist()) | exclude for u in users]
        scores, items = self.index.search(self.user_matrix[users], depth, bought)
        return [self._pick(items[n], scores[n], self.model.history[u].indices, k, None, None, explain)
                for n, u in enumerate(users)]

    def _pick(self, items: np.ndarray, scores: np.ndarray, history: np.ndarray, k: int, per_category: int | None,
              categories: np.ndarray | None, explain: int) -> list[Suggestion]:
        """One searched row re-ranked, capped per category and explained."""
        found = items >= 0
        candidates, scores = items[found], scores[found]
        if self.rerank and len(candidates):
            order = mmr(np.arange(len(candidates)), penalised(candidates, scores, self.buyers, RERANK_BETA),
                        self._unit_vectors(), len(candidates), RERANK_LAMBDA, vectors_of=candidates)
            candidates, scores = candidates[order], scores[order]
        chosen, per = [], {}
        for s, i in zip(scores, candidates):
            if per_category is not None and categories is not None:
                c = categories[i]
                if per.get(c, 0) >= per_category:
                    continue
                per[c] = per.get(c, 0) + 1
            chosen.append((float(s), int(i)))
            if len(chosen) == k:
                break
        return [Suggestion(str(self.item_ids[i]), s, because)
                for (s, i), because in zip(chosen, self._because(history, [i for _, i in chosen], explain))]

    def _because(self, history: np.ndarray, items: list[int], explain: int) -> list[list[str]]:
        """Per item, the `explain` history items most like it (an item seen before is not its own
        reason): one (H, k) product of item vectors for all k items at once."""
        history = np.unique(history)
        if not explain or not len(history) or not items:
            return [[] for _ in items]
        vectors = self.model.item_vectors
        sims = vectors[history] @ vectors[items].T
        sims[history[:, None] == np.asarray(items)[None, :]] = -np.inf
        best = np.argsort(-sims, axis=0)[:explain]
        return [[str(self.item_ids[history[r]]) for r in best[:, col] if np.isfinite(sims[r, col])]
                for col in range(len(items))]

    def _unit_vectors(self) -> np.ndarray:
        if self._unit is None:
            self._unit = _unit_rows(self.model.item_vectors)
        return self._unit

    def _unit_index(self) -> ItemIndex:
        if self._similar_index is None:
            self._similar_index = ItemIndex(self._unit_vectors(), None, self.index.kind)
        return self._similar_index

    def similar(self, item_id: str, k: int = 10) -> list[tuple[str, float]]:
        """Items nearest in the model's item space (cosine), the item itself left out."""
        _check_k(k)
        i = self._item(item_id)
        scores, items = self._unit_index().search(self._unit[[i]], k, [{i}])
        return [(str(self.item_ids[j]), float(s)) for s, j in zip(scores[0], items[0]) if j >= 0]

    def nearest(self, vectors: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
        """Per vector (an item the model has never seen, e.g. a design), the catalog items nearest it (cosine)."""
        _check_k(k)
        index = self._unit_index()
        scores, items = index.search(_unit_rows(vectors), k)
        return [[(str(self.item_ids[j]), float(s)) for s, j in zip(row_s, row_i) if j >= 0]
                for row_s, row_i in zip(scores, items)]

    def search(self, query: str, k: int = 20) -> list[tuple[str, float]]:
        """Items whose descriptions are nearest the query in meaning: cosine of MiniLM sentence
        vectors, the catalog's taken from the content the model was fitted on."""
        from vitrine.text.encoder import shared_encoder
        _check_k(k)
        if self._text_index is None:
            encoder = self.model.content_encoder
            columns = encoder.columns("text") if encoder is not None else None
            if columns is None:
                raise ValueError("this recommender was fitted without item text: nothing to search")
            self._text_index = ItemIndex(_unit_rows(self.model.raw_content()[:, columns].numpy()), None,
                                         self.index.kind)
        q = shared_encoder().pooled([query]).float().numpy()
        scores, items = self._text_index.search(q, k)
        return [(str(self.item_ids[j]), float(s)) for s, j in zip(scores[0], items[0]) if j >= 0]
