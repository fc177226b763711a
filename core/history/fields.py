"""A contact as a flat dict of fields, the diff of two versions, and setting fields back.

The fields are the JSON contact object's (`ContactRecord.to_json`) without its bookkeeping (uid, revision,
created_at, updated_at), with each custom field its own field (`custom_fields.NAME`), a phone's derived
`e164` left out (the book computes it again), and the photo (hex) and the kept vCard lines (`extras`) added.
A diff is `{field: [before, after]}` for the fields that differ; bookkeeping the undo needs travels in it
under names starting with `@` (`@revision`, `@updated_at`), which are no fields.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rolo.core.record import AddressEntry, ContactRecord, DateEntry, EmailEntry, PhoneEntry, RelatedEntry, UrlEntry

CUSTOM = "custom_fields."
_BOOKKEEPING = ("uid", "revision", "created_at", "updated_at")
_ENTRIES = {"emails": EmailEntry, "phones": PhoneEntry, "addresses": AddressEntry, "urls": UrlEntry,
            "dates": DateEntry, "related": RelatedEntry}


def contact_fields(record: ContactRecord) -> dict[str, Any]:
    """The contact's fields (see the module docstring)."""
    data = record.content_key()
    for key in _BOOKKEEPING:
        data.pop(key, None)
    for phone in data["phones"]:
        phone.pop("e164", None)
    for name, value in data.pop("custom_fields").items():
        data[CUSTOM + name] = value
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field whose value differs (a field one side lacks is None)."""
    return {name: [before.get(name), after.get(name)]
            for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)}


def is_field(name: str) -> bool:
    """Whether a diff key is a field (not bookkeeping such as `@revision`, nor the `deleted` flag)."""
    return not name.startswith("@") and name not in ("deleted", "log", "links", "holds")


def set_fields(record: ContactRecord, values: dict[str, Any]) -> ContactRecord:
    """A copy of the contact with these fields set to these values (as `contact_fields` gives them)."""
    record = replace(record, custom_fields=dict(record.custom_fields))
    for name, value in values.items():
        if name.startswith(CUSTOM):
            key = name[len(CUSTOM):]
            existing = next((k for k in record.custom_fields if k.casefold() == key.casefold()), key)
            if value in (None, "", []):
                record.custom_fields.pop(existing, None)
            else:
                record.custom_fields[existing] = value
        elif name in _ENTRIES:
            entry = _ENTRIES[name]
            setattr(record, name, [entry(**item) for item in value or []])
        elif name == "labels":
            record.labels = list(value or [])
        elif name == "photo":
            record.photo = bytes.fromhex(value) if value else None
        elif name == "extras":
            record.extras = list(value or [])
        elif name == "starred":
            record.starred = bool(value)
        elif name == "kind":
            record.kind = value or "individual"
        elif name == "formatted_name":
            record.formatted_name = value or ""
        elif is_field(name):
            setattr(record, name, value)
    return record


def describe(name: str, value: Any) -> str:
    """A short text of one field's value, for `rolo history` and `rolo undo`."""
    if value in (None, "", [], {}):
        return "(none)"
    if name == "photo":
        return f"photo ({len(value) // 2} bytes)"
    if name in _ENTRIES:
        key = {"emails": "address", "phones": "number", "urls": "url"}.get(name)
        if name == "dates":
            return ", ".join(f"{item.get('label')} {item.get('value')}" for item in value)
        if name == "related":
            return ", ".join(f"{item.get('kind')}: {item.get('name') or item.get('uid')}" for item in value)
        if key:
            return ", ".join(str(item.get(key)) for item in value)
        return "; ".join(", ".join(str(v) for k, v in item.items() if v and k not in ("label", "primary"))
                         for item in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
