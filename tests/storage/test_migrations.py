"""The schema is the migrations': a new store, a store made by the previous release (committed
under previous-release/, made by that release's code) and a store at the first revision all
reach the same schema as schema.py, with every row kept, on SQLite and on PostgreSQL."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import new_pg_database
from vitrine.storage import schema
from vitrine.storage.migrate import HEAD, MIGRATIONS, revision, upgrade
from vitrine.storage.store import Store

PREVIOUS = Path(__file__).parent / "previous-release"


def schema_differences(engine) -> list:
    """What the database lacks or has beyond schema.py (alembic's autogenerate comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), schema.Base.metadata)


def test_head_is_the_newest_migration():
    from alembic.script import ScriptDirectory
    from vitrine.storage.migrate import alembic_config
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_new_store_is_made_by_the_migrations_and_matches_the_schema(backend, tmp_path):
    url = new_pg_database() if backend == "postgresql" else None
    store = Store(tmp_path / "data", url)
    assert revision(store.engine) == HEAD and schema_differences(store.engine) == []
    store.engine.dispose()
    assert revision(Store(tmp_path / "data", url, create=False).engine) == HEAD  # opening again changes nothing


def test_a_store_made_by_the_previous_release_opens_migrated_with_every_row(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(PREVIOUS, data)
    assert revision(create_engine(f"sqlite:///{data / 'vitrine.db'}")) is None  # from before migrations
    store = Store(data, create=False)
    assert revision(store.engine) == HEAD and schema_differences(store.engine) == []
    assert store.holdings()["items"] == 5 and store.event_counts() == {"view": 1, "purchase": 1, "cart": 1}
    assert store.job("0" * 32).status == "queued" and store.get_meta("catalog") == {"source": "previous release"}
    assert [p.item_id for p in store.generated_images()] == ["it-1"]
    assert store.check().problems == 0  # its picture file and rows still agree
    assert "ix_generated_images_sha256" in {i["name"] for i in inspect(store.engine).get_indexes("generated_images")}
    claimed = store.claim_job("w", 1, 1000)  # the lease columns work on the migrated table
    assert claimed.id == "0" * 32 and claimed.lease_until == 1001


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_at_the_first_revision_keeps_its_rows_through_the_rest(backend, tmp_path):
    url = new_pg_database() if backend == "postgresql" else f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    upgrade(engine, "0001")
    assert revision(engine) == "0001" and not inspect(engine).has_table("jobs")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO items (id, title, source, is_new, attributes) VALUES ('a', 'A', 'generic', "
                          "false, '{}')"))
    engine.dispose()
    store = Store(tmp_path / "data", url, create=False)
    assert revision(store.engine) == HEAD and schema_differences(store.engine) == []
    assert [r.id for r in store.item_rows(("id",))] == ["a"] and store.open_jobs() == 0


def test_the_migrations_folder_ships_with_the_package():
    assert (MIGRATIONS / "env.py").is_file() and len(list((MIGRATIONS / "versions").glob("0*.py"))) == int(HEAD)
