"""The service under load on loopback: `vitrine serve` over the demo shop (`make demo`) as its own
process, driven by wrk (Debian's `wrk`, a C load generator, so the client costs little of the two
cores) and by a small Python client for the end-to-end timings.

    python bench/service_speed.py [--data-dir vitrine-data] [--seconds 10] [--runs 3]

Measures, side by side in one run:
- recommendations (GET /users/{id}/recommendations?k=20, a random warm shopper per request):
  req/s and p50 / p99 latency at 1, 16 and 64 connections (median of --runs runs of --seconds),
  served from the cache once every shopper's entry is in it;
- the ceiling: the same route answering a precomputed response of the same shape on the same
  stack (bench/ceiling_app.py), what one process serves when a request does no work;
- the same for item detail and a filtered item page, for scale;
- event → updated recommendation: POST a purchase of the shopper's top item, then GET their
  recommendations until it is gone (median of 50 shoppers);
- a generation job of 4 pictures (20 and 10 steps) from POST to done, on an idle service with
  the pipeline loaded (median of 5 each);
- the server's resident memory before and after 100,000 mixed requests.
Writes bench/results/service_speed.json and docs/bench-service.md. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
USERS_LUA = """
math.randomseed(%d)
local users = {%s}
request = function()
  return wrk.format("GET", "/users/" .. users[math.random(#users)] .. "/recommendations?k=20")
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wrk(url: str, connections: int, seconds: float, script: str | None = None) -> dict:
    """req/s and latency percentiles (ms) from one wrk run."""
    command = ["wrk", "-t", "1" if connections < 4 else "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
               "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}

    def latency(label: str) -> float:
        value, suffix = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * unit[suffix]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": latency("50"),
            "p99_ms": latency("99"), "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "non_2xx": int(errors.group(1)) if errors else 0}


def median_runs(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")} | \
        {"runs": runs, "non_2xx": sum(r["non_2xx"] for r in runs)}


def start_server(data_dir: str, workers: int, checkout: str | None = None, extra: tuple[str, ...] = ()):
    """`vitrine serve` on a free loopback port, once its recommender is loaded: (process, URL, client).
    With `checkout`, the vitrine package of that folder runs instead of the installed one; `extra`:
    more flags of `vitrine serve`."""
    port = free_port()
    env = {**os.environ, **({"PYTHONPATH": checkout} if checkout else {}), "VITRINE_TOKEN": "bench-token-bench-token", "VITRINE_MAX_INFLIGHT": "1024",
           "VITRINE_GENERATIONS_PER_MINUTE": "1000"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "vitrine"), "--data-dir", data_dir, "-q", "serve",
                               "--port", str(port), "--workers", str(workers), *extra],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=60)
    deadline = time.time() + 180
    while True:
        try:
            if client.get("/health").json()["recommender"]:
                break
        except httpx.TransportError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise SystemExit(f"the server did not start: {server.stderr.read().decode()[-2000:]}")
        time.sleep(0.5)
    if workers > 1:
        time.sleep(15)  # the other processes load their recommender too
    return server, base, client


def start_ceiling(body: bytes, work: Path):
    """bench/ceiling_app.py under uvicorn on a free loopback port: (process, URL)."""
    port = free_port()
    (work / "ceiling.json").write_bytes(body)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.ceiling_app:app", "--port", str(port),
                               "--log-level", "warning"], cwd=REPO,
                              env={**os.environ, "VITRINE_CEILING_BODY": str(work / "ceiling.json")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(base + "/users/x/recommendations").status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise SystemExit(f"the ceiling server did not start: {server.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)


def wait_for_cache(store, shoppers: int) -> None:
    """Until every shopper's recommendations are cached: a server whose fit has none yet caches
    them in the background (which would compete with the load for the cores)."""
    deadline = time.time() + 900
    while (cached := store.cached_count()) < shoppers:
        if time.time() > deadline:
            raise SystemExit(f"the server cached {cached:,} of {shoppers:,} shoppers' recommendations in 15 minutes")
        time.sleep(2)


def stop_server(server) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()


def report(row: dict) -> None:
    print(f"{row['endpoint']:45s} c={row['connections']:3d}  {row['rps']:7.1f} req/s  p50 {row['p50_ms']:6.1f} ms  "
          f"p99 {row['p99_ms']:6.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="vitrine-data", help="the demo store, with a fitted recommender")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per row; the table gives medians (default 3)")
    parser.add_argument("--memory-requests", type=int, default=100_000, help="requests of the memory check")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "service_speed.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("service_speed: wrk is not installed (apt-get install wrk)")
    from vitrine.storage.store import Store
    store = Store(args.data_dir, create=False)
    everyone = store.user_ids()
    shoppers = len(everyone)
    users = random.Random(0).sample(everyone, 2000)
    work = Path(tempfile.mkdtemp(prefix="vitrine-bench-"))
    script = work / "users.lua"
    script.write_text(USERS_LUA % (0, ",".join(f'"{u}"' for u in users)))
    result = {"seconds_per_run": args.seconds, "runs": args.runs, "cpus": os.cpu_count(), "rows": []}
    # Two server processes first, for recommendations only; then one, for everything.
    server, base, client = start_server(args.data_dir, 2)
    try:
        wait_for_cache(store, shoppers)
        wrk(base + "/", 4, 3, str(script))
        for connections in (1, 16, 64):
            runs = [wrk(base + "/", connections, args.seconds, str(script)) for _ in range(args.runs)]
            result["rows"].append({"endpoint": "recommendations (k=20), 2 server processes",
                                   "connections": connections, **median_runs(runs)})
            report(result["rows"][-1])
    finally:
        stop_server(server)
    server, base, client = start_server(args.data_dir, 1)
    try:
        wait_for_cache(store, shoppers)
        wrk(base + "/", 4, 3, str(script))  # warm-up: the item cards, the page cache
        ceiling, ceiling_base = start_ceiling(client.get(f"/users/{users[0]}/recommendations",
                                                         params={"k": 20}).content, work)
        try:
            wrk(ceiling_base + "/", 4, 3, str(script))
            for connections in (1, 16, 64):
                runs = [wrk(ceiling_base + "/", connections, args.seconds, str(script)) for _ in range(args.runs)]
                row = {"endpoint": "ceiling: the same response precomputed, same stack", "connections": connections,
                       **median_runs(runs)}
                result["rows"].append(row)
                report(row)
        finally:
            stop_server(ceiling)
        endpoints = [("recommendations (k=20)", base + "/", str(script)),
                     ("item detail", base + "/items/fm-00042", None),
                     ("items, 3 filters, 24 per page", base + "/items?category=coat&category=dress&colour=red"
                      "&max_price=80&limit=24", None)]
        for label, url, lua in endpoints:
            for connections in (1, 16, 64):
                runs = [wrk(url, connections, args.seconds, lua) for _ in range(args.runs)]
                row = {"endpoint": label, "connections": connections, **median_runs(runs)}
                result["rows"].append(row)
                report(row)

        # Event → updated recommendation.
        lags = []
        for user in users[:50]:
            top = client.get(f"/users/{user}/recommendations", params={"k": 20}).json()["items"][0]["id"]
            start = time.perf_counter()
            posted = client.post("/events", json={"user_id": user, "item_id": top, "event": "purchase"})
            assert posted.status_code == 201
            while top in {i["id"] for i in client.get(f"/users/{user}/recommendations",
                                                       params={"k": 20}).json()["items"]}:
                pass
            lags.append((time.perf_counter() - start) * 1000)
        result["event_to_recommendation_ms"] = {"median": statistics.median(lags), "max": max(lags), "n": len(lags)}
        print(f"event → updated recommendation: median {statistics.median(lags):.1f} ms, max {max(lags):.1f} ms")

        # Generation jobs of 4 pictures on an idle service (the first loads the pipeline).
        def job_seconds(seed: int, steps: int) -> float:
            start = time.perf_counter()
            url = client.post("/generate", json={"prompt": "a red striped dress", "n": 4, "steps": steps,
                                                 "seed": seed}).json()["url"]
            while (body := client.get(url).json())["status"] in ("queued", "running"):
                time.sleep(0.01)
            assert body["status"] == "done", body
            return time.perf_counter() - start
        first = job_seconds(0, 20)
        result["generation_job_4_images_s"] = {"first_s": first}
        for steps in (20, 10):
            jobs = [job_seconds(k, steps) for k in range(1, 6)]
            result["generation_job_4_images_s"][f"steps_{steps}"] = {"median": statistics.median(jobs), "times": jobs}
            print(f"4-picture job, {steps} steps: median {statistics.median(jobs):.2f} s", flush=True)
        print(f"(the first job, loading the pipeline: {first:.1f} s)")

        # Memory over 100k mixed requests.
        memory = [(0, rss_mb(server.pid))]
        mixed = work / "mixed.lua"
        mixed.write_text(MIXED_LUA % ",".join(f'"{u}"' for u in users))
        sent = 0
        while sent < args.memory_requests:
            sent += wrk(base + "/", 16, 10, str(mixed))["requests"]
            memory.append((sent, rss_mb(server.pid)))
            print(f"  after {sent:,} requests: {memory[-1][1]:.0f} MB", flush=True)
        result["memory_mb"] = memory
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    from bench.tables import service_table
    (REPO / "docs" / "bench-service.md").write_text(service_table(result))
    print(f"→ {args.out}, docs/bench-service.md")


MIXED_LUA = """
local users = {%s}
local n = 0
request = function()
  n = n + 1
  local u = users[math.random(#users)]
  local k = n %% 4
  if k == 0 then return wrk.format("GET", "/users/" .. u .. "/recommendations?k=20&per_category=3") end
  if k == 1 then return wrk.format("GET", "/items?category=coat&limit=24&offset=" .. (n %% 50) * 24) end
  if k == 2 then return wrk.format("GET", "/items/fm-" .. string.format("%%05d", n %% 70000) .. "/similar?k=10") end
  return wrk.format("GET", "/items/fm-" .. string.format("%%05d", n %% 70000))
end
"""

if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
