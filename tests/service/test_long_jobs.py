"""A long job holds neither the store's write lock nor the request threads for its length: while a
previews job draws pictures for 1,000 items, the health check and an event post keep answering
(a real server; the job commits a batch at a time and draws outside any transaction). On SQLite
and on PostgreSQL."""

import statistics
import time

import httpx

from vitrine.app.settings import Settings
from vitrine.catalog.importers.base import item_row
from vitrine.storage import schema
from vitrine.storefront.app import create_app

from ..live import live_server

TOKEN = "j" * 24


def test_requests_answer_while_a_previews_job_of_1000_items_runs(shop_copy, recommender_dir, tiny_pipeline_dir):
    with shop_copy.store().loading() as load:
        load.insert(schema.Item, [item_row(f"new-{n:04d}", f"a red striped dress no. {n}", "service",
                                           category="dress", colour="red", pattern="striped") for n in range(1000)])
    app = create_app(Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, model=tiny_pipeline_dir,
                              token=TOKEN))
    with live_server(app) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        job = client.post("/admin/previews", json={"limit": 1000, "n": 1, "steps": 2},
                          headers={"Authorization": f"Bearer {TOKEN}"}).json()["url"]
        waits, n = [], 0
        while client.get(job).json()["status"] in ("queued", "running"):
            start = time.perf_counter()
            assert client.get("/health").status_code == 200
            assert client.post("/events", json={"user_id": "u-00003", "item_id": "fm-00001",
                                                "event": "view"}).status_code == 201
            waits.append((time.perf_counter() - start) / 2)
            n += 1
            time.sleep(0.05)
        done = client.get(job).json()
        assert done["status"] == "done" and done["result"]["items"] == 1000, done
    assert n >= 5, "the job ended before the requests could be timed"
    # every answer came while pictures were being drawn and stored: none waited for the job
    assert statistics.median(waits) < 0.2 and max(waits) < 2.0, (statistics.median(waits), max(waits))
