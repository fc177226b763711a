"""The JSON contact object (`rolo.core.record.ContactRecord.to_json`) built by SQLite itself.

`rolo list --json` on a 100,000-contact book spent most of its time building ContactRecords and encoding
them in Python; SQLite's JSON functions build the same objects in C, one text per contact, about four times
faster. The shape is the contract of `to_json` (same keys, same values; compact separators), and
`tests/core/test_contact_json.py` checks both give the same objects over varied books.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

from rolo.core.store.postgres import dialect
from rolo.core.store.reader import LAST_CONTACTED, live_filter, stream_live_contacts

_TRUE_FALSE = "json(CASE WHEN {} THEN 'true' ELSE 'false' END)"
# A list of child objects in `position` order. SQLite 3.40 has no ORDER BY inside an aggregate, and an
# ordered sub-select costs a sort per contact (a third of the time); the rows come in the order of the
# index on (contact_id, position), which is position order (the tests check it on real books).
_LIST = "(SELECT json_group_array(json_object({})) FROM {} WHERE contact_id = c.id)"
_NAME_PARTS = " || ".join(
    f"COALESCE(' ' || NULLIF(c.{part}, ''), '')"
    for part in ("prefix", "given_name", "additional_names", "family_name", "suffix")
)
# display_name(): FN, else the name parts, else the organization, else the first email
_DISPLAY_NAME = (
    f"COALESCE(NULLIF(c.formatted_name, ''), NULLIF(substr({_NAME_PARTS}, 2), ''), o.name, "
    "(SELECT address FROM email WHERE contact_id = c.id ORDER BY position LIMIT 1), '')"
)
_TYPED = "CASE fd.type WHEN 'number' THEN json(fv.value) WHEN 'bool' THEN json(fv.value) ELSE json_quote(fv.value) END"
_CUSTOM_FIELDS = (
    "(SELECT json_group_object(name, json(value)) FROM (SELECT fd.name AS name, CASE WHEN fd.multiple THEN "
    f"(SELECT json_group_array(json(v)) FROM (SELECT {_TYPED} AS v FROM fieldvalue fv WHERE fv.contact_id = c.id "
    "AND fv.field_id = fd.id ORDER BY fv.position)) "
    f"ELSE (SELECT {_TYPED} FROM fieldvalue fv WHERE fv.contact_id = c.id AND fv.field_id = fd.id "
    "ORDER BY fv.position LIMIT 1) END AS value FROM fielddef fd WHERE fd.id IN "
    "(SELECT field_id FROM fieldvalue WHERE contact_id = c.id) ORDER BY fd.name_key))"
)
_OBJECT = ", ".join([
    "'uid', c.uid", f"'formatted_name', {_DISPLAY_NAME}", "'prefix', c.prefix", "'given_name', c.given_name",
    "'additional_names', c.additional_names", "'family_name', c.family_name", "'suffix', c.suffix",
    "'nickname', c.nickname", "'organization', o.name", "'department', c.department", "'title', c.title",
    "'birthday', c.birthday",
    "@dates@", "@related@",
    "'emails', " + _LIST.format(
        "'address', address, 'label', label, 'primary', " + _TRUE_FALSE.format("pref"), "email"),
    "'phones', " + _LIST.format(
        "'number', number, 'e164', e164, 'label', label, 'primary', " + _TRUE_FALSE.format("pref"), "phone"),
    "'addresses', " + _LIST.format(
        "'label', label, 'po_box', po_box, 'street', street, 'extended', extended, 'locality', locality, "
        "'region', region, 'postal_code', postal_code, 'country', country", "address"),
    "'urls', " + _LIST.format("'label', label, 'url', url", "url"),
    "'labels', (SELECT json_group_array(name) FROM (SELECT l.name AS name FROM contactlabel cl JOIN label l "
    "ON l.id = cl.label_id WHERE cl.contact_id = c.id ORDER BY l.name_key))",
    f"'custom_fields', {_CUSTOM_FIELDS}",
    "'notes', c.notes", "'starred', " + _TRUE_FALSE.format("c.starred"), "'kind', c.kind",
    "@last_contacted@",
    "'revision', c.revision", "'created_at', c.created_at", "'updated_at', c.updated_at",
])


# The personal CRM's parts of the object, each a sub-select per contact; a book that has none of them (most
# books, most of the time) gets the constant instead, which keeps `rolo list --json` as fast as before them.
_CRM_PARTS = {
    "dates": ("SELECT 1 FROM contactdate LIMIT 1",
              "'dates', " + _LIST.format("'label', label, 'value', value", "contactdate"), "'dates', json('[]')"),
    "related": ("SELECT 1 FROM related LIMIT 1",
                "'related', " + _LIST.format("'kind', kind, 'uid', uid, 'name', name", "related"),
                "'related', json('[]')"),
    "last_contacted": ("SELECT 1 FROM note WHERE kind IS NOT NULL LIMIT 1",
                       f"'last_contacted', {LAST_CONTACTED}", "'last_contacted', NULL"),
}


def _object(conn: sqlite3.Connection) -> str:
    """The json_object() arguments for this book."""
    text = _OBJECT
    for name, (probe, full, empty) in _CRM_PARTS.items():
        text = text.replace(f"@{name}@", full if conn.execute(probe).fetchone() else empty)
    return text


def live_contacts_json(conn: sqlite3.Connection, *, label: str | None = None, sort: str = "name"
                       ) -> Iterator[str]:
    """Each live contact (with a label, if given) as the text of its JSON object, in listing order."""
    if dialect(conn) == "postgresql":  # not built by the server yet: the Python path, the same objects
        for record in stream_live_contacts(conn, label=label, sort=sort):
            yield json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"))
        return
    where, params, order = live_filter(label, sort)
    # The objects are built in row order (each child table read in step) and then sorted: in memory, the
    # sort takes a third of the time it takes through temporary files (about 60 MB for 100,000 contacts).
    conn.execute("PRAGMA temp_store = MEMORY")
    try:
        cursor = conn.execute(
            f"SELECT json_object({_object(conn)}) FROM contact c LEFT JOIN organization o ON o.id = c.organization_id "
            f"WHERE {where} ORDER BY {order}", params,
        )
        while rows := cursor.fetchmany(1000):
            for row in rows:
                yield row[0]
    finally:
        conn.execute("PRAGMA temp_store = DEFAULT")
