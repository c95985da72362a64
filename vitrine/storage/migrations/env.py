"""Alembic's entry point: migrations run on the connection the store hands over (migrate.py)."""

from alembic import context

from vitrine.storage import schema

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=schema.Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
