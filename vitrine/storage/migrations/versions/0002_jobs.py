"""The job queue: jobs held by a worker's renewed lease (worker, lease_until).

A store from before migrations may have the table without the lease columns, or no table."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("jobs"):
        op.create_table(
            "jobs",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("request", sa.JSON, nullable=False),
            sa.Column("result", sa.JSON),
            sa.Column("error", sa.Text),
            sa.Column("client", sa.String(64)),
            sa.Column("created_at", sa.BigInteger, nullable=False),
            sa.Column("finished_at", sa.BigInteger),
            sa.Column("worker", sa.String(96)),
            sa.Column("lease_until", sa.BigInteger))
        op.create_index("ix_jobs_status", "jobs", ["status"])
        return
    have = {c["name"] for c in inspector.get_columns("jobs")}
    with op.batch_alter_table("jobs") as batch:
        if "worker" not in have:
            batch.add_column(sa.Column("worker", sa.String(96)))
        if "lease_until" not in have:
            batch.add_column(sa.Column("lease_until", sa.BigInteger))
    if "ix_jobs_status" not in {i["name"] for i in inspector.get_indexes("jobs")}:
        op.create_index("ix_jobs_status", "jobs", ["status"])


def downgrade() -> None:
    op.drop_table("jobs")
