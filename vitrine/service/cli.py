"""`vitrine worker`: a process that works the store's job queue (generation, designs, launches,
previews, try-on, refits) apart from the API, so API processes only enqueue (`job_workers = 0`)
and the costly work runs on the machines meant for it. Several workers on several machines share
one PostgreSQL store and one data directory (a shared path); each job is held by a lease its
worker renews, so a worker killed mid-job leaves the job to another once the lease lapses."""

from __future__ import annotations

from vitrine.command import UsageError, count, number, open_store


def cmd_worker(args) -> int:
    import signal
    import threading

    from vitrine.app.context import AppContext
    from vitrine.app.settings import SettingsError, load_settings
    from vitrine.app.worker import start_workers, stop_workers
    store = open_store(args)
    flags = {"db_url": args.db_url, "recommender": args.model_dir, "model": args.model,
             "tryon_model": args.tryon_model, "job_lease_s": args.lease}
    try:
        settings = load_settings(store.data_dir, flags, args.config)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    try:
        ctx = AppContext(settings, store)
        ctx.open_job_queue()
    except (OSError, ValueError) as exc:
        raise UsageError(f"--recommender {settings.recommender_dir}: {exc}") from None
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # finish the job in hand, then stop
        signal.signal(sig, lambda *_: stopped.set())
    workers = start_workers(ctx, args.concurrency)
    print(f"worker: {args.concurrency} thread(s) on {settings.data_dir} "
          f"({settings.db_url or 'SQLite'}), lease {settings.job_lease_s:g} s; Ctrl-C stops", flush=True)
    while not stopped.wait(0.5):
        if args.exit_when_idle and not store.open_jobs():
            break
    stop_workers(ctx, workers)
    return 0


def register(verbs, common) -> None:
    p = verbs.add("worker", cmd_worker, "work the job queue apart from the API (generation, designs, launches, "
                  "previews, try-on, refits); run several, on several machines, over one PostgreSQL store")
    p.add_argument("--concurrency", type=count(1, 64), default=1, help="job threads in this process (default 1)")
    p.add_argument("--lease", type=number(1, 3600), help="seconds a job is held between renewals before another "
                                                         "worker may take it (default 60, or the job_lease_s setting)")
    p.add_argument("--config", help="TOML file of service settings (docs/service.md; default $VITRINE_CONFIG)")
    p.add_argument("--recommender", dest="model_dir", help="fitted recommender (default DATA_DIR/models/recommender)")
    p.add_argument("--model", help="diffusion pipeline (default: the shipped one)")
    p.add_argument("--tryon-model", help="try-on model (default: the shipped one)")
    p.add_argument("--exit-when-idle", action="store_true", help="stop once no job is queued or running")
