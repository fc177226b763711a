"""The import bases (table `importbase`, model `rolo.core.history.models.ImportBase`): per import source (a
file's absolute path, or `folder:<path>` for a drop folder) and card uid, the card last imported from it,
the base of the next import's three-way merge (`rolo.core.import_merge`).

`fields` NULL stands for "the contact's own fields": the contact was left equal to the card and has not
changed since. Before the writer changes a contact it copies the contact's fields into those rows
(`shared` then `copy_fields`), so a first import of 100,000 cards stores no copy of any card.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

_CHUNK = 500  # bound parameters per statement stay well under SQLite's limit


@dataclass(frozen=True)
class Base:
    """What an import source last brought in for a card uid: the contact it went to, the card's hash, and
    the card's fields as JSON (None: the contact's own fields)."""

    contact_id: int
    card_hash: str
    fields: str | None


@dataclass(frozen=True)
class Target:
    """The contact a card's uid names, as an import needs to know it before loading it."""

    id: int
    deleted: bool
    source_hash: str | None
    updated_at: str | None


def any_base(conn: sqlite3.Connection) -> bool:
    """Whether the book has any import base (a book that never imported has none: nothing to look up)."""
    return conn.execute("SELECT 1 FROM importbase LIMIT 1").fetchone() is not None


def bases(conn: sqlite3.Connection, source: str, uids: list[str]) -> dict[str, Base]:
    """card uid -> base, for those of these uids this source has a base for."""
    found = {}
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        for uid, contact_id, card_hash, fields in conn.execute(
            "SELECT card_uid, contact_id, card_hash, fields FROM importbase "
            f"WHERE source = ? AND card_uid IN ({','.join('?' * len(chunk))})", [source, *chunk],
        ):
            found[uid] = Base(contact_id, card_hash, fields)
    return found


def targets(conn: sqlite3.Connection, uids: list[str]) -> dict[str, Target]:
    """uid -> the contact with that uid (deleted or not), for those of these uids that name one."""
    found = {}
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        for uid, contact_id, deleted_at, source_hash, updated_at in conn.execute(
            "SELECT uid, id, deleted_at, source_hash, updated_at FROM contact "
            f"WHERE uid IN ({','.join('?' * len(chunk))})", chunk,
        ):
            found[uid] = Target(contact_id, deleted_at is not None, source_hash, updated_at)
    return found


def upsert(conn: sqlite3.Connection, rows: list[tuple[str, str, int, str, str | None]]) -> None:
    """Set (source, card uid, contact id, card hash, fields JSON or None) bases, one statement in all."""
    conn.executemany(
        "INSERT INTO importbase (source, card_uid, contact_id, card_hash, fields) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (source, card_uid) DO UPDATE SET contact_id = excluded.contact_id, "
        "card_hash = excluded.card_hash, fields = excluded.fields", rows,
    )


def shared(conn: sqlite3.Connection, contact_ids: list[int]) -> set[int]:
    """Those of these contacts that some base stands for as they are (fields NULL)."""
    found: set[int] = set()
    for start in range(0, len(contact_ids), _CHUNK):
        chunk = contact_ids[start : start + _CHUNK]
        found.update(row[0] for row in conn.execute(
            "SELECT DISTINCT contact_id FROM importbase "
            f"WHERE fields IS NULL AND contact_id IN ({','.join('?' * len(chunk))})", chunk))
    return found


def copy_fields(conn: sqlite3.Connection, rows: list[tuple[str, int]]) -> None:
    """Give the bases standing for a contact as it is (fields NULL) a copy of its fields: (JSON, contact id)."""
    conn.executemany("UPDATE importbase SET fields = ? WHERE contact_id = ? AND fields IS NULL", rows)
