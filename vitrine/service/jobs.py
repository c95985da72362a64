"""Generation as jobs: POST a prompt → a job ID; GET the job → its status and picture URLs.

Jobs are rows in the store (`jobs`), so a restart loses none: jobs left running go back to the
queue when the service starts. The queue is bounded (429 with Retry-After when full, and per
client) and worked through by background threads that load the diffusion pipeline on first use.
Each picture is stored as a generated image (prompt, seed, model, sampler), not linked to an item.
"""

from __future__ import annotations

import io
import threading
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.service.errors import ServiceError

router = APIRouter(tags=["generation"])
RETRY_AFTER_S = 5


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=500)
    n: int = Field(4, ge=1, le=8, description="pictures")
    steps: int = Field(20, ge=1, le=100, description="sampling steps")
    guidance: float = Field(3.0, ge=0, le=20)
    seed: int = Field(0, ge=0, le=2**31 - 1)


def _now_ms() -> int:
    return int(time.time() * 1000)


class JobWorker(threading.Thread):
    """Claims queued jobs one at a time and runs them; stops when `stop` is set."""

    def __init__(self, state, stop: threading.Event, wake: threading.Event):
        super().__init__(daemon=True, name="vitrine-jobs")
        self.state, self.stop, self.wake = state, stop, wake

    def run(self) -> None:
        while not self.stop.is_set():
            job = self.state.store.claim_job()
            if job is None:
                self.wake.wait(0.5)
                self.wake.clear()
                continue
            try:
                result = self.design(job.request) if job.kind == "design" else self.generate(job.request)
            except Exception as exc:  # a job's failure is its own, reported on the job; the worker goes on
                self.state.store.finish_job(job.id, _now_ms(), error=f"{type(exc).__name__}: {exc}"[:500])
            else:
                self.state.store.finish_job(job.id, _now_ms(), result=result)

    def generate(self, request: dict) -> dict:
        import torch
        pipe = self.state.pipeline()
        seeds = [request["seed"] + j for j in range(request["n"])]
        images = pipe(request["prompt"], num_images_per_prompt=request["n"], num_inference_steps=request["steps"],
                      guidance_scale=request["guidance"],
                      generator=[torch.Generator().manual_seed(s) for s in seeds]).images
        shas = []
        with self.state.write_lock, self.state.store.loading() as load:
            for image, seed in zip(images, seeds):
                buffer = io.BytesIO()
                image.save(buffer, format="PNG")
                stored = load.images.put(buffer.getvalue())
                load.add_generated_image(stored, request["prompt"], seed, str(self.state.settings.model),
                                         {"steps": request["steps"], "guidance": request["guidance"],
                                          "sampler": type(pipe.scheduler).__name__, "use": "job"})
                shas.append(stored.sha256)
        return {"images": shas}


    def design(self, request: dict) -> dict:
        """`studio design` for one shopper: each design's picture stored as generated, for that user."""
        designs = self.state.designer().design(request["user_id"], n=request["n"])
        shown = []
        with self.state.write_lock, self.state.store.loading() as load:
            for d in designs:
                buffer = io.BytesIO()
                d.image.save(buffer, format="PNG")
                stored = load.images.put(buffer.getvalue())
                load.add_generated_image(stored, d.prompt, d.seed, str(self.state.settings.model),
                                         {"use": "design", "score": d.score}, user_id=self._stored_user(request))
                shown.append({"image": stored.sha256, "prompt": d.prompt, "score": round(d.score, 5),
                              "nearest": [i for i, _ in d.nearest]})
        return {"images": [d["image"] for d in shown], "designs": shown}

    def _stored_user(self, request: dict) -> str | None:
        return request["user_id"] if self.state.store.user_exists(request["user_id"]) else None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _queue(request: Request, kind: str, body: dict):
    """Queue a job, or 429 with Retry-After when the queue (or this client's share of it) is full."""
    state = request.app.state.vitrine
    settings = state.settings
    client = _client(request)
    with state.lock:  # the count and the insert together, so the bound holds under concurrent posts
        if state.store.open_jobs() >= settings.max_queue:
            return JSONResponse({"error": f"the generation queue is full ({settings.max_queue} jobs); retry later"},
                                status_code=429, headers={"Retry-After": str(RETRY_AFTER_S)})
        if state.store.open_jobs(client) >= settings.max_jobs_per_client:
            return JSONResponse({"error": f"at most {settings.max_jobs_per_client} open jobs per client; retry later"},
                                status_code=429, headers={"Retry-After": str(RETRY_AFTER_S)})
        job_id = uuid.uuid4().hex
        state.store.add_job(job_id, kind, body, client, _now_ms())
    state.wake.set()
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
    images = [f"/images/{sha}" for sha in (row.result or {}).get("images", [])]
    designs = [{**d, "image": f"/images/{d['image']}"} for d in (row.result or {}).get("designs", [])]
    return {"job": row.id, "kind": row.kind, "status": row.status, "request": row.request, "images": images,
            "designs": designs, "error": row.error, "created_at": row.created_at, "finished_at": row.finished_at}
