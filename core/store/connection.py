"""Opening the book file: where it is, its SQLite settings, and its schema version.

Everything SQLite-specific about connections lives here (pragmas, WAL, BEGIN IMMEDIATE, backups), so a
server engine can be added later without touching callers. Both kinds of connection are plain `sqlite3`
(commands must not pay the ~0.3 s import of SQLAlchemy):

- `write_connection()`: for `rolo.core.store.writer`, whose transactions begin with `begin_write()`
  (BEGIN IMMEDIATE: the write lock is taken up front);
- `read_connection()`: autocommit reads; several queries that must agree run inside BEGIN/COMMIT.

Opening checks the schema cheaply (one query on `alembic_version`); alembic (and with it SQLAlchemy) is
imported only to create a book or upgrade an old one, after writing a backup copy beside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rolo.core.errors import BookError

# The newest migration this program knows; a test checks it against the migrations folder.
SCHEMA_HEAD = "0006"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006")
BUSY_TIMEOUT_MS = 10_000
# The alembic history of the schema (its models are rolo.core.models and rolo.core.sync.models).
MIGRATIONS = Path(__file__).parent.parent / "migrations"


def book_path(location: str) -> Path:
    """The SQLite file behind a path or a `sqlite:///` URL; other engines are refused for now."""
    if "://" not in location:
        return Path(location).expanduser()
    scheme, _, rest = location.partition("://")
    if scheme not in ("sqlite", "sqlite+pysqlite"):
        raise BookError(f"unsupported book URL {location!r}: only sqlite:///PATH books are supported")
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        raise BookError(f"book URL {location!r} must name a file, as sqlite:///relative or sqlite:////absolute")
    return Path(rest[1:]).expanduser()


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")


def _current_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "no such table" in str(exc):
            return None
        raise BookError(f"cannot read the book: {exc}") from None
    return row[0] if row else None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        _configure(conn)
    except sqlite3.DatabaseError as exc:
        raise BookError(f"cannot open book {path}: {exc}") from None
    return conn


def ensure_schema(path: Path) -> None:
    """Create the book if missing, upgrade it (after a backup) if old, refuse it if newer than rolo."""
    if path.exists() and path.stat().st_size > 0:
        conn = _connect(path)
        try:
            revision = _current_revision(conn)
        finally:
            conn.close()
        if revision == SCHEMA_HEAD:
            return
        if revision is not None and revision not in KNOWN_REVISIONS:
            raise BookError(
                f"book {path} has schema {revision}, newer than this rolo understands",
                hint="upgrade rolo to open it",
            )
        if revision is None and _has_tables(path):
            raise BookError(f"{path} is not a rolo book (it has tables but no rolo schema version)")
        if revision is not None:
            _backup(path, revision)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BookError(f"cannot create the book's folder {path.parent}: {exc.strerror or exc}") from None
    try:
        upgrade(path)
    except Exception as exc:  # sqlite3 or SQLAlchemy OperationalError: a file we cannot write
        if type(exc).__name__ != "OperationalError":
            raise
        reason = getattr(exc, "orig", exc)
        raise BookError(f"cannot create or upgrade book {path}: {reason}") from None


def _has_tables(path: Path) -> bool:
    conn = _connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise BookError(f"{path} is not a rolo book: {exc}") from None
    finally:
        conn.close()


def _backup(path: Path, revision: str) -> Path:
    """Copy the book (consistently, through SQLite's backup API) before changing its schema."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    src, dst = _connect(path), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def upgrade(path: Path, revision: str = "head") -> None:
    """Run the migrations up to `revision` on the book file (alembic, through a SQLAlchemy engine)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, event

    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # SQLAlchemy, not the sqlite3 module, decides where transactions start
        _configure(dbapi_conn)
        dbapi_conn.execute("PRAGMA journal_mode = WAL")  # outside a transaction: SQLite ignores it inside one

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def write_connection(location: str) -> sqlite3.Connection:
    """A connection for writing, schema ensured; start each transaction with `begin_write()`."""
    path = book_path(location)
    ensure_schema(path)
    conn = _connect(path)
    # 8 MiB of page cache for writes (reads keep SQLite's 2 MiB): the default misses constantly on a
    # large book's uid index; more costs memory that a 100k import must keep under 150 MB.
    conn.execute("PRAGMA cache_size = -8192")
    conn.execute("PRAGMA journal_mode = WAL")
    return conn


def begin_write(conn: sqlite3.Connection) -> None:
    """Start a write transaction holding the write lock from the start: a deferred transaction that later
    upgrades to a writer can fail with SQLITE_BUSY at once, whatever the busy timeout, when another
    process writes meanwhile."""
    conn.execute("BEGIN IMMEDIATE")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Several reads on an autocommit connection that see one state of the book, even while another
    process writes (a read transaction in WAL mode)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def read_connection(location: str) -> sqlite3.Connection:
    """A plain sqlite3 connection for reading (autocommit; wrap multi-query reads in BEGIN/COMMIT)."""
    path = book_path(location)
    if path.exists():
        conn = _connect(path)
        if _current_revision(conn) == SCHEMA_HEAD:  # the common case: one cheap query, no alembic
            conn.row_factory = sqlite3.Row
            return conn
        conn.close()
    ensure_schema(path)
    conn = _connect(path)
    conn.row_factory = sqlite3.Row
    return conn
