"""An index on generated pictures' content hash: `GET /images/{sha256}` looks a generated picture
up by it on every request (without it, a scan of every generated picture)."""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_generated_images_sha256", "generated_images", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_generated_images_sha256", "generated_images")
