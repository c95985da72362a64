"""Slow and stalled clients against a real server (uvicorn on loopback): bodies that never finish
are cut off after body_timeout_s without taking the in-flight bound from other requests, and a
body past its route's bound is refused as it arrives, with or without a declared length."""

import time

import httpx
import pytest

from scripts.reliability_service import stalled, status_of
from vitrine.app.settings import Settings
from vitrine.storefront.app import create_app

from ..live import live_server


@pytest.fixture(scope="module")
def server(shop, recommender_dir, tmp_path_factory):
    import shutil
    data = tmp_path_factory.mktemp("slow") / "data"
    shutil.copytree(shop.data_dir, data)
    app = create_app(Settings(data, recommender=recommender_dir, max_inflight=2, body_timeout_s=1,
                              max_upload_bytes=50_000))
    with live_server(app) as port:
        yield port


def test_stalled_bodies_hold_no_slot_and_are_cut_off(server):
    clients = [stalled(server) for _ in range(8)]  # four times the in-flight bound
    time.sleep(0.2)
    start = time.perf_counter()
    for _ in range(5):
        assert httpx.get(f"http://127.0.0.1:{server}/health", timeout=5).status_code == 200  # not 503
    assert time.perf_counter() - start < 2
    assert [status_of(c) for c in clients] == [408] * 8  # each cut off after body_timeout_s
    for c in clients:
        c.close()


def test_a_body_past_its_bound_is_refused_as_it_arrives(server):
    url = f"http://127.0.0.1:{server}"

    def endless():  # a chunked body with no declared length, far past the 64 KiB bound of /events
        for _ in range(1000):
            yield b"x" * 4096
    assert httpx.post(f"{url}/events", content=endless(), timeout=10).status_code == 413
    declared = httpx.post(f"{url}/events", content=b"x" * 70_000, timeout=10)
    assert declared.status_code == 413 and "65,536" in declared.json()["error"]
    form = httpx.post(f"{url}/shop/tryon", data={"item_id": "fm-00001"},
                      files={"picture": ("big.png", b"\x89PNG" + b"0" * 200_000, "image/png")}, timeout=10)
    assert form.status_code == 413  # the upload bound (50,000 bytes + the form's fields), before any parsing
    small = httpx.post(f"{url}/events", json={"user_id": "u-00003", "item_id": "fm-00001", "event": "view"})
    assert small.status_code == 201
