"""The multimodal recommender's settings, and the help text of the `vitrine fit` flags made from them.

No torch here, so `vitrine --help` stays instant.
"""

from __future__ import annotations

from dataclasses import dataclass


# FAISS indexes a fitted recommender can serve from (vitrine/recommend/index.py): exact inner
# product, or IVF / HNSW, approximate and faster on large catalogs (bench/scale.py).
INDEX_KINDS = ("exact", "ivf", "hnsw")
INDEX_HELP = "FAISS index: exact inner product, or IVF / HNSW (approximate, faster on big catalogs)"


@dataclass
class MultimodalConfig:
    """Defaults are the configuration `vitrine eval recommend` chose on the valid fold
    (reports/recommend/metrics.json; tests/recommend/test_cli_recommend.py keeps them equal)."""

    dim: int = 64
    parts: tuple[str, ...] = ("text", "image", "price")   # content the item tower reads
    use_ids: bool = False         # the network's own item (and user) ID embeddings; off: they overfit here
    epochs: int = 24
    batch_size: int = 512
    lr: float = 3e-3
    weight_decay: float = 1e-5
    id_dropout: float = 0.3
    negatives: int = 4096         # uniform catalog items in each step's softmax, besides the targets
    logq: bool = True             # sampled softmax: subtract log P(item among the candidates) (Yi et al. 2019)
    user_ids: bool = False        # with use_ids: also a per-user ID embedding d_u
    history_size: bool = True     # the user tower also reads log(1 + Σ r_uj): how much evidence the mean rests on
    cf_weight: float = 1.0        # w of the collaborative block w·⟨p_u, q_i⟩ (implicit ALS factors); 0 = off
    cf_factors: int = 32          # that ALS's factors, λ and α
    cf_regularization: float = 0.01
    cf_alpha: float = 10.0
    input_share: float = 0.5      # share of a user's training items shown as input each epoch
    binary_targets: bool = False  # targets count each hidden item once (the metric's sets), not by event weight
    binary_history: bool = True   # the user tower also reads the unweighted mean over the history's items
    recency_weight: float = 0.4   # a of the scoring-time term a·log(1 + D_i), D_i the decayed event count; 0 = off
    recency_decay: float = 0.5    # γ: an event's weight in D_i per 14 days of age
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> "MultimodalConfig":
        data = dict(data)
        data["parts"] = tuple(data.get("parts", cls.parts))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


# Help text of `vitrine fit`'s flags, which are generated from MultimodalConfig's fields.
FIELD_HELP = {
    "dim": "embedding size d", "parts": "content the item tower reads: text, image, price",
    "use_ids": "the network's own item ID embeddings", "epochs": "passes over the users",
    "batch_size": "users per step", "lr": "AdamW learning rate (one-cycle)", "weight_decay": "AdamW weight decay",
    "id_dropout": "share of item ID embeddings dropped per step", "negatives": "uniform catalog items per step's softmax",
    "logq": "sampled-softmax log-Q correction", "user_ids": "with --use-ids: a per-user ID embedding too",
    "history_size": "the user tower reads log(1 + history weight)", "cf_weight": "weight w of the ALS block; 0 = off",
    "cf_factors": "factors of the ALS block", "cf_regularization": "λ of the ALS block", "cf_alpha": "α of the ALS block",
    "input_share": "share of a user's items shown as input each epoch",
    "binary_targets": "targets count each hidden item once", "binary_history": "the user tower also reads the "
    "unweighted history mean", "recency_weight": "weight a of the decayed-popularity term a·log(1 + D_i); 0 = off",
    "recency_decay": "γ: an event's weight in D_i per 14 days of age", "seed": "seed of the weights and batches",
}

# The range each numeric field takes: (lowest, highest), both allowed.
RANGES = {
    "dim": (1, 4096), "epochs": (1, 1000), "batch_size": (1, 1_000_000), "lr": (1e-8, 10.0),
    "weight_decay": (0.0, 10.0), "id_dropout": (0.0, 0.99), "negatives": (0, 1_000_000), "cf_weight": (0.0, 1000.0),
    "cf_factors": (1, 4096), "cf_regularization": (0.0, 1000.0), "cf_alpha": (0.0, 1e6), "input_share": (0.01, 1.0),
    "recency_weight": (0.0, 1000.0), "recency_decay": (0.0, 1.0), "seed": (0, 2**32 - 1),
}


def range_problem(given: dict) -> str | None:
    """The first given field out of its range, as one line naming its flag; None when all fit."""
    for name, value in given.items():
        if name in RANGES and not isinstance(value, bool) and isinstance(value, (int, float)):
            low, high = RANGES[name]
            if not low <= value <= high:
                return f"--{name.replace('_', '-')} {value:g}: must be from {low:g} to {high:g}"
    return None
