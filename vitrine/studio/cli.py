"""The studio's verbs: `studio launch`, `eval studio`. Heavy modules load inside each verb."""

from __future__ import annotations

from vitrine.command import (SHIPPED_EVALUATOR, SHIPPED_PIPELINE, UsageError, check_output, check_output_dir, count,
                             default_path, number, open_store)



def cmd_launch(args) -> int:
    import hashlib

    from vitrine.diffusion.grid import save_grid
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.recommend.cli import recommendations
    from vitrine.studio.launch import add_to_catalog, check_launch, launch
    try:
        check_launch(args.description, args.price, args.n, args.audience)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    output = check_output(args.output, "-o/--output", (".png",))
    store = open_store(args)
    digest = hashlib.sha256(f"{args.description}\x00{args.seed}".encode()).hexdigest()
    item_id = args.item_id or f"studio-{digest[:10]}"  # the same launch gets the same ID
    if args.add and store.item_rows(("id",), ids=[item_id]):  # before minutes of sampling
        raise UsageError(f"--item-id {item_id!r}: an item with this ID exists already")
    recs = recommendations(store, args.model_dir, args.index)
    try:
        pipe = load_pipeline(args.model)
        evaluator = load_evaluator(args.evaluator)
        result = launch(pipe, evaluator, recs, args.description, args.price, n=args.n, audience=args.audience,
                        seed=args.seed, steps=args.steps)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    labels = [("chosen " if k == result.chosen else "") + f"{a:.2f}" for k, a in enumerate(result.agreement)]
    save_grid(result.candidates, output, columns=min(len(result.candidates), 8), labels=labels,
              title=args.description[:80])
    print(f"{len(result.candidates)} candidates for {args.description!r} → {output}; kept #{result.chosen} "
          f"(seed {result.seeds[result.chosen]}, agreement {result.agreement[result.chosen]:.2f})")
    print(f"audience: {len(result.audience):,} shoppers; best:")
    for user_id, score in result.audience[:10]:
        print(f"  {user_id}  {score:7.3f}")
    if args.add:
        try:
            add_to_catalog(store, result, item_id, str(args.model), {"steps": args.steps, "sampler": "dpm++sde"})
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"added {item_id} to the catalog as a new item; its picture is stored as generated, not as a photo")
    return 0


def cmd_eval_studio(args) -> int:
    from pathlib import Path

    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.studio.launch_eval import run
    check_output_dir(args.out, "--out")
    store = open_store(args)
    try:
        pipe = load_pipeline(args.model)
        evaluator = load_evaluator(args.evaluator)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = {"dim": 16, "epochs": 2} if args.quick else None
    result = run(store, pipe, evaluator, args.out, candidates=args.candidates, audience=args.audience,
                 steps=args.steps, seed=args.seed, limit=args.limit, config=config, progress=not args.quiet)
    print(Path(args.out, "launch.md").read_text())
    print(f"report: {Path(args.out) / 'launch.md'}, metrics: {Path(args.out) / 'launch.json'} ({result['seconds']:.0f} s)")
    return 0


def register(verbs, common) -> None:
    studio = verbs.group("studio", "generation inside recommendation")
    p = studio.add("launch", cmd_launch, "a product not yet made: its picture from its description, and the "
                   "shoppers most likely to want it")
    p.add_argument("description", help='the product, e.g. "a mustard yellow checked coat"')
    p.add_argument("--price", type=number(0, 1e7), help="its price (scored against its category's median)")
    p.add_argument("-n", type=count(1, 64), default=4, help="candidate pictures to choose from (default 4)")
    p.add_argument("--audience", type=count(1, 100_000), default=100, help="shoppers to name (default 100)")
    p.add_argument("--steps", type=count(1, 1000), default=20, help="sampling steps (default 20)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first candidate (default 0)")
    p.add_argument("--add", action="store_true", help="put it in the catalog as a new item with its generated picture")
    p.add_argument("--item-id", help="the new item's ID with --add (default: studio- and 10 hex digits of the description and seed)")
    p.add_argument("--model", default=default_path(SHIPPED_PIPELINE), help=f"diffusion pipeline (default {SHIPPED_PIPELINE})")
    p.add_argument("--evaluator", default=default_path(SHIPPED_EVALUATOR),
                   help=f"evaluator that picks the candidate (default {SHIPPED_EVALUATOR})")
    p.add_argument("--recommender", dest="model_dir", help="fitted recommender (default DATA_DIR/models/recommender)")
    p.add_argument("--index", default="exact", choices=["exact", "hnsw"], help="FAISS index of the recommender")
    p.add_argument("-o", "--output", default="launch.png", help="PNG of the candidates (default launch.png)")

    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("studio", cmd_eval_studio, "launch measured on the held-out new items: generated picture "
                       "vs real photo vs none, and audience quality")
    p.add_argument("--candidates", type=count(1, 64), default=4, help="pictures per item to pick from (default 4)")
    p.add_argument("--audience", type=count(1, 100_000), default=100, help="shoppers per item (default 100)")
    p.add_argument("--steps", type=count(1, 1000), default=20, help="sampling steps (default 20)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first picture (default 0)")
    p.add_argument("--limit", type=count(1), help="launch only the first N new items (default: all)")
    p.add_argument("--quick", action="store_true", help="a small recommender (a smoke run, not the report)")
    p.add_argument("--model", default=default_path(SHIPPED_PIPELINE), help=f"diffusion pipeline (default {SHIPPED_PIPELINE})")
    p.add_argument("--evaluator", default=default_path(SHIPPED_EVALUATOR),
                   help=f"evaluator that picks and reads the pictures (default {SHIPPED_EVALUATOR})")
    p.add_argument("--out", default="reports/studio", help="report folder (default reports/studio)")
