"""Two API processes and one job worker over one PostgreSQL store on loopback, as docs/deploy.md
runs them: an event posted to one process counts in the other's next recommendations, and a job
queued on one process (which only enqueues) is worked by the worker and read from the other."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow  # server and worker processes


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def deployment(request, shop, tmp_path, recommender_dir, tiny_pipeline_dir):
    from tests.conftest import copy_shop
    pg = copy_shop("postgresql", shop, tmp_path, request)
    env = {**os.environ, "VITRINE_JOB_WORKERS": "0", "VITRINE_TOKEN": "a-token-of-sixteen-chars"}
    common = [sys.executable, "-m", "vitrine", "--data-dir", str(pg.data), "--db-url", pg.url, "-q"]
    ports = [_port(), _port()]
    processes = [subprocess.Popen(common + ["serve", "--port", str(port), "--recommender", str(recommender_dir),
                                            "--model", str(tiny_pipeline_dir)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for port in ports]
    processes.append(subprocess.Popen(common + ["worker", "--model", str(tiny_pipeline_dir), "--recommender",
                                                str(recommender_dir)], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.time() + 120
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.time() < deadline and all(p.poll() is None for p in processes), \
                    [p.stderr.read()[-1500:] for p in processes if p.poll() is not None]
                time.sleep(0.3)
        yield urls
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_two_api_processes_and_a_worker_share_one_store(deployment):
    first, second = deployment
    user = "u-00007"
    top = httpx.get(f"{second}/users/{user}/recommendations", params={"k": 10}).json()["items"]
    bought = top[0]["id"]
    posted = httpx.post(f"{first}/events", json={"user_id": user, "item_id": bought, "event": "purchase"})
    assert posted.status_code == 201
    after = httpx.get(f"{second}/users/{user}/recommendations", params={"k": 10}).json()["items"]
    assert bought not in [i["id"] for i in after]  # the purchase posted to the first process counts in the second

    queued = httpx.post(f"{first}/generate", json={"prompt": "a red striped dress", "n": 1, "steps": 2})
    assert queued.status_code == 202
    url = f"{second}{queued.json()['url']}"
    deadline = time.time() + 120
    while (job := httpx.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.2)
    assert job["status"] == "done" and job["error"] is None
    assert httpx.get(f"{second}{job['images'][0]}").status_code == 200
