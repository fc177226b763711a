"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:27:50.021121
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

FTS_CREATE = """
CREATE VIRTUAL TABLE contact_fts USING fts5(
    name, nickname, org, title, email, phone, notes, labels, fields,
    tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3'
)
"""


PG_SEARCH_CREATE = """
CREATE TABLE contact_fts (
    rowid INTEGER PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
    name TEXT, nickname TEXT, org TEXT, title TEXT, email TEXT, phone TEXT, notes TEXT, labels TEXT, fields TEXT,
    doc tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(name, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(nickname, '') || ' ' || coalesce(email, '')
                                 || ' ' || coalesce(phone, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(org, '') || ' ' || coalesce(title, '')
                                 || ' ' || coalesce(labels, '')), 'C')
        || setweight(to_tsvector('simple', coalesce(notes, '') || ' ' || coalesce(fields, '')), 'D')
    ) STORED
)
"""


def upgrade() -> None:
    op.create_table('fielddef',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fielddef', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fielddef_name_key'), ['name_key'], unique=True)

    op.create_table('label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_name_key'), ['name_key'], unique=True)

    op.create_table('organization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('domains', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_name_key'), ['name_key'], unique=True)

    op.create_table('contact',
    sa.Column('uid', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('formatted_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('given_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('additional_names', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('family_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('suffix', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('nickname', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('department', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('birthday', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('notes', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('starred', sa.Boolean(), nullable=False),
    sa.Column('photo_type', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('sort_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_sort_key'), ['sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_source_hash'), ['source_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_uid'), ['uid'], unique=True)
        batch_op.create_index(batch_op.f('ix_contact_updated_at'), ['updated_at'], unique=False)

    op.create_table('address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('po_box', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('extended', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('locality', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('region', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('postal_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pref', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_contact_id'), ['contact_id'], unique=False)

    op.create_table('contactlabel',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'label_id')
    )
    with op.batch_alter_table('contactlabel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contactlabel_label_id'), ['label_id'], unique=False)

    op.create_table('email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('address_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pref', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_address_key'), ['address_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_contact_id'), ['contact_id'], unique=False)

    op.create_table('extraproperty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('raw', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('extraproperty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extraproperty_contact_id'), ['contact_id'], unique=False)

    op.create_table('fieldvalue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['field_id'], ['fielddef.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contact_id', 'field_id', 'position')
    )
    with op.batch_alter_table('fieldvalue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fieldvalue_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fieldvalue_field_id'), ['field_id'], unique=False)

    op.create_table('note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_note_created_at'), ['created_at'], unique=False)

    op.create_table('phone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('e164', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('pref', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('phone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_phone_e164'), ['e164'], unique=False)

    op.create_table('url',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('url', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_url_contact_id'), ['contact_id'], unique=False)


    # Full-text index (SQLite FTS5). Kept up to date by rolo.core.search.reindex, not by triggers,
    # because a contact's document spans seven tables.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(FTS_CREATE)
    elif op.get_bind().dialect.name == "postgresql":
        # The same index on PostgreSQL (rolo.core.store.search): the columns hold the words already split
        # and folded as FTS5's tokenizer would, `doc` weighs them for ranking; pg_trgm serves the custom-field
        # filters' case-insensitive prefixes
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(PG_SEARCH_CREATE)
        op.execute("CREATE INDEX ix_contact_fts_doc ON contact_fts USING gin (doc)")
        op.execute("CREATE INDEX ix_fieldvalue_value_trgm ON fieldvalue USING gin (value gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name in ("sqlite", "postgresql"):
        op.execute("DROP TABLE IF EXISTS contact_fts")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('url', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_url_contact_id'))

    op.drop_table('url')
    with op.batch_alter_table('phone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_phone_contact_id'))

    op.drop_table('phone')
    with op.batch_alter_table('note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_created_at'))
        batch_op.drop_index(batch_op.f('ix_note_contact_id'))

    op.drop_table('note')
    with op.batch_alter_table('fieldvalue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fieldvalue_field_id'))
        batch_op.drop_index(batch_op.f('ix_fieldvalue_contact_id'))

    op.drop_table('fieldvalue')
    with op.batch_alter_table('extraproperty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraproperty_contact_id'))

    op.drop_table('extraproperty')
    with op.batch_alter_table('email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_contact_id'))
        batch_op.drop_index(batch_op.f('ix_email_address_key'))

    op.drop_table('email')
    with op.batch_alter_table('contactlabel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contactlabel_label_id'))

    op.drop_table('contactlabel')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_contact_id'))

    op.drop_table('address')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_updated_at'))
        batch_op.drop_index(batch_op.f('ix_contact_uid'))
        batch_op.drop_index(batch_op.f('ix_contact_source_hash'))
        batch_op.drop_index(batch_op.f('ix_contact_sort_key'))
        batch_op.drop_index(batch_op.f('ix_contact_organization_id'))
        batch_op.drop_index(batch_op.f('ix_contact_deleted_at'))

    op.drop_table('contact')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_name_key'))

    op.drop_table('organization')
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_name_key'))

    op.drop_table('label')
    with op.batch_alter_table('fielddef', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fielddef_name_key'))

    op.drop_table('fielddef')
    # ### end Alembic commands ###
