"""Reading and writing the sync state in the book (tables in `rolo.core.sync.models`).

`SyncState` reads and writes them through one connection: `Book.sync_state` for reads, `tx.sync_state`
inside a `Book.transaction()` for writes, so the state always changes in the same transaction as the
contacts it describes (a pulled contact and its link land together, or neither does).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from rolo.core.values import utc_now


def dumps(value: Any) -> str:
    """JSON as stored in the state tables (compact, keys sorted so equal data is equal text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str | None) -> Any:
    """The inverse of `dumps` (None stays None)."""
    return None if text is None else json.loads(text)


@dataclass
class Link:
    """One row of `sync_link` (snapshots still as JSON text: most syncs never need to parse them)."""

    id: int
    contact_id: int
    remote_id: str | None
    local_snapshot: str | None
    remote_snapshot: str | None
    local_revision: int | None
    remote_version: str | None
    pending: str | None
    pending_key: str | None
    pending_data: str | None


_LINK_COLUMNS = ("id, contact_id, remote_id, local_snapshot, remote_snapshot, local_revision, remote_version, "
                 "pending, pending_key, pending_data")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return dumps(value)


class SyncState:
    """The sync state in the book, read and written through one connection: the book's read connection
    (`Book.sync_state`) or a write transaction's (`Writer.sync_state`), so the state always changes in the
    same transaction as the contacts it describes (a pulled contact and its link land together, or neither
    does)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def links(self, remote: str) -> list[Link]:
        """Every link of a remote."""
        return [Link(*row) for row in self._db.execute(
            f"SELECT {_LINK_COLUMNS} FROM sync_link WHERE remote = ?", (remote,)
        )]

    def link_for_contact(self, remote: str, contact_id: int) -> Link | None:
        """The link of one contact, if any."""
        row = self._db.execute(f"SELECT {_LINK_COLUMNS} FROM sync_link WHERE remote = ? AND contact_id = ?",
                         (remote, contact_id)).fetchone()
        return Link(*row) if row else None

    def contact_links(self, contact_id: int) -> dict[str, Link]:
        """Every link of one contact, by remote name."""
        return {row[0]: Link(*row[1:]) for row in self._db.execute(
            f"SELECT remote, {_LINK_COLUMNS} FROM sync_link WHERE contact_id = ?", (contact_id,)
        )}

    def contact_states(self) -> dict[int, tuple[str, int, str | None, str]]:
        """Every contact's (uid, revision, deleted_at, updated_at), by row id: enough to tell what changed."""
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in self._db.execute(
            "SELECT id, uid, revision, deleted_at, updated_at FROM contact"
        )}

    def email_owners(self) -> dict[str, list[int]]:
        """Casefolded email -> live contacts having it (to match records on a first sync)."""
        owners: dict[str, list[int]] = {}
        for key, cid in self._db.execute(
            "SELECT e.address_key, e.contact_id FROM email e JOIN contact c ON c.id = e.contact_id "
            "WHERE c.deleted_at IS NULL ORDER BY e.contact_id"
        ):
            ids = owners.setdefault(key, [])
            if cid not in ids:
                ids.append(cid)
        return owners

    def save_link(self, remote: str, contact_id: int, remote_id: str | None, *,
                  local_snapshot: Any, remote_snapshot: Any, local_revision: int | None,
                  remote_version: str | None) -> None:
        """Create or replace a contact's link with fresh snapshots, clearing any pending marker."""
        self.save_links(remote, [(contact_id, remote_id, local_snapshot, remote_snapshot,  # type: ignore[list-item]
                                  local_revision, remote_version)])

    def save_links(self, remote: str, rows: list[tuple[int, str, Any, Any, int | None, str | None]]
                   ) -> None:
        """`save_link` for many (contact_id, remote_id, local_snapshot, remote_snapshot, revision, version)."""
        now = utc_now()
        self._db.executemany(
            "INSERT INTO sync_link (remote, contact_id, remote_id, local_snapshot, remote_snapshot, local_revision, "
            "remote_version, pending, pending_key, pending_data, synced_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, "
            "NULL, ?) ON CONFLICT (remote, contact_id) DO UPDATE SET remote_id = excluded.remote_id, "
            "local_snapshot = excluded.local_snapshot, remote_snapshot = excluded.remote_snapshot, "
            "local_revision = excluded.local_revision, remote_version = excluded.remote_version, pending = NULL, "
            "pending_key = NULL, pending_data = NULL, synced_at = excluded.synced_at",
            [(remote, cid, rid, _text(ls), _text(rs), rev, ver, now) for cid, rid, ls, rs, rev, ver in rows],
        )

    def mark_pending(self, remote: str, rows: list[tuple[int, str, str, Any]]) -> None:
        """Record (contact_id, 'create'|'delete', idempotency key, body) before the remote calls are made."""
        self._db.executemany(
            "INSERT INTO sync_link (remote, contact_id, pending, pending_key, pending_data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (remote, contact_id) DO UPDATE SET pending = excluded.pending, "
            "pending_key = excluded.pending_key, pending_data = excluded.pending_data",
            [(remote, cid, kind, key, _text(body)) for cid, kind, key, body in rows],
        )

    def drop_links(self, remote: str, contact_ids: list[int]) -> None:
        """Forget links (after a deletion went through on either side)."""
        self._db.executemany("DELETE FROM sync_link WHERE remote = ? AND contact_id = ?", [(remote, c) for c in contact_ids])

    # -- per-remote state and the journal --------------------------------------------------------------------------
    def remote_state(self, remote: str) -> dict[str, Any]:
        """The remote's bookmark, last known record count and last full listing time."""
        row = self._db.execute("SELECT bookmark, remote_count, last_full_at, last_sync_at FROM sync_state WHERE remote = ?",
                         (remote,)).fetchone()
        if row is None:
            return {"bookmark": None, "remote_count": 0, "last_full_at": None, "last_sync_at": None}
        return {"bookmark": row[0], "remote_count": row[1], "last_full_at": row[2], "last_sync_at": row[3]}

    def activity_since(self, remote: str) -> str | None:
        """When the last activity pull from this remote began (None: never)."""
        row = self._db.execute("SELECT activity_since FROM sync_state WHERE remote = ?", (remote,)).fetchone()
        return row[0] if row else None

    def save_activity_since(self, remote: str, since: str) -> None:
        """Record when this activity pull began, once its entries are stored."""
        self._db.execute(
            "INSERT INTO sync_state (remote, remote_count, activity_since) VALUES (?, 0, ?) "
            "ON CONFLICT (remote) DO UPDATE SET activity_since = excluded.activity_since", (remote, since),
        )

    def adapter_memo(self, remote: str) -> dict[str, Any]:
        """What the remote's adapter found out about it in earlier runs (`Adapter.remembered`)."""
        row = self._db.execute("SELECT adapter_memo FROM sync_state WHERE remote = ?", (remote,)).fetchone()
        memo = loads(row[0]) if row else None
        return memo if isinstance(memo, dict) else {}

    def save_adapter_memo(self, remote: str, memo: dict[str, Any]) -> None:
        """Keep what the adapter found out, for its next run."""
        self._db.execute(
            "INSERT INTO sync_state (remote, remote_count, adapter_memo) VALUES (?, 0, ?) "
            "ON CONFLICT (remote) DO UPDATE SET adapter_memo = excluded.adapter_memo", (remote, dumps(memo)),
        )

    def save_remote_state(self, remote: str, *, bookmark: str | None, remote_count: int,
                          full: bool) -> None:
        """Store the bookmark (only once the records it covers are stored) and the record count."""
        now = utc_now()
        self._db.execute(
            "INSERT INTO sync_state (remote, bookmark, remote_count, last_full_at, last_sync_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (remote) DO UPDATE SET bookmark = excluded.bookmark, remote_count = excluded.remote_count, "
            "last_full_at = COALESCE(excluded.last_full_at, sync_state.last_full_at), "
            "last_sync_at = excluded.last_sync_at",
            (remote, bookmark, remote_count, now if full else None, now),
        )

    def forget_remote(self, remote: str) -> None:
        """Drop everything known about a remote (`rolo remote rm`); the journal stays."""
        for table in ("sync_link", "sync_state", "sync_conflict"):
            self._db.execute(f"DELETE FROM {table} WHERE remote = ?", (remote,))

    def start_run(self, remote: str, mode: str) -> int:
        """Open a journal entry; returns its id."""
        cursor = self._db.execute("INSERT INTO sync_run (remote, started_at, status, mode, counts, errors) "
                                  "VALUES (?, ?, 'running', ?, '{}', '[]')", (remote, utc_now(), mode))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: dict[str, int],
                   errors: list[dict[str, Any]]) -> None:
        """Close a journal entry with its outcome."""
        self._db.execute("UPDATE sync_run SET finished_at = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
                         (utc_now(), status, dumps(counts), dumps(errors), run_id))

    def runs(self, remote: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest journal entries, newest first."""
        where, params = ("WHERE remote = ?", [remote]) if remote else ("", [])
        return [
            {"id": r[0], "remote": r[1], "started_at": r[2], "finished_at": r[3], "status": r[4], "mode": r[5],
             "counts": loads(r[6]), "errors": loads(r[7])}
            for r in self._db.execute(
                f"SELECT id, remote, started_at, finished_at, status, mode, counts, errors FROM sync_run {where} "
                f"ORDER BY id DESC LIMIT ?", [*params, limit]
            )
        ]

    # -- the conflict log ------------------------------------------------------------------------------------------
    def log_conflicts(self, rows: list[dict[str, Any]]) -> None:
        """Append conflicts: dicts with remote, contact_id, remote_id, run_id, field, local, remote, kept, policy."""
        now = utc_now()
        self._db.executemany(
            "INSERT INTO sync_conflict (remote, contact_id, remote_id, run_id, field, local_value, remote_value, kept, "
            "policy, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["remote"], r["contact_id"], r["remote_id"], r["run_id"], r["field"], dumps(r["local"]),
              dumps(r["remote_value"]), r["kept"], r["policy"], now) for r in rows],
        )

    def conflicts(self, *, remote: str | None = None, include_resolved: bool = False,
                  conflict_id: int | None = None) -> list[dict[str, Any]]:
        """Logged conflicts, oldest first, with the contact's uid and name."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if not include_resolved:
            where.append("s.resolved_at IS NULL")
        if remote:
            where.append("s.remote = ?")
            params.append(remote)
        if conflict_id is not None:
            where.append("s.id = ?")
            params.append(conflict_id)
        return [
            {"id": r[0], "remote": r[1], "contact_id": r[2], "uid": r[3], "name": r[4], "remote_id": r[5],
             "field": r[6], "local": loads(r[7]), "remote_value": loads(r[8]), "kept": r[9], "policy": r[10],
             "created_at": r[11], "resolved_at": r[12], "resolution": r[13]}
            for r in self._db.execute(
                "SELECT s.id, s.remote, s.contact_id, c.uid, c.formatted_name, s.remote_id, s.field, s.local_value, "
                "s.remote_value, s.kept, s.policy, s.created_at, s.resolved_at, s.resolution FROM sync_conflict s "
                f"JOIN contact c ON c.id = s.contact_id WHERE {' AND '.join(where)} ORDER BY s.id", params
            )
        ]

    def resolve_conflicts(self, ids: list[int], resolution: str) -> None:
        """Mark conflicts resolved."""
        now = utc_now()
        self._db.executemany("UPDATE sync_conflict SET resolved_at = ?, resolution = ? WHERE id = ?",
                       [(now, resolution, i) for i in ids])

    # -- small lookups -----------------------------------------------------------------------------------------------
    def contact_of(self, remote: str, remote_id: str) -> int | None:
        """The contact linked to this remote record, if any."""
        row = self._db.execute("SELECT contact_id FROM sync_link WHERE remote = ? AND remote_id = ?",
                         (remote, remote_id)).fetchone()
        return row[0] if row else None

    def linked_email_keys(self, remote: str) -> set[str]:
        """The casefolded emails of the contacts linked to records of this remote."""
        return {r[0] for r in self._db.execute(
            "SELECT e.address_key FROM email e JOIN sync_link l ON l.contact_id = e.contact_id "
            "WHERE l.remote = ? AND l.remote_id IS NOT NULL", (remote,))}

    def link_counts(self, remote: str) -> dict[str, int]:
        """How many contacts are linked to this remote's records, have a remote write pending, or a link at all."""
        row = self._db.execute(
            "SELECT count(remote_id), count(pending), count(*) FROM sync_link WHERE remote = ?", (remote,)
        ).fetchone()
        return {"linked": row[0], "pending": row[1], "links": row[2]}

    def pending_count(self) -> int:
        """Links of any remote with a remote write still pending (0 once every sync has settled)."""
        return int(self._db.execute("SELECT count(*) FROM sync_link WHERE pending IS NOT NULL").fetchone()[0])

    def move_link(self, link_id: int, contact_id: int) -> None:
        """Give a link (its remote record) to another contact; the next sync compares that contact with what
        the remote last had (local_revision -1 never matches)."""
        self._db.execute("UPDATE sync_link SET contact_id = ?, local_revision = -1 WHERE id = ?", (contact_id, link_id))
