"""The SQLModel models are the schema's single declaration (issue 9): a book built by rolo's own migrations
has exactly the tables, columns, types, nullability, defaults, indexes, unique constraints, primary keys and
foreign keys (with their ON DELETE) that rolo.core.models and rolo.core.sync.models declare.

Alembic's autogenerate comparison does most of the work. It has two blind spots on SQLite, which
`test_keys_the_comparison_does_not_see` covers: it never compares primary keys, and it does not report a
unique constraint that the book has but the models lack when the constraint is unnamed (it could not name it
to drop it), like fieldvalue's (contact_id, field_id, position).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, UniqueConstraint, create_engine, inspect
from sqlmodel import SQLModel

import rolo.core.models  # noqa: F401  (registers the book's tables on SQLModel.metadata)
import rolo.core.sync.models  # noqa: F401  (and the sync state's)
import rolo.core.history.models  # noqa: F401  (and the history's)
from rolo.core.store.connection import ensure_schema

# The full-text index is an FTS5 virtual table that migration 0001 creates with raw SQL (SQLAlchemy has no
# construct for virtual tables), and SQLite backs it with shadow tables of its own; none of them has, or
# can have, a model. They are left out by exact name, so any other table missing from the models still shows.
FTS_TABLES = {"contact_fts"} | {
    f"contact_fts_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")
}


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name in FTS_TABLES)


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    """A connection to a book that rolo's migrations built, as every user's book was."""
    path = tmp_path / "book.db"
    ensure_schema(path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def test_migrations_build_what_the_models_declare(connection: Connection):
    context = MigrationContext.configure(connection, opts={
        # Types are compared too: SQLite reflects what the migrations wrote (VARCHAR, INTEGER, BOOLEAN, BLOB,
        # JSON), and alembic matches each to the model's type without noise, so nothing is excluded.
        "compare_type": True,
        # No column has a server default on either side (rolo's writes give every NOT NULL column a
        # value); comparing them catches one added on one side only.
        "compare_server_default": True,
        "include_name": _include_name,
    })
    differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], (
        "the migrations and the models disagree (add a migration, or fix the model):\n"
        + "\n".join(map(str, differences))
    )


def test_the_excluded_tables_are_the_search_index(connection: Connection):
    # the filter above hides exactly the FTS5 index and its shadow tables, which the book does have
    tables = set(inspect(connection).get_table_names())
    assert FTS_TABLES <= tables
    assert not FTS_TABLES & set(SQLModel.metadata.tables)


def test_keys_the_comparison_does_not_see(connection: Connection):
    inspector = inspect(connection)
    book_tables = set(inspector.get_table_names()) - FTS_TABLES - {"alembic_version"}
    assert book_tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        primary_key = inspector.get_pk_constraint(name)["constrained_columns"]
        assert primary_key == [c.name for c in table.primary_key], name
        declared = {
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints if isinstance(constraint, UniqueConstraint)
        }
        in_book = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
        assert in_book == declared, name
