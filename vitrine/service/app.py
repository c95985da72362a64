"""The FastAPI application: routers over one ServiceState. OpenAPI at /docs and /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI, Request

from vitrine.catalog import schema
from vitrine.service import errors, events, items, recommend
from vitrine.service.settings import ServiceSettings
from vitrine.service.state import ServiceState


def create_app(settings: ServiceSettings) -> FastAPI:
    app = FastAPI(title="Vitrine", description="Recommendations and generated product pictures for a shop.",
                  version="0.1")
    app.state.vitrine = ServiceState(settings)
    errors.install(app)
    app.include_router(items.router)
    app.include_router(recommend.router)
    app.include_router(events.router)

    @app.get("/health", tags=["service"])
    def health(request: Request):
        state = request.app.state.vitrine
        return {"status": "ok", "items": state.store.count(schema.Item),
                "recommender": state.recs is not None}

    return app
