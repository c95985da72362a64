"""Baselines and peers, each behind one small interface: `fit(fold)`, then `scores(users)`.

scores(users) is a dense (len(users), n_items) float32 block: higher = recommend first. The
evaluator ranks every item (no sampled negatives), so the block is asked for in user batches.
- random; popularity (distinct training users per item); recent popularity (events in the last
  14 days before the cut); item-kNN (implicit's cosine item–item, score = Σ_j r_uj·sim(j, i));
- implicit's ALS (Hu, Koren & Volinsky 2008: confidence 1 + α·r, weighted least squares) and
  BPR (Rendle et al. 2009), score = p_u · q_i.
- Cornac's VBPR (He & McAuley 2016), fed the image vectors the multimodal model reads.
- oracle: the simulator's true preference part of the utility (category, colour, pattern, price,
  plus the item's training popularity); only the simulated shop has it. An upper reference, not a model.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from vitrine.recommend.data import Fold


class Recommender:
    name = "model"
    uses_content = False  # does it score items from their text/image (so new items get real scores)?

    def fit(self, fold: Fold) -> "Recommender":
        raise NotImplementedError

    def scores(self, users: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def params(self) -> dict:
        return {}


class RandomModel(Recommender):
    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def fit(self, fold: Fold) -> "RandomModel":
        self.n_items, self.rng = fold.log.n_items, np.random.default_rng(self.seed)
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        return self.rng.random((len(users), self.n_items), dtype=np.float32)


class Popularity(Recommender):
    name = "popularity"

    def fit(self, fold: Fold) -> "Popularity":
        self.item_scores = fold.item_users.astype(np.float32)
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.item_scores, (len(users), len(self.item_scores))).copy()


class RecentPopularity(Popularity):
    name = "recent popularity"

    def fit(self, fold: Fold) -> "RecentPopularity":
        # ties (items with no recent events) broken by all-time popularity
        self.item_scores = fold.recent_item_counts + 1e-3 * fold.item_users / max(fold.item_users.max(), 1)
        return self


class _Implicit(Recommender):
    """Shared glue for the implicit library's models."""

    def __init__(self, **params):
        self._params = params

    def params(self) -> dict:
        return dict(self._params)

    def _matrix(self, fold: Fold) -> sp.csr_matrix:
        self.user_items = fold.train.tocsr()
        return self.user_items


class ItemKNN(_Implicit):
    name = "item-kNN"

    def __init__(self, neighbours: int = 100):
        super().__init__(neighbours=neighbours)

    def fit(self, fold: Fold) -> "ItemKNN":
        from implicit.nearest_neighbours import ItemItemRecommender
        # cosine similarity = dot product of unit-length item columns; normalised here rather than by
        # implicit's CosineRecommender, whose own normalisation hands its fit a COO matrix (a warning)
        counts = self._matrix(fold)
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=0), dtype=np.float64)).ravel()
        model = ItemItemRecommender(K=self._params["neighbours"])
        model.fit((counts @ sp.diags(1.0 / np.maximum(norms, 1e-12))).tocsr(), show_progress=False)
        self.similarity = model.similarity.tocsr()
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        return np.asarray((self.user_items[users] @ self.similarity).todense(), dtype=np.float32)


class ALS(_Implicit):
    name = "ALS (implicit)"

    def __init__(self, factors: int = 64, regularization: float = 0.1, alpha: float = 10.0, iterations: int = 15,
                 seed: int = 0):
        super().__init__(factors=factors, regularization=regularization, alpha=alpha, iterations=iterations,
                         seed=seed)

    def fit(self, fold: Fold) -> "ALS":
        from implicit.cpu.als import AlternatingLeastSquares
        p = self._params
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, "blas"):  # implicit runs its own threads; a threaded BLAS under them slows it
            model = AlternatingLeastSquares(factors=p["factors"], regularization=p["regularization"],
                                            alpha=p["alpha"], iterations=p["iterations"], random_state=p["seed"])
            model.fit(self._matrix(fold), show_progress=False)
        self.user_factors, self.item_factors = model.user_factors, model.item_factors
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors[users] @ self.item_factors.T


class BPR(ALS):
    name = "BPR (implicit)"

    def __init__(self, factors: int = 64, learning_rate: float = 0.05, regularization: float = 0.01,
                 iterations: int = 100, seed: int = 0):
        _Implicit.__init__(self, factors=factors, learning_rate=learning_rate, regularization=regularization,
                           iterations=iterations, seed=seed)

    def fit(self, fold: Fold) -> "BPR":
        from implicit.cpu.bpr import BayesianPersonalizedRanking
        p = self._params
        model = BayesianPersonalizedRanking(factors=p["factors"], learning_rate=p["learning_rate"],
                                            regularization=p["regularization"], iterations=p["iterations"],
                                            random_state=p["seed"])
        model.fit(self._matrix(fold), show_progress=False)
        # implicit appends a bias column to item factors and a column of ones to user factors
        self.user_factors, self.item_factors = model.user_factors, model.item_factors
        return self


class VBPR(Recommender):
    """Cornac's VBPR: BPR whose item factor has a visual part projected from image features,
        x_ui = β_i + γ_u·γ_i + θ_u·(E f_i) + β'·f_i   (He & McAuley 2016, eq. 2 and 5).
    Items with no training events never reach Cornac's training set; they keep β_i = 0 and
    γ_i = 0 and are scored by the visual terms alone, the paper's cold-start reading."""

    name = "VBPR (Cornac)"
    uses_content = True

    # 2 epochs: Cornac draws each negative in Python (~100 s an epoch on the default shop, one
    # core); a trial with 4 epochs scored no higher on the valid fold.
    def __init__(self, image_features: np.ndarray, k: int = 32, k2: int = 32, epochs: int = 2,
                 batch_size: int = 1024, learning_rate: float = 0.005, lambda_w: float = 0.01,
                 lambda_b: float = 0.01, seed: int = 0, verbose: bool = False):
        self.image_features = np.asarray(image_features, dtype=np.float32)
        self._params = dict(k=k, k2=k2, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                            lambda_w=lambda_w, lambda_b=lambda_b, seed=seed)
        self.verbose = verbose

    def params(self) -> dict:
        return dict(self._params)

    def fit(self, fold: Fold) -> "VBPR":
        import cornac
        from cornac.data import ImageModality
        p, (n_users, n_items) = self._params, fold.train.shape
        if len(self.image_features) != n_items:
            raise ValueError(f"VBPR: {len(self.image_features)} image vectors for {n_items} items")
        m = fold.train.tocoo()
        triples = list(zip(m.row.astype(str).tolist(), m.col.astype(str).tolist(), [1.0] * m.nnz))
        data = cornac.data.Dataset.from_uir(triples, seed=p["seed"])
        images = ImageModality(features=self.image_features, ids=[str(i) for i in range(n_items)])
        data.add_modalities(item_image=images.build(id_map=data.iid_map))
        model = cornac.models.VBPR(k=p["k"], k2=p["k2"], n_epochs=p["epochs"], batch_size=p["batch_size"],
                                   learning_rate=p["learning_rate"], lambda_w=p["lambda_w"], lambda_b=p["lambda_b"],
                                   seed=p["seed"], verbose=self.verbose)
        model.fit(data)
        # Cornac's indices → ours; users and items outside its training set keep zero factors
        users = np.fromiter((int(u) for u in data.uid_map), np.int64, len(data.uid_map))
        items = np.fromiter((int(i) for i in data.iid_map), np.int64, len(data.iid_map))
        user_rows = np.fromiter(data.uid_map.values(), np.int64, len(users))
        item_rows = np.fromiter(data.iid_map.values(), np.int64, len(items))
        self.gamma_user = np.zeros((n_users, p["k"]), np.float32)
        self.theta_user = np.zeros((n_users, p["k2"]), np.float32)
        self.gamma_user[users] = model.gamma_user[user_rows]
        self.theta_user[users] = model.theta_user[user_rows]
        self.gamma_item = np.zeros((n_items, p["k"]), np.float32)
        self.gamma_item[items] = model.gamma_item[item_rows]
        self.theta_item = self.image_features @ model.emb_matrix           # E f_i for every item
        self.item_bias = (self.image_features @ model.beta_prime).ravel()  # β'·f_i ...
        self.item_bias[items] += model.beta_item[item_rows]                # ... + β_i where learned
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        return (self.gamma_user[users] @ self.gamma_item.T + self.theta_user[users] @ self.theta_item.T
                + self.item_bias).astype(np.float32)


class Oracle(Recommender):
    """Scores items by the simulator's own preference utility for the user (see
    vitrine/catalog/shoppers.py): log θ_u[c] + log φ_u[k] + w_p·log ψ_u[p] − λ_u·log(price/median)
    + log(1 + training popularity). Needs the true preferences, so only on simulated shops."""

    name = "oracle (true preferences)"

    def __init__(self, preferences: dict[str, np.ndarray], item_attributes: dict[str, np.ndarray],
                 pattern_weight: float = 0.8, floor: float = 0.02):
        self.pref, self.attrs = preferences, item_attributes
        self.pattern_weight, self.floor = pattern_weight, floor

    def fit(self, fold: Fold) -> "Oracle":
        self.popularity = np.log1p(fold.item_users).astype(np.float32)
        return self

    def scores(self, users: np.ndarray) -> np.ndarray:
        a, p, eps = self.attrs, self.pref, self.floor
        util = (np.log(p["category"][users][:, a["category"]] + eps)
                + np.log(p["colour"][users][:, a["colour"]] + eps)
                + self.pattern_weight * np.log(p["pattern"][users][:, a["pattern"]] + eps)
                - p["price_sensitivity"][users, None] * a["log_relative_price"][None, :])
        return (util + self.popularity).astype(np.float32)
