"""The history's SQL: recording change sets inside a write transaction, and reading them back.

`Recorder` belongs to one `Writer` (one transaction): the writer tells it what it did to each contact, it
buffers the rows and writes them, with the change set's row when it is the first, before the transaction
commits (`flush`). See rolo.core.history for what a change set is.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from rolo.core.history import ChangeContext
from rolo.core.values import utc_now


class Recorder:
    """The history rows of one transaction, in the change set its context names (or a new one)."""

    def __init__(self, conn: sqlite3.Connection, context: ChangeContext) -> None:
        self._conn = conn
        self.context = context
        self.changeset_id: int | None = context.changeset_id
        self._rows: list[tuple[int, str, str | None]] = []

    def record(self, contact_id: int, op: str, diff: dict[str, Any] | None = None) -> None:
        """One thing done to one contact: created, updated, deleted, restored, note, relinked."""
        self._rows.append((contact_id, op, json.dumps(diff, ensure_ascii=False) if diff else None))

    def pending(self, contact_id: int) -> dict[str, list[Any]]:
        """What this transaction has changed so far in one contact's fields, {field: [before, after]}
        (bookkeeping such as `@revision` left out): the import preview's field diffs."""
        changes: dict[str, list[Any]] = {}
        for cid, op, text in self._rows:
            if cid == contact_id and op == "updated" and text:
                for name, (before, after) in json.loads(text).items():
                    if not name.startswith("@"):
                        changes[name] = [changes.get(name, [before])[0], after]
        return {k: v for k, v in changes.items() if v[0] != v[1]}

    def flush(self) -> int | None:
        """Write the buffered rows (and the change set's row, the first time); returns the change set's id."""
        if not self._rows:
            return self.changeset_id
        if self.changeset_id is None or not _exists(self._conn, self.changeset_id):
            ctx = self.context
            cursor = self._conn.execute(
                "INSERT INTO changeset (at, actor, command, source, undoes, author) VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now(), ctx.actor, ctx.command, ctx.source, ctx.undoes, ctx.author))
            self.changeset_id = cursor.lastrowid
        self._conn.executemany(
            "INSERT INTO contactchange (changeset_id, contact_id, op, diff) VALUES (?, ?, ?, ?)",
            [(self.changeset_id, *row) for row in self._rows])
        self._rows = []
        return self.changeset_id


def _exists(conn: sqlite3.Connection, changeset_id: int) -> bool:
    return conn.execute("SELECT 1 FROM changeset WHERE id = ?", (changeset_id,)).fetchone() is not None


# -- reading -------------------------------------------------------------------------------------------------
def change_sets(conn: sqlite3.Connection, *, contact_id: int | None = None, limit: int | None = None,
                changeset_id: int | None = None) -> list[dict[str, Any]]:
    """Change sets, newest first: {id, at, actor, command, source, undoes, undone_by, contacts, author}; only those
    touching one contact with `contact_id`."""
    where, params = [], []
    if contact_id is not None:
        where.append("s.id IN (SELECT changeset_id FROM contactchange WHERE contact_id = ?)")
        params.append(contact_id)
    if changeset_id is not None:
        where.append("s.id = ?")
        params.append(changeset_id)
    sql = ("SELECT s.id, s.at, s.actor, s.command, s.source, s.undoes, "
           "(SELECT max(u.id) FROM changeset u WHERE u.undoes = s.id), "
           "(SELECT count(DISTINCT contact_id) FROM contactchange c WHERE c.changeset_id = s.id), s.author "
           "FROM changeset s" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.id DESC")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    keys = ("id", "at", "actor", "command", "source", "undoes", "undone_by", "contacts", "author")
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(sql, params)]


def last_author(conn: sqlite3.Connection, contact_id: int) -> str | None:
    """The author of the newest change set that touched this contact."""
    row = conn.execute("SELECT s.author FROM contactchange c JOIN changeset s ON s.id = c.changeset_id "
                       "WHERE c.contact_id = ? ORDER BY c.id DESC LIMIT 1", (contact_id,)).fetchone()
    return row[0] if row else None


def changes(conn: sqlite3.Connection, changeset_id: int, *, contact_id: int | None = None,
            limit: int | None = None) -> list[dict[str, Any]]:
    """The contact changes of a change set, in the order made (the first `limit`): {id, contact_id, uid,
    name, op, diff}."""
    sql = ("SELECT h.id, h.contact_id, c.uid, c.formatted_name, h.op, h.diff FROM contactchange h "
           "JOIN contact c ON c.id = h.contact_id WHERE h.changeset_id = ?")
    params: list[Any] = [changeset_id]
    if contact_id is not None:
        sql += " AND h.contact_id = ?"
        params.append(contact_id)
    sql += " ORDER BY h.id" + (f" LIMIT {int(limit)}" if limit is not None else "")
    return [{"id": r[0], "contact_id": r[1], "uid": r[2], "name": r[3], "op": r[4],
             "diff": json.loads(r[5]) if r[5] else {}} for r in conn.execute(sql, params)]


def op_counts(conn: sqlite3.Connection, changeset_id: int, *, contact_id: int | None = None) -> dict[str, int]:
    """How many contact changes of each kind (`op`) a change set made (to one contact, with contact_id)."""
    sql = "SELECT op, count(*) FROM contactchange WHERE changeset_id = ?"
    params: list[Any] = [changeset_id]
    if contact_id is not None:
        sql += " AND contact_id = ?"
        params.append(contact_id)
    return dict(conn.execute(sql + " GROUP BY op ORDER BY op", params).fetchall())


def later_changes(conn: sqlite3.Connection, contact_id: int, after_change: int) -> list[dict[str, Any]]:
    """The changes made to a contact after the change with this id, oldest first: {id, changeset_id, op,
    diff}."""
    return [{"id": r[0], "changeset_id": r[1], "op": r[2], "diff": json.loads(r[3]) if r[3] else {}}
            for r in conn.execute(
                "SELECT id, changeset_id, op, diff FROM contactchange WHERE contact_id = ? AND id > ? ORDER BY id",
                (contact_id, after_change))]


def last_undoable(conn: sqlite3.Connection) -> int | None:
    """The newest change set a person made (not a sync) that is neither an undo nor undone already."""
    row = conn.execute(
        "SELECT max(s.id) FROM changeset s WHERE s.actor != 'sync' AND s.undoes IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM changeset u WHERE u.undoes = s.id) "
        "AND EXISTS (SELECT 1 FROM contactchange c WHERE c.changeset_id = s.id)").fetchone()
    return row[0] if row else None


def synced_revision(conn: sqlite3.Connection, contact_id: int) -> int | None:
    """The highest revision of this contact any remote has been synced with (None: never linked)."""
    row = conn.execute("SELECT max(local_revision) FROM sync_link WHERE contact_id = ?", (contact_id,)).fetchone()
    return row[0] if row else None
