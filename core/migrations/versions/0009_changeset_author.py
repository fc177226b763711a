"""changeset author: who made each change (user@host, or ROLO_AUTHOR), for books several people write

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 04:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("changeset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("changeset", schema=None) as batch_op:
        batch_op.drop_column("author")
