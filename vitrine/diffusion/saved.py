"""What a saved model folder says about itself, read from its JSON configs without torch or diffusers,
so a service process that only queues generations answers at once (importing diffusers takes seconds)."""

from __future__ import annotations

import json
from pathlib import Path

MAX_STEPS = 1000  # the training schedule's T: no sampler takes more steps


def step_limit(folder: str | Path) -> int:
    """The most sampling steps a saved model takes: a distilled model's grid points (LCMScheduler's
    original steps), else MAX_STEPS."""
    try:
        config = json.loads((Path(folder) / "scheduler" / "scheduler_config.json").read_text())
    except (OSError, ValueError):
        return MAX_STEPS
    if not isinstance(config, dict) or config.get("_class_name") != "LCMScheduler":
        return MAX_STEPS
    return int(config.get("original_inference_steps") or MAX_STEPS)
