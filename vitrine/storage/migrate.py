"""Schema changes as Alembic migrations (migrations/versions/), applied when a store is opened.

A store records its revision in `alembic_version`. Opening one whose revision is not the newest
runs the missing migrations in one transaction; a store from before migrations existed has no
revision, and the first migrations create only what it lacks, so it is brought to the same schema
as a new one. The check is one query, so opening an up-to-date store stays cheap."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0005"  # the newest revision (a test checks it is the migrations' head)


def has_store(engine: Engine) -> bool:
    """Whether the database holds a Vitrine store (of any revision)."""
    return inspect(engine).has_table("items")


def revision(engine: Engine) -> str | None:
    """The store's revision; None for a new database or a store from before migrations."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(connection=None):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the migrations the store lacks, up to `target` (all of them by default)."""
    if target == "head" and revision(engine) == HEAD:
        return
    from alembic import command
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), target)
