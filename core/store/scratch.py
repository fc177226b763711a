"""Scratch tables for work too large to keep in Python objects, outside the book.

`FirstSeen` remembers, for each key, the first item that had it: the import's check that two cards of one
file do not share a UID (`rolo.core.importer`). A dict of a million entries holds about 150 MB; this keeps
them in a private temporary SQLite database (`sqlite3.connect("")`), whose 2 MiB page cache spills to a
temporary file, so an import's memory stays flat whatever the file's size (#14: a million cards in under
150 MB), at a few microseconds a card.
"""

from __future__ import annotations

import sqlite3


class FirstSeen:
    """Keys (bytes) with the first item's number and a 64-bit fingerprint of its content."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (key BLOB PRIMARY KEY, item INTEGER, print INTEGER) WITHOUT ROWID")

    def first(self, key: bytes, item: int, fingerprint: int) -> int | None:
        """Remember the item under `key` unless one came first: then that earlier item's number when its
        fingerprint differs (another content under the same key), else None."""
        signed = fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint  # SQLite's are signed
        added = self._db.execute("INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING item",
                                 (key, item, signed)).fetchone()
        if added is not None:
            return None
        earlier, known = self._db.execute("SELECT item, print FROM seen WHERE key = ?", (key,)).fetchone()
        return None if known == signed else earlier

    def clear(self) -> None:
        """Forget every key (the next file)."""
        self._db.execute("DELETE FROM seen")

    def close(self) -> None:
        self._db.close()
