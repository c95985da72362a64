"""The database engine a store runs over, and what every query module shares."""

from __future__ import annotations

import os
import re

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

INSERT_CHUNK = 20_000
READ_CHUNK = 200_000  # rows per fetch when the whole log is read
IN_CHUNK = 900  # IDs per IN (…) clause: under SQLite's bound-parameter limit
BUSY_SECONDS = float(os.environ.get("VITRINE_BUSY_TIMEOUT", "30"))  # how long a writer waits for another


class StoreError(Exception):
    """The store cannot be opened or used as asked; the message says why in one line."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")    # readers don't block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster bulk loads
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for the URL (SQLite with WAL and a busy timeout), or a StoreError naming --db-url."""
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(f"--db-url {shown(url)!r}: not a usable database URL ({exc})") from None
    except ImportError as exc:
        raise StoreError(f"--db-url {shown(url)!r}: its database driver is not installed ({exc.name}; for "
                         "PostgreSQL: pip install -e '.[postgres]')") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def shown(url: str) -> str:
    """A URL fit to print: its password hidden."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def is_busy(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()
