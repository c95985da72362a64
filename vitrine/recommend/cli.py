"""The recommender's verbs: `fit`, `recommend`, `similar`, `eval recommend`, `eval movielens`.

Heavy modules load inside each verb, so `vitrine --help` stays instant.
"""

from __future__ import annotations

from pathlib import Path

from vitrine.command import (UsageError, add_config_flags, add_setting_options, check_output_dir, count, given_config,
                             open_store, settings_for)
from vitrine.paths import RECOMMENDER_DIR


def _titles(store, ids: list[str]) -> dict[str, tuple[str, str]]:
    return {r.id: (r.title, r.category or "") for r in store.item_rows(("id", "title", "category"), ids=ids)}


def context_for(args, store):
    """The application context a verb runs over: the store, the verb's settings, and the fitted
    recommender of --recommender (default DATA_DIR/models/recommender), or a UsageError."""
    from vitrine.app.context import AppContext
    settings = settings_for(args, store)
    folder = settings.recommender_dir
    if not (folder / "model.json").is_file():
        raise UsageError(f"--recommender {folder}: no fitted recommender here (run `vitrine fit` first)")
    try:
        return AppContext(settings, store)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--recommender {folder}: {exc}") from None


def cmd_fit(args) -> int:
    from vitrine.app.fit import fit, fit_served
    from vitrine.recommend.config import MultimodalConfig, range_problem
    config = given_config(args, MultimodalConfig)
    if (problem := range_problem(config)) is not None:
        raise UsageError(problem)
    store = open_store(args)
    served = store.data_dir / RECOMMENDER_DIR
    out = check_output_dir(args.out or served, "--out")
    if out.resolve() == served.resolve() and args.fold == "all":  # the service's recommender
        fitted, cached = fit_served(store, config, progress=not args.quiet)
    else:
        fitted, cached = fit(store, out, config, args.fold, progress=not args.quiet), 0
    print(f"fitted {fitted.name} on {fitted.pairs:,} (user, item) pairs of the {fitted.fold!r} fold "
          f"in {fitted.seconds:.0f} s → {fitted.folder}")
    if cached:
        print(f"cached {cached:,} shoppers' recommendations; a running service serves the new fit at once")
    return 0


def cmd_recommend(args) -> int:
    from vitrine.app.recommend import for_shopper
    store = open_store(args)
    ctx = context_for(args, store)
    suggestions = for_shopper(ctx, args.user_id, args.k, per_category=args.per_category)
    info = _titles(store, [s.item_id for s in suggestions] + [b for s in suggestions for b in s.because])
    print(f"top {len(suggestions)} for {args.user_id}" + (" (with their events since the fit)"
                                                          if ctx.since_fit(args.user_id) else "") + ":")
    for n, s in enumerate(suggestions, 1):
        because = "; ".join(info.get(b, (b, ""))[0] for b in s.because)
        print(f"{n:3}. {s.item_id}  {s.score:7.3f}  {info.get(s.item_id, ('?', ''))[0]}"
              + (f"   ← because: {because}" if because else ""))
    return 0


def cmd_similar(args) -> int:
    from vitrine.app.recommend import similar
    store = open_store(args)
    rows = similar(context_for(args, store), args.item_id, args.k)
    info = _titles(store, [args.item_id] + [i for i, _ in rows])
    print(f"items like {args.item_id} ({info.get(args.item_id, ('?', ''))[0]}):")
    for n, (item_id, score) in enumerate(rows, 1):
        print(f"{n:3}. {item_id}  {score:6.3f}  {info.get(item_id, ('?', ''))[0]}")
    return 0


def cmd_eval_recommend(args) -> int:
    from vitrine.recommend.report import run
    check_output_dir(args.out, "--out")
    result = run(open_store(args), args.out, quick=args.quick, progress=not args.quiet)
    print(Path(args.out, "metrics.md").read_text())
    print(f"report: {Path(args.out) / 'metrics.md'}, metrics: {Path(args.out) / 'metrics.json'} "
          f"({result['seconds']:.0f} s)")
    return 0


def cmd_eval_diversity(args) -> int:
    from vitrine.recommend.diversity_eval import run
    check_output_dir(args.out, "--out")
    folder = Path(args.recommender)
    if not (folder / "model.json").is_file():
        raise UsageError(f"--recommender {folder}: no fitted recommender there; fit one on the events before the "
                         f"test period with `vitrine fit --fold test --out {folder}`")
    try:
        result = run(open_store(args), folder, Path(args.out), users=args.users, progress=not args.quiet)
    except ValueError as exc:
        raise UsageError(f"--recommender {folder}: {exc}") from None
    print(Path(args.out, "diversity.md").read_text())
    print(f"report: {Path(args.out) / 'diversity.md'} ({result['seconds']:.0f} s)")
    return 0


def cmd_eval_movielens(args) -> int:
    from vitrine.recommend.movielens import run
    check_output_dir(args.out, "--out")
    try:
        result = run(args.out, quick=args.quick, seed=args.seed, progress=not args.quiet, path=args.inter)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(Path(args.out, "metrics.md").read_text())
    print(f"report: {Path(args.out) / 'metrics.md'} ({result['seconds']:.0f} s)")
    return 0


def register(verbs, common) -> None:
    from vitrine.recommend.config import FIELD_HELP, MultimodalConfig
    p = verbs.add("fit", cmd_fit, "train the multimodal recommender and save it (safetensors + ID maps); "
                  "the defaults are the configuration `vitrine eval recommend` chose")
    p.add_argument("--fold", default="all", choices=["all", "test", "valid"],
                   help="which events to learn from: all (default), or those before the test / valid period")
    add_config_flags(p, MultimodalConfig, FIELD_HELP)
    p.add_argument("--out", help=f"model folder (default DATA_DIR/{RECOMMENDER_DIR}); replaced whole when the fit ends")

    for name, func, helptext in (("recommend", cmd_recommend, "top-k items for a shopper, with the history behind each"),
                                 ("similar", cmd_similar, "items most like an item in the model's space")):
        p = verbs.add(name, func, helptext)
        if name == "recommend":
            p.add_argument("user_id", help="a shopper the model knows, e.g. u-00003")
        else:
            p.add_argument("item_id", help="an item the model knows, e.g. fm-00001")
        default_k = 20 if name == "recommend" else 10
        p.add_argument("-k", type=count(1, 1000), default=default_k, help=f"how many, 1–1000 (default {default_k})")
        add_setting_options(p, "recommender", "index", "config")
        if name == "recommend":
            p.add_argument("--per-category", type=count(1, 1000), help="at most this many items of one category")

    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("recommend", cmd_eval_recommend, "every recommender side by side on the test period")
    p.add_argument("--out", default="reports/recommend", help="report folder (default reports/recommend)")
    p.add_argument("--quick", action="store_true", help="small grids and few epochs (a smoke run, not the report)")

    p = evaluation.add("diversity", cmd_eval_diversity, "accuracy and diversity of re-rankings on the test period")
    p.add_argument("--recommender", required=True,
                   help="a recommender fitted before the test period (`vitrine fit --fold test --out DIR`)")
    p.add_argument("--users", type=count(1, 1_000_000), default=5000, help="test users sampled (default 5,000)")
    p.add_argument("--out", default="reports/recommend", help="report folder (default reports/recommend)")

    p = evaluation.add("movielens", cmd_eval_movielens, "real-data check: MovieLens-100k on RecBole's protocol")
    p.add_argument("--out", default="reports/movielens", help="report folder (default reports/movielens)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the per-user 8:1:1 split")
    p.add_argument("--inter", help="an atomic .inter file (default: the recbole wheel's ml-100k.inter)")
    p.add_argument("--quick", action="store_true", help="one small model each (a smoke run, not the report)")
