"""Locate, download and load Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT licence).

Search order: $VITRINE_FASHION_MNIST, then the Debian package's folder
/usr/share/datasets/fashion-mnist. `download()` fetches the official files for machines without
the Debian package; nothing calls it implicitly, so no test or job reaches the network by accident.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitrine.catalog.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
OFFICIAL_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# The ten classes in label order, as the dataset's README names them.
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

INSTALL_HINT = (
    "Fashion-MNIST not found. Install it with one of:\n"
    "  sudo apt-get install dataset-fashion-mnist            (Debian, as root)\n"
    "  apt-get download dataset-fashion-mnist && dpkg-deb -x dataset-fashion-mnist_*.deb ~/fmnist\n"
    "      then export VITRINE_FASHION_MNIST=~/fmnist/usr/share/datasets/fashion-mnist\n"
    "  vitrine catalog download DIR                           (the official files, needs network)\n"
    "      then export VITRINE_FASHION_MNIST=DIR"
)


@dataclass(frozen=True)
class FashionMNIST:
    """All 70,000 images (28×28 uint8, white garment on black) with labels and their origin split."""

    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) uint8, index into CLASS_NAMES
    origin: np.ndarray  # (N,) "train" or "test": the dataset's own split, kept for the evaluator

    def __len__(self) -> int:
        return len(self.labels)


def _has_files(folder: Path) -> bool:
    return all((folder / name).exists() for pair in FILES.values() for name in pair)


def find_dataset_dir() -> Path:
    """The first folder in the search order holding all four files, or a FileNotFoundError."""
    candidates = []
    if os.environ.get("VITRINE_FASHION_MNIST"):
        candidates.append(Path(os.environ["VITRINE_FASHION_MNIST"]).expanduser())
    candidates.append(DEBIAN_DIR)
    for folder in candidates:
        if _has_files(folder):
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"{INSTALL_HINT}\n(looked in: {looked})")


def load(folder: str | Path | None = None) -> FashionMNIST:
    """Load train then test into one array; the item index is the position in that order."""
    folder = Path(folder) if folder is not None else find_dataset_dir()
    images, labels, origin = [], [], []
    for split, (image_file, label_file) in FILES.items():
        x = read_idx(folder / image_file, IMAGES_MAGIC)
        y = read_idx(folder / label_file, LABELS_MAGIC)
        if x.ndim != 3 or len(x) != len(y):
            raise ValueError(f"{folder / image_file}: {len(x)} images but {len(y)} labels")
        if y.max(initial=0) >= len(CLASS_NAMES):
            raise ValueError(f"{folder / label_file}: label {y.max()} outside 0..9")
        images.append(x)
        labels.append(y)
        origin.append(np.full(len(y), split))
    return FashionMNIST(np.concatenate(images), np.concatenate(labels), np.concatenate(origin))


def download(folder: str | Path, base_url: str = OFFICIAL_URL) -> Path:
    """Fetch the four official files into `folder` (each written to a temp file, then renamed)."""
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    for pair in FILES.values():
        for name in pair:
            target = folder / name
            if target.exists():
                continue
            with urllib.request.urlopen(base_url + name, timeout=60) as response, \
                    tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
                shutil.copyfileobj(response, tmp)
            os.replace(tmp.name, target)
    return folder
