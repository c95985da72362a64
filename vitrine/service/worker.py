"""The threads that work the job queue while the server runs: each claims a queued job, runs it
and stores its result (or its error) on the job's row. One job's failure never stops a worker.

Job kinds: generate (pictures from a prompt), design (the studio's designs for a shopper),
launch (a product not yet made: its picture and audience, optionally added to the catalog),
previews (pictures for items with none), fit (refit the recommender, then serve the new one),
tryon (a person wearing a garment).
Every picture is stored as a generated image (prompt, seed, model, sampler), never as a photo.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class JobWorker(threading.Thread):
    """Claims a job with a lease, renews the lease every third of it while the job runs, and
    stores the result only if it still holds the job (the store refuses a holder whose lease
    lapsed and whose job another worker took)."""

    def __init__(self, state, stop: threading.Event, wake: threading.Event):
        super().__init__(daemon=True, name="vitrine-jobs")
        self.state, self.stop, self.wake = state, stop, wake
        self.lease_ms = int(state.settings.job_lease_s * 1000)
        self.worker_id = ""  # host:pid:thread, set when the thread starts
        self.runners = {"generate": self.generate, "design": self.design, "launch": self.launch,
                        "previews": self.previews, "fit": self.fit, "tryon": self.tryon}

    def run(self) -> None:
        store = self.state.store
        self.worker_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 10**8}"
        while not self.stop.is_set():
            job = store.claim_job(self.worker_id, now_ms(), self.lease_ms)
            if job is None:
                self.wake.wait(0.5)
                self.wake.clear()
                continue
            done = threading.Event()
            keeper = threading.Thread(target=self._keep_lease, args=(job.id, done), daemon=True)
            keeper.start()
            try:
                result, error = self.runners[job.kind](job.request), None
            except Exception as exc:  # a job's failure is its own, reported on the job; the worker goes on
                result, error = None, f"{type(exc).__name__}: {exc}"[:500]
            finally:
                done.set()
                keeper.join()
            store.finish_job(job.id, now_ms(), result=result, error=error, worker=self.worker_id)

    def _keep_lease(self, job_id: str, done: threading.Event) -> None:
        """Renew the lease every third of its length until the job is done (or no longer ours)."""
        while not done.wait(self.lease_ms / 3000):
            if not self.state.store.renew_lease(job_id, self.worker_id, now_ms(), self.lease_ms):
                return

    @property
    def model_id(self) -> str:
        return str(self.state.settings.model)

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
                stored = load.images.put(_png(image))
                load.add_generated_image(stored, request["prompt"], seed, self.model_id,
                                         {"steps": request["steps"], "guidance": request["guidance"],
                                          "sampler": type(pipe.scheduler).__name__, "use": "job"})
                shas.append(stored.sha256)
        return {"images": shas}

    def tryon(self, request: dict) -> dict:
        """A checked try-on (service/tryon.py): the person in the garment, n pictures."""
        from vitrine.service.tryon import run_job
        return run_job(self.state, request, str(self.state.settings.tryon_model))

    def design(self, request: dict) -> dict:
        """`studio design` for one shopper: each design's picture stored as generated, for that user."""
        designs = self.state.designer().design(request["user_id"], n=request["n"])
        user = request["user_id"] if self.state.store.user_exists(request["user_id"]) else None
        shown = []
        with self.state.write_lock, self.state.store.loading() as load:
            for d in designs:
                stored = load.images.put(_png(d.image))
                load.add_generated_image(stored, d.prompt, d.seed, self.model_id,
                                         {"use": "design", "score": d.score}, user_id=user)
                shown.append({"image": stored.sha256, "prompt": d.prompt, "score": round(d.score, 5),
                              "nearest": [i for i, _ in d.nearest]})
        return {"images": [d["image"] for d in shown], "designs": shown}

    def launch(self, request: dict) -> dict:
        """`studio launch`: candidates, the one kept, the audience; with `add`, a new catalog item."""
        from vitrine.studio.launch import add_to_catalog, launch
        state = self.state
        recs = state.require_recommender()
        result = launch(state.pipeline(), state.evaluator(), recs, request["description"], request["price"],
                        n=request["n"], audience=request["audience"], seed=request["seed"], steps=request["steps"])
        shas = []
        with state.write_lock:
            with state.store.loading() as load:  # each candidate its own generated-image row: /images serves it
                for image, seed in zip(result.candidates, result.seeds):
                    stored = load.images.put(_png(image))
                    load.add_generated_image(stored, request["description"], seed, self.model_id,
                                             {"steps": request["steps"], "use": "launch-candidate"})
                    shas.append(stored.sha256)
            if request.get("item_id"):
                add_to_catalog(state.store, result, request["item_id"], self.model_id,
                               {"steps": request["steps"], "use": "launch"})
        return {"images": shas, "chosen": result.chosen, "agreement": [round(a, 4) for a in result.agreement],
                "category": result.category, "item_id": request.get("item_id"),
                "audience": [{"user": u, "score": round(s, 5)} for u, s in result.audience]}

    def previews(self, request: dict) -> dict:
        """`studio previews` for up to `limit` items that have no picture."""
        from vitrine.studio.previews import make_previews
        with self.state.write_lock:
            run = make_previews(self.state.store, self.state.pipeline(), self.state.evaluator(), self.model_id,
                                limit=request["limit"], n=request["n"], steps=request["steps"], progress=False)
        return {"items": run.items, "attributes_read": round(run.agreement, 4), "attributes_stated": round(run.stated, 4)}

    def fit(self, request: dict) -> dict:
        """Refit the recommender on every stored event, write it beside the served one, swap the
        folders, then serve it. Until the swap, the old model answers."""
        from vitrine.recommend.cli import save_event_mark
        from vitrine.recommend.config import MultimodalConfig
        from vitrine.recommend.features import load_fold
        from vitrine.recommend.multimodal import Multimodal
        start = time.perf_counter()
        target = self.state.settings.recommender_dir
        fresh, old = target.with_name(target.name + ".fitting"), target.with_name(target.name + ".previous")
        shutil.rmtree(fresh, ignore_errors=True)
        last_event = self.state.store.last_event_id()
        log, fold, features = load_fold(self.state.store, "all", progress=False)
        config = MultimodalConfig(**{k: v for k, v in request.items() if v is not None})
        Multimodal(features, config).fit(fold, progress=False).save(fresh, log.user_ids, log.item_ids)
        save_event_mark(fresh, last_event)
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        self.state.load_recommender()
        return {"pairs": int(fold.train.nnz), "users": len(log.user_ids), "items": len(log.item_ids),
                "seconds": round(time.perf_counter() - start, 1)}
