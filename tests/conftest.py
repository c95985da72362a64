"""Fixtures the tests build themselves: tiny IDX files, a tiny catalog and a small store."""

from __future__ import annotations

import numpy as np
import pytest

from vitrine.catalog.fashion import FashionMNIST
from vitrine.catalog.idx import write_idx


def tiny_photos(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n fake 28×28 'garments': a bright filled rectangle with a darker print on a black background."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for i in range(n):
        top, left = rng.integers(2, 8, size=2)
        bottom, right = rng.integers(20, 26, size=2)
        images[i, top:bottom, left:right] = rng.integers(120, 255)
        images[i, top + 4:top + 7, left + 3:left + 6] = 20  # a dark print inside the garment
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


@pytest.fixture
def fmnist_dir(tmp_path):
    """A folder laid out like the Debian package, with 30 train and 10 test images."""
    folder = tmp_path / "fmnist"
    folder.mkdir()
    train_x, train_y = tiny_photos(30, seed=1)
    test_x, test_y = tiny_photos(10, seed=2)
    write_idx(folder / "train-images-idx3-ubyte.gz", train_x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", train_y)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", test_x)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test_y)
    return folder


@pytest.fixture
def tiny_fm() -> FashionMNIST:
    images, labels = tiny_photos(200)
    return FashionMNIST(images, labels, np.array(["train"] * 150 + ["test"] * 50))


@pytest.fixture
def store(tmp_path):
    from vitrine.catalog.store import Store
    return Store(tmp_path / "data")


@pytest.fixture
def seeded_store(tmp_path):
    """A store that already holds an item, a user and an event, to check nothing of it is lost."""
    from vitrine.catalog import schema
    from vitrine.catalog.importers.base import event_row, item_row, user_row
    from vitrine.catalog.store import Store

    from .catalog.importers.conftest import jpeg_bytes
    store = Store(tmp_path / "seeded")
    with store.loading() as load:
        load.insert(schema.Item, [item_row("keep-1", "Kept item", "test", price=9.5)])
        load.insert(schema.User, [user_row("keeper")])
        load.insert(schema.Interaction, [event_row("keeper", "keep-1", "view", 1_700_000_000_000)])
        stored = load.images.put(jpeg_bytes((10, 200, 10)))
        load.attach_images([("keep-1", stored, 0)])
    return store


# A small simulated shop for the recommender and studio tests: 400 fake photos, 300 shoppers.
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


@pytest.fixture(scope="session")
def tiny_pipeline_dir(tmp_path_factory):
    """An untrained tiny text-to-image pipeline saved as `vitrine train` saves one."""
    import torch

    from vitrine.diffusion.config import TrainConfig
    from vitrine.diffusion.models import build_unet
    from vitrine.diffusion.pipeline import VitrinePipeline
    from vitrine.diffusion.train import make_noise_scheduler
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("pipeline")
    VitrinePipeline(build_unet("tiny"), make_noise_scheduler(TrainConfig(schedule="cosine"))).save(folder)
    return folder


@pytest.fixture(scope="session")
def recommender_dir(log, features, tmp_path_factory):
    """A multimodal recommender fitted for one epoch on the small shop, saved."""
    import torch

    from vitrine.recommend.data import make_fold
    from vitrine.recommend.multimodal import Multimodal, MultimodalConfig
    folder = tmp_path_factory.mktemp("rec")
    torch.manual_seed(0)
    Multimodal(features, MultimodalConfig(dim=8, epochs=1, batch_size=64, cf_factors=4)).fit(
        make_fold(log, "all")).save(folder, log.user_ids, log.item_ids)
    return folder


@pytest.fixture
def data(shop, tmp_path):
    """A copy of the small shop's data dir, for tests that write (the shared shop stays as it was)."""
    import shutil
    shutil.copytree(shop.data_dir, tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def wait_for_job():
    """poll(client, url, seconds=90): the job's JSON once it is done or failed (or the time is up)."""
    import time

    def poll(client, url: str, seconds: float = 90) -> dict:
        deadline = time.time() + seconds
        while (body := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.1)
        return body
    return poll
