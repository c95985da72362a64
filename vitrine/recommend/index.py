"""Retrieval through FAISS: exact inner product by default, HNSW for large catalogs.

The model's score s(u, i) = ⟨u, v_i⟩ + b_i is one inner product once the bias rides along as an
extra coordinate: ⟨[u, 1], [v_i, b_i]⟩. Items a user must not see again (already bought) are
removed by asking for k + |excluded| and filtering, so the top k stays exact.
"""

from __future__ import annotations

import numpy as np

KINDS = ("exact", "hnsw")


class ItemIndex:
    def __init__(self, item_vectors: np.ndarray, item_bias: np.ndarray | None = None, kind: str = "exact",
                 hnsw_neighbours: int = 32):
        import faiss
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; choose exact or hnsw")
        bias = np.zeros(len(item_vectors), np.float32) if item_bias is None else item_bias
        self.vectors = np.ascontiguousarray(np.hstack([item_vectors, bias[:, None]]), dtype=np.float32)
        d = self.vectors.shape[1]
        if kind == "exact":
            self.index = faiss.IndexFlatIP(d)
        else:
            self.index = faiss.IndexHNSWFlat(d, hnsw_neighbours, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efSearch = 128
        self.index.add(self.vectors)
        self.kind = kind

    def search(self, user_vectors: np.ndarray, k: int, exclude: list[set[int]] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item indices), each (len(users), k), best first; `exclude[n]` is left out of row n."""
        queries = np.ascontiguousarray(np.hstack([user_vectors, np.ones((len(user_vectors), 1))]), dtype=np.float32)
        extra = max((len(e) for e in exclude), default=0) if exclude else 0
        depth = min(k + extra, self.index.ntotal)
        scores, items = self.index.search(queries, depth)
        if not extra:
            return scores[:, :k], items[:, :k]
        out_s = np.full((len(queries), k), -np.inf, np.float32)
        out_i = np.full((len(queries), k), -1, np.int64)
        for n, (row_s, row_i) in enumerate(zip(scores, items)):
            keep = [j for j, item in enumerate(row_i) if item >= 0 and item not in exclude[n]][:k]
            out_s[n, :len(keep)], out_i[n, :len(keep)] = row_s[keep], row_i[keep]
        return out_s, out_i
