"""A book on PostgreSQL beside the SQLite one: moving a book between engines with nothing lost, several
writers at once, and what a PostgreSQL book says about itself. Against a real server (rolo.core.store.pgserver);
the whole storage, CLI, import, sync and plugin suites also run on it (`ROLO_TEST_ENGINE=postgresql`, make test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_BOOK, Rolo
from rolo.core.book import Book
from rolo.core.record import ContactRecord

ROLO = str(Path(sys.executable).with_name("rolo"))


def everything(rolo: Rolo) -> dict:
    """What a user can read of a book, as JSON: contacts, history, trash, conflicts, fields, labels."""
    return {"contacts": rolo.json("list"), "history": rolo.json("history", "--all"), "trash": rolo.json("trash"),
            "conflicts": rolo.json("conflicts", "--all"), "fields": rolo.json("field", "list"),
            "labels": rolo.json("label", "list")}


def test_a_book_moves_to_postgresql_and_back_with_nothing_lost(tmp_path, pg_cluster, relm, monkeypatch):
    first = Rolo(tmp_path / "book.db")
    first("import", str(SAMPLE_BOOK))
    first("field", "define", "tier", "--type", "select", "--option", "close", "--option", "far", "--local")
    first("edit", "olivia.bennett@example.org", "--set", "title=Director")
    first("log", "olivia.bennett@example.org", "--via", "call", "--at", "2026-11-30", "Talked about the library")
    first("keep", "olivia.bennett@example.org", "--every", "30d")
    first("rm", "jonathan@pineconelabs.example", "--yes")
    first("remote", "add", "crm", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    assert first("sync", "crm", ok=False).exit_code == 3  # Relm refuses one of the sample's duplicates: kept
    remote_id = relm.store.contacts()[0]["id"]
    relm.store.update_contact(remote_id, first_name="Changed remotely")
    first("sync", "crm", ok=False)
    before = everything(first)

    server = pg_cluster.new_book(empty=True)  # a new database: the copy creates the schema
    copied = json.loads(first("book", "copy", str(tmp_path / "book.db"), server, "--json").stdout)
    assert copied["contacts"] == len(before["contacts"]) + len(before["trash"])
    on_server = Rolo(server)  # type: ignore[arg-type]
    assert everything(on_server) == before
    assert on_server.json("search", "olivia")[0]["title"] == "Director"

    back = tmp_path / "back.db"
    first("book", "copy", server, str(back))
    assert everything(Rolo(back)) == before
    # the copy goes on as a book: a sync of it has nothing to do, and new rows get new ids
    assert json.loads(on_server("sync", "crm", "--json", ok=False).stdout)["counts"] == {"skipped": 1}  # the same
    on_server("add", "--name", "After the Move")
    assert len(on_server.json("list")) == len(before["contacts"]) + 1


def test_a_copy_never_merges_into_a_book_with_contacts(tmp_path, pg_cluster):
    source = Rolo(tmp_path / "book.db")
    source("add", "--name", "Ada Lovelace")
    server = pg_cluster.new_book()
    Rolo(server)("add", "--name", "Someone Else")  # type: ignore[arg-type]
    error = source.fails("book", "copy", str(tmp_path / "book.db"), server)
    assert "already holds a book of 1 contact" in error
    assert "the destination is the source itself" in source.fails("book", "copy", str(tmp_path / "book.db"),
                                                                  str(tmp_path / "book.db"))


WRITER = """
import sys
from rolo.core.book import Book
from rolo.core.record import ContactRecord, EmailEntry
with Book(sys.argv[1]) as book:
    for n in range(int(sys.argv[3])):
        book.add(ContactRecord(uid=f"{sys.argv[2]}-{n}", formatted_name=f"{sys.argv[2]} {n}",
                               emails=[EmailEntry(f"{sys.argv[2]}{n}@example.com")]))
"""


def test_several_writers_at_once_lose_nothing(pg_cluster):
    """Three processes (as three machines would) write one PostgreSQL book at the same time."""
    server = pg_cluster.new_book()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, server, name, "40"]) for name in ("ada", "bob", "cy")]
    assert [w.wait(120) for w in writers] == [0, 0, 0]
    with Book(server) as book:
        assert len(book.contacts()) == 120
        assert len(book.search("bob", limit=None)) == 40
        assert len(book.history(None, limit=None)) == 120  # one change set each, none lost


def test_a_postgresql_book_says_what_it_is(pg_cluster, monkeypatch):
    empty = pg_cluster.new_book(empty=True)
    rolo = Rolo(empty)  # type: ignore[arg-type]
    assert "no book in" in rolo.fails("list") and "rolo init creates it" in rolo.fails("list")
    assert rolo("init").stdout.startswith("created book postgresql://")
    doctor = rolo.json("doctor")
    assert doctor["ok"] and {f["check"]: f["status"] for f in doctor["findings"]}["search index"] == "ok"
    assert "pg_dump" in rolo.fails("backup")
    with Book(empty) as book:
        book.add(ContactRecord(uid="x", formatted_name="X"))
        book.db.execute("UPDATE alembic_version SET version_num = '9999'")
    assert "newer than this rolo" in Rolo(empty)("list", ok=False).stderr  # type: ignore[arg-type]


def test_a_password_never_shows(pg_cluster):
    rolo = Rolo("postgresql://rolo:hunter2@127.0.0.1:1/nothing")  # type: ignore[arg-type]
    error = rolo.fails("list")
    assert "hunter2" not in error and "rolo:***@" in error


@pytest.mark.parametrize("query", ["ada", "lovel", "ada@analytical", "email:analytical", "org:analyt",
                                   "label:math", "+44 20 7946 0123", "tier:clo", "zoë", "zoe", "name:\"ada lov\""])
def test_search_finds_the_same_on_both_engines(tmp_path, pg_cluster, query):
    results = []
    for where in (tmp_path / f"{len(results)}.db", pg_cluster.new_book()):
        rolo = Rolo(where)  # type: ignore[arg-type]
        rolo("field", "define", "tier", "--type", "select", "--option", "close", "--option", "friend")
        rolo("add", "--name", "Ada Lovelace", "--email", "ada@analytical.example", "--org", "Analytical",
             "--label", "math", "--field", "tier=close", "--phone", "+44 20 7946 0123")
        rolo("add", "--name", "Zoë Adair", "--note", "met Ada at a party")
        rolo("add", "--name", "Grace Hopper", "--email", "grace@navy.example")
        results.append(sorted(c["formatted_name"] for c in rolo.json("search", query)))
    # the same contacts (the order of equally good hits is each engine's ranking: bm25, ts_rank_cd)
    assert results[0] == results[1] and results[0], query


def test_statements_are_translated_outside_quoted_text_only():
    from rolo.core.store.postgres import translate

    assert translate("SELECT '?%', x FROM t WHERE a LIKE ? AND b = '%it''s?' AND c = ?") == (
        "SELECT '?%%', x FROM t WHERE a LIKE %s AND b = '%%it''s?' AND c = %s")
    assert translate("SELECT last_insert_rowid()") == "SELECT lastval()"


def test_make_tests_server_runs_a_command_beside_it_and_stops_whatever_it_returns(tmp_path):
    """`python -m rolo.core.store.pgserver COMMAND` (make test): the command reaches the server at ROLO_TEST_PG,
    its exit status is passed on, and the server and its folder are gone afterwards."""
    from rolo.core.store.pgserver import binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql: `make test` installs it)")
    probe = ("import os, pathlib, psycopg; url = os.environ['ROLO_TEST_PG']; "
             "psycopg.connect(url).close(); pathlib.Path(os.environ['OUT']).write_text(url); raise SystemExit(4)")
    out = tmp_path / "url"
    done = subprocess.run([sys.executable, "-m", "rolo.core.store.pgserver", sys.executable, "-c", probe],
                          env={**os.environ, "OUT": str(out)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stderr
    url = out.read_text()
    assert url.startswith("postgresql://rolo@127.0.0.1:")
    folder = done.stdout.split("(data in ", 1)[1].split(")", 1)[0]
    assert not Path(folder).exists()
    import psycopg

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2).close()


def test_make_tests_server_stopped_by_sigterm_stops_the_command_and_the_server():
    """CI cancelling `make test`: the command is killed and the server stopped, nothing left running."""
    from rolo.core.store.pgserver import binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql: `make test` installs it)")
    runner = subprocess.Popen([sys.executable, "-m", "rolo.core.store.pgserver", "sleep", "120"],
                              stdout=subprocess.PIPE, text=True)
    line = runner.stdout.readline()  # type: ignore[union-attr]
    port, folder = line.split("127.0.0.1:", 1)[1].split(" ", 1)[0], line.split("(data in ", 1)[1].split(")", 1)[0]
    runner.terminate()
    assert runner.wait(timeout=60) == 143
    assert not Path(folder).exists()
    import psycopg

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://rolo@127.0.0.1:{port}/postgres", connect_timeout=2).close()
