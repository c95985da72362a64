"""The generator's verbs: `train`, `generate`, `distill`, `autoencoder train`, `diffusion forward`. Heavy
modules load inside each verb."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from vitrine.command import (UsageError, add_config_flags, check_output, check_output_dir, count, given_config, number,
                             open_store)
from vitrine.catalog.training import MIN_PHOTOS
from vitrine.paths import GENERATOR_DIR, SHIPPED_PIPELINE, SHIPPED_TRYON, default_path, shop_or_shipped

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
HELD_OUT_FILE = "heldout.json"  # the items a model never trained on, and how they were chosen
# `vitrine train` trainers of the tasks other packages own, registered by their CLI modules
# (vitrine.tryon.cli): task → "module:function(config, args, out) → (trainer, data)".
TASK_TRAINERS: dict[str, str] = {}


def cmd_train(args) -> int:
    from dataclasses import asdict

    from vitrine.diffusion.data import from_store
    from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
    from vitrine.diffusion.train import Trainer
    # a --resume of a folder that holds no run fails without leaving an empty folder behind
    out = check_output_dir(args.out or f"runs/{args.recipe}", "--out", create=not args.resume)
    from vitrine.diffusion.start import FROM_SCRATCH, default_start
    values = {**TRAIN_PRESETS[args.recipe], **given_config(args, TrainConfig)}
    chosen_start = "init_from" in values
    if values.get("init_from") == FROM_SCRATCH:
        values["init_from"] = ""
    config = TrainConfig.from_dict(values)
    if args.resume:
        saved = saved_run_config(out)
        config = TrainConfig.from_dict({**saved, "threads": values.get("threads", saved.get("threads", 0))})
    try:
        config.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # the processes this run trains in: started here (--processes), or by torchrun / accelerate launch
    launched = "WORLD_SIZE" in os.environ
    world = int(os.environ["WORLD_SIZE"]) if launched else args.processes
    if config.batch_size % world:
        where = f"the {world} processes of WORLD_SIZE" if launched else f"--processes {world}"
        raise UsageError(f"--batch-size {config.batch_size} must divide evenly over {where}")
    if world > 1 and not launched:
        return launch_processes(args.argv, args.processes)
    if config.task != "text-to-image":  # a task another package trains (TASK_TRAINERS)
        import importlib
        module, function = TASK_TRAINERS[config.task].split(":")
        try:
            trainer, data = getattr(importlib.import_module(module), function)(config, open_store(args), out,
                                                                               args.limit, not args.quiet)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    else:
        from dataclasses import replace

        from vitrine.diffusion.checkpoint import WeightsDoNotFit
        if config.init_from and not Path(config.init_from).exists():
            raise UsageError(f"--init-from {config.init_from}: no such checkpoint file or model folder")
        store = open_store(args)
        if not args.resume and not chosen_start:
            built = (store.get_meta("catalog") or {}).get("source") == "fashion-mnist"
            init_from, why = default_start(config, built)
            config = replace(config, init_from=init_from)
            print(f"starting from {why}")
        loaded = store_training_data(store, config, out, args.limit, args.min_photos, not args.quiet)
        data = loaded.data
        try:
            trainer = Trainer(config, data, out)
        except WeightsDoNotFit as exc:
            raise UsageError(f"--init-from {config.init_from}: {exc}") from None
    say = print if trainer.accelerator.is_main_process else (lambda *_: None)
    if args.resume:
        trainer.resume()
        say(f"resumed {out} at step {trainer.step:,}")
    what = "garments on people" if config.task == "tryon" else "photos"
    processes = f" in {trainer.world} processes" if trainer.world > 1 else ""
    say(f"training {config.preset} on {len(data):,} {what}{processes}: {json.dumps(asdict(config))}")
    result = trainer.run(until=args.until, progress=not args.quiet)
    say(f"trained to step {result.step:,} in {result.seconds:.0f} s ({result.images_per_second:.1f} img/s); "
        f"checkpoint {trainer.checkpoint_path}, loss curve {out / 'loss.png'}")
    if (trainer.step >= config.steps or args.export) and trainer.accelerator.is_main_process:
        folder = trainer.export(args.export or out / "pipeline")
        if (out / HELD_OUT_FILE).is_file():
            shutil.copyfile(out / HELD_OUT_FILE, Path(folder) / HELD_OUT_FILE)
        say(f"pipeline (EMA weights): {folder}")
        if config.task == "text-to-image":
            card_and_install(trainer, store, loaded, folder, args, say)
    return 0


def card_and_install(trainer, store, loaded, folder: Path, args, say) -> None:
    """The exported model's card (data, recipe, command, held-out loss), and, for a finished run,
    the model put in DATA_DIR/models/generator, which every generative use then draws with."""
    from dataclasses import asdict

    from vitrine.atomic import replace_folder
    from vitrine.diffusion.card import model_card, write_model_card
    from vitrine.diffusion.data import held_out_sample
    from vitrine.paths import GENERATOR_DIR
    config = trainer.config
    fitted = {"trained on": {"photos": min(len(loaded.data), 256), "loss": trainer.measured_loss(loaded.data)}}
    held = held_out_sample(store, loaded.split, config.size, config.fit, latent_space=trainer.latent_space)
    if held is None:
        say("no held-out photo to measure the model on; its card says so")
        fitted["held out"] = {"photos": 0, "loss": float("nan")}
    else:
        fitted["held out"] = {"photos": min(len(held), 256), "loss": trainer.measured_loss(held)}
    name = Path(folder).name
    write_model_card(folder, model_card(name, asdict(config), loaded.split.record(), fitted, ["vitrine", *args.argv],
                                        trainer.seconds, trainer.step))
    say(f"held-out loss {fitted['held out']['loss']:.4f} vs {fitted['trained on']['loss']:.4f} on trained-on "
        f"photos (model card: {Path(folder) / 'README.md'})")
    if trainer.step >= config.steps and not args.no_install:
        target = replace_folder(folder, store.data_dir / GENERATOR_DIR)
        say(f"this shop's generator is now {target}: generate, the studio verbs and serve draw with it "
            f"(--no-install keeps a run out; remove the folder to go back to the shipped model)")


def saved_run_config(out: Path, name: str = "config.json") -> dict:
    """The config (OUT/name) a run in `out` was started with, for --resume; a UsageError when there
    is no checkpoint to resume or its config cannot be read."""
    if not (out / "checkpoint.safetensors").is_file():
        raise UsageError(f"--resume: no checkpoint in {out}")
    try:
        saved = json.loads((out / name).read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{out / name}: unreadable run config ({exc})") from None
    if not isinstance(saved, dict):
        raise UsageError(f"{out / name}: unreadable run config (not a JSON object)")
    return saved


def store_training_data(store, config, out: Path, limit: int | None, min_photos: int, progress: bool):
    """The store's training photos for a text-to-image run (diffusion.data.StoreData), with what
    was held out written to OUT/heldout.json (and beside the exported model) and what was skipped
    said in one line."""
    from vitrine.atomic import write_text
    from vitrine.catalog.photo_cache import count_reasons
    from vitrine.diffusion.data import NotEnoughPhotos, from_store
    space = latent_space(config, store, out)
    try:
        loaded = from_store(store, config.size, config.fit, config.prompts, limit=limit, seed=config.seed,
                            min_photos=min_photos, progress=progress, latent_space=space)
    except NotEnoughPhotos as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # the photo cache could not be written (a full disk): nothing half-written stays
        raise UsageError(f"{store.data_dir / 'cache'}: cannot write the photo cache ({exc.strerror or exc})") from None
    write_text(out / HELD_OUT_FILE, json.dumps(loaded.split.record()) + "\n")
    if loaded.skipped:
        reasons = ", ".join(f"{n:,} {why}" for why, n in count_reasons(loaded.skipped).most_common())
        print(f"skipped {len(loaded.skipped):,} photos that cannot be used: {reasons}", file=sys.stderr)
    return loaded


def latent_space(config, store, out: Path):
    """The run's autoencoder (diffusion.latents.LatentSpace), None for a pixel model. Unset, a run
    above 32 px takes the shop's own (DATA_DIR/models/autoencoder). It is copied into OUT/autoencoder
    and config.autoencoder names the copy ("" for pixels), so a resumed run draws in the same
    latent space even if the shop's autoencoder is retrained meanwhile. A UsageError when there is
    none, when --autoencoder is not a saved autoencoder, or when it was made for photos of another size."""
    from vitrine.paths import AUTOENCODER_DIR
    if config.autoencoder == "none" or (not config.autoencoder and config.size <= 32):
        config.autoencoder = ""
        return None
    if not config.autoencoder:
        own = store.data_dir / AUTOENCODER_DIR
        if not (own / "diffusion_pytorch_model.safetensors").is_file():
            raise UsageError(f"--size {config.size}: a model above 32 px draws in the latent space of the shop's "
                             f"autoencoder, and {store.data_dir} has none yet: run `vitrine autoencoder train --size "
                             f"{config.size}` first, or give --autoencoder DIR (or none, for a pixel-space model)")
        config.autoencoder = str(own)
    from vitrine.diffusion.latents import LatentSpace
    try:
        space = LatentSpace(config.autoencoder, config.size)
    except ValueError as exc:
        raise UsageError(f"--autoencoder {exc}") from None
    own_copy = out / "autoencoder"
    if Path(config.autoencoder).resolve() != own_copy.resolve():
        from vitrine.atomic import replace_folder
        replace_folder(config.autoencoder, own_copy)
        config.autoencoder = str(own_copy)
        space.folder = own_copy
    return space


def launch_processes(argv: list[str], n: int) -> int:
    """`vitrine train --processes N`: this command started again N times as one torch.distributed
    job on this machine (the environment torchrun sets: rank, world size, a loopback rendezvous;
    accelerate picks gloo on CPUs, nccl on GPUs). Process 0 shows its output; the others show
    theirs only if they fail. If one fails, the rest are stopped. Returns the first failure's
    exit status, else 0."""
    import socket
    import subprocess
    import time
    rest, skip = [], False
    for token in argv:  # the same command without --processes
        if skip:
            skip = False
        elif token == "--processes":
            skip = True
        elif not token.startswith("--processes="):
            rest.append(token)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    threads = max((os.cpu_count() or 1) // n, 1)
    procs = []
    for rank in range(n):
        env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
               "LOCAL_RANK": str(rank), "WORLD_SIZE": str(n), "LOCAL_WORLD_SIZE": str(n),
               "OMP_NUM_THREADS": str(threads)}
        quiet = {} if rank == 0 else {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
        procs.append(subprocess.Popen([sys.executable, "-m", "vitrine", *rest], env=env, text=True, **quiet))
    while any(p.poll() is None for p in procs):
        failed = [p for p in procs if p.poll() not in (None, 0)]
        if failed:
            for p in procs:
                if p.poll() is None:
                    p.kill()
            break
        time.sleep(0.2)
    for rank, p in enumerate(procs):
        p.wait()
        if rank and p.returncode and p.stderr is not None:
            last = [line for line in p.stderr.read().splitlines() if line.strip()][-1:]
            print(f"process {rank}: {last[0] if last else f'exit status {p.returncode}'}", file=sys.stderr)
    return next((p.returncode for p in procs if p.returncode), 0)


def cmd_generate(args) -> int:
    import torch

    from vitrine.diffusion.grid import save_grid
    from vitrine.diffusion.pipeline import MAX_PROMPT_CHARS, load_pipeline
    from vitrine.config import data_dir
    from vitrine.paths import GENERATOR_DIR, shop_or_shipped, whose
    output = check_output(args.output, "-o/--output", IMAGE_SUFFIXES)  # before minutes of sampling
    if not args.prompt.strip() or len(args.prompt) > MAX_PROMPT_CHARS:
        raise UsageError(f"PROMPT: give 1 to {MAX_PROMPT_CHARS} characters of text")
    store_dir = data_dir(args.data_dir)  # no store needed: only where the shop's own model would be
    model = args.model or shop_or_shipped(store_dir, GENERATOR_DIR, SHIPPED_PIPELINE)
    try:
        pipe = load_pipeline(model, sampler=None)  # errors name the model folder's file
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sampler = args.sampler or pipe.default_sampler
    try:
        pipe = pipe.with_sampler(sampler).speed_up(args.precision)
    except ValueError as exc:
        raise UsageError(f"--sampler: {exc}") from None
    for text, flag in ((args.prompt, "PROMPT"), (args.negative, "--negative")):
        for note in (pipe.text_encoder.notes(text) if text else []):
            print(f"note: {flag}: {note}", file=sys.stderr)
    steps = args.steps or pipe.default_steps(sampler)
    generators = [torch.Generator().manual_seed(args.seed + i) for i in range(args.n)]
    try:
        images = pipe(args.prompt, negative_prompt=args.negative, num_images_per_prompt=args.n,
                      num_inference_steps=steps, guidance_scale=args.guidance, generator=generators).images
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = save_grid(images, output, columns=min(args.n, 8))
    print(f"{args.n} images for {args.prompt!r} ({sampler}, {steps} steps, guidance {args.guidance}, "
          f"seeds {args.seed}…{args.seed + args.n - 1}) by {whose(model, store_dir)}: {out}")
    return 0


def cmd_autoencoder_train(args) -> int:
    import torch

    from vitrine.atomic import write_text
    from vitrine.catalog.photo_cache import photos_at
    from vitrine.catalog.training import split_photo_items, spread
    from vitrine.diffusion.autoencoder_train import (MEASURED, AutoencoderConfig, AutoencoderTrainer,
                                                     reconstruction_figures)
    from vitrine.evaluate.evaluator import load_evaluator
    from vitrine.paths import EVALUATOR_DIR, SHIPPED_EVALUATOR, shop_or_shipped
    out = check_output_dir(args.out, "--out", create=not args.resume)
    config = AutoencoderConfig(args.preset, args.size, args.fit, args.steps, args.batch_size, args.lr, args.seed,
                               args.checkpoint_every)
    if args.resume:
        try:
            config = AutoencoderConfig(**saved_run_config(out))
        except TypeError as exc:
            raise UsageError(f"{out / 'config.json'}: not an autoencoder run's config ({exc})") from None
    store = open_store(args)
    split = split_photo_items(store, seed=config.seed)
    train, images, skipped = photos_at(store, split.train, config.size, config.fit, not args.quiet)
    if len(train) < args.min_photos:
        raise UsageError(f"{store.data_dir}: {len(train)} usable training photos, at least {args.min_photos} are "
                         "needed (--min-photos)")
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    trainer = AutoencoderTrainer(config, pixels, out)
    if args.resume:
        trainer.resume()
    seconds = trainer.run(args.until, progress=not args.quiet)
    print(f"autoencoder trained to step {trainer.step:,} in {seconds:.0f} s on {len(train):,} photos; "
          f"checkpoint {trainer.checkpoint_path}")
    if trainer.step < config.steps:
        return 0
    folder = trainer.export(out / "autoencoder")
    held, held_images, _ = photos_at(store, spread(split.held_out, MEASURED), config.size, config.fit, progress=False)
    evaluator = load_evaluator(shop_or_shipped(store.data_dir, EVALUATOR_DIR, SHIPPED_EVALUATOR))
    figures = {"held_out": reconstruction_figures(trainer.model, torch.from_numpy(held_images).permute(0, 3, 1, 2),
                                                  evaluator) if held else None,
               "train_seconds": round(trainer.seconds, 1), "steps": trainer.step, "train_photos": len(train),
               "scaling_factor": trainer.model.config.scaling_factor}
    write_text(folder / "figures.json", json.dumps(figures, indent=2) + "\n")
    shown = figures["held_out"]
    if shown:
        reads = ", ".join(f"{k} {v:.1%}" for k, v in shown.get("read_back", {}).items())
        print(f"held-out reconstruction of {shown['photos']:,} photos: PSNR {shown['psnr']:.2f} dB, SSIM "
              f"{shown['ssim']:.3f}; read the same as the original: {reads}")
    print(f"autoencoder (latent scale {figures['scaling_factor']:.4f}): {folder}")
    if not args.no_install:
        from vitrine.atomic import replace_folder
        from vitrine.paths import AUTOENCODER_DIR
        target = replace_folder(folder, store.data_dir / AUTOENCODER_DIR)
        print(f"this shop's autoencoder is now {target}: `vitrine train --size {config.size}` draws in its latents "
              f"(--no-install keeps a run out)")
    return 0


def cmd_diffusion_forward(args) -> int:
    import numpy as np
    from PIL import Image as PILImage

    from vitrine.diffusion.forward import forward_strip, save, table
    try:
        ts = [int(t) for t in args.t.split(",")]
    except ValueError:
        raise UsageError(f"--t {args.t!r}: give comma-separated whole numbers, e.g. 0,100,500") from None
    output = check_output(args.output or f"forward-{args.item_id}-{args.schedule}.png", "-o/--output", (".png",))
    store = open_store(args)
    photos = store.main_photos([args.item_id])
    if not photos:
        raise UsageError(f"ITEM_ID {args.item_id!r}: no such item with a photo in {store.data_dir}")
    with PILImage.open(store.images.resolve(photos[0][1])) as im:
        photo = np.asarray(im.convert("RGB"))
    try:
        strip, rows = forward_strip(photo, ts, args.schedule, args.T, args.beta_bar, args.seed)
    except ValueError as exc:
        raise UsageError(f"--t: {exc}") from None
    print(table(rows, args.schedule))
    print(f"strip: {save(strip, output)}")
    return 0


def register(verbs, common) -> None:
    from vitrine.diffusion.config import FIELD_CHOICES, FIELD_HELP, TRAIN_PRESETS, TrainConfig
    p = verbs.add("train", cmd_train, "train the text-to-image model on the catalog's photos, or the try-on model")
    p.add_argument("--preset", dest="recipe", default="default", choices=list(TRAIN_PRESETS),
                   help="recipe: tiny (tests), quick (about 10 minutes on 2 cores), default (the shipped model's, "
                        "about an hour on 2 cores), tryon-quick (tests), tryon (the shipped try-on model's, on the "
                        "people set of `vitrine catalog people`); any flag below overrides the recipe's value")
    add_config_flags(p, TrainConfig, FIELD_HELP, FIELD_CHOICES, rename={"preset": "unet"},
                     shown_defaults=TRAIN_PRESETS["default"], default_label="default recipe:")
    p.add_argument("--processes", type=count(1, 256), default=1,
                   help="train in N processes on this machine (torch.distributed: each takes 1/N of every batch; "
                        "docs/scale.md for several machines); default 1")
    p.add_argument("--until", type=count(1), help="stop at this step (resume later with --resume)")
    p.add_argument("--limit", type=count(1), help="train on the first N photos (try-on: garments) only")
    p.add_argument("--min-photos", type=count(1), default=MIN_PHOTOS,
                   help=f"refuse to train on fewer usable photos than this (default {MIN_PHOTOS}; lower it "
                        "to try the verb on a small shop)")
    p.add_argument("--out", help="run folder (default runs/PRESET)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--export", help="also save the pipeline here (default: OUT/pipeline when finished)")
    p.add_argument("--no-install", action="store_true",
                   help="text-to-image: keep the finished model in the run folder only (by default it becomes the "
                        "shop's generator, DATA_DIR/models/generator, which generate, studio and serve use)")

    from vitrine.catalog.training import FITS
    from vitrine.diffusion.config import AUTOENCODER_PRESETS
    autoencoder = verbs.group("autoencoder", "the shop's autoencoder: photos ↔ latents for a 64-px or larger model")
    p = autoencoder.add("train", cmd_autoencoder_train, "train it on the shop's photos (the generator's training "
                        "split); report held-out PSNR, SSIM and the evaluator's read-back of reconstructions")
    p.add_argument("--preset", choices=AUTOENCODER_PRESETS, default="small",
                   help="size: small (64 px → 16×16×4 latents; default) or tiny (tests)")
    p.add_argument("--size", type=int, choices=(32, 64, 128), default=64, help="photo size in pixels (default 64)")
    p.add_argument("--fit", choices=FITS, default="pad", help="a photo of another shape: pad (default) or crop")
    p.add_argument("--steps", type=count(1), default=4000, help="optimizer steps (default 4,000)")
    p.add_argument("--batch-size", type=count(1, 4096), default=32, help="photos per step (default 32)")
    p.add_argument("--lr", type=number(1e-7, 1), default=1e-3, help="AdamW learning rate (default 1e-3)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the weights, batches and split (default 0)")
    p.add_argument("--checkpoint-every", type=count(1), default=250, help="save a resumable checkpoint every N steps")
    p.add_argument("--until", type=count(1), help="stop at this step (resume later with --resume)")
    p.add_argument("--min-photos", type=count(1), default=MIN_PHOTOS,
                   help=f"refuse to train on fewer usable photos than this (default {MIN_PHOTOS})")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--out", default="runs/autoencoder", help="run folder; the model goes to OUT/autoencoder "
                                                            "(default runs/autoencoder)")
    p.add_argument("--no-install", action="store_true",
                   help="keep the finished model in the run folder only (by default it becomes the shop's "
                        "autoencoder, DATA_DIR/models/autoencoder, which `vitrine train --size 64` draws through)")

    register_distill(verbs)

    diffusion = verbs.group("diffusion", "look at the noise process")
    p = diffusion.add("forward", cmd_diffusion_forward, "noise one item's photo to several t; print ᾱ_t and SNR")
    p.add_argument("item_id", help="an item with a photo, e.g. fm-00000")
    p.add_argument("--t", default="0,100,500,900,1000", help="comma-separated steps (default 0,100,500,900,1000)")
    p.add_argument("--schedule", default="linear-bar", choices=["linear-bar", "brief", "ddpm", "cosine"],
                   help="linear-bar: β_t = β̄·t/T, the product brief's example (alias brief); ddpm: 1e-4…0.02; "
                        "cosine: Improved DDPM's (default linear-bar)")
    p.add_argument("--T", type=count(2, 100_000), default=1000, help="number of steps T (default 1000)")
    p.add_argument("--beta-bar", type=number(1e-9, 0.999), default=0.01,
                   help="the linear-bar schedule's final β̄ (default 0.01)")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the shared noise draw (default 0)")
    p.add_argument("-o", "--output", help="PNG path (default forward-ITEM-SCHEDULE.png)")

    p = verbs.add("generate", cmd_generate, "product images from a text prompt")
    p.add_argument("prompt", help='what to draw, e.g. "a red striped t-shirt"')
    p.add_argument("-n", type=count(1, 256), default=8, help="images, 1–256 (default 8)")
    p.add_argument("--steps", type=count(1, 1000), help="sampling steps, 1–1000 (default 20; 1000 for ddpm; 4 for a "
                                                        "distilled model, which takes 1 to its grid's 50)")
    p.add_argument("--guidance", type=number(0, 50), default=3.0,
                   help="classifier-free guidance scale w, 0–50 (default 3)")
    p.add_argument("--sampler", help="dpm++sde (default: DPM-Solver++ 2M SDE), dpm++, ddim, ddpm, unipc, euler, … or "
                                     "a diffusers scheduler class name; lcm, and only lcm, for a distilled model "
                                     "(`vitrine distill`; its default)")
    p.add_argument("--negative", help="negative prompt: what the image should not look like")
    p.add_argument("--seed", type=count(0), default=0, help="seed of the first image; image i uses seed+i")
    p.add_argument("--model", help=f"saved pipeline folder (default: the shop's own, DATA_DIR/models/generator, "
                                   f"when `vitrine train` made one; else the shipped {SHIPPED_PIPELINE})")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="U-Net precision: bf16 halves the sampling time on CPUs with AMX and is far slower on "
                        "CPUs without (docs/bench-sample.md); default fp32")
    p.add_argument("-o", "--output", default="generated.png", help="grid image, .png/.jpg/.webp (default generated.png)")


# ---- `vitrine distill` ---------------------------------------------------------------------
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
    command = ["vitrine", *args.argv]
    if args.resume:
        config, started = saved_distillation(out)
        command = started or command
    else:
        teacher = args.source or (default_path(SHIPPED_TRYON) if args.task == "tryon" else
                                  str(shop_or_shipped(data_dir(args.data_dir), GENERATOR_DIR, SHIPPED_PIPELINE)))
        low, high = args.guidance_range
        config = DistillConfig(teacher=str(teacher), task=args.task, steps=args.steps, batch_size=args.batch_size,
                               lr=args.lr, lr_schedule=args.lr_schedule, ema_decay=args.ema_decay,
                               guidance_min=low, guidance_max=high,
                               skip=args.skip, clip_teacher=args.clip_teacher, precision=args.precision, seed=args.seed,
                               checkpoint_every=args.checkpoint_every, threads=args.threads)
    teacher_folder = Path(config.teacher)
    teacher = load_teacher(teacher_folder, config.task)
    try:
        config.validate(teacher.scheduler.config.num_train_timesteps, latent=teacher.vae is not None)
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
        data = store_training_data(store, run, out, args.limit, args.min_photos, not args.quiet).data
        distiller = Distiller(config, run, teacher, data, out)
    distiller.command = command
    if args.resume:
        distiller.resume()
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


def saved_distillation(out: Path):
    """(DistillConfig, the command that started it) of the run in `out`, for --resume, from its
    distill.json; a UsageError when there is no checkpoint or the file cannot be read."""
    from vitrine.diffusion.config import DistillConfig
    from vitrine.diffusion.distill import DISTILL_FILE
    saved = saved_run_config(out, DISTILL_FILE)
    try:
        config = DistillConfig.from_dict(saved)
    except TypeError as exc:
        raise UsageError(f"{out / DISTILL_FILE}: unreadable distillation config ({exc})") from None
    command = saved.get("command")
    return config, [str(c) for c in command] if isinstance(command, list) else []


def register_distill(verbs) -> None:
    from vitrine.diffusion.config import DISTILL_LR_SCHEDULES, TASKS, DistillConfig
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
    p.add_argument("--lr-schedule", choices=DISTILL_LR_SCHEDULES, default=d.lr_schedule,
                   help=f"after {d.warmup_steps} warm-up steps: constant, or cosine to zero at the last step "
                        f"(default {d.lr_schedule})")
    p.add_argument("--ema-decay", type=number(0, 0.99999), default=d.ema_decay,
                   help=f"decay of the target network (default {d.ema_decay:g})")
    p.add_argument("--guidance-range", type=guidance_range, default=(d.guidance_min, d.guidance_max),
                   metavar="LOW,HIGH", help=f"the guidance scales the student learns, drawn uniformly "
                                            f"(default {d.guidance_min:g},{d.guidance_max:g})")
    p.add_argument("--skip", type=count(1), default=d.skip,
                   help=f"k: timesteps the teacher's solver step spans (default {d.skip}: a 50-point grid of T = 1000)")
    p.add_argument("--clip-teacher", action="store_true",
                   help="clip the teacher's x̂_0 to the pixels' [−1, 1] in its solver step, as its own samplers do "
                        "(pixel models only)")
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
