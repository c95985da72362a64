"""Noise schedules of the forward process q(x_t | x_{t-1}) = N(√(1−β_t)·x_{t-1}, β_t·I).

Closed form (Ho et al. 2020, eq. 4): q(x_t | x_0) = N(√ᾱ_t·x_0, (1−ᾱ_t)·I), ᾱ_t = Π_{s≤t}(1−β_s).
Three schedules, each handed to diffusers' schedulers as a config:
- "linear-bar": a linear ramp to β̄, β_t = β̄·t/T (the product brief's example: T = 1000, β̄ = 0.01;
            "brief" is an alias). Then Σβ_t = β̄(T+1)/2 ≈ 5.0, so ᾱ_T ≈ e^−5 ≈ 0.0067 and x_T keeps
            √ᾱ_T ≈ 8 % of the signal.
- "ddpm":   DDPM's linear 1e-4 … 0.02 (Ho et al. 2020); ᾱ_T ≈ 4e-5.
- "cosine": Improved DDPM's ᾱ_t = cos²((t/T + s)/(1 + s)·π/2), s = 0.008, β capped at 0.999
            (Nichol & Dhariwal 2021), diffusers' "squaredcos_cap_v2".
"""

from __future__ import annotations

import math

import numpy as np

SCHEDULES = ("linear-bar", "ddpm", "cosine")
ALIASES = {"brief": "linear-bar"}
DEFAULT_T = 1000
BRIEF_BETA_BAR = 0.01


def canonical(name: str) -> str:
    """The schedule's own name ("brief" → "linear-bar"); unknown names are a ValueError."""
    name = ALIASES.get(name, name)
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    return name


def betas(name: str, T: int = DEFAULT_T, beta_bar: float = BRIEF_BETA_BAR) -> np.ndarray:
    """β_1 … β_T (float64) of a named schedule."""
    if T < 2 or T > 100_000:
        raise ValueError(f"T must be between 2 and 100000, got {T}")
    t = np.arange(1, T + 1, dtype=np.float64)
    name = canonical(name)
    if name == "linear-bar":
        if not 0 < beta_bar < 1:
            raise ValueError(f"beta_bar must lie in (0, 1), got {beta_bar}")
        return beta_bar * t / T                                    # β_t = β̄·t/T
    if name == "ddpm":
        return np.linspace(1e-4, 0.02, T, dtype=np.float64) * (1000 / T)  # rescaled for T ≠ 1000
    if name == "cosine":
        alpha_bar = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        return np.array([min(1 - alpha_bar(i / T) / alpha_bar((i - 1) / T), 0.999) for i in t])
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")


def alphas_cumprod(beta: np.ndarray) -> np.ndarray:
    """ᾱ_t = Π_{s≤t} (1 − β_s)."""
    return np.cumprod(1.0 - beta)


def snr(alpha_bar: np.ndarray) -> np.ndarray:
    """Signal-to-noise ratio of q(x_t|x_0): ᾱ_t / (1 − ᾱ_t)."""
    return alpha_bar / (1.0 - alpha_bar)


def posterior_variance(beta: np.ndarray) -> np.ndarray:
    """β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, the variance of q(x_{t−1} | x_t, x_0) (DDPM eq. 7)."""
    alpha_bar = alphas_cumprod(beta)
    prev = np.r_[1.0, alpha_bar[:-1]]
    return (1.0 - prev) / (1.0 - alpha_bar) * beta


def scheduler_config(name: str, T: int = DEFAULT_T, beta_bar: float = BRIEF_BETA_BAR,
                     prediction_type: str = "epsilon") -> dict:
    """Keyword arguments for any diffusers noise scheduler implementing this schedule."""
    base = {"num_train_timesteps": T, "prediction_type": prediction_type, "clip_sample": False}
    name = canonical(name)
    if name == "linear-bar":
        return {**base, "trained_betas": betas(name, T, beta_bar).tolist()}
    if name == "ddpm":
        return {**base, "beta_schedule": "linear", "beta_start": 1e-4 * 1000 / T, "beta_end": 0.02 * 1000 / T}
    if name == "cosine":
        return {**base, "beta_schedule": "squaredcos_cap_v2"}
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
