"""Where a `vitrine train` run starts when `--init-from` is not given.

On an imported shop's photos a text-to-image run fine-tunes the shipped model whenever that model
fits the run — the same square, U-Net preset, noise schedule, prediction and pixel space — since
on 2 cores a fine-tune reaches in minutes what random weights reach in hours
(reports/generation-shops/finetune). On the built catalog, which the shipped model learnt, runs
start from random weights: its recipes (`default`, `quick`) reproduce the shipped model and its
sizings. `--init-from none` always starts from random weights.
"""

from __future__ import annotations

import json
from pathlib import Path

from vitrine.paths import SHIPPED_PIPELINE, default_path

FROM_SCRATCH = "none"  # the --init-from value for random weights
# the fields a model's training config must share with a run for the run to start from its weights
SAME_NETWORK = ("size", "preset", "schedule", "timesteps", "prediction")


def default_start(config, built_catalog: bool, shipped: str | None = None) -> tuple[str, str]:
    """(init_from, a sentence saying why) for a run given no --init-from."""
    shipped = shipped or default_path(SHIPPED_PIPELINE)
    if config.task != "text-to-image":
        return "", "random weights"
    if built_catalog:
        return "", "random weights (the shipped model learnt this catalog; --init-from MODEL fine-tunes)"
    try:
        trained = json.loads((Path(shipped) / "training_config.json").read_text())
    except (OSError, ValueError):
        return "", f"random weights (no shipped model at {shipped})"
    differ = [name for name in SAME_NETWORK if trained.get(name) != getattr(config, name)]
    if config.autoencoder not in ("", "none"):
        differ.append("pixel space")
    if differ:
        return "", f"random weights (the shipped model differs in {', '.join(differ)})"
    return shipped, f"the shipped model {shipped} (--init-from none: random weights)"
