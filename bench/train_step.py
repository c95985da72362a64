"""Training step time and img/s per U-Net preset and recipe, side by side in one run.

Reference: the recipe of diffusers' train_text_to_image.py on this model — fp32, no compile, a
plain loop of forward, MSE, backward, AdamW step (no EMA, no attention mask). Vitrine's variants
add what `vitrine train` does (EMA, text mask) and try bf16 autocast / channels_last. Also
reports model FLOPs per step (torch's FlopCounterMode) and utilisation against the fp32 GEMM
rate measured in the same run. Medians of timed steps after warm-up.

    python bench/train_step.py --presets small --steps 10 --ablation --compile --out bench/results/train_step.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode



def gemm_rate(n: int = 2048, seconds: float = 2.0) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start)


def step_flops(model, batch: int) -> float:
    x, t = torch.randn(batch, 3, 32, 32), torch.randint(0, 1000, (batch,))
    y = torch.randn(batch, 32, 384)
    with FlopCounterMode(display=False) as counter:
        model(x, t, encoder_hidden_states=y).sample.pow(2).mean().backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def make_unet(preset: str, self_attention: bool | None = None):
    """The preset's U-Net, optionally with its transformer blocks' self-attention switched on/off."""
    from diffusers import UNet2DConditionModel

    from vitrine.diffusion.models import unet_config
    config = unet_config(preset)
    if self_attention is not None:
        config["only_cross_attention"] = not self_attention
    return UNet2DConditionModel(**config)


def time_recipe(preset: str, batch: int, steps: int, warmup: int, *, bf16=False, mask=False, ema=False,
                channels_last=False, self_attention=None, compile=False) -> list[float]:
    from diffusers.training_utils import EMAModel
    torch.manual_seed(0)
    model = make_unet(preset, self_attention).train()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    forward = torch.compile(model) if compile else model  # the first (warm-up) step pays the compile
    shadow = EMAModel(model.parameters(), decay=0.999) if ema else None
    x = torch.randn(batch, 3, 32, 32)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y, m = torch.randn(batch, 32, 384), torch.ones(batch, 32, dtype=torch.bool)
    m[:, 20:] = False
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        t = torch.randint(0, 1000, (batch,))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            pred = forward(x, t, encoder_hidden_states=y, encoder_attention_mask=m if mask else None).sample
        loss = torch.nn.functional.mse_loss(pred.float(), x)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if shadow is not None:
            shadow.step(model.parameters())
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


RECIPES = {
    "reference (fp32, plain loop)": {},
    "vitrine fp32 (mask + EMA)": {"mask": True, "ema": True},
    "vitrine fp32, no mask": {"ema": True},
    "vitrine bf16 (mask + EMA)": {"mask": True, "ema": True, "bf16": True},
    "vitrine fp32 channels_last": {"mask": True, "ema": True, "channels_last": True},
}
# Architecture ablation: the same preset with self-attention on and off, reference recipe.
ABLATION = {
    "reference, with self-attention": {"self_attention": True},
    "reference, cross-attention only": {"self_attention": False},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presets", default="small")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--ablation", action="store_true", help="also time self-attention on vs off")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (minutes to compile)")
    parser.add_argument("--out", default="bench/results/train_step.json")
    args = parser.parse_args()
    rate = gemm_rate()
    results = {"gemm_fp32_flops": rate, "threads": torch.get_num_threads(), "batch": args.batch, "runs": []}
    recipes = {**RECIPES, **(ABLATION if args.ablation else {}),
               **({"vitrine fp32 compiled (mask + EMA)": {"mask": True, "ema": True, "compile": True}}
                  if args.compile else {})}
    for preset in args.presets.split(","):
        reference = None
        for name, options in recipes.items():
            flops = step_flops(make_unet(preset, options.get("self_attention")), args.batch)
            times = time_recipe(preset, args.batch, args.steps, args.warmup, **options)
            median = statistics.median(times)
            reference = reference or median
            row = {"preset": preset, "recipe": name, "median_s": median, "img_s": args.batch / median,
                   "speedup_vs_reference": reference / median, "flops_per_step": flops,
                   "utilisation_of_gemm": flops / median / rate}
            results["runs"].append(row)
            print(f"{preset:6} {name:32} {median:6.3f} s/step {row['img_s']:6.1f} img/s "
                  f"×{row['speedup_vs_reference']:.2f}  {row['utilisation_of_gemm']:.0%} of GEMM", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"GEMM fp32: {rate / 1e9:.0f} GFLOP/s; written {out}")


if __name__ == "__main__":
    main()
