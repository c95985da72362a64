"""The model card a shop's own generator carries: what it learnt from, how, and how it did on the
photos it never saw. Written from the run itself (its config, its split, its losses), never by hand."""

from __future__ import annotations

import shlex
from pathlib import Path

from vitrine.atomic import write_text


def model_card(name: str, config: dict, split: dict, fitted: dict, command: list[str], seconds: float,
               steps_done: int) -> str:
    """Markdown: the data (source, items trained on and held out, photo fitting, prompts), the network and
    recipe, the command, and the denoising loss on trained-on vs held-out photos (`fitted`)."""
    size = config["size"]
    rows = "\n".join(f"| {side} | {fitted[side]['photos']:,} | {fitted[side]['loss']:.4f} |" for side in ("trained on", "held out"))
    gap = fitted["held out"]["loss"] / max(fitted["trained on"]["loss"], 1e-12)
    return f"""# {name} — model card

A text-to-image diffusion model trained on this shop's own photos: it draws {size}×{size} pictures
of its items from their text.

```python
from diffusers import DiffusionPipeline
pipe = DiffusionPipeline.from_pretrained("{name}", trust_remote_code=True)
images = pipe("a description of an item", num_images_per_prompt=4, num_inference_steps=20).images
```

## Data
- Source: {split.get('source') or 'unknown'}; {split['train_items']:,} photo items trained on,
  {split['held_out_items']:,} held out ({split['rule']}; listed in `heldout.json`), {split.get('without_text', 0):,}
  left out for having no text.
- Photos fitted into {size}×{size} by `{config['fit']}`; prompts: `{config['prompts']}`.

## Training
{latent_line(config)}- U-Net preset `{config['preset']}`, {config['schedule']} schedule, {config['prediction']}, Min-SNR-γ {config['snr_gamma']:g},
  {steps_done:,} of {config['steps']:,} steps of batch {config['batch_size']}, lr {config['lr']:g}, seed {config['seed']}
  {f"(started from {config['init_from']})" if config['init_from'] else "(from scratch)"}; {seconds:,.0f} s of training.
- Command: `{shlex.join(command)}`; the whole config is `training_config.json`.

## Held-out figures
The training loss (the same Min-SNR-weighted objective, EMA weights, seeded noise) on photos it
trained on and on photos it never saw:

| photos | count | loss |
|---|---:|---:|
{rows}

Held-out / trained-on: {gap:.2f} (near 1: the model has not memorised its photos). Judge its
pictures with `vitrine evaluator train` then `vitrine eval generation` on this shop.
"""


def latent_line(config: dict) -> str:
    """The card's line on the latent space, for a model that draws through an autoencoder."""
    if not config.get("autoencoder"):
        return ""
    return (f"- Draws in the latent space of the autoencoder `{config['autoencoder']}` (saved as `vae/`); "
            f"the losses below are in that space.\n")


def write_model_card(folder: str | Path, text: str) -> Path:
    return write_text(Path(folder) / "README.md", text)


def distilled_card(name: str, distill: dict, run: dict, command: list[str], seconds: float, steps_done: int,
                   last_loss: float) -> str:
    """Markdown for a `vitrine distill` student: its teacher, the distillation's recipe and command."""
    lo, hi = distill["guidance_min"], distill["guidance_max"]
    grid = run["timesteps"] // distill["skip"]
    clipped = " (x̂_0 clipped to [−1, 1])" if distill.get("clip_teacher") else ""
    if distill.get("task") == "tryon":
        what = ("try-on pictures (a person, the garment's region and a description → the person wearing it; "
                "every pixel outside the region put back exactly)")
        use = f"""```python
from diffusers import DiffusionPipeline
pipe = DiffusionPipeline.from_pretrained("{name}", trust_remote_code=True)
pictures = pipe(person, mask, "a red striped t-shirt", num_images_per_prompt=4, num_inference_steps=4)
```

or `vitrine tryon me.png "a red striped t-shirt" --tryon-model {name} -o tryon.png` (docs/tryon.md)."""
    else:
        what = f"{run['size']}×{run['size']} pictures"
        use = f"""```python
from diffusers import DiffusionPipeline
pipe = DiffusionPipeline.from_pretrained("{name}", trust_remote_code=True)
images = pipe("a description of an item", num_images_per_prompt=4, num_inference_steps=4,
              guidance_scale=3.0).images
```

or `vitrine generate "a description of an item" --model {name} --steps 4`."""
    return f"""# {name} — model card

A few-step student of `{distill['teacher']}` made by guided consistency distillation (LCM, Luo et
al. 2023): it draws the teacher's {what} in 1–8 steps of one U-Net call each, the
classifier-free guidance scale w ∈ [{lo:g}, {hi:g}] being an input of the network.

{use}

## Distillation
- Teacher: `{distill['teacher']}` (U-Net preset `{run['preset']}`, {run['schedule']} schedule, {run['prediction']});
  the student is its U-Net plus a projection of w's sinusoidal features into the time embedding,
  started from the teacher's weights with that projection at zero.
- Each step: the teacher's guided DDIM step{clipped} over k = {distill['skip']} timesteps (a grid of {grid} points),
  the target from an EMA network (decay {distill['ema_decay']:g}), pseudo-Huber loss; sampler `LCMScheduler`.
- {steps_done:,} of {distill['steps']:,} steps of batch {distill['batch_size']}, AdamW lr {distill['lr']:g}
  ({distill['lr_schedule']}, {distill['warmup_steps']} warm-up steps), seed {distill['seed']}; {seconds:,.0f} s;
  final loss (mean of the last 100 steps) {last_loss:.4f}; `loss.png` is its curve.
- Command: `{shlex.join(command)}`; `distill.json` and `training_config.json` hold the whole config.
"""
