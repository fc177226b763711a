"""Keep-in-touch cadences (`rolo keep`): rows of `keepintouch`, one per contact or per label, and the read
`rolo due` starts from. What is overdue is decided in `rolo.core.keep_in_touch`, not here."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rolo.core.store.reader import LAST_CONTACTED


@dataclass(frozen=True)
class Cadence:
    """A cadence as set: for a contact (uid and name) or a label (its name), every N days, since when."""

    every_days: int
    since: str
    uid: str | None = None
    name: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A live contact one or more cadences apply to, with what `rolo due` needs to rank it."""

    contact_id: int
    every_days: int
    label: str | None  # None: the contact's own cadence
    since: str  # when the cadence applying began for this contact (the later of cadence and contact)
    last_contacted: str | None


def set_cadence(conn: sqlite3.Connection, *, contact_id: int | None = None, label_id: int | None = None,
                every_days: int, now: str) -> int | None:
    """Set (or change) the cadence of a contact or a label; returns the previous number of days, if any.
    A changed cadence keeps its start: only its length changes."""
    column, key = ("contact_id", contact_id) if contact_id is not None else ("label_id", label_id)
    row = conn.execute(f"SELECT every_days FROM keepintouch WHERE {column} = ?", (key,)).fetchone()
    if row:
        conn.execute(f"UPDATE keepintouch SET every_days = ? WHERE {column} = ?", (every_days, key))
        return int(row[0])
    conn.execute(f"INSERT INTO keepintouch ({column}, every_days, created_at) VALUES (?, ?, ?)",
                 (key, every_days, now))
    return None


def remove_cadence(conn: sqlite3.Connection, *, contact_id: int | None = None, label_id: int | None = None
                   ) -> int | None:
    """Remove the cadence of a contact or a label; returns its number of days (None: there was none)."""
    column, key = ("contact_id", contact_id) if contact_id is not None else ("label_id", label_id)
    row = conn.execute(f"SELECT every_days FROM keepintouch WHERE {column} = ?", (key,)).fetchone()
    conn.execute(f"DELETE FROM keepintouch WHERE {column} = ?", (key,))
    return int(row[0]) if row else None


def label_id(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of the label of that name (any case), or None."""
    row = conn.execute("SELECT id FROM label WHERE name_key = ?", (name.strip().casefold(),)).fetchone()
    return int(row[0]) if row else None


def cadences(conn: sqlite3.Connection) -> list[Cadence]:
    """Every cadence set: labels' first (by name), then contacts' (by name); trashed contacts left out."""
    labels = [Cadence(int(days), since, label=name) for days, since, name in conn.execute(
        "SELECT k.every_days, k.created_at, l.name FROM keepintouch k JOIN label l ON l.id = k.label_id "
        "ORDER BY l.name_key")]
    contacts = [Cadence(int(days), since, uid=uid, name=name) for days, since, uid, name in conn.execute(
        "SELECT k.every_days, k.created_at, c.uid, c.formatted_name FROM keepintouch k "
        "JOIN contact c ON c.id = k.contact_id WHERE c.deleted_at IS NULL ORDER BY c.sort_key, c.id")]
    return labels + contacts


def candidates(conn: sqlite3.Connection, label: str | None = None) -> list[Candidate]:
    """Each live contact a cadence applies to (only those carrying `label`, when given): its own cadence
    if it has one, else the shortest of its labels' (ties: the label first by name)."""
    rows = conn.execute(
        "SELECT c.id, k.every_days, NULL, CASE WHEN k.created_at > c.created_at THEN k.created_at ELSE c.created_at END, " + LAST_CONTACTED + " "
        "FROM keepintouch k JOIN contact c ON c.id = k.contact_id WHERE c.deleted_at IS NULL "
        "UNION ALL "
        "SELECT c.id, k.every_days, l.name, CASE WHEN k.created_at > c.created_at THEN k.created_at ELSE c.created_at END, " + LAST_CONTACTED + " "
        "FROM keepintouch k JOIN label l ON l.id = k.label_id JOIN contactlabel cl ON cl.label_id = k.label_id "
        "JOIN contact c ON c.id = cl.contact_id WHERE c.deleted_at IS NULL "
        "AND c.id NOT IN (SELECT contact_id FROM keepintouch WHERE contact_id IS NOT NULL) "
        "ORDER BY 1, 2, 3"
    ).fetchall()
    best: dict[int, Candidate] = {}
    for contact_id, days, name, since, last in rows:
        if contact_id not in best:  # an own cadence is alone; else the shortest label's comes first
            best[contact_id] = Candidate(contact_id, int(days), name, since, last)
    if label is not None:
        carrying = {r[0] for r in conn.execute(
            "SELECT cl.contact_id FROM contactlabel cl JOIN label l ON l.id = cl.label_id WHERE l.name_key = ?",
            (label.strip().casefold(),))}
        best = {cid: c for cid, c in best.items() if cid in carrying}
    return list(best.values())
