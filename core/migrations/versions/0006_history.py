"""history: change sets and their per-contact field diffs; import bases for three-way imports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changeset",
        sa.Column("undoes", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["undoes"], ["changeset.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("changeset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changeset_undoes"), ["undoes"], unique=False)
    op.create_table(
        "contactchange",
        sa.Column("changeset_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("op", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("diff", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["changeset_id"], ["changeset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contactchange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contactchange_changeset_id"), ["changeset_id"], unique=False)
        batch_op.create_index("ix_contactchange_contact", ["contact_id", "id"], unique=False)
    op.create_table(
        "importbase",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("card_uid", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("card_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fields", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "card_uid", name="uq_importbase_source_uid"),
    )
    with op.batch_alter_table("importbase", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_importbase_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_table("importbase")
    op.drop_table("contactchange")
    op.drop_table("changeset")
