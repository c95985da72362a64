"""The try-on verbs: `catalog people` (the drawn people set), `tryon` (dress a person),
`segmenter train` (the garment finder). Heavy modules load inside each verb."""

from __future__ import annotations

from pathlib import Path

from vitrine.command import UsageError, check_output, count, number, open_store, typed_command
from vitrine.paths import SHIPPED_FAST_TRYON, SHIPPED_TRYON, default_path, interactive

SHIPPED_GARMENT_EVALUATOR = "models/evaluator-garments"  # reads garments off the people set's pictures
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def cmd_catalog_people(args) -> int:
    import time

    from vitrine.tryon.people_set import build_people, save_people
    if args.sheet:
        check_output(args.sheet, "--sheet", (".png",))
    store = open_store(args)
    start = time.perf_counter()
    try:
        people = build_people(store, args.n, seed=args.seed, progress=not args.quiet)
    except ValueError as exc:
        raise UsageError(f"--data-dir {store.data_dir}: {exc}") from None
    path = save_people(people, store.data_dir)
    print(f"{args.n:,} people drawn (not photographed) wearing the catalog's items, with label maps, "
          f"in {time.perf_counter() - start:.1f} s → {path}")
    if args.sheet:
        from PIL import Image

        from vitrine.diffusion.grid import save_grid
        shown = [Image.fromarray(im) for im in people.images[:32]]
        save_grid(shown, args.sheet, columns=8, title="drawn people wearing catalog items (not photographs)")
        print(f"first {len(shown)} → {args.sheet}")
    return 0


def _garment_evaluator(args, store, people, held_out: int):
    """The garment evaluator of --evaluator, trained there first when the folder has none."""
    from vitrine.evaluate.evaluator import EvaluatorConfig, load_evaluator, save_evaluator, to_tensor, train_evaluator
    from vitrine.tryon.evaluate import garment_crops, item_labels
    folder = Path(args.evaluator)
    if (folder / "evaluator.safetensors").is_file():
        try:
            return load_evaluator(folder)
        except ValueError as exc:
            raise UsageError(f"--evaluator {folder}: {exc}") from None
    crops, labels = garment_crops(people, item_labels(store), range(len(people.images) - held_out))
    model, info = train_evaluator(to_tensor(crops), labels, EvaluatorConfig(epochs=args.evaluator_epochs),
                                  progress=not args.quiet)
    save_evaluator(model, folder, {**info, "trained_on": f"{len(crops):,} garment crops of the people set's first "
                                                        f"{len(people.images) - held_out:,} people"})
    print(f"garment evaluator trained on {len(crops):,} crops in {info['train_seconds']:.0f} s → {folder}")
    return model


def cmd_eval_tryon(args) -> int:
    from vitrine.tryon.data import held_out_for
    from vitrine.tryon.people_set import FOLDER, load_people
    from vitrine.tryon.report import run, write
    from vitrine.tryon.tryon import TryOn
    store = open_store(args)
    if not (store.data_dir / FOLDER / "people.npz").is_file():
        raise UsageError(f"--data-dir {store.data_dir}: no people set; draw one with `vitrine catalog people`")
    people = load_people(store.data_dir)
    if not 1 <= args.n <= len(people.images) // 2:
        raise UsageError(f"-n {args.n}: the people set has {len(people.images):,}; score at most half of them")
    try:
        tryon = TryOn.load(args.tryon_model)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(f"--tryon-model {args.tryon_model}: {exc}") from None
    # the evaluator never sees the scored people, nor those the try-on model kept out (data.py)
    evaluator = _garment_evaluator(args, store, people, max(args.n, held_out_for(len(people.images))))
    result, pictures = run(store, people, tryon, evaluator, n=args.n, steps=args.steps, guidance=args.guidance,
                           seed=args.seed, compare_steps=args.compare_steps, progress=not args.quiet)
    path = write(result, pictures, args.out, typed_command(args))
    print(path.read_text())
    return 0


def register(verbs, common) -> None:
    from vitrine.diffusion.cli import TASK_TRAINERS
    TASK_TRAINERS["tryon"] = "vitrine.tryon.train:trainer_for"
    from vitrine.diffusion.cli import TASK_DISTILLERS
    TASK_DISTILLERS["tryon"] = "vitrine.tryon.train:distiller_for"
    evaluation = verbs.group("eval", "measure the models", metavar="WHAT")
    p = evaluation.add("tryon", cmd_eval_tryon, "try-on against the true renders of held-out people, beside a 2D "
                       "overlay → reports/tryon")
    p.add_argument("-n", type=count(1), default=500, help="held-out people (the set's last N; default 500)")
    p.add_argument("--steps", type=count(1, 200), help="sampling steps (default 20; 4 for a distilled model)")
    p.add_argument("--guidance", type=number(0, 50), default=3.0, help="guidance scale (default 3)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the cases and the samples (default 0)")
    p.add_argument("--compare-steps", type=count(1, 200), help="also score the model at this many steps (a row)")
    p.add_argument("--tryon-model", default=default_path(SHIPPED_TRYON), help=f"try-on model (default {SHIPPED_TRYON})")
    p.add_argument("--evaluator", default=default_path(SHIPPED_GARMENT_EVALUATOR),
                   help=f"garment evaluator folder, trained there on the set's other people if missing "
                        f"(default {SHIPPED_GARMENT_EVALUATOR})")
    p.add_argument("--evaluator-epochs", type=count(1, 100), default=4, help="its training epochs if trained (default 4)")
    p.add_argument("--out", default="reports/tryon", help="report folder (default reports/tryon)")

    p = verbs.add("tryon", cmd_tryon, "virtual try-on: a person's picture + a garment description → them wearing it")
    p.add_argument("picture", nargs="?", metavar="PERSON.png", help="a picture of a person (any size up to 2048 px)")
    p.add_argument("description", nargs="?", metavar="DESCRIPTION", help='the garment, e.g. "a red striped t-shirt"')
    p.add_argument("--region", choices=["top", "bottom", "shoes"],
                   help="what to replace, found by the segmenter (default: what the description names)")
    p.add_argument("--mask", help="a picture the size of PERSON.png, white (or opaque) where the garment goes")
    p.add_argument("--person", type=count(0), help="a person of the people set (index), instead of PERSON.png")
    p.add_argument("--item", help="with --person: the catalog item to put on them (its description is the prompt; "
                                  "the grid ends with the true render)")
    p.add_argument("-n", type=count(1, 16), default=4, help="pictures, 1–16 (default 4)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first picture; picture i uses seed+i")
    p.add_argument("--steps", type=count(1, 200), help="sampling steps (default 20; 4 for a distilled model)")
    p.add_argument("--guidance", type=number(0, 50), default=3.0, help="classifier-free guidance scale (default 3)")
    p.add_argument("--tryon-model", default=interactive(SHIPPED_TRYON, SHIPPED_FAST_TRYON),
                   help=f"try-on model folder, its segmenter inside (default: the shipped {SHIPPED_FAST_TRYON} where "
                        f"it met its targets, else {SHIPPED_TRYON})")
    p.add_argument("-o", "--output", default="tryon.png", help="grid PNG (default tryon.png); each picture is "
                                                                "also saved as OUTPUT-0.png …")

    segmenter = verbs.group("segmenter", "the garment finder of `vitrine tryon --region`")
    p = segmenter.add("train", cmd_segmenter_train, "train it on the people set's label maps")
    p.add_argument("--out", default="models/vitrine-tryon", help="model folder; writes OUT/segmenter (default "
                                                                 "models/vitrine-tryon)")
    p.add_argument("--steps", type=count(1, 100_000), default=1000,
                   help="optimizer steps of 32 pictures (default 1000)")
    p.add_argument("--held-out", type=count(0), default=500, help="last N people kept out to score it (default 500)")
    p.add_argument("--seed", type=count(0), default=0, help="seed (default 0)")

    catalog = verbs.group("catalog", "build and look at the Fashion-MNIST catalog")
    p = catalog.add("people", cmd_catalog_people, "draw people wearing the catalog's garments, with label maps "
                    "(the try-on model's training and evaluation set; drawn, not photographed)")
    p.add_argument("-n", type=count(1, 200_000), default=20_000, help="people to draw (default 20,000)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of bodies, poses, looks and garments (default 0)")
    p.add_argument("--sheet", help="also write a PNG of the first 32")


def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{what} {path}: cannot read ({exc.strerror or exc})") from None


def _person_and_item(args, store):
    from vitrine.tryon.people_set import FOLDER, load_people
    from vitrine.tryon.tryon import person_with_item
    if not (store.data_dir / FOLDER / "people.npz").is_file():
        raise UsageError(f"--person: no people set in {store.data_dir / FOLDER}; draw one with `vitrine catalog people`")
    try:
        return person_with_item(store, load_people(store.data_dir), args.person, args.item)
    except IndexError as exc:
        raise UsageError(f"--person {args.person}: {exc}") from None
    except (KeyError, ValueError) as exc:
        raise UsageError(f"--item {args.item}: {str(exc).strip(chr(39) + chr(34))}") from None


def cmd_tryon(args) -> int:
    import numpy as np
    from PIL import Image

    from vitrine.diffusion.grid import save_grid
    from vitrine.tryon.tryon import TryOn, read_mask, read_picture
    output = check_output(args.output, "-o/--output", IMAGE_SUFFIXES)
    if (args.person is None) != (args.item is None):
        raise UsageError("--person and --item go together: a person of the set and the catalog item to put on them")
    from_set = args.person is not None
    if from_set and (args.picture or args.description):
        raise UsageError("give PERSON.png and a DESCRIPTION, or --person and --item, not both")
    if not from_set and (not args.picture or args.description is None):
        raise UsageError("give PERSON.png and a DESCRIPTION (or --person P --item ITEM)")
    if args.region and args.mask:
        raise UsageError("--region and --mask: give one (the mask says exactly what to repaint)")
    truth = None
    if from_set:
        case = _person_and_item(args, open_store(args))
        picture, mask, description, truth = case["picture"], case["mask"], case["description"], case["truth"]
        slot = case["slot"]
    else:
        description, slot = args.description, args.region
        if not description.strip() or len(description) > 1000:
            raise UsageError("DESCRIPTION: give 1 to 1000 characters describing the garment")
        try:
            picture = read_picture(_read_file(args.picture, "PERSON"))
        except ValueError as exc:
            raise UsageError(f"PERSON {args.picture}: {exc}") from None
        mask = None
        if args.mask:
            try:
                mask = read_mask(_read_file(args.mask, "--mask"), picture.shape[:2])
            except ValueError as exc:
                raise UsageError(f"--mask {args.mask}: {exc}") from None
    try:
        tryon = TryOn.load(args.tryon_model)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(f"--tryon-model {args.tryon_model}: {exc}") from None
    try:
        result = tryon.dress(picture, description, slot=slot, mask=mask, n=args.n, seed=args.seed, steps=args.steps,
                             guidance=args.guidance)
    except LookupError as exc:
        raise UsageError(f"PERSON {args.picture}: {exc}") from None
    except (ValueError, RuntimeError) as exc:
        raise UsageError(str(exc)) from None
    shown_mask = picture.copy()
    shown_mask[result.mask] = (0.5 * shown_mask[result.mask] + [0, 0, 127]).astype(np.uint8)
    tiles = [picture, shown_mask, *result.pictures] + ([truth] if truth is not None else [])
    labels = ["person", "region"] + [f"seed {args.seed + k}" for k in range(args.n)] + (["truth"] if truth is not None
                                                                                          else [])
    save_grid([Image.fromarray(t) for t in tiles], output, columns=len(tiles), labels=labels,
              title=description[:90])
    for k, pic in enumerate(result.pictures):
        Image.fromarray(pic).save(output.with_name(f"{output.stem}-{k}.png"))
    print(f"{args.n} try-on pictures ({int(result.mask.sum())} pixels repainted, the rest unchanged) → {output}; "
          f"each alone: {output.stem}-0.png …")
    return 0


def cmd_segmenter_train(args) -> int:
    from vitrine.tryon.people_set import FOLDER, load_people
    from vitrine.tryon.segment import pixel_accuracy, save_segmenter, train_segmenter
    store = open_store(args)
    if not (store.data_dir / FOLDER / "people.npz").is_file():
        raise UsageError(f"--data-dir {store.data_dir}: no people set; draw one with `vitrine catalog people`")
    people = load_people(store.data_dir)
    held = min(args.held_out, len(people.images) // 2)
    n = len(people.images) - held
    model, info = train_segmenter(people.images[:n], people.labels[:n], steps=args.steps, seed=args.seed,
                                  progress=not args.quiet)
    scores = pixel_accuracy(model, people.images[n:], people.labels[n:])
    folder = save_segmenter(model, Path(args.out) / "segmenter", {**info, "held_out_people": held, **scores})
    print(f"segmenter trained in {info['train_seconds']:.0f} s; on {held} held-out people: "
          + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f" → {folder}")
    return 0
