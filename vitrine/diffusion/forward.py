"""The brief's forward-process table as a picture: one product photo noised to several t."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vitrine.diffusion import schedules

SCALE = 4


def forward_strip(photo: np.ndarray, ts: list[int], schedule: str = "brief", T: int = schedules.DEFAULT_T,
                  beta_bar: float = schedules.BRIEF_BETA_BAR, seed: int = 0) -> tuple[Image.Image, list[dict]]:
    """x_t ~ q(x_t | x_0) for each t (one shared ε, so only the mix changes), with ᾱ_t and SNR."""
    if any(t < 0 or t > T for t in ts):
        raise ValueError(f"every t must lie in 0…{T}, got {ts}")
    alpha_bar = schedules.alphas_cumprod(schedules.betas(schedule, T, beta_bar))
    x0 = photo.astype(np.float64) / 127.5 - 1.0
    eps = np.random.default_rng(seed).standard_normal(x0.shape)
    rows, tiles = [], []
    for t in ts:
        a = 1.0 if t == 0 else float(alpha_bar[t - 1])
        xt = math.sqrt(a) * x0 + math.sqrt(1 - a) * eps  # closed form q(x_t | x_0)
        rows.append({"t": t, "alpha_bar": a, "signal": math.sqrt(a), "snr": math.inf if a == 1 else a / (1 - a)})
        tiles.append(Image.fromarray(np.clip((xt + 1) * 127.5, 0, 255).astype(np.uint8)))
    size = photo.shape[0] * SCALE
    strip = Image.new("RGB", (len(ts) * size, size + 34), "white")
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=11)
    for k, (tile, row) in enumerate(zip(tiles, rows)):
        strip.paste(tile.resize((size, size), Image.NEAREST), (k * size, 0))
        snr = "inf" if math.isinf(row["snr"]) else f"{row['snr']:.3g}"
        draw.text((k * size + 4, size + 3), f"t={row['t']}  abar={row['alpha_bar']:.4f}", fill="#222", font=font)
        draw.text((k * size + 4, size + 18), f"SNR={snr}", fill="#555", font=font)
    return strip, rows


def table(rows: list[dict], schedule: str) -> str:
    lines = [f"schedule {schedule}", f"{'t':>6} {'alpha_bar':>10} {'sqrt(abar)':>11} {'SNR':>10}"]
    for r in rows:
        lines.append(f"{r['t']:>6} {r['alpha_bar']:>10.5f} {r['signal']:>11.4f} {r['snr']:>10.4g}")
    return "\n".join(lines)


def save(strip: Image.Image, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    strip.save(out)
    return out
