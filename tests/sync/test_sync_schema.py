"""Migration 0002 (the sync state): a book from before sync is upgraded on open, its data kept, backed up."""

from __future__ import annotations

from conftest import raw_db

import sqlite3
from pathlib import Path

from rolo.core.store import connection as storage
from rolo.core.book import Book
from rolo.core.record import ContactRecord, EmailEntry


def _book_at_0001(path: Path) -> None:
    storage.upgrade(path, "0001")
    # a contact written the way rolo 0001 wrote it (plain rows: the current Writer needs the new schema)
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO contact (uid, kind, formatted_name, given_name, starred, sort_key, created_at, updated_at, "
        "revision) VALUES ('u-1', 'individual', 'Ada Lovelace', 'Ada', 0, 'ada', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:00:00Z', 1)"
    )
    db.execute("INSERT INTO email (contact_id, position, address, address_key, pref) "
               "VALUES (1, 0, 'ada@example.com', 'ada@example.com', 1)")
    db.commit()
    db.close()


def test_book_at_0001_is_upgraded_on_open_with_data_kept_and_a_backup(tmp_path):
    path = tmp_path / "old.db"
    _book_at_0001(path)
    assert sqlite3.connect(path).execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"

    with Book(str(path)) as book:
        (ada,) = book.contacts()
        assert ada.uid == "u-1" and ada.emails[0].address == "ada@example.com"
        book.add(ContactRecord(uid="u-2", formatted_name="Grace", emails=[EmailEntry("g@example.com")]))

    db = sqlite3.connect(path)
    assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == storage.SCHEMA_HEAD == "0009"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sync_link", "sync_state", "sync_run", "sync_conflict"} <= tables
    (backup,) = tmp_path.glob("old.db.backup-0001-*")
    old = sqlite3.connect(backup)
    assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    assert old.execute("SELECT uid FROM contact").fetchall() == [("u-1",)]


def test_links_are_unique_per_remote_both_ways(book):
    book.add(ContactRecord(uid="a", formatted_name="A"))
    book.add(ContactRecord(uid="b", formatted_name="B"))
    db = raw_db(book.location)
    db.execute("INSERT INTO sync_link (remote, contact_id, remote_id) VALUES ('r', 1, 'x')")
    db.execute("INSERT INTO sync_link (remote, contact_id, remote_id) VALUES ('other', 1, 'x')")
    for contact_id, remote_id in ((2, "x"), (1, "y")):
        try:
            db.execute("INSERT INTO sync_link (remote, contact_id, remote_id) VALUES ('r', ?, ?)",
                       (contact_id, remote_id))
        except sqlite3.IntegrityError:
            continue
        raise AssertionError("a second link was accepted")
    # pending creates have no remote id yet: several may wait at once
    db.execute("INSERT INTO sync_link (remote, contact_id, remote_id) VALUES ('r2', 1, NULL)")
    db.execute("INSERT INTO sync_link (remote, contact_id, remote_id) VALUES ('r2', 2, NULL)")
