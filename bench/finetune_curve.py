"""Fine-tune or from scratch: category read-back a shop's generator reaches after N minutes of training.

Two runs on the same imported shop, one after the other on the same machine: the `quick` recipe
(mini U-Net, cosine schedule, v-prediction, Min-SNR-5, batch 16) started from a trained model
(`--init-from`, the shipped one by default) and started from random weights. The learning rate
warms up for 100 steps and then stays constant (a time budget has no last step to decay towards).
At each mark of training time (evaluation time not counted) the EMA weights draw the shop's
held-out prompts and the evaluator reads them back, as `vitrine eval generation --prompt-set shop`
does (DPM-Solver++ SDE, 20 steps, guidance 3). The fine-tune run is also judged at minute 0: the
starting model itself.

    python bench/finetune_curve.py --shop out/shop-2000 --minutes 5,15,30 --out reports/generation-shops/finetune
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from vitrine.diffusion.config import TRAIN_PRESETS, TrainConfig
from vitrine.diffusion.data import from_store
from vitrine.diffusion.pipeline import load_pipeline
from vitrine.diffusion.train import Trainer
from vitrine.evaluate.data import shop_photos
from vitrine.evaluate.evaluator import load_evaluator
from vitrine.evaluate.generation import RealPool, Setting, evaluate_generation, shop_prompts
from vitrine.paths import SHIPPED_EVALUATOR, SHIPPED_PIPELINE, default_path
from vitrine.results import Column, Table, write_report
from vitrine.storage.store import Store

SETTING = Setting("dpm++sde", 20, 3.0)


def judge(trainer: Trainer, evaluator, pool, prompts, samples: int) -> dict:
    """The run's EMA weights exported and scored on the held-out prompts."""
    with tempfile.TemporaryDirectory() as folder:
        pipe = load_pipeline(trainer.export(Path(folder) / "model"))
        result, _ = evaluate_generation(pipe, evaluator, pool, prompts, (SETTING,), samples=samples,
                                        subset_prompts=min(2, len(prompts)), progress=False)
    row = result["rows"][0]
    return {"accuracy": row["accuracy"], "fid": row["fid"], "ceiling": result["ceiling"]}


def run_way(name: str, config: TrainConfig, data, out: Path, marks: list[float], evaluator, pool, prompts,
            samples: int, log: Path) -> list[dict]:
    """One way's points; each is also appended to `log` as it is measured (a stop loses little)."""
    trainer = Trainer(config, data, out / name)
    points, trained = [], 0.0

    def note(point: dict) -> None:
        points.append(point)
        with log.open("a") as handle:
            handle.write(json.dumps(point) + "\n")
        print(json.dumps(point), flush=True)

    if config.init_from:
        note({"way": name, "minutes": 0, "step": 0, **judge(trainer, evaluator, pool, prompts, samples)})
    for mark in marks:
        while trained < mark * 60:
            start = time.perf_counter()
            for _ in range(10):
                trainer.train_step()
            trained += time.perf_counter() - start
        note({"way": name, "minutes": mark, "step": trainer.step, "train_seconds": round(trained, 1),
              **judge(trainer, evaluator, pool, prompts, samples)})
    return points


def plot(points: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=100)
    for way, marker in (("fine-tune", "o"), ("from scratch", "s")):
        rows = [p for p in points if p["way"] == way]
        ax.plot([p["minutes"] for p in rows], [p["accuracy"]["category"] for p in rows], marker=marker, label=way)
    ax.axhline(points[0]["ceiling"]["category"], color="grey", ls="--", lw=1, label="real held-out photos")
    ax.set_xlabel("minutes of training (2 cores)")
    ax.set_ylabel("category read-back")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", required=True, help="data dir of an imported shop")
    parser.add_argument("--minutes", default="5,15,30", help="training-time marks, comma-separated")
    parser.add_argument("--init-from", default=default_path(SHIPPED_PIPELINE), help="the model a fine-tune starts from")
    parser.add_argument("--evaluator", default=default_path(SHIPPED_EVALUATOR),
                        help="the judge; its classes must be the shop's (default the shipped one)")
    parser.add_argument("--prompts", type=int, default=52)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", default="reports/generation-shops/finetune")
    args = parser.parse_args()
    marks = [float(m) for m in args.minutes.split(",")]
    if args.threads:
        torch.set_num_threads(args.threads)
    store = Store(args.shop, create=False)
    loaded = from_store(store, progress=False)
    photos = shop_photos(store, progress=False)
    evaluator = load_evaluator(args.evaluator)
    if photos.classes != evaluator.classes:
        raise SystemExit(f"--evaluator {args.evaluator}: its classes are not the shop's")
    pool, prompts = RealPool.from_shop(photos), shop_prompts(photos.held_out, photos.classes, args.prompts)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "points.jsonl"
    log.unlink(missing_ok=True)
    base = {**TRAIN_PRESETS["quick"], "steps": 1_000_000, "lr_schedule": "constant_with_warmup",
            "checkpoint_every": 1_000_000}
    points = []
    with tempfile.TemporaryDirectory() as runs:
        for way, init in (("fine-tune", args.init_from), ("from scratch", "")):
            config = TrainConfig.from_dict({**base, "init_from": init})
            points += run_way(way, config, loaded.data, Path(runs), marks, evaluator, pool, prompts, args.samples, log)
    plot(points, out / "finetune.png")
    table = Table([Column("way", align="left"), Column("minutes", format="{:g}"), Column("step", format="{:,}"),
                   Column("category", lambda p: p["accuracy"]["category"], "{:.1%}"),
                   Column("colour", lambda p: p["accuracy"].get("colour", float("nan")), "{:.1%}"),
                   Column("pattern", lambda p: p["accuracy"].get("pattern", float("nan")), "{:.1%}"),
                   Column("eval-FID", "fid", "{:.1f}")], points)
    markdown = (f"# Fine-tune or from scratch on {store.data_dir.name} ({len(loaded.data):,} training photos)\n\n"
                f"{len(prompts)} held-out prompts × {args.samples} samples, {SETTING.name}; the evaluator reads "
                f"the real held-out photos at category {points[0]['ceiling']['category']:.1%}. Fine-tunes start "
                f"from `{os.path.relpath(args.init_from)}`.\n\n{table.markdown()}\n\n![category read-back against minutes](finetune.png)\n")
    write_report(out, "finetune", {"shop": os.path.relpath(store.data_dir), "photos": len(loaded.data), "setting": SETTING.name,
                                   "config": asdict(TrainConfig.from_dict(base)), "points": points}, markdown, "finetune")
    print(markdown)


if __name__ == "__main__":
    main()
