"""The evaluator's verbs: `evaluator train`, `eval generation`. Heavy modules load inside each verb."""

from __future__ import annotations

from vitrine.command import UsageError, check_output_dir, count, number, open_store
from vitrine.paths import EVALUATOR_DIR, GENERATOR_DIR, SHIPPED_EVALUATOR, SHIPPED_PIPELINE

MIN_TEST_PHOTOS = 10    # fewer held-out photos than this give no accuracy worth printing
MAX_FIXED_PROMPTS = 52  # the fixed prompt set's size (evaluate.prompts)
MAX_SHOP_PROMPTS = 2000


def cmd_evaluator_train(args) -> int:
    from vitrine.evaluate.data import NoLabels, shop_photos, subset
    from vitrine.evaluate.evaluator import EvaluatorConfig, accuracy, save_evaluator, train_evaluator
    store = open_store(args)
    out = check_output_dir(args.out or store.data_dir / EVALUATOR_DIR, "--out")
    try:
        photos = shop_photos(store, fit=args.fit, progress=not args.quiet)
    except NoLabels as exc:
        raise UsageError(f"{store.data_dir}: {exc}") from None
    train, test = subset(photos.train, args.limit, args.seed), photos.held_out
    if len(train) < args.min_photos or len(test) < MIN_TEST_PHOTOS:
        raise UsageError(f"{store.data_dir}: {len(train)} labelled photos to learn from and {len(test)} held out; "
                         f"the evaluator needs at least {args.min_photos} and {MIN_TEST_PHOTOS} (--min-photos)")
    config = EvaluatorConfig(epochs=args.epochs, width=args.width, seed=args.seed, noise=args.noise)
    model, info = train_evaluator(train.pixels(), train.labels, config, progress=not args.quiet, classes=photos.classes)
    held_out = accuracy(model, test.pixels(), test.labels)
    info.update({"train_photos": len(train), "test_photos": len(test), "test_accuracy": held_out,
                 "held_out_rule": photos.rule, "skipped_photos": len(photos.skipped)})
    folder = save_evaluator(model, out, info)
    shown = ", ".join(f"{k} {v:.1%} ({len(photos.classes[k])} classes)" for k, v in held_out.items())
    print(f"evaluator: trained on {len(train):,} real photos in {info['train_seconds']:.0f} s; "
          f"held-out accuracy on {len(test):,}: {shown} → {folder}")
    return 0


def cmd_eval_generation(args) -> int:
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.evaluate.generation import (DEFAULT_SETTINGS, check_addable, evaluate_generation, parse_settings,
                                             write_report)
    from vitrine.paths import shop_or_shipped
    check_output_dir(args.out, "--out")
    store = open_store(args)
    model = args.model or shop_or_shipped(store.data_dir, GENERATOR_DIR, SHIPPED_PIPELINE)
    evaluator_dir = args.evaluator or shop_or_shipped(store.data_dir, EVALUATOR_DIR, SHIPPED_EVALUATOR)
    built = (store.get_meta("catalog") or {}).get("source") == "fashion-mnist"
    prompt_set = args.prompt_set or ("fixed" if built else "shop")
    if prompt_set == "fixed" and not built:
        raise UsageError(f"--prompt-set fixed: {store.data_dir} is not a built catalog; its prompts and labels are "
                         "the built catalog's (use --prompt-set shop)")
    if prompt_set == "fixed" and args.prompts > MAX_FIXED_PROMPTS:
        raise UsageError(f"--prompts: the fixed prompt set has {MAX_FIXED_PROMPTS} prompts, got {args.prompts}")
    try:
        settings = parse_settings(args.settings) if args.settings else DEFAULT_SETTINGS
        if args.add:
            check_addable(args.out, str(model), args.prompts, args.samples, args.subset_prompts, args.seed,
                          None if prompt_set == "fixed" else prompt_set)
        pipe = load_pipeline(model)
        evaluator = load_evaluator(evaluator_dir)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    pool, prompts = judged_prompts(store, evaluator, prompt_set, args.prompts, args.seed, not args.quiet)
    result, pictures = evaluate_generation(pipe, evaluator, pool, prompts, settings, samples=args.samples,
                                           subset_prompts=args.subset_prompts, seed=args.seed, progress=not args.quiet)
    if prompt_set == "shop":
        result["prompt_set"] = "shop"
    try:
        out = write_report(result, pictures, args.out, str(model), add=args.add)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print((out / "report.md").read_text())
    print(f"report: {out / 'report.md'}, metrics: {out / 'metrics.json'}")
    return 0


def judged_prompts(store, evaluator, prompt_set: str, n: int, seed: int, progress: bool):
    """The real photos to compare with and the prompts to draw: the built catalog's fixed set, or the
    shop's held-out items with the labels the evaluator reads."""
    from vitrine.evaluate.generation import RealPool, shop_prompts
    from vitrine.evaluate.prompts import prompt_set as fixed_prompts
    if prompt_set == "fixed":
        from vitrine.catalog.save import load_catalog_arrays
        return RealPool.from_arrays(load_catalog_arrays(store)), fixed_prompts(n, seed)
    from vitrine.evaluate.data import NoLabels, shop_photos
    try:
        photos = shop_photos(store, size=evaluator.size, progress=progress)
    except NoLabels as exc:
        raise UsageError(f"{store.data_dir}: {exc}") from None
    if photos.classes != evaluator.classes:
        raise UsageError(f"--evaluator: it reads {_described(evaluator.classes)}, but {store.data_dir} has "
                         f"{_described(photos.classes)}; train one on this shop: vitrine evaluator train")
    if not len(photos.held_out) or not len(photos.train):
        raise UsageError(f"{store.data_dir}: no held-out photo items to take prompts from")
    return RealPool.from_shop(photos), shop_prompts(photos.held_out, photos.classes, n, seed)


def _described(classes: dict) -> str:
    return ", ".join(f"{len(names)} {column} classes" for column, names in classes.items())


def register(verbs, common) -> None:
    from vitrine.catalog.training import FITS, MIN_PHOTOS
    evaluator = verbs.group("evaluator", "the image evaluator (trained on real photos only)")
    p = evaluator.add("train", cmd_evaluator_train, "train it on the shop's photos that its generator trains on (category, "
                      "and colour / pattern where the shop has them); report accuracy on the held-out ones")
    p.add_argument("--epochs", type=count(1, 1000), default=12, help="passes over the photos (default 12, the shipped one)")
    p.add_argument("--width", type=count(1, 512), default=32, help="channels of the first block (default 32)")
    p.add_argument("--noise", type=number(0, 1), default=0.1,
                   help="Gaussian pixel-noise augmentation, σ up to this (images in [0, 1]; default 0.1; 0 = off)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the weights and batches (default 0)")
    p.add_argument("--limit", type=count(1), help="train on a random subset of N photos")
    p.add_argument("--fit", choices=FITS, default="pad", help="a photo of another shape: pad (default) or crop")
    p.add_argument("--min-photos", type=count(1), default=MIN_PHOTOS,
                   help=f"refuse to train on fewer labelled photos than this (default {MIN_PHOTOS})")
    p.add_argument("--out", help=f"folder for evaluator.safetensors (default DATA_DIR/{EVALUATOR_DIR}, the shop's "
                                 f"judge; the shipped one is {SHIPPED_EVALUATOR})")

    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("generation", cmd_eval_generation, "sampler × steps × guidance table of generated-image quality")
    p.add_argument("--model", help=f"saved pipeline folder (default: the shop's own, DATA_DIR/{GENERATOR_DIR}, when "
                                   f"it has one; else the shipped {SHIPPED_PIPELINE})")
    p.add_argument("--evaluator", help=f"evaluator folder (default: DATA_DIR/{EVALUATOR_DIR} when the shop has one; "
                                       f"else the shipped {SHIPPED_EVALUATOR})")
    p.add_argument("--prompt-set", choices=["fixed", "shop"],
                   help="fixed: the built catalog's 52 seeded prompts; shop: the held-out items' own prompts, "
                        "judged on the shop's label columns (default: fixed on a built catalog, shop elsewhere)")
    p.add_argument("--samples", type=count(1, 256), default=8, help="images per prompt (more: slower, more precise)")
    p.add_argument("--prompts", type=count(1, MAX_SHOP_PROMPTS), default=52,
                   help=f"prompts, 1–52 of the fixed set or 1–{MAX_SHOP_PROMPTS} held-out items (default 52)")
    p.add_argument("--subset-prompts", type=count(1, 52), default=8, help="prompts for the DDPM-1000 comparison rows")
    p.add_argument("--settings", help="sampler:steps:guidance[:subset][:from=LO],… (default: the full table); "
                   "from=LO guides only while t/T ≥ LO")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first sample (default 0)")
    p.add_argument("--out", default="reports/generation", help="report folder (default reports/generation)")
    p.add_argument("--add", action="store_true",
                   help="add these settings' rows to the report already in --out (same prompts, samples, seed "
                        "and model; a row of the same setting is replaced) instead of writing a new one")
