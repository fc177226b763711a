"""Copying a whole book to another, across engines (`rolo book copy SRC DEST`): SQLite → PostgreSQL and back.

Every table of the schema is copied row for row, ids included (so every reference between rows holds), in
the order of the schema's foreign keys, from one consistent read of the source into one transaction of the
destination: contacts and their entries, labels, custom fields and their definitions, notes and the notes
log, organizations, aliases of merged contacts, import bases, the history, and the sync state (links,
snapshots, bookmarks, the journal, conflicts). The search index is engine-specific and rebuilt at the end,
in the same transaction; on PostgreSQL each id sequence then continues after the largest id copied.

The destination must hold no contact (a new database or file, or an empty book): a copy never merges two
books. Values cross engines by the schema's column types: SQLite's 0/1 become booleans and back; JSON
columns travel as their text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rolo.core.errors import UserError
from rolo.core.store import connection, integrity
from rolo.core.store.postgres import dialect

BATCH = 1000
_SKIP = {"alembic_version", "contact_fts"}


@dataclass
class CopyReport:
    """What was copied: rows per table, and the two books (a PostgreSQL URL without its password)."""

    source: str
    destination: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def contacts(self) -> int:
        return self.rows.get("contact", 0)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "destination": self.destination, "contacts": self.contacts,
                "rows": dict(self.rows)}


def _tables() -> list[Any]:
    import rolo.core.history.models  # noqa: F401  (registers the tables)
    import rolo.core.models  # noqa: F401
    import rolo.core.sync.models  # noqa: F401
    from sqlmodel import SQLModel

    return [t for t in SQLModel.metadata.sorted_tables if t.name not in _SKIP]


def copy_book(source: str, destination: str, *, progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy the book at `source` into `destination` (see the module docstring).

    Raises:
        BookError: a missing source, or a destination that cannot be opened or created.
        UserError: the destination already holds contacts, or is the source itself.
    """
    if connection.book_name(source) == connection.book_name(destination):
        raise UserError("the destination is the source itself")
    if not connection.book_exists(source):
        raise connection.missing_book_error(source)
    src = connection.read_connection(source)
    dst = connection.write_connection(destination)  # created (migrated to this rolo's schema) if new
    report = CopyReport(str(connection.book_name(source)), str(connection.book_name(destination)))
    try:
        held = dst.execute("SELECT count(*) FROM contact").fetchone()[0]
        if held:
            raise UserError(f"{report.destination} already holds a book of {held} contact{'s' * (held != 1)}: "
                            "rolo book copy writes only into a new (or empty) book")
        src.execute("BEGIN")  # one consistent read of the source (connection.snapshot)
        try:
            connection.begin_write(dst)
            try:
                for table in _tables():
                    report.rows[table.name] = _copy_table(src, dst, table, progress)
                if dialect(dst) == "postgresql":
                    _continue_sequences(dst)
                integrity.reindex_all(dst, BATCH)
            except BaseException:
                dst.rollback()
                raise
            dst.commit()
        finally:
            src.execute("COMMIT")
    finally:
        src.close()
        dst.close()
    return report


def _copy_table(src: Any, dst: Any, table: Any, progress: Callable[[str, int], None] | None) -> int:
    from sqlalchemy import Boolean

    names = [c.name for c in table.columns]
    flags = [isinstance(c.type, Boolean) for c in table.columns]
    order = ", ".join(c.name for c in table.primary_key.columns)
    dst.execute(f"DELETE FROM {table.name}")  # an empty book's own rows (none but what migrations seed)
    select = f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order}"
    # a PostgreSQL source streams from the server (a plain cursor would hold the whole table in memory)
    cursor = src.stream(select) if dialect(src) == "postgresql" else src.execute(select)
    insert = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    count = 0
    while rows := cursor.fetchmany(BATCH):
        dst.executemany(insert, [tuple(bool(v) if flag and v is not None else v for v, flag in zip(row, flags))
                                 for row in rows])
        count += len(rows)
        if progress is not None:
            progress(table.name, count)
    return count


def _continue_sequences(dst: Any) -> None:
    """Each serial id continues after the largest copied (PostgreSQL's sequences do not follow inserts)."""
    for table in _tables():
        if "id" in table.columns and table.columns["id"].primary_key:
            dst.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)")
