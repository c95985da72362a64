"""`vitrine eval recommend`: tune on the valid fold, score every model on the test fold, write the report.

Fair tuning: ALS, Cornac's VBPR and the multimodal model each get a small grid, scored by warm users'
Recall@20 on the valid fold (train period → valid period); the winner is refitted on train +
valid and scored on the test period with every other model, side by side.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vitrine.recommend.baselines import ALS, BPR, VBPR, ItemKNN, Oracle, Popularity, RandomModel, RecentPopularity
from vitrine.recommend.data import Fold, load_log, make_fold
from vitrine.recommend.evaluate import evaluate_model
from vitrine.recommend.features import cached_features
from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
from vitrine.results import Column, Table, write_report

# α = 1 lost to α = 10 at every point of an earlier grid; 32 factors and α = 40 extend it past
# the edge where that grid's winner sat (64 factors, α 10)
ALS_GRID = [{"factors": f, "regularization": r, "alpha": a} for f in (32, 64, 128) for r in (0.01, 0.1)
            for a in (10.0, 40.0)]
MULTIMODAL_GRID = [{"dim": d, "epochs": e} for d in (64, 128) for e in (12, 24)]
CF_WEIGHTS = (0.0, 1.0, 2.0, 4.0)  # the collaborative block's w, tried on each fitted network
RECENCY_WEIGHTS = (0.0, 0.2, 0.4, 0.6)  # a of the decayed-popularity term (γ = the config's 0.5), likewise
VBPR_GRID = [{"k": 32, "k2": 32, "lambda_w": 0.01}, {"k": 32, "k2": 32, "lambda_w": 0.001}]


def _valid_recall(model, fold: Fold) -> float:
    rows = evaluate_model(model.fit(fold), fold, segments=("warm",), filters=("none",))
    return rows[0]["recall@20"] if rows else float("nan")


def choose(table: list[dict], metric: str) -> dict:
    """Mark and return the grid row with the highest `metric`."""
    best = max(table, key=lambda r: r[metric])
    best["chosen"] = True
    return best


def tune(make, grid: list[dict], fold: Fold, label: str, progress: bool) -> tuple[dict, list[dict]]:
    """Fit make(**params) for each grid point on the valid fold; return the best params and the table."""
    table = []
    for params in tqdm(grid, desc=f"tune {label}", unit="fit", disable=not progress):
        start = time.perf_counter()
        table.append({"model": label, "params": params, "valid_recall@20": _valid_recall(make(**params), fold),
                      "seconds": round(time.perf_counter() - start, 1)})
    return choose(table, "valid_recall@20")["params"], table


def tune_multimodal(features, grid: list[dict], fold: Fold, extra: dict, progress: bool) -> tuple[dict, list[dict]]:
    """One network fit per grid point; each (w, a) of CF_WEIGHTS × RECENCY_WEIGHTS is then scored on
    that same fit (the ALS block is fitted after the network, w only scales the user's half of it,
    and a the scoring-time popularity term)."""
    table = []
    for params in tqdm(grid, desc="tune multimodal", unit="fit", disable=not progress):
        start = time.perf_counter()
        model = Multimodal(features, MultimodalConfig.from_dict({**params, **extra, "cf_weight": max(CF_WEIGHTS)}))
        model.fit(fold)
        seconds = round(time.perf_counter() - start, 1)
        for weight in CF_WEIGHTS:
            model.set_cf_weight(weight)
            for recency in RECENCY_WEIGHTS:
                model.set_recency(recency, model.config.recency_decay, fold)
                rows = evaluate_model(model, fold, segments=("warm",), filters=("none",))
                table.append({"model": "multimodal", "params": {**params, "cf_weight": weight,
                                                                "recency_weight": recency},
                              "valid_recall@20": rows[0]["recall@20"], "seconds": seconds})
    return choose(table, "valid_recall@20")["params"], table


def oracle_for(store, log) -> Oracle | None:
    """The true-preference reference, when the shop is simulated."""
    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    truth = store.true_preferences()
    if any(not isinstance(truth.get(u), dict) for u in log.user_ids):
        return None  # an imported shop: nobody's true preferences are known
    rows = {r.id: r for r in store.item_rows(("id", "category", "colour", "pattern", "price"))}
    pref = {"category": np.array([[truth[u]["category"][c] for c in CATEGORY_NAMES] for u in log.user_ids]),
            "colour": np.array([[truth[u]["colour"][c] for c in COLOUR_NAMES] for u in log.user_ids]),
            "pattern": np.array([[truth[u]["pattern"][p] for p in PATTERN_NAMES] for u in log.user_ids]),
            "price_sensitivity": np.array([truth[u]["price_sensitivity"] for u in log.user_ids])}
    cat = np.array([CATEGORY_NAMES.index(rows[i].category) for i in log.item_ids])
    price = np.array([rows[i].price for i in log.item_ids], dtype=float)
    median = {c: np.median(price[cat == c]) for c in np.unique(cat)}
    attrs = {"category": cat, "colour": np.array([COLOUR_NAMES.index(rows[i].colour) for i in log.item_ids]),
             "pattern": np.array([PATTERN_NAMES.index(rows[i].pattern) for i in log.item_ids]),
             "log_relative_price": np.log(price / np.array([median[c] for c in cat]))}
    return Oracle(pref, attrs)


def run(store, out_dir: str | Path, quick: bool = False, progress: bool = True, bpr_iterations: int = 100) -> dict:
    start = time.perf_counter()
    log = load_log(store)
    valid, test = make_fold(log, "valid"), make_fold(log, "test")
    features = cached_features(store, log.item_ids, progress=progress)
    als_grid = ALS_GRID[:2] if quick else ALS_GRID
    mm_grid = MULTIMODAL_GRID[:1] if quick else MULTIMODAL_GRID
    epochs = {"epochs": 2} if quick else {}
    als_params, als_table = tune(lambda **p: ALS(**p), als_grid, valid, "ALS (implicit)", progress)
    # the collaborative block uses the ALS settings just tuned
    cf = {"cf_factors": als_params["factors"], "cf_regularization": als_params["regularization"],
          "cf_alpha": als_params["alpha"]}
    mm_params, mm_table = tune_multimodal(features, mm_grid, valid, {**epochs, **cf}, progress)
    images = features.image.numpy()  # VBPR reads the same image vectors as the multimodal model
    vbpr_epochs = {"epochs": 1} if quick else {}
    vbpr_params, vbpr_table = tune(lambda **p: VBPR(images, **{**p, **vbpr_epochs}), VBPR_GRID[:1] if quick else VBPR_GRID,
                                   valid, "VBPR (Cornac)", progress)
    best_mm = MultimodalConfig.from_dict({**mm_params, **epochs, **cf})
    models = [RandomModel(), Popularity(), RecentPopularity(), ItemKNN(), ALS(**als_params),
              BPR(iterations=10 if quick else bpr_iterations), VBPR(images, **{**vbpr_params, **vbpr_epochs}),
              Multimodal(features, best_mm)]
    # ablations, content alone: text, image; and the network's own ID embeddings (item IDs) instead of ALS's
    content_only = {**asdict(best_mm), "cf_weight": 0.0}
    models += [Multimodal(features, MultimodalConfig.from_dict({**content_only, "parts": ("text",)})),
               Multimodal(features, MultimodalConfig.from_dict({**content_only, "parts": ("image",)})),
               Multimodal(features, MultimodalConfig.from_dict({**content_only, "use_ids": True, "user_ids": False}))]
    oracle = oracle_for(store, log)
    if oracle is not None:
        models.append(oracle)
    rows, fits = [], {}
    for model in tqdm(models, desc="fit + evaluate on test", unit="model", disable=not progress):
        t0 = time.perf_counter()
        model.fit(test)
        fits[model.name] = round(time.perf_counter() - t0, 1)
        rows.extend(evaluate_model(model, test))
        if isinstance(model, Multimodal) and model.config.cf_weight:  # the same network without its scoring-time parts
            weight, recency = model.config.cf_weight, model.config.recency_weight
            rows.extend(evaluate_model(model.set_cf_weight(0.0), test))  # without the ALS block
            if recency:  # without the recency term
                model.set_cf_weight(weight).set_recency(0.0, model.config.recency_decay, test)
                rows.extend(evaluate_model(model, test))
    result = {"protocol": "fit on train + valid periods, score the test period; full ranking over all items",
              "users": log.n_users, "items": log.n_items, "new_items": int(log.is_new.sum()),
              "tuning": als_table + mm_table + vbpr_table, "fit_seconds": fits, "rows": rows,
              "seconds": round(time.perf_counter() - start, 1), "quick": quick}
    write_report(out_dir, "metrics", result, markdown(result))
    return result


METRIC_COLUMNS = [Column("model"), Column("Recall@20", "recall@20", "{:.4f}"), Column("NDCG@20", "ndcg@20", "{:.4f}"),
                  Column("HitRate@20", "hit_rate@20", "{:.4f}"), Column("MAP@12", "map@12", "{:.4f}"),
                  Column("coverage@20", "coverage@20", "{:.3f}"),
                  Column("novelty@20", lambda r: r.get("novelty@20", float("nan")), "{:.2f}")]
TUNING_COLUMNS = [Column("model"), Column("params", "params", json.dumps, align="left"),
                  Column("Recall@20", "valid_recall@20", "{:.4f}"), Column("seconds"),
                  Column("chosen", lambda t: "yes" if t.get("chosen") else "", align="left")]
FIT_COLUMNS = [Column("model"), Column("seconds")]


def markdown(result: dict) -> str:
    lines = ["# Recommendation report", "", f"{result['protocol']}. {result['users']:,} users, {result['items']:,} "
             f"items ({result['new_items']:,} new). Made by `vitrine eval recommend` in {result['seconds']:.0f} s.", ""]
    for segment in ("warm", "all", "short", "new items"):
        for filt in ("none", "bought"):
            rows = [r for r in result["rows"] if r["segment"] == segment and r["filter"] == filt]
            if not rows:
                continue
            lines += [f"## {segment} users" if segment != "new items" else "## new items (cold start: only new items ranked)",
                      "", f"filter: {filt}; {rows[0]['users']:,} users", "",
                      Table(METRIC_COLUMNS, sorted(rows, key=lambda r: -r["recall@20"])).markdown(), ""]
    lines += ["## Tuning (valid fold, warm users' Recall@20)", "", Table(TUNING_COLUMNS, result["tuning"]).markdown(),
              "", "## Fit seconds (test fold)", "",
              Table(FIT_COLUMNS, [{"model": n, "seconds": s} for n, s in result["fit_seconds"].items()]).markdown()]
    return "\n".join(lines) + "\n"
