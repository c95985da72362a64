"""Recommendations served from a cache: each shopper's re-ranked top items per fit, an index that
answers "has this shopper an event after row n?" in one seek, and the catalog's first version
(meta `catalog_version`; every later change to items or their pictures writes a new one)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("recommendation_cache",
                    sa.Column("user_id", sa.String(128), primary_key=True),
                    sa.Column("fit", sa.String(32), nullable=False),
                    sa.Column("mark", sa.BigInteger, nullable=False),
                    sa.Column("entry", sa.LargeBinary, nullable=False))
    op.create_index("ix_interactions_user_id", "interactions", ["user_id", "id"])
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.JSON))
    op.bulk_insert(meta, [{"key": "catalog_version", "value": "first"}])


def downgrade() -> None:
    op.execute("DELETE FROM meta WHERE key = 'catalog_version'")
    op.drop_index("ix_interactions_user_id", "interactions")
    op.drop_table("recommendation_cache")
