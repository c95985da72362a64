"""Training step time and img/s per U-Net preset and recipe, side by side in one run.

Reference: the loop of diffusers' examples/text_to_image/train_text_to_image.py run on this model
in fp32 without compile — every step a DataLoader batch (PIL image → tensor → [−1, 1], caption
tokenized), the frozen text encoder's forward, noise, U-Net forward, MSE, backward, gradient
clipping, AdamW (torch's default for-loop form on CPU), LR schedule and EMA (`--use_ema`).
Rows per preset, timed in rounds of one step per row in a fresh random order each round, so the
shared machine's slow spells (±20 % over minutes here) hit every row alike:
- the reference;
- the reference with the text states computed once beforehand and batches drawn from tensors;
- `vitrine train`'s own step (`Trainer.train_step`: cached text states, the text mask, Min-SNR,
  fused AdamW, foreach EMA), and its options channels_last, bf16 autocast, torch.compile.
Also reports the U-Net's FLOPs per training step (torch's FlopCounterMode) and utilisation against
the fp32 GEMM rate measured in the same run. Medians of the timed steps after warm-up.

    python bench/train_step.py --presets small,small-hd32,mini --out bench/results/train_step.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode
from tqdm import tqdm

from vitrine.diffusion.data import from_arrays
from vitrine.diffusion.models import build_unet
from vitrine.diffusion.config import RECIPE, TrainConfig
from vitrine.diffusion.train import Trainer, TrainingData, make_noise_scheduler
from vitrine.text.encoder import MAX_TOKENS, shared_encoder

COLOURS = ["red", "navy blue", "yellow", "black", "white", "green", "pink", "brown", "grey", "beige"]
PATTERNS = ["plain", "striped", "dotted", "checked", "floral", "with a small logo"]
KINDS = ["t-shirt", "sneaker", "dress", "pullover", "ankle boot", "shirt", "coat", "bag", "sandal", "trouser"]


def captions(n: int) -> list[str]:
    """Catalog-like descriptions (~15–25 tokens); a step's cost does not depend on the words."""
    rng = np.random.default_rng(0)
    return [f"a {rng.choice(COLOURS)} {rng.choice(PATTERNS)} {rng.choice(KINDS)}, comfortable everyday "
            f"fashion in soft cotton, size {rng.integers(34, 46)}" for _ in range(n)]


def gemm_rate(n: int = 2048, seconds: float = 2.0) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start)


def unet_step_flops(preset: str, batch: int) -> float:
    model = build_unet(preset)
    x, t, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 1000, (batch,)), torch.randn(batch, MAX_TOKENS, 384)
    with FlopCounterMode(display=False) as counter:
        model(x, t, encoder_hidden_states=y).sample.pow(2).mean().backward()
    return float(counter.get_total_flops())


class CaptionedImages(torch.utils.data.Dataset):
    """The training script's dataset: a PIL image and its caption per row, transformed on access."""

    def __init__(self, images: np.ndarray, texts: list[str], tokenizer):
        self.images, self.texts, self.tokenizer = images, texts, tokenizer

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int) -> dict:
        from PIL import Image
        image = Image.fromarray(self.images[i]).convert("RGB").resize((32, 32), Image.BILINEAR)
        pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
        ids = self.tokenizer(self.texts[i], padding="max_length", truncation=True, max_length=MAX_TOKENS,
                             return_tensors="pt")
        return {"pixel_values": (pixels - 0.5) / 0.5,  # Normalize([0.5], [0.5])
                "input_ids": ids["input_ids"][0], "attention_mask": ids["attention_mask"][0]}


def reference_step(preset: str, batch: int, images: np.ndarray, data: TrainingData, cached_text: bool):
    """One step of diffusers' train_text_to_image.py (fp32, --use_ema, max_grad_norm 1) on `images`
    (N, 32, 32, 3) and their captions `data.texts`; the cached variant reads `data`'s tensors."""
    from diffusers.optimization import get_scheduler
    from diffusers.training_utils import EMAModel
    torch.manual_seed(0)
    encoder = shared_encoder()
    unet = build_unet(preset).train()
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-4, weight_decay=1e-2)
    lr_scheduler = get_scheduler("constant", optimizer)
    ema = EMAModel(unet.parameters(), decay=0.9999)
    noise_scheduler = make_noise_scheduler(TrainConfig())
    if cached_text:  # the variant: text states once, batches indexed from tensors
        pixels, states = data.images.float() / 127.5 - 1, data.states.float()

        def next_batch():
            index = torch.randint(len(data), (batch,))
            return pixels[index], states[index]
    else:
        loader = torch.utils.data.DataLoader(CaptionedImages(images, data.texts, encoder.tokenizer),
                                             batch_size=batch, shuffle=True, drop_last=True)
        batches = iter(loader)

        def next_batch():
            nonlocal batches
            try:
                b = next(batches)
            except StopIteration:
                batches = iter(loader)
                b = next(batches)
            with torch.no_grad():
                hidden = encoder.model(input_ids=b["input_ids"], attention_mask=b["attention_mask"])[0]
            return b["pixel_values"], hidden

    def step() -> None:
        x0, hidden = next_batch()
        noise = torch.randn_like(x0)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (batch,))
        noisy = noise_scheduler.add_noise(x0, noise, t)
        pred = unet(noisy, t, hidden, return_dict=False)[0]
        loss = torch.nn.functional.mse_loss(pred.float(), noise.float(), reduction="mean")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        lr_scheduler.step()
        optimizer.zero_grad()
        ema.step(unet.parameters())
    return step


def vitrine_step(preset: str, batch: int, data: TrainingData, out: Path, **options):
    """`vitrine train`'s own step on the same images and texts, with the default recipe."""
    # accelerate keeps one process-wide state, so a second Accelerator with another mixed_precision
    # cannot be made in this process; the bf16 row wraps the fp32 step in the same CPU autocast
    # that `Accelerator(mixed_precision="bf16").autocast()` enters.
    bf16 = options.pop("precision", "fp32") == "bf16"
    config = TrainConfig(**{**RECIPE, "preset": preset, "batch_size": batch, "steps": 10_000, **options})
    step = Trainer(config, data, out).train_step
    if not bf16:
        return step

    def bf16_step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return step()
    return bf16_step


RECIPES = {
    "diffusers recipe (reference)": ("reference", {"cached_text": False}),
    "reference, text states cached": ("reference", {"cached_text": True}),
    "vitrine train step": ("vitrine", {}),
    "vitrine, channels_last": ("vitrine", {"channels_last": True}),
}
OPTIONAL = {
    "bf16": {"vitrine, bf16 autocast": ("vitrine", {"precision": "bf16"})},
    "compile": {"vitrine, torch.compile": ("vitrine", {"compile": True})},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="small,small-hd32,mini")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=16, help="rounds; each times every row in a random order")
    parser.add_argument("--steps", type=int, default=1, help="timed steps per row per round")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--bf16", action="store_true", help="also time bf16 autocast (very slow without bf16 hardware)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (minutes to compile)")
    parser.add_argument("--out", default="bench/results/train_step.json")
    args = parser.parse_args()

    recipes = dict(RECIPES)
    for flag, rows in OPTIONAL.items():
        if getattr(args, flag):
            recipes.update(rows)
    presets = args.presets.split(",")
    images = np.random.default_rng(0).integers(0, 256, (1024, 32, 32, 3), dtype=np.uint8)
    data = from_arrays(images, captions(len(images)), progress=False)  # text states encoded once, for all rows
    rows, steps = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for preset in presets:
            for name, (kind, options) in recipes.items():
                key = (preset, name)
                if kind == "reference":
                    steps[key] = reference_step(preset, args.batch, images, data, **options)
                else:
                    steps[key] = vitrine_step(preset, args.batch, data, Path(tmp) / f"{preset}-{len(steps)}", **options)
        for key, step in tqdm(steps.items(), desc="warm-up", unit="row"):
            for _ in range(args.warmup):  # the first steps also pay torch.compile's compile
                step()
        times = {key: [] for key in steps}
        with tqdm(total=args.rounds * len(steps) * args.steps, desc="timed steps", unit="step") as bar:
            keys, order = list(steps), np.random.default_rng(0)
            for _ in range(args.rounds):
                for i in order.permutation(len(keys)):
                    for _ in range(args.steps):
                        start = time.perf_counter()
                        steps[keys[i]]()
                        times[keys[i]].append(time.perf_counter() - start)
                        bar.update()
    rate = gemm_rate()
    flops = {preset: unet_step_flops(preset, args.batch) for preset in presets}
    first = presets[0]
    reference = {preset: statistics.median(times[(preset, "diffusers recipe (reference)")]) for preset in presets}
    for (preset, name), ts in times.items():
        median = statistics.median(ts)
        rows.append({"preset": preset, "recipe": name, "median_s": median, "img_s": args.batch / median,
                     "speedup_vs_reference": reference[preset] / median,
                     f"speedup_vs_{first}_reference": reference[first] / median,
                     "unet_flops_per_step": flops[preset], "utilisation_of_gemm": flops[preset] / median / rate,
                     "steps_timed": len(ts)})
        print(f"{preset:11} {name:32} {median:6.3f} s/step {args.batch / median:6.1f} img/s "
              f"×{reference[preset] / median:.2f}  {flops[preset] / median / rate:.0%} of GEMM", flush=True)
    results = {"gemm_fp32_flops": rate, "threads": torch.get_num_threads(), "batch": args.batch,
               "first_preset": first, "runs": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"GEMM fp32: {rate / 1e9:.0f} GFLOP/s; written {out}")


if __name__ == "__main__":
    main()
