from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from vitrine.recommend.baselines import ALS, ItemKNN, Popularity, RandomModel, Recommender
from vitrine.recommend.data import make_fold
from vitrine.recommend.evaluate import evaluate_model, top_k


class Fixed(Recommender):
    name = "fixed"

    def __init__(self, scores):
        self.table = np.asarray(scores, dtype=np.float32)

    def scores(self, users):
        return self.table[users]


def test_top_k_orders_excludes_and_restricts():
    import scipy.sparse as sp
    model = Fixed([[0.1, 0.9, 0.5, 0.7], [0.4, 0.3, 0.2, 0.1]])
    users = np.array([0, 1])
    assert top_k(model, users, 3).tolist() == [[1, 3, 2], [0, 1, 2]]
    exclude = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0]]))
    assert top_k(model, users, 2, exclude).tolist() == [[3, 2], [1, 2]]
    assert top_k(model, users, 2, candidates=np.array([0, 2])).tolist() == [[2, 0], [0, 2]]


def test_every_model_gets_every_segment_and_popularity_beats_random(log):
    fold = make_fold(log, "test")
    rows = {m.name: evaluate_model(m.fit(fold), fold) for m in (RandomModel(), Popularity(), ALS(factors=8, iterations=3))}
    segments = {(r["segment"], r["filter"]) for r in rows["popularity"]}
    assert {("all", "none"), ("all", "bought"), ("warm", "none"), ("new items", "none")} <= segments
    recall = {name: next(r["recall@20"] for r in table if r["segment"] == "all" and r["filter"] == "none")
              for name, table in rows.items()}
    assert recall["popularity"] > recall["random"]
    assert all(0 <= r["coverage@20"] <= 1 and r["novelty@20"] > 0 for r in rows["ALS (implicit)"])


def test_item_knn_similarity_is_the_cosine_of_item_columns():
    rng = np.random.default_rng(0)
    counts = sp.csr_matrix((rng.random((30, 6)) < 0.4) * rng.integers(1, 4, (30, 6)), dtype=np.float32)
    fold = SimpleNamespace(train=counts)
    similarity = ItemKNN(neighbours=10).fit(fold).similarity.toarray()  # K ≥ items: nothing pruned
    dense = counts.toarray()
    unit = dense / np.maximum(np.linalg.norm(dense, axis=0), 1e-12)
    np.testing.assert_allclose(similarity, unit.T @ unit, atol=1e-6)
