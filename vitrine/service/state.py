"""What every request reads: the store, and the fitted recommender loaded once (absent until fitted)."""

from __future__ import annotations

import numpy as np

from vitrine.catalog.store import Store
from vitrine.service.settings import ServiceSettings


class ServiceState:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.store = Store(settings.data_dir, settings.db_url, create=False)
        self.recs = None
        self.categories = None  # per recommender item index, for the per-category cap
        if (settings.recommender_dir / "model.json").exists():
            self.load_recommender()

    def load_recommender(self) -> None:
        from vitrine.recommend.serve import Recommendations
        recs = Recommendations(self.settings.recommender_dir, self.settings.index)
        rows = {r.id: r.category for r in self.store.item_rows(("id", "category"))}
        self.categories = np.array([rows.get(str(i)) or "" for i in recs.item_ids], dtype=object)
        self.recs = recs
