"""Where a shop's data lives: a data directory (images, reports) and a database URL.

Defaults: ./vitrine-data and a SQLite file inside it. $VITRINE_DATA_DIR and $VITRINE_DB_URL
override them; the CLI's --data-dir and --db-url override those.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "vitrine-data"


def data_dir(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("VITRINE_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()


def db_url(folder: Path, value: str | None = None) -> str:
    return value or os.environ.get("VITRINE_DB_URL") or f"sqlite:///{(folder / 'vitrine.db').resolve()}"
