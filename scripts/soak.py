"""Soak: mixed traffic against `vitrine serve` and a `vitrine worker` for a fixed time, with jobs,
refits and the worker killed outright (SIGKILL) and started again; then the store is checked.

Loopback only; it stops by itself after --minutes. Traffic, from --clients threads, each request
drawn at random: a shopper's recommendations (half of all), a filtered item page, an item, its
similar items, an event (a view, cart or purchase; one in five from a new shopper), and now and
then a generation job of one small picture. Two refits are queued (at a third and at two thirds of
the run) and the worker is killed at half time. Reported: requests and answers by status (429 and
503 are the service's own bounds at work; any 5xx else is an error), p50 / p99 per kind, the
server's resident memory at the start and the end, the jobs done and failed (and why), the errors the
server and the worker logged (their output goes to --logs), the first answers of each error kind,
and `vitrine store check` afterwards.

    python scripts/soak.py --data-dir DIR [--minutes 30] [--model DIR] [--clients 8] [--out FILE] [--logs DIR]

The store in DIR is written to (events, jobs, pictures): soak a copy. With --out, the result is
written as JSON and docs/reliability.md's "Soak" section is rewritten from it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.service_speed import free_port, rss_mb  # noqa: E402

TOKEN = "soak-token-soak-token"
WEIGHTS = {"recommendations": 50, "items page": 12, "item": 12, "similar": 8, "event": 16, "generate": 2}
CATEGORIES = ["coat", "dress", "bag", "sneakers", "shirt", "trousers"]


class Soak:
    def __init__(self, args):
        from vitrine.storage.store import Store
        self.args = args
        store = Store(args.data_dir, args.db_url, create=False)
        self.users = store.user_ids()
        self.items = [r.id for r in store.item_rows(("id",))]
        if not self.users or not self.items:
            sys.exit(f"soak: --data-dir {args.data_dir}: the store needs shoppers and items")
        self.common = [sys.executable, "-m", "vitrine", "--data-dir", args.data_dir, "-q"]
        if args.db_url:
            self.common[-1:-1] = ["--db-url", args.db_url]
        self.env = {**os.environ, "VITRINE_TOKEN": TOKEN, "VITRINE_JOB_WORKERS": "0"}
        self.model = ["--model", args.model] if args.model else []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.statuses: Counter = Counter()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.jobs: list[str] = []
        self.samples: dict[str, list[str]] = defaultdict(list)  # the first answers of each error kind
        self.logs = Path(args.logs)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.worker = None

    def log(self, name: str):
        """An output file in --logs (appended to: the worker started again writes after its first life)."""
        return (self.logs / f"{name}.log").open("a")

    def start_worker(self) -> None:
        with self.log("worker") as out:
            self.worker = subprocess.Popen(self.common + ["worker"] + self.model, env=self.env,
                                           stdout=out, stderr=subprocess.STDOUT)

    def start(self):
        for name in ("server", "worker"):
            (self.logs / f"{name}.log").unlink(missing_ok=True)
        with self.log("server") as out:
            server = subprocess.Popen(self.common + ["serve", "--port", str(self.port)] + self.model,
                                      env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 300
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=5).json()["recommender"]:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                sys.exit(f"soak: the server did not start: {(self.logs / 'server.log').read_text()[-1500:]}")
            time.sleep(0.5)
        self.start_worker()
        return server

    def request(self, client: httpx.Client, rng: random.Random) -> None:
        kind = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        user, item = rng.choice(self.users), rng.choice(self.items)
        if kind == "recommendations":
            call = lambda: client.get(f"/users/{user}/recommendations", params={"k": 20})  # noqa: E731
        elif kind == "items page":
            call = lambda: client.get("/items", params={"category": rng.choice(CATEGORIES),  # noqa: E731
                                                        "offset": rng.randrange(0, 200), "limit": 24})
        elif kind == "item":
            call = lambda: client.get(f"/items/{item}")  # noqa: E731
        elif kind == "similar":
            call = lambda: client.get(f"/items/{item}/similar", params={"k": 10})  # noqa: E731
        elif kind == "event":
            who = user if rng.random() < 0.8 else f"soak-new-{rng.randrange(10**6)}"
            body = {"user_id": who, "item_id": item, "event": rng.choice(["view", "view", "view", "cart", "purchase"])}
            call = lambda: client.post("/events", json=body)  # noqa: E731
        else:
            call = lambda: client.post("/generate", json={"prompt": "a red striped dress", "n": 1,  # noqa: E731
                                                          "steps": 2, "seed": rng.randrange(1000)})
        start = time.perf_counter()
        try:
            answer = call()
            status = answer.status_code
        except httpx.HTTPError as exc:
            status = f"transport: {type(exc).__name__}"
            answer, detail = None, f"{kind}: {exc!r}"
        else:
            detail = f"{kind} {answer.request.method} {answer.request.url.path}: {answer.text[:300]}"
        took = time.perf_counter() - start
        with self.lock:
            self.statuses[status] += 1
            if (answer is None or status >= 500 and status != 503) and len(self.samples[str(status)]) < 5:
                self.samples[str(status)].append(detail)
            self.latency[kind].append(took)
            if kind == "generate" and answer is not None and answer.status_code == 202:
                self.jobs.append(answer.json()["url"])

    def traffic(self, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while time.time() < deadline:
                self.request(client, rng)

    def chaos(self, start: float, seconds: float) -> list[str]:
        """Refits at a third and two thirds, the worker killed (and started again) at half time."""
        happened, admin = [], {"Authorization": f"Bearer {TOKEN}"}
        for fraction, act in sorted([(1 / 3, "refit"), (1 / 2, "kill worker"), (2 / 3, "refit")]):
            time.sleep(max(0.0, start + fraction * seconds - time.time()))
            if act == "refit":
                answer = httpx.post(f"{self.base}/admin/fit", json={"epochs": 1}, headers=admin, timeout=30)
                if answer.status_code == 202:
                    self.jobs.append(answer.json()["url"])
                happened.append(f"refit queued ({answer.status_code})")
            else:
                self.worker.send_signal(signal.SIGKILL)
                self.worker.wait()
                self.start_worker()
                happened.append("worker killed (SIGKILL) and started again")
        return happened

    def run(self) -> dict:
        seconds = self.args.minutes * 60
        server = self.start()
        rss_start = rss_mb(server.pid)
        start = time.time()
        threads = [threading.Thread(target=self.traffic, args=(n, start + seconds)) for n in range(self.args.clients)]
        for t in threads:
            t.start()
        events = self.chaos(start, seconds)
        for t in threads:
            t.join()
        rss_end = rss_mb(server.pid)
        jobs, failures = Counter(), Counter()
        deadline = time.time() + self.args.drain
        with httpx.Client(base_url=self.base, timeout=30) as client:
            for url in self.jobs:  # the jobs still open finish (a refit takes a while); lapsed leases are retaken
                while (job := client.get(url).json())["status"] in ("queued", "running") and time.time() < deadline:
                    time.sleep(1)
                jobs[job["status"]] += 1
                if job["status"] == "failed":  # each way a job failed, once, with how often
                    failures[f"{job['kind']}: {job.get('error')}"] += 1
        server.send_signal(signal.SIGINT)
        self.worker.send_signal(signal.SIGINT)
        for process in (server, self.worker):
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        from vitrine.storage.store import Store
        check = Store(self.args.data_dir, self.args.db_url, create=False).check()
        total = sum(self.statuses.values())
        logged = {name: logged_errors(self.logs / f"{name}.log") for name in ("server", "worker")}
        return {
            "minutes": self.args.minutes, "clients": self.args.clients, "requests": total,
            "per_second": total / seconds, "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "errors": sum(v for k, v in self.statuses.items() if not isinstance(k, int) or (k >= 500 and k != 503)),
            "latency_ms": {kind: {"n": len(v), "p50": 1000 * statistics.median(v),
                                  "p99": 1000 * sorted(v)[int(0.99 * (len(v) - 1))]}
                           for kind, v in sorted(self.latency.items())},
            "rss_mb": {"start": rss_start, "end": rss_end}, "jobs": dict(jobs), "job_failures": dict(failures),
            "chaos": events,
            "error_samples": dict(self.samples), "logged_errors": logged, "store_check_problems": check.problems,
        }


def logged_errors(path: Path) -> dict:
    """How many tracebacks a process wrote, and the last line of the first few (the exception)."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    ends = []
    for start, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((later for later in lines[start + 1:] if not later.startswith((" ", "Traceback"))), "")
            ends.append(end)
    return {"tracebacks": len(ends), "first": ends[:5]}


def markdown(result: dict) -> str:
    from vitrine.results import Column, Table
    rows = [{"kind": k, **v} for k, v in result["latency_ms"].items()]
    table = Table([Column("request", "kind", align="left"), Column("n", format="{:,}"),
                   Column("p50 ms", "p50", "{:.1f}"), Column("p99 ms", "p99", "{:.1f}")], rows)
    statuses = ", ".join(f"{k}: {v:,}" for k, v in result["statuses"].items())
    return (f"## Soak\n\n`python scripts/soak.py --minutes {result['minutes']:g} --clients {result['clients']}` on a copy "
            f"of the demo store: {result['requests']:,} requests in {result['minutes']:g} minutes "
            f"({result['per_second']:,.0f}/s, from the same two cores), answers by status {statuses}; "
            f"**{result['errors']} errors** (5xx other than the load-shedding 503, or a broken connection). "
            f"{'; '.join(result['chaos'])}. Jobs afterwards: "
            f"{', '.join(f'{k} {v}' for k, v in result['jobs'].items()) or 'none'}. Server memory "
            f"{result['rss_mb']['start']:,.0f} MB at the start, {result['rss_mb']['end']:,.0f} MB at the end. "
            f"Tracebacks in the logs: server {result['logged_errors']['server']['tracebacks']}, worker "
            f"{result['logged_errors']['worker']['tracebacks']}. "
            f"`vitrine store check` afterwards: {result['store_check_problems']} problems.\n\n{table.markdown()}\n"
            + "".join(f"\n- {status}: {sample}" for status, samples in result["error_samples"].items()
                      for sample in samples)
            + "".join(f"\n- failed job ×{n}: {why}" for why, n in result.get("job_failures", {}).items()))


def write_section(result: dict, doc: Path) -> None:
    """docs/reliability.md with its "## Soak" section (everything from that heading on) replaced."""
    text = doc.read_text() if doc.exists() else ""
    head = text.split("\n## Soak\n")[0].rstrip("\n")
    doc.write_text(head + "\n\n" + markdown(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a store with shoppers and a fitted recommender (a copy)")
    parser.add_argument("--db-url", help="its database, when not the SQLite file in the data dir")
    parser.add_argument("--model", help="the text-to-image model the jobs use (default the shop's, else the shipped)")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8, help="threads sending requests (default 8)")
    parser.add_argument("--drain", type=float, default=600, help="seconds the open jobs may take to finish after")
    parser.add_argument("--out", help="write the result here (JSON) and --doc's Soak section")
    parser.add_argument("--logs", default="soak-logs", help="the server's and the worker's output (default soak-logs/)")
    parser.add_argument("--doc", default=str(REPO / "docs" / "reliability.md"), help="default docs/reliability.md")
    args = parser.parse_args()
    if not 0 < args.minutes <= 240 or not 1 <= args.clients <= 64:
        sys.exit("soak: --minutes must be in (0, 240] and --clients in [1, 64]")
    result = Soak(args).run()
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        write_section(result, Path(args.doc))
        print(f"→ {args.out}, {args.doc}")
    logged = sum(process["tracebacks"] for process in result["logged_errors"].values())
    sys.exit(1 if result["errors"] or logged or result["store_check_problems"] or result["job_failures"] else 0)


if __name__ == "__main__":
    main()
