"""Recommender speed: fit seconds per model, one-user latency p50/p99, batch throughput.

On the default store (70,000 items, 25,000 users), in process, after one warm-up call:
- fit: each model on the test fold (train + valid periods), wall seconds;
- latency: `Recommendations.for_user(user, k=20)` — user vector, FAISS search (exact and HNSW),
  bought-item filter, explanations — for `--users` random users, p50 and p99;
- throughput: scoring users in batches of 1,000 through the FAISS index, users per second.

    python bench/recommend_speed.py --out bench/results/recommend_speed.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def percentile_ms(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default="vitrine-data")
    parser.add_argument("--users", type=int, default=500, help="users timed for latency")
    parser.add_argument("--skip-slow-fits", action="store_true", help="time only the fast baselines' fits")
    parser.add_argument("--out", default="bench/results/recommend_speed.json")
    args = parser.parse_args()

    from vitrine.storage.store import Store
    from vitrine.recommend.baselines import ALS, BPR, ItemKNN, Popularity
    from vitrine.recommend.features import load_fold
    from vitrine.recommend.index import ItemIndex
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
    from vitrine.recommend.serve import Recommendations

    log, fold, features = load_fold(Store(args.data_dir), "test")
    result = {"items": log.n_items, "users": log.n_users, "fit_seconds": {}, "latency": [], "throughput": []}
    models = [Popularity(), ItemKNN(), ALS()] + ([] if args.skip_slow_fits else [BPR()])
    # the configuration bench/results/recommend_speed.json measured (the faster one; `vitrine fit`'s
    # defaults are the report's dim 64, 24 epochs, 32-factor ALS block, w = 1)
    multimodal = Multimodal(features, MultimodalConfig(dim=128, epochs=12, cf_factors=64, cf_weight=2.0))
    for model in models + [multimodal]:
        start = time.perf_counter()
        model.fit(fold)
        result["fit_seconds"][model.name] = round(time.perf_counter() - start, 2)
        print(f"fit {model.name}: {result['fit_seconds'][model.name]} s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        multimodal.save(tmp, log.user_ids, log.item_ids)
        rng = np.random.default_rng(0)
        users = [str(u) for u in rng.choice(log.user_ids, size=args.users, replace=False)]
        for kind in ("exact", "hnsw"):
            recs = Recommendations(tmp, kind)
            for explain in (0, 2):
                recs.for_user(users[0], 20, explain=explain)  # warm-up
                times = []
                for user in users:
                    start = time.perf_counter()
                    recs.for_user(user, 20, explain=explain)
                    times.append(time.perf_counter() - start)
                row = {"index": kind, "explanations": explain, "p50_ms": percentile_ms(times, 50),
                       "p99_ms": percentile_ms(times, 99), "users": len(users)}
                result["latency"].append(row)
                print(f"latency {kind} explain={explain}: p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms",
                      flush=True)
            index = ItemIndex(recs.model.item_vectors, recs.model.item_bias, kind)
            batch_users = np.arange(min(5000, log.n_users))
            start = time.perf_counter()
            for s in range(0, len(batch_users), 1000):
                index.search(recs.model.user_vectors(batch_users[s:s + 1000]), 20)
            rate = len(batch_users) / (time.perf_counter() - start)
            result["throughput"].append({"index": kind, "users_per_second": rate})
            print(f"throughput {kind}: {rate:,.0f} users/s", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
