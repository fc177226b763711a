"""The book file: where it is, its SQLite settings, its schema version, concurrent use."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from rolo.core.store import connection as storage
from rolo.core.book import Book
from rolo.core.errors import BookError


def test_first_use_creates_the_default_book_in_wal_mode(rolo_home, rolo):
    from click.testing import CliRunner

    from rolo.core.cli import cli

    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["list", "--json"])
    assert result.exit_code == 0 and result.stdout.strip() == "[]"
    db = sqlite3.connect(rolo_home / "book.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == storage.SCHEMA_HEAD


def test_book_option_env_and_sqlite_url_pick_the_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from rolo.core.cli import cli

    runner = CliRunner()
    target = tmp_path / "via-url.db"
    assert runner.invoke(cli, ["--book", f"sqlite:///{target}", "add", "--name", "Url Person"]).exit_code == 0
    monkeypatch.setenv("ROLO_BOOK", str(target))
    assert "Url Person" in runner.invoke(cli, ["list"]).stdout
    result = runner.invoke(cli, ["--book", "mysql://host/db", "list"])
    assert result.exit_code == 1 and "a book is a path, a sqlite:///PATH URL or a postgresql://" in result.stderr
    # a PostgreSQL book whose server is not there: one line naming the book (no password) and the reason
    result = runner.invoke(cli, ["--book", "postgresql://ada:secret@127.0.0.1:1/db", "list"])
    assert result.exit_code == 1 and "cannot open book postgresql://ada:***@127.0.0.1:1/db" in result.stderr
    assert "secret" not in result.stderr


@pytest.mark.sqlite_only("SQLite's pragmas")
def test_connections_enforce_foreign_keys_and_busy_timeout(book):
    assert book.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert book.db.execute("PRAGMA busy_timeout").fetchone()[0] == storage.BUSY_TIMEOUT_MS
    with book.transaction() as tx:
        assert tx._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_schema_head_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(storage.MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == storage.SCHEMA_HEAD
    assert {rev.revision for rev in script.walk_revisions()} == set(storage.KNOWN_REVISIONS)


@pytest.mark.sqlite_only("edits the file with sqlite3 (the PostgreSQL refusal: tests/core/test_postgres.py)")
def test_book_newer_than_the_program_is_refused(book_path, rolo):
    rolo("init")
    db = sqlite3.connect(book_path)
    db.execute("UPDATE alembic_version SET version_num = '9999'")
    db.commit()
    error = rolo.fails("list")
    assert "schema 9999, newer than this rolo understands" in error and "upgrade rolo" in error


@pytest.mark.parametrize("content", [b"not a database at all" * 100, None], ids=["garbage", "foreign-sqlite"])
def test_files_that_are_not_rolo_books_are_refused(tmp_path, rolo, content):
    path = tmp_path / "other.db"
    if content is None:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE t (x)")
        db.commit()
    else:
        path.write_bytes(content)
    rolo.book_path = path
    error = rolo.fails("list")
    assert str(path) in error and ("not a rolo book" in error or "cannot" in error)
    if content is not None:
        assert path.read_bytes() == content  # nothing written to a file we do not own


def test_two_processes_write_at_once_without_errors(tmp_path):
    path = tmp_path / "shared.db"
    Book(str(path)).close()
    script = (
        "import sys\n"
        "from rolo.core.book import Book, new_uid\n"
        "from rolo.core.record import ContactRecord\n"
        "b = Book(sys.argv[1])\n"
        "for i in range(40):\n"
        "    b.add(ContactRecord(uid=new_uid(), formatted_name=f'{sys.argv[2]} {i}'))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), name]) for name in ("left", "right")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Book(str(path)) as book:
        assert len(book.contacts()) == 80
        assert len(book.search("left")) == 40


def test_failed_write_leaves_nothing_behind(book):
    from rolo.core.record import ContactRecord

    with pytest.raises(BookError), book.transaction() as tx:
        tx.save(ContactRecord(uid="half", formatted_name="Half Written"))
        raise BookError("simulated crash in the middle of a write")
    assert book.contacts() == [] and book.search("half") == []


def test_a_book_that_cannot_be_created_is_a_one_line_error(tmp_path, rolo):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    rolo.book_path = blocker / "sub" / "book.db"
    assert "cannot create the book's folder" in rolo.fails("init")
