"""The catalog: items, their photos, shoppers, the event log, generated pictures, meta.

A store made before migrations existed already has these tables: only what it lacks is made."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


def _index(name: str, table: str, columns: list[str]) -> None:
    if name not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}:
        op.create_index(name, table, columns)


def upgrade() -> None:
    have = _tables()
    if "items" not in have:
        op.create_table(
            "items",
            sa.Column("id", sa.String(128), primary_key=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("description", sa.Text),
            sa.Column("category", sa.String(128)),
            sa.Column("colour", sa.String(64)),
            sa.Column("pattern", sa.String(64)),
            sa.Column("brand", sa.String(128)),
            sa.Column("price", sa.Float),
            sa.Column("source", sa.String(32), nullable=False),
            sa.Column("launched_at", sa.BigInteger),
            sa.Column("is_new", sa.Boolean, nullable=False),
            sa.Column("attributes", sa.JSON, nullable=False))
    if "images" not in have:
        op.create_table(
            "images",
            sa.Column("sha256", sa.String(64), primary_key=True),
            sa.Column("path", sa.String(256), nullable=False),
            sa.Column("width", sa.Integer, nullable=False),
            sa.Column("height", sa.Integer, nullable=False),
            sa.Column("format", sa.String(16), nullable=False))
    if "users" not in have:
        op.create_table(
            "users",
            sa.Column("id", sa.String(128), primary_key=True),
            sa.Column("attributes", sa.JSON, nullable=False),
            sa.Column("true_preferences", sa.JSON))
    if "meta" not in have:
        op.create_table(
            "meta",
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.JSON, nullable=False))
    if "item_images" not in have:
        op.create_table(
            "item_images",
            sa.Column("item_id", sa.String(128), sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("image_sha256", sa.String(64), sa.ForeignKey("images.sha256"), primary_key=True),
            sa.Column("position", sa.Integer, nullable=False))
    if "interactions" not in have:
        op.create_table(
            "interactions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("user_id", sa.String(128), sa.ForeignKey("users.id"), nullable=False),
            sa.Column("item_id", sa.String(128), sa.ForeignKey("items.id"), nullable=False),
            sa.Column("event", sa.String(16), nullable=False),
            sa.Column("ts", sa.BigInteger, nullable=False),
            sa.Column("session_id", sa.String(128)),
            sa.Column("value", sa.Float))
    if "generated_images" not in have:
        op.create_table(
            "generated_images",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("prompt", sa.Text, nullable=False),
            sa.Column("negative_prompt", sa.Text),
            sa.Column("seed", sa.Integer, nullable=False),
            sa.Column("model_id", sa.String(256), nullable=False),
            sa.Column("path", sa.String(256), nullable=False),
            sa.Column("sha256", sa.String(64), nullable=False),
            sa.Column("params", sa.JSON, nullable=False),
            sa.Column("item_id", sa.String(128), sa.ForeignKey("items.id")),
            sa.Column("user_id", sa.String(128), sa.ForeignKey("users.id")),
            sa.Column("created_at", sa.DateTime, nullable=False))
    # the shop's filters read a page of IDs and the count from ix_items_facets alone
    _index("ix_items_category", "items", ["category"])
    _index("ix_items_facets", "items", ["category", "colour", "price", "id"])
    _index("ix_items_launched", "items", ["launched_at"])
    _index("ix_interactions_user_ts", "interactions", ["user_id", "ts"])
    _index("ix_interactions_item", "interactions", ["item_id"])
    _index("ix_interactions_ts", "interactions", ["ts"])
    _index("ix_generated_images_item_id", "generated_images", ["item_id"])


def downgrade() -> None:
    for table in ("generated_images", "interactions", "item_images", "meta", "users", "images", "items"):
        op.drop_table(table)
