"""The job kinds and the operation each runs: `run(ctx, kind, request, report)` → the result
stored on the job's row; `report(phase, fraction)` tells the row how far the job is. A job's request is what its enqueuer checked (the same checks run again here, so a
job queued by an older release, or by hand, fails on its row rather than in a worker)."""

from __future__ import annotations

from vitrine.app import fit, studio, tryon
from vitrine.app.context import AppContext
from vitrine.progress import Reporter


def _generate(ctx: AppContext, r: dict, report: Reporter) -> dict:
    return studio.generate(ctx, r["prompt"], n=r["n"], steps=r["steps"], guidance=r["guidance"], seed=r["seed"])


def _design(ctx: AppContext, r: dict, report: Reporter) -> dict:
    return studio.design(ctx, r["user_id"], n=r["n"])


def _launch(ctx: AppContext, r: dict, report: Reporter) -> dict:
    result, shas = studio.launch(ctx, r["description"], r.get("price"), n=r["n"], audience=r["audience"],
                                 seed=r["seed"], steps=r["steps"], item_id=r.get("item_id"))
    return studio.launch_summary(result, shas, r.get("item_id"))


def _previews(ctx: AppContext, r: dict, report: Reporter) -> dict:
    run = studio.previews(ctx, limit=r["limit"], n=r["n"], steps=r["steps"])
    return {"items": run.items, "attributes_read": round(run.agreement, 4), "attributes_stated": round(run.stated, 4)}


def _fit(ctx: AppContext, r: dict, report: Reporter) -> dict:
    fitted = fit.refit(ctx, r, progress=report)
    return {"pairs": fitted.pairs, "users": fitted.users, "items": fitted.items, "seconds": round(fitted.seconds, 1)}


def _tryon(ctx: AppContext, r: dict, report: Reporter) -> dict:
    return tryon.dress(ctx, r)


JOBS = {"generate": _generate, "design": _design, "launch": _launch, "previews": _previews, "fit": _fit,
        "tryon": _tryon}


def run(ctx: AppContext, kind: str, request: dict, report: Reporter = lambda phase, fraction: None) -> dict:
    if kind not in JOBS:
        raise ValueError(f"no job kind {kind!r}; known: {', '.join(JOBS)}")
    return JOBS[kind](ctx, request, report)
