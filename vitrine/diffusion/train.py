"""The training loop: ε- (or v-) prediction MSE with classifier-free-guidance dropout, EMA, AdamW.

One step (Ho et al. 2020, Algorithm 1, with text conditioning y):
  1. x_0 ~ data, scaled to [−1, 1]; y its description's MiniLM token states
  2. with probability p_uncond, y ← the empty prompt's states (so one network learns ε(x_t, t, ∅) too)
  3. t ~ U{0 … T−1}, ε ~ N(0, I), x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε
  4. loss = w_t·‖target − ε_θ(x_t, t, y)‖², target = ε (or v = √ᾱ_t·ε − √(1−ᾱ_t)·x_0), with the
     Min-SNR-γ weight (Hang et al. 2023) w_t = min(SNR_t, γ)/SNR_t for ε, min(SNR_t, γ)/(SNR_t + 1)
     for v, SNR_t = ᾱ_t/(1−ᾱ_t); it stops the nearly clean steps from dominating the gradient
     (the paper: 3.4× faster convergence). γ = 0 turns the weighting off (w_t = 1).
  5. clip the gradient norm, AdamW step, LR schedule step, EMA update
Every random draw comes from one torch.Generator whose state is checkpointed, so a run stopped
and resumed reproduces an unbroken run's losses exactly.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from vitrine.atomic import replacing
from vitrine.diffusion import schedules
from vitrine.diffusion.checkpoint import load_ema_weights, load_training_state, save_training_state
from vitrine.diffusion.config import TrainConfig
from vitrine.diffusion.models import build_unet


@dataclass
class TrainingData:
    """Images (N, 3, S, S) uint8, token states (N, L, 384) float16, masks (N, L) bool, and the
    empty prompt's states/mask (L, 384)/(L,) used for the unconditional branch. `latents`
    (N, C, s, s) float16, when set, are the images in an autoencoder's latent space
    (diffusion.latents): what a latent model learns to denoise instead of the pixels."""

    images: torch.Tensor
    states: torch.Tensor
    masks: torch.Tensor
    null_state: torch.Tensor
    null_mask: torch.Tensor
    texts: list[str] = field(default_factory=list)
    latents: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.images)

    def clean(self, index) -> torch.Tensor:
        """x_0 of the rows `index`: their latents, or their pixels scaled to [−1, 1]."""
        if self.latents is not None:
            return self.latents[index].float()
        return self.images[index].float() / 127.5 - 1.0


@dataclass
class TrainResult:
    losses: list[float]
    seconds: float
    images_per_second: float
    step: int


def make_noise_scheduler(config: TrainConfig):
    from diffusers import DDPMScheduler
    return DDPMScheduler(**schedules.scheduler_config(config.schedule, config.timesteps, config.beta_bar,
                                                      config.prediction))


class Trainer:
    """Holds the model, EMA, optimizer and RNG of one run; `run()` trains up to config.steps."""

    def __init__(self, config: TrainConfig, data: TrainingData, out_dir: str | Path):
        from accelerate import Accelerator
        from diffusers.optimization import get_scheduler
        from diffusers.training_utils import EMAModel
        config.validate()
        self.config, self.data, self.out_dir = config, data, Path(out_dir)
        self.latent_space = None
        if config.autoencoder not in ("", "none"):
            from vitrine.diffusion.latents import LatentSpace
            self.latent_space = LatentSpace(config.autoencoder, config.size)
            if data.latents is None:
                raise ValueError("a latent run needs its photos' latents (TrainingData.latents)")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)  # weight init
        self.accelerator = Accelerator(mixed_precision="bf16" if config.precision == "bf16" else "no",
                                       cpu=not torch.cuda.is_available())
        model = self.build_model(initialise=True)
        if config.channels_last:
            model = model.to(memory_format=torch.channels_last)
        # foreach EMA and fused AdamW: one kernel over all tensors instead of a Python loop per tensor
        # (bench/train_step.py times them against diffusers' training-script recipe).
        self.ema = EMAModel(model.parameters(), decay=config.ema_decay, use_ema_warmup=True,
                            inv_gamma=1.0, power=3 / 4, foreach=True)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                      fused=True)
        lr_scheduler = get_scheduler(config.lr_schedule, optimizer, num_warmup_steps=config.warmup_steps,
                                     num_training_steps=config.steps)
        # the LR schedule stays outside accelerate: prepared, it would step once per process per step
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        self.lr_scheduler = lr_scheduler
        self.forward = torch.compile(self.model) if config.compile else self.model
        self.noise = make_noise_scheduler(config)
        snr = self.noise.alphas_cumprod / (1 - self.noise.alphas_cumprod)
        self.loss_weight = min_snr_weights(snr, config.snr_gamma, config.prediction)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.losses: list[float] = []
        self.seconds = 0.0  # training time over every session of the run (kept in the checkpoint)
        # Several processes (torch.distributed: `vitrine train --processes N`, torchrun or accelerate
        # launch): every process draws the same global batch from the same generator and trains on its
        # own slice; the gradients are averaged across processes, so a step equals one process's step
        # on the whole batch (tests/diffusion/test_processes.py).
        self.rank, self.world = self.accelerator.process_index, self.accelerator.num_processes
        if config.batch_size % self.world:
            raise ValueError(f"--batch-size {config.batch_size} must divide evenly over {self.world} processes")

    def build_model(self, initialise: bool = False):
        """The network this run trains; `initialise` loads config.init_from's EMA weights into it."""
        space = self.latent_space
        model = (build_unet(self.config.preset, space.size, space.channels) if space is not None
                 else build_unet(self.config.preset, self.config.size))
        if initialise and self.config.init_from:
            load_ema_weights(self.config.init_from, model)
        return model

    # ---- state ---------------------------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "checkpoint.safetensors"

    def _state_parts(self) -> dict:
        """What a checkpoint holds, with accelerate's wrappers taken off."""
        return {"model": self.accelerator.unwrap_model(self.model), "ema": self.ema,
                "optimizer": getattr(self.optimizer, "optimizer", self.optimizer),
                "lr_scheduler": self.lr_scheduler,
                "generator": self.generator}

    def own_share(self, *tensors: torch.Tensor) -> list[torch.Tensor]:
        """This process's slice of each global-batch tensor."""
        share = self.config.batch_size // self.world
        return [x[self.rank * share:(self.rank + 1) * share] for x in tensors]

    def save(self) -> None:
        """Write the checkpoint (on the main process only: one file, whatever the process count)."""
        if not self.accelerator.is_main_process:
            return
        save_training_state(self.checkpoint_path, **self._state_parts(), step=self.step,
                            info={"config": asdict(self.config), "losses": self.losses, "seconds": self.seconds})
        (self.out_dir / "config.json").write_text(json.dumps(asdict(self.config), indent=2) + "\n")

    def resume(self) -> None:
        from vitrine.diffusion.checkpoint import read_metadata
        info = json.loads(read_metadata(self.checkpoint_path)["info"])
        self.step = load_training_state(self.checkpoint_path, **self._state_parts())
        self.losses = info["losses"][: self.step]
        self.seconds = float(info.get("seconds", 0.0))

    # ---- one step --------------------------------------------------------------------------
    def batch(self):
        """Steps 1–3: a batch of (x_t, t, y, mask, target), every draw from self.generator."""
        cfg, data, g = self.config, self.data, self.generator
        index = torch.randint(len(data), (cfg.batch_size,), generator=g)
        x0 = data.clean(index)
        xt, t, states, masks, target = self.noised(x0, data.states[index].float(), data.masks[index])
        if cfg.channels_last:
            xt = xt.contiguous(memory_format=torch.channels_last)
        return self.own_share(xt, t, states, masks, target)

    def noised(self, x0: torch.Tensor, states: torch.Tensor, masks: torch.Tensor):
        """Steps 2–3 for clean images x0 and their text states: the condition dropped for a share
        cond_dropout of the rows (classifier-free guidance), t ~ U{0..T−1}, ε ~ N(0, I),
        x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε, and the target (ε, or v = √ᾱ_t·ε − √(1−ᾱ_t)·x0)."""
        cfg, g = self.config, self.generator
        drop = torch.rand(cfg.batch_size, generator=g) < cfg.cond_dropout
        states[drop] = self.data.null_state.float()
        masks[drop] = self.data.null_mask
        t = torch.randint(0, cfg.timesteps, (cfg.batch_size,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        return self.noise.add_noise(x0, eps, t), t, states, masks, self.target(x0, eps, t)

    def target(self, x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """What the network learns to predict at x_t: ε, or v = √ᾱ_t·ε − √(1−ᾱ_t)·x0."""
        return eps if self.config.prediction == "epsilon" else self.noise.get_velocity(x0, eps, t)

    def train_step(self) -> float:
        xt, t, states, masks, target = self.batch()  # xt: the U-Net's whole input
        with self.accelerator.autocast():
            pred = self.forward(xt, t, encoder_hidden_states=states, encoder_attention_mask=masks).sample
        per_image = (pred.float() - target).pow(2).mean(dim=(1, 2, 3))
        loss = (self.loss_weight[t] * per_image).mean()  # step 4, Min-SNR-weighted when γ > 0
        self.update(loss)
        return float(self.accelerator.reduce(loss.detach(), "mean"))  # the whole batch's loss

    def update(self, loss: torch.Tensor) -> None:
        """Step 5: backward, clip the gradient norm, AdamW and LR-schedule steps, the EMA update."""
        self.accelerator.backward(loss)
        self.accelerator.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.lr_scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.ema.step(self.accelerator.unwrap_model(self.model).parameters())
        self.step += 1

    def run(self, until: int | None = None, progress: bool = True) -> TrainResult:
        """Train from self.step to `until` (default config.steps), checkpointing on the way."""
        until = min(until or self.config.steps, self.config.steps)
        self.model.train()
        start, start_step, before = time.perf_counter(), self.step, self.seconds
        main = self.accelerator.is_main_process
        bar = tqdm(total=until, initial=self.step, desc="train", unit="step", disable=not progress or not main)
        while self.step < until:
            loss = self.train_step()
            self.losses.append(loss)
            bar.update()
            if self.step % self.config.log_every == 0 or self.step == until:
                done = self.step - start_step
                recent = self.losses[-self.config.log_every:]
                rate = done * self.config.batch_size / max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(loss=f"{sum(recent) / len(recent):.4f}", img_s=f"{rate:.1f}",
                                lr=f"{self.lr_scheduler.get_last_lr()[0]:.1e}")
            if self.step % self.config.checkpoint_every == 0 or self.step == until:
                self.seconds = before + time.perf_counter() - start
                self.save()
                if main:
                    write_loss_curve(self.losses, self.out_dir / "loss.png")
        bar.close()
        seconds = time.perf_counter() - start
        done = self.step - start_step
        return TrainResult(self.losses[start_step:], seconds,
                           done * self.config.batch_size / seconds if seconds > 0 else math.nan, self.step)

    @torch.no_grad()
    def measured_loss(self, data: TrainingData, n: int = 256, seed: int = 0, batch: int = 64) -> float:
        """The training objective (Min-SNR-weighted, condition kept) of the EMA weights on the first n
        photos of `data`, with seeded t and ε: the same draws for any data, so two sets compare."""
        unet, g = self.ema_unet(), torch.Generator().manual_seed(seed)
        total, count = 0.0, 0
        for start in range(0, min(n, len(data)), batch):
            stop = min(start + batch, n, len(data))
            x0 = data.clean(slice(start, stop))
            t = torch.randint(0, self.config.timesteps, (len(x0),), generator=g)
            eps = torch.randn(x0.shape, generator=g)
            pred = unet(self.noise.add_noise(x0, eps, t), t, encoder_hidden_states=data.states[start:stop].float(),
                        encoder_attention_mask=data.masks[start:stop]).sample
            total += float((self.loss_weight[t] * (pred - self.target(x0, eps, t)).pow(2).mean(dim=(1, 2, 3))).sum())
            count += len(x0)
        return total / max(count, 1)

    def export(self, folder: str | Path):
        """Save the run's pipeline with the EMA weights (what sampling uses) and the run's config."""
        vae = self.latent_space.model if self.latent_space is not None else None
        pipe = self.pipeline_class()(self.ema_unet(), make_noise_scheduler(self.config), vae=vae)
        folder = pipe.save(folder)
        (Path(folder) / "training_config.json").write_text(json.dumps(asdict(self.config), indent=2) + "\n")
        return folder

    def pipeline_class(self):
        from vitrine.diffusion.pipeline import VitrinePipeline
        return VitrinePipeline

    def ema_unet(self):
        """A copy of the U-Net carrying the EMA weights (what sampling uses)."""
        unet = self.build_model()
        unet.load_state_dict(self.accelerator.unwrap_model(self.model).state_dict())
        self.ema.copy_to(unet.parameters())
        return unet.eval()


def min_snr_weights(snr: torch.Tensor, gamma: float, prediction: str) -> torch.Tensor:
    """Per-timestep loss weights w_t of Min-SNR-γ (Hang et al. 2023): min(SNR_t, γ)/SNR_t for an
    ε target, min(SNR_t, γ)/(SNR_t + 1) for a v target; all ones when γ = 0."""
    snr = snr.double()
    if gamma == 0:
        return torch.ones_like(snr, dtype=torch.float32)
    clipped = torch.clamp(snr, max=gamma)
    weights = clipped / snr if prediction == "epsilon" else clipped / (snr + 1)
    return weights.float()


def write_loss_curve(losses: list[float], path: Path, window: int = 50) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if not losses:
        return
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    ax.plot(range(1, len(losses) + 1), losses, lw=0.5, alpha=0.35, label="loss per step")
    if len(losses) >= window:
        kernel = torch.ones(window) / window
        smooth = torch.nn.functional.conv1d(torch.tensor(losses)[None, None], kernel[None, None]).flatten()
        ax.plot(range(window, len(losses) + 1), smooth.tolist(), lw=1.5, label=f"mean of {window}")
    ax.set_xlabel("step")
    ax.set_ylabel("MSE")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
