"""The FastAPI application: routers over one ServiceState. OpenAPI at /docs and /openapi.json;
the storefront at /."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from vitrine.catalog import schema
from vitrine.service import admin, errors, events, items, jobs, metrics, recommend
from vitrine.service.settings import ServiceSettings
from vitrine.service.state import ServiceState

SHED_RETRY_AFTER_S = 1


@asynccontextmanager
async def lifespan(app: FastAPI):
    """The job workers run while the server does."""
    state = app.state.vitrine
    state.start_workers()
    yield
    state.stop.set()
    state.wake.set()


def _shed_load(app: FastAPI, limit: int) -> None:
    """Past `limit` requests in flight, answer 503 with Retry-After at once instead of queueing
    without bound (the server keeps answering what it has taken)."""
    in_flight = {"n": 0}  # one event loop per process: no lock needed between awaits

    @app.middleware("http")
    async def shed(request: Request, call_next):
        if in_flight["n"] >= limit:
            return JSONResponse({"error": "the service is overloaded; retry shortly"}, status_code=503,
                                headers={"Retry-After": str(SHED_RETRY_AFTER_S)})
        in_flight["n"] += 1
        try:
            return await call_next(request)
        finally:
            in_flight["n"] -= 1


def create_app(settings: ServiceSettings) -> FastAPI:
    from vitrine.storefront import pages
    app = FastAPI(title="Vitrine", description="Recommendations and generated product pictures for a shop. "
                  "Admin routes need the service's token as a bearer token.", version="0.1", lifespan=lifespan)
    app.state.vitrine = ServiceState(settings)
    errors.install(app)
    metrics.install(app)
    _shed_load(app, settings.max_inflight)
    if settings.cors_origins:  # off unless origins are configured
        from fastapi.middleware.cors import CORSMiddleware
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"])
    for router in (items.router, recommend.router, events.router, jobs.router, admin.router):
        app.include_router(router)
    pages.install(app)

    @app.get("/health", tags=["service"])
    def health(request: Request):
        state = request.app.state.vitrine
        return {"status": "ok", "items": state.store.count(schema.Item),
                "recommender": state.recs is not None, "open_jobs": state.store.open_jobs()}

    return app


def app_from_environment() -> FastAPI:
    """The app `vitrine serve --workers N` starts in each worker process (uvicorn's factory): its
    settings come from the environment the parent set ($VITRINE_DATA_DIR and the rest)."""
    from pathlib import Path

    from vitrine.service.settings import load_settings
    return create_app(load_settings(Path(os.environ["VITRINE_DATA_DIR"]), {}))
