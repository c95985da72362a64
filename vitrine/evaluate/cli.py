"""The evaluator's verbs: `evaluator train`, `eval generation`. Heavy modules load inside each verb."""

from __future__ import annotations

from vitrine.command import UsageError, check_output_dir, count, number, open_store
from vitrine.paths import SHIPPED_EVALUATOR, SHIPPED_PIPELINE, default_path



def cmd_evaluator_train(args) -> int:
    from vitrine.evaluate.data import real_photos
    from vitrine.evaluate.evaluator import EvaluatorConfig, accuracy, save_evaluator, train_evaluator
    check_output_dir(args.out, "--out")
    store = open_store(args)
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
    from vitrine.catalog.save import load_catalog_arrays
    from vitrine.diffusion.pipeline import load_pipeline
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.evaluate.generation import (DEFAULT_SETTINGS, check_addable, evaluate_generation, parse_settings,
                                             write_report)
    check_output_dir(args.out, "--out")
    arrays = load_catalog_arrays(open_store(args))  # a missing catalog is a LookupError: main() reports it
    try:
        settings = parse_settings(args.settings) if args.settings else DEFAULT_SETTINGS
        if args.add:
            check_addable(args.out, str(args.model), args.prompts, args.samples, args.subset_prompts, args.seed)
        pipe = load_pipeline(args.model)
        evaluator = load_evaluator(args.evaluator)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result, pictures = evaluate_generation(pipe, evaluator, arrays, settings, n_prompts=args.prompts, samples=args.samples,
                                           subset_prompts=args.subset_prompts, seed=args.seed, progress=not args.quiet)
    try:
        out = write_report(result, pictures, args.out, str(args.model), add=args.add)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print((out / "report.md").read_text())
    print(f"report: {out / 'report.md'}, metrics: {out / 'metrics.json'}")
    return 0


def register(verbs, common) -> None:
    evaluator = verbs.group("evaluator", "the image evaluator (trained on real photos only)")
    p = evaluator.add("train", cmd_evaluator_train, "train it on the train-split photos; report held-out accuracy")
    p.add_argument("--epochs", type=count(1, 1000), default=12, help="passes over the photos (default 12, the shipped one)")
    p.add_argument("--width", type=count(1, 512), default=32, help="channels of the first block (default 32)")
    p.add_argument("--noise", type=number(0, 1), default=0.1,
                   help="Gaussian pixel-noise augmentation, σ up to this (images in [0, 1]; default 0.1; 0 = off)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the weights and batches (default 0)")
    p.add_argument("--limit", type=count(1), help="train on a random subset of N photos")
    p.add_argument("--out", default=SHIPPED_EVALUATOR, help=f"folder for evaluator.safetensors (default {SHIPPED_EVALUATOR})")

    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("generation", cmd_eval_generation, "sampler × steps × guidance table of generated-image quality")
    p.add_argument("--model", default=default_path(SHIPPED_PIPELINE), help=f"saved pipeline folder (default {SHIPPED_PIPELINE})")
    p.add_argument("--evaluator", default=default_path(SHIPPED_EVALUATOR),
                   help=f"evaluator folder (default {SHIPPED_EVALUATOR})")
    p.add_argument("--samples", type=count(1, 256), default=8, help="images per prompt (more: slower, more precise)")
    p.add_argument("--prompts", type=count(1, 52), default=52, help="prompts in the set, 1–52 (default 52)")
    p.add_argument("--subset-prompts", type=count(1, 52), default=8, help="prompts for the DDPM-1000 comparison rows")
    p.add_argument("--settings", help="sampler:steps:guidance[:subset][:from=LO],… (default: the full table); "
                   "from=LO guides only while t/T ≥ LO")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first sample (default 0)")
    p.add_argument("--out", default="reports/generation", help="report folder (default reports/generation)")
    p.add_argument("--add", action="store_true",
                   help="add these settings' rows to the report already in --out (same prompts, samples, seed "
                        "and model; a row of the same setting is replaced) instead of writing a new one")
