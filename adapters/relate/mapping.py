"""Relate records ↔ the book's JSON contact object (`rolo.core.record.ContactRecord.to_json`).

A Relate contact is `{id, first_name, last_name, emails, organization_id, custom_fields, created_at,
updated_at}` plus, since the document names no field for them, its phone numbers and job title (see
"Phones and title"). What the adapter carries (`CARRIED_FIELDS`) and how:

==================  ================================  ===============================================
book key            Relate                            notes
==================  ================================  ===============================================
given_name          first_name                        an empty string and null are both "none"
family_name         last_name
title               title                             see "Phones and title"
emails              emails (an array of strings)      every address, in the book's order; Relate has
                                                      no labels or primary flag on them (`label` and
                                                      `primary` are None: the engine keeps the book's)
phones              phone_numbers (strings)           every number; Relate stores them in E.164, so a
                                                      pulled number reads `+821012345678`
organization        organization_id → its name        see "Organizations"
custom_fields       custom_fields, by name            see "Custom fields"
labels              lists with entry_type Contact     see "Labels"
==================  ================================  ===============================================

**Not carried** (`NOT_CARRIED`: Relate's contact has no place for them, so the engine keeps the local
values and never clears them on a pull): formatted_name, prefix, additional_names, suffix, nickname,
department, birthday, addresses, urls, notes, starred, kind; the labels of emails and phones (so the adapter
declares no `Capabilities.entry_labels`).

**Notes.** Relate's notes belong to an organization (`organization_id` and `body` required; only `body` and
`deal_id` can change later): nothing in the book maps to them. The book's `notes` field and its notes log
are about one person, and writing them onto an organization would show one person's notes on everyone who
works there (and a pull could not tell whose they were). So notes are not carried either way; the client
has the endpoints, the adapter does not use them. Meetings do come into the notes log: see
`RelateAdapter.pull_activity`.

**Phones and title.** The document names no field for a contact's phone numbers or job title, only the
`phone_number` lookup. rolo sends `phone_numbers` (an array of strings, beside `emails`) and `title`, and
reads the first present of `phone_numbers`, `phones`, `phone_number`, `phone` (strings, or objects with
`number`, `phone_number` or `value`) and of `title`, `job_title`, `position` (`PHONE_KEYS`, `TITLE_KEYS`).
Numbers are sent as the book has them (in E.164 when the remote's `phone_region` option is set and the number
has no country code); Relate reads a number without a country code in its workspace's country.

**Emails.** `PATCH` adds the addresses it is given; removing one takes `DELETE /contacts/:id/emails`. To
make Relate's list equal the book's, in the book's order, an update deletes what must go (and what sits out
of order) and then PATCHes the whole list (`plan_emails`); were PATCH to replace the list instead, the same
requests give the same result. A contact must keep a first name or an email throughout, so when the book
empties both, Relate refuses the update (the engine reports the contact).

**Organizations.** Pull: the name of the contact's organization, or its first domain when it has no name
(Relate creates nameless organizations for `organization_id: "auto"`). Push: the organization whose name
(or, nameless, first domain) equals the book's, compared without case; when there is none one is created
with that name and, when the contact's first email looks like the organization's own (`company_domain`: not
at a free-mail provider, and a label of the domain found in the name) and no other organization has it, the
email's domain (Relate files contacts by domain for `"auto"`, so a wrong one would misfile other people). An empty organization sends `organization_id: null`. rolo never
sends `"auto"`: it would file a contact the book gives no organization under its email's domain (the book
would then disagree with Relate about it), and match a differently named organization that happens to own
the domain. Organizations are never renamed or deleted by rolo (others may use them). The book's own
organization records (with domains) are not part of the sync vocabulary, only the contact's organization
name.

**Custom fields.** Book fields are Relate custom fields of model `contact`, matched by name (`name_key`:
without case, any run of characters other than letters, digits, `_` and `-` read as `_`, so "Met at" is the
book's `met_at`). Types (`relate_type`):

- text, textarea, url, number, date, datetime: the Relate type of the same name;
- bool: a select with options `["true", "false"]` (Relate has no boolean type); such a select reads back as
  a boolean;
- select: select, `accepts_multiple_values` as the book's `multiple`;
- a multi-valued field of another type: a select that accepts multiple values, its options grown as values
  appear (Relate lets options be updated). Only select, user and contact fields take several values in
  Relate, and a select is the one rolo can fill. Values come back as strings.

Relate's user and contact fields read as text (a user's email, a contact's id). A remote field is reused when
compatible (`incompatibility`: the same type and multiplicity; text and textarea stand in for each other,
and for url); another is refused (`RemoteRejected`, code `incompatible_field`) before anything is pushed. A
value missing from a select's options is added to them first (the book validated it against its own
options). A field first met in a record (not `prepare`d) is defined from its value. Removing a value sends
`{"name", "value": null}`.

**Labels.** One Relate list per label (`process: false`, `entry_type: "Contact"`, named as the label); a
contact carries a label when the list holds an entry for it. Every regular Contact list is read as a label,
whoever made it (archived lists and processes are not); two lists whose names differ only in case are one
label. A list is created when a label first needs it and never deleted by rolo. Adding or removing a label
adds or deletes the entry.

**Versions.** `RemoteRecord.version` is a digest of the record in the book's vocabulary: a contact's labels
(its list entries) and its organization's name change it, though they do not change the contact's
`updated_at`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from rolo.core.fields import FieldDefinition, field_key
from rolo.core.emails import is_free_mail

CARRIED_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "title",
        "emails",
        "phones",
        "organization",
        "custom_fields",
        "labels",
    }
)
NOT_CARRIED = frozenset(
    {
        "formatted_name",
        "prefix",
        "additional_names",
        "suffix",
        "nickname",
        "department",
        "birthday",
        "addresses",
        "urls",
        "notes",
        "starred",
        "kind",
    }
)
PHONE_KEYS = ("phone_numbers", "phones", "phone_number", "phone")
TITLE_KEYS = ("title", "job_title", "position")
BOOL_OPTIONS = ("true", "false")


# -- reading tolerant shapes ---------------------------------------------------------------------------------


def clean(value: Any) -> str | None:
    """A string trimmed, None for empty or missing."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _strings(value: Any, keys: tuple[str, ...]) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            item = next((item[k] for k in keys if item.get(k)), None)
        text = clean(item)
        if text:
            out.append(text)
    return out


def read_emails(contact: Mapping[str, Any]) -> list[str]:
    """A contact's addresses: strings, or objects with `email`, `address` or `value`."""
    return _strings(contact.get("emails"), ("email", "address", "value"))


def read_phones(contact: Mapping[str, Any]) -> list[str]:
    """A contact's phone numbers, from the first of `PHONE_KEYS` present."""
    for key in PHONE_KEYS:
        if contact.get(key) is not None:
            return _strings(contact[key], ("number", "phone_number", "value", "phone"))
    return []


def read_title(contact: Mapping[str, Any]) -> str | None:
    """A contact's job title, from the first of `TITLE_KEYS` present."""
    for key in TITLE_KEYS:
        if clean(contact.get(key)):
            return clean(contact[key])
    return None


def read_values(raw: Any) -> list[tuple[str | None, str, Any]]:
    """Custom field values as (field id or None, name, value), from any of the shapes Relate may answer:
    `{id: {"name", "value"}}` (as list entries show them), `[{"name", "value"}]` (as they are written), or
    `{name: value}`."""
    out: list[tuple[str | None, str, Any]] = []
    if isinstance(raw, Mapping):
        for key, item in raw.items():
            if isinstance(item, Mapping) and "value" in item:
                out.append((str(key), str(item.get("name") or key), item.get("value")))
            else:
                out.append((None, str(key), item))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping) and item.get("name") is not None:
                ident = item.get("id") or item.get("custom_field_id")
                out.append((str(ident) if ident else None, str(item["name"]), item.get("value")))
    return out


# -- names ---------------------------------------------------------------------------------------------------


def book_name(name: str) -> str:
    """The book field name for a Relate field name ("Met at" → "Met_at"; book names allow letters, digits,
    `_` and `-`, starting with a letter, at most 64 characters)."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_-")
    if not text or not text[0].isalpha():
        text = "f_" + text
    return text[:64]


def name_key(name: str) -> str:
    """How names are compared: the book's `field_key` of the book name."""
    return field_key(book_name(name))


# -- custom field types --------------------------------------------------------------------------------------


def is_bool_field(remote: Mapping[str, Any]) -> bool:
    """A Relate select holding exactly true/false reads as the book's bool."""
    options = remote.get("options") or []
    return (
        remote.get("data_type") == "select"
        and not remote.get("accepts_multiple_values")
        and sorted(str(o).lower() for o in options) == sorted(BOOL_OPTIONS)
    )


def relate_type(definition: FieldDefinition) -> dict[str, Any]:
    """The Relate definition (data_type, options, accepts_multiple_values) for a book field."""
    if definition.type == "bool" and not definition.multiple:
        return {"data_type": "select", "options": list(BOOL_OPTIONS), "accepts_multiple_values": False}
    if definition.type == "select":
        return {
            "data_type": "select",
            "options": list(definition.options),
            "accepts_multiple_values": bool(definition.multiple),
        }
    if definition.multiple:
        return {"data_type": "select", "options": [], "accepts_multiple_values": True}
    return {"data_type": definition.type, "options": None, "accepts_multiple_values": False}


_STRINGS = ("text", "textarea")


def incompatibility(definition: FieldDefinition, remote: Mapping[str, Any]) -> str | None:
    """Why a Relate field cannot hold a book field's values, or None when it can."""
    wanted = relate_type(definition)
    have = remote.get("data_type")
    multiple = bool(remote.get("accepts_multiple_values"))
    if definition.type == "bool" and not definition.multiple:
        ok = is_bool_field(remote)
    elif wanted["data_type"] == "select":
        ok = have == "select" and multiple == wanted["accepts_multiple_values"]
    elif wanted["data_type"] in (*_STRINGS, "url"):
        ok = not multiple and (have == wanted["data_type"] or have in _STRINGS)
    else:
        ok = not multiple and have == wanted["data_type"]
    if ok:
        return None
    kind = f"{definition.type}{', multiple' if definition.multiple else ''}"
    need = wanted["data_type"] + (" (accepting multiple values)" if wanted["accepts_multiple_values"] else "")
    return (
        f"custom field {definition.name!r} ({kind}) exists in Relate as {remote.get('name')!r} of type "
        f"{have!r}{' accepting multiple values' if multiple else ''}; rolo needs {need}"
    )


def book_definition(remote: Mapping[str, Any]) -> FieldDefinition:
    """A Relate contact field as a book field definition (for `Adapter.remote_fields`)."""
    name = book_name(str(remote.get("name") or "field"))
    multiple = bool(remote.get("accepts_multiple_values"))
    kind = remote.get("data_type")
    if is_bool_field(remote):
        return FieldDefinition(name, "bool")
    if kind == "select":
        return FieldDefinition(name, "select", [str(o) for o in remote.get("options") or []], multiple)
    if kind in ("text", "textarea", "url", "number", "date", "datetime"):
        return FieldDefinition(name, str(kind), [], multiple)
    return FieldDefinition(name, "text", [], multiple)  # user, contact, or a type rolo does not know


def definition_for_value(name: str, value: Any) -> dict[str, Any]:
    """The Relate definition body for a field the book did not describe, from a value."""
    sample = value[0] if isinstance(value, list) and value else value
    body: dict[str, Any] = {"name": name, "model": "contact"}
    if isinstance(value, list):
        body.update(data_type="select", options=[], accepts_multiple_values=True)
    elif isinstance(sample, bool):
        body.update(data_type="select", options=list(BOOL_OPTIONS), accepts_multiple_values=False)
    elif isinstance(sample, (int, float)):
        body["data_type"] = "number"
    else:
        body["data_type"] = "textarea" if "\n" in str(sample) else "text"
    return body


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def encode_value(value: Any, remote: Mapping[str, Any] | None) -> Any:
    """A book custom field value as Relate's value for that field (None clears)."""
    if value is None or value == "" or value == []:
        return None
    kind = (remote or {}).get("data_type", "text")
    multiple = bool((remote or {}).get("accepts_multiple_values"))
    if multiple:
        items = value if isinstance(value, list) else [value]
        return [_text(v) if kind == "select" else v for v in items]
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else ", ".join(_text(v) for v in value)
    if kind == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    return _text(value)


def decode_value(value: Any, remote: Mapping[str, Any] | None) -> Any:
    """A Relate custom field value as the book's JSON value (None for no value)."""
    if value is None or value == "" or value == []:
        return None
    if remote is None:
        return value
    if is_bool_field(remote):
        return str(value).lower() == "true"
    if remote.get("accepts_multiple_values"):
        items = value if isinstance(value, list) else [value]
        return [_text(v) for v in items if v not in (None, "")]
    if isinstance(value, list):
        value = value[0] if value else None
    kind = remote.get("data_type")
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return value
        return int(number) if number.is_integer() else number
    if kind == "date" and isinstance(value, str):
        return value[:10]
    return _text(value) if value is not None else None


def options_needed(remote: Mapping[str, Any], value: Any) -> list[str]:
    """The values of `value` a select field lacks among its options (nothing for other types)."""
    if remote.get("data_type") != "select" or value in (None, "", []):
        return []
    have = {str(o) for o in remote.get("options") or []}
    items = value if isinstance(value, list) else [value]
    missing = []
    for item in items:
        text = _text(item)
        if text not in have and text not in missing:
            missing.append(text)
    return missing


# -- records -------------------------------------------------------------------------------------------------


def to_book(
    contact: Mapping[str, Any],
    *,
    organization: str | None,
    labels: Iterable[str],
    fields: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """A Relate contact as the book's `data`: every carried key present, empty ones empty.

    Args:
        organization: the name of the contact's organization (None for none).
        labels: the names of the label lists holding it.
        fields: the contact custom field definitions by id (for types).
    """
    by_key = {name_key(str(f.get("name") or "")): f for f in fields.values()}
    custom: dict[str, Any] = {}
    for ident, name, raw in read_values(contact.get("custom_fields")):
        definition = (fields.get(ident) if ident else None) or by_key.get(name_key(name))
        value = decode_value(raw, definition)
        if value is not None:
            custom[book_name(name)] = value
    return {
        "given_name": clean(contact.get("first_name")),
        "family_name": clean(contact.get("last_name")),
        "title": read_title(contact),
        "emails": [{"address": a, "label": None, "primary": None} for a in read_emails(contact)],
        "phones": [{"number": n, "label": None, "primary": None} for n in read_phones(contact)],
        "organization": organization,
        "custom_fields": custom,
        "labels": sorted(set(labels), key=str.casefold),
    }


def desired_emails(data: Mapping[str, Any]) -> list[str]:
    """The book's addresses, in order, once each (without case)."""
    out: list[str] = []
    for entry in data.get("emails") or []:
        address = clean(entry.get("address") if isinstance(entry, Mapping) else entry)
        if address and address.casefold() not in {a.casefold() for a in out}:
            out.append(address)
    return out


def desired_phones(data: Mapping[str, Any], to_e164: Any = None) -> list[str]:
    """The book's numbers, in order, once each (through `to_e164` when given: it returns None to keep one)."""
    out: list[str] = []
    for entry in data.get("phones") or []:
        number = clean(entry.get("number") if isinstance(entry, Mapping) else entry)
        if not number:
            continue
        if to_e164 is not None and not number.startswith("+"):
            number = to_e164(number) or number
        if number not in out:
            out.append(number)
    return out


def contact_body(
    data: Mapping[str, Any], *, keys: Iterable[str] | None = None, to_e164: Any = None
) -> dict[str, Any]:
    """The Relate body for the name, title and phone keys of `data` (all when `keys` is None).

    Emails, the organization, custom fields and labels take requests or lookups of their own; the adapter
    adds them.
    """
    wanted = set(keys) if keys is not None else None
    body: dict[str, Any] = {}
    for book, remote in (("given_name", "first_name"), ("family_name", "last_name"), ("title", "title")):
        if wanted is None or book in wanted:
            body[remote] = clean(data.get(book))
    if wanted is None or "phones" in wanted:
        body["phone_numbers"] = desired_phones(data, to_e164)
    if wanted is None:
        body = {k: v for k, v in body.items() if v not in (None, [])}
    return body


def plan_emails(current: list[str], desired: list[str]) -> tuple[int, list[str]]:
    """How to turn Relate's addresses into the book's, in order, with "add at the end" and "delete".

    Returns:
        (k, to_delete): the first `k` desired addresses are already the first ones left once `to_delete`
        is deleted; PATCHing the whole desired list then appends the rest in order.
    """
    wanted = {a.casefold() for a in desired}
    kept = [a for a in current if a.casefold() in wanted]
    k = 0
    while k < min(len(kept), len(desired)) and kept[k].casefold() == desired[k].casefold():
        k += 1
    prefix = {a.casefold() for a in desired[:k]}
    return k, [a for a in current if a.casefold() not in prefix]


def version_of(data: Mapping[str, Any]) -> str:
    """A digest of a record's data (see "Versions")."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def org_display_name(organization: Mapping[str, Any] | None) -> str | None:
    """An organization's name, or its first domain when it has none."""
    if not organization:
        return None
    name = clean(organization.get("name"))
    if name:
        return name
    domains = _strings(organization.get("domains"), ("domain", "name", "value"))
    return domains[0] if domains else None


_GENERIC_LABELS = frozenset(
    {"www", "mail", "email", "com", "net", "org", "edu", "gov", "co", "ac", "example"}
)


def company_domain(email: str | None, organization: str | None = None) -> str | None:
    """The domain of an address when it looks like the organization's own: not a free-mail provider's and,
    given an organization name, with a label of three letters or more found in that name
    (`hanbit-robotics.example` for "Hanbit Robotics", not `example.net` for "Weiß & Söhne")."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    if not domain or is_free_mail(domain):
        return None
    if organization is None:
        return domain
    folded = unicodedata.normalize("NFKD", organization).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    compact = "".join(words)
    for label in domain.split(".")[:-1]:
        for token in (label.replace("-", ""), *label.split("-")):
            if len(token) >= 3 and token not in _GENERIC_LABELS and (token in words or token in compact):
                return domain
    return None


# -- meetings ------------------------------------------------------------------------------------------------


def meeting_note(event: Mapping[str, Any], recordings: Iterable[Mapping[str, Any]]) -> str:
    """The notes-log text of a meeting: its title and time, then each finished recording's summary and
    action items (the summary's keys vary with the workspace's settings: the known ones are read, the
    rest ignored)."""
    title = clean(event.get("title")) or "Untitled meeting"
    when = clean(event.get("start_at")) or ""
    end = clean(event.get("end_at"))
    lines = [f"Meeting: {title}" + (f" ({when}{' – ' + end if end else ''})" if when else "")]
    for recording in recordings:
        summary = recording.get("summary")
        if recording.get("status") != "done" or not summary:
            continue
        if isinstance(summary, str):
            lines.append(f"Summary: {summary.strip()}")
            continue
        text = clean(summary.get("summary")) if isinstance(summary, Mapping) else None
        if text:
            lines.append(f"Summary: {text}")
        items = summary.get("action_items") if isinstance(summary, Mapping) else None
        items = [clean(i.get("text") if isinstance(i, Mapping) else i) for i in items or []]
        if any(items):
            lines.append("Action items:")
            lines += [f"- {i}" for i in items if i]
    return "\n".join(lines)
