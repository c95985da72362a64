"""`vitrine worker`: a process that works the store's job queue (generation, designs, launches,
previews, try-on, refits) apart from the API, so API processes only enqueue (`job_workers = 0`)
and the costly work runs on the machines meant for it. Several workers on several machines share
one PostgreSQL store and one data directory (a shared path); each job is held by a lease its
worker renews, so a worker killed mid-job leaves the job to another once the lease lapses."""

from __future__ import annotations

from vitrine.command import UsageError, add_setting_options, count, number, open_store, settings_for


def cmd_worker(args) -> int:
    import signal
    import threading

    from vitrine.app.context import AppContext
    from vitrine.app.worker import start_workers, stop_workers
    store = open_store(args)
    settings = settings_for(args, store, job_lease_s=args.lease)
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
    add_setting_options(p, "config", "recommender", "model", "evaluator", "tryon_model")
    p.add_argument("--exit-when-idle", action="store_true", help="stop once no job is queued or running")
