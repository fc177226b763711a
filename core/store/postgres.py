"""A book on PostgreSQL (`--book postgresql://user@host/db`): the connection the store's modules use.

The store's modules were written against `sqlite3`; `PgConnection` gives them the same small surface
(`execute`, `executemany`, cursors with `fetchone`/`fetchall`/`fetchmany`/iteration, `lastrowid`,
`rowcount`, `close`) over psycopg, so one module's SQL serves both engines wherever the SQL is standard,
and the few statements that are not ask `dialect(conn)`. What the translation does, and only this:

- `?` placeholders outside quoted text become psycopg's `%s`, and every literal `%` becomes `%%`;
- `last_insert_rowid()` is `lastval()`, and a cursor's `lastrowid` asks `lastval()` after an INSERT;
- `BEGIN IMMEDIATE` (SQLite's "take the write lock now") is `BEGIN` plus a transaction-scoped advisory
  lock, so writers take turns exactly as on SQLite (readers never wait: PostgreSQL's snapshots); two
  people's edits of one contact are then told apart by its revision (`rolo.core.edit_merge`);
- psycopg's errors are raised as the `sqlite3` DB-API classes the callers already catch
  (`IntegrityError` for a constraint, `OperationalError` for the server or connection, else
  `DatabaseError`), with PostgreSQL's message.

The schema is the same alembic history as SQLite's; the search index is PostgreSQL's own (full-text
`tsvector` plus `pg_trgm` trigrams: `rolo.core.store.search`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: The advisory lock every write transaction takes first (one writer at a time, as SQLite's BEGIN IMMEDIATE).
WRITE_LOCK = 0x726F6C6F  # "rolo"
SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def is_postgres(location: str) -> bool:
    """Whether a book location names a PostgreSQL database."""
    return location.startswith(SCHEMES)


def dsn(location: str) -> str:
    """The libpq connection string of a book URL (SQLAlchemy's `postgresql+psycopg://` spelling taken too)."""
    return "postgresql://" + location.split("://", 1)[1]


def sqlalchemy_url(location: str) -> str:
    """The URL SQLAlchemy (alembic) opens the database with, through psycopg 3."""
    return "postgresql+psycopg://" + location.split("://", 1)[1]


def shown(location: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:@/]+):[^@/]*@", r"://\1:***@", location)


def translate(sql: str) -> str:
    """SQLite's spelling of a statement as psycopg takes it (see the module docstring)."""
    sql = sql.replace("last_insert_rowid()", "lastval()")

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        return token.replace("%", "%%")  # psycopg reads % everywhere, quoted text included

    return _TOKEN.sub(swap, sql)


@contextmanager
def _as_sqlite_errors() -> Iterator[None]:
    """psycopg's errors, raised as the sqlite3 DB-API classes the store's callers catch."""
    import psycopg

    try:
        yield
    except psycopg.Error as exc:
        raise _error(exc) from None


def _error(exc: Exception) -> sqlite3.DatabaseError:
    import psycopg

    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, psycopg.OperationalError | psycopg.errors.InsufficientPrivilege):
        return sqlite3.OperationalError(message)
    return sqlite3.DatabaseError(message)


class PgCursor:
    """A psycopg cursor as the store's modules use a sqlite3 one."""

    def __init__(self, conn: PgConnection, cursor: Any, inserted: bool) -> None:
        self._conn = conn
        self._cursor = cursor
        self._inserted = inserted

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int | None:
        if not self._inserted:
            return None
        return self._conn.lastval()

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int = 1000) -> list[Any]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """One psycopg connection in autocommit mode; transactions are the statements the store sends."""

    dialect = "postgresql"

    def __init__(self, location: str) -> None:
        import psycopg

        self.location = location
        try:
            self._conn = psycopg.connect(dsn(location), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            from rolo.core.errors import BookError

            raise BookError(f"cannot open book {shown(location)}: {str(exc).strip().splitlines()[-1].strip()}",
                            hint="check the server, the database name and the user (a password goes in "
                                 "~/.pgpass or $PGPASSWORD)") from None
        # JSON columns come back as their text, as SQLite gives them (the store decodes them itself)
        from psycopg.types.string import TextLoader

        for name in ("json", "jsonb"):
            self._conn.adapters.register_loader(name, TextLoader)
        self.row_factory: Any = None  # sqlite3's attribute: rows are tuples here either way
        self._streams = 0

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        statement = sql.strip()
        head = statement[:16].upper()
        if head.startswith("BEGIN IMMEDIATE"):
            self._run("BEGIN")
            return self.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        if head.rstrip(";") == "BEGIN":  # a read snapshot (connection.snapshot): one state for every query
            self._run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return PgCursor(self, self._conn.cursor(), False)
        cursor = self._conn.cursor()
        with _as_sqlite_errors():
            cursor.execute(translate(sql), tuple(params or ()))  # type: ignore[arg-type]
        return PgCursor(self, cursor, head.startswith("INSERT"))

    def stream(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        """A server-side cursor (inside a transaction): rows arrive as `fetchmany` asks for them."""
        self._streams += 1
        cursor = self._conn.cursor(name=f"rolo_stream_{self._streams}")
        with _as_sqlite_errors():
            cursor.execute(translate(sql), tuple(params or ()))  # type: ignore[arg-type]
        return PgCursor(self, cursor, False)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        cursor = self._conn.cursor()
        rows = [tuple(r) for r in rows]
        if rows:
            with _as_sqlite_errors():
                cursor.executemany(translate(sql), rows)
        return PgCursor(self, cursor, False)

    def _run(self, sql: str) -> None:
        with _as_sqlite_errors():
            self._conn.execute(sql)

    def lastval(self) -> int | None:
        import psycopg

        try:
            row = self._conn.execute("SELECT lastval()").fetchone()
        except psycopg.Error:
            return None
        return int(row[0]) if row else None

    @property
    def in_transaction(self) -> bool:
        import psycopg.pq

        return bool(self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)

    def commit(self) -> None:
        if self.in_transaction:
            self._run("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self._run("ROLLBACK")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:  # as sqlite3's: end the transaction, keep the connection
        if exc[0] is None:
            self.commit()
        else:
            self.rollback()


def dialect(conn: Any) -> str:
    """`postgresql` for a PgConnection, `sqlite` for a sqlite3 one."""
    return getattr(conn, "dialect", "sqlite")
