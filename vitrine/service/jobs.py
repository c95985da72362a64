"""Generation as jobs: POST a prompt → a job ID; GET the job → its status and picture URLs.

Jobs are rows in the store, added through the queue's bounds (vitrine.app.queue: 429 with
Retry-After when one is full) and worked by the job workers (vitrine.app.worker)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.app import studio, tryon
from vitrine.app.context import AppContext
from vitrine.service.deps import client_of, context
from vitrine.service.errors import ServiceError
from vitrine.service.limits import Words

router = APIRouter(tags=["generation"])


class Queued(BaseModel):
    job: str
    status: str = "queued"
    url: str


class GenerateRequest(BaseModel):
    prompt: Words = Field(min_length=1, max_length=500)
    n: int = Field(4, ge=1, le=studio.MAX_PICTURES, description="pictures")
    steps: int | None = Field(None, ge=1, le=studio.MAX_STEPS, description="sampling steps (default: the model's own, 20, or 4 for a distilled model)")
    guidance: float = Field(3.0, ge=0, le=20)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def queue_job(ctx: AppContext, request: Request, kind: str, body: dict) -> JSONResponse:
    """Queue a job: 202 with its URL (a full queue is the Busy error: 429 with Retry-After)."""
    job_id = ctx.queue.add(kind, body, client_of(request))
    return JSONResponse(Queued(job=job_id, url=f"/jobs/{job_id}").model_dump(), status_code=202)


@router.post("/generate", status_code=202, response_model=Queued)
def generate(request: Request, body: GenerateRequest, ctx: AppContext = Depends(context)):
    """Queue a generation; poll the returned URL."""
    studio.check_generate(ctx, body.prompt, body.n, body.steps)
    return queue_job(ctx, request, "generate", body.model_dump())


class DesignRequest(BaseModel):
    n: int = Field(studio.DESIGNS, ge=1, le=16, description="designs")


@router.post("/users/{user_id:path}/designs", status_code=202, response_model=Queued)
def designs(request: Request, user_id: str, body: DesignRequest, ctx: AppContext = Depends(context)):
    """Queue designs for one shopper (`vitrine studio design`): products they would want, each with
    its prompt, its score and the closest items in stock; poll the returned URL."""
    studio.check_designs_for(ctx, user_id, body.n)
    return queue_job(ctx, request, "design", {"user_id": user_id, "n": body.n})


class Design(BaseModel):
    image: str
    prompt: str
    score: float
    nearest: list[str] = Field(description="the closest items in stock, closest first")
    nearest_similarity: list[float] = Field([], description="their cosine similarity to the design")


class Job(BaseModel):
    job: str
    kind: str
    status: str
    request: dict
    images: list[str] = Field(description="URLs of the job's pictures")
    designs: list[Design]
    result: dict = Field(description="the rest of the job's result (its kind decides)")
    error: str | None
    progress: dict | None = Field(None, description='how far it is while it runs: {"phase", "fraction"}')
    created_at: int
    finished_at: int | None


def job_view(ctx: AppContext, job_id: str) -> dict:
    """A job as GET /jobs shows it (NotFound as a 404 ServiceError)."""
    row = ctx.store.job(job_id) if len(job_id) <= 32 else None
    if row is None:
        raise ServiceError(404, f"no job {job_id!r}")
    result = dict(row.result or {})
    images = [f"/images/{sha}" for sha in result.pop("images", [])]
    designs = [{**d, "image": f"/images/{d['image']}"} for d in result.pop("designs", [])]
    shown = tryon.shown(row.request) if row.kind == "tryon" else row.request
    return {"job": row.id, "kind": row.kind, "status": row.status, "request": shown, "images": images,
            "designs": designs, "result": result, "error": row.error, "progress": row.progress,
            "created_at": row.created_at,
            "finished_at": row.finished_at}


@router.get("/jobs/{job_id}", response_model=Job)
def job(job_id: str, ctx: AppContext = Depends(context)):
    return job_view(ctx, job_id)
