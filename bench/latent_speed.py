"""What drawing through a latent space costs: a 64-px latent model against a 32-px pixel model, side by side.

Two saved pipelines, timed in one run with their rows interleaved (round k times every row once, in
a shuffled order), medians over the rounds:
- sampling: seconds per image for a batch of 16 with classifier-free guidance (DPM-Solver++ SDE,
  20 steps, guidance 3: 40 U-Net calls per picture), the latent model's decode included, and its
  decode alone;
- training: one optimizer step of each model's U-Net (fresh weights of the same configuration,
  AdamW, batch 32, a forward and backward pass), on inputs of its own shape: photos for the pixel
  model, cached latents for the latent one (the latents are encoded once before training, so a
  step never runs the autoencoder).

    python bench/latent_speed.py --pixel models/vitrine-fashion-32 --latent runs/latent64/pipeline \\
        --out bench/results/latent_speed.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import torch

from vitrine.diffusion.pipeline import load_pipeline
from vitrine.text.encoder import MAX_TOKENS

PROMPT = "a red striped t-shirt"


def sampler_row(pipe, batch: int):
    def run():
        pipe(PROMPT, num_images_per_prompt=batch, num_inference_steps=20, guidance_scale=3.0, output_type="np",
             generator=torch.Generator().manual_seed(0))
    return run


def decode_row(pipe, batch: int):
    latents = torch.randn(batch, pipe.unet.config.in_channels, pipe.unet.config.sample_size,
                          pipe.unet.config.sample_size)

    @torch.inference_mode()
    def run():
        pipe.vae.decode(latents / pipe.vae.config.scaling_factor)
    return run


def train_row(pipe, batch: int):
    from diffusers import UNet2DConditionModel
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(pipe.unet.config).train()
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-4, fused=True)
    side, channels = unet.config.sample_size, unet.config.in_channels
    x, states = torch.randn(batch, channels, side, side), torch.randn(batch, MAX_TOKENS, 384)
    t = torch.randint(0, 1000, (batch,))

    def run():
        loss = unet(x, t, encoder_hidden_states=states).sample.pow(2).mean()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pixel", default="models/vitrine-fashion-32", help="the 32-px pixel model's folder")
    parser.add_argument("--latent", required=True, help="the 64-px latent model's folder")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7; one warm-up before)")
    parser.add_argument("--batch", type=int, default=16, help="pictures per sampling call (default 16)")
    parser.add_argument("--train-batch", type=int, default=32, help="images per training step (default 32)")
    parser.add_argument("--out", default="bench/results/latent_speed.json")
    args = parser.parse_args()
    pixel, latent = load_pipeline(args.pixel), load_pipeline(args.latent)
    if latent.vae is None:
        parser.error(f"--latent {args.latent}: a pixel model (no vae/ component)")
    rows = {  # name → (model, what, timed call, images per call)
        "pixel sample": ("pixel", "sampling, s/image", sampler_row(pixel, args.batch), args.batch),
        "latent sample": ("latent", "sampling, s/image", sampler_row(latent, args.batch), args.batch),
        "latent decode": ("latent", "decode alone, s/image", decode_row(latent, args.batch), args.batch),
        "pixel train": ("pixel", "training step, s", train_row(pixel, args.train_batch), 1),
        "latent train": ("latent", "training step, s", train_row(latent, args.train_batch), 1),
    }
    times = {name: [] for name in rows}
    order = list(rows)
    rng = random.Random(0)
    for round_ in range(args.rounds + 1):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            rows[name][2]()
            if round_:  # round 0 is the warm-up
                times[name].append((time.perf_counter() - start) / rows[name][3])
    results = [{"row": name, "model": rows[name][0], "what": rows[name][1], "median": statistics.median(times[name]),
                "times": times[name]} for name in rows]
    by = {r["row"]: r["median"] for r in results}
    summary = {"pixel_model": str(args.pixel), "latent_model": str(args.latent),
               "pixel_size": pixel.image_size, "latent_size": latent.image_size,
               "latent_shape": [latent.unet.config.in_channels, latent.unet.config.sample_size,
                                latent.unet.config.sample_size],
               "batch": args.batch, "train_batch": args.train_batch, "rounds": args.rounds,
               "threads": torch.get_num_threads(), "rows": results,
               "sample_ratio_latent_over_pixel": by["latent sample"] / by["pixel sample"],
               "train_ratio_latent_over_pixel": by["latent train"] / by["pixel train"]}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    for r in results:
        print(f"{r['row']:>14}: {r['median']:.4f} ({r['what']})")
    print(f"latent / pixel: sampling {summary['sample_ratio_latent_over_pixel']:.2f}×, "
          f"training step {summary['train_ratio_latent_over_pixel']:.2f}× → {args.out}")


if __name__ == "__main__":
    main()
