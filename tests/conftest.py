"""Fixtures the tests build themselves: tiny IDX files, a tiny catalog and a small store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitrine.catalog.fashion import FashionMNIST
from vitrine.catalog.idx import write_idx
from vitrine.paths import REPO


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


def tiny_fashion_dir(folder: Path, train: int, test: int) -> Path:
    """A folder laid out like the Debian package: the four IDX files of `train` + `test` tiny_photos."""
    folder.mkdir(parents=True)
    for split, n, seed in (("train", train, 1), ("t10k", test, 2)):
        images, labels = tiny_photos(n, seed=seed)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture
def fmnist_dir(tmp_path):
    """A Fashion-MNIST folder with 30 train and 10 test images."""
    return tiny_fashion_dir(tmp_path / "fmnist", train=30, test=10)


@pytest.fixture
def tiny_fm() -> FashionMNIST:
    images, labels = tiny_photos(200)
    return FashionMNIST(images, labels, np.array(["train"] * 150 + ["test"] * 50))


@pytest.fixture
def store(tmp_path):
    from vitrine.storage.store import Store
    return Store(tmp_path / "data")


@pytest.fixture
def seeded_store(tmp_path):
    """A store that already holds an item, a user and an event, to check nothing of it is lost."""
    from vitrine.storage import schema
    from vitrine.catalog.importers.base import event_row, item_row, user_row
    from vitrine.storage.store import Store

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
    from vitrine.storage.store import Store
    from vitrine.cli import main
    root = tmp_path_factory.mktemp("shop")
    data = root / "data"
    fm = tiny_fashion_dir(root / "fmnist", train=320, test=80)
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
def tiny_distilled_dir(tiny_pipeline_dir, tmp_path_factory):
    """The tiny pipeline as an untrained distilled model, saved as `vitrine distill` saves one: its
    U-Net with a guidance input, sampled by LCM, guidance range 1–6."""
    from diffusers import UNet2DConditionModel

    from vitrine.diffusion.consistency import GUIDANCE_DIM
    from vitrine.diffusion.distill import lcm_scheduler
    from vitrine.diffusion.pipeline import VitrinePipeline, load_pipeline
    teacher = load_pipeline(tiny_pipeline_dir, sampler=None)
    unet = UNet2DConditionModel.from_config({**teacher.unet.config, "time_cond_proj_dim": GUIDANCE_DIM})
    pipe = VitrinePipeline(unet, lcm_scheduler(teacher.scheduler, 20, pixels=True), guidance_range=(1.0, 6.0))
    return pipe.save(tmp_path_factory.mktemp("distilled"))


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


# ---- PostgreSQL: the store, API and job-queue tests run on it too when a server is given ----------
# $VITRINE_TEST_PG_URL names a server the tests may create databases on (scripts/postgres-temp.sh
# starts a throwaway one; .ci/run does). Without it those variants skip, unless
# $VITRINE_REQUIRE_PG is set (CI sets it), when they fail instead.
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_url() -> str:
    import os
    url = os.environ.get("VITRINE_TEST_PG_URL")
    if not url:
        if os.environ.get("VITRINE_REQUIRE_PG"):
            pytest.fail("$VITRINE_REQUIRE_PG is set but $VITRINE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL variant: set $VITRINE_TEST_PG_URL (scripts/postgres-temp.sh start DIR)")
    return url


def new_pg_database(template: str | None = None) -> str:
    """A new, empty (or templated) database on the test server; returns its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    admin = make_url(_pg_admin_url())
    name = f"vt_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if template:  # a template must have no other sessions while it is copied
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :t AND pid <> pg_backend_pid()"), {"t": template})
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        else:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str | None:
    """None (a SQLite file in the data dir) or the URL of a fresh PostgreSQL database."""
    return None if request.param == "sqlite" else new_pg_database()


@pytest.fixture(scope="session")
def pg_shop(tmp_path_factory, shop):
    """The small shop built again, the same way, with its database on PostgreSQL: (data dir, database name)."""
    from sqlalchemy.engine import make_url

    from vitrine.cli import main
    url = new_pg_database()
    data = tmp_path_factory.mktemp("pgshop") / "data"
    fm = shop.data_dir.parent / "fmnist"
    assert main(["--data-dir", str(data), "--db-url", url, "-q", "catalog", "build", "--fashion-dir", str(fm)]) == 0
    assert main(["--data-dir", str(data), "--db-url", url, "-q", "shoppers", "simulate", "--users", "300"]) == 0
    return data, make_url(url).database


class ShopCopy:
    """A writable copy of the small shop: its data dir, and its database URL (None: SQLite inside)."""

    def __init__(self, data, url):
        self.data, self.url = data, url

    def store(self):
        from vitrine.storage.store import Store
        return Store(self.data, self.url, create=False)


def copy_shop(backend: str, shop, tmp_path, request) -> ShopCopy:
    import shutil
    if backend == "sqlite":
        shutil.copytree(shop.data_dir, tmp_path / "data")
        return ShopCopy(tmp_path / "data", None)
    data, database = request.getfixturevalue("pg_shop")
    shutil.copytree(data, tmp_path / "data")
    return ShopCopy(tmp_path / "data", new_pg_database(template=database))


@pytest.fixture(params=BACKENDS)
def shop_copy(request, shop, tmp_path) -> ShopCopy:
    """The small shop, copied for one test, on SQLite and on PostgreSQL."""
    return copy_shop(request.param, shop, tmp_path, request)


@pytest.fixture(scope="session")
def tryon_shop(shop, tmp_path_factory):
    """A copy of the small shop with 60 drawn people and a try-on model trained a few steps through
    the verbs a user runs, with the shipped segmenter: (data dir, model folder)."""
    import shutil

    from vitrine.cli import main
    root = tmp_path_factory.mktemp("tryon")
    data = root / "data"
    shutil.copytree(shop.data_dir, data)
    run = root / "run"
    assert main(["--data-dir", str(data), "-q", "catalog", "people", "-n", "60", "--seed", "1"]) == 0
    assert main(["--data-dir", str(data), "-q", "train", "--preset", "tryon-quick", "--steps", "6",
                 "--out", str(run)]) == 0
    model = run / "pipeline"
    # the shipped segmenter (tests/tryon/test_segment.py trains one through the verb)
    shutil.copytree(REPO / "models" / "vitrine-tryon" / "segmenter", model / "segmenter")
    return data, model


@pytest.fixture
def imported_shop(shop, tmp_path):
    """imported_shop(items) → (Store, data dir): the small shop's first `items` items exported in the
    generic layout, some photos swapped for odd kinds the importer accepts (CMYK JPEG, 16-bit
    greyscale, a wide one), imported into a store of its own — an outside shop's path."""
    from PIL import Image

    from vitrine.cli import main
    from vitrine.storage.store import Store

    def make(items: int):
        export, data = tmp_path / "export", tmp_path / "mine"
        assert main(["--data-dir", str(shop.data_dir), "-q", "catalog", "export", str(export), "--items", str(items)]) == 0
        photos = sorted((export / "images").iterdir())
        Image.open(photos[0]).convert("CMYK").save(photos[0].with_suffix(".jpg"))
        Image.fromarray((np.asarray(Image.open(photos[1]).convert("L"), np.uint16) * 257)).save(photos[1])
        Image.open(photos[2]).convert("RGB").resize((400, 90)).save(photos[2])
        photos[0].unlink()
        assert main(["--data-dir", str(data), "-q", "import", "generic", str(export)]) == 0
        return Store(data, create=False), data
    return make
