"""Where the shipped models live, and where a store keeps what is fitted on it.

A shipped model's path is relative to the checkout; `default_path` makes it work from any folder
when the checkout has it, so a verb run elsewhere still finds `models/vitrine-fashion-32`."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # the checkout: shipped models and reports live here
SHIPPED_PIPELINE = "models/vitrine-fashion-32"  # the text-to-image model every use draws with by default
SHIPPED_EVALUATOR = "models/evaluator"          # the judge of generated pictures
SHIPPED_TRYON = "models/vitrine-tryon"          # the try-on model, its segmenter inside
# their few-step students (`vitrine distill`), which the interactive uses take where measured good enough
SHIPPED_FAST_PIPELINE = "models/vitrine-fashion-32-lcm"
SHIPPED_FAST_TRYON = "models/vitrine-tryon-lcm"
MEASURED_FILE = "measured.json"  # in a distilled model's folder: its figures against the teacher's targets
RECOMMENDER_DIR = "models/recommender"          # inside the data dir: a fitted recommender belongs to its store
GENERATOR_DIR = "models/generator"              # inside the data dir: the shop's own text-to-image model
EVALUATOR_DIR = "models/evaluator"              # inside the data dir: the judge trained on the shop's photos
AUTOENCODER_DIR = "models/autoencoder"          # inside the data dir: photos ↔ latents for a 64-px or larger model
# what a folder holds when it holds that model
_MARKERS = {GENERATOR_DIR: "model_index.json", EVALUATOR_DIR: "evaluator.safetensors",
            AUTOENCODER_DIR: "diffusion_pytorch_model.safetensors"}


def default_path(relative: str) -> str:
    """A shipped file's path that works from any folder: the checkout's, when it has it."""
    shipped = REPO / relative
    return str(shipped) if shipped.exists() else relative


def shop_or_shipped(data_dir: str | Path, inside: str, shipped: str) -> Path:
    """The shop's own model (DATA_DIR/inside) when it has one, else the shipped model."""
    own = Path(data_dir) / inside
    return own if (own / _MARKERS[inside]).is_file() else Path(default_path(shipped))


def interactive(full: str, fast: str) -> str:
    """The shipped model the interactive uses (service jobs, studio verbs, try-on) draw with: the
    few-step student `fast` when it ships and its measured.json says it met every target against
    its teacher `full`, else `full`. A file that is missing or unreadable counts as not met."""
    import json
    try:
        measured = json.loads((Path(default_path(fast)) / MEASURED_FILE).read_text())
    except (OSError, ValueError):
        return default_path(full)
    met = isinstance(measured, dict) and measured.get("targets_met") is True
    return default_path(fast) if met else default_path(full)


def model_source(model: str | Path, data_dir: str | Path) -> str:
    """Whose model a folder is: "shop" (inside DATA_DIR/models), "shipped" (the checkout's models/),
    else "given" (a folder named by a flag or setting)."""
    model, data_dir = Path(model).resolve(), Path(data_dir).resolve()
    if model.is_relative_to(data_dir / "models"):
        return "shop"
    return "shipped" if model.is_relative_to(REPO / "models") else "given"


def whose(model: str | Path, data_dir: str | Path) -> str:
    """In words, whose model a folder is, for a verb's output."""
    source = model_source(model, data_dir)
    if source == "shop":
        return f"the shop's own model ({model})"
    return f"the shipped model {Path(model).resolve().relative_to(REPO)}" if source == "shipped" else f"the model {model}"
