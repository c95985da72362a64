"""The FastAPI application: routers over one AppContext (vitrine.app). OpenAPI at /docs and
/openapi.json. (The storefront's pages are added on top by vitrine.storefront.app.)"""

from __future__ import annotations

import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse

from vitrine.app.context import AppContext
from vitrine.app.settings import Settings
from vitrine.app.worker import start_workers, stop_workers
from vitrine.paths import model_source
from vitrine.storage import schema
from vitrine.service import admin, errors, events, guard, items, jobs, metrics, recommend, tryon
from vitrine.service.asgi import asgi_middleware

SHED_RETRY_AFTER_S = 1
FAVICON = Path(__file__).parent / "favicon.png"
REQUEST_THREADS = 4


@asynccontextmanager
async def lifespan(app: FastAPI):
    """The job workers run while the server does. Requests run in a small thread pool: the work is
    Python and numpy under one GIL, so more threads only wait for it and thrash (measured in
    bench/service_speed.py)."""
    import anyio.to_thread
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    ctx = app.state.vitrine
    start_workers(ctx)
    _warm_cache_if_cold(ctx)
    yield
    stop_workers(ctx)  # not joined: the threads are daemons, and a job in hand does not hold the shutdown


def _warm_cache_if_cold(ctx) -> None:
    """A fit served for the first time (fitted elsewhere, or before the cache) has its shoppers'
    recommendations cached in the background; until then a request computes its own entry."""
    import threading

    from vitrine.app.served import warm
    recs = ctx.recs
    if recs is None or ctx.store.cached_count(ctx.fit_id) >= len(recs.user_ids):
        return
    def run():
        try:
            warm(ctx, progress=False)
        except Exception as exc:  # requests compute their own entries meanwhile; say why once
            print(f"vitrine: caching recommendations stopped: {exc}", file=sys.stderr)
    threading.Thread(target=run, name="vitrine-warm-cache", daemon=True).start()


def _shed_load(app: FastAPI, limit: int) -> None:
    """Past `limit` requests in flight, answer 503 with Retry-After at once instead of queueing
    without bound (the server keeps answering what it has taken)."""
    in_flight = [0]  # one event loop per process: no lock needed between awaits
    busy = json.dumps({"error": "the service is overloaded; retry shortly"}).encode()

    async def shed(scope, receive, send, call):
        if scope["type"] != "http":
            return await call(scope, receive, send)
        if in_flight[0] >= limit:
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"retry-after", str(SHED_RETRY_AFTER_S).encode()),
                                    (b"content-length", str(len(busy)).encode())]})
            await send({"type": "http.response.body", "body": busy})
            return
        in_flight[0] += 1
        try:
            await call(scope, receive, send)
        finally:
            in_flight[0] -= 1

    app.add_middleware(asgi_middleware(shed))


def create_app(settings: Settings) -> FastAPI:
    from fastapi_offline import FastAPIOffline
    # Swagger UI (/docs) and ReDoc (/redoc) from the package's own copies: they work offline
    app = FastAPIOffline(title="Vitrine", description="Recommendations and generated product pictures for a shop. "
                         "Admin routes need the service's token as a bearer token.", version="0.1", lifespan=lifespan,
                         favicon_url="/favicon.ico")
    app.state.vitrine = AppContext(settings)
    app.state.vitrine.open_job_queue()
    errors.install(app)
    _shed_load(app, settings.max_inflight)
    guard.install(app, settings)
    metrics.install(app)  # added last, so outermost: shed requests are counted too
    if settings.cors_origins:  # off unless origins are configured
        from fastapi.middleware.cors import CORSMiddleware
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"])
    # recommend before items: /items/{id}/similar is matched before /items/{id} (IDs may hold "/")
    for router in (recommend.router, items.router, events.router, jobs.router, tryon.router, admin.router):
        app.include_router(router)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return FileResponse(FAVICON, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/health", tags=["service"])
    def health(request: Request):
        state = request.app.state.vitrine
        return {"status": "ok", "items": state.store.count(schema.Item),
                "recommender": state.recs is not None, "fit": state.fit_id or None, "open_jobs": state.store.open_jobs(),
                "generator": model_source(state.settings.model, state.store.data_dir)}

    return app
