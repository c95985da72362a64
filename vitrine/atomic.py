"""Atomic file writes: write to a temporary name beside the target, then rename it over the target.

os.replace is atomic on POSIX, so a crash mid-write leaves the previous file intact and a reader never
sees half a file. Used for the safetensors weights, checkpoints and caches, the catalog's array
cache, the JSON beside saved models and the loss plot; stored product images use their own unique
temp names (images.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path



@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`, on error it is removed.
    The temporary name keeps the suffix (numpy and matplotlib choose the format by it) and carries
    the process ID, so processes writing the same file at once do not write into one another's."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_safetensors(tensors: dict, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """safetensors.save_file, atomically (torch loads only here: text writes stay light)."""
    from safetensors.torch import save_file
    with replacing(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """Path.write_text, atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def replace_folder(source: str | Path, target: str | Path) -> Path:
    """A copy of folder `source` put in place of folder `target` in one rename: readers see the old
    folder or the new one, never a mix. (The old one is moved aside first and removed after, so
    between the two renames `target` is briefly missing.)"""
    import shutil
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}.new")
    aside = target.with_name(f".{target.name}.{os.getpid()}.old")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        shutil.copytree(source, staged)
        if target.exists():
            os.replace(target, aside)
        os.replace(staged, target)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(aside, ignore_errors=True)
    return target
