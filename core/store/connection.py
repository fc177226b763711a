"""Opening the book file: where it is, its SQLite settings, and its schema version.

Everything SQLite-specific about connections lives here (pragmas, WAL, BEGIN IMMEDIATE, backups), so a
server engine can be added later without touching callers. Both kinds of connection are plain `sqlite3`
(commands must not pay the ~0.3 s import of SQLAlchemy):

- `write_connection()`: for `rolo.core.store.writer`, whose transactions begin with `begin_write()`
  (BEGIN IMMEDIATE: the write lock is taken up front);
- `read_connection()`: autocommit reads; several queries that must agree run inside BEGIN/COMMIT.

Opening checks the schema cheaply (one query on `alembic_version`); alembic (and with it SQLAlchemy) is
imported only to create a book or upgrade an old one, after writing a backup copy beside it.

Safety (issue 11):

- Only writes create a missing book. The CLI's read commands call `refuse_creating_reads()`, after which a
  read of a missing (or empty) book is a BookError naming the path, with a hint for the `sqlite:///` URL
  mistake (three slashes are a relative path, four an absolute one). Library callers keep the old behaviour.
- `PRAGMA quick_check` costs 16 ms on a 10,000-contact book and 160 ms on a 100,000-contact one (twice the
  whole `rolo add`), so it does not run on every open: it runs before the first write of each day (the day
  of the last clean check is kept in the book's `PRAGMA user_version`, free to read), in `rolo doctor`, and
  on every `rolo backup` copy. Reads never pay for it; SQLite's own errors for a damaged page it touches
  (SQLITE_CORRUPT, SQLITE_NOTADB) become `damaged_error()`, which names the backups rolo made.
- Backups, before a migration or by `rolo backup`, use SQLite's online backup API (consistent while other
  processes write) and are named `BOOK.backup-SCHEMA-TIME` beside the book.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rolo.core.errors import BookError
from rolo.core.store import postgres

# The newest migration this program knows; a test checks it against the migrations folder.
SCHEMA_HEAD = "0009"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")
BUSY_TIMEOUT_MS = 10_000
# The alembic history of the schema (its models are rolo.core.models and rolo.core.sync.models).
MIGRATIONS = Path(__file__).parent.parent / "migrations"


def book_path(location: str) -> Path:
    """The SQLite file behind a path or a `sqlite:///` URL (a PostgreSQL book has none: `is_postgres`)."""
    if "://" not in location:
        return Path(location).expanduser()
    scheme, _, rest = location.partition("://")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        raise BookError(f"book {postgres.shown(location)} is a PostgreSQL database, not a file")
    if scheme not in ("sqlite", "sqlite+pysqlite"):
        raise BookError(f"unsupported book URL {location!r}: a book is a path, a sqlite:///PATH URL or a "
                        "postgresql://USER@HOST/DATABASE URL")
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        raise BookError(f"book URL {location!r} must name a file, as sqlite:///relative or sqlite:////absolute")
    return Path(rest[1:]).expanduser()


# -- a missing book: only writes create one --------------------------------------------------------------------------
_READS_CREATE: ContextVar[bool] = ContextVar("rolo_reads_create", default=True)
_CREATE_HINT = "rolo init creates it, as does any write such as rolo add or rolo import"


def refuse_creating_reads() -> Token[bool]:
    """From now on (in this context: the CLI's thread), reading a missing book is an error instead of
    creating it; `allow_creating_reads(token)` undoes it."""
    return _READS_CREATE.set(False)


def allow_creating_reads(token: Token[bool]) -> None:
    """Undo `refuse_creating_reads()`."""
    try:
        _READS_CREATE.reset(token)
    except ValueError:  # made in another context: that context ends with it
        pass


def book_exists(location: str) -> bool:
    """Whether the book is there: a non-empty file, or a PostgreSQL database holding a rolo schema."""
    if postgres.is_postgres(location):
        conn = postgres.PgConnection(location)
        try:
            return pg_revision(conn) is not None
        finally:
            conn.close()
    return is_book_file(book_path(location))


def is_book_file(path: Path) -> bool:
    """Whether the file exists and is not empty (an empty file is what SQLite makes of a new book), or has
    a write-ahead log that is not (what a killed process may leave before the first checkpoint)."""
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            if candidate.stat().st_size > 0:
                return True
        except OSError:
            pass
    return False


def _url_mistake(location: str) -> tuple[Path, Path] | None:
    """(relative, absolute) when a `sqlite:///x/y` URL names a relative path that does not exist while the
    absolute one (`/x/y`, which needs four slashes) does."""
    scheme, sep, rest = location.partition("://")
    if not sep or scheme not in ("sqlite", "sqlite+pysqlite") or rest.startswith("//"):
        return None
    relative = book_path(location)
    absolute = Path("/") / relative
    if relative.is_absolute() or relative.exists() or not absolute.is_file():
        return None
    return relative, absolute


def book_name(location: str) -> Path | str:
    """The book as messages name it: its file's absolute path, or a PostgreSQL URL without its password."""
    if postgres.is_postgres(location):
        return postgres.shown(location)
    return book_path(location).absolute()


def missing_book_error(location: str) -> BookError:
    """The error for a book a read needs and does not find: the path, and what to do."""
    if postgres.is_postgres(location):
        return BookError(f"no book in {postgres.shown(location)} (the database has no rolo schema)",
                         hint=_CREATE_HINT)
    path = book_path(location)
    shown = path.absolute()
    mistake = _url_mistake(location)
    if mistake is not None:
        relative, absolute = mistake
        return BookError(f"no book at {shown}: {location} is the relative path {relative}, while {absolute} "
                         "is a file", hint=f"for the absolute path write sqlite:///{absolute}")
    if path.exists():
        return BookError(f"no book at {shown} (the file is empty)", hint=_CREATE_HINT)
    parent = shown.parent
    folder = "" if parent.is_dir() else f" (its folder {parent} does not exist either)"
    return BookError(f"no book at {shown}{folder}", hint=_CREATE_HINT)


def _refuse_url_mistake(location: str) -> None:
    """A write does not create a new, empty book at the relative path of a three-slash URL whose absolute
    path is a file: that is the URL mistake, not a wish for a second book."""
    mistake = _url_mistake(location)
    if mistake is not None:
        relative, absolute = mistake
        raise BookError(f"{location} is the relative path {relative} (no book there), while {absolute} is a "
                        "file: rolo does not create a second book",
                        hint=f"for the absolute path write sqlite:///{absolute}; for a new book give a plain path")


# -- a damaged book --------------------------------------------------------------------------------------------------
_BACKUP_NAME = re.compile(r"\.backup-[^-]+-(\d{8}T\d{6}Z)(?:-(\d+))?(-merge)?$")
#: Copies `rolo merge` makes on its own are pruned to the newest few: on a large book each is a full copy, and
#: merging duplicates one by one would fill the disk. Copies the user asked for are never pruned.
MERGE_BACKUPS_KEPT = 3
_SQLITE_MAGIC = b"SQLite format 3\x00"


def is_corruption(exc: BaseException) -> bool:
    """Whether a sqlite3 error says the file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB), not a bug or a lock."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    name = getattr(exc, "sqlite_errorname", None) or ""
    text = str(exc)
    return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text


def backups(path: Path) -> list[Path]:
    """The backups rolo made of this book (before migrations, and `rolo backup`'s default ones), newest first."""
    found = []
    for candidate in path.parent.glob(f"{path.name}.backup-*"):
        if candidate.name.endswith(("-wal", "-shm", "-journal", ".tmp")) or not candidate.is_file():
            continue
        match = _BACKUP_NAME.search(candidate.name)
        if match:
            key = (match.group(1), int(match.group(2) or 0))
        else:
            key = (datetime.fromtimestamp(candidate.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%SZ"), 0)
        found.append((key, candidate))
    return [candidate for _key, candidate in sorted(found, reverse=True)]


def damaged_error(path: Path, detail: str, *, doctor: bool = True) -> BookError:
    """The error for a book SQLite finds damaged: what was found, and what to do (the backups, by name;
    `doctor`: and that `rolo doctor` shows more)."""
    path = path.absolute()
    found = backups(path)
    try:
        with path.open("rb") as handle:
            sqlite_file = handle.read(16) == _SQLITE_MAGIC
    except OSError:
        sqlite_file = True
    if not sqlite_file and not found:
        return BookError(f"{path} is not a rolo book, or is damaged beyond reading ({detail})",
                         hint="--book, $ROLO_BOOK or the config's book names the book file"
                         + ("; rolo doctor checks it" if doctor else ""))
    if found:
        hint = (f"restore a backup: the newest is {found[0]} (of {len(found)}); move the damaged book and its "
                "-wal and -shm files aside, copy the backup in its place, then run rolo doctor")
    else:
        hint = (f"{'rolo doctor shows the damage; ' if doctor else ''}there is no backup of it: copy it aside "
                f"first, then `sqlite3 {path} .recover` saves what can still be read")
    return BookError(f"book {path} is damaged ({detail})", hint=hint)


def quick_check(conn: sqlite3.Connection, *, full: bool = False, limit: int = 10) -> list[str]:
    """The problems `PRAGMA quick_check` finds (`integrity_check` with `full`: also indexes against their
    tables, several times slower); [] when the book is sound."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA {pragma}({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        return [str(exc)]
    if rows == ["ok"]:
        return []
    # a row may hold several lines, headed by "*** in database main ***": one problem per line
    lines = [line.strip() for row in rows for line in str(row).splitlines()]
    return [line for line in lines if line and not line.startswith("*** in database")] or ["not ok"]


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
        if is_corruption(exc):
            raise damaged_error(_path_of(conn), str(exc)) from None
        raise BookError(f"cannot read the book: {exc}") from None
    return row[0] if row else None


def _path_of(conn: sqlite3.Connection) -> Path:
    """The file of a connection's main database."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file)
    return Path("?")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        _configure(conn)
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            raise damaged_error(path, str(exc)) from None
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
        reason = getattr(exc, "orig", exc)
        if is_corruption(reason):
            raise damaged_error(path, str(reason)) from None
        if type(exc).__name__ != "OperationalError":
            raise
        raise BookError(f"cannot create or upgrade book {path}: {reason}") from None


def _has_tables(path: Path) -> bool:
    conn = _connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            raise damaged_error(path, str(exc)) from None
        raise BookError(f"{path} is not a rolo book: {exc}") from None
    finally:
        conn.close()


def backup_name(path: Path, revision: str, suffix: str = "") -> Path:
    """Where a backup of the book at schema `revision` goes: `BOOK.backup-REV-TIME` beside it (`-2`... when
    that name is taken within the second), then the suffix (`-merge`: a copy made before a merge)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision}-{stamp}{suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.backup-{revision}-{stamp}-{n}{suffix}")
    return target


def prune_merge_backups(path: Path, just_made: Path, keep: int = MERGE_BACKUPS_KEPT) -> list[Path]:
    """Delete the copies made before merges (`-merge`) but the newest `keep` (`just_made` among them); the
    others rolo made stay. Newest by modification time: names repeat within a second once pruned. Returns
    the copies deleted."""
    others = [b for b in backups(path) if b.name.endswith("-merge") and b != just_made]
    others.sort(key=lambda b: b.stat().st_mtime_ns, reverse=True)
    for old in others[keep - 1:]:
        old.unlink(missing_ok=True)
    return others[keep - 1:]


def _backup(path: Path, revision: str) -> Path:
    """Copy the book (consistently, through SQLite's backup API) before changing its schema."""
    target = backup_name(path, revision)
    src, dst = _connect(path), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


@dataclass(frozen=True)
class BackupMade:
    """A backup `backup_book` wrote: of which book, where, its size and schema."""

    book: Path
    backup: Path
    bytes: int
    schema: str | None


def backup_book(location: str, target: str | os.PathLike[str] | None = None, *, before_merge: bool = False
                ) -> BackupMade:
    """Copy the book with SQLite's online backup API (one step: a consistent snapshot, while other processes
    go on writing) to `target` (a new file, or a folder), by default `BOOK.backup-REV-TIME` beside it. The
    copy is written under a temporary name, checked with quick_check, then renamed into place.
    `before_merge`: the copy `rolo merge` makes (`BOOK.backup-REV-TIME-merge`); only the newest
    MERGE_BACKUPS_KEPT of those are kept.

    Raises:
        BookError: no book there, a target that exists or whose folder does not, or a damaged book (a copy
            that fails quick_check is kept all the same: it is what could be read).
    """
    if postgres.is_postgres(location):
        raise BookError(f"book {postgres.shown(location)} is a PostgreSQL database: back it up with the server's "
                        "tools", hint="pg_dump -Fc DATABASE > rolo.dump (pg_restore brings it back), or copy it to a "
                                      "file with rolo book copy")
    path = book_path(location)
    if not is_book_file(path):
        raise missing_book_error(location)
    src = connect_existing(path)
    try:
        revision = _current_revision(src)
        if target is None:
            dest = backup_name(path, revision or "none", "-merge" if before_merge else "")
        else:
            dest = Path(target).expanduser()
            if dest.is_dir():
                dest = backup_name(dest / path.name, revision or "none")
            elif dest.exists() or dest.is_symlink():
                raise BookError(f"{dest} already exists: rolo backup does not overwrite a file",
                                hint="name a new file, or a folder")
            elif not dest.parent.is_dir():
                raise BookError(f"cannot write {dest}: its folder {dest.parent} does not exist")
        if dest.absolute() == path.absolute():
            raise BookError("the backup cannot be the book itself")
        tmp = dest.with_name(f".{dest.name}.tmp")
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        try:
            dst = sqlite3.connect(tmp)
        except sqlite3.Error as exc:
            raise BookError(f"cannot write {dest}: {exc}") from None
        try:
            src.backup(dst)
            problems = quick_check(dst, limit=1)
        except sqlite3.DatabaseError as exc:
            dst.close()
            tmp.unlink(missing_ok=True)
            if is_corruption(exc):
                raise damaged_error(path, str(exc)) from None
            if isinstance(exc, sqlite3.OperationalError):
                raise BookError(f"cannot write {dest}: {exc}") from None
            raise
        dst.close()
    finally:
        src.close()
    os.replace(tmp, dest)
    if problems:
        raise damaged_error(path, f"its copy {dest} fails PRAGMA quick_check: {problems[0]}")
    if before_merge and target is None:
        prune_merge_backups(path, dest)
    return BackupMade(path.absolute(), dest.absolute(), dest.stat().st_size, revision)


def create_book(location: str) -> tuple[Path | str, bool, str | None]:
    """Create the book if it does not exist, or upgrade an older one (after a backup): `rolo init`. Returns
    its path (a PostgreSQL book: its URL without a password), whether it was created, and the schema it had
    before (None: created, or already current)."""
    if postgres.is_postgres(location):
        conn = postgres.PgConnection(location)
        try:
            before = pg_revision(conn)
        finally:
            conn.close()
        _pg_connection(location, may_create=True).close()
        return postgres.shown(location), before is None, before if before not in (None, SCHEMA_HEAD) else None
    path = book_path(location).absolute()
    existed = is_book_file(path)
    before = None
    if existed:
        conn = connect_existing(path)
        try:
            before = _current_revision(conn)
        finally:
            conn.close()
    write_connection(location).close()
    return path, not existed, before if before != SCHEMA_HEAD else None


def connect_existing(path: Path, *, doctor: bool = True) -> sqlite3.Connection:
    """A connection that never creates the file (mode=rw): for books that must already exist (`doctor`:
    whether an error for a damaged book points to `rolo doctor`)."""
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, isolation_level=None,
                               check_same_thread=False)
        _configure(conn)
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            raise damaged_error(path, str(exc), doctor=doctor) from None
        raise BookError(f"cannot open book {path}: {exc}") from None
    return conn


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
    if postgres.is_postgres(location):
        return _pg_connection(location, may_create=True)  # type: ignore[return-value]
    path = book_path(location)
    if not is_book_file(path):
        _refuse_url_mistake(location)
    ensure_schema(path)
    conn = _connect(path)
    try:
        # 8 MiB of page cache for writes (reads keep SQLite's 2 MiB): the default misses constantly on a
        # large book's uid index; more costs memory that a 100k import must keep under 150 MB.
        conn.execute("PRAGMA cache_size = -8192")
        conn.execute("PRAGMA journal_mode = WAL")
        _check_today(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def pg_has_tables(conn: postgres.PgConnection) -> bool:
    """Whether the PostgreSQL database has any table in its schema (rolo's or another program's)."""
    return bool(conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                             "current_schema()").fetchone()[0])


def pg_revision(conn: postgres.PgConnection) -> str | None:
    """The schema revision of a PostgreSQL book; None when the database has no rolo schema yet."""
    found = conn.execute("SELECT to_regclass('alembic_version')").fetchone()
    if not found or found[0] is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _pg_connection(location: str, *, may_create: bool) -> postgres.PgConnection:
    """A connection to a PostgreSQL book at this rolo's schema: created or upgraded first when it is not
    (unless `may_create` is False and there is no book yet: missing_book_error). DDL is transactional
    there, so a failed migration leaves the database as it was (no backup copy needed); a book newer than
    rolo, or a database holding another program's tables, is refused."""
    conn = postgres.PgConnection(location)
    revision = pg_revision(conn)
    if revision == SCHEMA_HEAD:  # the common case: one cheap query, on the connection handed out
        return conn
    tables = revision is None and pg_has_tables(conn)
    conn.close()
    if revision is None and not may_create:
        raise missing_book_error(location)
    if tables:
        raise BookError(f"{postgres.shown(location)} is not a rolo book (it has tables but no rolo schema "
                        "version)", hint="give rolo a database of its own")
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise BookError(f"book {postgres.shown(location)} has schema {revision}, newer than this rolo "
                        "understands", hint="upgrade rolo to open it")
    _upgrade_pg(location)
    return postgres.PgConnection(location)


def _upgrade_pg(location: str, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres.sqlalchemy_url(location))
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            # one migrator at a time, and writers wait: the same lock as every write transaction
            conn.execute(text(f"SELECT pg_advisory_xact_lock({postgres.WRITE_LOCK})"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "psycopg")):
            raise BookError(f"cannot create or upgrade book {postgres.shown(location)}: "
                            f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}") from None
        raise
    finally:
        engine.dispose()


def _check_today(conn: sqlite3.Connection, path: Path) -> None:
    """quick_check before the first write of the day (see the module docstring), so nothing more is written
    into a damaged book; the day of the last clean check is the book's user_version."""
    today = int(time.time() // 86400)
    if conn.execute("PRAGMA user_version").fetchone()[0] == today:
        return
    problems = quick_check(conn, limit=3)
    if problems:
        raise damaged_error(path, f"PRAGMA quick_check: {'; '.join(problems)}")
    conn.execute(f"PRAGMA user_version = {today}")


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
    if postgres.is_postgres(location):
        return _pg_connection(location, may_create=_READS_CREATE.get())  # type: ignore[return-value]
    path = book_path(location)
    if not is_book_file(path):
        if not _READS_CREATE.get():
            raise missing_book_error(location)
        _refuse_url_mistake(location)
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
