"""What a training run is: its config dataclass, the named recipes, and the flags' help text.

No torch here, so `vitrine --help` stays instant; train.py runs the loop. The flags of
`vitrine train` are generated from TrainConfig's fields (vitrine.command.add_config_flags).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from vitrine.catalog.training import FITS, PROMPTS

SCHEDULES = ("linear-bar", "ddpm", "cosine")  # the noise schedules (schedules.py implements them)
ALIASES = {"brief": "linear-bar"}
DEFAULT_T = 1000
BRIEF_BETA_BAR = 0.01
UNET_PRESETS = ["tiny", "small", "small-hd32", "mini", "base"]  # models.PRESETS (a test keeps them equal)
AUTOENCODER_PRESETS = ["tiny", "small"]                          # autoencoder.PRESETS (likewise)
TASKS = ("text-to-image", "tryon")  # tryon: text-conditioned inpainting on the people set (vitrine.tryon)
SIZES = (32, 64, 128)               # the square, in pixels, a text-to-image model draws


@dataclass
class TrainConfig:
    task: str = "text-to-image"
    size: int = 32
    fit: str = "pad"
    prompts: str = "item"
    preset: str = "small"
    schedule: str = "linear-bar"
    timesteps: int = DEFAULT_T
    beta_bar: float = BRIEF_BETA_BAR
    prediction: str = "epsilon"      # or "v_prediction"
    steps: int = 3000
    batch_size: int = 32
    lr: float = 2e-4
    weight_decay: float = 1e-2
    warmup_steps: int = 200
    lr_schedule: str = "cosine"      # any diffusers.optimization.get_scheduler name
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    cond_dropout: float = 0.1        # p_uncond for classifier-free guidance
    snr_gamma: float = 0.0           # Min-SNR-γ loss weighting; 0 = plain MSE
    autoencoder: str = ""            # a saved AutoencoderKL folder: the U-Net draws in its latent space;
    #                                  "" = the shop's own above 32 px, none at 32; "none" = pixels
    init_from: str = ""              # a training checkpoint whose EMA weights start this run (fine-tune);
    #                                  for try-on, a saved text-to-image pipeline folder
    precision: str = "fp32"          # fp32 | bf16 (autocast)
    channels_last: bool = False
    compile: bool = False
    seed: int = 0
    checkpoint_every: int = 250
    log_every: int = 10
    threads: int = 0                 # torch threads; 0 = leave torch's default

    def validate(self) -> None:
        """A ValueError naming the flag of the first bad field."""
        if self.task not in TASKS:
            raise ValueError(f"--task: unknown {self.task!r}; choose one of {', '.join(TASKS)}")
        if self.size not in SIZES:
            raise ValueError(f"--size: choose one of {', '.join(map(str, SIZES))}, got {self.size}")
        if self.fit not in FITS:
            raise ValueError(f"--fit: choose one of {', '.join(FITS)}, got {self.fit!r}")
        if self.prompts not in PROMPTS:
            raise ValueError(f"--prompts: choose one of {', '.join(PROMPTS)}, got {self.prompts!r}")
        if self.preset not in UNET_PRESETS:
            raise ValueError(f"--unet: unknown {self.preset!r}; choose one of {', '.join(UNET_PRESETS)}")
        if ALIASES.get(self.schedule, self.schedule) not in SCHEDULES:
            raise ValueError(f"--schedule: unknown {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if self.prediction not in ("epsilon", "v_prediction"):
            raise ValueError("--prediction: choose epsilon or v_prediction")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError("--precision: choose fp32 or bf16")
        for name in ("steps", "batch_size", "timesteps", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.cond_dropout < 1:
            raise ValueError(f"--cond-dropout must lie in [0, 1), got {self.cond_dropout}")
        if self.lr <= 0 or not 0 < self.ema_decay < 1 or not 0 < self.beta_bar < 1:
            raise ValueError("--lr must be > 0, --ema-decay and --beta-bar in (0, 1)")
        if self.snr_gamma < 0:
            raise ValueError("--snr-gamma must be ≥ 0 (0 turns the Min-SNR weighting off)")

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# Named recipes for `vitrine train --preset`; any field can still be overridden by its own flag.
# All share one recipe — cosine schedule, v-prediction, Min-SNR-5 — chosen after a cosine + ε run
# gave tinted, speckled backgrounds (docs/diffusion.md). `default` (the shipped model,
# models/vitrine-fashion-32) and `quick` train the `mini` U-Net (16/32/64 channels, 1.5 M
# parameters): on a CPU, more optimizer updates of a smaller network beat fewer of a bigger one
# (docs/diffusion.md compares the sizings tried), and `mini` samples faster.
RECIPE = {"preset": "mini", "schedule": "cosine", "prediction": "v_prediction", "snr_gamma": 5.0, "lr": 1e-3,
          "warmup_steps": 100, "checkpoint_every": 500}
TRAIN_PRESETS = {
    "tiny": {"preset": "tiny", "steps": 60, "batch_size": 8, "warmup_steps": 10, "checkpoint_every": 30},
    "quick": {**RECIPE, "batch_size": 16, "steps": 2400},
    # the shipped model learnt from the built catalog's descriptions alone (`--prompts description`)
    "default": {**RECIPE, "batch_size": 32, "steps": 10000, "prompts": "description"},
    # Try-on (vitrine.tryon.train): the same recipe, the U-Net widened to 7 input channels and
    # started from the shipped text-to-image model; `tryon` is the shipped models/vitrine-tryon.
    "tryon-quick": {**RECIPE, "task": "tryon", "init_from": "models/vitrine-fashion-32", "batch_size": 8,
                    "steps": 40, "warmup_steps": 5, "checkpoint_every": 20},
    "tryon": {**RECIPE, "task": "tryon", "init_from": "models/vitrine-fashion-32", "batch_size": 32, "lr": 5e-4,
              "steps": 12000, "checkpoint_every": 250},
}

# Help text of the flags generated from TrainConfig's fields.
FIELD_HELP = {
    "task": "what the network learns: text-to-image, or tryon (inpainting a garment on the people set)",
    "size": "the square the model draws, in pixels (a shop's photos are fitted into it)",
    "fit": "a photo of another shape: pad (whole, on its own background colour) or crop (the centre)",
    "prompts": "a photo's prompt: item (its description led by its colour, pattern and category columns "
               "where the text does not name them) or description (the description alone)",
    "preset": "U-Net size preset", "schedule": "noise schedule (linear-bar: β_t = β̄·t/T; alias brief)",
    "timesteps": "number of diffusion steps T", "beta_bar": "the linear-bar schedule's final β̄",
    "prediction": "what the network predicts", "steps": "optimizer steps in the run",
    "batch_size": "images per step", "lr": "AdamW learning rate", "weight_decay": "AdamW weight decay",
    "warmup_steps": "linear LR warm-up steps", "lr_schedule": "diffusers LR schedule name",
    "grad_clip": "gradient-norm clip", "ema_decay": "EMA decay of the exported weights",
    "cond_dropout": "probability of training on the empty prompt (classifier-free guidance)",
    "snr_gamma": "Min-SNR-γ loss weighting; 0 = plain MSE",
    "autoencoder": "a saved autoencoder folder whose latents the U-Net learns and draws (the pipeline decodes "
                   "them); default: the shop's own (DATA_DIR/models/autoencoder, made by `vitrine autoencoder "
                   "train`) above 32 px, none at 32; 'none': a pixel-space model at any size",
    "init_from": "start from a trained model: a training checkpoint's EMA weights or a saved model folder "
                 "(any size: the U-Net is convolutional); tryon: a saved text-to-image pipeline; 'none': random "
                 "weights. Default: on an imported shop, the shipped model where it fits the run (same size, "
                 "U-Net, schedule, prediction), else random weights",
    "precision": "fp32, or bf16 autocast", "channels_last": "channels-last memory layout",
    "compile": "torch.compile the U-Net", "seed": "seed of every random draw",
    "checkpoint_every": "save a resumable checkpoint every N steps", "log_every": "loss-curve interval in steps",
    "threads": "torch threads; 0 = torch's choice",
}
FIELD_CHOICES = {"task": list(TASKS), "size": list(SIZES), "fit": list(FITS), "prompts": list(PROMPTS), "preset": UNET_PRESETS, "schedule": list(SCHEDULES) + list(ALIASES),
                 "prediction": ["epsilon", "v_prediction"], "precision": ["fp32", "bf16"]}


GUIDANCE_LIMITS = (0.0, 20.0)  # the guidance scales a distillation may be asked to learn
DISTILL_LR_SCHEDULES = ("constant_with_warmup", "cosine")  # diffusers get_scheduler names; both warm up first


@dataclass
class DistillConfig:
    """A `vitrine distill` run: a few-step student of `teacher` (distill.py). The network, noise
    schedule and training photos are the teacher's; these fields are the distillation's own."""
    teacher: str = "models/vitrine-fashion-32"
    task: str = "text-to-image"
    steps: int = 4000
    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 0.0
    warmup_steps: int = 100
    lr_schedule: str = "constant_with_warmup"  # or "cosine": to zero at the last step
    grad_clip: float = 1.0
    ema_decay: float = 0.95          # of the target network f_θ⁻ (LCM's μ)
    guidance_min: float = 1.0        # w ~ U[guidance_min, guidance_max] per example
    guidance_max: float = 6.0
    skip: int = 20                   # k: the teacher's solver steps from t to t − k (T/k grid points)
    clip_teacher: bool = False       # a pixel teacher's step clips x̂_0 to [−1, 1], as its own samplers do
    precision: str = "fp32"
    seed: int = 0
    checkpoint_every: int = 250
    log_every: int = 10
    threads: int = 0

    def validate(self, timesteps: int = DEFAULT_T, latent: bool = False) -> None:
        """A ValueError naming the flag of the first bad field (`latent`: the teacher draws latents)."""
        if self.task not in TASKS:
            raise ValueError(f"--task: unknown {self.task!r}; choose one of {', '.join(TASKS)}")
        for name in ("steps", "batch_size", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        lo, hi = GUIDANCE_LIMITS
        if not lo <= self.guidance_min <= self.guidance_max <= hi:
            raise ValueError(f"--guidance-range: give LOW,HIGH with {lo:g} ≤ LOW ≤ HIGH ≤ {hi:g}, "
                             f"got {self.guidance_min:g},{self.guidance_max:g}")
        if not 1 <= self.skip <= timesteps // 2 or timesteps % self.skip:
            raise ValueError(f"--skip: a divisor of the teacher's {timesteps} timesteps between 1 and "
                             f"{timesteps // 2}, got {self.skip}")
        if self.lr <= 0 or not 0 < self.ema_decay < 1:
            raise ValueError("--lr must be > 0 and --ema-decay in (0, 1)")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError("--precision: choose fp32 or bf16")
        if self.lr_schedule not in DISTILL_LR_SCHEDULES:
            raise ValueError(f"--lr-schedule: choose one of {', '.join(DISTILL_LR_SCHEDULES)}, "
                             f"got {self.lr_schedule!r}")
        if self.clip_teacher and latent:
            raise ValueError("--clip-teacher: the teacher is a latent model; its latents do not lie in [−1, 1]")

    @classmethod
    def from_dict(cls, data: dict) -> "DistillConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
