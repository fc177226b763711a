"""The book file is never made up or silently damaged (issue 11): read commands do not create a missing book,
`rolo init` does, a damaged book is a one-line error naming the backups, `rolo backup` copies a live book."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import Rolo
from rolo.core.book import Book
from rolo.core.cli import COMMANDS, cli
from rolo.core.cli.context import READ_COMMANDS, WRITE_COMMANDS
from rolo.core.record import ContactRecord, EmailEntry

READS = [
    ("list",), ("list", "--json"), ("search", "ada"), ("show", "ada@example.com"), ("email", "ada"),
    ("phone", "555"), ("birthdays",), ("export",), ("dupes",), ("history",), ("trash",), ("conflicts",),
    ("label", "list"), ("field", "list"), ("note", "list", "ada@example.com"),
]


def _fill(path: Path, count: int = 300) -> None:
    """A real book of `count` contacts, closed (its WAL checkpointed into the file)."""
    with Book(str(path)) as book, book.transaction() as tx:
        for i in range(count):
            tx.save(ContactRecord(uid=f"uid-{i:04d}", formatted_name=f"Person Number{i}", given_name="Person",
                                  family_name=f"Number{i}", notes="lorem ipsum dolor sit amet " * 5,
                                  emails=[EmailEntry(address=f"p{i}@example.com", primary=True)]))
    assert not path.with_name(path.name + "-wal").exists()


def _damage(path: Path, first_page: int, pages: int = 4) -> None:
    """Write garbage over some pages of the file, as a failing disk or a bad copy would."""
    with path.open("r+b") as handle:
        handle.seek(first_page * 4096)
        handle.write(b"\xde\xad\xbe\xef" * 1024 * pages)


# -- read commands never create a book ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_a_read_command_on_a_missing_book_is_an_error_and_creates_nothing(tmp_path, args):
    book = tmp_path / "typo" / "dir" / "x.db"
    error = Rolo(book).fails(*args)
    assert error.startswith(f"Error: no book at {book}")
    assert "rolo init" in error
    assert not book.exists() and not book.parent.exists()


def test_a_missing_folder_is_named(tmp_path):
    error = Rolo(tmp_path / "typo" / "x.db").fails("list")
    assert f"its folder {tmp_path / 'typo'} does not exist either" in error


def test_the_default_book_is_not_created_by_a_read(rolo_home):
    result = CliRunner().invoke(cli, ["list", "--json"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (f"Error: no book at {rolo_home / 'book.db'} (hint: rolo init creates it, "
                                     "as does any write such as rolo add or rolo import)")
    assert not (rolo_home / "book.db").exists()


def test_a_three_slash_url_names_the_relative_path_and_hints_at_four(tmp_path, monkeypatch):
    real = tmp_path / "real.db"
    _fill(real, 1)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = str(real)[1:]
    error = Rolo(f"sqlite:///{relative}").fails("list")  # type: ignore[arg-type]
    assert error.startswith(f"Error: no book at {elsewhere / relative}")
    assert f"sqlite:////{relative}" in error and "absolute" in error
    # a write does not create a second, empty book there either
    assert f"sqlite:////{relative}" in Rolo(f"sqlite:///{relative}").fails("add", "--name", "Ada")  # type: ignore
    assert not (elsewhere / relative).exists()
    # four slashes: the absolute path, the real book
    assert len(Rolo(f"sqlite:////{relative}").json("list")) == 1  # type: ignore[arg-type]


def test_an_empty_file_is_no_book_for_a_read(tmp_path):
    book = tmp_path / "empty.db"
    book.touch()
    assert Rolo(book).fails("list").startswith(f"Error: no book at {book} (the file is empty)")
    assert book.stat().st_size == 0


def test_writes_still_create_the_book(rolo, book_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert [c["formatted_name"] for c in rolo.json("list")] == ["Ada Lovelace"]


def test_import_and_field_define_create_the_book(tmp_path, sample_book):
    Rolo(tmp_path / "a.db")("field", "define", "tier", "--type", "text")
    assert (tmp_path / "a.db").exists()
    Rolo(tmp_path / "b.db")("import", str(sample_book / "contacts"))
    assert len(Rolo(tmp_path / "b.db").json("list")) == 58


def test_every_command_says_whether_it_only_reads():
    ctx = click.Context(cli)
    paths = []
    for name in sorted(COMMANDS):
        command = cli.get_command(ctx, name)
        if not isinstance(command, click.Group) or command.invoke_without_command:
            paths.append(name)
        if isinstance(command, click.Group):
            paths += [f"{name} {sub}" for sub in command.commands]
    unclassified = [p for p in paths if p not in READ_COMMANDS and p not in WRITE_COMMANDS]
    assert not unclassified, "add these to READ_COMMANDS or WRITE_COMMANDS in rolo.core.cli.context"
    assert not READ_COMMANDS & WRITE_COMMANDS


# -- rolo init -----------------------------------------------------------------------------------------------------
@pytest.mark.sqlite_only("creates the file (a PostgreSQL book: tests/core/test_postgres.py)")
def test_init_creates_the_book_and_says_where_then_says_it_exists(rolo, book_path):
    assert rolo("init").stdout == f"created book {book_path}\n"
    assert rolo.json("list") == []
    assert rolo("init").stdout == f"book {book_path} already exists\n"
    assert rolo.json("init") == {"book": str(book_path), "created": False, "schema": "0009",
                                 "upgraded_from": None}


def test_init_json_and_the_default_location(rolo_home):
    result = CliRunner().invoke(cli, ["init", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"book": str(rolo_home / "book.db"), "created": True, "schema": "0009",
                                         "upgraded_from": None}
    assert CliRunner().invoke(cli, ["list", "--json"]).stdout == "[]\n"


@pytest.mark.sqlite_only("an older book file and its backup copy")
def test_init_upgrades_an_older_book_after_a_backup(rolo, book_path):
    from rolo.core.store import connection

    book_path.parent.mkdir(parents=True, exist_ok=True)
    connection.upgrade(book_path, "0005")
    assert rolo("init").stdout == (f"book {book_path} already exists; upgraded its schema from 0005 to 0009 "
                                   "(a backup of it is beside it)\n")
    assert [p.name.split("-")[1] for p in connection.backups(book_path)] == ["0005"]
    assert rolo.json("init")["upgraded_from"] is None


def test_init_creates_the_folder(tmp_path):
    book = tmp_path / "new" / "folder" / "book.db"
    Rolo(book)("init")
    assert book.exists()


# -- a damaged book ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("first_page", [0, 1, 2, 10, 60], ids=lambda p: f"page{p}")
def test_a_damaged_book_is_one_line_never_a_traceback(tmp_path, first_page):
    book = tmp_path / "book.db"
    _fill(book)
    _damage(book, first_page)
    rolo = Rolo(book)
    for args in (("list",), ("list", "--json"), ("search", "number1"), ("show", "p5@example.com"),
                 ("add", "--name", "X"), ("export",), ("init",)):
        result = rolo(*args, ok=False)
        assert "Traceback" not in result.output, (args, result.output)
        if result.exit_code != 0:  # a page nothing in this command touched may go unnoticed by reads
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("Error: "), (args, result.stderr)


def test_a_damaged_book_names_the_backups_rolo_made_and_doctor(tmp_path):
    book = tmp_path / "book.db"
    _fill(book)
    rolo = Rolo(book)
    first = rolo("backup").stdout
    time.sleep(1.1)
    newest = rolo("backup").stdout
    newest_path = newest.split(" to ", 1)[1].split(" (")[0]
    assert first != newest
    _damage(book, 0)
    error = rolo.fails("list")
    assert error.startswith(f"Error: book {book} is damaged")
    assert f"restore a backup: the newest is {newest_path} (of 2)" in error
    assert "rolo doctor" in error


def test_a_damaged_page_stops_the_first_write_of_the_day(tmp_path):
    book = tmp_path / "book.db"
    _fill(book)
    _damage(book, 60)
    con = sqlite3.connect(book)
    con.execute("PRAGMA user_version = 0")  # as if not checked today
    con.close()
    error = Rolo(book).fails("add", "--name", "Ada Lovelace")
    assert error.startswith(f"Error: book {book} is damaged (PRAGMA quick_check: ")
    assert "no backup" in error


def test_a_corruption_error_from_a_commit_is_one_line(tmp_path, monkeypatch):
    book = tmp_path / "book.db"
    _fill(book, 1)
    from rolo.core.store import connection

    def malformed(conn):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(connection, "begin_write", malformed)
    error = Rolo(book).fails("add", "--name", "Ada Lovelace")
    assert error.startswith(f"Error: book {book} is damaged (database disk image is malformed)")


def test_a_bug_in_sql_is_still_a_traceback(tmp_path, monkeypatch):
    book = tmp_path / "book.db"
    _fill(book, 1)
    from rolo.core.store import connection

    def bug(conn):
        raise sqlite3.IntegrityError("UNIQUE constraint failed: contact.uid")

    monkeypatch.setattr(connection, "begin_write", bug)
    with pytest.raises(sqlite3.IntegrityError):
        Rolo(book)("add", "--name", "Ada Lovelace", ok=False)


# -- rolo backup ---------------------------------------------------------------------------------------------------
@pytest.mark.sqlite_only("rolo backup copies the file")
def test_backup_beside_the_book_with_the_migration_backups_names(rolo, book_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    out = rolo("backup").stdout
    assert out.startswith(f"backed up {book_path} to {book_path}.backup-0009-")
    target = Path(out.split(" to ", 1)[1].split(" (")[0])
    assert target.parent == book_path.parent
    assert [c["formatted_name"] for c in Rolo(target).json("list")] == ["Ada Lovelace"]


@pytest.mark.sqlite_only("rolo backup copies the file")
def test_backup_to_a_path_and_json(rolo, tmp_path):
    rolo("add", "--name", "Ada Lovelace")
    target = tmp_path / "copy.db"
    report = rolo.json("backup", str(target))
    assert report["backup"] == str(target) and report["schema"] == "0009" and report["bytes"] > 0
    assert len(Rolo(target).json("list")) == 1
    # an existing file is never overwritten; a folder gets the default name
    assert rolo.fails("backup", str(target)).startswith(f"Error: {target} already exists")
    folder = tmp_path / "backups"
    folder.mkdir()
    assert Path(rolo.json("backup", str(folder))["backup"]).parent == folder


def test_backup_of_a_missing_book_is_an_error(tmp_path):
    book = tmp_path / "nope.db"
    assert Rolo(book).fails("backup").startswith(f"Error: no book at {book}")
    assert not book.exists()


WRITER = """
import sys, time
from rolo.core.book import Book
from rolo.core.record import ContactRecord
book = Book(sys.argv[1])
end = time.time() + float(sys.argv[2])
i = 0
print("started", flush=True)
while time.time() < end:
    with book.transaction() as tx:
        for _ in range(20):
            tx.save(ContactRecord(uid=f"w-{i}", formatted_name=f"Writer {i}"))
            i += 1
book.close()
print(i)
"""


def test_backup_while_another_process_writes_is_consistent(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 50)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(book), "3"], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline() == "started\n"
    counts = []
    for n in range(3):
        target = tmp_path / f"copy{n}.db"
        Rolo(book)("backup", str(target))
        con = sqlite3.connect(target)
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        live = con.execute("SELECT count(*) FROM contact").fetchone()[0]
        indexed = con.execute("SELECT count(*) FROM contact_fts").fetchone()[0]
        con.close()
        assert live == indexed and (live - 50) % 20 == 0  # whole transactions only
        counts.append(live)
        time.sleep(0.3)
    written = int(writer.communicate(timeout=30)[0].strip())
    assert writer.returncode == 0
    assert counts == sorted(counts) and counts[-1] <= written + 50


# -- config errors reach every command as one line -------------------------------------------------------------------
@pytest.mark.parametrize("args", [("list",), ("add", "--name", "Ada"), ("init",), ("remote", "list")],
                         ids=lambda a: a[0])
def test_a_bad_config_value_is_one_line_for_every_command(tmp_path, args):
    config = tmp_path / "rolo.toml"
    config.write_text("book = 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (f"Error: config file {config}: book must be a string (a file path, a "
                                     "sqlite:/// or a postgresql:// URL), not an integer (5) (hint: rolo doctor "
                                     "lists every problem of the config, with what to do)")
