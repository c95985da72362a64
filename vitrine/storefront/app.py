"""The shop as served: the service's API with the storefront's pages on top."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from vitrine.app.settings import Settings, load_settings
from vitrine.service.app import create_app as create_api
from vitrine.storefront import pages, studio
from vitrine.storefront.shop import HERE, Shop


def create_app(settings: Settings) -> FastAPI:
    """The API, then the pages on top: their routes, their static files, what they share."""
    app = create_api(settings)
    app.state.shop = Shop(app.state.vitrine)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(studio.router)
    return app


def app_from_environment() -> FastAPI:
    """The app `vitrine serve --workers N` starts in each worker process (uvicorn's factory): its
    settings come from the environment the parent set ($VITRINE_DATA_DIR and the rest)."""
    return create_app(load_settings(Path(os.environ["VITRINE_DATA_DIR"]), {}))
