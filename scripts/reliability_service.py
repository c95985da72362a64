"""The service's reliability classes, tried against real `vitrine serve` processes on loopback.

A small shop is built (400 catalog photos, 300 simulated shoppers, a one-epoch fit), and three
server processes run over its one store, their output in log files:
- A: `max_inflight = 2`, `body_timeout_s = 1`, uploads of at most 50,000 bytes and 1,000,000
  pixels, 4 generations a minute per client, no job workers;
- B: one job worker (it works every job queued on the store);
- C: a second API process on the same store, no job workers.

Each try is judged as scripts/reliability.py judges a command:
- handled:    the answers are the documented ones (status and the field named)
- unclear:    a wrong status or an answer that does not say what is wrong
- traceback:  a 5xx other than load shedding's 503, or a traceback in a server's log
- corrupted:  an event lost or stored twice, or `vitrine store check` finds a problem

    python scripts/reliability.py --part service
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx

from bench.service_speed import free_port

REPO = Path(__file__).resolve().parent.parent
TOKEN = "reliability-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SHOP_ITEMS, SHOP_USERS = 400, 300
# IDs a shop may use: a slash, an escaped slash, quotes, emoji, Cyrillic, separators, spaces, dots
ODD_IDS = ["a/b", "a%2Fb", "quo\"te's", "🙂", "Кофта-7", "x|y;z", "with space", "../up", "100%", "#hash?q=1"]


def png(width: int, height: int, colour=(180, 40, 40)) -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def build_shop(data: Path) -> None:
    """The small shop every server serves, with its recommender fitted."""
    from vitrine.cli import main
    common = ["--data-dir", str(data), "-q"]
    with contextlib.redirect_stdout(io.StringIO()):
        for argv in (["catalog", "build", "--limit", str(SHOP_ITEMS)], ["shoppers", "simulate", "--users", str(SHOP_USERS)],
                     ["fit", "--epochs", "1", "--dim", "16"]):
            if main(common + argv) != 0:
                raise SystemExit(f"reliability: building the service's shop failed at `vitrine {' '.join(argv)}`")


class Server:
    """One `vitrine serve` process over the shop, its output in LOGS/serve-NAME.log."""

    def __init__(self, name: str, data: Path, logs: Path, **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = logs / f"serve-{name}.log"
        env = {**os.environ, "VITRINE_TOKEN": TOKEN, **{f"VITRINE_{k.upper()}": str(v) for k, v in settings.items()}}
        with self.log.open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "vitrine", "--data-dir", str(data), "-q", "serve",
                                             "--port", str(self.port)], env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 180) -> None:
        deadline = time.time() + seconds
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            if time.time() > deadline or self.process.poll() is not None:
                raise SystemExit(f"reliability: a server did not start: {self.log.read_text()[-1500:]}")
            time.sleep(0.3)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Probe:
    """The servers, a client that notes every server error, and the judge of one try."""

    def __init__(self, data: Path, logs: Path):
        self.data = data
        self.a = Server("a", data, logs, max_inflight=2, body_timeout_s=1, max_upload_bytes=50_000,
                        max_upload_pixels=1_000_000, generations_per_minute=4, job_workers=0)
        self.b = Server("b", data, logs, job_workers=1)
        self.c = Server("c", data, logs, job_workers=0)
        self.servers = (self.a, self.b, self.c)
        for server in self.servers:
            server.wait_ready()
        self.server_errors: list[str] = []
        self.client = self.session()

    def session(self) -> httpx.Client:
        """A client (its own cookies) whose every server error is noted."""
        return httpx.Client(timeout=30, event_hooks={"response": [self._note]})

    def _note(self, response: httpx.Response) -> None:
        if response.status_code >= 500 and response.status_code != 503:
            self.server_errors.append(f"{response.status_code} on {response.request.method} {response.request.url.path}")

    def judge(self, attempt: Callable[[], tuple[bool, str]]) -> tuple[str, str]:
        from vitrine.storage.store import Store
        before, errors = [s.tracebacks() for s in self.servers], len(self.server_errors)
        try:
            ok, detail = attempt()
        except (httpx.HTTPError, OSError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        if len(self.server_errors) > errors or [s.tracebacks() for s in self.servers] != before:
            return "traceback", "; ".join(self.server_errors[errors:]) or "a traceback in a server's log"
        if detail.startswith("lost:") or Store(self.data, create=False).check().problems:
            return "corrupted", detail
        return ("handled" if ok else "unclear"), detail

    def close(self) -> None:
        self.client.close()
        for server in self.servers:
            server.stop()


def answered(response: httpx.Response, status: int, says: str = "") -> tuple[bool, str]:
    """Did the answer have this status (and, when given, an error that says this)?"""
    text = response.text[:200]
    return response.status_code == status and says in text, f"{response.status_code}: {text}"


def stalled(port: int) -> socket.socket:
    """A client that declares a 100-byte body, sends one byte of it and stops."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{")
    return s


def status_of(s: socket.socket, seconds: float = 5) -> int:
    s.settimeout(seconds)
    with contextlib.closing(s):
        return int(s.recv(200).decode("latin-1").split()[1])


# ---- the classes: each case is (description, a try returning (as documented?, detail)) ----

def slow_clients(p: Probe) -> list[tuple[str, Callable]]:
    a = p.a

    def stalled_bodies():
        clients = [stalled(a.port) for _ in range(8)]  # four times A's in-flight bound
        time.sleep(0.2)
        start = time.perf_counter()
        healthy = [p.client.get(f"{a.url}/health").status_code for _ in range(5)]
        took = time.perf_counter() - start
        cut = [status_of(c) for c in clients]
        return healthy == [200] * 5 and took < 2 and cut == [408] * 8, f"health {healthy} in {took:.2f} s; stalled {cut}"

    def endless():
        for _ in range(1000):
            yield b"x" * 4096

    photo = png(2000, 1000)  # 2 MP of one colour: few bytes, many pixels
    return [
        ("8 stalled bodies against max_inflight 2: /health answers, each cut off with 408", stalled_bodies),
        ("a chunked body far past the 64 KiB bound", lambda: answered(p.client.post(f"{a.url}/events", content=endless()), 413)),
        ("a declared 70,000-byte event body", lambda: answered(p.client.post(f"{a.url}/events", content=b"x" * 70_000),
                                                                 413, "65,536")),
        ("a 200,000-byte form upload to try-on (bound 50,000)", lambda: answered(p.client.post(
            f"{a.url}/shop/tryon", data={"item_id": "fm-00001"},
            files={"picture": ("big.png", b"\x89PNG" + b"0" * 200_000, "image/png")}), 413)),
        ("a 2-megapixel photo upload (bound 1,000,000 pixels)", lambda: answered(p.client.put(
            f"{a.url}/admin/items/fm-00001/photo", content=photo, headers=ADMIN), 413, "max_upload_pixels")),
    ]


def responsive_during(p: Probe, job_url: str, server: Server) -> tuple[bool, str]:
    """/health and an event post through `server` answer within 200 ms, as long as the job runs."""
    worst, tries, deadline = 0.0, 0, time.time() + 300
    while p.client.get(f"{server.url}{job_url}").json()["status"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.1)
        start = time.perf_counter()
        health = p.client.get(f"{server.url}/health").status_code
        event = p.client.post(f"{server.url}/events", json={"user_id": "u-00003", "item_id": "fm-00002",
                                                             "event": "view"}).status_code
        worst, tries = max(worst, time.perf_counter() - start), tries + 1
        if (health, event) != (200, 201):
            return False, f"health {health}, event {event} while the job ran"
    status = p.client.get(f"{server.url}{job_url}").json()["status"]
    return status == "done" and tries > 0 and worst < 0.4, \
        f"{tries} pairs while it ran, the slowest pair {1000 * worst:.0f} ms; the job {status}"


def long_jobs(p: Probe) -> list[tuple[str, Callable]]:
    b = p.b

    def previews():
        for n in range(60):
            p.client.post(f"{b.url}/admin/items", headers=ADMIN, json={"id": f"nophoto-{n}", "title": f"Wool scarf {n}",
                                                                        "category": "bag", "colour": "red"})
        job = p.client.post(f"{b.url}/admin/previews", headers=ADMIN, json={"limit": 60, "n": 1, "steps": 4})
        return responsive_during(p, job.json()["url"], b) if job.status_code == 202 else answered(job, 202)

    def refit():
        job = p.client.post(f"{b.url}/admin/fit", headers=ADMIN, json={"epochs": 1, "dim": 16})
        return responsive_during(p, job.json()["url"], b) if job.status_code == 202 else answered(job, 202)

    return [("previews for 60 items: health and an event post each answer while it runs", previews),
            ("a refit: health and an event post each answer while it runs", refit)]


def processes(p: Probe) -> list[tuple[str, Callable]]:
    from vitrine.storage.store import Store

    def first_events(round_: int) -> tuple[bool, str]:
        from vitrine.storage.schema import Interaction
        before = Store(p.data, create=False).count(Interaction)
        posts = [(server, {"user_id": f"new-{round_}-{n % 20}", "item_id": f"fm-{n % 50 + 1:05d}", "event": "view"})
                 for n in range(200) for server in ((p.b, p.c)[n % 2],)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda job: p.client.post(f"{job[0].url}/events", json=job[1]).status_code, posts))
        after = Store(p.data, create=False).count(Interaction)
        if after != before + 200:
            return False, f"lost: {before + 200 - after} of 200 events missing (or doubled)"
        return statuses == [201] * 200, f"statuses {sorted(set(statuses))}, 200 events stored"

    def two_refits():
        jobs = [p.client.post(f"{server.url}/admin/fit", headers=ADMIN, json={"epochs": 1, "dim": 16})
                for server in (p.b, p.c)]
        if [j.status_code for j in jobs] != [202, 202]:
            return False, f"refits answered {[j.status_code for j in jobs]}"
        deadline = time.time() + 300
        while any(p.client.get(f"{p.b.url}{j.json()['url']}").json()["status"] in ("queued", "running") for j in jobs):
            if time.time() > deadline:
                return False, "the refits did not finish in 5 minutes"
            time.sleep(0.5)
        for _ in range(60):  # each process loads the announced fit (in a thread) on its next recommendation
            for server in (p.b, p.c):
                p.client.get(f"{server.url}/users/u-00003/recommendations")
            fits = {p.client.get(f"{server.url}/health").json()["fit"] for server in (p.b, p.c)}
            if len(fits) == 1:
                break
            time.sleep(0.5)
        done = [p.client.get(f"{p.b.url}{j.json()['url']}").json()["status"] for j in jobs]
        return done == ["done", "done"] and len(fits) == 1, f"refits {done}; processes serve fits {fits}"

    return [("200 first events of 20 new shoppers through two processes at once", lambda: first_events(1)),
            ("the same again, other new shoppers", lambda: first_events(2)),
            ("two refits at once through two processes; both serve the last", two_refits)]


def unicode_ids(p: Probe) -> list[tuple[str, Callable]]:
    b = p.b

    def every_route(odd: str) -> tuple[bool, str]:
        path = quote(odd, safe="")
        added = p.client.post(f"{b.url}/admin/items", headers=ADMIN, json={"id": odd, "title": "Odd item", "category": "bag"})
        event = p.client.post(f"{b.url}/events", json={"user_id": odd, "item_id": odd, "event": "purchase"})
        item = p.client.get(f"{b.url}/items/{path}")
        recs = p.client.get(f"{b.url}/users/{path}/recommendations", params={"k": 5})
        page = p.client.get(f"{b.url}/shop/item/{path}")
        with p.session() as shopper:  # its own cookie jar
            picked = shopper.get(f"{b.url}/shop/as", params={"user": odd}, follow_redirects=False)
            home = shopper.get(f"{b.url}/")
        statuses = [added.status_code, event.status_code, item.status_code, recs.status_code, page.status_code,
                    picked.status_code, home.status_code]
        ok = statuses == [201, 201, 200, 200, 200, 303, 200] and item.json().get("id") == odd
        return ok, f"{odd!r}: add, event, item, recommendations, page, pick, home {statuses}"

    return [(f"the ID {odd!r} in every route, page and cookie", lambda odd=odd: every_route(odd)) for odd in ODD_IDS]


def cross_site_and_headers(p: Probe) -> list[tuple[str, Callable]]:
    a = p.a
    event = {"user_id": "u-00003", "item_id": "fm-00001", "event": "view"}

    def security_headers():
        headers = p.client.get(f"{a.url}/").headers
        wanted = {"x-frame-options": "DENY", "x-content-type-options": "nosniff"}
        ok = all(headers.get(k) == v for k, v in wanted.items()) and "frame-ancestors 'none'" in headers.get(
            "content-security-policy", "")
        return ok, str({k: headers.get(k) for k in (*wanted, "content-security-policy")})

    def forwarded_for():
        """Generations from one address claiming to be six: A's 4 a minute per client still hold."""
        statuses = [p.client.post(f"{a.url}/generate", headers={"X-Forwarded-For": f"10.0.0.{n}"},
                                  json={"prompt": "a red dress", "n": 1, "seed": n}).status_code for n in range(6)]
        return statuses == [202] * 4 + [429] * 2, f"statuses {statuses}"

    return [
        ("an event posted from another site's page", lambda: answered(p.client.post(
            f"{a.url}/events", json=event, headers={"Origin": "https://evil.example"}), 403)),
        ("the storefront's launch form posted from another site", lambda: answered(p.client.post(
            f"{a.url}/shop/launch", data={"description": "a hat", "token": TOKEN},
            headers={"Referer": "https://evil.example/page"}), 403)),
        ("frame, sniffing and content policy headers on a page", security_headers),
        ("X-Forwarded-For from a client that is no configured proxy", forwarded_for),
        ("the admin token in the query string", lambda: answered(p.client.post(
            f"{a.url}/admin/fit?token={TOKEN}", json={}), 401, "Authorization")),
    ]


def small_ones(p: Probe) -> list[tuple[str, Callable]]:
    a = p.a

    def head():
        answers = [p.client.head(f"{a.url}{path}") for path in ("/items", "/items/fm-00001", "/", "/health")]
        return all(r.status_code == 200 and not r.content for r in answers), str([r.status_code for r in answers])

    def event(**fields):
        return p.client.post(f"{a.url}/events", json={"user_id": "u-00003", "item_id": "fm-00001", "event": "view",
                                                       **fields})
    return [
        ("HEAD wherever GET answers", head),
        ("an event time as a string", lambda: answered(event(ts="yesterday"), 422, "ts: ")),
        ("an event time past the year 9999", lambda: answered(event(ts=10**15), 422, "ts: ")),
        ("an unknown event type", lambda: answered(event(event="teleport"), 422, "unknown event type 'teleport'")),
        ("a blank prompt", lambda: answered(p.client.post(f"{a.url}/generate", json={"prompt": " \t "}), 422, "prompt: ")),
        ("a blank launch description", lambda: answered(p.client.post(
            f"{a.url}/admin/launch", headers=ADMIN, json={"description": "  "}), 422, "description: ")),
    ]


CLASSES = {
    "service: slow or stalled clients, oversized bodies and pictures": slow_clients,
    "service: long jobs while requests come in": long_jobs,
    "service: two API processes on one store": processes,
    "service: Unicode IDs in every route, page and cookie": unicode_ids,
    "service: cross-site requests, headers, forwarded addresses, token": cross_site_and_headers,
    "service: timestamps, event types, blank prompts, HEAD": small_ones,
}


def run(root: Path, results, samples) -> None:
    """Every class's tries, tallied into `results[class][outcome]` (and `samples` for the others)."""
    data, logs = root / "service-shop", root / "service-logs"
    logs.mkdir(parents=True, exist_ok=True)
    build_shop(data)
    probe = Probe(data, logs)
    try:
        for klass, cases in CLASSES.items():
            for description, attempt in cases(probe):
                outcome, detail = probe.judge(attempt)
                results[klass][outcome] += 1
                if outcome != "handled":
                    samples[klass].append(f"{description}: {outcome}: {detail}")
    finally:
        probe.close()
