"""The text form `rolo edit` opens in $EDITOR: one `key: value` per line, readable and easy to change."""

from __future__ import annotations

from dataclasses import replace

from rolo.core.errors import ValidationError
from rolo.core.record import AddressEntry, ContactRecord, DateEntry, EmailEntry, PhoneEntry, RelatedEntry, UrlEntry

HEADER = """\
# Edit the contact, then save and close the editor. Lines starting with # are ignored.
# Repeat email/phone/address/url/label lines for more values; delete a line to remove that value.
# A label in brackets comes first: `email: [work] ada@example.com`; a trailing * marks the preferred one.
# address: [label] street | extended | locality | region | postal code | country | po box
# date: [anniversary] 2012-06-15 (or --06-15 without a year); related: [spouse] William King
# Notes continue on lines indented by two spaces. Custom fields: `field.NAME: value`.
"""
SCALARS = ("formatted_name", "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname",
           "organization", "department", "title", "birthday")
_ADDRESS_PARTS = ("street", "extended", "locality", "region", "postal_code", "country", "po_box")


def _entry(label: str | None, value: str, primary: bool = False) -> str:
    return (f"[{label}] " if label else "") + value + (" *" if primary else "")


def render(record: ContactRecord) -> str:
    """The editable text of a contact."""
    lines = [HEADER + f"# uid: {record.uid} (revision {record.revision})"]
    lines += [f"{key}: {getattr(record, key) or ''}" for key in SCALARS]
    lines.append(f"starred: {'yes' if record.starred else 'no'}")
    lines += [f"email: {_entry(e.label, e.address, e.primary)}" for e in record.emails]
    lines += [f"phone: {_entry(p.label, p.number, p.primary)}" for p in record.phones]
    for a in record.addresses:
        parts = " | ".join(getattr(a, part) or "" for part in _ADDRESS_PARTS)
        lines.append(f"address: {_entry(a.label, parts, a.primary)}")
    lines += [f"url: {_entry(u.label, u.url)}" for u in record.urls]
    lines += [f"date: {_entry(d.label, d.value)}" for d in record.dates]
    lines += [f"related: {_entry(r.kind, r.name or r.uid or '')}" for r in record.related]
    lines += [f"label: {name}" for name in record.labels]
    for name, value in record.custom_fields.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"field.{name}: {str(item).lower() if isinstance(item, bool) else item}")
    notes = (record.notes or "").splitlines() or [""]
    lines.append(f"notes: {notes[0]}")
    lines += [f"  {line}" for line in notes[1:]]
    return "\n".join(lines) + "\n"


def _split_entry(value: str) -> tuple[str | None, str, bool]:
    label = None
    value = value.strip()
    primary = value.endswith(" *") or value == "*"
    if primary:
        value = value[:-1].rstrip()
    if value.startswith("[") and "]" in value:
        label, value = value[1:].split("]", 1)
        label = label.strip() or None
    return label, value.strip(), primary


def parse(text: str, original: ContactRecord) -> ContactRecord:
    """The contact as edited; raise ValidationError naming the line for anything not understood."""
    from rolo.core.cli.entries import email_entry, phone_entry

    record = replace(original, emails=[], phones=[], addresses=[], urls=[], labels=[], custom_fields={}, dates=[],
                     related=[])
    for key in SCALARS:
        setattr(record, key, None)
    record.formatted_name = ""
    notes: list[str] | None = None
    values: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            continue
        if line.startswith("  ") and notes is not None:
            notes.append(line[2:])
            continue
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep:
            raise ValidationError(f"line {number}: expected 'key: value', got {line!r}")
        value = value.strip()
        if key == "notes":
            notes = [value]
        elif key in SCALARS:
            setattr(record, key, value or None)
            notes = None
        elif key == "starred":
            if value.lower() not in ("yes", "no", "true", "false", ""):
                raise ValidationError(f"line {number}: starred is yes or no")
            record.starred = value.lower() in ("yes", "true")
        elif key == "email" and value:
            label, address, primary = _split_entry(value)
            entry = email_entry(address)
            record.emails.append(EmailEntry(entry.address, label, primary))
        elif key == "phone" and value:
            label, number_text, primary = _split_entry(value)
            known = number_text in {p.number for p in original.phones}  # checked when it was added
            record.phones.append(PhoneEntry(phone_entry(number_text, check=not known).number, label=label,
                                            primary=primary))
        elif key == "address" and value:
            label, rest, primary = _split_entry(value)
            parts = [p.strip() or None for p in rest.split("|")]
            if len(parts) > len(_ADDRESS_PARTS):
                raise ValidationError(f"line {number}: an address has at most {len(_ADDRESS_PARTS)} parts")
            parts += [None] * (len(_ADDRESS_PARTS) - len(parts))
            record.addresses.append(AddressEntry(label=label, primary=primary, **dict(zip(_ADDRESS_PARTS, parts, strict=True))))
        elif key == "url" and value:
            label, url, _ = _split_entry(value)
            record.urls.append(UrlEntry(url, label))
        elif key == "label" and value:
            record.labels.append(value)
        elif key == "date" and value:
            label, day, _ = _split_entry(value)
            record.dates.append(DateEntry(label or "other", day))
        elif key == "related" and value:
            kind, who, _ = _split_entry(value)
            # the link it was (a contact's uid kept), when kind and name are unchanged
            same = next((r for r in original.related if r.kind == (kind or "other") and who in (r.name, r.uid)),
                        None)
            record.related.append(same or RelatedEntry(kind or "other", None, who))
        elif key.startswith("field.") and value:
            values.setdefault(key[6:], []).append(value)
        elif key not in ("email", "phone", "address", "url", "label", "date", "related") \
                and not key.startswith("field."):
            raise ValidationError(f"line {number}: unknown key {key!r}")
    record.notes = "\n".join(notes).strip() or None if notes is not None else None
    record.formatted_name = record.formatted_name or ""
    record.custom_fields = {k: v if len(v) > 1 else v[0] for k, v in values.items()}
    require_identity(record)
    return record


def require_identity(record: ContactRecord) -> None:
    """Refuse a contact left with no name, organization, email or phone, as `rolo add` does: saving it
    would wipe the contact (and a sync would push the wipe)."""
    names = (record.formatted_name, record.given_name, record.family_name, record.organization)
    if any(n and n.strip() for n in names):
        return
    if any(e.address.strip() for e in record.emails) or any(p.number.strip() for p in record.phones):
        return
    raise ValidationError("a contact needs a name, an organization, an email or a phone",
                          hint="rolo rm deletes a contact")
