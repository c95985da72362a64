import gzip
import struct

import numpy as np
import pytest

from vitrine.catalog import fashion
from vitrine.catalog.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxFormatError, read_idx, write_idx


def test_round_trip_gzipped_and_plain(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for compress in (True, False):
        path = tmp_path / f"x{compress}.idx"
        write_idx(path, array, compress=compress)
        assert np.array_equal(read_idx(path, IMAGES_MAGIC), array)


def test_header_is_big_endian_with_the_documented_magic(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
    raw = gzip.decompress(path.read_bytes())
    assert struct.unpack(">II", raw[:8]) == (LABELS_MAGIC, 3)
    assert raw[8:] == bytes([3, 1, 4])


def test_wrong_magic_and_truncation_are_named(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.zeros(5, dtype=np.uint8))
    with pytest.raises(IdxFormatError, match="magic number 2049, expected 2051"):
        read_idx(path, IMAGES_MAGIC)
    short = tmp_path / "short"
    short.write_bytes(struct.pack(">II", LABELS_MAGIC, 10) + b"\x00" * 3)
    with pytest.raises(IdxFormatError, match="promises 10 bytes"):
        read_idx(short, LABELS_MAGIC)


def test_load_concatenates_train_then_test(fmnist_dir):
    fm = fashion.load(fmnist_dir)
    assert fm.images.shape == (40, 28, 28)
    assert list(fm.origin[:30]) == ["train"] * 30 and list(fm.origin[30:]) == ["test"] * 10


def test_search_order_env_first(fmnist_dir, monkeypatch):
    monkeypatch.setenv("VITRINE_FASHION_MNIST", str(fmnist_dir))
    assert fashion.find_dataset_dir() == fmnist_dir


def test_missing_dataset_explains_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("VITRINE_FASHION_MNIST", str(tmp_path))
    monkeypatch.setattr(fashion, "DEBIAN_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        fashion.find_dataset_dir()


@pytest.mark.realdata
def test_real_fashion_mnist_if_installed():
    try:
        folder = fashion.find_dataset_dir()
    except FileNotFoundError:
        pytest.skip("Fashion-MNIST not installed")
    fm = fashion.load(folder)
    assert fm.images.shape == (70000, 28, 28)
    assert np.bincount(fm.labels).tolist() == [7000] * 10
