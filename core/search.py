"""Search: the SQLite FTS5 index of contacts and the query language over it.

Query syntax (khard users know it): words are prefix-matched anywhere and all must match; `field:term`
restricts a term to one part of the contact: `name:`, `email:`, `phone:`, `org:`, `title:`, `nick:`,
`note:`, `label:`, or the name of a custom field. Quote phrases: `label:"book club"`. A term that looks
like a phone number is matched by its digits in every common form (E.164, national, as typed).

The index is a plain FTS5 table keyed by the contact's row id and kept current by `reindex`, which the
book calls inside each write transaction (a contact's text spans seven tables, so triggers would not do).
"""

from __future__ import annotations

import re
import shlex
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rolo.core.errors import UserError
from rolo.core.fields import field_key
from rolo.core.phones import looks_like_phone, search_digits, to_e164
from rolo.core.record import ContactRecord

COLUMNS = ("name", "nickname", "org", "title", "email", "phone", "notes", "labels", "fields")
# bm25 weights in COLUMNS order: a hit in the name counts most.
_WEIGHTS = "10.0, 6.0, 4.0, 2.0, 5.0, 4.0, 1.0, 2.0, 1.0"
QUALIFIERS = {
    "name": "name", "n": "name",
    "nick": "nickname", "nickname": "nickname",
    "email": "email", "mail": "email",
    "phone": "phone", "tel": "phone",
    "org": "org", "organization": "org", "company": "org",
    "title": "title",
    "note": "notes", "notes": "notes",
    "label": "labels", "labels": "labels", "tag": "labels",
}
_WORD = re.compile(r"\w+", re.UNICODE)


def _document(record: ContactRecord, log_notes: list[str]) -> tuple[str, ...]:
    name = " ".join(
        p for p in (record.formatted_name, record.prefix, record.given_name, record.additional_names,
                    record.family_name, record.suffix) if p
    )
    phones = " ".join(d for p in record.phones for d in search_digits(p.number, p.e164))
    fields = " ".join(
        " ".join(str(v) for v in (value if isinstance(value, list) else [value]))
        for value in record.custom_fields.values()
    )
    return (
        name,
        record.nickname or "",
        " ".join(p for p in (record.organization, record.department) if p),
        record.title or "",
        " ".join(e.address for e in record.emails),
        phones,
        "\n".join([record.notes or "", *log_notes]),
        " ".join(record.labels),
        fields,
    )


def reindex(conn: sqlite3.Connection, records: Iterable[ContactRecord]) -> None:
    """Replace the index entries of these contacts (deleted ones are only removed)."""
    records = [r for r in records if r.id is not None]
    if not records:
        return
    ids = [r.id for r in records]
    notes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for cid, body in conn.execute(
            f"SELECT contact_id, body FROM note WHERE contact_id IN ({marks}) ORDER BY created_at", chunk
        ):
            notes[cid].append(body)
    conn.executemany("DELETE FROM contact_fts WHERE rowid = ?", [(i,) for i in ids])
    conn.executemany(
        f"INSERT INTO contact_fts (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})",
        [(r.id, *_document(r, notes[r.id])) for r in records],  # type: ignore[index]
    )


def unindex(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Drop contacts from the index (on delete)."""
    conn.executemany("DELETE FROM contact_fts WHERE rowid = ?", [(i,) for i in ids])


@dataclass
class ParsedQuery:
    """A query split into the FTS5 expression and the custom-field filters."""

    fts: list[str] = field(default_factory=list)
    field_filters: list[tuple[str, str]] = field(default_factory=list)


def _phrase(text: str) -> str | None:
    words = _WORD.findall(text.lower())
    return f'"{" ".join(words)}"*' if words else None


def _phone_expr(text: str, region: str) -> str | None:
    forms = {re.sub(r"\D", "", text)}
    if e164 := to_e164(text, region):
        forms.update(search_digits(text, e164))
    forms.discard("")
    return "(" + " OR ".join(f'"{f}"*' for f in sorted(forms)) + ")" if forms else None


def parse_query(query: str, region: str, field_names: Iterable[str] = ()) -> ParsedQuery:
    """Turn the user's query into FTS5 syntax plus custom-field filters; raise UserError if empty."""
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    if len(terms) > 1 and looks_like_phone(query):  # "030 23125456": one number typed with spaces
        terms = [re.sub(r"\s+", "", query)]
    known_fields = {field_key(n) for n in field_names}
    parsed = ParsedQuery()
    for term in terms:
        key, sep, value = term.partition(":")
        if sep and value and key.lower() in QUALIFIERS:
            column = QUALIFIERS[key.lower()]
            expr = _phone_expr(value, region) if column == "phone" else _phrase(value)
            if expr:
                parsed.fts.append(f"{column} : {expr}")
            continue
        if sep and value and field_key(key) in known_fields:
            parsed.field_filters.append((field_key(key), value))
            continue
        if looks_like_phone(term):
            expr = _phone_expr(term, region)
            if expr:
                parsed.fts.append(f"phone : {expr}")
            continue
        if expr := _phrase(term):
            parsed.fts.append(expr)
    if not parsed.fts and not parsed.field_filters:
        raise UserError(f"nothing to search for in {query!r}")
    return parsed


def search_ids(conn: sqlite3.Connection, query: str, region: str, limit: int | None = 50) -> list[int]:
    """Row ids of live contacts matching the query, best first."""
    field_names = [r[0] for r in conn.execute("SELECT name FROM fielddef")]
    parsed = parse_query(query, region, field_names)
    where, params = ["c.deleted_at IS NULL"], []
    for key, value in parsed.field_filters:
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            "c.id IN (SELECT fv.contact_id FROM fieldvalue fv JOIN fielddef fd ON fd.id = fv.field_id "
            "WHERE fd.name_key = ? AND fv.value LIKE ? ESCAPE '\\')"
        )
        params += [key, escaped + "%"]
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    if parsed.fts and not parsed.field_filters and limit:
        # Rank inside the index first and join only the best few to `contact`: broad queries (a label, a
        # two-letter prefix) match thousands of rows, and scoring + joining them all dominated p95.
        sql = (
            f"WITH top AS MATERIALIZED (SELECT rowid AS id, bm25(contact_fts, {_WEIGHTS}) AS score "
            f"FROM contact_fts WHERE contact_fts MATCH ? ORDER BY score LIMIT {4 * int(limit)}) "
            f"SELECT c.id FROM top JOIN contact c ON c.id = top.id WHERE c.deleted_at IS NULL "
            f"ORDER BY top.score, c.sort_key LIMIT {int(limit)}"
        )
        params = [" AND ".join(parsed.fts)]
    elif parsed.fts:
        sql = (
            f"SELECT c.id FROM contact_fts f JOIN contact c ON c.id = f.rowid "
            f"WHERE contact_fts MATCH ? AND {' AND '.join(where)} "
            f"ORDER BY bm25(contact_fts, {_WEIGHTS}), c.sort_key{limit_sql}"
        )
        params = [" AND ".join(parsed.fts), *params]
    else:
        sql = f"SELECT c.id FROM contact c WHERE {' AND '.join(where)} ORDER BY c.sort_key{limit_sql}"
    return [row[0] for row in conn.execute(sql, params)]

