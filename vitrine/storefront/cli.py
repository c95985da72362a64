"""`vitrine serve`: the storefront and the HTTP API over the store, the fitted recommender and the
diffusion pipeline (uvicorn)."""

from __future__ import annotations

import os

from vitrine.command import UsageError, add_setting_options, count, open_store, settings_for


def settings_from(args, store):
    """The service's settings: flags over $VITRINE_* over --config over defaults, checked; then a
    new admin token is made and saved in the data dir when none is configured."""
    from vitrine.app.settings import with_token
    settings = settings_for(args, store, cors_origins=args.cors_origin)
    if settings.recommender is not None and not (settings.recommender / "model.json").is_file():
        raise UsageError(f"--recommender {settings.recommender}: no fitted recommender here (`vitrine fit --out DIR`)")
    try:  # last, so a refused start leaves no token file behind
        return with_token(settings)
    except OSError as exc:
        raise UsageError(f"--data-dir {store.data_dir}: cannot save the admin token ({exc.strerror or exc})") from None


def proxies(value: str | None) -> dict:
    """uvicorn's options for --forwarded-allow-ips: X-Forwarded-For and -Proto are read only from
    these addresses or networks (none by default), so a client cannot pick the address its
    per-client limits are counted against."""
    import ipaddress
    if not value:
        return {"proxy_headers": False}
    for entry in (e.strip() for e in value.split(",")):
        if entry != "*":
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise UsageError(f"--forwarded-allow-ips: {entry!r} is not an IP address or network "
                                 "(give a comma-separated list, e.g. 127.0.0.1,10.0.0.0/8)") from None
    return {"proxy_headers": True, "forwarded_allow_ips": value}


def serve(args, store) -> int:
    import uvicorn

    from vitrine.storefront.app import create_app
    trusted = proxies(getattr(args, "forwarded_allow_ips", None))
    settings, new_token = settings_from(args, store)
    try:
        app = create_app(settings)  # built here even with --workers: a broken setting fails before forking
    except (OSError, ValueError) as exc:
        raise UsageError(f"--recommender {settings.recommender_dir}: {exc}") from None
    url = f"http://{args.host}:{args.port}/"
    print(f"serving {settings.data_dir} at {url} (the shop; API docs at {url}docs); Ctrl-C stops")
    if new_token:
        print(f"admin token (new; saved in {settings.data_dir / 'service-token'}): {settings.token}")
    if not app.state.vitrine.recs and not any(job.kind == "fit" for job in store.open_job_rows()):
        print("no fitted recommender yet: recommendations answer 503 until `vitrine fit` (then POST /admin/reload)")
    log_level = "warning" if args.quiet else "info"
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port, log_level=log_level, **trusted)
        return 0
    # Several processes: each builds its app from the environment (the API keeps no state of its own).
    from vitrine.app.settings import as_environment
    os.environ.update({"VITRINE_DATA_DIR": str(settings.data_dir), **as_environment(settings)})
    uvicorn.run("vitrine.storefront.app:app_from_environment", factory=True, workers=args.workers, host=args.host,
                port=args.port, log_level=log_level, **trusted)
    return 0


def cmd_serve(args) -> int:
    return serve(args, open_store(args))  # a missing or unreadable store is one line here, not a failed server


def add_serve_options(p) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=count(1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=count(1, 64), default=1, help="server processes (default 1)")
    add_setting_options(p, "config", "recommender", "index", "model", "evaluator", "tryon_model")
    p.add_argument("--forwarded-allow-ips", metavar="IPS",
                   help="proxies whose X-Forwarded-For is trusted: comma-separated addresses or networks "
                        "(default none: the client's own address counts)")
    p.add_argument("--cors-origin", action="append",
                   help="an origin allowed to call the API from a browser (repeatable; default none)")


def register(verbs, common) -> None:
    p = verbs.add("serve", cmd_serve, "the shop's storefront and HTTP API: items, pictures, recommendations, "
                  "events, generation jobs, studio, admin (OpenAPI at /docs)")
    add_serve_options(p)
