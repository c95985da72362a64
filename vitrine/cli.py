"""`vitrine`: one verb per job. Heavy modules load inside each verb, so `vitrine --help` is instant."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# vitrine.diffusion.models.PRESETS, named here so `--help` need not import torch (a test keeps them equal)
UNET_PRESETS = ["tiny", "small", "small-hd32", "mini", "base"]
TRAIN_RECIPES = ["tiny", "quick", "default", "finetune"]  # vitrine.diffusion.train.TRAIN_PRESETS (a test checks)


def _store(args):
    from vitrine.catalog.store import Store
    return Store(args.data_dir, args.db_url)


def _catalog_settings(args) -> dict:
    return {"source": "fashion-mnist", "seed": args.seed, "limit": args.limit}


def cmd_catalog_build(args) -> int:
    from vitrine.catalog import fashion
    from vitrine.catalog.build import build_catalog
    from vitrine.catalog.save import save_catalog
    from vitrine.catalog.schema import Item
    store = _store(args)
    existing = store.count(Item.__table__)
    meta = store.get_meta("catalog") or {}
    if existing and meta.get("source") != "fashion-mnist" and not args.force:
        print(f"error: {store.data_dir} holds {existing:,} items of another shop; "
              "`catalog build` replaces them — pass --force, or use another --data-dir", file=sys.stderr)
        return 2
    start = time.perf_counter()
    fm = fashion.load(args.fashion_dir)
    catalog = build_catalog(fm, seed=args.seed, limit=args.limit, progress=not args.quiet)
    built = time.perf_counter()
    save_catalog(store, catalog, seed=args.seed, progress=not args.quiet)
    with store.loading() as load:
        load.set_meta("catalog", {**(store.get_meta("catalog") or {}), **_catalog_settings(args),
                                  "build_seconds": round(built - start, 1),
                                  "store_seconds": round(time.perf_counter() - built, 1)})
    print(f"catalog: {len(catalog):,} items built in {built - start:.1f} s, "
          f"stored in {time.perf_counter() - built:.1f} s → {store.data_dir}")
    return 0


def cmd_catalog_sheet(args) -> int:
    from vitrine.catalog.sheet import contact_sheet
    store = _store(args)
    out = contact_sheet(store, args.output or store.data_dir / "catalog-sheet.png", n=args.n, columns=args.columns,
                        seed=args.seed)
    print(f"contact sheet: {out}")
    return 0


def cmd_catalog_download(args) -> int:
    from vitrine.catalog import fashion
    folder = fashion.download(args.folder)
    print(f"Fashion-MNIST files in {folder}; export VITRINE_FASHION_MNIST={folder}")
    return 0


def cmd_shoppers_simulate(args) -> int:
    import numpy as np
    from sqlalchemy import select

    from vitrine.catalog import schema
    from vitrine.catalog.attributes import CATEGORY_NAMES, COLOUR_NAMES, PATTERN_NAMES
    from vitrine.catalog.save import save_shopper_log
    from vitrine.catalog.shoppers import ShopperConfig, simulate
    store = _store(args)
    items = schema.Item.__table__
    with store.engine.connect() as conn:
        rows = conn.execute(select(items.c.id, items.c.category, items.c.colour, items.c.pattern, items.c.price)
                            .where(items.c.source == "fashion-mnist").order_by(items.c.id)).all()
    if not rows:
        print(f"error: {store.data_dir} has no Fashion-MNIST catalog; run `vitrine catalog build` first",
              file=sys.stderr)
        return 2
    ids, cats, cols, pats, prices = zip(*rows)
    index = lambda names, values: np.array([names.index(v) for v in values])  # noqa: E731
    config = ShopperConfig(n_users=args.users, seed=args.seed)
    start = time.perf_counter()
    log = simulate(index(CATEGORY_NAMES, cats), index(COLOUR_NAMES, cols), index(PATTERN_NAMES, pats),
                   np.array(prices, dtype=float), config, progress=not args.quiet)
    simulated = time.perf_counter()
    save_shopper_log(store, log, list(ids), progress=not args.quiet)
    counts = np.bincount(log.event, minlength=3)
    with store.loading() as load:
        load.set_meta("shoppers", {**store.get_meta("shoppers"), "simulate_seconds": round(simulated - start, 1),
                                   "store_seconds": round(time.perf_counter() - simulated, 1)})
    print(f"shoppers: {args.users:,} users, {len(log.event):,} events "
          f"({counts[0]:,} views, {counts[1]:,} carts, {counts[2]:,} purchases), {len(log.new_items):,} new items; "
          f"simulated in {simulated - start:.1f} s, stored in {time.perf_counter() - simulated:.1f} s")
    return 0


def cmd_import(args) -> int:
    from vitrine.catalog.importers import ImportFailed, run_import, source_for
    options = {}
    if args.format == "generic":
        options = {"interactions": args.interactions, "images": args.images}
    elif args.format == "amazon":
        options = {"reviews": args.reviews}
    store = _store(args)
    try:
        source = source_for(args.format, args.path, **options)
        report = run_import(store, source, strict=args.strict, progress=not args.quiet)
    except ImportFailed as exc:
        print(f"import failed, nothing was stored: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        print(f"full report: {args.report}")
    return 0


def cmd_stats(args) -> int:
    from vitrine.catalog.stats import to_markdown, write_summary
    json_path, md_path, summary = write_summary(_store(args))
    print(json.dumps(summary, indent=2) if args.json else to_markdown(summary))
    print(f"written: {md_path}, {json_path}", file=sys.stderr)
    return 0


def cmd_demo(args) -> int:
    """The main job on the embedded default: catalog, shoppers, contact sheet, stats."""
    store = _store(args)
    catalog_meta, shopper_meta = store.get_meta("catalog") or {}, store.get_meta("shoppers") or {}
    same_catalog = all(catalog_meta.get(k) == v for k, v in _catalog_settings(args).items())
    if args.rebuild or not same_catalog:
        if cmd_catalog_build(args):
            return 2
        shopper_meta = {}
    else:
        print(f"catalog: already built in {store.data_dir} with these settings (--rebuild to redo)")
    if args.rebuild or shopper_meta.get("users") != args.users or shopper_meta.get("seed") != args.seed:
        cmd_shoppers_simulate(args)
    else:
        print(f"shoppers: {shopper_meta['users']:,} users and {shopper_meta['events']:,} events already stored")
    args.output, args.n, args.columns = None, 48, 8
    cmd_catalog_sheet(args)
    from vitrine.catalog.stats import write_summary
    json_path, md_path, _ = write_summary(store)
    print(f"stats: {md_path}")
    print(md_path.read_text())
    model = Path(args.model)
    if (model / "model_index.json").exists():
        from vitrine.diffusion.pipeline import load_pipeline
        from vitrine.diffusion.showcase import showcase
        out = showcase(load_pipeline(model), store.data_dir / "generated-showcase.png")
        print(f"generated products ({model}): {out}")
    else:
        print(f"no diffusion model at {model}; skipping the generated-products grid (train one: `vitrine train`)")
    return 0


def cmd_train(args) -> int:
    from dataclasses import asdict

    from vitrine.diffusion.data import from_store
    from vitrine.diffusion.train import TRAIN_PRESETS, TrainConfig, Trainer
    values = dict(TRAIN_PRESETS[args.preset])
    for name in ("schedule", "steps", "batch_size", "lr", "precision", "prediction", "snr_gamma", "seed",
                 "checkpoint_every", "threads"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.model is not None:
        values["preset"] = args.model
    if args.init_from is not None:
        values["init_from"] = args.init_from
    values["compile"], values["channels_last"] = args.compile, args.channels_last
    out = Path(args.out or f"runs/{args.preset}")
    config = TrainConfig.from_dict(values)
    if args.resume:
        if not (out / "checkpoint.safetensors").exists():
            print(f"error: --resume: no checkpoint in {out}", file=sys.stderr)
            return 2
        saved = json.loads((out / "config.json").read_text())
        config = TrainConfig.from_dict({**saved, "threads": values.get("threads", saved.get("threads", 0))})
    try:
        config.validate()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = from_store(_store(args), limit=args.limit, progress=not args.quiet)
    trainer = Trainer(config, data, out)
    if args.resume:
        trainer.resume()
        print(f"resumed {out} at step {trainer.step:,}")
    print(f"training {config.preset} on {len(data):,} photos: {json.dumps(asdict(config))}")
    result = trainer.run(until=args.until, progress=not args.quiet)
    print(f"trained to step {result.step:,} in {result.seconds:.0f} s ({result.images_per_second:.1f} img/s); "
          f"checkpoint {trainer.checkpoint_path}, loss curve {out / 'loss.png'}")
    if trainer.step >= config.steps or args.export:
        folder = trainer.export(args.export or out / "pipeline")
        print(f"pipeline (EMA weights): {folder}")
    return 0


def cmd_generate(args) -> int:
    import torch

    from vitrine.diffusion.grid import save_grid
    from vitrine.diffusion.pipeline import load_pipeline
    try:
        pipe = load_pipeline(args.model, sampler=args.sampler).speed_up(args.precision)
        steps = args.steps or (1000 if args.sampler == "ddpm" else 20)
        generators = [torch.Generator().manual_seed(args.seed + i) for i in range(args.n)]
        images = pipe(args.prompt, negative_prompt=args.negative, num_images_per_prompt=args.n,
                      num_inference_steps=steps, guidance_scale=args.guidance, generator=generators).images
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = save_grid(images, args.output, columns=min(args.n, 8))
    print(f"{args.n} images for {args.prompt!r} ({args.sampler}, {steps} steps, guidance {args.guidance}, "
          f"seeds {args.seed}…{args.seed + args.n - 1}): {out}")
    return 0


def cmd_diffusion_forward(args) -> int:
    import numpy as np
    from PIL import Image as PILImage
    from sqlalchemy import select

    from vitrine.catalog import schema
    from vitrine.diffusion.forward import forward_strip, save, table
    store = _store(args)
    links, images = schema.ItemImage.__table__, schema.Image.__table__
    with store.engine.connect() as conn:
        path = conn.execute(select(images.c.path).join(links, links.c.image_sha256 == images.c.sha256)
                            .where(links.c.item_id == args.item_id).order_by(links.c.position)).scalar()
    if path is None:
        print(f"error: item {args.item_id!r} has no photo in {store.data_dir}", file=sys.stderr)
        return 2
    with PILImage.open(store.images.resolve(path)) as im:
        photo = np.asarray(im.convert("RGB"))
    try:
        ts = [int(t) for t in args.t.split(",")]
        strip, rows = forward_strip(photo, ts, args.schedule, args.T, args.beta_bar, args.seed)
    except ValueError as exc:
        print(f"error: --t: {exc}", file=sys.stderr)
        return 2
    print(table(rows, args.schedule))
    print(f"strip: {save(strip, args.output or f'forward-{args.item_id}-{args.schedule}.png')}")
    return 0


def cmd_evaluator_train(args) -> int:
    from vitrine.evaluate.data import real_photos
    from vitrine.evaluate.evaluator import EvaluatorConfig, accuracy, save_evaluator, train_evaluator
    store = _store(args)
    train_x, train_y = real_photos(store, "train", limit=args.limit)
    test_x, test_y = real_photos(store, "test")
    config = EvaluatorConfig(epochs=args.epochs, width=args.width, seed=args.seed, noise=args.noise)
    model, info = train_evaluator(train_x, train_y, config, progress=not args.quiet)
    held_out = accuracy(model, test_x, test_y)
    info.update({"train_photos": len(train_x), "test_photos": len(test_x), "test_accuracy": held_out})
    folder = save_evaluator(model, args.out, info)
    shown = ", ".join(f"{k} {v:.1%}" for k, v in held_out.items())
    print(f"evaluator: trained on {len(train_x):,} real photos in {info['train_seconds']:.0f} s; "
          f"held-out accuracy on {len(test_x):,}: {shown} → {folder}")
    return 0


def cmd_eval_generation(args) -> int:
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.evaluate.generation import (DEFAULT_SETTINGS, check_addable, evaluate_generation, parse_settings,
                                             write_report)
    from vitrine.catalog.save import load_catalog_arrays
    arrays = load_catalog_arrays(_store(args))  # a missing catalog is a LookupError: main() reports it
    try:
        settings = parse_settings(args.settings) if args.settings else DEFAULT_SETTINGS
        if args.add:
            check_addable(args.out, str(args.model), args.prompts, args.samples, args.subset_prompts, args.seed)
        pipe = load_pipeline(args.model)
        evaluator = load_evaluator(args.evaluator)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = evaluate_generation(pipe, evaluator, arrays, settings, n_prompts=args.prompts, samples=args.samples,
                                 subset_prompts=args.subset_prompts, seed=args.seed, progress=not args.quiet)
    try:
        out = write_report(result, args.out, str(args.model), add=args.add)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print((out / "report.md").read_text())
    print(f"report: {out / 'report.md'}, metrics: {out / 'metrics.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vitrine", description="Vitrine: recommendations and generated product images for a shop.")
    # The store options work before or after the verb: the verb's copies default to "not given".
    common = argparse.ArgumentParser(add_help=False)
    for target, default in ((parser, None), (common, argparse.SUPPRESS)):
        target.add_argument("--data-dir", default=default,
                            help="where the store lives (default ./vitrine-data or $VITRINE_DATA_DIR)")
        target.add_argument("--db-url", default=default,
                            help="SQLAlchemy URL (default: SQLite file in the data dir, or $VITRINE_DB_URL)")
        target.add_argument("-q", "--quiet", action="store_true", default=default or False,
                            help="no progress bars")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    add_verb = lambda sub, name, **kw: sub.add_parser(name, parents=[common], **kw)  # noqa: E731

    def catalog_options(p):
        p.add_argument("--seed", type=int, default=0, help="seed for every attribute, price and text (default 0)")
        p.add_argument("--limit", type=int, help="use only the first N photos (default: all 70,000)")
        p.add_argument("--fashion-dir", help="folder with the Fashion-MNIST IDX files (default: search)")
        p.add_argument("--force", action="store_true", help="replace a store that holds another shop's items")

    catalog = add_verb(verbs, "catalog", help="build and look at the Fashion-MNIST catalog")
    catalog_verbs = catalog.add_subparsers(dest="catalog_verb", required=True, metavar="ACTION")
    p = add_verb(catalog_verbs, "build", help="turn Fashion-MNIST into a coloured, priced, described catalog")
    catalog_options(p)
    p.set_defaults(func=cmd_catalog_build)
    p = add_verb(catalog_verbs, "sheet", help="write a labelled grid PNG of sample items")
    p.add_argument("-o", "--output", help="PNG path (default DATA_DIR/catalog-sheet.png)")
    p.add_argument("-n", type=int, default=48, help="items on the sheet (default 48)")
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--seed", type=int, default=0, help="which evenly spread sample to show")
    p.set_defaults(func=cmd_catalog_sheet)
    p = add_verb(catalog_verbs, "download", help="fetch the official Fashion-MNIST files (needs network)")
    p.add_argument("folder")
    p.set_defaults(func=cmd_catalog_download)

    shoppers = add_verb(verbs, "shoppers", help="simulated shoppers with known preferences")
    shopper_verbs = shoppers.add_subparsers(dest="shoppers_verb", required=True, metavar="ACTION")
    p = add_verb(shopper_verbs, "simulate", help="draw users and their view/cart/purchase log")
    p.add_argument("--users", type=int, default=25_000, help="number of shoppers (default 25,000)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_shoppers_simulate)

    p = add_verb(verbs, "import", help="load a shop's own data")
    p.add_argument("format", choices=["generic", "hm", "amazon", "retailrocket"])
    p.add_argument("path", help="folder (or main file) of the data")
    p.add_argument("--strict", action="store_true", help="abort on the first bad row or image (store unchanged)")
    p.add_argument("--interactions", help="generic: interactions CSV (default PATH/interactions.csv)")
    p.add_argument("--images", help="generic: image folder (default PATH/images)")
    p.add_argument("--reviews", help="amazon: reviews JSONL (default: the non-meta .jsonl in PATH)")
    p.add_argument("--report", help="write the full import report as JSON here")
    p.set_defaults(func=cmd_import)

    p = add_verb(verbs, "stats", help="summarize the store (also writes DATA_DIR/stats.{md,json})")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(func=cmd_stats)

    p = add_verb(verbs, "train", help="train the text-to-image diffusion model on the catalog's photos")
    p.add_argument("--preset", default="default", choices=TRAIN_RECIPES,
                   help="recipe: tiny (tests), quick (10 minutes), default (the shipped model's, ~1 h on 2 cores), "
                        "finetune (the previous `small` model's: the committed ε checkpoint fine-tuned to v-prediction)")
    p.add_argument("--init-from", help="start from this training checkpoint's EMA weights")
    p.add_argument("--model", choices=UNET_PRESETS, help="U-Net preset (overrides the recipe's)")
    p.add_argument("--schedule", choices=["brief", "ddpm", "cosine"])
    p.add_argument("--prediction", choices=["epsilon", "v_prediction"])
    p.add_argument("--snr-gamma", type=float, help="Min-SNR-γ loss weighting (0 = plain MSE; recipes use 5)")
    p.add_argument("--steps", type=int)
    p.add_argument("--until", type=int, help="stop at this step (resume later with --resume)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--precision", choices=["fp32", "bf16"])
    p.add_argument("--compile", action="store_true", help="torch.compile the U-Net")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--limit", type=int, help="train on the first N photos only")
    p.add_argument("--out", help="run folder (default runs/PRESET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--export", help="also save the pipeline here (default: OUT/pipeline when finished)")
    p.set_defaults(func=cmd_train)

    diffusion = add_verb(verbs, "diffusion", help="look at the noise process")
    diffusion_verbs = diffusion.add_subparsers(dest="diffusion_verb", required=True, metavar="ACTION")
    p = add_verb(diffusion_verbs, "forward", help="noise one item's photo to several t; print abar_t and SNR")
    p.add_argument("item_id")
    p.add_argument("--t", default="0,100,500,900,1000", help="comma-separated steps (default 0,100,500,900,1000)")
    p.add_argument("--schedule", default="brief", choices=["brief", "ddpm", "cosine"])
    p.add_argument("--T", type=int, default=1000, help="number of steps T (default 1000)")
    p.add_argument("--beta-bar", type=float, default=0.01, help="the brief schedule's final beta (default 0.01)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", help="PNG path (default forward-ITEM-SCHEDULE.png)")
    p.set_defaults(func=cmd_diffusion_forward)

    p = add_verb(verbs, "generate", help="product images from a text prompt")
    p.add_argument("prompt")
    p.add_argument("-n", type=int, default=8, help="images (default 8)")
    p.add_argument("--steps", type=int, help="sampling steps (default 20; 1000 for ddpm)")
    p.add_argument("--guidance", type=float, default=3.0, help="classifier-free guidance scale w (default 3)")
    p.add_argument("--sampler", default="dpm++sde", help="dpm++sde (default: DPM-Solver++ 2M SDE), dpm++, ddim, "
                                                         "ddpm, unipc, euler, … or a diffusers scheduler class name")
    p.add_argument("--negative", help="negative prompt")
    p.add_argument("--seed", type=int, default=0, help="seed of the first image; image i uses seed+i")
    p.add_argument("--model", default="models/vitrine-fashion-32", help="saved pipeline folder")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="U-Net precision: bf16 halves the sampling time on CPUs with AMX (docs/bench-sample.md) "
                        "and is far slower on CPUs without (bf16 matrix products at 0.8 against fp32's 119 "
                        "GFLOP/s on one, docs/bench-sample-small.md); default fp32")
    p.add_argument("-o", "--output", default="generated.png")
    p.set_defaults(func=cmd_generate)

    evaluator = add_verb(verbs, "evaluator", help="the image evaluator (trained on real photos only)")
    evaluator_verbs = evaluator.add_subparsers(dest="evaluator_verb", required=True, metavar="ACTION")
    p = add_verb(evaluator_verbs, "train", help="train it on the train-split photos; report held-out accuracy")
    p.add_argument("--epochs", type=int, default=12, help="passes over the photos (default 12, the shipped one)")
    p.add_argument("--width", type=int, default=32, help="channels of the first block (default 32)")
    p.add_argument("--noise", type=float, default=0.1,
                   help="Gaussian pixel-noise augmentation, σ up to this (images in [0, 1]; default 0.1; 0 = off)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="train on a random subset of N photos")
    p.add_argument("--out", default="models/evaluator", help="folder for evaluator.safetensors (default models/evaluator)")
    p.set_defaults(func=cmd_evaluator_train)

    evaluation = add_verb(verbs, "eval", help="measure the models")
    eval_verbs = evaluation.add_subparsers(dest="eval_verb", required=True, metavar="WHAT")
    p = add_verb(eval_verbs, "generation", help="sampler × steps × guidance table of generated-image quality")
    p.add_argument("--model", default="models/vitrine-fashion-32", help="saved pipeline folder")
    p.add_argument("--evaluator", default="models/evaluator", help="evaluator folder")
    p.add_argument("--samples", type=int, default=8, help="images per prompt (more: slower, more precise)")
    p.add_argument("--prompts", type=int, default=52, help="prompts in the set (default 52)")
    p.add_argument("--subset-prompts", type=int, default=8, help="prompts for the DDPM-1000 comparison rows")
    p.add_argument("--settings", help="sampler:steps:guidance[:subset][:from=LO],… (default: the full table); "
                   "from=LO guides only while t/T ≥ LO")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="reports/generation")
    p.add_argument("--add", action="store_true",
                   help="add these settings' rows to the report already in --out (same prompts, samples, seed "
                        "and model; a row of the same setting is replaced) instead of writing a new one")
    p.set_defaults(func=cmd_eval_generation)

    from vitrine.recommend.cli import add_verbs as add_recommend_verbs
    add_recommend_verbs(verbs, eval_verbs, add_verb)

    p = add_verb(verbs, "demo", help="the main job on the embedded default (Fashion-MNIST shop)")
    catalog_options(p)
    p.add_argument("--users", type=int, default=25_000)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the store already matches")
    p.add_argument("--model", default="models/vitrine-fashion-32",
                   help="diffusion pipeline for the generated-products grid (skipped if absent)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
