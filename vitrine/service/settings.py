"""What the service runs over and the bounds it keeps; from flags, else $VITRINE_* environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vitrine.command import SHIPPED_PIPELINE, default_path

MAX_PAGE = 100     # items per page at most
MAX_K = 100        # recommendations or neighbours per request at most
MAX_FILTERS = 20   # values of one filter (categories, colours) at most


@dataclass(frozen=True)
class ServiceSettings:
    data_dir: Path
    db_url: str | None = None
    recommender: Path | None = None  # default DATA_DIR/models/recommender
    index: str = "exact"
    model: Path = Path(default_path(SHIPPED_PIPELINE))  # the diffusion pipeline generation jobs use
    max_queue: int = 16            # generation jobs queued or running, in all
    max_jobs_per_client: int = 4   # … of one client address
    job_workers: int = 1           # threads working the queue while the server runs

    @property
    def recommender_dir(self) -> Path:
        return self.recommender or self.data_dir / "models" / "recommender"
