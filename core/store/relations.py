"""Reads for relationships (`rolo relate`, `rolo show`): who a contact's links name now, and the links other
contacts hold to it (the other direction, derived rather than stored)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rolo.core.store import reader


@dataclass(frozen=True)
class Linked:
    """A contact a link names, as the book has it now: its uid, its name, and whether it is in the trash."""

    uid: str
    name: str
    trashed: bool


def _forms(uid: str) -> list[str]:
    """A uid as links may spell it: as stored, and with or without vCard 4.0's urn:uuid: prefix."""
    bare = uid.removeprefix("urn:uuid:")
    return [bare, f"urn:uuid:{bare}"]


def linked(conn: sqlite3.Connection, uids: list[str]) -> dict[str, Linked]:
    """The contacts these uids name (merged-away uids: the contact they went into), by the uid as given."""
    found: dict[str, Linked] = {}
    for uid in dict.fromkeys(uids):
        forms = _forms(uid)
        row = conn.execute(
            # a live contact first; else the one a merge put in the place of this uid, rather than the merged one
            "SELECT id, deleted_at FROM (SELECT id, deleted_at, 0 AS merged FROM contact WHERE uid IN (?, ?) "
            "UNION ALL SELECT c.id, c.deleted_at, 1 FROM contactalias a JOIN contact c ON c.id = a.contact_id "
            "WHERE a.uid IN (?, ?)) AS found ORDER BY deleted_at IS NOT NULL, merged DESC LIMIT 1", (*forms, *forms)
        ).fetchone()
        if row:
            (record,) = reader.load_contacts(conn, [row[0]])
            found[uid] = Linked(record.uid, record.display_name(), row[1] is not None)
    return found


def linking_to(conn: sqlite3.Connection, contact_id: int) -> list[tuple[str, Linked]]:
    """The links other live contacts hold to this one: (kind as stored on the other contact, that contact),
    by the other contact's name. Links to a uid it absorbed in a merge count too."""
    uids = [r[0] for r in conn.execute(
        "SELECT uid FROM contact WHERE id = ? UNION SELECT uid FROM contactalias WHERE contact_id = ?",
        (contact_id, contact_id))]
    forms = [f for uid in uids for f in _forms(uid)]
    marks = ",".join("?" * len(forms))
    rows = conn.execute(
        f"SELECT r.kind, r.contact_id FROM related r JOIN contact c ON c.id = r.contact_id "
        f"WHERE r.uid IN ({marks}) AND c.deleted_at IS NULL AND r.contact_id != ? ORDER BY r.contact_id, "
        f"r.position", (*forms, contact_id)).fetchall()
    records = {r.id: r for r in reader.load_contacts(conn, list({cid for _, cid in rows}))}
    links = [(kind, Linked(records[cid].uid, records[cid].display_name(), False)) for kind, cid in rows]
    return sorted(links, key=lambda link: (link[1].name.casefold(), link[0]))
