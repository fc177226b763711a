"""An in-process emulator of the Relate (relate.so) REST API v1, as its API document describes it.

Tests and the demo run it on 127.0.0.1 and point a Relate client at it::

    with RelateEmulator() as relate:
        client = httpx.Client(base_url=relate.url, headers={"Authorization": f"Bearer {relate.api_key}"})
        relate.store.create_contact(first_name="Paul", emails=["paul@atreid.es"])  # as if typed in Relate
        client.get("/v1/contacts").json()["data"]

`RelateStore` (``emulator.store``) holds the workspace and every rule about records; `RelateEmulator` only
turns HTTP into store calls. The store's public methods are also the way for a test to change Relate "behind
rolo's back" (`create_contact`, `update_contact`, `delete_contact`, `remove_emails`, `create_organization`,
`define_field`, `create_list`, `add_entry`, `add_meeting`, `finish_recording`...): they validate exactly as
the API does (raising `ApiError`) but skip auth, rate limits, fault switches and the request log. Fault
switches come from the base (`rolo.adapters._emulator.Emulator`): `fail_every(n, status)`, `drop_every(n)`,
`delay(seconds)`, `rate_limit(limit, window)`, `clear_faults()`.

Endpoints: every one in the two documents (000: the resource reference; 001: the Entries page):
``GET|POST /v1/contacts``, ``GET|PATCH|DELETE /v1/contacts/:id``, ``DELETE /v1/contacts/:id/emails``,
``GET|POST /v1/organizations``, ``GET|PATCH|DELETE /v1/organizations/:id``,
``DELETE /v1/organizations/:id/domains``, ``GET|POST /v1/notes``, ``GET|PATCH|DELETE /v1/notes/:id``,
``GET|POST /v1/custom_fields``, ``GET|PATCH|DELETE /v1/custom_fields/:id``, ``GET|POST /v1/lists``,
``GET|PATCH|DELETE /v1/lists/:id``, ``GET|POST /v1/lists/:list_id/entries``,
``GET|PATCH|DELETE /v1/lists/:list_id/entries/:id``, ``GET /v1/calendar_events``,
``GET /v1/calendar_events/:id``, ``GET /v1/recordings/:id``.

Where the documents are silent or ambiguous, and what this emulator does
------------------------------------------------------------------------
The seeds README asks each emulator to choose what a careful real server would do and write it down. The
adapter tolerates the plausible alternatives (noted where they matter).

1. Keys. ``Authorization: Bearer {api_key}`` as the document shows; the key's format is not documented, so
   any string works once known: `api_key` (a fixed test key) and any added with `add_api_key()`. No
   header, another scheme, or an unknown key: 401 ``unauthorized`` with ``WWW-Authenticate: Bearer``.
2. Errors. The document shows no error body; this one answers ``{"error": {"code", "message"}}``. Codes:
   400 ``invalid_request`` (malformed JSON, a body that is not an object), 400 ``invalid_parameter`` (a bad
   or unknown query parameter: unknown ones are refused, not ignored, so a client's typo shows), 401
   ``unauthorized``, 404 ``not_found``, 405 ``method_not_allowed`` (with ``Allow``; the read-only calendar
   events and recordings answer it to writes), 415 ``unsupported_media_type``, 422 ``validation_error``
   (a body field; the message starts with its path: ``emails[1]: …``, ``custom_fields[0].value: …``),
   429 ``rate_limited``, 500 ``internal_error``. Validation is 422, the Rails convention the hashids suggest.
3. Statuses and envelopes. Creates answer 201 with the object; reads and PATCH 200; deleting a record
   204 with no body; deleting emails or domains 200 with the contact or organization as it now stands (the
   record still exists). The document shows a bare object for a list
   (``GET /v1/lists/:id``) but ``{"data": {...}}`` for a recording: the CRUD resources (contacts,
   organizations, notes, custom fields, lists, entries) answer bare objects, the read-only meeting
   resources (calendar events, recordings) answer ``{"data": …}``. Clients should accept both.
4. Objects. Ids are 6-character hashids (``GEF751``). Timestamps are ISO 8601 UTC with milliseconds
   (``2025-04-29T22:47:39.635Z``) and grow strictly across the workspace. Unset fields are null.
   A contact is ``{id, first_name, last_name, title, emails, phone_numbers, organization_id,
   custom_fields, created_at, updated_at}``. The document names no field for a contact's phones or job
   title (only the ``phone_number`` lookup): ``phone_numbers`` (an array of strings, beside ``emails``) and
   ``title`` are this emulator's choice. An organization is ``{id, name, domains, custom_fields,
   created_at, updated_at}``; a note ``{id, organization_id, deal_id, body, created_at, updated_at}``; a
   custom field ``{id, name, model, data_type, options, accepts_multiple_values, created_at, updated_at}``.
5. Custom field values are read as the Entries page shows a list's fields: an object keyed by the field's
   id, ``{"vBASJR": {"name", "data_type", "value"}}``, holding only fields with a value; they are written by
   name as the document shows, ``[{"name", "value"}]`` (names compare without case). ``value`` null, ``""``
   or ``[]`` clears. Types: text/textarea a string (text on one line), url an http(s) URL, number a JSON
   number, date ``YYYY-MM-DD``, datetime ISO 8601 with an offset (kept as sent), select one of ``options``,
   user a workspace user's email, contact an existing contact's id. A field that accepts multiple values
   takes a list (a single value is read as a list of one) and answers a list. A name with no definition for
   the record's model is 422.
6. Writes are strict: an unknown or read-only body field is 422. A contact needs ``first_name`` or at least
   one email, and must still have one after any change (a PATCH or an email deletion that would leave
   neither is 422). Every email must look like ``local@domain.tld`` (422 otherwise, not silently dropped);
   emails are not unique across contacts (the lookup answers a list), and repeat ones within a contact are
   collapsed, without case. Strings are trimmed, an empty one is null; at most 255 characters.
7. PATCH is partial. Because the document gives emails (and domains) a deletion endpoint of their own,
   ``emails`` in a PATCH *adds* the addresses not yet on the contact, at the end, in the order sent; they
   are removed only through ``DELETE /contacts/:id/emails`` (addresses not on the contact are ignored, so
   a repeated deletion is harmless). Organization ``domains`` behave the same way. ``phone_numbers`` has no
   deletion endpoint, so a PATCH replaces the whole array. ``custom_fields`` sets the named fields only.
   Every successful write advances ``updated_at``, even one that changes nothing.
8. Phones are stored normalised to E.164 (``+821012345678``) with the workspace's region (`region`, KR as
   in the document's example) for numbers without a country code; an extension is kept as ``;ext=N``. A
   number `phonenumbers` does not find possible (a short landline of some countries) is stored as its
   digits, with its ``+`` if it had one, rather than refusing the contact; one with fewer than five digits,
   or no number at all, is 422. The ``phone_number`` lookup normalises its value the same way, so
   ``+821012345678``, ``01012345678`` and ``010-1234-5678`` find the same contact; one that does not parse
   finds nothing. The ``email`` lookup compares without case. Both combine with pagination (and each other).
9. ``organization_id``: an existing organization's id, null, or ``"auto"``: the contact's emails are tried
   in order, and the first whose domain an organization has wins; else an organization is created with the
   first email's domain (and no name: the document gives it none). Free-mail domains (gmail.com...) are
   never matched or created (the contact is then left without an organization): a careful server would
   not file everyone with a Gmail address under one company. No usable email: no organization.
10. Organizations need a ``name`` or a valid domain; ``domains`` accepts host names or URLs (stored as the
    lower-case host). A domain belongs to one organization at most (422 otherwise), which is what makes
    ``"auto"`` unambiguous. Deleting an organization clears ``organization_id`` on its contacts (advancing
    their ``updated_at``) and deletes its notes.
11. Notes need an existing ``organization_id`` and a non-empty ``body``; ``deal_id`` must name a deal
    (deals have no endpoint in the documents: tests make them with ``store.create_deal()``). A PATCH may
    change ``deal_id`` and ``body`` only; any other field is 422.
12. Custom field definitions: ``name`` and ``model`` required, ``data_type`` defaults to text, ``options``
    (distinct non-empty strings) required for select and refused for other types,
    ``accepts_multiple_values`` (a boolean) required for select, user and contact and may only be false
    for the others. Names are unique per model, without case (422). A PATCH may change ``name`` and
    ``options`` (select only) and nothing else (422). Deleting a definition removes its values from every
    record (advancing their ``updated_at``). No query filters (``model``...) are documented: a client lists
    them all.
13. Lists and processes as documented: ``name``, ``process`` (boolean) and ``entry_type`` (Contact or
    Organization) required; a process also needs ``identifier`` and ``duplicates_allowed``. Status types
    are active, won or lost (the document's process example uses "done", which its own field list does not
    allow: refused). List fields are stored with an id of their own (the key of ``list_fields`` in
    entries). ``entry_type`` and ``process`` cannot be updated (422). ``fields`` in a PATCH replaces the
    list's fields (a field kept by name keeps its id and values). ``archived_at`` is always null (there is
    no archive endpoint). Deleting a list deletes its entries.
14. Entries: ``entryable_type`` must be the list's ``entry_type`` and ``entryable_id`` an existing record
    of it (422). A regular list holds a record once (a second entry for it is 422 ``duplicate_entry``); a
    process allows it when ``duplicates_allowed``. Process-only fields (status, values, period, assignee)
    are required on processes and refused on regular lists. ``assignee_email`` must be a workspace user
    (``store.users``); the entry shows ``assignee: {"email"}``. A process entry's ``key`` is
    ``IDENTIFIER-N``; ``closed_at`` is set when its status is won or lost. Deleting a contact or an
    organization deletes its entries. Adding or removing an entry does not change the contact's
    ``updated_at``.
15. Pagination, on every list: ``first`` 1-100 (default 25; outside that range, or not an integer, is 400
    ``invalid_parameter``, not clamped), ``after`` the offset a previous page's ``pagination.end_cursor``
    gave (an integer; ``end_cursor`` is the offset after the page). ``pagination`` is ``{end_cursor,
    has_next_page, total_count}``. Contacts, organizations, notes, custom fields, lists and entries are
    listed oldest first, so records created during a walk come at its end; a record deleted during a walk
    shifts the later ones back by one (offsets, as the document says: a client must allow for it).
16. Calendar events are read-only and exposed only when they have at least one recording whose status is
    ``done``; newest start first. ``updated_after``, ``starts_after`` and ``starts_before`` take unix
    seconds (a decimal part allowed); ``contact_id`` keeps meetings with an attendee among that contact's
    emails, ``organization_id`` those with an attendee among its contacts' emails (an unknown id matches
    nothing). A recording that finishes advances its event's ``updated_at``. Recordings are read by id only
    (``GET /v1/recordings/:id``); ``summary`` and ``transcript`` are null until ``status`` is ``done``.
    Tests make meetings with ``store.add_meeting()`` and finish recordings with ``finish_recording()``.
17. Rate limits. The document gives none, and this emulator enforces none unless `rate_limit()` is called
    (then 429 ``rate_limited`` with ``Retry-After`` and the ``X-RateLimit-*`` headers, as the base does).
"""

from __future__ import annotations

import copy
import math
import random
import re
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import phonenumbers
from rolo.adapters._emulator import ApiError, Emulator, Request, Response, route

__all__ = ["RelateEmulator", "RelateStore", "normalize_phone", "serve"]

DEFAULT_FIRST, MAX_FIRST = 25, 100
MAX_TEXT = 255
MODELS = ("organization", "contact", "deal")
DATA_TYPES = ("text", "textarea", "url", "number", "date", "datetime", "select", "user", "contact")
MULTI_TYPES = ("select", "user", "contact")
STATUS_TYPES = ("active", "won", "lost")
PERIODS = ("monthly", "annual", "one_time")
ENTRY_TYPES = ("Contact", "Organization")
FREEMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "ymail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "qq.com",
        "163.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "kakao.com",
    }
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_HOST = re.compile(r"(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HASH_CHARS = string.ascii_letters + string.digits


def _invalid(message: str) -> ApiError:
    return ApiError(422, "validation_error", message)


def _bad_param(message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message)


def normalize_phone(number: str, region: str) -> str | None:
    """The stored form of a phone number: E.164 (plus `;ext=N`) when `phonenumbers` finds it possible, else
    its digits (with the `+` when typed); None when it has fewer than five digits or no number at all."""
    text = number.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return f"{e164};ext={parsed.extension}" if parsed.extension else e164
    digits = re.sub(r"\D", "", text.split(";", 1)[0])
    if len(digits) < 5:
        return None
    return ("+" if text.startswith("+") else "") + digits


def _email_domain(address: str) -> str:
    return address.rsplit("@", 1)[1].casefold()


def _host(value: str) -> str | None:
    """The lower-case host of a domain or URL (`https://www.relate.so/x` gives `www.relate.so`), or None."""
    text = value.strip()
    host = urlsplit(text).hostname if "://" in text else text.split("/", 1)[0]
    if not host or not _HOST.fullmatch(host):
        return None
    return host.lower()


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return moment


class _Clock:
    """ISO 8601 UTC millisecond timestamps that grow strictly, even within one millisecond."""

    def __init__(self) -> None:
        self._last = 0

    def now(self) -> str:
        millis = max(int(time.time() * 1000), self._last + 1)
        self._last = millis
        moment = datetime.fromtimestamp(millis / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def _unix(text: str) -> float:
    """A stored timestamp as unix seconds."""
    return _instant(text).timestamp()


class RelateStore:
    """The workspace: every record and every rule. Public methods validate as the API does."""

    def __init__(self, lock: threading.RLock, region: str = "KR") -> None:
        self.lock = lock
        self.region = region
        self._clock = _Clock()
        self._random = random.Random()
        self.clear()

    def clear(self) -> None:
        """Forget every record (the clock keeps growing)."""
        with self.lock:
            self.contacts: dict[str, dict[str, Any]] = {}
            self.organizations: dict[str, dict[str, Any]] = {}
            self.notes: dict[str, dict[str, Any]] = {}
            self.fields: dict[str, dict[str, Any]] = {}
            self.lists: dict[str, dict[str, Any]] = {}
            self.entries: dict[str, dict[str, Any]] = {}
            self.events: dict[str, dict[str, Any]] = {}
            self.recordings: dict[str, dict[str, Any]] = {}
            self.deals: set[str] = set()
            self.users: set[str] = {"owner@example.com"}
            self._ids: set[str] = set()
            self._list_entries: dict[str, dict[str, None]] = {}  # list id -> its entry ids, oldest first
            self._entryables: dict[tuple[str, str], int] = {}  # (list id, record id) -> entries for it
            self._process_counters: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            ident = "".join(self._random.choice(_HASH_CHARS) for _ in range(6))
            if ident not in self._ids:
                self._ids.add(ident)
                return ident

    def now(self) -> str:
        """The next timestamp."""
        return self._clock.now()

    def _get(self, table: dict[str, dict[str, Any]], what: str, ident: Any) -> dict[str, Any]:
        record = table.get(str(ident)) if isinstance(ident, str) else None
        if record is None:
            raise ApiError(404, "not_found", f"no {what} with id {ident!r}")
        return record

    @staticmethod
    def _text(body: Mapping[str, Any], name: str, *, path: str | None = None) -> str | None:
        value = body.get(name)
        where = path or name
        if value is None:
            return None
        if not isinstance(value, str):
            raise _invalid(f"{where}: must be a string")
        value = value.strip()
        if len(value) > MAX_TEXT:
            raise _invalid(f"{where}: at most {MAX_TEXT} characters")
        return value or None

    @staticmethod
    def _strings(body: Mapping[str, Any], name: str) -> list[str]:
        value = body.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _invalid(f"{name}: must be an array of strings")
        return [v.strip() for v in value]

    @staticmethod
    def _only(body: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        for name in body:
            if name not in allowed:
                raise _invalid(
                    f"{name}: not a field of {what} that can be written (fields: {', '.join(allowed)})"
                )

    def _emails(self, body: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for index, address in enumerate(self._strings(body, "emails")):
            if not _EMAIL.fullmatch(address):
                raise _invalid(f"emails[{index}]: {address!r} is not a valid email address")
            if address.casefold() not in {a.casefold() for a in out}:
                out.append(address)
        return out

    def _phones(self, body: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for index, number in enumerate(self._strings(body, "phone_numbers")):
            stored = normalize_phone(number, self.region)
            if stored is None:
                raise _invalid(f"phone_numbers[{index}]: {number!r} is not a phone number")
            if stored not in out:
                out.append(stored)
        return out

    # -- custom field values -------------------------------------------------------------------------------

    def _field_named(self, model: str, name: str) -> dict[str, Any] | None:
        key = name.strip().casefold()
        return next(
            (f for f in self.fields.values() if f["model"] == model and f["name"].casefold() == key), None
        )

    def _check_value(self, definition: Mapping[str, Any], value: Any, where: str) -> Any:
        """A custom field value checked against its definition (list fields included); None clears."""
        if value is None or value == "" or value == []:
            return None
        multiple = definition.get("accepts_multiple_values")
        if isinstance(value, list):
            if not multiple:
                raise _invalid(f"{where}: {definition['name']!r} takes one value, not a list")
            return [self._check_one(definition, v, f"{where}[{i}]") for i, v in enumerate(value)]
        checked = self._check_one(definition, value, where)
        return [checked] if multiple else checked

    def _check_one(self, definition: Mapping[str, Any], value: Any, where: str) -> Any:
        kind = definition["data_type"]
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise _invalid(f"{where}: {definition['name']!r} takes a number")
            return value
        if not isinstance(value, str) or not value.strip():
            raise _invalid(f"{where}: {definition['name']!r} takes a non-empty string")
        value = value.strip() if kind != "textarea" else value
        if kind == "text" and "\n" in value:
            raise _invalid(f"{where}: {definition['name']!r} is a single line of text")
        if kind == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise _invalid(f"{where}: {value!r} is not an http(s) URL")
        elif kind == "date":
            try:
                if not _DATE.fullmatch(value):
                    raise ValueError
                date.fromisoformat(value)
            except ValueError:
                raise _invalid(f"{where}: {value!r} is not a YYYY-MM-DD date") from None
        elif kind == "datetime":
            try:
                _instant(value)
            except ValueError:
                raise _invalid(
                    f"{where}: {value!r} is not an ISO 8601 date and time with an offset"
                ) from None
        elif kind == "select":
            if value not in (definition.get("options") or []):
                raise _invalid(f"{where}: {value!r} is not one of {definition.get('options')}")
        elif kind == "user":
            if value.casefold() not in {u.casefold() for u in self.users}:
                raise _invalid(f"{where}: {value!r} is not a user of this workspace")
        elif kind == "contact" and value not in self.contacts:
            raise _invalid(f"{where}: no contact with id {value!r}")
        return value

    def _set_values(self, record: dict[str, Any], model: str, items: Any) -> None:
        if not isinstance(items, list):
            raise _invalid("custom_fields: must be an array of {name, value}")
        for index, item in enumerate(items):
            where = f"custom_fields[{index}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or "value" not in item:
                raise _invalid(f"{where}: must be an object with name and value")
            extra = set(item) - {"name", "value"}
            if extra:
                raise _invalid(f"{where}: unknown key {min(extra)!r}")
            definition = self._field_named(model, item["name"])
            if definition is None:
                raise _invalid(f"{where}.name: no {model} custom field named {item['name']!r}")
            value = self._check_value(definition, item["value"], f"{where}.value")
            if value is None:
                record["custom_fields"].pop(definition["id"], None)
            else:
                record["custom_fields"][definition["id"]] = value

    def _public_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for field_id, value in values.items():
            definition = self.fields.get(field_id)
            if definition is not None:
                out[field_id] = {
                    "name": definition["name"],
                    "data_type": definition["data_type"],
                    "value": copy.deepcopy(value),
                }
        return out

    # -- contacts ------------------------------------------------------------------------------------------

    _CONTACT_FIELDS = (
        "organization_id",
        "first_name",
        "last_name",
        "title",
        "emails",
        "phone_numbers",
        "custom_fields",
    )

    def contact(self, ident: str) -> dict[str, Any]:
        """A contact as the API shows it (404 when none)."""
        with self.lock:
            return self._public_contact(self._get(self.contacts, "contact", ident))

    def _drop_entry(self, entry_id: str) -> None:
        entry = self.entries.pop(entry_id)
        self._list_entries.get(entry["list_id"], {}).pop(entry_id, None)
        key = (entry["list_id"], entry["entryable_id"])
        self._entryables[key] = self._entryables.get(key, 1) - 1

    def _public_contact(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(record))
        out["custom_fields"] = self._public_values(record["custom_fields"])
        return out

    def _resolve_organization(self, value: Any, emails: list[str]) -> str | None:
        if value is None:
            return None
        if value == "auto":
            domains = [_email_domain(a) for a in emails if _email_domain(a) not in FREEMAIL]
            for domain in domains:
                found = self._organization_with_domain(domain)
                if found is not None:
                    return str(found["id"])
            if not domains:
                return None
            return str(self.create_organization(domains=[domains[0]])["id"])
        if not isinstance(value, str) or value not in self.organizations:
            raise _invalid(f'organization_id: no organization with id {value!r} (or pass "auto")')
        return value

    def create_contact(self, **body: Any) -> dict[str, Any]:
        """Create a contact from API body fields (`first_name`, `emails`, `organization_id`...)."""
        with self.lock:
            self._only(body, self._CONTACT_FIELDS, "a contact")
            record: dict[str, Any] = {
                "id": "",
                "first_name": self._text(body, "first_name"),
                "last_name": self._text(body, "last_name"),
                "title": self._text(body, "title"),
                "emails": self._emails(body) if body.get("emails") is not None else [],
                "phone_numbers": self._phones(body) if body.get("phone_numbers") is not None else [],
                "organization_id": None,
                "custom_fields": {},
                "created_at": "",
                "updated_at": "",
            }
            if not record["first_name"] and not record["emails"]:
                raise _invalid("first_name, or at least one valid address in emails, is required")
            if "custom_fields" in body:
                self._set_values(record, "contact", body["custom_fields"])
            record["organization_id"] = self._resolve_organization(
                body.get("organization_id"), record["emails"]
            )
            record["id"] = self._new_id()
            record["created_at"] = record["updated_at"] = self.now()
            self.contacts[record["id"]] = record
            return self._public_contact(record)

    def update_contact(self, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH a contact: names and title replace, emails are added, phones replace, fields set by name."""
        with self.lock:
            current = self._get(self.contacts, "contact", ident)
            self._only(body, self._CONTACT_FIELDS, "a contact")
            record = copy.deepcopy(current)
            for name in ("first_name", "last_name", "title"):
                if name in body:
                    record[name] = self._text(body, name)
            if "emails" in body:
                if body["emails"] is None:
                    raise _invalid(
                        "emails: cannot be null (remove addresses with DELETE /contacts/:id/emails)"
                    )
                have = {a.casefold() for a in record["emails"]}
                record["emails"] += [a for a in self._emails(body) if a.casefold() not in have]
            if "phone_numbers" in body:
                record["phone_numbers"] = self._phones(body) if body["phone_numbers"] is not None else []
            if "custom_fields" in body:
                self._set_values(record, "contact", body["custom_fields"])
            if "organization_id" in body:
                record["organization_id"] = self._resolve_organization(
                    body["organization_id"], record["emails"]
                )
            if not record["first_name"] and not record["emails"]:
                raise _invalid("first_name: a contact needs a first_name or at least one email")
            record["updated_at"] = self.now()
            self.contacts[ident] = record
            return self._public_contact(record)

    def remove_emails(self, ident: str, emails: Any) -> dict[str, Any]:
        """`DELETE /contacts/:id/emails`: drop these addresses (without case); absent ones are ignored."""
        with self.lock:
            current = self._get(self.contacts, "contact", ident)
            if not isinstance(emails, list) or not emails or not all(isinstance(e, str) for e in emails):
                raise _invalid("emails: must be a non-empty array of strings")
            gone = {e.strip().casefold() for e in emails}
            kept = [a for a in current["emails"] if a.casefold() not in gone]
            if not kept and not current["first_name"]:
                raise _invalid("emails: a contact without a first_name must keep at least one email")
            current["emails"] = kept
            current["updated_at"] = self.now()
            return self._public_contact(current)

    def delete_contact(self, ident: str) -> None:
        """Delete a contact and its list entries."""
        with self.lock:
            self._get(self.contacts, "contact", ident)
            del self.contacts[ident]
            for entry_id in [e["id"] for e in self.entries.values() if e["entryable_id"] == ident]:
                self._drop_entry(entry_id)

    def find_contacts(
        self, *, email: str | None = None, phone_number: str | None = None, public: bool = True
    ) -> list[dict[str, Any]]:
        """The contacts matching a lookup, oldest first (public shape, or as stored)."""
        with self.lock:
            found = list(self.contacts.values())
            if email is not None:
                key = email.strip().casefold()
                found = [c for c in found if key in {a.casefold() for a in c["emails"]}]
            if phone_number is not None:
                wanted = normalize_phone(phone_number, self.region)
                found = [c for c in found if wanted is not None and wanted in c["phone_numbers"]]
            return found if not public else [self._public_contact(c) for c in found]

    # -- organizations -------------------------------------------------------------------------------------

    def _organization_with_domain(self, domain: str) -> dict[str, Any] | None:
        return next((o for o in self.organizations.values() if domain in o["domains"]), None)

    def _domains(self, body: Mapping[str, Any], owner: str | None) -> list[str]:
        out: list[str] = []
        for index, value in enumerate(self._strings(body, "domains")):
            host = _host(value)
            if host is None:
                raise _invalid(f"domains[{index}]: {value!r} is not a valid domain or URL")
            other = self._organization_with_domain(host)
            if other is not None and other["id"] != owner:
                raise _invalid(f"domains[{index}]: {host} belongs to organization {other['id']}")
            if host not in out:
                out.append(host)
        return out

    def _public_organization(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(record))
        out["custom_fields"] = self._public_values(record["custom_fields"])
        return out

    def organization(self, ident: str) -> dict[str, Any]:
        """An organization as the API shows it."""
        with self.lock:
            return self._public_organization(self._get(self.organizations, "organization", ident))

    def create_organization(self, **body: Any) -> dict[str, Any]:
        """Create an organization (`name`, `domains`, `custom_fields`)."""
        with self.lock:
            self._only(body, ("name", "domains", "custom_fields"), "an organization")
            record: dict[str, Any] = {
                "id": "",
                "name": self._text(body, "name"),
                "domains": self._domains(body, None) if body.get("domains") is not None else [],
                "custom_fields": {},
                "created_at": "",
                "updated_at": "",
            }
            if not record["name"] and not record["domains"]:
                raise _invalid("name, or at least one valid URL in domains, is required")
            if "custom_fields" in body:
                self._set_values(record, "organization", body["custom_fields"])
            record["id"] = self._new_id()
            record["created_at"] = record["updated_at"] = self.now()
            self.organizations[record["id"]] = record
            return self._public_organization(record)

    def update_organization(self, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH an organization: name replaces, domains are added, fields set by name."""
        with self.lock:
            current = self._get(self.organizations, "organization", ident)
            self._only(body, ("name", "domains", "custom_fields"), "an organization")
            record = copy.deepcopy(current)
            if "name" in body:
                record["name"] = self._text(body, "name")
            if "domains" in body:
                if body["domains"] is None:
                    raise _invalid(
                        "domains: cannot be null (remove them with DELETE /organizations/:id/domains)"
                    )
                record["domains"] += [d for d in self._domains(body, ident) if d not in record["domains"]]
            if "custom_fields" in body:
                self._set_values(record, "organization", body["custom_fields"])
            if not record["name"] and not record["domains"]:
                raise _invalid("name: an organization needs a name or at least one domain")
            record["updated_at"] = self.now()
            self.organizations[ident] = record
            return self._public_organization(record)

    def remove_domains(self, ident: str, domains: Any) -> dict[str, Any]:
        """`DELETE /organizations/:id/domains`: drop these domains; absent ones are ignored."""
        with self.lock:
            current = self._get(self.organizations, "organization", ident)
            if not isinstance(domains, list) or not domains or not all(isinstance(d, str) for d in domains):
                raise _invalid("domains: must be a non-empty array of strings")
            gone = {_host(d) or d.strip().lower() for d in domains}
            kept = [d for d in current["domains"] if d not in gone]
            if not kept and not current["name"]:
                raise _invalid("domains: an organization without a name must keep at least one domain")
            current["domains"] = kept
            current["updated_at"] = self.now()
            return self._public_organization(current)

    def delete_organization(self, ident: str) -> None:
        """Delete an organization: its contacts lose it, its notes and entries go."""
        with self.lock:
            self._get(self.organizations, "organization", ident)
            del self.organizations[ident]
            for contact in self.contacts.values():
                if contact["organization_id"] == ident:
                    contact["organization_id"] = None
                    contact["updated_at"] = self.now()
            for note_id in [n["id"] for n in self.notes.values() if n["organization_id"] == ident]:
                del self.notes[note_id]
            for entry_id in [e["id"] for e in self.entries.values() if e["entryable_id"] == ident]:
                self._drop_entry(entry_id)

    # -- notes and deals -----------------------------------------------------------------------------------

    def create_deal(self) -> str:
        """A deal id notes may refer to (deals have no endpoint in the documents)."""
        with self.lock:
            ident = self._new_id()
            self.deals.add(ident)
            return ident

    def _deal(self, body: Mapping[str, Any]) -> str | None:
        value = body.get("deal_id")
        if value is None:
            return None
        if value not in self.deals:
            raise _invalid(f"deal_id: no deal with id {value!r}")
        return str(value)

    def _body_text(self, body: Mapping[str, Any]) -> str:
        value = body.get("body")
        if not isinstance(value, str) or not value.strip():
            raise _invalid("body: is required (a non-empty string)")
        return value

    def note(self, ident: str) -> dict[str, Any]:
        """A note as the API shows it (404 when none)."""
        with self.lock:
            return copy.deepcopy(self._get(self.notes, "note", ident))

    def delete_note(self, ident: str) -> None:
        """Delete a note."""
        with self.lock:
            self._get(self.notes, "note", ident)
            del self.notes[ident]

    def create_note(self, **body: Any) -> dict[str, Any]:
        """Create a note on an organization."""
        with self.lock:
            self._only(body, ("organization_id", "deal_id", "body"), "a note")
            organization = body.get("organization_id")
            if organization is None:
                raise _invalid("organization_id: is required")
            if organization not in self.organizations:
                raise _invalid(f"organization_id: no organization with id {organization!r}")
            stamp = self.now()
            record = {
                "id": self._new_id(),
                "organization_id": organization,
                "deal_id": self._deal(body),
                "body": self._body_text(body),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.notes[record["id"]] = record
            return copy.deepcopy(record)

    def update_note(self, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH a note: only deal_id and body."""
        with self.lock:
            record = self._get(self.notes, "note", ident)
            self._only(body, ("deal_id", "body"), "a note (only deal_id and body can be updated)")
            changed = dict(record)
            if "deal_id" in body:
                changed["deal_id"] = self._deal(body)
            if "body" in body:
                changed["body"] = self._body_text(body)
            changed["updated_at"] = self.now()
            self.notes[ident] = changed
            return copy.deepcopy(changed)

    # -- custom field definitions --------------------------------------------------------------------------

    def _options(self, body: Mapping[str, Any]) -> list[str]:
        value = body.get("options")
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise _invalid("options: must be a non-empty array of non-empty strings")
        options = [v.strip() for v in value]
        if len(set(options)) != len(options):
            raise _invalid("options: must be distinct")
        return options

    def _check_field_name(self, model: str, name: Any, ident: str | None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise _invalid("name: is required")
        other = self._field_named(model, name)
        if other is not None and other["id"] != ident:
            raise _invalid(f"name: a {model} custom field named {name.strip()!r} exists ({other['id']})")
        return name.strip()

    def field(self, ident: str) -> dict[str, Any]:
        """A custom field definition as the API shows it (404 when none)."""
        with self.lock:
            return copy.deepcopy(self._get(self.fields, "custom field", ident))

    def define_field(self, **body: Any) -> dict[str, Any]:
        """Create a custom field definition."""
        with self.lock:
            self._only(
                body, ("name", "model", "data_type", "options", "accepts_multiple_values"), "a custom field"
            )
            model = body.get("model")
            if model not in MODELS:
                raise _invalid(f"model: must be one of {', '.join(MODELS)}")
            name = self._check_field_name(model, body.get("name"), None)
            kind = body.get("data_type") if body.get("data_type") is not None else "text"
            if kind not in DATA_TYPES:
                raise _invalid(f"data_type: must be one of {', '.join(DATA_TYPES)}")
            options = None
            if kind == "select":
                options = self._options(body)
            elif body.get("options") is not None:
                raise _invalid("options: only a select field has options")
            multiple = body.get("accepts_multiple_values")
            if kind in MULTI_TYPES:
                if not isinstance(multiple, bool):
                    raise _invalid(f"accepts_multiple_values: is required (true or false) for a {kind} field")
            elif multiple not in (None, False):
                raise _invalid(
                    "accepts_multiple_values: only select, user and contact fields take several values"
                )
            stamp = self.now()
            record = {
                "id": self._new_id(),
                "name": name,
                "model": model,
                "data_type": kind,
                "options": options,
                "accepts_multiple_values": bool(multiple),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.fields[record["id"]] = record
            return copy.deepcopy(record)

    def update_field(self, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH a custom field: only name and options."""
        with self.lock:
            record = self._get(self.fields, "custom field", ident)
            self._only(body, ("name", "options"), "a custom field (only name and options can be updated)")
            changed = dict(record)
            if "name" in body:
                changed["name"] = self._check_field_name(record["model"], body["name"], ident)
            if "options" in body:
                if record["data_type"] != "select":
                    raise _invalid("options: only a select field has options")
                changed["options"] = self._options(body)
            changed["updated_at"] = self.now()
            self.fields[ident] = changed
            return copy.deepcopy(changed)

    def delete_field(self, ident: str) -> None:
        """Delete a definition and its values everywhere."""
        with self.lock:
            record = self._get(self.fields, "custom field", ident)
            del self.fields[ident]
            table = {"contact": self.contacts, "organization": self.organizations}.get(record["model"], {})
            for item in table.values():
                if item["custom_fields"].pop(ident, None) is not None:
                    item["updated_at"] = self.now()

    # -- lists and processes -------------------------------------------------------------------------------

    def _list_fields(self, value: Any, existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise _invalid("fields: must be an array")
        out: list[dict[str, Any]] = []
        for index, item in enumerate(value):
            where = f"fields[{index}]"
            if not isinstance(item, Mapping):
                raise _invalid(f"{where}: must be an object")
            extra = set(item) - {"name", "data_type", "accepts_multiple_values", "options"}
            if extra:
                raise _invalid(f"{where}: unknown key {min(extra)!r}")
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                raise _invalid(f"{where}.name: is required")
            kind = item.get("data_type")
            if kind not in DATA_TYPES:
                raise _invalid(f"{where}.data_type: is required, one of {', '.join(DATA_TYPES)}")
            field: dict[str, Any] = {"name": name.strip(), "data_type": kind}
            if kind in MULTI_TYPES:
                if not isinstance(item.get("accepts_multiple_values"), bool):
                    raise _invalid(f"{where}.accepts_multiple_values: is required for a {kind} field")
                field["accepts_multiple_values"] = item["accepts_multiple_values"]
            if kind == "select":
                try:
                    field["options"] = self._options(item)
                except ApiError as err:
                    raise _invalid(f"{where}.{err.message}") from None
            if any(f["name"].casefold() == field["name"].casefold() for f in out):
                raise _invalid(f"{where}.name: {field['name']!r} is given twice")
            same = next((f for f in existing if f["name"].casefold() == field["name"].casefold()), None)
            field["id"] = same["id"] if same is not None else self._new_id()
            out.append(field)
        return out

    def _statuses(self, value: Any) -> list[dict[str, str]]:
        if not isinstance(value, list):
            raise _invalid("statuses: must be an array")
        out = []
        for index, item in enumerate(value):
            if (
                not isinstance(item, Mapping)
                or not isinstance(item.get("name"), str)
                or not item["name"].strip()
            ):
                raise _invalid(f"statuses[{index}].name: is required")
            if item.get("type") not in STATUS_TYPES:
                raise _invalid(f"statuses[{index}].type: must be one of {', '.join(STATUS_TYPES)}")
            out.append({"name": item["name"].strip(), "type": item["type"]})
        return out

    def _public_list(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(dict(record))
        out["fields"] = [{k: v for k, v in f.items() if k != "id"} for f in record["fields"]]
        if not record["process"]:
            for key in ("identifier", "duplicates_allowed", "entry_label", "status_label", "statuses"):
                out.pop(key, None)
        return out

    def list_record(self, ident: str) -> dict[str, Any]:
        """A list or process as the API shows it."""
        with self.lock:
            return self._public_list(self._get(self.lists, "list", ident))

    _LIST_KEYS = (
        "name",
        "process",
        "entry_type",
        "fields",
        "identifier",
        "duplicates_allowed",
        "entry_label",
        "status_label",
        "statuses",
    )

    def create_list(self, **body: Any) -> dict[str, Any]:
        """Create a list (`process: false`) or a process."""
        with self.lock:
            self._only(body, self._LIST_KEYS, "a list")
            name = self._text(body, "name")
            if not name:
                raise _invalid("name: is required")
            process = body.get("process")
            if not isinstance(process, bool):
                raise _invalid("process: is required (true for a process, false for a list)")
            if body.get("entry_type") not in ENTRY_TYPES:
                raise _invalid("entry_type: is required, Contact or Organization")
            stamp = self.now()
            record: dict[str, Any] = {
                "id": self._new_id(),
                "name": name,
                "process": process,
                "entry_type": body["entry_type"],
                "fields": self._list_fields(body.get("fields") or [], []),
                "created_at": stamp,
                "updated_at": stamp,
                "archived_at": None,
            }
            if process:
                identifier = self._text(body, "identifier")
                if not identifier:
                    raise _invalid("identifier: is required for a process")
                if not isinstance(body.get("duplicates_allowed"), bool):
                    raise _invalid("duplicates_allowed: is required for a process (true or false)")
                record.update(
                    identifier=identifier,
                    duplicates_allowed=body["duplicates_allowed"],
                    entry_label=self._text(body, "entry_label") or body["entry_type"],
                    status_label=self._text(body, "status_label") or "Status",
                    statuses=self._statuses(body.get("statuses") or []),
                )
            else:
                for key in ("identifier", "duplicates_allowed", "entry_label", "status_label", "statuses"):
                    if body.get(key) is not None:
                        raise _invalid(f"{key}: only a process has it")
            self.lists[record["id"]] = record
            return self._public_list(record)

    def update_list(self, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH a list or process (not entry_type, not process)."""
        with self.lock:
            current = self._get(self.lists, "list", ident)
            for key in ("entry_type", "process"):
                if key in body:
                    raise _invalid(f"{key}: cannot be updated")
            self._only(body, self._LIST_KEYS, "a list")
            record = copy.deepcopy(current)
            if "name" in body:
                record["name"] = self._text(body, "name")
                if not record["name"]:
                    raise _invalid("name: cannot be empty")
            if "fields" in body:
                record["fields"] = self._list_fields(body["fields"] or [], current["fields"])
            process_keys = ("identifier", "duplicates_allowed", "entry_label", "status_label", "statuses")
            for key in process_keys:
                if key not in body:
                    continue
                if not record["process"]:
                    raise _invalid(f"{key}: only a process has it")
                if key == "statuses":
                    record[key] = self._statuses(body[key] or [])
                elif key == "duplicates_allowed":
                    if not isinstance(body[key], bool):
                        raise _invalid("duplicates_allowed: must be true or false")
                    record[key] = body[key]
                else:
                    value = self._text(body, key)
                    if key == "identifier" and not value:
                        raise _invalid("identifier: cannot be empty")
                    record[key] = value
            kept = {f["id"] for f in record["fields"]}
            record["updated_at"] = self.now()
            self.lists[ident] = record
            for entry in self.entries.values():
                if entry["list_id"] == ident:
                    entry["list_fields"] = {k: v for k, v in entry["list_fields"].items() if k in kept}
            return self._public_list(record)

    def delete_list(self, ident: str) -> None:
        """Delete a list and its entries."""
        with self.lock:
            self._get(self.lists, "list", ident)
            del self.lists[ident]
            for entry_id in list(self._list_entries.get(ident, {})):
                self._drop_entry(entry_id)

    # -- entries -------------------------------------------------------------------------------------------

    _ENTRY_KEYS = (
        "entryable_id",
        "entryable_type",
        "status",
        "assignee_email",
        "one_time_value_cents",
        "recurring_value_cents",
        "recurring_value_period",
        "contact_id",
        "list_fields",
    )
    _PROCESS_ONLY = (
        "status",
        "assignee_email",
        "one_time_value_cents",
        "recurring_value_cents",
        "recurring_value_period",
    )

    def _entry_values(self, parent: Mapping[str, Any], value: Any, current: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(value, list):
            raise _invalid("list_fields: must be an array of {name, value}")
        values = dict(current)
        for index, item in enumerate(value):
            where = f"list_fields[{index}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or "value" not in item:
                raise _invalid(f"{where}: must be an object with name and value")
            field = next(
                (f for f in parent["fields"] if f["name"].casefold() == item["name"].strip().casefold()), None
            )
            if field is None:
                raise _invalid(f"{where}.name: the list has no field named {item['name']!r}")
            checked = self._check_value(field, item["value"], f"{where}.value")
            if checked is None:
                values.pop(field["id"], None)
            else:
                values[field["id"]] = checked
        return values

    def _apply_process_fields(
        self, parent: Mapping[str, Any], entry: dict[str, Any], body: Mapping[str, Any], creating: bool
    ) -> None:
        if not parent["process"]:
            for key in self._PROCESS_ONLY:
                if body.get(key) is not None:
                    raise _invalid(f"{key}: only an entry of a process has it")
            return
        if creating:
            for key in ("status", "one_time_value_cents", "recurring_value_cents", "recurring_value_period"):
                if body.get(key) is None:
                    raise _invalid(f"{key}: is required for an entry of a process")
        if "status" in body:
            status = next((s for s in parent["statuses"] if s["name"] == body["status"]), None)
            if status is None:
                raise _invalid(f"status: {body['status']!r} is not a status of this process")
            entry["status"] = status["name"]
            entry["closed_at"] = self.now() if status["type"] in ("won", "lost") else None
        for key in ("one_time_value_cents", "recurring_value_cents"):
            if key in body:
                value = body[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise _invalid(f"{key}: must be an integer >= 0")
                entry[key] = value
        if "recurring_value_period" in body:
            if body["recurring_value_period"] not in PERIODS:
                raise _invalid(f"recurring_value_period: must be one of {', '.join(PERIODS)}")
            entry["recurring_value_period"] = body["recurring_value_period"]
        if "assignee_email" in body:
            email = body["assignee_email"]
            if email is None:
                entry["assignee"] = None
            elif not isinstance(email, str) or email.casefold() not in {u.casefold() for u in self.users}:
                raise _invalid(f"assignee_email: {email!r} is not a user of this workspace")
            else:
                entry["assignee"] = {"email": email}

    def _public_entry(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        parent = self.lists[entry["list_id"]]
        out = copy.deepcopy(dict(entry))
        fields = {f["id"]: f for f in parent["fields"]}
        out["list_fields"] = {
            fid: {
                "name": fields[fid]["name"],
                "data_type": fields[fid]["data_type"],
                "value": copy.deepcopy(v),
            }
            for fid, v in entry["list_fields"].items()
            if fid in fields
        }
        return out

    def entry(self, list_id: str, ident: str) -> dict[str, Any]:
        """An entry as the API shows it (404 when the list or entry is missing)."""
        with self.lock:
            self._get(self.lists, "list", list_id)
            record = self._get(self.entries, "entry", ident)
            if record["list_id"] != list_id:
                raise ApiError(404, "not_found", f"no entry with id {ident!r} in list {list_id}")
            return self._public_entry(record)

    def entries_of(self, list_id: str, *, public: bool = True) -> list[dict[str, Any]]:
        """The entries of a list, oldest first (public shape, or as stored)."""
        with self.lock:
            self._get(self.lists, "list", list_id)
            found = [self.entries[i] for i in self._list_entries.get(list_id, {})]
            return found if not public else [self._public_entry(e) for e in found]

    def add_entry(self, list_id: str, /, **body: Any) -> dict[str, Any]:
        """Create an entry in a list or process."""
        with self.lock:
            parent = self._get(self.lists, "list", list_id)
            self._only(body, self._ENTRY_KEYS, "an entry")
            kind = body.get("entryable_type")
            if kind not in ENTRY_TYPES:
                raise _invalid("entryable_type: is required, Contact or Organization")
            if kind != parent["entry_type"]:
                raise _invalid(f"entryable_type: this list holds {parent['entry_type']} entries")
            target = body.get("entryable_id")
            table = self.contacts if kind == "Contact" else self.organizations
            if not isinstance(target, str) or target not in table:
                raise _invalid(f"entryable_id: no {kind.lower()} with id {target!r}")
            contact_id = body.get("contact_id")
            if contact_id is not None and contact_id not in self.contacts:
                raise _invalid(f"contact_id: no contact with id {contact_id!r}")
            stamp = self.now()
            entry: dict[str, Any] = {
                "id": self._new_id(),
                "key": None,
                "list_id": list_id,
                "entryable_id": target,
                "entryable_type": kind,
                "contact_id": contact_id,
                "list_fields": {},
                "created_at": stamp,
                "updated_at": stamp,
            }
            if parent["process"]:
                entry.update(
                    status=None,
                    assignee=None,
                    one_time_value_cents=0,
                    recurring_value_cents=0,
                    recurring_value_period=None,
                    closed_at=None,
                    next_entry_id=None,
                )
            self._apply_process_fields(parent, entry, body, creating=True)
            entry["list_fields"] = self._entry_values(parent, body.get("list_fields") or [], {})
            # the body is valid: now conflicts
            unique = not parent["process"] or not parent.get("duplicates_allowed")
            if unique and self._entryables.get((list_id, target), 0) > 0:
                raise ApiError(422, "duplicate_entry", f"entryable_id: {target} is already in this list")
            if parent["process"]:
                number = self._process_counters.get(list_id, 0) + 1
                self._process_counters[list_id] = number
                entry["key"] = f"{parent['identifier']}-{number}"
            self.entries[entry["id"]] = entry
            self._list_entries.setdefault(list_id, {})[entry["id"]] = None
            self._entryables[(list_id, target)] = self._entryables.get((list_id, target), 0) + 1
            return self._public_entry(entry)

    def update_entry(self, list_id: str, ident: str, /, **body: Any) -> dict[str, Any]:
        """PATCH an entry (not entryable_id, not entryable_type)."""
        with self.lock:
            self.entry(list_id, ident)
            parent = self.lists[list_id]
            for key in ("entryable_id", "entryable_type"):
                if key in body:
                    raise _invalid(f"{key}: cannot be updated")
            self._only(body, self._ENTRY_KEYS, "an entry")
            record = copy.deepcopy(self.entries[ident])
            self._apply_process_fields(parent, record, body, creating=False)
            if "contact_id" in body:
                if body["contact_id"] is not None and body["contact_id"] not in self.contacts:
                    raise _invalid(f"contact_id: no contact with id {body['contact_id']!r}")
                record["contact_id"] = body["contact_id"]
            if "list_fields" in body:
                record["list_fields"] = self._entry_values(
                    parent, body["list_fields"] or [], record["list_fields"]
                )
            record["updated_at"] = self.now()
            self.entries[ident] = record
            return self._public_entry(record)

    def delete_entry(self, list_id: str, ident: str) -> None:
        """Delete an entry."""
        with self.lock:
            self.entry(list_id, ident)
            self._drop_entry(ident)

    # -- calendar events and recordings (read-only through the API) ----------------------------------------

    def add_meeting(
        self,
        title: str,
        start_at: str,
        end_at: str | None = None,
        *,
        attendees: Iterable[str] = (),
        recording: str | None = "done",
        summary: Mapping[str, Any] | None = None,
        conference_type: str | None = "Zoom",
    ) -> dict[str, Any]:
        """A synced calendar event, with one recording in status `recording` (None: no recording).

        `summary` is the recording's summary object once done (a default one when None).
        """
        with self.lock:
            stamp = self.now()
            event: dict[str, Any] = {
                "id": self._new_id(),
                "title": title,
                "start_at": start_at,
                "end_at": end_at or start_at,
                "conference_link": "https://us02web.zoom.us/j/0000000000" if conference_type else None,
                "conference_type": conference_type,
                "attendees": [{"email": a} for a in attendees],
                "recording_ids": [],
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.events[event["id"]] = event
            if recording is not None:
                self.add_recording(event["id"], status=recording, summary=summary)
            return self._public_event(self.events[event["id"]])

    def add_recording(
        self, event_id: str, *, status: str = "processing", summary: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Attach a recording to an event (advancing the event's updated_at)."""
        with self.lock:
            event = self._get(self.events, "calendar event", event_id)
            stamp = self.now()
            started = _instant(event["start_at"]).astimezone(UTC)
            ended = _instant(event["end_at"]).astimezone(UTC)
            recording: dict[str, Any] = {
                "id": self._new_id(),
                "calendar_event_id": event_id,
                "status": status,
                "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "ended_at": ended.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "audio_duration": None,
                "summary_data": dict(summary) if summary is not None else _default_summary(event["title"]),
                "created_at": stamp,
                "updated_at": stamp,
            }
            self.recordings[recording["id"]] = recording
            event["recording_ids"].append(recording["id"])
            event["updated_at"] = stamp
            return self._public_recording(recording)

    def finish_recording(self, recording_id: str, summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Mark a recording done (its summary filled), advancing its event's updated_at."""
        with self.lock:
            recording = self._get(self.recordings, "recording", recording_id)
            recording["status"] = "done"
            if summary is not None:
                recording["summary_data"] = dict(summary)
            recording["updated_at"] = self.now()
            self.events[recording["calendar_event_id"]]["updated_at"] = recording["updated_at"]
            return self._public_recording(recording)

    def _public_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in event.items() if k != "recording_ids"}
        out["recordings"] = [
            {k: self.recordings[r][k] for k in ("id", "status", "started_at", "ended_at", "audio_duration")}
            for r in event["recording_ids"]
        ]
        return out

    def _public_recording(self, recording: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(v) for k, v in recording.items() if k != "summary_data"}
        done = recording["status"] == "done"
        out["summary"] = copy.deepcopy(recording["summary_data"]) if done else None
        out["transcript"] = _transcript(recording) if done else None
        return out

    def exposed_events(self) -> list[dict[str, Any]]:
        """The events the API shows (with a done recording), newest start first (public shape)."""
        with self.lock:
            shown = [
                e
                for e in self.events.values()
                if any(self.recordings[r]["status"] == "done" for r in e["recording_ids"])
            ]
            shown.sort(key=lambda e: (_unix(e["start_at"]), e["id"]), reverse=True)
            return [self._public_event(e) for e in shown]

    def attendee_filter(self, contact_id: str | None, organization_id: str | None) -> set[str] | None:
        """The attendee emails (casefolded) a `contact_id` and/or `organization_id` filter keeps, or None
        for no filter; an unknown id keeps nothing."""
        with self.lock:
            emails: set[str] | None = None
            if contact_id is not None:
                contact = self.contacts.get(contact_id)
                emails = {a.casefold() for a in contact["emails"]} if contact else set()
            if organization_id is not None:
                members = [c for c in self.contacts.values() if c["organization_id"] == organization_id]
                org_emails = {a.casefold() for c in members for a in c["emails"]}
                emails = org_emails if emails is None else emails & org_emails
            return emails

    def event(self, ident: str) -> dict[str, Any]:
        """One exposed event (404 for an unknown one or one without a done recording)."""
        with self.lock:
            for event in self.exposed_events():
                if event["id"] == ident:
                    return event
            raise ApiError(404, "not_found", f"no calendar event with id {ident!r}")

    def recording(self, ident: str) -> dict[str, Any]:
        """One recording (public shape)."""
        with self.lock:
            return self._public_recording(self._get(self.recordings, "recording", ident))


def _default_summary(title: str) -> dict[str, Any]:
    return {
        "summary": f"A short summary of {title}.",
        "topics": [{"title": "Topic", "content": "Details about this topic."}],
        "action_items": ["Owner A: follow-up task 1"],
        "detected_language": "en",
    }


def _transcript(recording: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "participant": {"name": "Alice"},
            "words": [
                {
                    "text": "Hello, let's start today's meeting.",
                    "start_timestamp": {"relative": 0.0},
                    "end_timestamp": {"relative": 3.2},
                }
            ],
            "language_code": "en",
        }
    ]


# -- HTTP ----------------------------------------------------------------------------------------------------


class RelateEmulator(Emulator):
    """The Relate API on 127.0.0.1: `url`, `api_key`, `store`, the base's fault switches and `reset()`."""

    name = "relate"
    default_rate_limit = None
    error_codes: ClassVar[Mapping[str, str]] = {
        **Emulator.error_codes,
        "invalid_json": "invalid_request",
        "rate_limited": "rate_limited",
        "internal": "internal_error",
    }
    TEST_API_KEY = "relate_test_rolo0emulator000000000000"

    def __init__(self, port: int = 0, *, region: str = "KR") -> None:
        super().__init__(port)
        self._api_keys = {self.TEST_API_KEY}
        self.store = RelateStore(self.lock, region=region)

    @property
    def api_key(self) -> str:
        """The stable test key the emulator always accepts."""
        return self.TEST_API_KEY

    def add_api_key(self, key: str) -> None:
        """Accept another key, until `reset()`."""
        with self.lock:
            self._api_keys.add(key)

    def revoke_api_key(self, key: str) -> None:
        """Stop accepting a key (the test key too: every request then answers 401)."""
        with self.lock:
            self._api_keys.discard(key)

    def reset_state(self) -> None:
        self._api_keys = {self.TEST_API_KEY}
        self.store.clear()

    # -- hooks ---------------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        challenge = {"WWW-Authenticate": "Bearer"}
        token = request.bearer_token()
        if token is None:
            raise ApiError(
                401, "unauthorized", "send your API key as Authorization: Bearer {api_key}", headers=challenge
            )
        with self.lock:
            known = token in self._api_keys
        if not known:
            raise ApiError(401, "unauthorized", "this API key is not valid", headers=challenge)

    def fault_error(self, status: int) -> ApiError:
        if status == 401:
            return ApiError(
                401,
                "unauthorized",
                "injected fault: the API key was refused",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return super().fault_error(status)

    # -- helpers -------------------------------------------------------------------------------------------

    def _params(self, request: Request, allowed: Iterable[str] = ()) -> dict[str, str]:
        allowed = ("first", "after", *allowed)
        out: dict[str, str] = {}
        for name, value in request.query.items():
            if name not in allowed:
                raise _bad_param(f"unknown query parameter {name!r} (parameters: {', '.join(allowed)})")
            if name in out:
                raise _bad_param(f"{name} was given twice")
            out[name] = value
        return out

    def _page(
        self, params: Mapping[str, str], items: list[Any], shape: Callable[[Any], Any] = copy.deepcopy
    ) -> dict[str, Any]:
        """One page of `items` (as stored), each shaped for the API by `shape`."""
        raw_first, raw_after = params.get("first"), params.get("after")
        if raw_first is None:
            first = DEFAULT_FIRST
        elif re.fullmatch(r"\d{1,6}", raw_first) and 1 <= int(raw_first) <= MAX_FIRST:
            first = int(raw_first)
        else:
            raise _bad_param(f"first must be an integer from 1 to {MAX_FIRST}")
        if raw_after is None or raw_after == "":
            after = 0
        elif re.fullmatch(r"\d{1,9}", raw_after):
            after = int(raw_after)
        else:
            raise _bad_param("after must be the end_cursor of a previous page (an integer offset)")
        page = items[after : after + first]
        end = min(after + len(page), len(items)) if page else after
        return {
            "data": [shape(item) for item in page],
            "pagination": {"end_cursor": end, "has_next_page": end < len(items), "total_count": len(items)},
        }

    def _body(self, request: Request) -> dict[str, Any]:
        body: dict[str, Any] = self.read_json(request)
        return body

    @staticmethod
    def _timestamp(params: Mapping[str, str], name: str) -> float | None:
        raw = params.get(name)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise _bad_param(f"{name} must be a unix timestamp (seconds)") from None
        if not math.isfinite(value):
            raise _bad_param(f"{name} must be a unix timestamp (seconds)")
        return value

    # -- contacts ------------------------------------------------------------------------------------------

    @route("GET", "/v1/contacts")
    def list_contacts(self, request: Request) -> dict[str, Any]:
        """List contacts, or look them up by email or phone_number."""
        params = self._params(request, ("email", "phone_number"))
        found = self.store.find_contacts(
            email=params.get("email"), phone_number=params.get("phone_number"), public=False
        )
        return self._page(params, found, self.store._public_contact)

    @route("POST", "/v1/contacts")
    def create_contact(self, request: Request) -> Response:
        """Create a contact."""
        return Response(201, self.store.create_contact(**self._body(request)))

    @route("GET", "/v1/contacts/{id}")
    def get_contact(self, request: Request) -> dict[str, Any]:
        """Retrieve a contact."""
        self._params(request)
        return self.store.contact(request.params["id"])

    @route("PATCH", "/v1/contacts/{id}")
    def update_contact(self, request: Request) -> dict[str, Any]:
        """Update a contact."""
        self.store.contact(request.params["id"])  # 404 before looking at the body
        return self.store.update_contact(request.params["id"], **self._body(request))

    @route("DELETE", "/v1/contacts/{id}/emails")
    def delete_contact_emails(self, request: Request) -> dict[str, Any]:
        """Remove email addresses from a contact."""
        self.store.contact(request.params["id"])
        body = self._body(request)
        self.store._only(body, ("emails",), "an email deletion")
        return self.store.remove_emails(request.params["id"], body.get("emails"))

    @route("DELETE", "/v1/contacts/{id}")
    def delete_contact(self, request: Request) -> Response:
        """Delete a contact."""
        self.store.delete_contact(request.params["id"])
        return Response(204)

    # -- organizations -------------------------------------------------------------------------------------

    @route("GET", "/v1/organizations")
    def list_organizations(self, request: Request) -> dict[str, Any]:
        """List organizations."""
        params = self._params(request)
        with self.lock:
            items = list(self.store.organizations.values())
        return self._page(params, items, self.store._public_organization)

    @route("POST", "/v1/organizations")
    def create_organization(self, request: Request) -> Response:
        """Create an organization."""
        return Response(201, self.store.create_organization(**self._body(request)))

    @route("GET", "/v1/organizations/{id}")
    def get_organization(self, request: Request) -> dict[str, Any]:
        """Retrieve an organization."""
        self._params(request)
        return self.store.organization(request.params["id"])

    @route("PATCH", "/v1/organizations/{id}")
    def update_organization(self, request: Request) -> dict[str, Any]:
        """Update an organization."""
        self.store.organization(request.params["id"])
        return self.store.update_organization(request.params["id"], **self._body(request))

    @route("DELETE", "/v1/organizations/{id}/domains")
    def delete_organization_domains(self, request: Request) -> dict[str, Any]:
        """Remove domains from an organization."""
        self.store.organization(request.params["id"])
        body = self._body(request)
        self.store._only(body, ("domains",), "a domain deletion")
        return self.store.remove_domains(request.params["id"], body.get("domains"))

    @route("DELETE", "/v1/organizations/{id}")
    def delete_organization(self, request: Request) -> Response:
        """Delete an organization."""
        self.store.delete_organization(request.params["id"])
        return Response(204)

    # -- notes ---------------------------------------------------------------------------------------------

    @route("GET", "/v1/notes")
    def list_notes(self, request: Request) -> dict[str, Any]:
        """List notes."""
        params = self._params(request)
        with self.lock:
            items = list(self.store.notes.values())
        return self._page(params, items)

    @route("POST", "/v1/notes")
    def create_note(self, request: Request) -> Response:
        """Create a note."""
        return Response(201, self.store.create_note(**self._body(request)))

    @route("GET", "/v1/notes/{id}")
    def get_note(self, request: Request) -> dict[str, Any]:
        """Retrieve a note."""
        self._params(request)
        return self.store.note(request.params["id"])

    @route("PATCH", "/v1/notes/{id}")
    def update_note(self, request: Request) -> dict[str, Any]:
        """Update a note (deal_id and body)."""
        self.store.note(request.params["id"])
        return self.store.update_note(request.params["id"], **self._body(request))

    @route("DELETE", "/v1/notes/{id}")
    def delete_note(self, request: Request) -> Response:
        """Delete a note."""
        self.store.delete_note(request.params["id"])
        return Response(204)

    # -- custom fields -------------------------------------------------------------------------------------

    @route("GET", "/v1/custom_fields")
    def list_fields(self, request: Request) -> dict[str, Any]:
        """List custom field definitions."""
        params = self._params(request)
        with self.lock:
            items = list(self.store.fields.values())
        return self._page(params, items)

    @route("POST", "/v1/custom_fields")
    def create_field(self, request: Request) -> Response:
        """Create a custom field definition."""
        return Response(201, self.store.define_field(**self._body(request)))

    @route("GET", "/v1/custom_fields/{id}")
    def get_field(self, request: Request) -> dict[str, Any]:
        """Retrieve a custom field definition."""
        self._params(request)
        return self.store.field(request.params["id"])

    @route("PATCH", "/v1/custom_fields/{id}")
    def update_field(self, request: Request) -> dict[str, Any]:
        """Update a custom field definition (name and options)."""
        self.store.field(request.params["id"])
        return self.store.update_field(request.params["id"], **self._body(request))

    @route("DELETE", "/v1/custom_fields/{id}")
    def delete_field(self, request: Request) -> Response:
        """Delete a custom field definition."""
        self.store.delete_field(request.params["id"])
        return Response(204)

    # -- lists, processes and entries ----------------------------------------------------------------------

    @route("GET", "/v1/lists")
    def list_lists(self, request: Request) -> dict[str, Any]:
        """List lists and processes."""
        params = self._params(request)
        with self.lock:
            items = list(self.store.lists.values())
        return self._page(params, items, self.store._public_list)

    @route("POST", "/v1/lists")
    def create_list(self, request: Request) -> Response:
        """Create a list or process."""
        return Response(201, self.store.create_list(**self._body(request)))

    @route("GET", "/v1/lists/{id}")
    def get_list(self, request: Request) -> dict[str, Any]:
        """Retrieve a list or process."""
        self._params(request)
        return self.store.list_record(request.params["id"])

    @route("PATCH", "/v1/lists/{id}")
    def update_list(self, request: Request) -> dict[str, Any]:
        """Update a list or process."""
        self.store.list_record(request.params["id"])
        return self.store.update_list(request.params["id"], **self._body(request))

    @route("DELETE", "/v1/lists/{id}")
    def delete_list(self, request: Request) -> Response:
        """Delete a list or process and its entries."""
        self.store.delete_list(request.params["id"])
        return Response(204)

    @route("GET", "/v1/lists/{list_id}/entries")
    def list_entries(self, request: Request) -> dict[str, Any]:
        """List the entries of a list or process."""
        params = self._params(request)
        entries = self.store.entries_of(request.params["list_id"], public=False)
        return self._page(params, entries, self.store._public_entry)

    @route("POST", "/v1/lists/{list_id}/entries")
    def create_entry(self, request: Request) -> Response:
        """Create an entry."""
        self.store.list_record(request.params["list_id"])
        return Response(201, self.store.add_entry(request.params["list_id"], **self._body(request)))

    @route("GET", "/v1/lists/{list_id}/entries/{id}")
    def get_entry(self, request: Request) -> dict[str, Any]:
        """Retrieve an entry."""
        self._params(request)
        return self.store.entry(request.params["list_id"], request.params["id"])

    @route("PATCH", "/v1/lists/{list_id}/entries/{id}")
    def update_entry(self, request: Request) -> dict[str, Any]:
        """Update an entry."""
        self.store.entry(request.params["list_id"], request.params["id"])
        return self.store.update_entry(request.params["list_id"], request.params["id"], **self._body(request))

    @route("DELETE", "/v1/lists/{list_id}/entries/{id}")
    def delete_entry(self, request: Request) -> Response:
        """Delete an entry."""
        self.store.delete_entry(request.params["list_id"], request.params["id"])
        return Response(204)

    # -- calendar events and recordings --------------------------------------------------------------------

    @route("GET", "/v1/calendar_events")
    def list_events(self, request: Request) -> dict[str, Any]:
        """List meetings with a completed recording, newest start first, filtered."""
        params = self._params(
            request, ("updated_after", "starts_after", "starts_before", "contact_id", "organization_id")
        )
        updated_after = self._timestamp(params, "updated_after")
        starts_after = self._timestamp(params, "starts_after")
        starts_before = self._timestamp(params, "starts_before")
        events = self.store.exposed_events()
        emails = self.store.attendee_filter(params.get("contact_id"), params.get("organization_id"))
        kept = []
        for event in events:
            if updated_after is not None and _unix(event["updated_at"]) <= updated_after:
                continue
            start = _unix(event["start_at"])
            if starts_after is not None and start < starts_after:
                continue
            if starts_before is not None and start >= starts_before:
                continue
            if emails is not None and not emails & {a["email"].casefold() for a in event["attendees"]}:
                continue
            kept.append(event)
        return self._page(params, kept)

    @route("GET", "/v1/calendar_events/{id}")
    def get_event(self, request: Request) -> dict[str, Any]:
        """Retrieve a meeting."""
        self._params(request)
        return {"data": self.store.event(request.params["id"])}

    @route("GET", "/v1/recordings/{id}")
    def get_recording(self, request: Request) -> dict[str, Any]:
        """Retrieve a recording (summary and transcript once done)."""
        self._params(request)
        return {"data": self.store.recording(request.params["id"])}


def serve(port: int = 0, *, region: str = "KR") -> RelateEmulator:
    """Start a Relate emulator on 127.0.0.1 (`port` 0: any free port) and return it; `stop()` when done.

    `emulator.url` is its base URL and `emulator.api_key` the key to use.
    """
    return RelateEmulator(port, region=region).start()
