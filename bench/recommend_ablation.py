"""Which parts of the multimodal recommender matter: each variant fitted on the valid fold (train
period → valid period) and scored on warm users, Recall@20 and NDCG@20, full ranking.

Every variant spells out the settings it changes from the plain model (sampled softmax without
logQ, no history-size input, no ALS block, no ID embeddings, no unweighted history mean, no
recency term), so the figures do not move when MultimodalConfig's defaults do. ALS's row is the
tuned ALS of the session-5 report (64 factors, λ 0.01, α 10).

    python bench/recommend_ablation.py [--only NAME ...] [--out bench/results/recommend_ablation.json]

One fit takes 3–10 min on one core; the whole list ~1 h.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

PLAIN = {"dim": 64, "use_ids": False, "logq": False, "history_size": False, "cf_weight": 0.0, "binary_history": False,
         "recency_weight": 0.0}
VARIANTS = {
    "plain (content only)": {},
    "+ logQ": {"logq": True},
    "+ logQ, dim 128": {"logq": True, "dim": 128},
    "+ logQ, 24 epochs": {"logq": True, "epochs": 24},
    "+ logQ, input share 0.8": {"logq": True, "input_share": 0.8},
    "+ logQ + history size": {"logq": True, "history_size": True},
    "+ logQ + history size, dim 128, 24 epochs": {"logq": True, "history_size": True, "dim": 128, "epochs": 24},
    "+ logQ + item ID embeddings": {"logq": True, "use_ids": True, "user_ids": False},
    "+ logQ + history size + ALS block w=2": {"logq": True, "history_size": True, "cf_weight": 2.0},
    "+ logQ + history size + ALS block w=2, 24 epochs": {"logq": True, "history_size": True, "cf_weight": 2.0,
                                                          "epochs": 24},
    # the report's configuration (ALS block on the tuned ALS's 32 factors), then the two session-8 additions
    "+ logQ + history size + ALS block (32 f) w=2, 24 epochs": {
        "logq": True, "history_size": True, "cf_weight": 2.0, "cf_factors": 32, "epochs": 24},
    "+ logQ + history size + ALS block (32 f) w=2, 24 epochs, binary history": {
        "logq": True, "history_size": True, "cf_weight": 2.0, "cf_factors": 32, "epochs": 24, "binary_history": True},
    "+ logQ + history size + ALS block (32 f) w=2, 24 epochs, binary history, recency a=0.3": {
        "logq": True, "history_size": True, "cf_weight": 2.0, "cf_factors": 32, "epochs": 24, "binary_history": True,
        "recency_weight": 0.3},
    "ALS item factors as a network input (+ logQ)": {"logq": True, "als_input": True},
}


class WithALSInput:
    """Item features with the (unit-length) ALS item factors appended; zeros for items without
    history: behaviour fed *into* the network instead of added beside it."""

    def __init__(self, features, item_factors, has_history):
        import numpy as np
        import torch
        unit = item_factors / np.linalg.norm(item_factors, axis=1, keepdims=True).clip(1e-6)
        self.item_ids, self.base = features.item_ids, features
        self.extra = torch.from_numpy((unit * has_history[:, None]).astype(np.float32))

    def matrix(self, parts):
        import torch
        return torch.cat([self.base.matrix(parts), self.extra], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="vitrine-data")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    parser.add_argument("--out", default="bench/results/recommend_ablation.json")
    args = parser.parse_args()

    from vitrine.storage.store import Store
    from vitrine.recommend.baselines import ALS
    from vitrine.recommend.evaluate import evaluate_model
    from vitrine.recommend.features import load_fold
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig

    log, fold, features = load_fold(Store(args.data_dir), "valid")

    def score(model) -> dict:
        row = evaluate_model(model, fold, segments=("warm",), filters=("none",))[0]
        return {"recall@20": round(float(row["recall@20"]), 4), "ndcg@20": round(float(row["ndcg@20"]), 4)}

    als = ALS(factors=64, regularization=0.01, alpha=10.0).fit(fold)
    rows = [{"variant": "ALS (implicit), tuned", **score(als)}]
    print(rows[-1], flush=True)
    for name, change in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        change = dict(change)
        item_features = (WithALSInput(features, als.item_factors, fold.item_users > 0)
                         if change.pop("als_input", False) else features)
        model = Multimodal(item_features, MultimodalConfig.from_dict({**PLAIN, **change})).fit(fold)
        rows.append({"variant": name, "settings": {**PLAIN, **change}, **score(model),
                     "fit_seconds": round(time.perf_counter() - start, 1)})
        print(rows[-1], flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"fold": "valid", "segment": "warm", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
