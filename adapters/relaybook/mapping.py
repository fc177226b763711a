"""RelayBook contacts ↔ the book's JSON contact object (`rolo.core.record.ContactRecord.to_json`).

What the adapter carries (`CARRIED_FIELDS`) and how:

==================  ==============================  ==================================================
book key            RelayBook                       notes
==================  ==============================  ==================================================
given_name          first_name                      ``""`` and null are both "none"; ``""`` clears
family_name         last_name
organization        company
title               job_title
birthday            birthday                        ``--MM-DD`` (no year) travels as ``1604-MM-DD``,
                                                    the year Apple Contacts uses for "no year"
emails              emails                          labels: see "Label vocabularies"
phones              phones                          the number as typed (not E.164)
addresses           addresses                       street, city → locality, state → region,
                                                    zip → postal_code, country as written; po_box
                                                    and extended are not carried (None both ways:
                                                    the engine keeps the local parts)
urls                website + socials               see "Websites and socials"
labels              the book's labels               through the labels endpoints (`extras.py`)
custom_fields       custom_fields                   through the bulk endpoint (`extras.py`)
notes               notes
starred             starred                         PATCHed after a create (create does not take it)
==================  ==============================  ==================================================

**Not carried** (`NOT_CARRIED`): formatted_name, prefix, additional_names, suffix, nickname, department,
kind, photos; RelayBook's ``dates``, ``relationships`` and ``photo_url`` are not read. RelayBook needs a first
name, last name or company, so a contact with none of them (only an email, say) is refused by RelayBook
(reported and skipped by the engine).

**Label vocabularies.** RelayBook's are small: emails ``work|personal|other``, phones ``mobile|work|other``,
addresses ``home|work|other``. The adapter declares them (`ENTRY_LABELS`, in the book's classes: personal
is the book's home) as `Capabilities.entry_labels`, and classifies the book's free-text labels with
`rolo.core.labels`, like every adapter: a book label is sent as its class when RelayBook has it, else
``other`` (`remote_label`). Emails ``work`` → work, ``home``/``personal``/``Private`` → personal, anything
else → other; phones ``mobile``/``cell``/``iPhone``/``android`` (even ``home mobile``) → mobile, ``work`` →
work, anything else (``home``, ``work fax``, ``main``, none) → other; addresses ``home`` → home, ``work`` →
work, else other. Read back (`book_label`), a remote label becomes the book's usual word for it: work →
``work``, personal → ``home`` (what vCards say), mobile → ``mobile``, home → ``home``, and other → no label.

**A pull never degrades a label.** Some book labels do not survive that round trip: a ``home`` phone is sent
as ``other``, which reads back as no label. The engine takes care of it, from the declared vocabularies: it
compares the book's ``home`` phone with RelayBook's ``other`` one as equal (both are RelayBook's ``other``),
and when RelayBook's phones change (a number added there) and the list is pulled, it keeps the book's label
of every entry whose RelayBook label still stands for it: ``home`` stays ``home`` while RelayBook says
``other``, and a phone a RelayBook user relabelled ``work`` becomes ``work``. Earlier versions kept the book's
labels in RelayBook, in a reserved custom field ``rolo_entry_labels`` (`ENTRY_LABELS_KEY`); it is no longer
written or read: it never appears among the pulled custom fields, the next write of a contact's custom
fields or entries removes it, and a book field of that name is still refused (`RemoteRejected`, code
``reserved_field``) so that such a leftover is never taken for the book's.

**Websites and socials.** The book has one list of urls. Urls whose label names a platform RelayBook knows
(``linkedin``, ``x`` or ``twitter``, ``instagram``, ``facebook``, ``github``, ``youtube``) are socials with that
label. The url labelled as a website (``website``, ``homepage``, ``Home Page``, ``web``: the class
``website``), else the first other url, is ``website``; any further urls are socials labelled ``other``. The
declared url vocabulary is the platforms and ``other`` (the website is a slot, not a label): a book url
labelled ``homepage`` or ``blog`` is RelayBook's ``other``, and keeps its label in the book. Reading,
``website`` comes first (no label), then the socials in RelayBook's order (``other`` reads as no label). So
urls may come back in another order than the book's: a pull of changed urls reorders the book's list, and a
first link by email may report the order as a conflict (settled by the policy; nothing is lost).

**Primary entries.** RelayBook allows one primary email and one primary phone: the book's first primary one
is sent as primary. Addresses have no primary flag.

**Versions.** `RemoteRecord.version` is a digest of the record's book data (labels and custom fields
included), since changing a contact's labels may leave its ``updated_at`` alone on some servers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from rolo.core.errors import RemoteRejected
from rolo.core.fields import field_key
from rolo.core.labels import classify, nearest

CARRIED_FIELDS = frozenset({
    "given_name", "family_name", "organization", "title", "birthday", "emails", "phones", "addresses", "urls",
    "labels", "custom_fields", "notes", "starred",
})
NOT_CARRIED = frozenset({
    "formatted_name", "prefix", "additional_names", "suffix", "nickname", "department", "kind",
})
LIST_KEYS = ("emails", "phones", "addresses", "urls")
#: The reserved custom field in which earlier versions remembered entry labels (see "A pull never degrades a
#: label"): never read, removed on write, refused as a book field's name.
ENTRY_LABELS_KEY = "rolo_entry_labels"
NO_YEAR = "1604"
#: RelayBook's entry labels, as the book's classes (`Capabilities.entry_labels`); for urls, the socials'
#: platforms (the website is a slot and reads as no label, like an `other` social).
ENTRY_LABELS: dict[str, frozenset[str]] = {
    "emails": frozenset({"work", "home", "other"}),
    "phones": frozenset({"mobile", "work", "other"}),
    "addresses": frozenset({"home", "work", "other"}),
    "urls": frozenset({"linkedin", "x", "instagram", "facebook", "github", "youtube", "other"}),
}
#: The book's class → RelayBook's word, where they differ.
REMOTE_WORDS: dict[str, dict[str, str]] = {"emails": {"home": "personal"}}
#: RelayBook label → the book's word for it (None: no label)
BOOK_WORDS: dict[str, dict[str, str | None]] = {
    "emails": {"work": "work", "personal": "home", "other": None},
    "phones": {"mobile": "mobile", "work": "work", "other": None},
    "addresses": {"home": "home", "work": "work", "other": None},
}


# -- labels --------------------------------------------------------------------------------------------------


def remote_label(kind: str, label: str | None) -> str:
    """The RelayBook label of a book entry label (`kind`: emails, phones, addresses; urls: see `url_slot`):
    its class (`rolo.core.labels.classify`) when RelayBook has it, else `other`."""
    found = nearest(kind, label, ENTRY_LABELS[kind]) or "other"  # never None: every vocabulary has other
    return REMOTE_WORDS.get(kind, {}).get(found, found)


def book_label(kind: str, label: str | None) -> str | None:
    """The book's word for a RelayBook label (urls: the social's name; website and `other`: None)."""
    if kind == "urls":
        return None if label in (None, "other", "website") else label
    return BOOK_WORDS[kind].get(label or "other")


def url_slot(label: str | None) -> str:
    """Where a book url goes: a social's platform, or "other" (the website or an `other` social)."""
    return remote_label("urls", label)


def entry_key(kind: str, entry: Mapping[str, Any]) -> str:
    """What identifies an entry (for `identity`): its value, compared loosely."""
    if kind == "emails":
        return str(entry.get("address") or "").strip().casefold()
    if kind == "phones":
        text = str(entry.get("number") or "")
        return ("+" if text.strip().startswith("+") else "") + re.sub(r"\D", "", text)
    if kind == "addresses":
        parts = (entry.get("street"), entry.get("locality"), entry.get("postal_code"))
        return "|".join(" ".join(str(p or "").split()).casefold() for p in parts)
    return str(entry.get("url") or "").strip()


def _label_of(entry: Mapping[str, Any]) -> str | None:
    label = entry.get("label")
    return str(label) if label not in (None, "") else None


# -- values --------------------------------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def birthday_to_remote(value: Any) -> str | None:
    """`YYYY-MM-DD` as is, `--MM-DD` as `1604-MM-DD`; anything else None."""
    text = _clean(value)
    if text is None:
        return None
    if re.fullmatch(r"--\d{2}-\d{2}", text):
        return NO_YEAR + text[1:]
    return text if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


def birthday_to_book(value: Any) -> str | None:
    """The inverse of `birthday_to_remote`."""
    text = _clean(value)
    if text is None:
        return None
    return "-" + text[len(NO_YEAR):] if text.startswith(NO_YEAR + "-") else text


# -- records -------------------------------------------------------------------------------------------------


def to_book(contact: Mapping[str, Any], labels: Iterable[str]) -> dict[str, Any]:
    """A RelayBook contact as the book's `data`: every carried key present, empty ones empty.

    Args:
        contact: the contact as RelayBook returned it.
        labels: the names of its labels (read through the labels endpoints).
    """
    custom = dict(contact.get("custom_fields") or {})
    custom.pop(ENTRY_LABELS_KEY, None)  # the old memo is not the book's
    emails = [
        {"address": str(e.get("address") or "").strip(), "label": book_label("emails", e.get("label")),
         "primary": bool(e.get("primary"))}
        for e in contact.get("emails") or [] if isinstance(e, Mapping) and _clean(e.get("address"))
    ]
    phones = [
        {"number": str(p.get("number") or "").strip(), "e164": None,
         "label": book_label("phones", p.get("label")), "primary": bool(p.get("primary"))}
        for p in contact.get("phones") or [] if isinstance(p, Mapping) and _clean(p.get("number"))
    ]
    addresses = []
    for a in contact.get("addresses") or []:
        if not isinstance(a, Mapping):
            continue
        addresses.append({"label": book_label("addresses", a.get("label")), "po_box": None,
                          "street": _clean(a.get("street")), "extended": None,
                          "locality": _clean(a.get("city")), "region": _clean(a.get("state")),
                          "postal_code": _clean(a.get("zip")), "country": _clean(a.get("country"))})
    urls = []
    website = _clean(contact.get("website"))
    if website:
        urls.append({"label": None, "url": website})
    for s in contact.get("socials") or []:
        if isinstance(s, Mapping) and _clean(s.get("value")):
            urls.append({"label": book_label("urls", s.get("label")), "url": str(s["value"]).strip()})
    return {
        "given_name": _clean(contact.get("first_name")),
        "family_name": _clean(contact.get("last_name")),
        "organization": _clean(contact.get("company")),
        "title": _clean(contact.get("job_title")),
        "birthday": birthday_to_book(contact.get("birthday")),
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "urls": urls,
        "labels": sorted({str(n) for n in labels}, key=str.casefold),
        "custom_fields": {k: v for k, v in custom.items() if v not in (None, "", [])},
        "notes": _clean(contact.get("notes")),
        "starred": bool(contact.get("starred")),
    }


def _one_primary(entries: list[dict[str, Any]], source: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen = False
    for entry, original in zip(entries, source, strict=True):
        entry["primary"] = bool(original.get("primary")) and not seen
        seen = seen or entry["primary"]
    return entries


def to_relaybook(data: Mapping[str, Any], *, keys: Iterable[str] | None = None, create: bool = False
                 ) -> dict[str, Any]:
    """The create or PATCH body for the book's `data` (labels and custom fields go elsewhere: `BookExtras`).

    Args:
        data: carried book keys (for a PATCH, the whole record: arrays are always sent complete).
        keys: the book keys to send (a PATCH sends the changed ones); all carried keys in `data` when None.
        create: a create body (it cannot carry `starred`).
    """
    wanted = set(data) & CARRIED_FIELDS if keys is None else set(keys) & CARRIED_FIELDS
    body: dict[str, Any] = {}
    for book, remote in (("given_name", "first_name"), ("family_name", "last_name"),
                         ("organization", "company"), ("title", "job_title"), ("notes", "notes")):
        if book in wanted:
            body[remote] = _clean(data.get(book)) or ""
    if "birthday" in wanted:
        body["birthday"] = birthday_to_remote(data.get("birthday"))
    if "emails" in wanted:
        source = [e for e in data.get("emails") or [] if _clean(e.get("address"))]
        body["emails"] = _one_primary([{"address": _clean(e["address"]), "label": remote_label("emails", _label_of(e))}
                                       for e in source], source)
    if "phones" in wanted:
        source = [p for p in data.get("phones") or [] if _clean(p.get("number"))]
        body["phones"] = _one_primary([{"number": _clean(p["number"]), "label": remote_label("phones", _label_of(p))}
                                       for p in source], source)
    if "addresses" in wanted:
        body["addresses"] = [
            {"label": remote_label("addresses", _label_of(a)), "street": _clean(a.get("street")),
             "city": _clean(a.get("locality")), "state": _clean(a.get("region")),
             "zip": _clean(a.get("postal_code")), "country": _clean(a.get("country"))}
            for a in data.get("addresses") or []
            if any(_clean(a.get(k)) for k in ("street", "locality", "region", "postal_code", "country"))
        ]
    if "urls" in wanted:
        body.update(urls_to_remote(data.get("urls") or []))
    if "starred" in wanted and not create:
        body["starred"] = bool(data.get("starred"))
    return body


def urls_to_remote(urls: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`website` and `socials` from the book's urls (see "Websites and socials")."""
    entries = [(_label_of(u), str(u.get("url") or "").strip()) for u in urls]
    entries = [(label, value) for label, value in entries if value]
    plain = [i for i, (label, _) in enumerate(entries) if url_slot(label) == "other"]
    named = [i for i in plain if classify("urls", entries[i][0]) == "website"]
    site: int | None = (named or plain)[0] if (named or plain) else None
    socials = [{"label": url_slot(label), "value": value}
               for i, (label, value) in enumerate(entries) if i != site]
    return {"website": entries[site][1] if site is not None else "", "socials": socials}


def custom_field_changes(wanted: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The custom field values to write so that `current` (RelayBook's, the reserved field left out) becomes
    `wanted` (the book's): changed values, and null for keys the book no longer has. Names compare as the
    book compares them (case-insensitively, `-` as `_`), keeping RelayBook's spelling of an existing key."""
    remote_names = {field_key(k): k for k in current if k != ENTRY_LABELS_KEY}
    changes: dict[str, Any] = {}
    kept = set()
    for name, value in wanted.items():
        if value in (None, "", []):
            continue
        if field_key(name) == field_key(ENTRY_LABELS_KEY):
            raise RemoteRejected(f"relaybook: custom field {name!r}: the name is rolo's own in RelayBook",
                                 adapter="relaybook", code="reserved_field")
        key = remote_names.get(field_key(name), name)
        kept.add(field_key(name))
        if current.get(key) != value:
            changes[key] = value
    for fkey, key in remote_names.items():
        if fkey not in kept and current.get(key) is not None:
            changes[key] = None
    return changes


def identity(contact: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a create body and the contact it made share: names, company, title, emails, phones (loosely)."""
    return (
        (contact.get("first_name") or "").strip().casefold(),
        (contact.get("last_name") or "").strip().casefold(),
        (contact.get("company") or "").strip().casefold(),
        (contact.get("job_title") or "").strip().casefold(),
        tuple(sorted(entry_key("emails", e) for e in contact.get("emails") or [])),
        tuple(sorted(entry_key("phones", p) for p in contact.get("phones") or [])),
    )


def version_of(data: Mapping[str, Any]) -> str:
    """A digest of a record's book data: it changes whenever anything rolo carries changes."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]
