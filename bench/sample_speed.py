"""Sampling seconds per image with classifier-free guidance: samplers, and the ways to run the U-Net.

Speed does not depend on the weights, so by default this times a freshly initialised U-Net of the
chosen preset (`--model DIR` times a saved pipeline instead, and then also reports how far each
fast variant's images are from the plain fp32 ones for the same seeds). Each row is the median of
`--repeats` timed calls after one warm-up call (which also pays torch.compile's compile time).

Rows, all side by side in one run:
- samplers: DPM-Solver++ 20 and 10 steps, its SDE form at 20 (the pipeline's default sampler), DDIM
  50, DDPM 1000 (the brief's ancestral process), plain fp32;
- U-Net variants at 20 steps of `--sampler` (default: the pipeline's default sampler): bf16
  weights, channels_last, torch.compile, torch.compile with frozen weights, and guidance applied
  only for t/T ≥ 0.4 (`guidance_interval`, half-cost steps below it), and combinations.

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
from vitrine.diffusion.pipeline import DEFAULT_SAMPLER, VitrinePipeline, load_pipeline
from vitrine.diffusion.train import TrainConfig, make_noise_scheduler

PROMPT = "a red striped t-shirt"
SAMPLERS = [("dpm++", 20), ("dpm++", 10), ("dpm++sde", 20), ("ddim", 50), ("ddpm", 1000)]
# name → (precision, channels_last, compile, freeze, guidance interval); all at 20 steps of --sampler
VARIANTS = {
    "fp32": ("fp32", False, False, False, (0.0, 1.0)),
    "channels_last": ("fp32", True, False, False, (0.0, 1.0)),
    "guidance t/T ≥ 0.4": ("fp32", False, False, False, (0.4, 1.0)),
    "compile": ("fp32", False, True, False, (0.0, 1.0)),
    "compile + guidance t/T ≥ 0.4": ("fp32", False, True, False, (0.4, 1.0)),
    "compile, frozen weights": ("fp32", False, True, True, (0.0, 1.0)),
    "compile, frozen weights + guidance t/T ≥ 0.4": ("fp32", False, True, True, (0.4, 1.0)),
    "bf16": ("bf16", False, False, False, (0.0, 1.0)),
    "bf16 + compile": ("bf16", False, True, False, (0.0, 1.0)),
}


def gemm_rates(n: int = 1024, seconds: float = 1.0) -> dict[str, float]:
    """Matrix-multiply FLOP/s in fp32 and bf16 on this machine (bf16 is fast only with AMX/AVX-512-BF16)."""
    rates = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            a @ b
            count += 1
        rates[name] = 2 * n ** 3 * count / (time.perf_counter() - start)
    return rates


def make_pipe(args) -> VitrinePipeline:
    if args.model:
        return load_pipeline(args.model)
    torch.manual_seed(0)
    config = TrainConfig(schedule="cosine", prediction="v_prediction")
    pipe = VitrinePipeline(build_unet(args.preset).eval(), make_noise_scheduler(config))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def sample(pipe, n: int, steps: int, interval=(0.0, 1.0)) -> torch.Tensor:
    return pipe(PROMPT, num_images_per_prompt=n, num_inference_steps=steps, guidance_scale=3.0,
                generator=torch.Generator().manual_seed(0), output_type="pt", guidance_interval=interval).images


def timed(pipe, n: int, steps: int, repeats: int, interval=(0.0, 1.0)) -> tuple[float, torch.Tensor]:
    images = sample(pipe, n, steps, interval)  # warm-up: text encoder load, compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sample(pipe, n, steps, interval)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / n, images


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="small")
    parser.add_argument("--model", help="a saved pipeline folder instead of a fresh U-Net")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--sampler", default=DEFAULT_SAMPLER, help=f"sampler of the variant rows (default {DEFAULT_SAMPLER})")
    parser.add_argument("--ddpm-batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-ddpm", action="store_true")
    parser.add_argument("--skip-compile", action="store_true", help="leave out the torch.compile rows")
    parser.add_argument("--out", default="bench/results/sample_speed.json")
    args = parser.parse_args()
    rows = []
    rates = gemm_rates()
    bf16_useful = rates["bf16"] > 0.5 * rates["fp32"]
    print(f"GEMM: fp32 {rates['fp32'] / 1e9:.0f} GFLOP/s, bf16 {rates['bf16'] / 1e9:.1f} GFLOP/s"
          + ("" if bf16_useful else " — no fast bf16 on this CPU: bf16 rows skipped"), flush=True)

    pipe = make_pipe(args)
    for sampler, steps in SAMPLERS:
        if sampler == "ddpm" and args.skip_ddpm:
            continue
        pipe.with_sampler(sampler)
        n = args.ddpm_batch if sampler == "ddpm" else args.batch
        seconds, _ = timed(pipe, n, steps, 1 if sampler == "ddpm" else args.repeats)
        rows.append({"kind": "sampler", "sampler": sampler, "steps": steps, "variant": "fp32",
                     "images_per_call": n, "seconds_per_image": seconds})
        print(f"{sampler:6} {steps:5} steps fp32: {seconds:.3f} s/image (batch {n})", flush=True)

    reference = None
    for name, (precision, channels_last, compile, freeze, interval) in VARIANTS.items():
        if (compile and args.skip_compile) or (precision == "bf16" and not bf16_useful):
            continue
        pipe = make_pipe(args).with_sampler(args.sampler).speed_up(precision, channels_last, compile, freeze)
        seconds, images = timed(pipe, args.batch, 20, args.repeats, interval)
        reference = images if reference is None else reference
        # Same seeds, so the difference to the plain fp32 images is what the variant changes.
        diff = float((images - reference).abs().mean())
        rows.append({"kind": "variant", "sampler": args.sampler, "steps": 20, "variant": name,
                     "images_per_call": args.batch, "seconds_per_image": seconds,
                     "mean_abs_pixel_diff_vs_fp32": diff})
        print(f"{args.sampler} 20 {name:46}: {seconds:.3f} s/image, mean |Δpixel| vs fp32 {diff:.4f}", flush=True)
    fp32 = next(r["seconds_per_image"] for r in rows if r["kind"] == "variant" and r["variant"] == "fp32")
    for r in rows:
        if r["kind"] == "variant":
            r["speedup_vs_fp32"] = fp32 / r["seconds_per_image"]

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"preset": args.preset, "model": args.model, "threads": torch.get_num_threads(),
                               "guidance": 3.0, "prompt": PROMPT, "gemm_flops": rates, "rows": rows}, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
