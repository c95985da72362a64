"""Text → product image: a diffusers `DiffusionPipeline` around the trained U-Net.

Reverse process p_θ(x_{t−1} | x_t, y) with the scheduler chosen by name (DDPM ancestral is the
brief's own; DDIM and DPM-Solver++ take far fewer steps). Classifier-free guidance (Ho &
Salimans 2022): ε̂ = ε(x_t, ∅) + w·(ε(x_t, y) − ε(x_t, ∅)); w = 1 is the plain conditional model,
w = 0 the unconditional one, and a negative prompt takes the place of ∅. `guidance_interval=(lo, hi)`
applies guidance only while lo ≤ t/T ≤ hi and runs the conditional model alone elsewhere, at half
the cost (Kynkäänniemi et al. 2024: guidance helps in the middle of the noise range, little at
the low-noise end).

A latent model (64 px and above) also holds its autoencoder as the optional `vae` component: the
reverse process runs on latents z and the picture is D(z / scaling_factor) (Rombach et al. 2022).
Its samplers do not clip x̂_0 to [−1, 1], the pixels' range: latents of unit variance lie outside it.

The text encoder is the frozen MiniLM from the installed package, not a saved component, so a
saved pipeline holds only the U-Net, the scheduler config and, for a latent model, the autoencoder. `save()` also writes `pipeline.py`
and names it in model_index.json, the diffusers way to ship custom pipeline code, so
`DiffusionPipeline.from_pretrained(folder, trust_remote_code=True)` returns this class for
diffusers users. Vitrine's own `load_pipeline` never runs code from a model folder: it builds
this class from the installed package and loads only the U-Net's safetensors weights and the
scheduler's JSON config, whatever the folder's pipeline.py holds.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import torch
from diffusers import DiffusionPipeline, ImagePipelineOutput

from vitrine.diffusion.consistency import guidance_embedding
from vitrine.diffusion.saved import MAX_STEPS

MAX_IMAGES = 256
MAX_PROMPT_CHARS = 1000
# Samplers that estimate x̂_0 = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t clip it to the data range [−1, 1]
# (clip_sample, or thresholding with sample_max_value = 1). For an ε-prediction model near t = T of the
# cosine schedule (√ᾱ_T ≈ 4.5e-5) any ε error is multiplied ~20,000-fold and unclipped samples are noise.
# DDIM is the exception: it clips x̂_0 but keeps the ε̂ it derived from the unclipped x̂_0, and with
# v-prediction that inconsistency wrecked the shapes (category 15.6 % clipped vs 75.0 % unclipped:
# `vitrine eval generation --settings ddim:50:3:subset --subset-prompts 16 --samples 2` at 11e41a8 / 3305004).
CLIP = {"clip_sample": True, "clip_sample_range": 1.0}
THRESHOLD = {"thresholding": True, "sample_max_value": 1.0}
# "trailing" spacing starts every sampler at t = T, where x_T ~ N(0, I) is drawn. The training config's
# "leading" spacing started 20-step DPM-Solver++ at t = 940 (50-step DDIM at 980), treating pure noise
# as a partly denoised image; trailing raised category accuracy 75.0 → 78.8 % and cut eval-FID 46.4 → 33.5
# on the report's 208 images (docs/diffusion.md; Lin et al. 2024, "Common diffusion noise schedules and
# sample steps are flawed", §3.3).
TRAILING = {"timestep_spacing": "trailing"}
SAMPLERS = {  # short names; any other diffusers scheduler class name also works
    "ddpm": ("DDPMScheduler", {**CLIP, **TRAILING}),
    "ddim": ("DDIMScheduler", {"clip_sample": False, **TRAILING}),
    "dpm++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2, **THRESHOLD,
                                              **TRAILING}),
    "dpm++sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++", **THRESHOLD, **TRAILING}),
    "unipc": ("UniPCMultistepScheduler", {**THRESHOLD, **TRAILING}),
    "euler": ("EulerDiscreteScheduler", TRAILING),
    "euler-a": ("EulerAncestralDiscreteScheduler", TRAILING),
    "heun": ("HeunDiscreteScheduler", TRAILING),
    "pndm": ("PNDMScheduler", TRAILING),
    # a consistency-distilled model's own sampler (`vitrine distill`): x̂_0 in one call, re-noised to the
    # next point of the distillation's grid; clipped to the pixels' range as DDPM is
    "lcm": ("LCMScheduler", CLIP),
}
DISTILLED_SAMPLER, DISTILLED_STEPS = "lcm", 4
DEFAULT_STEPS = {"ddpm": 1000, DISTILLED_SAMPLER: DISTILLED_STEPS}
# The second-order SDE form of DPM-Solver++ (Lu et al. 2022; diffusers' "sde-dpmsolver++"): the same
# multistep update plus fresh noise at each step, at the same cost per step as the ODE form "dpm++".
# At 20 steps it came closer to DDPM-1000 on the evaluator's FID than the ODE form did
# (reports/generation: `vitrine eval generation`).
DEFAULT_SAMPLER = "dpm++sde"
SCHEDULE_KEYS = ("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas",
                 "prediction_type", "rescale_betas_zero_snr", "steps_offset")

PIPELINE_FILE = '''"""Custom pipeline code for diffusers: the class lives in the installed `vitrine` package."""

from vitrine.diffusion.pipeline import VitrinePipeline  # noqa: F401
'''


class VitrinePipeline(DiffusionPipeline):
    model_cpu_offload_seq = "unet->vae"
    _optional_components = ["vae"]
    pipeline_file = PIPELINE_FILE  # what save() writes as the folder's pipeline.py

    def __init__(self, unet, scheduler, vae=None, guidance_range: tuple[float, float] | None = None):
        """`guidance_range`: a distilled model's learnt guidance scales (saved in model_index.json)."""
        super().__init__()
        self.register_modules(unet=unet, scheduler=scheduler, vae=vae)
        self.register_to_config(guidance_range=list(guidance_range) if guidance_range else None)
        self._text_encoder = None
        self._channels_last = False

    # ---- what kind of model ----------------------------------------------------------------
    @property
    def distilled(self) -> bool:
        """A consistency-distilled model (`vitrine distill`): guidance is an input of its U-Net, one
        call a step, and it samples with LCM in 1–8 steps."""
        return bool(self.unet.config.get("time_cond_proj_dim"))

    @property
    def default_sampler(self) -> str:
        return DISTILLED_SAMPLER if self.distilled else DEFAULT_SAMPLER

    def default_steps(self, sampler: str | None = None) -> int:
        """The steps a call takes when none are asked for: 4 for a distilled model, 1000 for DDPM, else 20."""
        return DEFAULT_STEPS.get(sampler or self.default_sampler, 20)

    def steps_or_default(self, steps: int | None, full: int = 20) -> int:
        """`steps` when given, else the model's default: 4 for a distilled model, `full` (a use's own
        choice for the full model) otherwise."""
        return steps if steps else (DISTILLED_STEPS if self.distilled else full)

    @property
    def max_steps(self) -> int:
        """A distilled model draws on its distillation grid's points (LCMScheduler's original steps)."""
        return int(self.scheduler.config.original_inference_steps) if self.distilled else MAX_STEPS

    # ---- text ------------------------------------------------------------------------------
    @property
    def text_encoder(self):
        if self._text_encoder is None:
            from vitrine.text.encoder import shared_encoder
            self._text_encoder = shared_encoder(str(self.device))
        return self._text_encoder

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token states and masks for `texts`, running the encoder once per distinct text: a call for
        n images of one prompt encodes two texts (prompt and ∅), not 2n."""
        distinct = list(dict.fromkeys(texts))
        states, masks = self.text_encoder.token_states(distinct)
        if len(distinct) == len(texts):
            return states, masks
        row = {text: i for i, text in enumerate(distinct)}
        index = torch.tensor([row[text] for text in texts], device=states.device)
        return states[index], masks[index]

    @property
    def image_size(self) -> int:
        """The side of the pictures this pipeline draws (the autoencoder's photos for a latent model)."""
        return int(self.vae.config.sample_size if self.vae is not None else self.unet.config.sample_size)

    # ---- samplers --------------------------------------------------------------------------
    def with_sampler(self, name: str) -> "VitrinePipeline":
        """This pipeline with its scheduler swapped for the named sampler (same noise schedule)."""
        import diffusers
        if self.distilled != (name == DISTILLED_SAMPLER):
            raise ValueError(f"a distilled model samples with {DISTILLED_SAMPLER} only, got {name!r}" if self.distilled
                             else f"{DISTILLED_SAMPLER} samples a distilled model only (`vitrine distill` makes one)")
        class_name, extra = SAMPLERS.get(name, (name, {}))
        cls = getattr(diffusers, class_name, None)
        if cls is None or not hasattr(cls, "from_config") or "Scheduler" not in class_name:
            known = ", ".join(SAMPLERS)
            raise ValueError(f"unknown sampler {name!r}; use one of {known}, or a diffusers scheduler class name")
        # only the noise schedule carries over: options of the previous sampler (DDPM's clipping,
        # DPM-Solver++'s thresholding) must not leak into the next one
        schedule = {k: v for k, v in self.scheduler.config.items() if k in SCHEDULE_KEYS}
        if self.distilled:  # the grid the model was distilled on
            extra = {**extra, "original_inference_steps": self.scheduler.config.original_inference_steps}
        if self.vae is not None:  # latents are not confined to the pixels' [−1, 1]: no clipping of x̂_0
            takes = inspect.signature(cls.__init__).parameters
            extra = {**extra, **{k: False for k in ("clip_sample", "thresholding") if k in takes}}
        self.scheduler = cls.from_config(schedule, **extra)
        return self

    # ---- sampling --------------------------------------------------------------------------
    def _check(self, prompts, negative, steps, guidance, n) -> None:
        if not prompts or any(not isinstance(p, str) or not p.strip() for p in prompts):
            raise ValueError("prompt must be non-empty text")
        if any(len(p) > MAX_PROMPT_CHARS for p in prompts + (negative or [])):
            raise ValueError(f"prompts are limited to {MAX_PROMPT_CHARS} characters")
        if not 1 <= steps <= self.max_steps:
            which = " for this distilled model (4 is its default)" if self.distilled else ""
            raise ValueError(f"num_inference_steps must be between 1 and {self.max_steps}{which}, got {steps}")
        if not 0 <= guidance <= 50 or not np.isfinite(guidance):
            raise ValueError(f"guidance_scale must be between 0 and 50, got {guidance}")
        if self.distilled:
            lo, hi = self.config.guidance_range or (guidance, guidance)
            if not lo <= guidance <= hi:
                raise ValueError(f"guidance_scale must be between {lo:g} and {hi:g} for this distilled model "
                                 f"(the range it learnt), got {guidance:g}")
            if negative is not None:
                raise ValueError("a distilled model has guidance by the empty prompt built in: it takes no "
                                 "negative prompt")
        if not 1 <= n * len(prompts) <= MAX_IMAGES:
            raise ValueError(f"between 1 and {MAX_IMAGES} images per call, asked for {n * len(prompts)}")
        if negative is not None and len(negative) not in (1, len(prompts)):
            raise ValueError("give one negative prompt, or one per prompt")

    @torch.inference_mode()
    def __call__(self, prompt: str | list[str], negative_prompt: str | list[str] | None = None,
                 num_images_per_prompt: int = 1, num_inference_steps: int = 20, guidance_scale: float = 3.0,
                 generator: torch.Generator | list[torch.Generator] | None = None, output_type: str = "pil",
                 height: int | None = None, width: int | None = None, return_dict: bool = True,
                 guidance_interval: tuple[float, float] = (0.0, 1.0)):
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        negative = [negative_prompt] if isinstance(negative_prompt, str) else negative_prompt
        self._check(prompts, negative, num_inference_steps, guidance_scale, num_images_per_prompt)
        lo, hi = guidance_interval
        if not 0 <= lo <= hi <= 1:
            raise ValueError(f"guidance_interval must satisfy 0 ≤ lo ≤ hi ≤ 1, got {guidance_interval}")
        if self.distilled and (lo, hi) != (0.0, 1.0):
            raise ValueError("a distilled model guides at every step: guidance_interval does not apply")
        size = self.image_size
        if (height or size) != size or (width or size) != size:
            raise ValueError(f"this model makes {size}×{size} images; got height={height}, width={width}")
        if output_type not in ("pil", "np", "pt"):
            raise ValueError("output_type must be pil, np or pt")

        batch = len(prompts) * num_images_per_prompt
        cond_texts = [p for p in prompts for _ in range(num_images_per_prompt)]
        uncond_texts = ([""] * batch if negative is None else
                        [(negative * len(prompts))[i // num_images_per_prompt] for i in range(batch)])
        use_cond, use_uncond = guidance_scale != 0, guidance_scale != 1
        guidance_input = None
        if self.distilled:  # one call a step, the scale an input of the U-Net
            use_cond, use_uncond = True, False
            guidance_input = self._guidance_input(batch, guidance_scale)
        if use_cond and use_uncond:  # one encoder call for both halves of the guided batch
            states, masks = self.encode(uncond_texts + cond_texts)
        elif use_cond:
            states, masks = self.encode(cond_texts)
        else:
            states, masks = self.encode(uncond_texts)
        states = states.to(self.device, self.unet.dtype)

        # x_T ~ N(0, I), one generator per image if a list is given (reproducible per seed). The
        # sampler's own arithmetic stays float32 whatever precision the U-Net runs in.
        side = self.unet.config.sample_size  # the photo's side, or its latent's
        shape = (batch, self.unet.config.in_channels, side, side)
        if isinstance(generator, list):
            x = torch.stack([torch.randn(shape[1:], generator=g) for g in generator]).to(self.device)
        else:
            x = torch.randn(shape, generator=generator).to(self.device)
        self.scheduler.set_timesteps(num_inference_steps, device=self.device)
        x = x * self.scheduler.init_noise_sigma
        # Stochastic samplers (DDPM, Euler-a, SDE) draw noise each step; those that take a generator get
        # the per-image list too (diffusers' randn_tensor draws image j's noise from generator j), so an
        # image depends on its own seed only, not on the batch or on what ran before in the process.
        takes_generator = "generator" in inspect.signature(self.scheduler.step).parameters
        step_kwargs = {"generator": generator} if takes_generator else {}
        T = self.scheduler.config.num_train_timesteps
        for t in self.progress_bar(self.scheduler.timesteps):
            model_in = self.scheduler.scale_model_input(x, t)
            if use_cond and use_uncond and lo <= float(t) / T <= hi:
                out_u, out_c = self._denoise(torch.cat([model_in, model_in]), t, states, masks).chunk(2)
                out = out_u + guidance_scale * (out_c - out_u)  # classifier-free guidance (ε or v alike)
            elif use_cond and use_uncond:  # outside the guidance interval: the conditional model alone
                out = self._denoise(model_in, t, states[batch:], masks[batch:])
            else:
                out = self._denoise(model_in, t, states, masks, guidance_input)
            x = self.scheduler.step(out, t, x, **step_kwargs).prev_sample

        if self.vae is not None:  # z → D(z / s)
            x = self.vae.decode(x.to(self.vae.dtype) / self.vae.config.scaling_factor).sample
        images = (x.float().clamp(-1, 1) + 1) / 2  # [−1, 1] → [0, 1]
        if output_type == "pt":
            out = images
        else:
            out = images.permute(0, 2, 3, 1).cpu().numpy()
            if output_type == "pil":
                out = self.numpy_to_pil(out)
        return ImagePipelineOutput(images=out) if return_dict else (out,)

    def _guidance_input(self, batch: int, guidance_scale: float) -> torch.Tensor:
        """A distilled U-Net's guidance input: the scale's features for each of `batch` pictures."""
        return guidance_embedding(torch.full((batch,), float(guidance_scale))).to(self.device, self.unet.dtype)

    def _denoise(self, x: torch.Tensor, t, states: torch.Tensor, masks: torch.Tensor,
                 guidance_input: torch.Tensor | None = None) -> torch.Tensor:
        """The U-Net's ε (or v) estimate, computed in the U-Net's dtype and memory format, as float32;
        a distilled model also reads the guidance scale's features."""
        x = x.to(self.unet.dtype)
        if self._channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.unet(x, t, encoder_hidden_states=states, encoder_attention_mask=masks,
                         timestep_cond=guidance_input).sample.float()

    def speed_up(self, precision: str = "fp32", channels_last: bool = False, compile: bool = False,
                 freeze: bool = False) -> "VitrinePipeline":
        """Run the U-Net in bf16 (weights cast; sampler stays float32), channels_last, and/or
        torch.compile'd; `freeze` compiles with inductor's freezing (weights treated as constants:
        folded, and pre-packed for oneDNN's convolutions and GEMMs; sampling only, the weights must
        not change afterwards). bench/sample_speed.py measures which of these pays on a machine."""
        if precision not in ("fp32", "bf16"):
            raise ValueError("precision: choose fp32 or bf16")
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        if self.unet.dtype != dtype:
            self.unet.to(dtype)
        self._channels_last = channels_last
        if channels_last:
            self.unet.to(memory_format=torch.channels_last)
        if compile or freeze:
            self.unet.compile(options={"freezing": True} if freeze else None)
        return self

    # ---- saving ----------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """save_pretrained (safetensors) plus the custom-code hook for DiffusionPipeline.from_pretrained.
        The scheduler saved is the model's default sampler on its noise schedule (DEFAULT_SAMPLER, or
        LCM for a distilled model), so a plain `DiffusionPipeline.from_pretrained(folder)` samples as
        `vitrine generate` does."""
        folder = Path(folder)
        current = self.scheduler
        try:
            self.with_sampler(self.default_sampler)
            self.save_pretrained(folder, safe_serialization=True)
        finally:
            self.scheduler = current
        (folder / "pipeline.py").write_text(self.pipeline_file)
        index_path = folder / "model_index.json"
        index = json.loads(index_path.read_text())
        index["_class_name"] = ["pipeline", type(self).__name__]
        index_path.write_text(json.dumps(index, indent=2) + "\n")
        return folder


def load_pipeline(folder: str | Path, sampler: str | None = "default", cls: type = VitrinePipeline):
    """Load a saved pipeline: the U-Net (safetensors), the scheduler config and a latent model's
    autoencoder (safetensors) into the installed VitrinePipeline class (or `cls`, a subclass: the
    try-on pipeline), sampling with `sampler`: "default" is the model's own (DEFAULT_SAMPLER, or LCM
    for a distilled model), None keeps the saved scheduler. No file of the folder is executed (no
    trust_remote_code); a folder that is not a readable Vitrine pipeline is a ValueError naming the
    file at fault."""
    import diffusers
    from diffusers import UNet2DConditionModel
    folder = Path(folder)
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        raise FileNotFoundError(f"--model {folder}: not a saved pipeline (no model_index.json)")
    try:
        index = json.loads(index_file.read_text())
        class_name = index["_class_name"]
        scheduler_class = index["scheduler"][1]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"{index_file}: not a diffusers model index ({type(exc).__name__}: {exc})") from None
    name = class_name[-1] if isinstance(class_name, list) and class_name else class_name
    if name != cls.__name__:
        raise ValueError(f"{index_file}: a {name!r} pipeline, not a {cls.__name__}")
    scheduler_cls = getattr(diffusers, str(scheduler_class), None)
    if scheduler_cls is None or not str(scheduler_class).endswith("Scheduler"):
        raise ValueError(f"{index_file}: unknown scheduler class {scheduler_class!r}")
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: missing (Vitrine loads U-Net weights only from safetensors)")
    try:
        scheduler = scheduler_cls.from_pretrained(folder, subfolder="scheduler")
    except Exception as exc:  # diffusers raises OSError, ValueError, JSONDecodeError … for a bad config
        raise ValueError(f"{folder / 'scheduler'}: unreadable scheduler config ({type(exc).__name__}: {exc})") from None
    try:
        unet = UNet2DConditionModel.from_pretrained(folder, subfolder="unet", use_safetensors=True)
    except Exception as exc:  # a truncated or garbage safetensors file, a config that does not match it
        raise ValueError(f"{weights}: cannot load the U-Net ({type(exc).__name__}: {str(exc)[:200]})") from None
    vae = None
    if isinstance(index.get("vae"), list) and index["vae"] and index["vae"][0] is not None:
        vae = load_autoencoder(folder / "vae", unet)
    guidance_range = index.get("guidance_range")
    if guidance_range is not None and not (isinstance(guidance_range, list) and len(guidance_range) == 2
                                           and all(isinstance(v, (int, float)) for v in guidance_range)):
        raise ValueError(f"{index_file}: guidance_range must be [low, high], got {guidance_range!r}")
    pipe = cls(unet=unet.eval(), scheduler=scheduler, vae=vae, guidance_range=guidance_range)
    if pipe.distilled and not guidance_range:
        raise ValueError(f"{index_file}: a distilled model without its guidance_range")
    pipe.set_progress_bar_config(disable=True)
    if sampler == "default":
        sampler = pipe.default_sampler
    return pipe.with_sampler(sampler) if sampler else pipe


def load_autoencoder(folder: Path, unet):
    """A latent model's `vae` component (safetensors only), checked against the U-Net it feeds: a
    ValueError when its latents are not the U-Net's input."""
    from vitrine.diffusion.latents import LatentSpace
    space = LatentSpace(folder)
    if (space.size, space.channels) != (unet.config.sample_size, unet.config.in_channels):
        raise ValueError(f"{folder}: makes {space.size}×{space.size}×{space.channels} latents, the U-Net takes "
                         f"{unet.config.sample_size}×{unet.config.sample_size}×{unet.config.in_channels}")
    return space.model
