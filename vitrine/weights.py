"""A small network saved as two files: NAME.safetensors (its weights) and NAME.json (what rebuilds it).

The evaluator and the try-on segmenter are saved this way; loading never runs code from the folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from vitrine.atomic import save_safetensors, write_text


def save_network(model: nn.Module, folder: str | Path, name: str, info: dict) -> Path:
    """Write folder/NAME.safetensors and folder/NAME.json (`info`, indented) atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_safetensors({k: v.contiguous() for k, v in model.state_dict().items()}, folder / f"{name}.safetensors")
    write_text(folder / f"{name}.json", json.dumps(info, indent=2) + "\n")
    return folder


def load_network(folder: str | Path, name: str, build: Callable[[dict], nn.Module], how_to_make: str) -> nn.Module:
    """build(info) with folder/NAME.safetensors' weights, in eval mode. FileNotFoundError when there
    are no weights (the message says `how_to_make` them); ValueError when either file is unreadable."""
    folder = Path(folder)
    path = folder / f"{name}.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no {name}.safetensors ({how_to_make})")
    try:
        model = build(json.loads((folder / f"{name}.json").read_text()))
        model.load_state_dict(load_file(str(path)))
    except (OSError, ValueError, TypeError, AttributeError, RuntimeError, SafetensorError) as exc:
        raise ValueError(f"{folder}: unreadable {name} ({type(exc).__name__}: {str(exc)[:200]})") from None
    return model.eval()
