"""Generation jobs: queued in the store, worked by a background thread with a tiny pipeline,
bounded (429 + Retry-After), and requeued when a service stops mid-job. On a copy of the shop."""

import time

import pytest
from fastapi.testclient import TestClient

from vitrine.storage.store import Store
from vitrine.service.app import create_app
from vitrine.app.settings import Settings


def _client(data, tiny_pipeline_dir, db_url=None, **settings) -> TestClient:
    """Without `with`, the lifespan does not run, so no worker takes the jobs."""
    return TestClient(create_app(Settings(data, db_url, recommender=data / "none", model=tiny_pipeline_dir,
                                                 **settings)))


def test_a_job_runs_in_the_background_and_its_pictures_are_served(shop_copy, tiny_pipeline_dir):
    # the context runs the lifespan: the workers start
    with _client(shop_copy.data, tiny_pipeline_dir, shop_copy.url) as client:
        queued = client.post("/generate", json={"prompt": "a red striped dress", "n": 2, "steps": 2})
        assert queued.status_code == 202
        url = queued.json()["url"]
        deadline = time.time() + 60
        while (body := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.1)
        assert body["status"] == "done" and len(body["images"]) == 2 and body["error"] is None
        assert all(client.get(u).status_code == 200 for u in body["images"])
    store = shop_copy.store()
    assert len(store.generated_images()) == 2 and store.check().problems == 0


def test_the_queue_is_bounded_in_all_and_per_client(shop_copy, tiny_pipeline_dir):
    client = _client(shop_copy.data, tiny_pipeline_dir, shop_copy.url, max_queue=3, max_jobs_per_client=2)
    ask = {"prompt": "a hat", "n": 1}
    assert [client.post("/generate", json=ask).status_code for _ in range(3)] == [202, 202, 429]
    full = client.post("/generate", json=ask)
    assert full.headers["retry-after"] == "5" and "per client" in full.json()["error"]
    assert client.get("/health").json()["open_jobs"] == 2


def test_a_restart_requeues_lapsed_jobs_and_leaves_held_ones(shop_copy, tiny_pipeline_dir):
    client = _client(shop_copy.data, tiny_pipeline_dir, shop_copy.url)
    lapsed = client.post("/generate", json={"prompt": "a hat", "n": 1}).json()["job"]
    held = client.post("/generate", json={"prompt": "a cap", "n": 1}).json()["job"]
    store = shop_copy.store()
    now = int(time.time() * 1000)
    # two minutes ago: one worker took a job for a minute (and died), another for four minutes
    assert store.claim_job("dead", now - 120_000, 60_000).id == lapsed
    assert store.claim_job("alive", now - 120_000, 240_000).id == held
    _client(shop_copy.data, tiny_pipeline_dir, shop_copy.url)  # a restart
    assert store.job(lapsed).status == "queued" and store.job(held).status == "running"


def test_a_lapsed_lease_lets_another_worker_take_the_job_and_only_it_finishes(shop_copy):
    store = shop_copy.store()
    store.add_job("j", "generate", {"prompt": "x"}, "test", 0)
    assert store.claim_job("a", 1_000, 500).worker == "a"
    assert store.claim_job("b", 1_400, 500) is None           # a's lease holds until 1,500
    assert store.renew_lease("j", "a", 1_400, 500)            # … and a renews it to 1,900
    assert store.claim_job("b", 1_800, 500) is None
    assert not store.renew_lease("j", "b", 1_800, 500)        # b holds nothing to renew
    assert store.claim_job("b", 2_000, 500).worker == "b"     # a stopped renewing: b takes it
    assert not store.renew_lease("j", "a", 2_100, 500)        # a learns it lost the job
    assert not store.finish_job("j", 2_200, result={"images": []}, worker="a")
    assert store.job("j").status == "running"
    assert store.finish_job("j", 2_300, result={"images": ["x"]}, worker="b")
    row = store.job("j")
    assert row.status == "done" and row.result == {"images": ["x"]} and row.lease_until is None
    assert store.claim_job("c", 10_000, 500) is None          # done jobs are never taken again


@pytest.mark.parametrize("body,needle", [({"prompt": ""}, "prompt"), ({"prompt": "x", "n": 9}, "n"),
                                         ({"prompt": "x", "steps": 0}, "steps"), ({"n": 2}, "prompt")])
def test_bad_generation_requests(data, tiny_pipeline_dir, body, needle):
    response = _client(data, tiny_pipeline_dir).post("/generate", json=body)
    assert response.status_code == 422 and needle in response.json()["error"]


def test_an_unknown_job_is_404(data, tiny_pipeline_dir):
    assert _client(data, tiny_pipeline_dir).get("/jobs/nope").status_code == 404


def test_designs_for_a_shopper_come_as_a_job_with_prompts_scores_and_stock(shop_copy, tiny_pipeline_dir,
                                                                           recommender_dir):
    settings = Settings(shop_copy.data, shop_copy.url, recommender=recommender_dir, model=tiny_pipeline_dir)
    with TestClient(create_app(settings)) as client:
        assert client.post("/users/nobody/designs", json={}).status_code == 404
        assert client.post("/users/u-00003/designs", json={"n": 17}).status_code == 422
        url = client.post("/users/u-00003/designs", json={"n": 3}).json()["url"]
        deadline = time.time() + 90
        while (body := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.1)
        assert body["status"] == "done" and body["kind"] == "design" and len(body["designs"]) == 3
        for design in body["designs"]:
            assert design["prompt"] and design["nearest"] and client.get(design["image"]).status_code == 200
    stored = shop_copy.store().generated_images()
    assert len(stored) == 3 and {g.user_id for g in stored} == {"u-00003"}


def test_generation_posts_are_rate_limited_per_client(data, tiny_pipeline_dir):
    client = _client(data, tiny_pipeline_dir, generations_per_minute=2)
    ask = {"prompt": "a hat", "n": 1}
    statuses = [client.post("/generate", json=ask).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    assert "per minute" in client.post("/generate", json=ask).json()["error"]


def test_past_the_in_flight_bound_requests_are_shed_with_503(data, tiny_pipeline_dir):
    import asyncio

    import httpx
    app = create_app(Settings(data, recommender=data / "none", model=tiny_pipeline_dir, max_inflight=2))

    @app.get("/test-slow")
    async def slow():
        await asyncio.sleep(0.3)
        return {}

    async def burst():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return await asyncio.gather(*(client.get("/test-slow") for _ in range(5)))

    answers = asyncio.run(burst())
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200, 503, 503, 503]
    shed = next(a for a in answers if a.status_code == 503)
    assert shed.headers["retry-after"] == "1" and "overloaded" in shed.json()["error"]


def test_workers_racing_for_jobs_each_claim_a_different_one(shop_copy):
    """Eight threads claim from twenty queued jobs at once: every job is taken exactly once."""
    import threading
    store = shop_copy.store()
    for k in range(20):
        store.add_job(f"job-{k:02d}", "generate", {"prompt": "x"}, "test", k)
    taken: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def worker():
        own = Store(shop_copy.data, shop_copy.url, create=False)  # its own engine, as another process has
        try:
            while (job := own.claim_job()) is not None:
                with lock:
                    taken.append(job.id)
        except Exception as exc:  # e.g. "database is locked": a claim must wait, not fail
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sorted(taken) == [f"job-{k:02d}" for k in range(20)]
