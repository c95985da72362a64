"""Picture + mask + garment description → the picture with that garment painted into the mask.

A diffusers pipeline around the inpainting U-Net (model.py), sharing the text-to-image
pipeline's encoder, samplers, guidance and saving (diffusion/pipeline.py). One call:
  1. check the inputs; pick each picture's window around its mask (window.py) → x_0, m at 32×32
  2. encode the descriptions (and ∅ for classifier-free guidance)
  3. x_T ~ N(0, I); each step the U-Net reads [x_t, m, x_0·(1−m)], guidance
     ε̂ = ε(∅) + w·(ε(y) − ε(∅)) (or v alike; a distilled model reads w and is called once), one
     sampler step
  4. write the window back into the mask's pixels only (window.from_model): every pixel outside
     the mask is the input's exact value.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

from vitrine.diffusion.pipeline import MAX_IMAGES, VitrinePipeline
from vitrine.tryon.model import unet_input
from vitrine.tryon.window import from_model, to_model, window_of

PIPELINE_FILE = '''"""Custom pipeline code for diffusers: the class lives in the installed `vitrine` package."""

from vitrine.tryon.pipeline import TryOnPipeline  # noqa: F401
'''
MAX_SIDE = 2048      # pictures larger than this on a side are refused
MIN_MASK_PIXELS = 4  # a smaller mask is almost surely a mistake


def check_picture(picture: np.ndarray, mask: np.ndarray) -> None:
    """A ValueError naming what is wrong with a picture (H, W, 3) uint8 and its mask (H, W)."""
    if picture.ndim != 3 or picture.shape[2] != 3 or picture.dtype != np.uint8:
        raise ValueError(f"the picture must be (H, W, 3) uint8, got {picture.shape} {picture.dtype}")
    if not (16 <= min(picture.shape[:2]) and max(picture.shape[:2]) <= MAX_SIDE):
        raise ValueError(f"the picture must be 16 to {MAX_SIDE} pixels a side, got "
                         f"{picture.shape[1]}×{picture.shape[0]}")
    if mask.shape != picture.shape[:2]:
        raise ValueError(f"the mask is {mask.shape[1]}×{mask.shape[0]}; the picture is "
                         f"{picture.shape[1]}×{picture.shape[0]}")
    if int(mask.sum()) < MIN_MASK_PIXELS:
        raise ValueError(f"the mask covers {int(mask.sum())} pixels; mark at least {MIN_MASK_PIXELS} to repaint")


class TryOnPipeline(VitrinePipeline):
    pipeline_file = PIPELINE_FILE

    @torch.inference_mode()
    def __call__(self, picture: np.ndarray, mask: np.ndarray, prompt: str, num_images_per_prompt: int = 4,
                 num_inference_steps: int = 20, guidance_scale: float = 3.0,
                 generator: torch.Generator | list[torch.Generator] | None = None) -> list[np.ndarray]:
        """`num_images_per_prompt` pictures (H, W, 3) uint8 of `picture` with `prompt` painted into `mask`."""
        n = num_images_per_prompt
        return self.inpaint([picture] * n, [mask] * n, [prompt] * n, num_inference_steps, guidance_scale, generator)

    @torch.inference_mode()
    def inpaint(self, pictures: list[np.ndarray], masks: list[np.ndarray], prompts: list[str],
                num_inference_steps: int = 20, guidance_scale: float = 3.0,
                generator: torch.Generator | list[torch.Generator] | None = None) -> list[np.ndarray]:
        """Each picture with its prompt painted into its mask, all in one batch."""
        # 1. inputs and windows
        if not len(pictures) == len(masks) == len(prompts):
            raise ValueError(f"{len(pictures)} pictures, {len(masks)} masks and {len(prompts)} prompts")
        self._check(prompts, None, num_inference_steps, guidance_scale, 1)
        if len(prompts) > MAX_IMAGES:
            raise ValueError(f"at most {MAX_IMAGES} pictures per call, got {len(prompts)}")
        masks = [np.asarray(m, bool) for m in masks]
        for picture, mask in zip(pictures, masks):
            check_picture(picture, mask)
        windows = [window_of(m) for m in masks]
        x0, m = map(torch.stack, zip(*(to_model(p, k, w) for p, k, w in zip(pictures, masks, windows))))
        x0, m = x0.to(self.device), m.to(self.device)
        batch = len(prompts)

        # 2. text
        guided = guidance_scale != 1 and not self.distilled  # a distilled model takes the scale as an input
        guidance_input = self._guidance_input(batch, guidance_scale) if self.distilled else None
        states, token_masks = self.encode(([""] * batch if guided else []) + list(prompts))
        states = states.to(self.device, self.unet.dtype)
        known = unet_input(torch.zeros_like(x0), m, x0)[:, 3:]  # [m, x_0·(1−m)], the same every step

        # 3. the reverse process
        if isinstance(generator, list):
            x = torch.stack([torch.randn(x0.shape[1:], generator=g) for g in generator]).to(self.device)
        else:
            x = torch.randn(x0.shape, generator=generator).to(self.device)
        self.scheduler.set_timesteps(num_inference_steps, device=self.device)
        x = x * self.scheduler.init_noise_sigma
        takes_generator = "generator" in inspect.signature(self.scheduler.step).parameters
        step_kwargs = {"generator": generator} if takes_generator else {}
        for t in self.progress_bar(self.scheduler.timesteps):
            model_in = torch.cat([self.scheduler.scale_model_input(x, t), known], dim=1)
            if guided:
                out_u, out_c = self._denoise(torch.cat([model_in, model_in]), t, states, token_masks).chunk(2)
                out = out_u + guidance_scale * (out_c - out_u)
            else:
                out = self._denoise(model_in, t, states, token_masks, guidance_input)
            x = self.scheduler.step(out, t, x, **step_kwargs).prev_sample

        # 4. back into the pictures, inside the masks only
        return [from_model(x[k].cpu(), pictures[k], masks[k], windows[k]) for k in range(batch)]


def load_tryon(folder, sampler: str | None = "default") -> TryOnPipeline:
    from vitrine.diffusion.pipeline import load_pipeline
    return load_pipeline(folder, sampler, cls=TryOnPipeline)
