"""activity pulled into the notes log: note.source_key, sync_state.activity_since

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:05:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        # one entry per source and contact: a meeting pulled twice lands once (NULLs, typed notes, never clash)
        batch_op.create_index("ux_note_contact_source", ["contact_id", "source_key"], unique=True)
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("activity_since", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.drop_column("activity_since")
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index("ux_note_contact_source")
        batch_op.drop_column("source_key")
