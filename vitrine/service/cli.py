"""`vitrine serve`: the HTTP API over the store and the fitted recommender (uvicorn)."""

from __future__ import annotations

from pathlib import Path

from vitrine.command import UsageError, count, open_store


def cmd_serve(args) -> int:
    import uvicorn

    from vitrine.service.app import create_app
    from vitrine.service.settings import ServiceSettings
    store = open_store(args)  # a missing or unreadable store is one line here, not a failed server
    settings = ServiceSettings(store.data_dir, args.db_url, Path(args.model_dir) if args.model_dir else None,
                               args.index)
    try:
        app = create_app(settings)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--recommender {settings.recommender_dir}: {exc}") from None
    print(f"serving {settings.data_dir} on http://{args.host}:{args.port}/ (API docs at /docs); Ctrl-C stops")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return 0


def register(verbs, common) -> None:
    p = verbs.add("serve", cmd_serve, "the HTTP API: items, pictures, recommendations, similar items "
                  "(OpenAPI at /docs)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=count(1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--recommender", dest="model_dir", help="fitted recommender (default DATA_DIR/models/recommender)")
    p.add_argument("--index", default="exact", choices=["exact", "hnsw"], help="FAISS index of the recommender")
