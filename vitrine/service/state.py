"""What every request reads: the store, the fitted recommender loaded once (absent until fitted),
and the events posted since the fit, which the recommender reads as history without a refit."""

from __future__ import annotations

import threading

import numpy as np

from vitrine.catalog.store import Store
from vitrine.service.settings import ServiceSettings


class ServiceState:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.store = Store(settings.data_dir, settings.db_url, create=False)
        self.recs = None
        self.categories = None  # per recommender item index, for the per-category cap
        self.lock = threading.Lock()        # guards the events since the fit
        self.write_lock = threading.Lock()  # one store writer at a time in this process
        self.live: dict[str, dict[int, float]] = {}  # user → item index → summed event weight since the fit
        self.live_bought: dict[str, set[int]] = {}
        if (settings.recommender_dir / "model.json").exists():
            self.load_recommender()
        self._pipeline = None
        self._designer = None
        self._pipeline_lock = threading.Lock()
        self.stop, self.wake = threading.Event(), threading.Event()
        self.store.ensure_jobs()
        self.store.requeue_running_jobs()  # what a stopped service left running

    def start_workers(self) -> None:
        from vitrine.service.jobs import JobWorker
        for _ in range(self.settings.job_workers):
            JobWorker(self, self.stop, self.wake).start()

    def designer(self):
        """The studio's Designer (the 520 prompts' vectors), made on first use."""
        if self._designer is None:  # only the job workers ask; two racing would each build the same thing
            from vitrine.studio.design import Designer
            self._designer = Designer(self.pipeline(), self.recs)
        return self._designer

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
        from vitrine.recommend.serve import Recommendations
        recs = Recommendations(self.settings.recommender_dir, self.settings.index)
        rows = {r.id: r.category for r in self.store.item_rows(("id", "category"))}
        self.categories = np.array([rows.get(str(i)) or "" for i in recs.item_ids], dtype=object)
        with self.lock:
            self.recs = recs
            self.live, self.live_bought = {}, {}

    def record(self, user_id: str, item_id: str, event: str) -> bool:
        """Remember an event for the user's next recommendations; False when the fitted
        recommender does not know the item (it counts after the next fit)."""
        from vitrine.recommend.data import EVENT_WEIGHT
        recs = self.recs
        if recs is None or item_id not in recs.item_pos:
            return False
        i = recs.item_pos[item_id]
        with self.lock:
            history = self.live.setdefault(user_id, {})
            history[i] = history.get(i, 0.0) + EVENT_WEIGHT[event]
            if event == "purchase":
                self.live_bought.setdefault(user_id, set()).add(i)
        return True

    def since_fit(self, user_id: str) -> tuple[dict[int, float], set[int]] | None:
        with self.lock:
            if user_id not in self.live:
                return None
            return dict(self.live[user_id]), set(self.live_bought.get(user_id, ()))
