"""Merging duplicates into one contact: the union of everything, KEEP winning where single values differ.

A single value that loses (another title, another birthday, another custom field value) is not dropped: it
is returned as a line for the notes log, so the user can still see and restore it.
"""

from __future__ import annotations

from dataclasses import replace

from rolo.core.emails import email_key
from rolo.core.record import ContactRecord

SCALARS = ("formatted_name", "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname",
           "organization", "department", "title", "birthday")


def merge_records(keep: ContactRecord, others: list[ContactRecord]) -> tuple[ContactRecord, list[str]]:
    """The merged contact (KEEP's uid) and the log lines for values that lost a conflict."""
    merged = replace(keep, emails=list(keep.emails), phones=list(keep.phones), addresses=list(keep.addresses),
                     urls=list(keep.urls), labels=list(keep.labels), custom_fields=dict(keep.custom_fields),
                     extras=list(keep.extras))
    log: list[str] = []
    notes = [keep.notes] if keep.notes else []
    for other in others:
        source = f"merged from {other.display_name()} ({other.uid})"
        for attr in SCALARS:
            mine, theirs = getattr(merged, attr), getattr(other, attr)
            if not mine and theirs:
                setattr(merged, attr, theirs)
            elif mine and theirs and mine != theirs:
                log.append(f"{source}: {attr} was {theirs!r}")
        merged.starred = merged.starred or other.starred
        if not merged.photo and other.photo:
            merged.photo, merged.photo_type = other.photo, other.photo_type
        known_emails = {email_key(e.address) for e in merged.emails}
        merged.emails += [e for e in other.emails if email_key(e.address) not in known_emails]
        known_phones = {p.e164 or p.number for p in merged.phones}
        merged.phones += [p for p in other.phones if (p.e164 or p.number) not in known_phones]
        merged.addresses += [a for a in other.addresses if a not in merged.addresses]
        known_urls = {u.url for u in merged.urls}
        merged.urls += [u for u in other.urls if u.url not in known_urls]
        merged.labels += [name for name in other.labels if name.casefold() not in
                          {n.casefold() for n in merged.labels}]
        for name, value in other.custom_fields.items():
            mine = merged.custom_fields.get(name)
            if mine is None:
                merged.custom_fields[name] = value
            elif isinstance(mine, list) and isinstance(value, list):
                merged.custom_fields[name] = mine + [v for v in value if v not in mine]
            elif mine != value:
                log.append(f"{source}: {name} was {value!r}")
        merged.extras += [line for line in other.extras if line not in merged.extras]
        if other.notes and other.notes not in notes:
            notes.append(other.notes)
    merged.notes = "\n\n".join(notes) or None
    return merged, log
