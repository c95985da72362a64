"""Generation jobs: queued in the store, worked by a background thread with a tiny pipeline,
bounded (429 + Retry-After), and requeued when a service stops mid-job. On a copy of the shop."""

import time

import pytest
from fastapi.testclient import TestClient

from vitrine.catalog.store import Store
from vitrine.service.app import create_app
from vitrine.service.settings import ServiceSettings


def _client(data, tiny_pipeline_dir, **settings) -> TestClient:
    """Without `with`, the lifespan does not run, so no worker takes the jobs."""
    return TestClient(create_app(ServiceSettings(data, recommender=data / "none", model=tiny_pipeline_dir, **settings)))


def test_a_job_runs_in_the_background_and_its_pictures_are_served(data, tiny_pipeline_dir):
    with _client(data, tiny_pipeline_dir) as client:  # the context runs the lifespan: the workers start
        queued = client.post("/generate", json={"prompt": "a red striped dress", "n": 2, "steps": 2})
        assert queued.status_code == 202
        url = queued.json()["url"]
        deadline = time.time() + 60
        while (body := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.1)
        assert body["status"] == "done" and len(body["images"]) == 2 and body["error"] is None
        assert all(client.get(u).status_code == 200 for u in body["images"])
    store = Store(data, create=False)
    assert len(store.generated_images()) == 2 and store.check().problems == 0


def test_the_queue_is_bounded_in_all_and_per_client(data, tiny_pipeline_dir):
    client = _client(data, tiny_pipeline_dir, max_queue=3, max_jobs_per_client=2)
    ask = {"prompt": "a hat", "n": 1}
    assert [client.post("/generate", json=ask).status_code for _ in range(3)] == [202, 202, 429]
    full = client.post("/generate", json=ask)
    assert full.headers["retry-after"] == "5" and "per client" in full.json()["error"]
    assert client.get("/health").json()["open_jobs"] == 2


def test_jobs_left_running_go_back_to_the_queue_on_start(data, tiny_pipeline_dir):
    client = _client(data, tiny_pipeline_dir)
    job = client.post("/generate", json={"prompt": "a hat", "n": 1}).json()["job"]
    store = Store(data, create=False)
    assert store.claim_job().id == job and store.job(job).status == "running"
    _client(data, tiny_pipeline_dir)  # a restart
    assert store.job(job).status == "queued"


@pytest.mark.parametrize("body,needle", [({"prompt": ""}, "prompt"), ({"prompt": "x", "n": 9}, "n"),
                                         ({"prompt": "x", "steps": 0}, "steps"), ({"n": 2}, "prompt")])
def test_bad_generation_requests(data, tiny_pipeline_dir, body, needle):
    response = _client(data, tiny_pipeline_dir).post("/generate", json=body)
    assert response.status_code == 422 and needle in response.json()["error"]


def test_an_unknown_job_is_404(data, tiny_pipeline_dir):
    assert _client(data, tiny_pipeline_dir).get("/jobs/nope").status_code == 404


def test_designs_for_a_shopper_come_as_a_job_with_prompts_scores_and_stock(data, tiny_pipeline_dir, recommender_dir):
    settings = ServiceSettings(data, recommender=recommender_dir, model=tiny_pipeline_dir)
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
    stored = Store(data, create=False).generated_images()
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
    app = create_app(ServiceSettings(data, recommender=data / "none", model=tiny_pipeline_dir, max_inflight=2))

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
