"""The FastAPI application: routers over one ServiceState. OpenAPI at /docs and /openapi.json."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from vitrine.catalog import schema
from vitrine.service import errors, events, items, jobs, metrics, recommend
from vitrine.service.settings import ServiceSettings
from vitrine.service.state import ServiceState


@asynccontextmanager
async def lifespan(app: FastAPI):
    """The job workers run while the server does."""
    state = app.state.vitrine
    state.start_workers()
    yield
    state.stop.set()
    state.wake.set()


def create_app(settings: ServiceSettings) -> FastAPI:
    app = FastAPI(title="Vitrine", description="Recommendations and generated product pictures for a shop.",
                  version="0.1", lifespan=lifespan)
    app.state.vitrine = ServiceState(settings)
    errors.install(app)
    metrics.install(app)
    app.include_router(items.router)
    app.include_router(recommend.router)
    app.include_router(events.router)
    app.include_router(jobs.router)

    @app.get("/health", tags=["service"])
    def health(request: Request):
        state = request.app.state.vitrine
        return {"status": "ok", "items": state.store.count(schema.Item),
                "recommender": state.recs is not None, "open_jobs": state.store.open_jobs()}

    return app
