"""A labelled grid of generated products for a fixed prompt set: one row per prompt."""

from __future__ import annotations

from pathlib import Path

import torch

from vitrine.diffusion.grid import save_grid

PROMPTS = (
    "a red t-shirt",
    "a navy blue sneaker",
    "a yellow dotted dress",
    "a green striped pullover",
    "a black ankle boot",
    "a pink checked shirt",
    "a white bag",
    "a brown coat",
)


def showcase(pipe, out: str | Path, prompts=PROMPTS, per_prompt: int = 6, steps: int = 20, guidance: float = 3.0,
             seed: int = 0) -> Path:
    """Rows of `per_prompt` samples for each prompt (seeds seed … seed+per_prompt−1, the same in every row)."""
    images, labels = [], []
    for prompt in prompts:
        generators = [torch.Generator().manual_seed(seed + i) for i in range(per_prompt)]
        row = pipe(prompt, num_images_per_prompt=per_prompt, num_inference_steps=steps, guidance_scale=guidance,
                   generator=generators).images
        images += row
        labels += [prompt] + [""] * (per_prompt - 1)
    algorithm = pipe.scheduler.config.get("algorithm_type")  # DPM-Solver's ODE or SDE form
    sampler = type(pipe.scheduler).__name__ + (f" ({algorithm})" if algorithm else "")
    title = f"{sampler}, {steps} steps, guidance {guidance}"
    return save_grid(images, out, columns=per_prompt, labels=labels, title=title)
