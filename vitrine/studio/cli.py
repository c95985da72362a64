"""The studio's verbs: `studio launch`, `studio design`, `studio previews`, `eval studio`. Heavy modules
load inside each verb."""

from __future__ import annotations

from vitrine.catalog.prices import MAX_PRICE
from vitrine.command import (UsageError, add_setting_options, check_output, check_output_dir, count, number,
                             open_store, settings_for)


def _context(args, store):
    """The application context of a studio verb: its settings, over a fitted recommender."""
    from vitrine.recommend.cli import context_for
    return context_for(args, store)


def _load(ctx, *models: str) -> None:
    """Load the named models now: one that does not load is a UsageError before any work."""
    for name in models:
        try:
            getattr(ctx, name)()
        except ValueError as exc:
            raise UsageError(str(exc)) from None


def cmd_launch(args) -> int:
    from vitrine.app import studio
    from vitrine.diffusion.grid import save_grid
    from vitrine.studio.launch import check_launch
    check_launch(args.description, args.price, args.n, args.audience)
    output = check_output(args.output, "-o/--output", (".png",))
    store = open_store(args)
    item_id = studio.launch_item_id(args.description, args.seed, args.item_id) if args.add else None
    studio.check_new_item(store, item_id)  # before the recommender, the models and minutes of sampling
    ctx = _context(args, store)
    studio.check_launch(ctx, args.description, args.price, args.n, args.audience, item_id)
    _load(ctx, "pipeline", "evaluator")  # before minutes of sampling
    result, _ = studio.launch(ctx, args.description, args.price, n=args.n, audience=args.audience, seed=args.seed,
                              steps=args.steps, item_id=item_id, keep_candidates=False)
    labels = [("chosen " if k == result.chosen else "") + f"{a:.2f}" for k, a in enumerate(result.agreement)]
    save_grid(result.candidates, output, columns=min(len(result.candidates), 8), labels=labels,
              title=args.description[:80])
    print(f"{len(result.candidates)} candidates for {args.description!r} → {output}; kept #{result.chosen} "
          f"(seed {result.seeds[result.chosen]}, agreement {result.agreement[result.chosen]:.2f})")
    print(f"audience: {len(result.audience):,} shoppers; best:")
    for user_id, score in result.audience[:10]:
        print(f"  {user_id}  {score:7.3f}")
    if item_id is not None:
        print(f"added {item_id} to the catalog as a new item; its picture is stored as generated, not as a photo")
    return 0


def cmd_design(args) -> int:
    from vitrine.diffusion.grid import save_grid
    from vitrine.studio.design import Designer, check_design
    check_design(args.n, args.prompts, args.per_prompt, args.max_per_prompt)
    output = check_output(args.output, "-o/--output", (".png",))
    store = open_store(args)
    ctx = _context(args, store)
    recs = ctx.require_recommender()
    if args.user_id not in recs.user_pos:  # before the prompts' vectors and any sampling
        raise UsageError(f"USER_ID {args.user_id!r}: the recommender knows no such shopper "
                         f"({len(recs.user_ids):,} shoppers, e.g. {recs.user_ids[0]!r})")
    _load(ctx, "pipeline")
    designs = Designer(ctx.pipeline(), recs, steps=args.steps, seed=args.seed).design(
        args.user_id, n=args.n, prompts=args.prompts, per_prompt=args.per_prompt,
        max_per_prompt=args.max_per_prompt, nearest=args.nearest)
    nearest_photos = dict(store.main_photos(sorted({d.nearest[0][0] for d in designs if d.nearest})))
    images, labels = [d.image for d in designs], [f"{d.score:.2f}" for d in designs]
    if nearest_photos:
        from PIL import Image
        for d in designs:
            path = nearest_photos.get(d.nearest[0][0]) if d.nearest else None
            if path is None:
                images.append(Image.new("RGB", d.image.size, "white"))
            else:
                with Image.open(store.images.resolve(path)) as im:
                    images.append(im.convert("RGB").resize(d.image.size))
            labels.append(f"in stock {d.nearest[0][1]:.2f}" if d.nearest else "")
    save_grid(images, output, columns=len(designs), labels=labels,
              title=f"designed for {args.user_id} (upper row, with the recommender's score)"
                    + (" and the closest item in stock (lower row, cosine)" if nearest_photos else ""))
    print(f"{len(designs)} designs for {args.user_id} → {output}")
    for k, d in enumerate(designs, 1):
        close = ", ".join(f"{i} ({c:.2f})" for i, c in d.nearest)
        print(f"{k:2d}. {d.score:7.3f}  {d.prompt} (seed {d.seed}); closest in stock: {close or '-'}")
    return 0


def cmd_previews(args) -> int:
    from vitrine.diffusion.grid import save_grid
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.studio.previews import make_previews
    output = check_output(args.output, "-o/--output", (".png",))
    store = open_store(args)
    if not store.items_without_picture(1):  # before loading any model
        print("every item has a photo or a preview: nothing to do")
        return 0
    settings = settings_for(args, store)
    try:
        pipe = load_pipeline(settings.model)
        evaluator = load_evaluator(settings.evaluator)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    pipe.set_progress_bar_config(disable=True)
    run = make_previews(store, pipe, evaluator, str(settings.model), limit=args.limit, n=args.n, steps=args.steps,
                        seed=args.seed, progress=not args.quiet)
    save_grid([im for _, im in run.examples], output, columns=8, labels=[t[:22] for t, _ in run.examples],
              title="previews: generated pictures of items without a photo (stored as generated, not as photos)")
    print(f"{run.items:,} previews stored as generated pictures (best of {args.n}); the evaluator reads "
          f"{run.agreement:.2f} of the {run.stated:.2f} attributes stated per item in them; first "
          f"{len(run.examples)} → {output}")
    return 0


def cmd_eval_studio(args) -> int:
    from pathlib import Path

    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.studio import design_eval, launch_eval, previews_eval
    from vitrine.studio.report import write_report
    parts = _parts(args.parts)
    check_output_dir(args.out, "--out")
    store = open_store(args)
    settings = settings_for(args, store)
    recs = None
    if "design" in parts:
        from vitrine.recommend.cli import context_for
        recs = context_for(args, store).require_recommender()
    try:
        pipe = load_pipeline(settings.model)
        evaluator = load_evaluator(settings.evaluator)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        if "previews" in parts:
            previews_eval.run(store, pipe, evaluator, args.out, hide=args.hide, candidates=args.preview_candidates,
                              steps=args.design_steps, seed=args.seed, limit=args.limit, progress=not args.quiet,
                              config={"dim": 16, "epochs": 2} if args.quick else None)
        if "design" in parts:
            design_eval.run(store, pipe, evaluator, recs, args.out, shoppers=args.shoppers, steps=args.design_steps,
                            seed=args.seed, progress=not args.quiet)
        if "launch" in parts:
            config = {"dim": 16, "epochs": 2} if args.quick else None
            launch_eval.run(store, pipe, evaluator, args.out, candidates=args.candidates, audience=args.audience,
                            steps=args.steps, seed=args.seed, limit=args.limit, config=config, progress=not args.quiet)
    except LookupError as exc:
        raise UsageError(str(exc)) from None
    report = write_report(args.out)
    print(report.read_text())
    print(f"report: {report}, metrics: {Path(args.out) / 'metrics.json'}")
    return 0


STUDIO_PARTS = ("previews", "design", "launch")


def _parts(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(STUDIO_PARTS))
    if unknown or not parts:
        raise UsageError(f"--parts: choose from {', '.join(STUDIO_PARTS)} (comma-separated), got {text!r}")
    return parts


def register(verbs, common) -> None:
    studio = verbs.group("studio", "generation inside recommendation")
    p = studio.add("launch", cmd_launch, "a product not yet made: its picture from its description, and the "
                   "shoppers most likely to want it")
    p.add_argument("description", help='the product, e.g. "a mustard yellow checked coat"')
    p.add_argument("--price", type=number(0, MAX_PRICE), help="its price (scored against its category's median)")
    p.add_argument("-n", type=count(1, 64), default=4, help="candidate pictures to choose from (default 4)")
    p.add_argument("--audience", type=count(1, 100_000), default=100, help="shoppers to name (default 100)")
    p.add_argument("--steps", type=count(1, 1000), help="sampling steps (default 20; 4 for a distilled model)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first candidate (default 0)")
    p.add_argument("--add", action="store_true", help="put it in the catalog as a new item with its generated picture")
    p.add_argument("--item-id", help="the new item's ID with --add (default: studio- and 10 hex digits of the description and seed)")
    add_setting_options(p, "model", "evaluator", "recommender", "index", "config")
    p.add_argument("-o", "--output", default="launch.png", help="PNG of the candidates (default launch.png)")

    p = studio.add("design", cmd_design, "products one shopper would want, which need not exist yet, each "
                   "with the closest items in stock")
    p.add_argument("user_id", metavar="USER_ID", help="the shopper (an ID the fitted recommender knows)")
    p.add_argument("-n", type=count(1, 256), default=8, help="designs to keep (default 8)")
    p.add_argument("--prompts", type=count(1, 520), default=8, help="best-scored prompts to draw (default 8)")
    p.add_argument("--per-prompt", type=count(1, 256), default=4, help="pictures per prompt (default 4)")
    p.add_argument("--max-per-prompt", type=count(1, 256), default=2,
                   help="designs kept from one prompt at most (default 2)")
    p.add_argument("--nearest", type=count(0, 100), default=3, help="closest catalog items per design (default 3)")
    p.add_argument("--steps", type=count(1, 1000), help="sampling steps (default 10; 4 for a distilled model)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of each prompt's first picture (default 0)")
    add_setting_options(p, "model", "recommender", "index", "config")
    p.add_argument("-o", "--output", default="designs.png", help="PNG of the designs and what is closest in stock "
                   "(default designs.png)")

    p = studio.add("previews", cmd_previews, "a generated picture for every item without a photo, stored as "
                   "generated (never as a photo); the recommender's features use it, flagged")
    p.add_argument("--limit", type=count(1), help="at most N items this run (default: all); run again to go on")
    p.add_argument("-n", type=count(1, 64), default=4, help="candidates per item, the evaluator keeps the one "
                   "showing the item's stated attributes (default 4)")
    p.add_argument("--steps", type=count(1, 1000), help="sampling steps (default 10; 4 for a distilled model)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of each item's first candidate (default 0)")
    add_setting_options(p, "model", "evaluator", "config")
    p.add_argument("-o", "--output", default="previews.png", help="PNG of the first 32 previews (default previews.png)")

    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("studio", cmd_eval_studio, "the studio against ground truth: previews for hidden photos, "
                       "designs for 500 shoppers, launches of the held-out new items")
    p.add_argument("--parts", default="previews,design,launch", help="what to measure: previews, design, launch "
                   "(comma-separated; default all three); report.md gathers every part measured in --out")
    p.add_argument("--hide", type=number(0.01, 1.0), default=0.3, help="share of the catalog's photos hidden "
                   "for the previews (default 0.3)")
    p.add_argument("--preview-candidates", type=count(1, 64), default=1, help="pictures per hidden item to pick "
                   "its preview from (default 1: the default shop hides 21,000 photos)")
    p.add_argument("--shoppers", type=count(1, 100_000), default=500, help="test-period shoppers to design for "
                   "(default 500)")
    p.add_argument("--design-steps", type=count(1, 1000), help="sampling steps of the previews and "
                   "the designs (default 10; 4 for a distilled model)")
    p.add_argument("--candidates", type=count(1, 64), default=4, help="launch pictures per new item to pick from (default 4)")
    p.add_argument("--audience", type=count(1, 100_000), default=100, help="audience per launched item (default 100)")
    p.add_argument("--steps", type=count(1, 1000), help="sampling steps of the launches (default 20; 4 for a "
                                                         "distilled model)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the pictures and the shopper sample (default 0)")
    p.add_argument("--limit", type=count(1), help="only the first N hidden items and new items (default: all)")
    p.add_argument("--quick", action="store_true", help="a small recommender for the previews and launches "
                   "(a smoke run, not the report)")
    add_setting_options(p, "model", "evaluator", "recommender", "config")
    p.add_argument("--out", default="reports/studio", help="report folder (default reports/studio)")
