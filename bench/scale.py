"""The growth curve: what a shop of 70k, 250k and 1M items costs to load, fit and serve.

Each size runs in its own process, so each peak memory is its own. Per size N:
1. shop: the default shop's attribute draws (category, colour, pattern, brand, price, written
   titles and descriptions) for N items, and the shopper simulator with 25,000·N/70,000 users;
2. store: items, users and events written into a new SQLite store through the project's loaders,
   then the log read back (`load_log`) and the fit's matrix built (`make_fold`);
3. fit: the multimodal recommender's network for --epochs epochs (its cost per epoch is fixed, so
   the full fit is projected to the configured 24 epochs) and its ALS block, with peak memory;
4. index: exact, IVF and HNSW FAISS indexes over the fitted item vectors: build seconds, size;
   each approximate index's effort (nprobe, efSearch) is the smallest that keeps ≥ 0.95 of the
   exact top 20 on --queries tuning users, then it is measured on --queries other users;
5. queries: one recommendation (the user vector from the history, the search, the user's bought
   items left out) p50/p99, one at a time; and throughput, 1,000 users per search call.

Item text vectors are MiniLM vectors of each item's attribute phrase ("red striped dress";
520 distinct): encoding 1M written descriptions would take hours here, and the vectors' size, and
so every cost measured, is the same. The encoding rate of written descriptions is measured on a
sample and reported separately; it is a one-off cost per new text, linear in items.

    python bench/scale.py --out bench/results/scale.json      # 70k, 250k, 1M (about an hour)
    python bench/scale.py --sizes 5000 20000 --out /tmp/scale.json   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's vitrine, run from anywhere
from vitrine.command import count  # noqa: E402

DEFAULT_SIZES = (70_000, 250_000, 1_000_000)
USERS_PER_ITEM = 25_000 / 70_000   # the default shop's ratio
K = 20
TARGET_RECALL = 0.95
EFFORTS = {"ivf": (1, 2, 4, 8, 16, 32, 64, 128, 256), "hnsw": (16, 32, 64, 128, 256, 512)}


class PeakMemory:
    """Samples this process's resident set every 10 ms; `stage()` records seconds and the peak."""

    def __init__(self):
        self.peak, self._stop = 0, threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.rss())

    @contextmanager
    def stage(self, record: dict, name: str):
        before = self.rss()
        self.peak = before
        start = time.perf_counter()
        yield
        record[name] = {"seconds": time.perf_counter() - start, "peak_gb": max(self.peak, self.rss()) / 2**30,
                        "added_gb": (max(self.peak, self.rss()) - before) / 2**30}
        print(f"  {name}: {record[name]['seconds']:.1f} s, peak {record[name]['peak_gb']:.2f} GB", flush=True)


def synthetic_shop(n_items: int, seed: int):
    """Attribute arrays, titles and descriptions of n items, and their simulated shoppers."""
    import random

    from vitrine.catalog.build import draw_attributes, draw_prices
    from vitrine.catalog.describe import write_text
    from vitrine.catalog.shoppers import ShopperConfig, simulate
    rng = np.random.default_rng(seed)
    category = rng.integers(0, 10, n_items)          # Fashion-MNIST's ten classes, equally often
    colour, pattern, brand = draw_attributes(n_items, rng)
    price = draw_prices(category, brand, rng)
    text_rng = random.Random(seed)
    texts = [write_text(int(c), int(k), int(p), int(b), text_rng)
             for c, k, p, b in zip(category, colour, pattern, brand)]
    config = ShopperConfig(n_users=round(USERS_PER_ITEM * n_items), seed=seed)
    log = simulate(category, colour, pattern, price, config, progress=False)
    return dict(category=category, colour=colour, pattern=pattern, brand=brand, price=price, texts=texts), log


def write_store(folder: Path, items: dict, log):
    """A new SQLite store holding the items, the simulated users and their events."""
    from vitrine.storage import schema
    from vitrine.catalog.attributes import BRAND_NAMES, CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.catalog.save import save_shopper_log
    from vitrine.storage.store import Store
    store = Store(folder)
    ids = [f"sx-{i:07d}" for i in range(len(items["price"]))]
    with store.loading() as load:
        load.insert(schema.Item, [
            {"id": item_id, "title": title, "description": text, "category": CATEGORY_NAMES[c],
             "colour": COLOUR_NAMES[k], "pattern": PATTERN_NAMES[p], "brand": BRAND_NAMES[b], "price": float(price),
             "source": "synthetic", "launched_at": None, "is_new": False, "attributes": {}}
            for item_id, (title, text), c, k, p, b, price in zip(ids, items["texts"], items["category"],
                                                                   items["colour"], items["pattern"], items["brand"],
                                                                   items["price"])])
    save_shopper_log(store, log, ids, progress=False)
    return store


def phrase_features(item_ids: np.ndarray, items: dict, order: np.ndarray):
    """ItemFeatures whose text vector is the MiniLM vector of the item's attribute phrase."""
    import torch

    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.recommend.features import ItemFeatures, price_medians, relative_log_price
    from vitrine.text.encoder import shared_encoder
    n_colours, n_patterns = len(COLOUR_NAMES), len(PATTERN_NAMES)
    kind = (items["category"] * n_colours + items["colour"]) * n_patterns + items["pattern"]  # the phrase's row
    phrases = [f"{colour} {pattern} {category}" for category in CATEGORY_NAMES for colour in COLOUR_NAMES
               for pattern in PATTERN_NAMES]
    vectors = torch.cat([shared_encoder().pooled(phrases[s:s + 128]) for s in range(0, len(phrases), 128)])
    category = np.array([CATEGORY_NAMES[c] for c in items["category"]], dtype=object)[order]
    price = items["price"][order]
    medians = price_medians(price, category)
    n = len(item_ids)
    return ItemFeatures(item_ids, vectors[kind[order]], torch.zeros((n, 0)), torch.zeros(n, dtype=torch.bool),
                        torch.from_numpy(relative_log_price(price, category, medians)), None, medians)


def description_rate(texts: list[str], n: int = 1024) -> float:
    """Seconds per 1,000 written descriptions through MiniLM (the one-off cost of a new item's text)."""
    from vitrine.text.encoder import shared_encoder
    encoder = shared_encoder()
    n = min(n, len(texts))
    encoder.pooled(texts[:64])  # warm-up
    start = time.perf_counter()
    for s in range(0, n, 128):
        encoder.pooled(texts[s:s + 128])
    return (time.perf_counter() - start) / n * 1000


def percentiles_ms(times: list[float]) -> dict:
    t = np.array(times) * 1000
    return {"p50": float(np.percentile(t, 50)), "p99": float(np.percentile(t, 99))}


def measure_indexes(model, memory: PeakMemory, record: dict, users: np.ndarray, n_queries: int) -> None:
    """Build each index kind; tune the approximate ones on half the users; time and score on the rest."""
    import faiss

    from vitrine.recommend.index import ItemIndex
    tune, measure = users[:n_queries], users[n_queries:]
    vectors = {"tune": model.user_vectors(tune), "measure": model.user_vectors(measure)}
    bought = {name: [set(model.bought[u].indices.tolist()) for u in group] for name, group in
              (("tune", tune), ("measure", measure))}
    exact_top = {}
    for kind in ("exact", "ivf", "hnsw"):
        row = record.setdefault("indexes", {}).setdefault(kind, {})
        with memory.stage(row, "build"):
            index = ItemIndex(model.item_vectors, model.item_bias, kind)
        row["size_mb"] = faiss.serialize_index(index.index).nbytes / 2**20

        def recall(name: str) -> float:
            got = index.search(vectors[name], K, bought[name])[1]
            return float(np.mean([len(set(a) & set(b)) / K for a, b in zip(got, exact_top[name])]))

        if kind == "exact":
            exact_top = {name: index.search(vectors[name], K, bought[name])[1] for name in vectors}
        else:
            tried = {}
            for effort in EFFORTS[kind]:
                index.set_effort(effort)
                tried[effort] = recall("tune")
                if tried[effort] >= TARGET_RECALL:
                    break
            row["effort"], row["tuning_recall"] = effort, tried
            row["recall_at_20"] = recall("measure")
        single, search_only = [], []
        for n, u in enumerate(measure):
            start = time.perf_counter()
            vector = model.user_vectors(np.array([u]))
            middle = time.perf_counter()
            index.search(vector, K, [bought["measure"][n]])
            end = time.perf_counter()
            single.append(end - start)
            search_only.append(end - middle)
        row["recommendation_ms"], row["search_ms"] = percentiles_ms(single[10:]), percentiles_ms(search_only[10:])
        rounds = []
        for _ in range(3):
            start = time.perf_counter()
            index.search(vectors["measure"], K, bought["measure"])
            rounds.append(time.perf_counter() - start)
        row["batch_users_per_s"] = len(measure) / float(np.median(rounds))
        print(f"  {kind}: recommendation p99 {row['recommendation_ms']['p99']:.2f} ms, "
              f"recall {row.get('recall_at_20', 1.0):.3f}, {row['batch_users_per_s']:,.0f} users/s", flush=True)


def search_by_inner_product(model, queries: np.ndarray) -> dict:
    """Recall@20 at every effort of IVF and HNSW built on inner product directly, and of the
    shipped indexes (the Euclidean reduction), against exact search; nothing excluded."""
    import faiss

    from vitrine.recommend.index import ItemIndex, ivf_cells
    exact = ItemIndex(model.item_vectors, model.item_bias, "exact")
    truth = exact.search(queries, K)[1]
    vectors, d = exact.vectors, exact.vectors.shape[1]
    lifted_queries = np.ascontiguousarray(np.hstack([queries, np.ones((len(queries), 1))]), dtype=np.float32)
    quantizer = faiss.IndexFlatIP(d)
    direct = {"ivf": faiss.IndexIVFFlat(quantizer, d, ivf_cells(len(vectors)), faiss.METRIC_INNER_PRODUCT),
              "hnsw": faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)}
    direct["ivf"].train(vectors)
    out = {}
    for kind, raw in direct.items():
        raw.add(vectors)
        shipped = ItemIndex(model.item_vectors, model.item_bias, kind)
        out[kind] = {}
        for effort in EFFORTS[kind]:
            shipped.set_effort(effort)
            if kind == "ivf":
                raw.nprobe = effort
            else:
                raw.hnsw.efSearch = effort
            got_raw, got = raw.search(lifted_queries, K)[1], shipped.search(queries, K)[1]
            out[kind][effort] = {name: float(np.mean([len(set(a) & set(b)) / K for a, b in zip(rows, truth)]))
                                 for name, rows in (("inner_product", got_raw), ("euclidean_reduction", got))}
    return out


def run_size(n_items: int, epochs: int, n_queries: int, seed: int, compare: bool) -> dict:
    from vitrine.recommend.config import MultimodalConfig
    from vitrine.recommend.data import load_log, make_fold
    from vitrine.recommend.multimodal import Multimodal

    class TimedMultimodal(Multimodal):
        def _fit_collaborative(self, fold):
            start = time.perf_counter()
            factors = super()._fit_collaborative(fold)
            self.als_seconds = time.perf_counter() - start
            return factors

    memory = PeakMemory()
    record: dict = {"items": n_items}
    print(f"{n_items:,} items", flush=True)
    with memory.stage(record, "simulate"):
        items, shoppers = synthetic_shop(n_items, seed)
    record.update(users=len(shoppers.activity), events=len(shoppers.ts))
    record["description_encoding_s_per_1k"] = description_rate([t[1] for t in items["texts"]])
    with tempfile.TemporaryDirectory(prefix="vitrine-scale-") as folder:
        with memory.stage(record, "store_write"):
            store = write_store(Path(folder), items, shoppers)
        record["store_mb"] = (Path(folder) / "vitrine.db").stat().st_size / 2**20
        del shoppers
        with memory.stage(record, "store_read"):
            log = load_log(store)
            fold = make_fold(log, "all")
        store.engine.dispose()
    record["pairs"] = int(fold.train.nnz)
    order = np.array([int(i[3:]) for i in log.item_ids])  # the store lists items by ID
    features = phrase_features(log.item_ids, items, order)
    del items
    config = MultimodalConfig(parts=("text", "price"), epochs=epochs, seed=seed)
    with memory.stage(record, "fit"):
        model = TimedMultimodal(features, config).fit(fold, progress=True)
    fit = record["fit"]
    fit["epochs"], fit["als_seconds"] = epochs, model.als_seconds
    fit["network_seconds_per_epoch"] = (model.fit_seconds - model.als_seconds) / epochs
    fit["projected_seconds"] = fit["network_seconds_per_epoch"] * MultimodalConfig.epochs + model.als_seconds
    rng = np.random.default_rng(seed + 1)
    users = rng.choice(np.flatnonzero(np.diff(model.history.indptr) > 0), 2 * n_queries + 10, replace=False)
    measure_indexes(model, memory, record, users, n_queries)
    if compare:
        record["inner_product_comparison"] = search_by_inner_product(model, model.user_vectors(users[:n_queries]))
    return record


def plot(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter
    events = [r["events"] for r in results]
    items = [r["items"] for r in results]
    fig, (costs, latency, memory) = plt.subplots(1, 3, figsize=(15, 4.5))
    lines = {"store write": [r["store_write"]["seconds"] for r in results],
             "store read + matrix": [r["store_read"]["seconds"] for r in results],
             "fit (projected, 24 epochs)": [r["fit"]["projected_seconds"] for r in results],
             "ALS block": [r["fit"]["als_seconds"] for r in results],
             **{f"{k} index build": [r["indexes"][k]["build"]["seconds"] for r in results] for k in ("ivf", "hnsw")}}
    for name, ys in lines.items():
        costs.loglog(events, ys, "o-", label=name)
    guide = np.array(events, dtype=float)
    costs.loglog(guide, lines["fit (projected, 24 epochs)"][0] * guide / guide[0], "k:", label="linear in events")
    costs.set(xlabel="events", ylabel="seconds", title="One-off costs")
    costs.legend(fontsize=8)
    for kind in ("exact", "ivf", "hnsw"):
        latency.loglog(items, [r["indexes"][kind]["recommendation_ms"]["p99"] for r in results], "o-",
                       label=f"{kind} p99")
    latency.axhline(20, color="red", ls="--", lw=1, label="target 20 ms")
    latency.set(xlabel="items", ylabel="ms", title="One recommendation, p99")
    latency.legend(fontsize=8)
    for stage in ("store_read", "fit"):
        memory.loglog(items, [r[stage]["peak_gb"] for r in results], "o-", label=f"{stage.replace('_', ' ')} peak")
    memory.loglog(items, [r["indexes"]["hnsw"]["size_mb"] / 1024 for r in results], "o-", label="HNSW index size")
    memory.axhline(24, color="red", ls="--", lw=1, label="this machine (24 GB)")
    memory.set(xlabel="items", ylabel="GB", title="Memory")
    memory.legend(fontsize=8)
    for axes in (costs, latency, memory):
        axes.xaxis.set_minor_formatter(NullFormatter())  # log axes over one decade crowd their minor labels
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def growth_exponent(xs: list[float], ys: list[float]) -> float:
    """b of y ∝ x^b, least squares on log-log."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=count(1000), nargs="+", default=list(DEFAULT_SIZES),
                        help="catalog sizes (items, at least 1,000)")
    parser.add_argument("--epochs", type=count(1, 24), default=2, help="network epochs timed per size (projected to 24)")
    parser.add_argument("--queries", type=count(10), default=1000, help="users for tuning, and again for measuring")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic shops")
    parser.add_argument("--out", default="bench/results/scale.json", help="results (JSON)")
    parser.add_argument("--plot", default="docs/scale-growth.png", help="log-log plot of the growth curve")
    parser.add_argument("--replot", action="store_true", help="only draw --plot again from the --out results")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    parser.add_argument("--compare", action="store_true", help=argparse.SUPPRESS)  # with --one
    args = parser.parse_args()
    fewest_users = round(USERS_PER_ITEM * min(args.sizes))
    if 2 * args.queries + 10 > fewest_users // 2:  # tuning and measuring users, drawn from those with history
        parser.error(f"--queries {args.queries}: the {min(args.sizes):,}-item shop has {fewest_users:,} shoppers; "
                     f"use at most {(fewest_users // 2 - 10) // 2:,}")
    if args.one:
        print(json.dumps(run_size(args.one, args.epochs, args.queries, args.seed, args.compare)))
        return
    if args.replot:
        plot(json.loads(Path(args.out).read_text())["sizes"], Path(args.plot))
        print(f"wrote {args.plot}")
        return
    results = []
    for n in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--epochs", str(args.epochs),
                               "--queries", str(args.queries), "--seed", str(args.seed)]
                              + (["--compare"] if n == min(args.sizes) else []),
                              stdout=subprocess.PIPE, text=True)
        for line in proc.stdout.splitlines()[:-1]:
            print(line)
        if proc.returncode != 0:
            sys.exit(f"size {n:,}: the run failed (exit {proc.returncode})")
        results.append(json.loads(proc.stdout.splitlines()[-1]))
    summary = {"fit_exponent_in_events": growth_exponent([r["events"] for r in results],
                                                         [r["fit"]["projected_seconds"] for r in results])
               if len(results) > 1 else None}
    data = {"threads": os.cpu_count(), "epochs_timed": args.epochs, "queries": args.queries, "k": K,
            "target_recall": TARGET_RECALL, "sizes": results, "summary": summary}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=1) + "\n")
    if len(results) > 1:
        plot(results, Path(args.plot))
    print(f"wrote {args.out}" + (f" and {args.plot}" if len(results) > 1 else ""))


if __name__ == "__main__":
    main()
