"""adapter memo: what an adapter found out about its remote (say, which of two plausible endpoint designs
the server has), kept between runs so each question is asked once

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adapter_memo", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("adapter_memo")
