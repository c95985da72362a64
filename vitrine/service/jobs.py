"""Generation as jobs: POST a prompt → a job ID; GET the job → its status and picture URLs.

Jobs are rows in the store (`jobs`), so a restart loses none: jobs left running go back to the
queue when the service starts. The queue is bounded (429 with Retry-After when full), and so is
each client's share of it and its rate of posts per minute. The worker threads (worker.py) load
the diffusion pipeline on first use.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError
from vitrine.service.worker import now_ms

router = APIRouter(tags=["generation"])
RETRY_AFTER_S = 5


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=500)
    n: int = Field(4, ge=1, le=8, description="pictures")
    steps: int = Field(20, ge=1, le=100, description="sampling steps")
    guidance: float = Field(3.0, ge=0, le=20)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class QueueFull(Exception):
    """The job was refused: the queue, the client's share of it, or the client's rate is full."""


def enqueue(state, client: str, kind: str, body: dict) -> str:
    """Store a queued job and wake a worker; its ID, or QueueFull saying which bound it hit."""
    settings = state.settings
    if not state.allow_generation(client):
        raise QueueFull(f"at most {settings.generations_per_minute} generation requests per minute per client; "
                        "retry later")
    with state.lock:  # the count and the insert together, so the bound holds under concurrent posts
        if state.store.open_jobs() >= settings.max_queue:
            raise QueueFull(f"the generation queue is full ({settings.max_queue} jobs); retry later")
        if state.store.open_jobs(client) >= settings.max_jobs_per_client:
            raise QueueFull(f"at most {settings.max_jobs_per_client} open jobs per client; retry later")
        job_id = uuid.uuid4().hex
        state.store.add_job(job_id, kind, body, client, now_ms())
    state.wake.set()
    return job_id


def _queue(request: Request, kind: str, body: dict):
    """Queue a job (202 with its URL), or 429 with Retry-After when a bound is hit."""
    try:
        job_id = enqueue(request.app.state.vitrine, client_of(request), kind, body)
    except QueueFull as exc:
        return JSONResponse({"error": str(exc)}, status_code=429, headers={"Retry-After": str(RETRY_AFTER_S)})
    return JSONResponse({"job": job_id, "status": "queued", "url": f"/jobs/{job_id}"}, status_code=202)


@router.post("/generate", status_code=202)
def generate(request: Request, body: GenerateRequest):
    """Queue a generation; poll the returned URL."""
    return _queue(request, "generate", body.model_dump())


class DesignRequest(BaseModel):
    n: int = Field(8, ge=1, le=16, description="designs")


@router.post("/users/{user_id}/designs", status_code=202)
def designs(request: Request, user_id: str, body: DesignRequest):
    """Queue designs for one shopper (`vitrine studio design`): products they would want, each with
    its prompt, its score and the closest items in stock; poll the returned URL."""
    state = request.app.state.vitrine
    if state.recs is None:
        raise ServiceError(503, "no fitted recommender yet (run `vitrine fit`)")
    if user_id not in state.recs.user_pos:
        raise ServiceError(404, f"unknown user {user_id!r} (designs need a shopper the recommender was fitted on)")
    return _queue(request, "design", {"user_id": user_id, "n": body.n})


@router.get("/jobs/{job_id}")
def job(request: Request, job_id: str):
    row = request.app.state.vitrine.store.job(job_id) if len(job_id) <= 32 else None
    if row is None:
        raise ServiceError(404, f"no job {job_id!r}")
    result = dict(row.result or {})
    images = [f"/images/{sha}" for sha in result.pop("images", [])]
    designs = [{**d, "image": f"/images/{d['image']}"} for d in result.pop("designs", [])]
    shown = row.request
    if row.kind == "tryon":
        from vitrine.service.tryon import shown_request
        shown = shown_request(row.request)
    return {"job": row.id, "kind": row.kind, "status": row.status, "request": shown, "images": images,
            "designs": designs, "result": result, "error": row.error, "created_at": row.created_at,
            "finished_at": row.finished_at}
