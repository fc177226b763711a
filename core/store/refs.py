"""Resolving a REF (uid, unique uid prefix of 6+ characters, email, or phone in any format) to a contact.

The uid of a contact merged away (`rolo merge`) names the contact it was merged into (its alias)."""

from __future__ import annotations

import sqlite3

from rolo.core.emails import email_key
from rolo.core.errors import AmbiguousRefError, NotFoundError, UserError
from rolo.core.phones import looks_like_phone, to_e164

MIN_PREFIX = 6


def _describe(conn: sqlite3.Connection, ids: list[int]) -> list[str]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT uid, formatted_name FROM contact WHERE id IN ({marks}) ORDER BY uid", ids)
    return [f"{uid} ({name})" if name else uid for uid, name in rows]


def resolve_ref(conn: sqlite3.Connection, ref: str, region: str, *, trashed: bool = False) -> int:
    """The row id of the one live contact REF names (with `trashed`, the one deleted contact: `rolo
    restore`); NotFoundError or AmbiguousRefError otherwise."""
    ref = ref.strip()
    if not ref:
        raise UserError("empty contact reference")
    live = "deleted_at IS NOT NULL" if trashed else "deleted_at IS NULL"
    where = " in the trash" if trashed else ""
    for uid in (ref, f"urn:uuid:{ref}"):  # vCard 4.0 uids often carry a urn:uuid: prefix
        row = conn.execute(f"SELECT id FROM contact WHERE uid = ? AND {live}", (uid,)).fetchone()
        if row:
            return row[0]
    for uid in () if trashed else (ref, f"urn:uuid:{ref}"):  # a merged-away uid names the one it went into
        row = conn.execute(f"SELECT c.id FROM contactalias a JOIN contact c ON c.id = a.contact_id "
                           f"WHERE a.uid = ? AND c.{live}", (uid,)).fetchone()
        if row:
            return row[0]
    ids: list[int] = []
    kind = "uid prefix"
    if "@" in ref:
        kind = "email"
        ids = [r[0] for r in conn.execute(
            f"SELECT DISTINCT e.contact_id FROM email e JOIN contact c ON c.id = e.contact_id "
            f"WHERE e.address_key = ? AND c.{live}", (email_key(ref.removeprefix("mailto:")),)
        )]
    elif looks_like_phone(ref) and (e164 := to_e164(ref, region)):
        kind = "phone"
        ids = [r[0] for r in conn.execute(
            f"SELECT DISTINCT p.contact_id FROM phone p JOIN contact c ON c.id = p.contact_id "
            f"WHERE p.e164 = ? AND c.{live}", (e164,)
        )]
    if not ids and len(ref) >= MIN_PREFIX:
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(
            f"SELECT id, uid FROM contact WHERE (uid LIKE ? ESCAPE '\\' OR uid LIKE ? ESCAPE '\\') AND {live} "
            "LIMIT 21", (escaped + "%", "urn:uuid:" + escaped + "%")
        ).fetchall()
        # LIKE is case-insensitive for ASCII; uids are compared exactly.
        ids = [i for i, uid in rows if uid.removeprefix("urn:uuid:").startswith(ref)]
        kind = "uid prefix" if ids else kind
    if not ids:
        hint = None if len(ref) >= MIN_PREFIX or "@" in ref else f"a uid prefix needs {MIN_PREFIX}+ characters"
        raise NotFoundError(f"no contact{where} matches {ref!r}", hint=hint or ("rolo trash lists it" if trashed
                                                                               else None))
    if len(ids) > 1:
        candidates = _describe(conn, ids[:20])
        raise AmbiguousRefError(
            f"{ref!r} ({kind}) matches {len(ids)} contacts{where}: {', '.join(candidates)}", candidates=candidates
        )
    return ids[0]
