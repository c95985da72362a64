"""Prometheus metrics: requests by route and status, their latency, the generation queue's depth.

Each app has its own registry (tests and several apps in one process do not share counters).
Routes are labelled by their template ("/items/{item_id}"), never by the raw path, so the number
of series stays bounded whatever clients send.
"""

from __future__ import annotations

import re
import time

from fastapi import FastAPI, Request

from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.routing import Mount

from vitrine.service.asgi import asgi_middleware


def _mounted(app: FastAPI, path: str) -> str:
    """A static file's label: the folder it is mounted at ("/static/{path}"); else "unmatched"."""
    for route in app.routes:
        if isinstance(route, Mount) and path.startswith(route.path + "/"):
            return route.path + "/{path}"
    return "unmatched"


CONVERTOR = re.compile(r":\w+}")


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter("vitrine_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("vitrine_request_seconds", "HTTP request latency", ["route"], registry=registry,
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    queue = Gauge("vitrine_open_jobs", "generation jobs queued or running", registry=registry)

    async def measure(scope, receive, send, call):
        """Pure ASGI (no BaseHTTPMiddleware, which costs a task and a copy per request)."""
        if scope["type"] != "http":
            return await call(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await call(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or _mounted(app, scope["path"])
            route = CONVERTOR.sub("}", route)  # /items/{item_id:path} counts as /items/{item_id}
            requests.labels(scope["method"], route, str(status[0])).inc()
            latency.labels(route).observe(time.perf_counter() - start)

    app.add_middleware(asgi_middleware(measure))

    @app.get("/metrics", tags=["service"], response_class=Response)
    def metrics(request: Request):
        """Prometheus text format."""
        queue.set(request.app.state.vitrine.store.open_jobs())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
