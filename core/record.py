"""The contact as rolo's code passes it around: plain dataclasses, and the JSON contact object.

The JSON shape is a contract (CLI `--json`, sync snapshots): every key is always present, absent values are
`null` or empty lists, timestamps are ISO 8601 UTC with `Z`, birthdays `YYYY-MM-DD` or `--MM-DD`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmailEntry:
    """One email address; `address` is kept exactly as written."""

    address: str
    label: str | None = None
    primary: bool = False


@dataclass
class PhoneEntry:
    """One phone number as typed, with its E.164 form when it parses."""

    number: str
    e164: str | None = None
    label: str | None = None
    primary: bool = False


@dataclass
class AddressEntry:
    """One postal address, in vCard ADR parts."""

    label: str | None = None
    po_box: str | None = None
    extended: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    primary: bool = False

    def is_empty(self) -> bool:
        parts = (self.po_box, self.extended, self.street, self.locality, self.region, self.postal_code)
        return not any(parts) and not self.country


@dataclass
class UrlEntry:
    """A website or social profile."""

    url: str
    label: str | None = None


@dataclass
class DateEntry:
    """A dated event beside the birthday: an anniversary, or a custom date with its own label."""

    label: str
    value: str  # YYYY-MM-DD, or --MM-DD when the year is unknown


@dataclass
class RelatedEntry:
    """A typed link to another person (spouse, child, manager...): `uid` when that person is (or was named
    by uid as) a contact, else only `name`; the other direction is derived when shown, not stored."""

    kind: str
    uid: str | None = None
    name: str | None = None


@dataclass
class LogEntry:
    """One dated entry of a contact's notes log (`notes` is the card's own NOTE text, a different thing).

    `source` is the entry's source key: where it came from (a meeting pulled by a sync, a vCard entry
    imported), None for a note typed in rolo. `id` is the row id, when loaded from a book. `kind` makes the
    entry an interaction (call, meeting, email, message, other: `rolo log --via`), None for a plain note;
    `local_only` keeps it off remotes and exports unless asked."""

    at: str
    text: str
    source: str | None = None
    id: int | None = None
    kind: str | None = None
    local_only: bool = False

    def to_json(self) -> dict[str, Any]:
        """The entry as `rolo show --json` and JSON exports write it."""
        return {"id": self.id, "at": self.at, "text": self.text, "source": self.source, "kind": self.kind,
                "local_only": self.local_only}


@dataclass
class ContactRecord:
    """Everything the book knows about one contact, free of any database object."""

    uid: str
    formatted_name: str = ""
    prefix: str | None = None
    given_name: str | None = None
    additional_names: str | None = None
    family_name: str | None = None
    suffix: str | None = None
    nickname: str | None = None
    organization: str | None = None
    department: str | None = None
    title: str | None = None
    birthday: str | None = None
    dates: list[DateEntry] = field(default_factory=list)
    related: list[RelatedEntry] = field(default_factory=list)
    emails: list[EmailEntry] = field(default_factory=list)
    phones: list[PhoneEntry] = field(default_factory=list)
    addresses: list[AddressEntry] = field(default_factory=list)
    urls: list[UrlEntry] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    starred: bool = False
    kind: str = "individual"
    photo: bytes | None = None
    photo_type: str | None = None
    extras: list[str] = field(default_factory=list)  # verbatim vCard lines rolo does not model
    # The notes log, only where a caller asked for it (`Book.with_log`, a parsed vCard's X-ROLO-LOG lines):
    # contacts read for list/search/sync leave it empty, and it is in neither to_json() nor content_key().
    log: list[LogEntry] = field(default_factory=list)
    # When the latest interaction of the notes log took place (`rolo log`): derived from the log, never set
    # by a write, so it is in to_json() but not in content_key().
    last_contacted: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    revision: int = 0
    id: int | None = None  # the row id, when loaded from a book

    def display_name(self) -> str:
        """The name to show: FN, else the name parts, else the organization, else an email."""
        if self.formatted_name:
            return self.formatted_name
        parts = [self.prefix, self.given_name, self.additional_names, self.family_name, self.suffix]
        name = " ".join(p for p in parts if p)
        if name:
            return name
        if self.organization:
            return self.organization
        return self.emails[0].address if self.emails else ""

    def to_json(self) -> dict[str, Any]:
        """The JSON contact object (see the module docstring)."""
        return {
            "uid": self.uid,
            "formatted_name": self.display_name(),
            "prefix": self.prefix,
            "given_name": self.given_name,
            "additional_names": self.additional_names,
            "family_name": self.family_name,
            "suffix": self.suffix,
            "nickname": self.nickname,
            "organization": self.organization,
            "department": self.department,
            "title": self.title,
            "birthday": self.birthday,
            "dates": [{"label": d.label, "value": d.value} for d in self.dates],
            "related": [{"kind": r.kind, "uid": r.uid, "name": r.name} for r in self.related],
            "emails": [{"address": e.address, "label": e.label, "primary": e.primary} for e in self.emails],
            "phones": [
                {"number": p.number, "e164": p.e164, "label": p.label, "primary": p.primary} for p in self.phones
            ],
            "addresses": [
                {
                    "label": a.label,
                    "po_box": a.po_box,
                    "street": a.street,
                    "extended": a.extended,
                    "locality": a.locality,
                    "region": a.region,
                    "postal_code": a.postal_code,
                    "country": a.country,
                }
                for a in self.addresses
            ],
            "urls": [{"label": u.label, "url": u.url} for u in self.urls],
            "labels": list(self.labels),
            "custom_fields": dict(self.custom_fields),
            "notes": self.notes,
            "starred": self.starred,
            "kind": self.kind,
            "last_contacted": self.last_contacted,
            "revision": self.revision,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def content_key(self) -> dict[str, Any]:
        """What decides whether two versions differ: the JSON object without bookkeeping, plus the
        photo and the kept vCard lines."""
        data = self.to_json()
        for key in ("created_at", "updated_at", "revision", "last_contacted"):
            data.pop(key)
        data["photo"] = self.photo.hex() if self.photo else None
        data["photo_type"] = self.photo_type
        data["extras"] = list(self.extras)
        return data
