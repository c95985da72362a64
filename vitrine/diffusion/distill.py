"""Guided consistency distillation (LCM, Luo et al. 2023): a student that draws in 1–8 steps with
the guidance scale as an input, taught by a trained Vitrine model.

One step, for a batch of training photos x_0 with their prompts y:
  1. a point t_n = (n+1)·k − 1 of the solver's grid (n ~ U{0 … T/k − 1}, k = --skip) and the one
     before it, s = t_n − k (0 at the bottom); a guidance scale w ~ U[w_min, w_max]; ε ~ N(0, I);
     x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε
  2. the student's consistency output f_θ(x_t, t, y, w) (consistency.py)
  3. the teacher's guided ODE step t → s, with no gradient: its ∅ and y outputs combined as
     o = o_∅ + w·(o_y − o_∅), then DDIM, x_s = √ᾱ_s·x̂_0 + √(1−ᾱ_s)·ε̂ (DDIM is the first-order
     DPM-Solver, Lu et al. 2022 §4.1; one teacher evaluation per step keeps the run inside the
     budget, and k = 20 is LCM's skip). With --clip-teacher (pixel models) x̂_0 is clipped to the
     pixels' [−1, 1] and ε̂ = (x_t − √ᾱ_t·x̂_0)/√(1−ᾱ_t) re-derived from it: the first-order step
     of DPM-Solver++ with thresholding, the ODE the teacher's own samplers follow (Lu et al. 2022b)
  4. the target f_θ⁻(x_s, s, y, w) of the EMA network θ⁻ (decay μ = --ema-decay), no gradient
  5. loss = pseudo-Huber(f_θ − f_θ⁻), clipped gradient, AdamW, the EMA update θ⁻ ← μ·θ⁻ + (1−μ)·θ
The student starts as a copy of the teacher plus a zero-initialised projection of w into the time
embedding, so at step 0 it is the teacher's conditional model. Every random draw comes from the
run's one generator (diffusion/train.py's Trainer, whose checkpointing and loop this reuses), so
a run stopped and resumed gives an unbroken run's losses bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from vitrine.atomic import write_text
from vitrine.diffusion.config import DistillConfig, TrainConfig
from vitrine.diffusion.consistency import (GUIDANCE_DIM, clean_estimate, consistency_output, guidance_embedding,
                                           noise_estimate, pseudo_huber)
from vitrine.diffusion.train import Trainer

DISTILL_FILE = "distill.json"  # the DistillConfig of a run, beside its checkpoint
# what a run takes from the teacher's training config (training photos, network, noise schedule)
FROM_TEACHER = ("task", "size", "fit", "prompts", "preset", "schedule", "timesteps", "beta_bar", "prediction")


def lcm_scheduler(teacher_scheduler, skip: int, pixels: bool):
    """An LCMScheduler on the teacher's noise schedule whose grid has T/skip points; a pixel model's
    x̂_0 is clipped to the pixels' [−1, 1] when sampling."""
    from diffusers import LCMScheduler

    from vitrine.diffusion.pipeline import SCHEDULE_KEYS
    schedule = {k: v for k, v in teacher_scheduler.config.items() if k in SCHEDULE_KEYS}
    return LCMScheduler.from_config(schedule, original_inference_steps=schedule["num_train_timesteps"] // skip,
                                    clip_sample=pixels, clip_sample_range=1.0)


def run_config(config: DistillConfig, teacher_folder: Path, latent: bool) -> TrainConfig:
    """The TrainConfig the Trainer's machinery runs under: the teacher's data and network fields
    (a latent teacher's autoencoder is its `vae` folder), the distillation's optimizer fields."""
    try:
        trained = json.loads((teacher_folder / "training_config.json").read_text())
    except (OSError, ValueError):
        trained = {}  # a model saved without its recipe: the Trainer's defaults for photos and prompts
    values = {k: trained[k] for k in FROM_TEACHER if k in trained}
    values.update({k: getattr(config, k) for k in ("task", "steps", "batch_size", "lr", "weight_decay", "warmup_steps",
                                                   "lr_schedule", "grad_clip", "ema_decay", "precision", "seed",
                                                   "checkpoint_every", "log_every", "threads")})
    return TrainConfig.from_dict({**values, "init_from": str(teacher_folder), "cond_dropout": 0.0, "snr_gamma": 0.0,
                                  "autoencoder": str(teacher_folder / "vae") if latent else "none"})


class Distiller(Trainer):
    """A distillation run: the Trainer's model (the student), EMA (the target network θ⁻), optimizer,
    generator, checkpoints and loop, with the consistency step of the module docstring."""

    def __init__(self, config: DistillConfig, run: TrainConfig, teacher, data, out_dir: str | Path):
        """`run` is run_config(config, …) (after diffusion.cli.store_training_data settled its latent
        space); `teacher` the loaded teacher pipeline; `data` its training photos."""
        config.validate(teacher.scheduler.config.num_train_timesteps, latent=teacher.vae is not None)
        self.distill, self.teacher = config, teacher
        self.command: list[str] = []  # the command that started the run, kept in distill.json for the card
        teacher.unet.requires_grad_(False).eval()
        super().__init__(run, data, out_dir)
        self.prediction = teacher.scheduler.config.prediction_type
        self.lcm = lcm_scheduler(teacher.scheduler, config.skip, pixels=teacher.vae is None)
        self.target = self.build_model().requires_grad_(False).eval()
        self.ema.copy_to(self.target.parameters())

    def build_model(self, initialise: bool = False):
        """The teacher's U-Net with a guidance input; `initialise` copies the teacher's weights in and
        zeroes the new projection, so the student starts as the teacher's conditional model."""
        from diffusers import UNet2DConditionModel
        unet = UNet2DConditionModel.from_config({**self.teacher.unet.config, "time_cond_proj_dim": GUIDANCE_DIM})
        if initialise:
            missing, unexpected = unet.load_state_dict(self.teacher.unet.state_dict(), strict=False)
            if unexpected or any(not key.startswith("time_embedding.cond_proj") for key in missing):
                raise ValueError(f"the student does not fit the teacher's weights (missing {missing[:3]}, "
                                 f"unexpected {unexpected[:3]})")
            with torch.no_grad():
                unet.time_embedding.cond_proj.weight.zero_()
        return unet

    # ---- one step --------------------------------------------------------------------------
    def examples(self):
        """A batch of clean examples: (x_0, token states, token masks, the U-Net's extra input or None)."""
        cfg, data, g = self.config, self.data, self.generator
        index = torch.randint(len(data), (cfg.batch_size,), generator=g)
        return data.clean(index), data.states[index].float(), data.masks[index], None

    @staticmethod
    def unet_input(x: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
        """What the U-Net reads: x_t, followed by a task's extra channels (try-on: mask and known pixels)."""
        return x if extra is None else torch.cat([x, extra], dim=1)

    def teacher_step(self, x_t, t, s, w, states, masks, extra) -> torch.Tensor:
        """Step 3: x_s from x_t by one DDIM step along the teacher's guided probability-flow ODE."""
        batch = len(x_t)
        null = self.data.null_state.float().expand(batch, -1, -1)
        null_mask = self.data.null_mask.expand(batch, -1)
        model_in = self.unet_input(x_t, extra)
        both = self.teacher.unet(torch.cat([model_in, model_in]), torch.cat([t, t]),
                                 encoder_hidden_states=torch.cat([null, states]),
                                 encoder_attention_mask=torch.cat([null_mask, masks])).sample.float()
        out_null, out_cond = both.chunk(2)
        guided = out_null + w.view(-1, 1, 1, 1) * (out_cond - out_null)
        alphas = self.lcm.alphas_cumprod
        x0 = clean_estimate(guided, x_t, t, alphas, self.prediction)
        if self.distill.clip_teacher:
            x0 = x0.clamp(-1.0, 1.0)
            a_t = alphas[t].float().view(-1, 1, 1, 1)
            eps = (x_t - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        else:
            eps = noise_estimate(guided, x_t, t, alphas, self.prediction)
        a_s = alphas[s].float().view(-1, 1, 1, 1)
        return a_s.sqrt() * x0 + (1 - a_s).sqrt() * eps

    def train_step(self) -> float:
        d, g = self.distill, self.generator
        x0, states, masks, extra = self.examples()
        batch, T = len(x0), self.lcm.config.num_train_timesteps
        t = (torch.randint(0, T // d.skip, (batch,), generator=g) + 1) * d.skip - 1  # step 1
        s = (t - d.skip).clamp(min=0)
        w = d.guidance_min + (d.guidance_max - d.guidance_min) * torch.rand(batch, generator=g)
        eps = torch.randn(x0.shape, generator=g)
        x_t = self.lcm.add_noise(x0, eps, t)
        w_features = guidance_embedding(w)
        with self.accelerator.autocast():
            out = self.forward(self.unet_input(x_t, extra), t, encoder_hidden_states=states,
                               encoder_attention_mask=masks, timestep_cond=w_features).sample
            prediction = consistency_output(out.float(), x_t, t, self.lcm, self.prediction)  # step 2
            with torch.no_grad():
                x_s = self.teacher_step(x_t, t, s, w, states, masks, extra)  # step 3
                self.ema.copy_to(self.target.parameters())
                out_target = self.target(self.unet_input(x_s, extra), s, encoder_hidden_states=states,
                                         encoder_attention_mask=masks, timestep_cond=w_features).sample
                target = consistency_output(out_target.float(), x_s, s, self.lcm, self.prediction)  # step 4
        loss = pseudo_huber(prediction - target).mean()  # step 5
        self.update(loss)
        return float(loss.detach())

    # ---- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        super().save()
        self.write_config(self.out_dir)

    def write_config(self, folder: Path) -> None:
        """DISTILL_FILE: the DistillConfig's fields and the command that started the run."""
        write_text(folder / DISTILL_FILE, json.dumps({**asdict(self.distill), "command": self.command}, indent=2) + "\n")

    def export(self, folder: str | Path) -> Path:
        """The student with the target network's (EMA) weights as a pipeline sampled by LCMScheduler,
        its learnt guidance range in the pipeline's config, and the run's two configs."""
        from vitrine.diffusion.pipeline import VitrinePipeline
        cls = type(self.teacher) if isinstance(self.teacher, VitrinePipeline) else VitrinePipeline
        pipe = cls(self.ema_unet(), self.lcm, vae=self.teacher.vae,
                   guidance_range=(self.distill.guidance_min, self.distill.guidance_max))
        folder = pipe.save(folder)
        write_text(Path(folder) / "training_config.json", json.dumps(asdict(self.config), indent=2) + "\n")
        self.write_config(Path(folder))
        return Path(folder)
