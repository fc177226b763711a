"""The phone numbers `rolo doctor` looks at: those stored without an E.164 form (an impossible number kept
as an import wrote it, or a national number typed while `default_region` was another region)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredPhone:
    """A live contact's number without E.164 form, with whose it is."""

    contact_id: int
    uid: str
    name: str
    number: str


def phones_without_e164(conn: sqlite3.Connection) -> list[StoredPhone]:
    """Every number of a live contact stored without an E.164 form, by contact name."""
    rows = conn.execute(
        "SELECT c.id, c.uid, c.formatted_name, p.number FROM phone p JOIN contact c ON c.id = p.contact_id "
        "WHERE c.deleted_at IS NULL AND p.e164 IS NULL ORDER BY c.sort_key, c.id, p.position"
    )
    return [StoredPhone(*row) for row in rows]
