"""`vitrine eval diversity`: accuracy and diversity of re-rankings side by side, on the test period.

The protocol of `vitrine eval recommend` (full ranking, items bought before the cut left out, the
test period's items as targets), on a seeded sample of its users, for a recommender fitted on the
events before the test period (`vitrine fit --fold test --out DIR`). Each re-ranking
(recommend/diversity.py) reorders the same top DEPTH candidates per user. A re-ranking is
eligible to ship when it raises both coverage@20 and ILD@20 and keeps Recall@20 within 2 % of the
plain ranking's; among those, the one with the highest coverage@20 is chosen.

Similar items, for a sample of items: the plain nearest neighbours against those capped at half of
the list from one category × colour × pattern — how many lists are mostly one such group, and
how close the neighbours stay.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from vitrine.recommend.diversity import (calibrated, group_capped, intra_list_diversity, look, mmr, penalised,
                                         popularity_penalty, top10_share, unit_rows)
from vitrine.recommend.evaluate import top_k
from vitrine.recommend.metrics import evaluate_rankings
from vitrine.results import Column, Table, write_report

K = 20
DEPTH = 100
RECALL_KEPT = 0.98  # a re-ranking ships only if it keeps Recall@20 within 2 %
VARIANTS = [("plain", None), ("MMR λ=0.1", ("mmr", 0.1)), ("MMR λ=0.2", ("mmr", 0.2)), ("MMR λ=0.3", ("mmr", 0.3)),
            ("MMR λ=0.5", ("mmr", 0.5)), ("popularity penalty β=0.1", ("pop", 0.1)),
            ("popularity penalty β=0.25", ("pop", 0.25)), ("popularity penalty β=0.5", ("pop", 0.5)),
            ("popularity penalty β=1", ("pop", 1.0)), ("calibrated λ=0.3", ("cal", 0.3)),
            ("calibrated λ=0.6", ("cal", 0.6))] + [
    (f"popularity penalty β={beta}, then MMR λ={lam}", ("pop+mmr", beta, lam))
    for beta in (0.25, 0.5) for lam in (0.3, 0.4, 0.5)]


FOLD_WORDS = {"all": "every event", "valid": "the events before the valid period"}


def fitted_fold(recommender: Path) -> str | None:
    """Which events the recommender learnt from (all, test, valid), as its fit noted in events.json."""
    try:
        return json.loads((Path(recommender) / "events.json").read_text()).get("fold")
    except (OSError, ValueError, AttributeError):
        return None


def run(store, recommender: Path, out: Path, users: int = 5000, items: int = 2000, seed: int = 0,
        progress: bool = True) -> dict:
    from vitrine.recommend.data import load_log, make_fold
    from vitrine.recommend.multimodal import Multimodal
    start = time.perf_counter()
    fitted_on = fitted_fold(recommender)
    if fitted_on != "test":
        learnt = FOLD_WORDS.get(fitted_on, "unknown events (its events.json notes no fold)")
        raise ValueError(f"{recommender} learnt from {learnt}, not only those before the test period; "
                         "fit one with `vitrine fit --fold test --out DIR`")
    fold = make_fold(load_log(store), "test")
    model, user_ids, item_ids = Multimodal.load(recommender)
    for fitted, now, what in ((item_ids, fold.log.item_ids, "catalog"), (user_ids, fold.log.user_ids, "shoppers")):
        if [str(i) for i in fitted] != [str(i) for i in now]:
            raise ValueError(f"{recommender} was fitted on other {what} than this store's; "
                             "fit one here with `vitrine fit --fold test --out DIR`")
    everyone = fold.users("all")
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(everyone, min(users, len(everyone)), replace=False))
    candidates, scores = top_k(model, sample, DEPTH, fold.bought, with_scores=True)
    relevant = [fold.targets[u] for u in sample]
    unit = unit_rows(model.item_vectors)
    buyers = np.asarray((fold.bought > 0).sum(axis=0)).ravel().astype(np.float32)
    rows = {r.id: r for r in store.item_rows(("id", "category", "colour", "pattern"))}
    names = sorted({r.category or "" for r in rows.values()})
    category = np.array([names.index(rows[str(i)].category or "") for i in item_ids])
    history = fold.train[sample]
    result = {"users": len(sample), "k": K, "depth": DEPTH, "seed": seed, "rows": []}
    for label, how in tqdm(VARIANTS, desc="re-rankings", disable=not progress):
        lists = np.empty((len(sample), K), np.int64)
        for n in range(len(sample)):
            c, s = candidates[n], scores[n]
            if how is None:
                lists[n] = c[:K]
            elif how[0] == "mmr":
                lists[n] = mmr(c, s, unit, K, how[1])
            elif how[0] == "pop":
                lists[n] = popularity_penalty(c, s, buyers, K, how[1])
            elif how[0] == "pop+mmr":
                lists[n] = mmr(c, penalised(c, s, buyers, how[1]), unit, K, how[2])
            else:
                row = history[n]
                wanted = np.bincount(category[row.indices], weights=row.data, minlength=len(names))
                lists[n] = calibrated(c, s, category, wanted / max(wanted.sum(), 1e-9), K, how[1])
        at_k = evaluate_rankings(lists, relevant, K, len(item_ids), fold.item_users, int((fold.train_events > 0).sum()))
        result["rows"].append({"ranking": label, "recall@20": at_k["recall@20"], "ndcg@20": at_k["ndcg@20"],
                               "coverage@20": at_k["coverage@20"], "ild@20": intra_list_diversity(lists, unit),
                               "top10_share": top10_share(lists), "novelty@20": at_k["novelty@20"]})
    plain = result["rows"][0]
    eligible = [r for r in result["rows"][1:] if r["recall@20"] >= RECALL_KEPT * plain["recall@20"]
                and r["coverage@20"] > plain["coverage@20"] and r["ild@20"] > plain["ild@20"]]
    best = max(eligible, key=lambda r: (r["coverage@20"], r["ild@20"]), default=None)
    result["chosen"] = best["ranking"] if best else "plain"
    result["similar"] = _similar_items(unit, rows, item_ids, items, rng)
    result["seconds"] = round(time.perf_counter() - start, 1)
    write_report(out, "diversity", result, diversity_table(result))
    return result


def _similar_items(unit: np.ndarray, rows: dict, item_ids, n: int, rng, k: int = 12) -> dict:
    """Plain nearest neighbours vs neighbours capped at half of the list from one group."""
    groups = np.array([look(rows[str(i)]) for i in item_ids])
    chosen = rng.choice(len(item_ids), min(n, len(item_ids)), replace=False)
    out = {}
    for label, capped in (("plain", False), ("at most half of one category × colour × pattern", True)):
        mostly_one, closeness = 0, []
        for i in chosen:
            sims = unit @ unit[i]
            sims[i] = -np.inf
            near = np.argsort(-sims)[:50 * k].tolist()
            shown = group_capped(near, groups, k) if capped else near[:k]
            same = np.bincount(np.unique(groups[shown], return_inverse=True)[1]).max()
            mostly_one += same > k // 2
            closeness.append(float(sims[shown].mean()))
        out[label] = {"items": len(chosen), "lists_mostly_one_group": mostly_one / len(chosen),
                      "mean_cosine": float(np.mean(closeness))}
    return out


def diversity_table(result: dict) -> str:
    table = Table([Column("ranking"), Column("Recall@20", "recall@20", "{:.4f}"),
                   Column("NDCG@20", "ndcg@20", "{:.4f}"), Column("coverage@20", "coverage@20", "{:.4f}"),
                   Column("ILD@20", "ild@20", "{:.3f}"), Column("top-10 share", "top10_share", "{:.3f}"),
                   Column("novelty@20", "novelty@20", "{:.2f}")], result["rows"])
    lines = ["# Diversity of the recommendations: re-rankings side by side\n",
             f"Test period, {result['users']:,} sampled users, top {result['k']} re-ranked from each user's "
             f"best {result['depth']} (items bought before the cut left out). Shipped: **{result['chosen']}** "
             f"(the highest coverage among re-rankings that raise coverage and ILD and keep Recall@20 within "
             f"2 %).\n",
             table.markdown(), "",
             "Similar items (12 per item):\n",
             "| neighbours | items | lists more than half one category × colour × pattern | mean cosine |",
             "|---|---:|---:|---:|"]
    for label, r in result["similar"].items():
        lines.append(f"| {label} | {r['items']:,} | {r['lists_mostly_one_group']:.1%} | {r['mean_cosine']:.3f} |")
    return "\n".join(lines) + "\n"
