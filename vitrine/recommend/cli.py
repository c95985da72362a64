"""The recommender's verbs: `vitrine fit`, `recommend`, `similar`, `eval recommend`.

Heavy modules load inside each verb, so `vitrine --help` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_MODEL = "models/recommender"


def _titles(store, ids: list[str]) -> dict[str, tuple[str, str]]:
    from sqlalchemy import select

    from vitrine.catalog import schema
    items = schema.Item.__table__
    out = {}
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 900):
            query = select(items.c.id, items.c.title, items.c.category).where(items.c.id.in_(ids[start:start + 900]))
            out.update({r.id: (r.title, r.category or "") for r in conn.execute(query)})
    return out


def cmd_fit(args) -> int:
    import time

    from vitrine.recommend.features import load_fold
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
    from vitrine.cli import _store
    store = _store(args)
    log, fold, features = load_fold(store, args.fold, progress=not args.quiet)
    options = {"dim": args.dim, "epochs": args.epochs, "cf_weight": args.cf_weight, "cf_factors": args.cf_factors,
               "recency_weight": args.recency_weight}
    given = {k: v for k, v in options.items() if v is not None}
    config = MultimodalConfig(seed=args.seed, **given)
    start = time.perf_counter()
    model = Multimodal(features, config).fit(fold, progress=not args.quiet)
    folder = model.save(args.out, log.user_ids, log.item_ids)
    print(f"fitted {model.name} on {fold.train.nnz:,} (user, item) pairs of the {args.fold!r} fold "
          f"in {time.perf_counter() - start:.0f} s → {folder}")
    return 0


def cmd_recommend(args) -> int:
    import numpy as np

    from vitrine.cli import _store
    from vitrine.recommend.serve import Recommendations
    recs = Recommendations(args.model, args.index)
    store = _store(args)
    info = _titles(store, [str(i) for i in recs.item_ids])
    categories = np.array([info.get(str(i), ("", ""))[1] for i in recs.item_ids], dtype=object)
    try:
        suggestions = recs.for_user(args.user_id, args.k, per_category=args.per_category, categories=categories)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"top {len(suggestions)} for {args.user_id}:")
    for n, s in enumerate(suggestions, 1):
        because = "; ".join(info.get(b, (b, ""))[0] for b in s.because)
        print(f"{n:3}. {s.item_id}  {s.score:7.3f}  {info.get(s.item_id, ('?', ''))[0]}"
              + (f"   ← because: {because}" if because else ""))
    return 0


def cmd_similar(args) -> int:
    from vitrine.cli import _store
    from vitrine.recommend.serve import Recommendations
    recs = Recommendations(args.model, args.index)
    try:
        rows = recs.similar(args.item_id, args.k)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    info = _titles(_store(args), [args.item_id] + [i for i, _ in rows])
    print(f"items like {args.item_id} ({info.get(args.item_id, ('?', ''))[0]}):")
    for n, (item_id, score) in enumerate(rows, 1):
        print(f"{n:3}. {item_id}  {score:6.3f}  {info.get(item_id, ('?', ''))[0]}")
    return 0


def cmd_eval_recommend(args) -> int:
    from vitrine.cli import _store
    from vitrine.recommend.report import run
    result = run(_store(args), args.out, quick=args.quick, progress=not args.quiet)
    print(Path(args.out, "metrics.md").read_text())
    print(f"report: {Path(args.out) / 'metrics.md'}, metrics: {Path(args.out) / 'metrics.json'} "
          f"({result['seconds']:.0f} s)")
    return 0


def cmd_eval_movielens(args) -> int:
    from vitrine.recommend.movielens import run
    try:
        result = run(args.out, quick=args.quick, seed=args.seed, progress=not args.quiet, path=args.inter)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(Path(args.out, "metrics.md").read_text())
    print(f"report: {Path(args.out) / 'metrics.md'} ({result['seconds']:.0f} s)")
    return 0


def add_verbs(verbs, eval_verbs, add_verb) -> None:
    p = add_verb(verbs, "fit", help="train the multimodal recommender and save it (safetensors + ID maps)")
    p.add_argument("--fold", default="all", choices=["all", "test", "valid"],
                   help="which events to learn from: all (default), or those before the test / valid period")
    p.add_argument("--dim", type=int, help="embedding size (default: MultimodalConfig's)")
    p.add_argument("--epochs", type=int, help="passes over the users (default: MultimodalConfig's)")
    p.add_argument("--cf-weight", type=float, help="weight w of the ALS block; 0 = content and history only")
    p.add_argument("--cf-factors", type=int, help="factors of the ALS block (default: MultimodalConfig's)")
    p.add_argument("--recency-weight", type=float,
                   help="weight a of the decayed-popularity term a·log(1 + D_i); 0 = off (default: MultimodalConfig's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=DEFAULT_MODEL)
    p.set_defaults(func=cmd_fit)

    for name, func, helptext in (("recommend", cmd_recommend, "top-k items for a shopper, with the history behind each"),
                                 ("similar", cmd_similar, "items most like an item in the model's space")):
        p = add_verb(verbs, name, help=helptext)
        p.add_argument("user_id" if name == "recommend" else "item_id")
        p.add_argument("-k", type=int, default=20 if name == "recommend" else 10)
        p.add_argument("--model", default=DEFAULT_MODEL, help=f"saved recommender (default {DEFAULT_MODEL})")
        p.add_argument("--index", default="exact", choices=["exact", "hnsw"], help="FAISS index kind")
        if name == "recommend":
            p.add_argument("--per-category", type=int, help="at most this many items of one category")
        p.set_defaults(func=func)

    p = add_verb(eval_verbs, "recommend", help="every recommender side by side on the test period")
    p.add_argument("--out", default="reports/recommend")
    p.add_argument("--quick", action="store_true", help="small grids and few epochs (a smoke run, not the report)")
    p.set_defaults(func=cmd_eval_recommend)

    p = add_verb(eval_verbs, "movielens", help="real-data check: MovieLens-100k on RecBole's protocol")
    p.add_argument("--out", default="reports/movielens")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-user 8:1:1 split")
    p.add_argument("--inter", help="an atomic .inter file (default: the recbole wheel's ml-100k.inter)")
    p.add_argument("--quick", action="store_true", help="one small model each (a smoke run, not the report)")
    p.set_defaults(func=cmd_eval_movielens)
