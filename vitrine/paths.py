"""Where the shipped models live, and where a store keeps what is fitted on it.

A shipped model's path is relative to the checkout; `default_path` makes it work from any folder
when the checkout has it, so a verb run elsewhere still finds `models/vitrine-fashion-32`."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the checkout: shipped models and reports live here
SHIPPED_PIPELINE = "models/vitrine-fashion-32"  # the text-to-image model every use draws with by default
SHIPPED_EVALUATOR = "models/evaluator"          # the judge of generated pictures
SHIPPED_TRYON = "models/vitrine-tryon"          # the try-on model, its segmenter inside
RECOMMENDER_DIR = "models/recommender"          # inside the data dir: a fitted recommender belongs to its store


def default_path(relative: str) -> str:
    """A shipped file's path that works from any folder: the checkout's, when it has it."""
    shipped = REPO / relative
    return str(shipped) if shipped.exists() else relative
