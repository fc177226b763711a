"""contact aliases: the uids of contacts merged away, each naming the contact that absorbed it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contactalias",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contactalias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contactalias_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contactalias_uid"), ["uid"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("contactalias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contactalias_uid"))
        batch_op.drop_index(batch_op.f("ix_contactalias_contact_id"))
    op.drop_table("contactalias")
