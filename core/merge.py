"""Merging duplicates into one contact: the union of everything, KEEP winning where single values differ.

A single value that loses (another title, another birthday, another custom field value) is not dropped: it
is returned as a line for the notes log, so the user can still see and restore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from rolo.core.emails import email_key
from rolo.core.record import ContactRecord, EmailEntry, PhoneEntry
from rolo.core.store.sync_state import Link

_Entry = TypeVar("_Entry", EmailEntry, PhoneEntry)

SCALARS = ("formatted_name", "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname",
           "organization", "department", "title", "birthday")


def merge_records(keep: ContactRecord, others: list[ContactRecord]) -> tuple[ContactRecord, list[str]]:
    """The merged contact (KEEP's uid) and the log lines for values that lost a conflict."""
    merged = replace(keep, emails=list(keep.emails), phones=list(keep.phones), addresses=list(keep.addresses),
                     urls=list(keep.urls), labels=list(keep.labels), custom_fields=dict(keep.custom_fields),
                     extras=list(keep.extras), dates=list(keep.dates), related=list(keep.related))
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
        merged.emails += other.emails
        merged.phones += other.phones
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
        merged.dates += [d for d in other.dates if d not in merged.dates]
        # a link between the merged contacts themselves would point the contact at itself
        merged.related += [r for r in other.related if r not in merged.related and r.uid != keep.uid]
        if other.notes and other.notes not in notes:
            notes.append(other.notes)
    merged.notes = "\n\n".join(notes) or None
    merged.emails = _once(merged.emails, lambda e: email_key(e.address))
    merged.phones = _once(merged.phones, phone_key)
    return merged, log


def phone_key(phone: PhoneEntry) -> str:
    """What makes two entries one number: the E.164 form, else the digits as written (`+1 555-0100` and
    `+1 555 0100` are one number even where neither parses)."""
    return phone.e164 or ("+" if phone.number.strip().startswith("+") else "") + re.sub(r"\D", "", phone.number)


def _once(entries: list[_Entry], key: Callable[[_Entry], str]) -> list[_Entry]:
    """Each entry once by `key`, in first-seen order (KEEP's first): a later copy gives the kept one its
    label when that has none, and primary when no kept entry is primary. Copies, so the inputs stay."""
    kept: dict[str, _Entry] = {}
    for entry in entries:
        first = kept.get(key(entry))
        if first is None:
            kept[key(entry)] = replace(entry)
        elif not first.label and entry.label:
            first.label = entry.label
    result = list(kept.values())
    if not any(e.primary for e in result):
        for entry in entries:  # the first entry marked primary, by its key
            if entry.primary:
                kept[key(entry)].primary = True
                break
    seen_primary = False
    for entry in result:  # one primary at most (KEEP's, being first)
        entry.primary, seen_primary = entry.primary and not seen_primary, seen_primary or entry.primary
    return result


def absorb_card(keep: ContactRecord, card: ContactRecord) -> ContactRecord:
    """KEEP with what a card of a contact merged into it brings (a re-imported card whose UID is now an
    alias of KEEP): the union of emails, phones, addresses, URLs, labels and list fields, a single value
    only where KEEP has none. Nothing KEEP has is removed or replaced, so the card cannot undo the merge."""
    if card.notes and keep.notes and (card.notes in keep.notes.split("\n\n") or card.notes == keep.notes):
        card = replace(card, notes=None)  # the merge already joined the card's notes into KEEP's
    merged, _ = merge_records(keep, [card])
    return merged


@dataclass
class RemoteDeletion:
    """A merged-away contact's record on a remote where KEEP is linked to a record of its own: the next
    sync deletes it there (the merged-away contact is deleted, and KEEP cannot hold two records)."""

    uid: str
    name: str
    remote: str
    remote_id: str

    def message(self) -> str:
        """One line for the user."""
        return f"the next sync deletes {self.name} ({self.uid})'s record {self.remote_id} on remote {self.remote}"


def plan_links(keep_links: dict[str, Link], others: list[tuple[ContactRecord, dict[str, Link]]]
               ) -> tuple[list[tuple[str, Link]], list[str], list[RemoteDeletion]]:
    """What a merge does with the sync links (remote name -> link, per contact): the links KEEP inherits
    from the others (remote, link) for remotes where KEEP has no record, KEEP's "hold" links those replace
    (remote names: a contact kept beside its linked twin by `conflicts resolve --take both`), and the
    others' remote records the next sync deletes because KEEP has a record of its own there."""
    inherit: list[tuple[str, Link]] = []
    replaced: list[str] = []
    deletions: list[RemoteDeletion] = []
    taken = {remote for remote, link in keep_links.items() if link.pending != "hold"}
    for other, links in others:
        for remote, link in sorted(links.items()):
            if not link.remote_id or link.pending == "hold":
                continue  # no remote record (yet): nothing to inherit, nothing to delete
            if remote in taken:
                deletions.append(RemoteDeletion(other.uid, other.display_name(), remote, link.remote_id))
                continue
            taken.add(remote)
            inherit.append((remote, link))
            if remote in keep_links:
                replaced.append(remote)
    return inherit, replaced, deletions
