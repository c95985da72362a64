"""Retrieval through FAISS: exact inner product by default; IVF or HNSW for large catalogs.

The model's score s(u, i) = ⟨u, v_i⟩ + b_i is one inner product once the bias rides along as an
extra coordinate: ⟨[u, 1], [v_i, b_i]⟩. Items a user must not see again (already bought) are
removed by asking for k + |excluded| and filtering, so the top k stays exact.

The approximate indexes search by Euclidean distance after the reduction of Bachrach et al. (2014):
an item x becomes [x, √(M² − ‖x‖²)] with M = max ‖x‖, a query q becomes [q, 0], so
‖q' − x'‖² = ‖q‖² + M² − 2⟨q, x⟩ and the nearest item is the one with the largest inner product.
Searched by inner product directly, IVF's cells and HNSW's graph favour long vectors: on the scale
benchmark's 70k-item shop, at nprobe 8 and efSearch 16 they kept 0.06 and 0.57 of the exact top 20,
against 0.99 and 0.95 after the reduction (docs/bench-scale.md).
"""

from __future__ import annotations

import numpy as np

from vitrine.recommend.config import INDEX_KINDS as KINDS

# How hard an approximate index searches by default: HNSW's efSearch (candidates kept while walking
# the graph) and IVF's nprobe (cells scanned of ≈ 4·√I). bench/scale.py measures what they keep of
# the exact top 20 at 70k–1M items.
HNSW_SEARCH = 128
IVF_PROBES = 32


def ivf_cells(n_items: int) -> int:
    """IVF's k-means cells: ≈ 4·√I (FAISS's guide: 4–16·√I), with at least 39 training points each."""
    return max(1, min(int(4 * np.sqrt(n_items)), n_items // 39))


class ItemIndex:
    def __init__(self, item_vectors: np.ndarray, item_bias: np.ndarray | None = None, kind: str = "exact",
                 hnsw_neighbours: int = 32):
        import faiss
        if kind not in KINDS:
            raise ValueError(f"unknown index kind {kind!r}; choose {', '.join(KINDS)}")
        bias = np.zeros(len(item_vectors), np.float32) if item_bias is None else item_bias
        self.vectors = np.ascontiguousarray(np.hstack([item_vectors, bias[:, None]]), dtype=np.float32)
        n, d = self.vectors.shape
        if kind == "exact":
            self.index = faiss.IndexFlatIP(d)
            self.index.add(self.vectors)
        else:
            norms = np.linalg.norm(self.vectors, axis=1)
            lift = np.sqrt(np.maximum(norms.max() ** 2 - norms ** 2, 0))[:, None]  # √(M² − ‖x‖²)
            lifted = np.ascontiguousarray(np.hstack([self.vectors, lift]), dtype=np.float32)
            if kind == "ivf":
                self.quantizer = faiss.IndexFlatL2(d + 1)  # held here: the IVF index points into it
                self.index = faiss.IndexIVFFlat(self.quantizer, d + 1, ivf_cells(n))
                self.index.train(lifted)
            else:
                self.index = faiss.IndexHNSWFlat(d + 1, hnsw_neighbours)
            self.index.add(lifted)
        self.kind = kind
        self.set_effort(HNSW_SEARCH if kind == "hnsw" else IVF_PROBES)

    def set_effort(self, effort: int) -> None:
        """How hard an approximate search looks: efSearch for HNSW, nprobe (cells) for IVF."""
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = int(effort)
        elif self.kind == "ivf":
            self.index.nprobe = min(int(effort), self.index.nlist)

    def search(self, user_vectors: np.ndarray, k: int, exclude: list[set[int]] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item indices), each (len(users), k), best first; `exclude[n]` is left out of row n."""
        queries = np.ascontiguousarray(np.hstack([user_vectors, np.ones((len(user_vectors), 1))]), dtype=np.float32)
        extra = max((len(e) for e in exclude), default=0) if exclude else 0
        depth = min(k + extra, self.index.ntotal)
        if self.kind == "exact":
            scores, items = self.index.search(queries, depth)
        else:  # nearest lifted items, then their exact scores ⟨[u, 1], [v_i, b_i]⟩, best first
            lifted = np.ascontiguousarray(np.hstack([queries, np.zeros((len(queries), 1), np.float32)]))
            items = self.index.search(lifted, depth)[1]
            scores = np.where(items >= 0, np.einsum("qd,qkd->qk", queries, self.vectors[items]), -np.inf)
            best = np.argsort(-scores, axis=1, kind="stable")
            scores, items = np.take_along_axis(scores, best, 1).astype(np.float32), np.take_along_axis(items, best, 1)
        if not extra:
            return scores[:, :k], items[:, :k]
        out_s = np.full((len(queries), k), -np.inf, np.float32)
        out_i = np.full((len(queries), k), -1, np.int64)
        for n, (row_s, row_i) in enumerate(zip(scores, items)):
            keep = [j for j, item in enumerate(row_i) if item >= 0 and item not in exclude[n]][:k]
            out_s[n, :len(keep)], out_i[n, :len(keep)] = row_s[keep], row_i[keep]
        return out_s, out_i
