"""a contact's emails, phones, addresses and URLs indexed by (contact_id, position)

Reads fetch a contact's entries in `position` order; an index on (contact_id, position) serves the lookup
and the order at once, so `rolo list --json` needs no sort per contact. It replaces the index on contact_id
alone (its prefix), so writes maintain as many indexes as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 07:40:00
"""

from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("email", "phone", "address", "url")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_contact_position", table, ["contact_id", "position"], unique=False)
        op.drop_index(f"ix_{table}_contact_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_contact_id", table, ["contact_id"], unique=False)
        op.drop_index(f"ix_{table}_contact_position", table_name=table)
