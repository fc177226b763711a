"""Reading contacts with plain sqlite3: the fast path behind every read command.

Functions take a DB-API connection (`sqlite3`, `?` parameters), either the read connection from
`rolo.core.store.connection` or the driver connection inside a write transaction, so reads during a write see it.
Children are fetched per table for a whole batch of contacts, never one query per contact.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rolo.core.fields import FieldDefinition
from rolo.core.record import (AddressEntry, ContactRecord, DateEntry, EmailEntry, LogEntry, PhoneEntry,
                              RelatedEntry, UrlEntry)

_BATCH = 500
_CONTACT_COLUMNS = (
    "c.id, c.uid, c.kind, c.formatted_name, c.prefix, c.given_name, c.additional_names, c.family_name, "
    "c.suffix, c.nickname, o.name AS organization, c.department, c.title, c.birthday, c.notes, c.starred, "
    "c.photo, c.photo_type, c.created_at, c.updated_at, c.revision"
)


def field_definitions(conn: sqlite3.Connection) -> dict[int, FieldDefinition]:
    """Every custom field definition, by row id."""
    rows = conn.execute(
        "SELECT id, name, type, options, multiple, local_only FROM fielddef ORDER BY name_key").fetchall()
    return {r[0]: FieldDefinition(r[1], r[2], json.loads(r[3] or "[]"), bool(r[4]), bool(r[5])) for r in rows}


def load_contacts(conn: sqlite3.Connection, ids: Iterable[int]) -> list[ContactRecord]:
    """The contacts with these row ids, in the order given (missing ids are skipped)."""
    ids = list(ids)
    if not ids:
        return []
    defs = field_definitions(conn)
    found: dict[int, ContactRecord] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        marks = ",".join("?" * len(chunk))
        for record in _load(conn, f"c.id IN ({marks})", chunk, defs):
            found[record.id] = record  # type: ignore[index]
    return [found[i] for i in ids if i in found]


def iter_contacts(conn: sqlite3.Connection, where: str = "c.deleted_at IS NULL", params: Iterable[Any] = (),
                  order: str = "c.sort_key, c.id", batch: int = _BATCH) -> Iterator[ContactRecord]:
    """Stream contacts matching a WHERE clause over `contact c`, `batch` at a time (memory stays flat)."""
    ids = [r[0] for r in conn.execute(f"SELECT c.id FROM contact c WHERE {where} ORDER BY {order}", list(params))]
    for start in range(0, len(ids), batch):
        yield from load_contacts(conn, ids[start : start + batch])


def all_live_contacts(conn: sqlite3.Connection, order: str = "c.sort_key, c.id") -> list[ContactRecord]:
    """Every live contact: each table read once, in one pass (twice as fast as batches for a whole book)."""
    records = _load(conn, "c.deleted_at IS NULL", [], field_definitions(conn),
                    children_of="(SELECT id FROM contact WHERE deleted_at IS NULL)", order=order)
    return records


def _load(conn: sqlite3.Connection, where: str, params: list[Any], defs: dict[int, FieldDefinition],
          children_of: str | None = None, order: str = "c.id") -> list[ContactRecord]:
    rows = conn.execute(
        f"SELECT {_CONTACT_COLUMNS} FROM contact c LEFT JOIN organization o ON o.id = c.organization_id "
        f"WHERE {where} ORDER BY {order}",
        params,
    ).fetchall()
    if not rows:
        return []
    records = {
        r[0]: ContactRecord(
            id=r[0], uid=r[1], kind=r[2], formatted_name=r[3], prefix=r[4], given_name=r[5],
            additional_names=r[6], family_name=r[7], suffix=r[8], nickname=r[9], organization=r[10],
            department=r[11], title=r[12], birthday=r[13], notes=r[14], starred=bool(r[15]), photo=r[16],
            photo_type=r[17], created_at=r[18], updated_at=r[19], revision=r[20],
        )
        for r in rows
    }
    ids = list(records)
    marks = ",".join("?" * len(ids))

    def children(sql: str) -> Iterable[tuple[Any, ...]]:
        if children_of is not None:  # a sub-select instead of listing the ids
            return conn.execute(sql.replace("IN ({marks})", f"IN {children_of}"))
        return conn.execute(sql.format(marks=marks), ids).fetchall()

    for cid, address, label, pref in children(
        "SELECT contact_id, address, label, pref FROM email WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].emails.append(EmailEntry(address, label, bool(pref)))
    for cid, number, e164, label, pref in children(
        "SELECT contact_id, number, e164, label, pref FROM phone WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].phones.append(PhoneEntry(number, e164, label, bool(pref)))
    for row in children(
        "SELECT contact_id, label, po_box, extended, street, locality, region, postal_code, country, pref "
        "FROM address WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[row[0]].addresses.append(AddressEntry(*row[1:9], primary=bool(row[9])))
    for cid, url, label in children(
        "SELECT contact_id, url, label FROM url WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].urls.append(UrlEntry(url, label))
    for cid, name in children(
        "SELECT cl.contact_id, l.name FROM contactlabel cl JOIN label l ON l.id = cl.label_id "
        "WHERE cl.contact_id IN ({marks}) ORDER BY l.name_key"
    ):
        records[cid].labels.append(name)
    values: dict[tuple[int, int], list[str]] = defaultdict(list)
    for cid, fid, value in children(
        "SELECT contact_id, field_id, value FROM fieldvalue WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        values[(cid, fid)].append(value)
    for (cid, fid), stored in values.items():
        definition = defs[fid]
        records[cid].custom_fields[definition.name] = definition.to_json(stored)
    for cid, raw in children(
        "SELECT contact_id, raw FROM extraproperty WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].extras.append(raw)
    for cid, label, value in children(
        "SELECT contact_id, label, value FROM contactdate WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].dates.append(DateEntry(label, value))
    for cid, kind, uid, name in children(
        "SELECT contact_id, kind, uid, name FROM related WHERE contact_id IN ({marks}) ORDER BY position"
    ):
        records[cid].related.append(RelatedEntry(kind, uid, name))
    for cid, at in children(
        "SELECT contact_id, MAX(created_at) FROM note WHERE contact_id IN ({marks}) AND kind IS NOT NULL "
        "GROUP BY contact_id"
    ):
        records[cid].last_contacted = at
    return list(records.values())


def live_contact_id(conn: sqlite3.Connection, uid: str) -> int | None:
    """The row id of a contact that is not deleted, by exact uid."""
    row = conn.execute("SELECT id FROM contact WHERE uid = ? AND deleted_at IS NULL", (uid,)).fetchone()
    return row[0] if row else None


#: The latest interaction of contact `c` (index ix_note_interaction answers it without reading the notes).
LAST_CONTACTED = "(SELECT MAX(n.created_at) FROM note n WHERE n.contact_id = c.id AND n.kind IS NOT NULL)"


def live_filter(label: str | None, sort: str) -> tuple[str, list[Any], str]:
    """The WHERE clause, its parameters and the ORDER BY of a listing of live contacts over `contact c`."""
    where, params = "c.deleted_at IS NULL", []
    if label is not None:
        where += (" AND c.id IN (SELECT cl.contact_id FROM contactlabel cl JOIN label l ON l.id = "
                  "cl.label_id WHERE l.name_key = ?)")
        params.append(label.casefold())
    if sort == "updated":
        order = "c.updated_at DESC, c.id DESC"
    elif sort == "contacted":  # longest out of touch first; never contacted (NULL) before anyone
        order = f"{LAST_CONTACTED} NULLS FIRST, c.sort_key, c.id"
    else:
        order = "c.sort_key, c.id"
    return where, params, order


def live_contacts(conn: sqlite3.Connection, *, label: str | None = None, sort: str = "name"
                  ) -> list[ContactRecord]:
    """Every live contact (with a label, if given), by name or most recently updated first."""
    where, params, order = live_filter(label, sort)
    if label is None:
        return all_live_contacts(conn, order)
    return list(iter_contacts(conn, where, params, order))


def stream_live_contacts(conn: sqlite3.Connection, *, label: str | None = None, sort: str = "name",
                         batch: int = 2000) -> Iterator[ContactRecord]:
    """Like live_contacts(), in batches (memory stays flat for a whole large book)."""
    where, params, order = live_filter(label, sort)
    yield from iter_contacts(conn, where, params, order, batch=batch)


def field_names(conn: sqlite3.Connection) -> list[str]:
    """The names of the custom fields (search qualifiers)."""
    return [r[0] for r in conn.execute("SELECT name FROM fielddef")]


def label_counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every label with the number of live contacts carrying it, by name."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT l.name, count(c.id) FROM label l LEFT JOIN contactlabel cl ON cl.label_id = l.id "
        "LEFT JOIN contact c ON c.id = cl.contact_id AND c.deleted_at IS NULL "
        "GROUP BY l.id ORDER BY l.name_key"
    )]


def birthdays(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(uid, formatted name, birthday) of every live contact with a birthday."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT uid, formatted_name, birthday FROM contact WHERE deleted_at IS NULL AND birthday IS NOT NULL"
    )]


def dated_events(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(uid, formatted name, label, date) of every dated event (anniversaries...) of the live contacts."""
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(
        "SELECT c.uid, c.formatted_name, d.label, d.value FROM contactdate d JOIN contact c ON c.id = d.contact_id "
        "WHERE c.deleted_at IS NULL ORDER BY c.id, d.position")]


def notes(conn: sqlite3.Connection, contact_id: int) -> list[dict[str, Any]]:
    """A contact's notes log, oldest first (`kind`: an interaction's kind or None; `local_only`: private)."""
    return [{"id": r[0], "created_at": r[1], "body": r[2], "kind": r[3], "local_only": bool(r[4])}
            for r in conn.execute(
        "SELECT id, created_at, body, kind, local_only FROM note WHERE contact_id = ? ORDER BY created_at, id",
        (contact_id,))]


def live_ids_by_email(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, list[int]]:
    """Row ids of the live contacts having each of these casefolded email addresses (absent: none)."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        for key, cid in conn.execute(
            f"SELECT DISTINCT e.address_key, e.contact_id FROM email e JOIN contact c ON c.id = e.contact_id "
            f"WHERE e.address_key IN ({','.join('?' * len(chunk))}) AND c.deleted_at IS NULL", chunk
        ):
            found[key].append(cid)
    return dict(found)


def source_keys_present(conn: sqlite3.Connection, pairs: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (contact_id, source key) notes-log entries exist already."""
    found = set()
    for start in range(0, len(pairs), _BATCH // 2):
        chunk = pairs[start : start + _BATCH // 2]
        if chunk:
            where = " OR ".join("(contact_id = ? AND source_key = ?)" for _ in chunk)
            found |= {(r[0], r[1]) for r in conn.execute(
                f"SELECT contact_id, source_key FROM note WHERE {where}", [v for p in chunk for v in p])}
    return found


def live_ids_with_email(conn: sqlite3.Connection, key: str) -> list[int]:
    """Row ids of the live contacts having this casefolded email address."""
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT e.contact_id FROM email e JOIN contact c ON c.id = e.contact_id "
        "WHERE e.address_key = ? AND c.deleted_at IS NULL", (key,)
    )]


def sharing_email_or_phone(conn: sqlite3.Connection, contact_id: int, email_keys: list[str],
                           e164s: list[str]) -> list[tuple[str, str | None]]:
    """(uid, formatted name) of the other live contacts having one of these email keys or E.164 numbers."""
    if not email_keys and not e164s:
        return []
    rows = conn.execute(
        f"SELECT DISTINCT c.uid, c.formatted_name FROM contact c WHERE c.deleted_at IS NULL AND c.id != ? AND ("
        f"c.id IN (SELECT contact_id FROM email WHERE address_key IN ({','.join('?' * len(email_keys)) or 'NULL'}))"
        f" OR c.id IN (SELECT contact_id FROM phone WHERE e164 IN ({','.join('?' * len(e164s)) or 'NULL'}))) "
        "ORDER BY c.uid", [contact_id, *email_keys, *e164s])
    return [(r[0], r[1]) for r in rows]


@dataclass
class DuplicateKeys:
    """What duplicate detection compares, for every live contact (see rolo.core.dupes)."""

    emails: list[tuple[str, int]]  # (casefolded address, contact id)
    phones: list[tuple[str, int]]  # (E.164, contact id)
    contacts: list[tuple[int, str, str, str | None]]  # (id, uid, formatted name, organization), oldest first


def duplicate_keys(conn: sqlite3.Connection) -> DuplicateKeys:
    """The emails, phones, names and organizations of the live contacts, read in one pass each."""
    live = "c.deleted_at IS NULL"

    def rows(sql: str) -> list[Any]:
        return [tuple(r) for r in conn.execute(sql)]

    return DuplicateKeys(
        emails=rows(f"SELECT e.address_key, e.contact_id FROM email e JOIN contact c ON c.id = e.contact_id "
                    f"WHERE {live}"),
        phones=rows(f"SELECT p.e164, p.contact_id FROM phone p JOIN contact c ON c.id = p.contact_id "
                    f"WHERE {live} AND p.e164 IS NOT NULL"),
        contacts=rows(f"SELECT c.id, c.uid, c.formatted_name, o.name FROM contact c LEFT JOIN organization o "
                      f"ON o.id = c.organization_id WHERE {live} ORDER BY c.created_at, c.id"),
    )


# -- the trash (deleted contacts kept for sync) ---------------------------------------------------------
def trashed_contacts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every deleted contact (the trash) as {id, uid, formatted_name, deleted_at, emails}, newest first."""
    rows = conn.execute(
        "SELECT id, uid, formatted_name, deleted_at FROM contact WHERE deleted_at IS NOT NULL "
        "ORDER BY deleted_at DESC, id DESC"
    ).fetchall()
    emails: dict[int, list[str]] = defaultdict(list)
    for cid, address in conn.execute(
        "SELECT e.contact_id, e.address FROM email e JOIN contact c ON c.id = e.contact_id "
        "WHERE c.deleted_at IS NOT NULL ORDER BY e.contact_id, e.position"
    ):
        emails[cid].append(address)
    return [{"id": r[0], "uid": r[1], "formatted_name": r[2], "deleted_at": r[3], "emails": emails[r[0]]}
            for r in rows]


def trash_to_purge(conn: sqlite3.Connection, deleted_before: str | None) -> tuple[list[int], dict[str, int]]:
    """The trashed contacts deleted before this time (all when None) that can be purged, and how many more
    were kept per remote because a sync has not deleted them there yet (a link with a remote id)."""
    where, params = "c.deleted_at IS NOT NULL", []
    if deleted_before is not None:
        where += " AND c.deleted_at < ?"
        params.append(deleted_before)
    ids = [r[0] for r in conn.execute(f"SELECT c.id FROM contact c WHERE {where} ORDER BY c.id", params)]
    kept: dict[str, int] = {}
    linked: set[int] = set()
    for remote, cid in conn.execute(
        f"SELECT l.remote, l.contact_id FROM sync_link l JOIN contact c ON c.id = l.contact_id "
        f"WHERE {where} AND l.remote_id IS NOT NULL ORDER BY l.remote", params
    ):
        kept[remote] = kept.get(remote, 0) + 1
        linked.add(cid)
    return [i for i in ids if i not in linked], kept


def notes_logs(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, list[LogEntry]]:
    """The notes logs of these contacts, oldest entry first, by contact row id (no entry: no key)."""
    ids = list(ids)
    logs: dict[int, list[LogEntry]] = defaultdict(list)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        for cid, nid, at, body, key, kind, local_only in conn.execute(
            f"SELECT contact_id, id, created_at, body, source_key, kind, local_only FROM note "
            f"WHERE contact_id IN ({','.join('?' * len(chunk))}) ORDER BY contact_id, created_at, id", chunk
        ):
            logs[cid].append(LogEntry(at, body, key, nid, kind, bool(local_only)))
    return dict(logs)


def note_row(conn: sqlite3.Connection, note_id: int) -> tuple[int, int, str, str, str | None] | None:
    """(id, contact_id, created_at, body, source_key) of one notes-log entry, or None."""
    row = conn.execute(
        "SELECT id, contact_id, created_at, body, source_key FROM note WHERE id = ?", (note_id,)
    ).fetchone()
    return (row[0], row[1], row[2], row[3], row[4]) if row else None


def notes_present(conn: sqlite3.Connection, contact_id: int, entries: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (created_at, body) entries the contact's notes log already has."""
    wanted = set(entries)
    if not wanted:
        return set()
    rows = conn.execute("SELECT created_at, body FROM note WHERE contact_id = ?", (contact_id,))
    return {(r[0], r[1]) for r in rows} & wanted
