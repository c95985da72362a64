"""The arithmetic a consistency-distilled model shares between training (distill.py) and sampling
(pipeline.py): the guidance scale as an input, and the consistency function's parameterisation.

Guidance as an input (guided distillation, Meng et al. 2023; LCM, Luo et al. 2023): the student
reads the classifier-free guidance scale w through the U-Net's `time_cond_proj_dim` input
(diffusers adds a linear projection of it to the sinusoidal timestep features), so one call
gives what the teacher needs two calls for, ε_u + w·(ε_c − ε_u). w enters as sinusoidal
features of 1000·w, the same encoding a timestep gets, which spreads the trained range [1, 6]
over the frequencies the time embedding already resolves.

The consistency function (Song et al. 2023, eq. 5, in LCM's discrete form):
  f_θ(x_t, t) = c_skip(t)·x_t + c_out(t)·x̂_0(x_t, t),
  c_skip(t) = σ_d² / ((s·t)² + σ_d²),  c_out(t) = s·t / √((s·t)² + σ_d²),  σ_d = 0.5, s = 10,
so f(x_0, 0) = x_0 exactly (the boundary condition) and f ≈ x̂_0 for every t on the solver's
grid (c_skip(19) ≈ 7e-6). x̂_0 comes from the network's output as the teacher's prediction type
defines it; diffusers' `LCMScheduler.step` applies the same map when sampling, so the scalings
are taken from it rather than written twice.
"""

from __future__ import annotations

import math

import torch

GUIDANCE_DIM = 64  # features of w the U-Net's time_cond_proj_dim input takes


def guidance_embedding(w: torch.Tensor, dim: int = GUIDANCE_DIM) -> torch.Tensor:
    """(B,) guidance scales → (B, dim) sinusoidal features [sin(1000·w·f_i), cos(1000·w·f_i)],
    f_i = 10000^(−i/(dim/2 − 1))."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - 1))
    angles = 1000.0 * w.float()[:, None] * freqs[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def clean_estimate(output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, alphas_cumprod: torch.Tensor,
                   prediction: str) -> torch.Tensor:
    """x̂_0 from the network's output at (x_t, t): ε → (x_t − √(1−ᾱ_t)·ε)/√ᾱ_t; v → √ᾱ_t·x_t − √(1−ᾱ_t)·v."""
    a = alphas_cumprod[t].float().view(-1, 1, 1, 1)
    if prediction == "epsilon":
        return (x_t - (1 - a).sqrt() * output) / a.sqrt()
    if prediction == "v_prediction":
        return a.sqrt() * x_t - (1 - a).sqrt() * output
    raise ValueError(f"unknown prediction type {prediction!r}")


def noise_estimate(output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, alphas_cumprod: torch.Tensor,
                   prediction: str) -> torch.Tensor:
    """ε̂ from the network's output at (x_t, t): ε itself, or √(1−ᾱ_t)·x_t + √ᾱ_t·v."""
    if prediction == "epsilon":
        return output
    a = alphas_cumprod[t].float().view(-1, 1, 1, 1)
    return (1 - a).sqrt() * x_t + a.sqrt() * output


def consistency_output(output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, scheduler,
                       prediction: str) -> torch.Tensor:
    """f(x_t, t) = c_skip(t)·x_t + c_out(t)·x̂_0, with an LCMScheduler's boundary scalings."""
    c_skip, c_out = scheduler.get_scalings_for_boundary_condition_discrete(t.float())
    c_skip, c_out = c_skip.view(-1, 1, 1, 1), c_out.view(-1, 1, 1, 1)
    return c_skip * x_t + c_out * clean_estimate(output, x_t, t, scheduler.alphas_cumprod, prediction)


def pseudo_huber(difference: torch.Tensor) -> torch.Tensor:
    """Per-example pseudo-Huber distance √(‖d‖² + c²) − c, c = 0.00054·√dim (Song & Dhariwal 2023,
    "Improved techniques for training consistency models", §3.3): quadratic for small d, linear for
    large, so a few far-off targets do not dominate the gradient."""
    flat = difference.flatten(1)
    c = 0.00054 * math.sqrt(flat.shape[1])
    return (flat.pow(2).sum(dim=1) + c * c).sqrt() - c
