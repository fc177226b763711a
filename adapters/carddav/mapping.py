"""vCards ↔ the book's JSON contact object, on rolo's own vCard reader and writer (`rolo.core.vcard`).

What the adapter carries (`CARRIED_FIELDS`): every field a vCard has a property for — the name parts (N),
nickname, organization and department (ORG), title, birthday (BDAY), emails, phones, addresses and urls
with their labels and preferred flags (TYPE, PREF, Apple's itemN.X-ABLabel), labels (CATEGORIES), custom
fields (`X-NAME` properties of the book's defined fields), notes (NOTE) and kind. Not carried:
`formatted_name` (FN is written from the name parts, and a server's own FN is kept while the parts do not
change) and `starred` (no standard vCard property holds it, and phones ignore rolo's X-ROLO-STARRED): the book
keeps both.

**Nothing rolo does not model is lost.** A card is never rebuilt from the book alone: an update starts from
the server's current copy (`to_card(data, base=...)`), parses it, replaces only the carried fields and
writes it back, so its photo, its unmodelled properties (kept verbatim by the reader: X-SOCIALPROFILE,
IMPP, X-ABRELATEDNAMES, ANNIVERSARY, a phone app's own X- lines...), its UID and its notes log go back as
they came.

**Custom fields** are `X-<NAME>` properties (`X-TIER:close`, as `rolo export` writes them). Which X-
properties are custom fields is known only from the book's field definitions, which the engine hands the
adapter (`Adapter.prepare`) and the adapter remembers between runs (`Adapter.remembered`); their values are
read back typed by those definitions (a number field's `9` is 9). An X- property of no defined field stays
an unmodelled property.

**Entry labels** are free text both ways (a vCard keeps any label, through X-ABLabel when TYPE cannot say
it), so no label vocabulary is declared: a label comes back as it went.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rolo.core.errors import ValidationError
from rolo.core.fields import FieldDefinition, field_key
from rolo.core.record import AddressEntry, ContactRecord, EmailEntry, PhoneEntry, UrlEntry
from rolo.core.sync.adapter import Capabilities
from rolo.core.sync.merge import project, same
from rolo.core.vcard import export_card, parse_card

CARRIED_FIELDS = frozenset({
    "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname", "organization",
    "department", "title", "birthday", "emails", "phones", "addresses", "urls", "labels", "custom_fields",
    "notes", "kind",
})
NAME_PARTS = ("prefix", "given_name", "additional_names", "family_name", "suffix")
_SCALARS = ("nickname", "organization", "department", "title", "birthday", "notes")
#: uids of cards rolo creates: derived from the create's idempotency key, so a replayed create lands on the
#: same href (and its If-None-Match: * says it is there already)
NAMESPACE = uuid.UUID("6f1d5b0e-0c59-4a53-9a3e-5d0f3c1c6a2b")


def card_uid(idempotency_key: str) -> str:
    """The UID (and file name) of a card created with this idempotency key."""
    return str(uuid.uuid5(NAMESPACE, idempotency_key))


def fields_digest(fields: Mapping[str, FieldDefinition]) -> str:
    """A short digest of the custom field definitions a card is read with (part of each record's version:
    cards read with other definitions are other data)."""
    text = "\n".join(f"{k}:{d.type}:{int(d.multiple)}" for k, d in sorted(fields.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else ""


def to_book(text: str, fields: Mapping[str, FieldDefinition], caps: Capabilities) -> dict[str, Any]:
    """A card's text in the book's vocabulary (carried fields only). Raises VCardError for a bad card."""
    record = parse_card(text, [d.name for d in fields.values()])
    data = project(record.to_json(), caps)
    data["custom_fields"] = {name: _typed(fields.get(field_key(name)), value)
                             for name, value in (data.get("custom_fields") or {}).items()}
    return data


def _typed(definition: FieldDefinition | None, value: Any) -> Any:
    """A custom field's card text as the book's JSON value (the raw text when it does not fit the type)."""
    if definition is None:
        return value
    raws = value if isinstance(value, list) else [value]
    try:
        return definition.to_json(definition.canonical_values([str(r) for r in raws]))
    except ValidationError:
        return value


def to_card(data: Mapping[str, Any], *, base: str | None, uid: str, version: str,
            fields: Mapping[str, FieldDefinition]) -> str:
    """The card to PUT: `base` (the server's current card, None for a new one) with the carried fields of
    `data` written in, everything else of `base` kept (see the module docstring)."""
    names = {d.name for d in fields.values()} | set(data.get("custom_fields") or {})
    record = parse_card(base, sorted(names)) if base else ContactRecord(uid=uid)
    before = {part: getattr(record, part) for part in NAME_PARTS}
    for part in NAME_PARTS:
        if part in data:
            setattr(record, part, data[part] or None)
    if any(not same(part, before[part], getattr(record, part)) for part in NAME_PARTS):
        record.formatted_name = ""  # written from the new parts (`ContactRecord.display_name`)
    for key in _SCALARS:
        if key in data:
            setattr(record, key, data[key] or None)
    if "kind" in data:
        record.kind = data["kind"] or "individual"
    if "emails" in data:
        record.emails = [EmailEntry(str(e.get("address") or ""), e.get("label"), bool(e.get("primary")))
                         for e in data["emails"] or []]
    if "phones" in data:
        record.phones = [PhoneEntry(str(p.get("number") or ""), None, p.get("label"), bool(p.get("primary")))
                         for p in data["phones"] or []]
    if "addresses" in data:
        record.addresses = [_address(a) for a in data["addresses"] or []]
    if "urls" in data:
        record.urls = [UrlEntry(str(u.get("url") or ""), u.get("label")) for u in data["urls"] or []]
    if "labels" in data:
        record.labels = list(data["labels"] or [])
    if "custom_fields" in data:
        record.custom_fields = {k: v for k, v in (data["custom_fields"] or {}).items() if v not in (None, "", [])}
    record.updated_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # REV
    return export_card(record, version)


def _address(entry: Mapping[str, Any]) -> AddressEntry:
    keys = ("label", "po_box", "extended", "street", "locality", "region", "postal_code", "country")
    return AddressEntry(**{k: entry.get(k) for k in keys}, primary=bool(entry.get("primary")))


def same_data(card: Mapping[str, Any], data: Mapping[str, Any], caps: Capabilities) -> bool:
    """A card holds `data`: every carried field `data` has means the same on it (`rolo.core.sync.merge.same`)."""
    return all(same(name, card.get(name), data[name], caps) for name in caps.fields if name in data)
