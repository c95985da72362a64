"""Prometheus metrics: requests by route and status, their latency, the generation queue's depth.

Each app has its own registry (tests and several apps in one process do not share counters).
Routes are labelled by their template ("/items/{item_id}"), never by the raw path, so the number
of series stays bounded whatever clients send.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


def install(app: FastAPI) -> None:
    registry = CollectorRegistry()
    requests = Counter("vitrine_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("vitrine_request_seconds", "HTTP request latency", ["route"], registry=registry,
                        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    queue = Gauge("vitrine_open_jobs", "generation jobs queued or running", registry=registry)

    @app.middleware("http")
    async def measure(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        requests.labels(request.method, template, str(response.status_code)).inc()
        latency.labels(template).observe(time.perf_counter() - start)
        return response

    @app.get("/metrics", tags=["service"], response_class=Response)
    def metrics(request: Request):
        """Prometheus text format."""
        queue.set(request.app.state.vitrine.store.open_jobs())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
