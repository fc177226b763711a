"""sync state: links of contacts to remote records with snapshots, bookmarks, run journal, conflict log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:05:01.552138
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remote', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('counts', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('errors', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_run_remote'), ['remote'], unique=False)

    op.create_table('sync_state',
    sa.Column('remote', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('bookmark', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('remote_count', sa.Integer(), nullable=False),
    sa.Column('last_full_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('last_sync_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('remote')
    )
    op.create_table('sync_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remote', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('local_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('remote_value', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('kept', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('policy', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflict_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_conflict_remote'), ['remote'], unique=False)

    op.create_table('sync_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('remote', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('local_snapshot', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('remote_snapshot', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('local_revision', sa.Integer(), nullable=True),
    sa.Column('remote_version', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pending', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pending_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pending_data', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('synced_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('remote', 'contact_id', name='uq_sync_link_contact'),
    sa.UniqueConstraint('remote', 'remote_id', name='uq_sync_link_remote_id')
    )
    with op.batch_alter_table('sync_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_link_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_link_remote'), ['remote'], unique=False)


def downgrade() -> None:
    for table in ("sync_link", "sync_conflict", "sync_state", "sync_run"):
        op.drop_table(table)
