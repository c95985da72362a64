"""`vitrine distill`: a few-step student of a trained text-to-image or try-on model (distill.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from vitrine.command import UsageError, check_output_dir, count, number, open_store
from vitrine.paths import GENERATOR_DIR, SHIPPED_PIPELINE, SHIPPED_TRYON, default_path, shop_or_shipped

# `vitrine distill --task` hooks of the tasks other packages own (vitrine.tryon.cli registers tryon):
# task → "module:function(config, run, teacher, store, out, limit, progress) → (distiller, data)"
TASK_DISTILLERS: dict[str, str] = {}


def guidance_range(text: str) -> tuple[float, float]:
    """--guidance-range LOW,HIGH."""
    import argparse
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"give LOW,HIGH, e.g. 1,6; got {text!r}") from None
    return low, high


def load_teacher(folder: Path, task: str):
    """The teacher pipeline of --from; a UsageError when the folder is not a model of --task's kind
    or is already distilled."""
    from vitrine.diffusion.pipeline import VitrinePipeline, load_pipeline
    from vitrine.tryon.pipeline import TryOnPipeline
    cls = TryOnPipeline if task == "tryon" else VitrinePipeline
    if not (folder / "model_index.json").is_file():
        raise UsageError(f"--from {folder}: not a saved model (no model_index.json)")
    try:
        teacher = load_pipeline(folder, sampler=None, cls=cls)
    except (OSError, ValueError) as exc:
        kind = str(exc)
        if "'TryOnPipeline' pipeline" in kind:
            raise UsageError(f"--from {folder}: a try-on model; distil it with --task tryon") from None
        if "'VitrinePipeline' pipeline" in kind:
            raise UsageError(f"--from {folder}: a text-to-image model; leave out --task tryon") from None
        raise UsageError(f"--from {exc}") from None
    if teacher.distilled:
        raise UsageError(f"--from {folder}: already a distilled model; give the model it was distilled from")
    return teacher


def cmd_distill(args) -> int:
    from dataclasses import asdict

    from vitrine.config import data_dir
    from vitrine.diffusion.config import DistillConfig
    from vitrine.diffusion.distill import DISTILL_FILE, Distiller, run_config
    out = check_output_dir(args.out, "--out")  # made once the teacher and the flags are known good
    if args.export:
        check_output_dir(args.export, "--export")
    if args.resume:
        config = saved_distill_config(out)
    else:
        teacher = args.source or (default_path(SHIPPED_TRYON) if args.task == "tryon" else
                                  str(shop_or_shipped(data_dir(args.data_dir), GENERATOR_DIR, SHIPPED_PIPELINE)))
        low, high = args.guidance_range
        config = DistillConfig(teacher=str(teacher), task=args.task, steps=args.steps, batch_size=args.batch_size,
                               lr=args.lr, ema_decay=args.ema_decay, guidance_min=low, guidance_max=high,
                               skip=args.skip, precision=args.precision, seed=args.seed,
                               checkpoint_every=args.checkpoint_every, threads=args.threads)
    teacher_folder = Path(config.teacher)
    teacher = load_teacher(teacher_folder, config.task)
    try:
        config.validate(teacher.scheduler.config.num_train_timesteps)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    run = run_config(config, teacher_folder, latent=teacher.vae is not None)
    store = open_store(args)
    check_output_dir(out, "--out", create=True)
    if config.task == "tryon":
        import importlib
        module, function = TASK_DISTILLERS["tryon"].split(":")
        try:
            distiller, data = getattr(importlib.import_module(module), function)(config, run, teacher, store, out,
                                                                                 args.limit, not args.quiet)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    else:
        from vitrine.diffusion.cli import store_training_data
        data = store_training_data(store, run, out, args.limit, args.min_photos, not args.quiet).data
        distiller = Distiller(config, run, teacher, data, out)
    distiller.command = ["vitrine", *args.argv]
    if args.resume:
        distiller.resume()
        distiller.command = started_with(out) or distiller.command
        print(f"resumed {out} at step {distiller.step:,}")
    what = "garments on people" if config.task == "tryon" else "photos"
    print(f"distilling {teacher_folder} on {len(data):,} {what}: {json.dumps(asdict(config))}")
    result = distiller.run(until=args.until, progress=not args.quiet)
    print(f"distilled to step {result.step:,} in {result.seconds:.0f} s ({result.images_per_second:.1f} img/s); "
          f"checkpoint {distiller.checkpoint_path}, loss curve {out / 'loss.png'}")
    if distiller.step < config.steps:
        return 0
    folder = distiller.export(Path(args.export) if args.export else out / "pipeline")
    from vitrine.diffusion.card import distilled_card, write_model_card
    shutil.copyfile(out / "loss.png", folder / "loss.png")
    if (teacher_folder / "segmenter").is_dir():  # a try-on model's garment finder goes with it
        shutil.copytree(teacher_folder / "segmenter", folder / "segmenter", dirs_exist_ok=True)
    last = distiller.losses[-100:]
    write_model_card(folder, distilled_card(str(folder), asdict(config), asdict(run), distiller.command,
                                            distiller.seconds, distiller.step, sum(last) / max(len(last), 1)))
    print(f"distilled pipeline: {folder} (`vitrine generate --model {folder} --steps 4`; "
          f"{DISTILL_FILE} and README.md describe it)")
    return 0


def started_with(out: Path) -> list[str]:
    """The command that started the run in `out` (from its distill.json; empty when unknown)."""
    from vitrine.diffusion.distill import DISTILL_FILE
    try:
        command = json.loads((out / DISTILL_FILE).read_text()).get("command")
    except (OSError, ValueError, AttributeError):
        return []
    return [str(c) for c in command] if isinstance(command, list) else []


def saved_distill_config(out: Path):
    """The DistillConfig a run in `out` started with, for --resume (a UsageError when there is none)."""
    from vitrine.diffusion.config import DistillConfig
    from vitrine.diffusion.distill import DISTILL_FILE
    if not (out / "checkpoint.safetensors").is_file():
        raise UsageError(f"--resume: no checkpoint in {out}")
    try:
        saved = json.loads((out / DISTILL_FILE).read_text())
        return DistillConfig.from_dict(saved)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"{out / DISTILL_FILE}: unreadable distillation config ({exc})") from None


def register(verbs) -> None:
    from vitrine.diffusion.config import TASKS, DistillConfig
    d = DistillConfig()
    p = verbs.add("distill", cmd_distill, "a few-step student (1–8 steps, guidance built in) of a text-to-image or "
                  "try-on model, by guided consistency distillation")
    p.add_argument("--from", dest="source", help="the teacher model folder (default: the shop's own generator "
                   f"when it has one, else the shipped {SHIPPED_PIPELINE}; with --task tryon the shipped {SHIPPED_TRYON})")
    p.add_argument("--task", choices=TASKS, default="text-to-image", help="the teacher's kind (default text-to-image)")
    p.add_argument("--out", default="runs/distill", help="run folder; the student goes to OUT/pipeline "
                                                        "(default runs/distill)")
    p.add_argument("--steps", type=count(1), default=d.steps, help=f"optimizer steps (default {d.steps:,})")
    p.add_argument("--batch-size", type=count(1, 4096), default=d.batch_size, help=f"examples per step "
                                                                                    f"(default {d.batch_size})")
    p.add_argument("--lr", type=number(1e-8, 1), default=d.lr, help=f"AdamW learning rate (default {d.lr:g})")
    p.add_argument("--ema-decay", type=number(0, 0.99999), default=d.ema_decay,
                   help=f"decay of the target network (default {d.ema_decay:g})")
    p.add_argument("--guidance-range", type=guidance_range, default=(d.guidance_min, d.guidance_max),
                   metavar="LOW,HIGH", help=f"the guidance scales the student learns, drawn uniformly "
                                            f"(default {d.guidance_min:g},{d.guidance_max:g})")
    p.add_argument("--skip", type=count(1), default=d.skip,
                   help=f"k: timesteps the teacher's solver step spans (default {d.skip}: a 50-point grid of T = 1000)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default=d.precision, help="fp32 (default) or bf16 autocast")
    p.add_argument("--seed", type=count(0), default=d.seed, help="seed of every random draw (default 0)")
    p.add_argument("--checkpoint-every", type=count(1), default=d.checkpoint_every,
                   help=f"save a resumable checkpoint every N steps (default {d.checkpoint_every})")
    p.add_argument("--threads", type=count(0), default=0, help="torch threads; 0 = torch's choice")
    p.add_argument("--limit", type=count(1), help="distil on the first N photos (try-on: garments) only")
    from vitrine.catalog.training import MIN_PHOTOS
    p.add_argument("--min-photos", type=count(1), default=MIN_PHOTOS,
                   help=f"refuse fewer usable photos than this (default {MIN_PHOTOS})")
    p.add_argument("--until", type=count(1), help="stop at this step (resume later with --resume)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint "
                                                        "(its saved config; other flags but --until and --export "
                                                        "are ignored)")
    p.add_argument("--export", help="save the finished student here instead of OUT/pipeline (with --resume of a "
                                    "finished run: export it again)")
