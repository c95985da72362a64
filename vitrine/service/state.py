"""What every request reads: the store, the fitted recommender loaded once (absent until fitted),
the events posted since the fit (which the recommender reads as history without a refit), items
deleted since the fit (never recommended), and each client's recent generation requests."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from vitrine.catalog.store import Store
from vitrine.service.settings import ServiceSettings


class ServiceState:
    def __init__(self, settings: ServiceSettings):
        import faiss
        faiss.omp_set_num_threads(1)  # one query per request: threads cost more than they save, and requests run side by side
        self.settings = settings
        self.store = Store(settings.data_dir, settings.db_url, create=False)
        self.recs = None
        self.categories = None  # per recommender item index, for the per-category cap
        self.fit_mark = 0       # the newest event row the fitted recommender read; later ones are read per request
        self.deleted: set[int] = set()  # recommender item indices no longer in the store (deleted since the fit)
        self.lock = threading.Lock()        # guards the queue bound and the per-client counts
        self.write_lock = threading.Lock()  # one store writer at a time in this process
        self.generation_times: dict[str, deque] = {}  # client → times of its generation posts this minute
        self._pipeline = None
        self._designer = None
        self._evaluator = None
        self._tryon = None
        self._people = None
        self._pipeline_lock = threading.Lock()
        if (settings.recommender_dir / "model.json").exists():
            self.load_recommender()
        self.stop, self.wake = threading.Event(), threading.Event()
        self.store.prepare_for_service()
        self.store.requeue_lapsed_jobs()  # what a stopped worker left running shows as queued again

    def start_workers(self, count: int | None = None) -> list:
        """Start `count` (default: the job_workers setting) job-worker threads; they stop with self.stop."""
        from vitrine.service.worker import JobWorker
        workers = [JobWorker(self, self.stop, self.wake) for _ in range(self.settings.job_workers if count is None
                                                                          else count)]
        for worker in workers:
            worker.start()
        return workers

    def designer(self):
        """The studio's Designer (the 520 prompts' vectors), made on first use."""
        if self._designer is None:  # only the job workers ask; two racing would each build the same thing
            from vitrine.studio.design import Designer
            self._designer = Designer(self.pipeline(), self.recs)
        return self._designer

    def evaluator(self):
        """The attribute reader that picks launch and preview pictures, loaded on first use."""
        with self._pipeline_lock:
            if self._evaluator is None:
                from vitrine.command import SHIPPED_EVALUATOR, default_path
                from vitrine.evaluate.evaluator import load_evaluator
                self._evaluator = load_evaluator(self.settings.evaluator or default_path(SHIPPED_EVALUATOR))
            return self._evaluator

    def require_recommender(self):
        recs = self.recs
        if recs is None:
            raise RuntimeError("no fitted recommender yet (run `vitrine fit`)")
        return recs

    def allow_generation(self, client: str) -> bool:
        """Whether the client may post another generation now (a sliding minute per client)."""
        now = time.monotonic()
        with self.lock:
            recent = self.generation_times.setdefault(client, deque())
            while recent and now - recent[0] > 60:
                recent.popleft()
            if len(recent) >= self.settings.generations_per_minute:
                return False
            recent.append(now)
            if len(self.generation_times) > 10_000:  # forget idle clients, so memory stays bounded
                for idle in [c for c, times in self.generation_times.items() if not times or now - times[-1] > 60]:
                    del self.generation_times[idle]
            return True

    def forget_item(self, item_id: str) -> None:
        """Never recommend an item deleted from the store (until a refit drops it)."""
        recs = self.recs
        if recs is not None and item_id in recs.item_pos:
            with self.lock:
                self.deleted = self.deleted | {recs.item_pos[item_id]}  # a new set: readers hold the old one

    def tryon(self):
        """The try-on model and its segmenter, loaded on first use."""
        with self._pipeline_lock:
            if self._tryon is None:
                from vitrine.tryon.tryon import TryOn
                self._tryon = TryOn.load(self.settings.tryon_model)
                self._tryon.pipeline.set_progress_bar_config(disable=True)
            return self._tryon

    def people(self):
        """The drawn people set of DATA_DIR/people (a 404 ServiceError when there is none)."""
        if self._people is None:
            from vitrine.service.errors import ServiceError
            from vitrine.tryon.people_set import FOLDER, load_people
            if not (self.settings.data_dir / FOLDER / "people.npz").is_file():
                raise ServiceError(404, "no people set in this shop (`vitrine catalog people` draws one)")
            self._people = load_people(self.settings.data_dir)
        return self._people

    def pipeline(self):
        """The diffusion pipeline, loaded on first use (a service that never generates never loads it)."""
        with self._pipeline_lock:
            if self._pipeline is None:
                from vitrine.diffusion.pipeline import load_pipeline
                pipe = load_pipeline(self.settings.model)
                pipe.set_progress_bar_config(disable=True)
                self._pipeline = pipe
            return self._pipeline

    def load_recommender(self) -> None:
        """Serve the recommender saved in the recommender folder; the events it did not read (after
        the row its fit noted in events.json, else after the newest at load) count per request."""
        import json

        from vitrine.recommend.serve import Recommendations
        folder = self.settings.recommender_dir
        recs = Recommendations(folder, self.settings.index)
        recs.user_matrix  # every fitted shopper's vector now, so a request only searches the index
        mark_file = folder / "events.json"
        mark = json.loads(mark_file.read_text())["last_event_id"] if mark_file.exists() else self.store.last_event_id()
        rows = {r.id: r.category for r in self.store.item_rows(("id", "category"))}
        with self.lock:
            self.categories = np.array([rows.get(str(i)) or "" for i in recs.item_ids], dtype=object)
            self.recs, self.fit_mark, self._designer = recs, int(mark), None
            self.deleted = {i for i, item_id in enumerate(recs.item_ids) if str(item_id) not in rows}

    def since_fit(self, user_id: str) -> tuple[dict[int, float], set[int]] | None:
        """The shopper's events stored after the fit, as (item index → summed weight, bought
        indices) over the items the recommender knows; None when there are none. Read from the
        store on each request, so every server process sees every event at once."""
        from vitrine.recommend.data import EVENT_WEIGHT
        recs = self.recs
        events = self.store.events_after(user_id, self.fit_mark)
        if not events:
            return None
        history: dict[int, float] = {}
        bought: set[int] = set()
        for item_id, event in events:
            i = recs.item_pos.get(item_id)
            if i is None:  # an item newer than the fit counts after the next one
                continue
            history[i] = history.get(i, 0.0) + EVENT_WEIGHT.get(event, 1.0)
            if event == "purchase":
                bought.add(i)
        return history, bought
