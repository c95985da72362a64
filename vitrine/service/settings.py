"""What the service runs over and the bounds it keeps; from flags, else $VITRINE_* environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_PAGE = 100     # items per page at most
MAX_K = 100        # recommendations or neighbours per request at most
MAX_FILTERS = 20   # values of one filter (categories, colours) at most


@dataclass(frozen=True)
class ServiceSettings:
    data_dir: Path
    db_url: str | None = None
    recommender: Path | None = None  # default DATA_DIR/models/recommender
    index: str = "exact"

    @property
    def recommender_dir(self) -> Path:
        return self.recommender or self.data_dir / "models" / "recommender"
