"""What every operation runs over: the store, the settings, the fitted recommender loaded once
(absent until fitted), the events stored since the fit (read as history without a refit), the
items deleted since the fit (never recommended), and the generative models, each loaded on first
use. One context serves a whole process: the API's requests, its job threads, a CLI verb."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import numpy as np

from vitrine.errors import NotFound, NotReady
from vitrine.app.cards import ItemCards, Pages
from vitrine.app.queue import JobQueue
from vitrine.app.settings import Settings
from vitrine.recommend.diversity import look
from vitrine.storage.store import Store


class AppContext:
    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.store = store if store is not None else Store(settings.data_dir, settings.db_url, create=False)
        self.recs = None
        self.categories = None  # per recommender item index, for the per-category cap
        self.looks = None       # per recommender item index, its look (diversity.look): similar items' cap
        self.fit_mark = 0       # the newest event row the fitted recommender read; later ones are read per request
        self.fit_id = ""        # names the fit in the recommendation cache (events.json beside its weights)
        self.cards = ItemCards(self.store)
        self.pages = Pages()  # the item listing's pages per query
        self._following = threading.Lock()  # held while this process loads a fit another one announced
        self.deleted: set[int] = set()  # recommender item indices no longer in the store (deleted since the fit)
        self.lock = threading.Lock()        # guards the swap of the recommender and the queue's bounds
        self.write_lock = threading.Lock()  # one store writer at a time in this process
        self.stop, self.wake = threading.Event(), threading.Event()  # for the job worker threads
        self.queue = JobQueue(self.store, settings, self.wake)
        self._models: dict[str, object] = {}
        self._models_lock = threading.Lock()
        if (settings.recommender_dir / "model.json").exists():
            self.load_recommender()

    def open_job_queue(self) -> None:
        """Before serving or working jobs: the jobs a stopped worker left running queued again."""
        self.store.requeue_lapsed_jobs()

    # ---- the recommender ------------------------------------------------------------------------
    def require_recommender(self):
        """The fitted recommender, or NotReady saying whether a fit is on its way."""
        recs = self.recs
        if recs is None:
            raise NotReady(self.fit_status() or "no fitted recommender yet: fit one (`vitrine fit`, or POST /admin/fit)")
        return recs

    def fit_progress(self) -> str | None:
        """How far the open fit job is ("running for 3 min: encode item texts 42 %"), or None."""
        fit = self.queue.open_fit()
        if fit is None:
            return None
        minutes = (time.time() * 1000 - fit.created_at) / 60_000
        done = fit.progress or {}
        step = f": {done['phase']} {done['fraction']:.0%}" if done.get("phase") else ""
        return f"{fit.status} for {minutes:.0f} min{step}"

    def fit_status(self) -> str | None:
        """What NotReady says while a fit job is open: that it is on its way and how far; else None."""
        progress = self.fit_progress()
        if progress is None:
            return None
        return f"no fitted recommender yet: a fit is {progress}; recommendations start when it is done"

    def load_recommender(self) -> None:
        """Serve the recommender saved in the recommender folder; the events it did not read (after
        the row its fit noted in events.json, else after the newest at load) count per request."""
        from vitrine.recommend.serve import Recommendations
        folder = self.settings.recommender_dir
        recs = Recommendations(folder, self.settings.index)
        recs.user_matrix  # every fitted shopper's vector now, so a request only searches the index
        mark_file = folder / "events.json"
        noted = json.loads(mark_file.read_text()) if mark_file.exists() else {}
        mark = noted.get("last_event_id", self.store.last_event_id())
        # a fit from before fit IDs: named by its weights' description and mark
        fit_id = noted.get("fit_id") or hashlib.sha1((folder / "model.json").read_bytes()
                                                    + str(mark).encode()).hexdigest()[:32]
        rows = {r.id: r for r in self.store.item_rows(("id", "category", "colour", "pattern"))}
        fitted = [rows.get(str(i)) for i in recs.item_ids]  # None: deleted since the fit
        with self.lock:
            self.categories = np.array([(r.category if r else "") or "" for r in fitted], dtype=object)
            self.looks = np.array([look(r) if r else "" for r in fitted], dtype=object)
            self.recs, self.fit_mark, self.fit_id = recs, int(mark), fit_id
            with self._models_lock:
                self._models.pop("designer", None)  # it holds the old recommender
            self.deleted = {i for i, r in enumerate(fitted) if r is None}

    def read_entry(self, user_id: str) -> tuple[bytes | None, str | None]:
        """(the shopper's valid cached recommendations or None, the catalog version). A newer fit
        that another process announced for this folder is loaded in the background meanwhile."""
        entry, catalog, served = self.store.cached_entry(user_id, self.fit_id)
        if served and served.get("id") != self.fit_id and served.get("folder") == str(self.settings.recommender_dir):
            self._follow(served["id"])
        return entry, catalog

    def _follow(self, fit_id: str) -> None:
        """Load the served folder's fit in a thread (one at a time), if it is the announced one."""
        if not self._following.acquire(blocking=False):
            return

        def load():
            try:
                noted = json.loads((self.settings.recommender_dir / "events.json").read_text())
                if noted.get("fit_id") == fit_id:
                    self.load_recommender()
            except (OSError, ValueError, KeyError):
                pass  # mid-swap or unreadable: a later request tries again
            finally:
                self._following.release()
        threading.Thread(target=load, name="vitrine-follow-fit", daemon=True).start()

    def forget_item(self, item_id: str) -> None:
        """Never recommend an item deleted from the store (until a refit drops it)."""
        recs = self.recs
        if recs is not None and item_id in recs.item_pos:
            with self.lock:
                self.deleted = self.deleted | {recs.item_pos[item_id]}  # a new set: readers hold the old one

    def since_fit(self, user_id: str) -> tuple[dict[int, float], set[int], int] | None:
        """The shopper's events stored after the fit, as (item index → summed weight, bought
        indices, the newest event's row) over the items the recommender knows; None when there
        are none. Read from the store on each call, so every process sees every event at once."""
        from vitrine.recommend.data import EVENT_WEIGHT
        recs = self.recs
        events = self.store.events_after(user_id, self.fit_mark)
        if not events:
            return None
        history: dict[int, float] = {}
        bought: set[int] = set()
        for _, item_id, event in events:
            i = recs.item_pos.get(item_id)
            if i is None:  # an item newer than the fit counts after the next one
                continue
            history[i] = history.get(i, 0.0) + EVENT_WEIGHT.get(event, 1.0)
            if event == "purchase":
                bought.add(i)
        return history, bought, events[-1][0]

    # ---- the generative models, loaded on first use ---------------------------------------------
    def _model(self, name: str, load):
        with self._models_lock:
            if name not in self._models:
                self._models[name] = load()
            return self._models[name]

    def pipeline(self):
        """The text-to-image pipeline (a process that never generates never loads it)."""
        def load():
            from vitrine.diffusion.pipeline import load_pipeline
            pipe = load_pipeline(self.settings.model)
            pipe.set_progress_bar_config(disable=True)
            return pipe
        return self._model("pipeline", load)

    def evaluator(self):
        """The attribute reader that picks launch and preview pictures."""
        from vitrine.evaluate.evaluator import load_evaluator
        return self._model("evaluator", lambda: load_evaluator(self.settings.evaluator))

    def designer(self):
        """The studio's Designer over the served recommender (the 520 prompts' vectors)."""
        recs, pipe = self.require_recommender(), self.pipeline()
        from vitrine.studio.design import Designer
        return self._model("designer", lambda: Designer(pipe, recs))

    def tryon(self):
        """The try-on model and its segmenter."""
        def load():
            from vitrine.tryon.tryon import TryOn
            model = TryOn.load(self.settings.tryon_model)
            model.pipeline.set_progress_bar_config(disable=True)
            return model
        return self._model("tryon", load)

    def people(self):
        """The drawn people set of DATA_DIR/people (NotFound when the shop has none)."""
        from vitrine.tryon.people_set import FOLDER, load_people
        if not (self.settings.data_dir / FOLDER / "people.npz").is_file():
            raise NotFound("no people set in this shop (`vitrine catalog people` draws one)", "person")
        return self._model("people", lambda: load_people(self.settings.data_dir))
