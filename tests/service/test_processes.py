"""Two API processes and one job worker over one store on loopback (PostgreSQL, as docs/deploy.md
runs them, and SQLite): an event posted to one process counts in the other's next recommendations,
a job queued on one process (which only enqueues) is worked by the worker and read from the other,
and concurrent first events, photo updates, job claims and refits through both lose nothing,
count nothing twice and answer no 500."""

import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.live import free_port

pytestmark = pytest.mark.slow  # server and worker processes


TOKEN = "a-token-of-sixteen-chars"
http = httpx.Client(timeout=60)  # what these check is what each process sees, not how fast (bench/ times it)


@pytest.fixture(params=BACKENDS)
def deployment(request, shop, tmp_path, recommender_dir, tiny_pipeline_dir):
    from tests.conftest import copy_shop
    copy = copy_shop(request.param, shop, tmp_path, request)
    shutil.copytree(recommender_dir, copy.data / "models" / "recommender")  # the shop's own: refits replace it
    env = {**os.environ, "VITRINE_JOB_WORKERS": "0", "VITRINE_TOKEN": TOKEN, "VITRINE_MAX_JOBS_PER_CLIENT": "16",
           "VITRINE_MAX_QUEUE": "32"}
    common = [sys.executable, "-m", "vitrine", "--data-dir", str(copy.data), "-q"]
    if copy.url:
        common[-1:-1] = ["--db-url", copy.url]
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"serve-{port}.log" for port in ports] + [tmp_path / "worker.log"]
    commands = [["serve", "--port", str(port)] for port in ports] + [["worker"]]
    processes = [subprocess.Popen(common + verb + ["--model", str(tiny_pipeline_dir)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=log.open("w")) for verb, log in zip(commands, logs)]
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
                    [log.read_text()[-1500:] for p, log in zip(processes, logs) if p.poll() is not None]
                time.sleep(0.3)
        yield urls, copy
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_two_api_processes_and_a_worker_share_one_store(deployment):
    (first, second), _ = deployment
    user = "u-00007"
    top = http.get(f"{second}/users/{user}/recommendations", params={"k": 10}).json()["items"]
    bought = top[0]["id"]
    posted = http.post(f"{first}/events", json={"user_id": user, "item_id": bought, "event": "purchase"})
    assert posted.status_code == 201
    after = http.get(f"{second}/users/{user}/recommendations", params={"k": 10}).json()["items"]
    assert bought not in [i["id"] for i in after]  # the purchase posted to the first process counts in the second

    queued = http.post(f"{first}/generate", json={"prompt": "a red striped dress", "n": 1, "steps": 2})
    assert queued.status_code == 202
    url = f"{second}{queued.json()['url']}"
    deadline = time.time() + 120
    while (job := http.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.2)
    assert job["status"] == "done" and job["error"] is None
    assert http.get(f"{second}{job['images'][0]}").status_code == 200


def test_concurrent_writes_through_two_processes_lose_and_double_nothing(deployment):
    from concurrent.futures import ThreadPoolExecutor

    from tests.service.test_admin import png_bytes
    urls, copy = deployment
    admin = {"Authorization": f"Bearer {TOKEN}"}
    # 20 new shoppers' first events, 10 each, sent at once by 8 threads through both processes
    sends = [(urls[n // 20 % 2], f"new-shopper-{n % 20}", f"fm-{n % 37:05d}") for n in range(200)]  # each via both
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda s: httpx.post(f"{s[0]}/events", json={"user_id": s[1], "item_id": s[2],
                                                                           "event": "view"}, timeout=60).status_code,
                              sends))
        # the same item's photo replaced through both at once, and jobs queued through both
        photos = list(pool.map(lambda n: httpx.put(f"{urls[n % 2]}/admin/items/fm-00005/photo", timeout=60,
                                                   content=png_bytes((n * 20, 40, 90)), headers=admin).status_code,
                               range(8)))
        jobs = list(pool.map(lambda n: httpx.post(f"{urls[n % 2]}/generate", timeout=60,
                                                  json={"prompt": f"a red dress {n}", "n": 1, "steps": 2}),
                             range(6)))
        fits = list(pool.map(lambda url: httpx.post(f"{url}/admin/fit", json={"epochs": 1, "dim": 8}, timeout=60,
                                                    headers=admin), urls))
    assert codes == [201] * 200 and photos == [200] * 8
    assert all(j.status_code == 202 for j in jobs)
    assert [f.status_code for f in fits] == [202, 202]  # queued through both, worked one after the other
    deadline = time.time() + 240
    for url in [f"{urls[0]}{j.json()['url']}" for j in jobs] + [f"{urls[0]}{f.json()['url']}" for f in fits
                                                                  if f.status_code == 202]:
        while (job := httpx.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.2)
        assert job["status"] == "done", job
    store = copy.store()
    counts = store.events_by_user([f"new-shopper-{n}" for n in range(20)])
    assert counts == {f"new-shopper-{n}": 10 for n in range(20)}  # none lost, none twice
    assert len(store.item_pictures(["fm-00005"])) == 1 and store.check().problems == 0
    served = store.get_meta("served_fit")["id"]  # the worker's last refit, announced to the API processes
    for url in urls:  # each loads it on its next request, and serves the new shoppers as fitted ones
        deadline = time.time() + 60
        while httpx.get(f"{url}/health").json()["fit"] != served and time.time() < deadline:
            assert httpx.get(f"{url}/users/new-shopper-3/recommendations").status_code == 200
            time.sleep(0.5)
        assert httpx.get(f"{url}/health").json()["fit"] == served
