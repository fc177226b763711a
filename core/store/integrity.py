"""The book's health, as `rolo doctor` checks it: SQLite's integrity checks, the schema revision, and the
search index against the tables; and rebuilding that index.

Everything here opens an existing book without creating or upgrading it (`connection.connect_existing`), so
a check changes nothing (the FTS5 'integrity-check' command is an INSERT: it runs in a transaction that is
rolled back).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rolo.core.store import connection, reader, search
from rolo.core.store.postgres import dialect


@dataclass(frozen=True)
class IndexReport:
    """The search index beside the contacts: counts, rows missing either way, FTS5's own verdict."""

    live: int  # live contacts (the index holds one row per live contact)
    trashed: int
    indexed: int  # rows in the index
    missing: int  # live contacts without an index row: search cannot find them
    orphans: int  # index rows of no live contact: search may return deleted or vanished contacts
    fts_problem: str | None  # what FTS5 'integrity-check' reported; None: the index is sound

    @property
    def ok(self) -> bool:
        """Whether the index matches the contacts and is sound."""
        return not (self.missing or self.orphans or self.fts_problem) and self.indexed == self.live


def check(conn: sqlite3.Connection, *, full: bool = False) -> list[str]:
    """`PRAGMA quick_check` (`integrity_check` with `full`) problems, at most 10; [] when sound."""
    return connection.quick_check(conn, full=full, limit=10)


def revision(conn: sqlite3.Connection) -> tuple[str | None, bool]:
    """The book's schema revision (None: none) and whether it has any tables at all."""
    if dialect(conn) == "postgresql":
        if not connection.pg_has_tables(conn):  # type: ignore[arg-type]
            return None, False
        return connection.pg_revision(conn), True  # type: ignore[arg-type]
    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if not tables:
        return None, False
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table
        return None, True
    return (row[0] if row else None), True


def refresh_statistics(location: str) -> None:
    """ANALYZE a PostgreSQL book (autocommit: it takes no lock that writers wait on)."""
    conn = connection.write_connection(location)
    try:
        conn.execute("ANALYZE")
    finally:
        conn.close()


def server_facts(conn: sqlite3.Connection) -> tuple[str, int]:
    """A PostgreSQL book's server version and the database's size in bytes."""
    version = conn.execute("SHOW server_version").fetchone()[0]
    return str(version), int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def index_report(conn: sqlite3.Connection) -> IndexReport:
    """Compare the search index with the contact table (current schema only)."""
    live, trashed = conn.execute(
        "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) "
        "FROM contact").fetchone()
    indexed = conn.execute("SELECT count(*) FROM contact_fts").fetchone()[0]
    missing = conn.execute(
        "SELECT count(*) FROM contact c WHERE c.deleted_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM contact_fts f WHERE f.rowid = c.id)").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM contact_fts f WHERE NOT EXISTS "
        "(SELECT 1 FROM contact c WHERE c.id = f.rowid AND c.deleted_at IS NULL)").fetchone()[0]
    problem = None
    if dialect(conn) == "postgresql":  # a plain table: the counts are the whole check
        return IndexReport(live, trashed, indexed, missing, orphans, None)
    conn.execute("BEGIN")
    try:
        conn.execute("INSERT INTO contact_fts (contact_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    finally:
        conn.execute("ROLLBACK")
    return IndexReport(live, trashed, indexed, missing, orphans, problem)


def rebuild_index(location: str) -> int:
    """Rebuild the search index from the contacts, in one write transaction; returns the contacts indexed.
    A missing book is an error (this never creates one)."""
    if not connection.book_exists(location):
        raise connection.missing_book_error(location)
    conn = connection.write_connection(location)
    try:
        connection.begin_write(conn)
        try:
            count = reindex_all(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    finally:
        conn.close()
    return count


def reindex_all(conn: sqlite3.Connection, batch: int = 1000) -> int:
    """Rebuild the search index from the live contacts, inside the caller's write transaction; returns the
    contacts indexed (`rolo doctor --reindex`, and a book copied to another engine)."""
    conn.execute("DELETE FROM contact_fts")
    ids = [row[0] for row in conn.execute("SELECT id FROM contact WHERE deleted_at IS NULL ORDER BY id")]
    for start in range(0, len(ids), batch):
        search.reindex(conn, reader.load_contacts(conn, ids[start : start + batch]))
    return len(ids)
