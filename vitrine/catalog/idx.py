"""Reader and writer for the IDX format Fashion-MNIST ships in.

Layout (big-endian): two zero bytes, a type code (0x08 = uint8), the number of dimensions n,
then n uint32 sizes, then the data in C order. Image files therefore start with the magic
number 2051 (0x00000803) and label files with 2049 (0x00000801).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 2051  # uint8, 3 dimensions: count × rows × cols
LABELS_MAGIC = 2049  # uint8, 1 dimension: count


class IdxFormatError(ValueError):
    """An IDX file is truncated or not the kind of file it was asked to be."""


def _open(path: Path):
    # Gzip files start with 0x1f 0x8b; read either form so unpacked copies work too.
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path: str | Path, expected_magic: int) -> np.ndarray:
    """Read one IDX file into a uint8 array, checking its magic number and its length."""
    path = Path(path)
    with _open(path) as f:
        header = f.read(4)
        if len(header) < 4:
            raise IdxFormatError(f"{path}: file too short for an IDX header")
        (magic,) = struct.unpack(">I", header)
        if magic != expected_magic:
            raise IdxFormatError(f"{path}: magic number {magic}, expected {expected_magic}")
        ndim = magic & 0xFF
        dims_raw = f.read(4 * ndim)
        if len(dims_raw) < 4 * ndim:
            raise IdxFormatError(f"{path}: header ends before its {ndim} dimension sizes")
        shape = struct.unpack(f">{ndim}I", dims_raw)
        count = int(np.prod(shape))
        data = f.read(count)
        if len(data) != count:
            raise IdxFormatError(f"{path}: header promises {count} bytes of data, file has {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def write_idx(path: str | Path, array: np.ndarray, compress: bool = True) -> None:
    """Write a uint8 array as an IDX file (used to build fixtures and by shops with own data)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 | array.ndim
    payload = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(payload)
