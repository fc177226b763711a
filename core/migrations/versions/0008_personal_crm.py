"""the personal CRM layer: interactions (note.kind), private fields and notes (local_only), dated events
beside the birthday (contactdate), typed links between contacts (related), keep-in-touch cadences

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 23:50:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _child_table(name: str, *columns: sa.Column) -> None:
    """A table of a contact's entries, read in position order like email's and phone's."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f"ix_{name}_contact_position", ["contact_id", "position"], unique=False)


def _add_flag(table: str, column: str) -> None:
    """A NOT NULL boolean on a table with rows: added with a default for those rows, then the default is
    dropped so the table matches its model (rolo's writes always give the value)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(column, server_default=None, existing_type=sa.Boolean(), existing_nullable=False)


def upgrade() -> None:
    _child_table("contactdate",
                 sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                 sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False))
    _child_table("related",
                 sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
                 sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
                 sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("related", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_related_uid"), ["uid"], unique=False)
    op.create_table(
        "keepintouch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("label_id", sa.Integer(), nullable=True),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["label_id"], ["label.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id"),
        sa.UniqueConstraint("label_id"),
    )
    _add_flag("fielddef", "local_only")
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index("ix_note_interaction", ["contact_id", "kind", "created_at"], unique=False)
    _add_flag("note", "local_only")


def downgrade() -> None:
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index("ix_note_interaction")
        batch_op.drop_column("local_only")
        batch_op.drop_column("kind")
    with op.batch_alter_table("fielddef", schema=None) as batch_op:
        batch_op.drop_column("local_only")
    op.drop_table("keepintouch")
    with op.batch_alter_table("related", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_related_uid"))
        batch_op.drop_index("ix_related_contact_position")
    op.drop_table("related")
    with op.batch_alter_table("contactdate", schema=None) as batch_op:
        batch_op.drop_index("ix_contactdate_contact_position")
    op.drop_table("contactdate")
