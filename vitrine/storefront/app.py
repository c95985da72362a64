"""The shop as served: the service's API with the storefront's pages on top."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from vitrine.service.app import create_app as create_api
from vitrine.app.settings import Settings, load_settings
from vitrine.storefront import pages


def create_app(settings: Settings) -> FastAPI:
    app = create_api(settings)
    pages.install(app)
    return app


def app_from_environment() -> FastAPI:
    """The app `vitrine serve --workers N` starts in each worker process (uvicorn's factory): its
    settings come from the environment the parent set ($VITRINE_DATA_DIR and the rest)."""
    return create_app(load_settings(Path(os.environ["VITRINE_DATA_DIR"]), {}))
