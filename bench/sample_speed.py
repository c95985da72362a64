"""Sampling seconds per image with classifier-free guidance, per sampler and precision.

Speed does not depend on the weights, so by default this times a freshly initialised U-Net of the
chosen preset (`--model DIR` times a saved pipeline instead). Each row is the median of
`--repeats` timed calls after one warm-up call; images per call: `--batch` (DDPM-1000 uses
`--ddpm-batch`, it is 50× longer).

    python bench/sample_speed.py --preset small --out bench/results/sample_speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from vitrine.diffusion.models import build_unet
from vitrine.diffusion.pipeline import VitrinePipeline, load_pipeline
from vitrine.diffusion.train import TrainConfig, make_noise_scheduler

CASES = [("dpm++", 20), ("dpm++", 10), ("ddim", 50), ("ddpm", 1000)]


def timed(pipe, n: int, steps: int, repeats: int, bf16: bool) -> float:
    def call():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pipe("a red striped t-shirt", num_images_per_prompt=n, num_inference_steps=steps, guidance_scale=3.0,
                 generator=torch.Generator().manual_seed(0), output_type="np")
    call()  # warm-up (and text encoder load)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="small")
    parser.add_argument("--model", help="a saved pipeline folder instead of a fresh U-Net")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--ddpm-batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-ddpm", action="store_true")
    parser.add_argument("--out", default="bench/results/sample_speed.json")
    args = parser.parse_args()
    if args.model:
        pipe = load_pipeline(args.model)
    else:
        torch.manual_seed(0)
        pipe = VitrinePipeline(build_unet(args.preset).eval(), make_noise_scheduler(TrainConfig(schedule="cosine")))
    pipe.set_progress_bar_config(disable=True)
    rows = []
    for sampler, steps in CASES:
        if sampler == "ddpm" and args.skip_ddpm:
            continue
        pipe.with_sampler(sampler)
        n = args.ddpm_batch if sampler == "ddpm" else args.batch
        for bf16 in (False, True):
            seconds = timed(pipe, n, steps, 1 if sampler == "ddpm" else args.repeats, bf16)
            rows.append({"sampler": sampler, "steps": steps, "precision": "bf16" if bf16 else "fp32",
                         "images_per_call": n, "seconds_per_image": seconds})
            print(f"{sampler:6} {steps:5} steps {rows[-1]['precision']}: {seconds:.3f} s/image (batch {n})", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"preset": args.preset, "model": args.model, "threads": torch.get_num_threads(),
                               "guidance": 3.0, "rows": rows}, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
