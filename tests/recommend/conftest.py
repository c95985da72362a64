"""A small simulated shop for the recommender tests: 400 fake photos, 300 shoppers."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_photos
from vitrine.catalog.idx import write_idx


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    from vitrine.catalog.store import Store
    from vitrine.cli import main
    root = tmp_path_factory.mktemp("shop")
    fm = root / "fmnist"
    fm.mkdir()
    for split, n, seed in (("train", 320, 1), ("t10k", 80, 2)):
        images, labels = tiny_photos(n, seed=seed)
        write_idx(fm / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(fm / f"{split}-labels-idx1-ubyte.gz", labels)
    data = root / "data"
    assert main(["--data-dir", str(data), "-q", "catalog", "build", "--fashion-dir", str(fm)]) == 0
    assert main(["--data-dir", str(data), "-q", "shoppers", "simulate", "--users", "300"]) == 0
    return Store(data)


@pytest.fixture(scope="session")
def log(shop):
    from vitrine.recommend.data import load_log
    return load_log(shop)


@pytest.fixture(scope="session")
def features(shop, log):
    from vitrine.recommend.features import cached_features
    from vitrine.recommend.image_encoder import ImageEncoderConfig
    return cached_features(shop, log.item_ids, ImageEncoderConfig(epochs=1, batch_size=64, width=8, dim=16),
                           progress=False)
