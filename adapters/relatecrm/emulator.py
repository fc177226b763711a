"""An in-process emulator of the relatecrm REST API (a self-hosted CRM: `/api/contacts`, page-based), as its
document describes it.

Tests and the demo run it on 127.0.0.1 and point a client at it::

    with RelateCrmEmulator() as crm:
        client = httpx.Client(base_url=crm.url, headers={"Authorization": f"Bearer {crm.api_key}"})
        crm.store.create_contact(first_name="Ada", email="ada@example.com")   # as if typed into the web app
        client.get("/api/contacts", params={"per_page": 50}).json()["data"]

`RelateCrmStore` (``emulator.store``) holds the data and every rule about records; `RelateCrmEmulator` turns
HTTP into store calls. The store's public methods are how a test changes the CRM "behind rolo's back":
`create_contact`, `update_contact` (an edit of some fields in the web app), `replace_contact` (PUT
semantics), `delete_contact`, `contact`, `contacts`, `create_company`, `update_company`, `delete_company`,
`companies`, `create_deal`, `create_activity`, `attach`, `detach`, `sync`. They validate as the API does
(raising `ApiError`) but skip auth, rate limits, fault switches and the request log. Fault switches come
from the base (`rolo.adapters._emulator.Emulator`): `fail_every(n, status)`, `drop_every(n)`,
`delay(seconds)`, `rate_limit(limit, window)`, `clear_faults()`.

Endpoints: the document's ``GET|POST /api/contacts``, ``GET|PUT|DELETE /api/contacts/{id}``,
``GET /api/contacts/search``, ``PUT|DELETE|POST /api/associations/contacts/{id}`` (attach, detach, sync);
and, chosen here (see 3), ``GET|POST /api/companies``, ``GET|PUT|DELETE /api/companies/{id}``.

Where the document is silent or ambiguous, and what this emulator does
----------------------------------------------------------------------
The document shows requests only: no response bodies, error shapes, limits or auxiliary endpoints. It reads
like a Laravel application (Bearer tokens, `page`/`per_page`, `ConvertEmptyStringsToNull`), so the choices
follow what such an application answers; an adapter should tolerate the plausible alternatives (noted).

1. Auth. ``Authorization: Bearer <token>``; tokens look like Laravel Sanctum's (``1|…``). `api_key` is always
   accepted, `add_token()` adds others. A missing, malformed or unknown token is 401 ``{"message":
   "Unauthenticated."}``. The document marks ``Accept: application/json`` required: a request whose Accept
   header is missing or excludes JSON is 406. ``Content-Type: application/json`` is required on requests
   with a body (415 otherwise); a malformed body is 400.
2. Errors are Laravel's: ``{"message": "..."}``, plus for validation (422) ``"errors": {"field": ["..."]}``
   with every failing field, the message being the first error and "(and N more errors)". 404 ``{"message":
   "Record not found."}`` (an unknown id, or an id that is not an integer), 405 with ``Allow``, 429 ``{"message":
   "Too Many Attempts."}`` with ``Retry-After``. There is no machine-readable error code.
3. Companies. Contacts are associated with companies by id, but the document lists no companies endpoint.
   This emulator offers the usual resource: ``{id, name, domain, contacts: [contact ids], created_at,
   updated_at}`` with the same list, search, select and order parameters as contacts; ``name`` is required
   (at most 191 characters), ``domain`` optional. PUT is a full update like the contacts' (see 7). Deals and
   activities exist only so that associations can name them (`create_deal`, `create_activity`); they have no
   endpoints.
4. Ids are integers from 1, per resource. Timestamps are ISO 8601 UTC with microseconds, but stored to the
   second like a MySQL ``timestamp`` column: ``2026-07-02T10:00:00.000000Z``. ``updated_at`` changes only when a
   write changes something (Laravel's dirty check); two changes within one second share it.
5. A contact is ``{id, first_name, last_name, email, phones: [{number, type}], user_id, source_id, job_title,
   street, city, state, postal_code, country_id, companies: [ids], deals: [ids], activities: [ids],
   <every custom field key>, created_at, updated_at}``; unset values are null (``[]`` for arrays). Custom
   fields are top-level keys (as in the request bodies, "...customFields"); every key any contact ever used
   is a custom field of the installation from then on, and appears on every contact (null where unset), as
   fields defined in an admin screen would. The adapter must not take other keys for custom fields, so real
   servers' extra read-only keys (``display_name``, objects...) are tolerated there.
6. Validation (422), after trimming strings and turning ``""`` into null as Laravel's middleware does:
   ``first_name`` required on POST and PUT; every text field a string of at most 191 characters; ``email``
   ``local@domain.tld`` and unique among contacts, compared without case; ``phones`` an array of
   ``{number, type}`` objects, ``number`` required, ``type`` one of ``mobile``, ``work``, ``other`` (default
   ``mobile``), no other keys; ``user_id`` and ``source_id`` existing users and sources (users 1 and 2,
   sources 1-3: the document names no endpoint for them); ``country_id`` an ISO 3166-1 numeric code (the
   document names no countries endpoint; `rolo.adapters.relatecrm.countries` is the table, shared with the
   adapter); ``companies`` and ``deals`` arrays of existing ids; ``id``, ``created_at``, ``updated_at`` and
   ``activities`` are prohibited in a body. Any other key is a custom field: ``[a-z][a-z0-9_]{0,63}``, its
   value a string (at most 65,535 characters), a number, a boolean, null, or an array of strings and numbers;
   ``""`` and ``[]`` unset it. Integers may come as digit strings, as Laravel's ``integer`` rule allows.
7. PUT is a full update: ``first_name`` is required, and every attribute the body omits (names, email,
   phones, owner, source, job title, address parts, country, custom fields) is cleared. ``companies`` and
   ``deals`` are relations, not attributes: given, they replace the contact's set; omitted, they stay.
8. Associations. Attach (PUT) adds the ids not yet attached, in order; detach (DELETE) removes the given ids
   (ids not attached are ignored); sync (POST) makes each given resource's set exactly the list given, in that
   order (``[]`` detaches all). Each needs at least one of ``companies``, ``deals``, ``activities`` (422
   otherwise), each an array of existing ids. Each answers 200 with the contact. A change touches the
   contact's ``updated_at``; renaming a company does not touch its contacts.
9. Lists: ``{"data": [...], "links": {first, last, prev, next}, "meta": {current_page, from, last_page, path,
   per_page, to, total}}``. ``per_page`` 1-100, default 15; ``page`` from 1; a value outside that range or
   not an integer is 422, not clamped; a page past the last is empty. Default order: id ascending.
10. ``order``: ``field`` or ``field|asc``/``field|desc``, several separated by ``;``; contacts sort by ``id``,
    ``first_name``, ``last_name``, ``email``, ``job_title``, ``city``, ``created_at``, ``updated_at``
    (companies: ``id``, ``name``, ``created_at``, ``updated_at``); text sorts without case, nulls first
    ascending; ties are broken by id ascending, so pages are stable. Another field is 422.
11. ``select``: fields separated by ``;`` (standard fields, relations, timestamps, custom keys); ``id`` is
    always included; an unknown field is 422.
12. Search (``q``, ``search_fields``, ``search_match``), on the list and the search endpoint. ``q`` is either
    one term, matched against every search field, or ``field:value;field:value`` (every part naming a search
    field) to give each field its own value. ``search_fields`` lists ``field:operator`` pairs, operators
    ``=`` (equal, without case, as MySQL's default collation compares) and ``like`` (contains, without
    case; the default when the operator is left out); contacts search ``id``, ``first_name``,
    ``last_name``, ``email``, ``phones.number``, ``job_title``, ``street``, ``city``, ``state``,
    ``postal_code``, ``country_id``, ``user_id``, ``source_id`` (default: the names, email, phone numbers and
    job title with ``like``); companies ``id``, ``name``, ``domain`` (default: name and domain). The
    conditions combine with OR, or AND with ``search_match=and``. An unknown field or operator is 422.
13. The search endpoint answers a bare JSON array (no pagination). ``q`` is required there (422); ``take``
    (an integer from 1) caps the results; there is no other cap.
14. Unknown query parameters are 422: stricter than a typical Laravel application (which ignores them), so an
    adapter's typo shows in its tests.
15. DELETE answers 204 with no body. Deleting a contact drops its associations; deleting a company detaches it
    from its contacts (touching them).
16. Rate limits. The document names none and a self-hosted installation sets its own, so none by default;
    `rate_limit(limit, window)` turns Laravel's throttle on: ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` on
    every answer, 429 with ``Retry-After`` over the limit.
"""

from __future__ import annotations

import copy
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from threading import RLock
from typing import Any, ClassVar

from rolo.adapters._emulator import ApiError, Emulator, Request, Response, route
from rolo.adapters.relatecrm.countries import known as known_country

__all__ = ["RelateCrmEmulator", "RelateCrmStore", "ValidationFailed", "serve"]

TEXT_FIELDS = ("first_name", "last_name", "email", "job_title", "street", "city", "state", "postal_code")
ATTRIBUTES = (*TEXT_FIELDS[:3], "phones", "user_id", "source_id", *TEXT_FIELDS[3:], "country_id")
RELATIONS = ("companies", "deals", "activities")
READ_ONLY = ("id", "created_at", "updated_at")
PHONE_TYPES = ("mobile", "work", "other")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 15, 100
STRING_MAX, CUSTOM_TEXT_MAX = 191, 65_535
USERS = {1: "API user", 2: "Sales"}
SOURCES = {1: "Organic search", 2: "Referral", 3: "Event"}

_CUSTOM_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_CONTACT_ORDER = ("id", "first_name", "last_name", "email", "job_title", "city", "created_at", "updated_at")
_COMPANY_ORDER = ("id", "name", "created_at", "updated_at")
_CONTACT_SEARCH = ("id", "first_name", "last_name", "email", "phones.number", "job_title", "street", "city",
                   "state", "postal_code", "country_id", "user_id", "source_id")
_CONTACT_SEARCH_DEFAULT = ("first_name", "last_name", "email", "phones.number", "job_title")
_COMPANY_SEARCH = ("id", "name", "domain")
_LIST_PARAMS = ("page", "per_page", "order", "select", "q", "search_fields", "search_match")
_SEARCH_PARAMS = ("q", "take", "order", "select", "search_fields", "search_match")


class ValidationFailed(ApiError):
    """A 422 with Laravel's body: the first message, and every failing field's messages in `errors`."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        messages = [m for ms in errors.values() for m in ms]
        message = messages[0]
        if len(messages) > 1:
            more = len(messages) - 1
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        super().__init__(422, "validation_failed", message)
        self.errors = {k: list(v) for k, v in errors.items()}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})


def _label(field: str) -> str:
    """Laravel's attribute name in messages: `first_name` -> `first name` (nested paths kept)."""
    return field if "." in field else field.replace("_", " ")


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _integer(value: Any) -> int | None:
    """Laravel's `integer` rule: an int, or a string of digits; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value)
    return None


class _Errors:
    """Collects validation messages per field, in order."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.found.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found)


# -- the data ----------------------------------------------------------------------------------------------


class RelateCrmStore:
    """The installation's data and its rules (see the module docstring). Every method takes the lock."""

    def __init__(self, lock: RLock, clock: Callable[[], float] = time.time) -> None:
        self.lock = lock
        self.clock = clock
        """Where "now" comes from (seconds since the epoch); tests may replace it."""
        self.clear()

    def clear(self) -> None:
        """Forget everything."""
        with self.lock:
            self._contacts: dict[int, dict[str, Any]] = {}
            self._companies: dict[int, dict[str, Any]] = {}
            self._deals: dict[int, dict[str, Any]] = {}
            self._activities: dict[int, dict[str, Any]] = {}
            self._next = {"contact": 1, "company": 1, "deal": 1, "activity": 1}
            self._emails: dict[str, int] = {}  # casefolded email -> contact id, for the unique rule
            self.custom_keys: dict[str, None] = {}

    def _now(self) -> int:
        return int(self.clock())

    def _new_id(self, kind: str) -> int:
        ident = self._next[kind]
        self._next[kind] += 1
        return ident

    def _table(self, kind: str) -> dict[int, dict[str, Any]]:
        return {"companies": self._companies, "deals": self._deals, "activities": self._activities}[kind]

    # -- validation ----------------------------------------------------------------------------------------

    def _text(self, errors: _Errors, field: str, value: Any, limit: int = STRING_MAX) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            errors.add(field, f"The {_label(field)} field must be a string.")
            return None
        value = value.strip()
        if len(value) > limit:
            errors.add(field, f"The {_label(field)} field must not be greater than {limit} characters.")
        return value or None

    def _reference(self, errors: _Errors, field: str, value: Any, exists: Callable[[int], bool]) -> int | None:
        if value is None or value == "":
            return None
        number = _integer(value)
        if number is None:
            errors.add(field, f"The {_label(field)} field must be an integer.")
            return None
        if not exists(number):
            errors.add(field, f"The selected {_label(field)} is invalid.")
        return number

    def _ids(self, errors: _Errors, field: str, value: Any) -> list[int] | None:
        if not isinstance(value, list):
            errors.add(field, f"The {field} field must be an array.")
            return None
        table = self._table(field)
        found: list[int] = []
        for index, item in enumerate(value):
            number = _integer(item)
            if number is None:
                errors.add(f"{field}.{index}", f"The {field}.{index} field must be an integer.")
            elif number not in table:
                errors.add(f"{field}.{index}", f"The selected {field}.{index} is invalid.")
            elif number not in found:
                found.append(number)
        return found

    def _phones(self, errors: _Errors, value: Any) -> list[dict[str, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            errors.add("phones", "The phones field must be an array.")
            return []
        phones = []
        for index, item in enumerate(value):
            where = f"phones.{index}"
            if not isinstance(item, dict):
                errors.add(where, f"The {where} field must be an array.")
                continue
            for key in item:
                if key not in ("number", "type"):
                    errors.add(f"{where}.{key}", f"The {where}.{key} field is prohibited.")
            number = self._text(errors, f"{where}.number", item.get("number"))
            if number is None and f"{where}.number" not in errors.found:
                errors.add(f"{where}.number", f"The {where}.number field is required.")
            kind = item.get("type")
            if kind is None or kind == "":
                kind = "mobile"
            elif kind not in PHONE_TYPES:
                errors.add(f"{where}.type", f"The selected {where}.type is invalid.")
            if number is not None:
                phones.append({"number": number, "type": kind})
        return phones

    def _custom(self, errors: _Errors, key: str, value: Any) -> Any:
        if not _CUSTOM_KEY.fullmatch(key):
            errors.add(key, f"The {key} field is not a known field, nor a valid custom field key "
                            "(a lower-case letter, then lower-case letters, digits or _, at most 64).")
            return None
        if isinstance(value, str):
            return self._text(errors, key, value, CUSTOM_TEXT_MAX)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                errors.add(key, f"The {_label(key)} field must be a finite number.")
            return value
        if isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                    errors.add(key, f"The {_label(key)} field must be a list of strings and numbers.")
                    return None
                items.append(item.strip() if isinstance(item, str) else item)
            items = [i for i in items if i != ""]
            return items or None
        errors.add(key, f"The {_label(key)} field must be a string, a number, a boolean or a list of them.")
        return None

    def _contact_body(self, body: Mapping[str, Any], *, contact_id: int | None) -> dict[str, Any]:
        """Validate a full contact body (POST or PUT): its attributes, custom fields and relations."""
        errors = _Errors()
        clean: dict[str, Any] = {"custom": {}}
        for key in (*READ_ONLY, "activities"):
            if key in body:
                errors.add(key, f"The {_label(key)} field is prohibited.")
        for field in TEXT_FIELDS:
            clean[field] = self._text(errors, field, body.get(field))
        if clean["first_name"] is None and "first_name" not in errors.found:
            errors.add("first_name", "The first name field is required.")
        email = clean["email"]
        if email is not None and "email" not in errors.found:
            if not _EMAIL.fullmatch(email):
                errors.add("email", "The email field must be a valid email address.")
            elif self._emails.get(email.casefold(), contact_id) != contact_id:
                errors.add("email", "The email has already been taken.")
        clean["phones"] = self._phones(errors, body.get("phones"))
        clean["user_id"] = self._reference(errors, "user_id", body.get("user_id"), USERS.__contains__)
        clean["source_id"] = self._reference(errors, "source_id", body.get("source_id"), SOURCES.__contains__)
        clean["country_id"] = self._reference(errors, "country_id", body.get("country_id"), known_country)
        for relation in ("companies", "deals"):
            if relation in body:
                clean[relation] = self._ids(errors, relation, body[relation])
        for key, value in body.items():
            if key in ATTRIBUTES or key in RELATIONS or key in READ_ONLY:
                continue
            custom = self._custom(errors, key, value)
            if custom is not None:
                clean["custom"][key] = custom
        errors.raise_any()
        return clean

    # -- contacts ------------------------------------------------------------------------------------------

    def _get_contact(self, contact_id: Any) -> dict[str, Any]:
        number = _integer(contact_id)
        contact = self._contacts.get(number) if number is not None else None
        if contact is None:
            raise ApiError(404, "not_found", "Record not found.")
        return contact

    def render_contact(self, contact: Mapping[str, Any], select: Iterable[str] | None = None) -> dict[str, Any]:
        """A stored contact as the API answers it (only the `select`ed keys, and id, when given)."""
        out: dict[str, Any] = {"id": contact["id"]}
        for field in ATTRIBUTES:
            out[field] = copy.deepcopy(contact[field])
        for relation in RELATIONS:
            out[relation] = list(contact[relation])
        for key in self.custom_keys:
            out[key] = copy.deepcopy(contact["custom"].get(key))
        out["created_at"] = _stamp(contact["created_at"])
        out["updated_at"] = _stamp(contact["updated_at"])
        if select is not None:
            wanted = set(select) | {"id"}
            out = {k: v for k, v in out.items() if k in wanted}
        return out

    def _store(self, contact: dict[str, Any], clean: Mapping[str, Any]) -> bool:
        """Write validated values into a stored contact, clearing what they lack; whether anything changed."""
        before = copy.deepcopy(contact)
        if before.get("email"):
            self._emails.pop(before["email"].casefold(), None)
        if clean["email"]:
            self._emails[clean["email"].casefold()] = contact["id"]
        for field in ATTRIBUTES:
            contact[field] = clean[field]
        contact["custom"] = dict(clean["custom"])
        for key in clean["custom"]:
            self.custom_keys.setdefault(key, None)
        for relation in ("companies", "deals"):
            if relation in clean:
                contact[relation] = list(clean[relation])
        return contact != before

    def create_contact(self, body: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        """Create a contact from a POST body (and/or keyword fields); the contact as the API answers it."""
        data = {**(body or {}), **fields}
        with self.lock:
            clean = self._contact_body(data, contact_id=None)
            now = self._now()
            contact: dict[str, Any] = {"id": self._new_id("contact"), "companies": [], "deals": [],
                                       "activities": [], "created_at": now, "updated_at": now}
            self._store(contact, clean)
            self._contacts[contact["id"]] = contact
            return self.render_contact(contact)

    def replace_contact(self, contact_id: Any, body: Mapping[str, Any]) -> dict[str, Any]:
        """A PUT: every attribute and custom field the body omits is cleared (relations given are synced)."""
        with self.lock:
            contact = self._get_contact(contact_id)
            clean = self._contact_body(body, contact_id=contact["id"])
            if self._store(contact, clean):
                contact["updated_at"] = self._now()
            return self.render_contact(contact)

    def update_contact(self, contact_id: Any, **fields: Any) -> dict[str, Any]:
        """Change some fields, as a user does in the web app (the others stay): standard fields by name,
        custom fields by key (None clears one)."""
        with self.lock:
            current = self.render_contact(self._get_contact(contact_id))
            body = {k: v for k, v in current.items() if k not in (*READ_ONLY, "activities")}
            body.update(fields)
            return self.replace_contact(contact_id, body)

    def delete_contact(self, contact_id: Any) -> None:
        """Delete a contact (and its associations)."""
        with self.lock:
            contact = self._get_contact(contact_id)
            del self._contacts[contact["id"]]
            if contact["email"]:
                self._emails.pop(contact["email"].casefold(), None)

    def contact(self, contact_id: Any) -> dict[str, Any]:
        """One contact as the API answers it (ApiError 404 when there is none)."""
        with self.lock:
            return self.render_contact(self._get_contact(contact_id))

    def contacts(self) -> list[dict[str, Any]]:
        """Every contact as the API answers it, by id."""
        with self.lock:
            return [self.render_contact(c) for _, c in sorted(self._contacts.items())]

    def stored_contacts(self) -> list[dict[str, Any]]:
        """The stored contacts themselves (for listing, searching and sorting; do not change them)."""
        return list(self._contacts.values())  # ids only grow, so insertion order is id order

    # -- associations --------------------------------------------------------------------------------------

    def _associations(self, contact_id: Any, body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[int]]]:
        contact = self._get_contact(contact_id)
        errors = _Errors()
        given = {k: body[k] for k in RELATIONS if k in body}
        unknown = [k for k in body if k not in RELATIONS]
        for key in unknown:
            errors.add(key, f"The {_label(key)} field is prohibited.")
        if not given and not unknown:
            errors.add("companies", "Provide at least one resource: companies, deals or activities.")
        ids = {key: self._ids(errors, key, value) or [] for key, value in given.items()}
        errors.raise_any()
        return contact, ids

    def _relations_changed(self, contact: dict[str, Any], before: Mapping[str, list[int]]) -> dict[str, Any]:
        if any(contact[k] != before[k] for k in RELATIONS):
            contact["updated_at"] = self._now()
        return self.render_contact(contact)

    def attach(self, contact_id: Any, body: Mapping[str, Any] | None = None, /, **ids: Any) -> dict[str, Any]:
        """Attach companies/deals/activities by id (those already attached stay where they are)."""
        with self.lock:
            contact, wanted = self._associations(contact_id, {**(body or {}), **ids})
            before = {k: list(contact[k]) for k in RELATIONS}
            for key, values in wanted.items():
                contact[key] += [v for v in values if v not in contact[key]]
            return self._relations_changed(contact, before)

    def detach(self, contact_id: Any, body: Mapping[str, Any] | None = None, /, **ids: Any) -> dict[str, Any]:
        """Detach companies/deals/activities by id (ids not attached are ignored)."""
        with self.lock:
            contact, wanted = self._associations(contact_id, {**(body or {}), **ids})
            before = {k: list(contact[k]) for k in RELATIONS}
            for key, values in wanted.items():
                contact[key] = [v for v in contact[key] if v not in values]
            return self._relations_changed(contact, before)

    def sync(self, contact_id: Any, body: Mapping[str, Any] | None = None, /, **ids: Any) -> dict[str, Any]:
        """Make each given relation exactly the list given."""
        with self.lock:
            contact, wanted = self._associations(contact_id, {**(body or {}), **ids})
            before = {k: list(contact[k]) for k in RELATIONS}
            for key, values in wanted.items():
                contact[key] = list(values)
            return self._relations_changed(contact, before)

    # -- companies, deals, activities ----------------------------------------------------------------------

    def _company_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        errors = _Errors()
        for key in body:
            if key not in ("name", "domain"):
                errors.add(key, f"The {_label(key)} field is prohibited.")
        clean = {"name": self._text(errors, "name", body.get("name")),
                 "domain": self._text(errors, "domain", body.get("domain"))}
        if clean["name"] is None and "name" not in errors.found:
            errors.add("name", "The name field is required.")
        errors.raise_any()
        return clean

    def _get_company(self, company_id: Any) -> dict[str, Any]:
        number = _integer(company_id)
        company = self._companies.get(number) if number is not None else None
        if company is None:
            raise ApiError(404, "not_found", "Record not found.")
        return company

    def render_company(self, company: Mapping[str, Any], select: Iterable[str] | None = None) -> dict[str, Any]:
        """A company as the API answers it."""
        wanted = set(select) | {"id"} if select is not None else None
        out: dict[str, Any] = {"id": company["id"], "name": company["name"], "domain": company["domain"]}
        if wanted is None or "contacts" in wanted:  # a scan of every contact: only when asked for
            out["contacts"] = [cid for cid, c in self._contacts.items() if company["id"] in c["companies"]]
        out["created_at"] = _stamp(company["created_at"])
        out["updated_at"] = _stamp(company["updated_at"])
        return {k: v for k, v in out.items() if k in wanted} if wanted is not None else out

    def create_company(self, body: Mapping[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        """Create a company (`name` required, `domain`)."""
        with self.lock:
            clean = self._company_body({**(body or {}), **fields})
            now = self._now()
            company = {"id": self._new_id("company"), **clean, "created_at": now, "updated_at": now}
            self._companies[company["id"]] = company
            return self.render_company(company)

    def replace_company(self, company_id: Any, body: Mapping[str, Any]) -> dict[str, Any]:
        """A company PUT (full update)."""
        with self.lock:
            company = self._get_company(company_id)
            clean = self._company_body(body)
            if any(company[k] != v for k, v in clean.items()):
                company.update(clean)
                company["updated_at"] = self._now()
            return self.render_company(company)

    def update_company(self, company_id: Any, **fields: Any) -> dict[str, Any]:
        """Change some fields of a company (a rename in the web app)."""
        with self.lock:
            company = self._get_company(company_id)
            return self.replace_company(company_id, {"name": company["name"], "domain": company["domain"], **fields})

    def delete_company(self, company_id: Any) -> None:
        """Delete a company, detaching it from its contacts."""
        with self.lock:
            company = self._get_company(company_id)
            del self._companies[company["id"]]
            for contact in self._contacts.values():
                if company["id"] in contact["companies"]:
                    contact["companies"].remove(company["id"])
                    contact["updated_at"] = self._now()

    def company(self, company_id: Any) -> dict[str, Any]:
        """One company as the API answers it."""
        with self.lock:
            return self.render_company(self._get_company(company_id))

    def companies(self) -> list[dict[str, Any]]:
        """Every company as the API answers it, by id."""
        with self.lock:
            return [self.render_company(c) for _, c in sorted(self._companies.items())]

    def stored_companies(self) -> list[dict[str, Any]]:
        """The stored companies themselves (do not change them)."""
        return list(self._companies.values())

    def create_deal(self, name: str) -> int:
        """Create a deal (no endpoint: only for associations); its id."""
        with self.lock:
            ident = self._new_id("deal")
            self._deals[ident] = {"id": ident, "name": name}
            return ident

    def create_activity(self, title: str) -> int:
        """Create an activity (no endpoint: only for associations); its id."""
        with self.lock:
            ident = self._new_id("activity")
            self._activities[ident] = {"id": ident, "title": title}
            return ident


# -- queries: search, order, select, pages -------------------------------------------------------------------


def _values(record: Mapping[str, Any], field: str) -> list[Any]:
    if field == "phones.number":
        return [p["number"] for p in record.get("phones") or []]
    return [record.get(field)]


def _matches(value: Any, op: str, term: str) -> bool:
    if value is None:
        return False
    text = str(value).casefold()
    return text == term.casefold() if op == "=" else term.casefold() in text


def _search(request: Request, searchable: tuple[str, ...], defaults: tuple[str, ...], *,
            required: bool) -> Callable[[Mapping[str, Any]], bool] | None:
    """The predicate of `q`, `search_fields` and `search_match` (None: no search asked)."""
    q = request.query.get("q")
    if q is None or not q.strip():
        if required:
            raise _invalid("q", "The q field is required.")
        return None
    raw_fields = request.query.get("search_fields")
    fields: dict[str, str] = {}
    if raw_fields:
        for part in filter(None, (p.strip() for p in raw_fields.split(";"))):
            name, _, op = part.partition(":")
            op = op.strip() or "like"
            if name not in searchable:
                raise _invalid("search_fields", f"The search field {name!r} is not searchable "
                                                f"(fields: {', '.join(searchable)}).")
            if op not in ("=", "like"):
                raise _invalid("search_fields", f"The search operator {op!r} is not supported (= or like).")
            fields[name] = op
    else:
        fields = dict.fromkeys(defaults, "like")
    match = (request.query.get("search_match") or "or").lower()
    if match not in ("or", "and"):
        raise _invalid("search_match", "The selected search match is invalid (or, and).")
    parts = [p for p in q.split(";") if p.strip()]
    per_field = all(p.partition(":")[0].strip() in searchable and ":" in p for p in parts)
    conditions: list[tuple[str, str, str]] = []
    if per_field and parts:
        for part in parts:
            name, _, value = part.partition(":")
            name = name.strip()
            conditions.append((name, fields.get(name, "like"), value.strip()))
    else:
        conditions = [(name, op, q.strip()) for name, op in fields.items()]
    combine = all if match == "and" else any

    def predicate(record: Mapping[str, Any]) -> bool:
        return combine(any(_matches(v, op, term) for v in _values(record, name)) for name, op, term in conditions)

    return predicate


def _order(request: Request, allowed: tuple[str, ...]) -> list[tuple[str, bool]]:
    raw = request.query.get("order")
    if not raw:
        return []
    keys = []
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, _, direction = part.partition("|")
        direction = (direction or "asc").strip().lower()
        if name.strip() not in allowed or direction not in ("asc", "desc"):
            raise _invalid("order", f"The order {part!r} is invalid (fields: {', '.join(allowed)}; "
                                    "directions: asc, desc).")
        keys.append((name.strip(), direction == "desc"))
    return keys


def _sorted(records: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    out = sorted(records, key=lambda r: r["id"])
    for name, desc in reversed(keys):
        def key(record: Mapping[str, Any], name: str = name) -> tuple[bool, Any]:
            value = record.get(name)
            if isinstance(value, str):
                value = value.casefold()
            return (value is not None, value if value is not None else 0)

        out.sort(key=key, reverse=desc)
    return out


def _select(request: Request, allowed: Iterable[str]) -> list[str] | None:
    raw = request.query.get("select")
    if raw is None:
        return None
    fields = [p.strip() for p in raw.split(";") if p.strip()]
    known = set(allowed)
    unknown = [f for f in fields if f not in known]
    if unknown or not fields:
        raise _invalid("select", f"The select field names unknown fields: {', '.join(unknown) or '(none)'}.")
    return fields


def _positive(request: Request, name: str, default: int | None, maximum: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    number = _integer(raw)
    if number is None:
        raise _invalid(name, f"The {_label(name)} field must be an integer.")
    if number < 1 or (maximum is not None and number > maximum):
        bound = f"between 1 and {maximum}" if maximum else "at least 1"
        raise _invalid(name, f"The {_label(name)} field must be {bound}.")
    return number


def _check_params(request: Request, allowed: tuple[str, ...]) -> None:
    errors = _Errors()
    for name in request.query:
        if name not in allowed:
            errors.add(name, f"The {name} query parameter is not supported.")
        elif len(request.query.getlist(name)) > 1:
            errors.add(name, f"The {name} query parameter was given more than once.")
    errors.raise_any()


# -- HTTP --------------------------------------------------------------------------------------------------


class RelateCrmEmulator(Emulator):
    """The relatecrm API on 127.0.0.1: `url`, `api_key`, `store`, the base's fault switches and `reset()`."""

    name = "relatecrm"
    default_rate_limit = None
    error_codes: ClassVar[Mapping[str, str]] = {
        "invalid_json": "bad_request",
        "unsupported_media_type": "unsupported_media_type",
        "not_found": "not_found",
        "method_not_allowed": "method_not_allowed",
        "rate_limited": "too_many_attempts",
        "internal": "server_error",
    }
    API_TOKEN = "1|rolo0emulator0relatecrm0token00000000000"
    _MESSAGES: ClassVar[Mapping[str, str]] = {
        "too_many_attempts": "Too Many Attempts.",
        "server_error": "Server Error",
        "unauthenticated": "Unauthenticated.",
    }

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self._tokens = {self.API_TOKEN}
        self.store = RelateCrmStore(self.lock)

    @property
    def api_key(self) -> str:
        """The token the emulator always accepts."""
        return self.API_TOKEN

    def add_token(self, token: str) -> None:
        """Accept another token, until `reset()`."""
        with self.lock:
            self._tokens.add(token)

    def revoke_token(self, token: str) -> None:
        """Stop accepting a token (the default one too)."""
        with self.lock:
            self._tokens.discard(token)

    def reset_state(self) -> None:
        self._tokens = {self.API_TOKEN}
        self.store.clear()

    # -- hooks -------------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        token = request.bearer_token()
        with self.lock:
            known = token is not None and token in self._tokens
        if not known:
            raise ApiError(401, "unauthenticated", "Unauthenticated.")
        accept = (request.header("Accept") or "").lower()
        if not any(kind in accept for kind in ("application/json", "application/*", "*/*", "+json")):
            raise ApiError(406, "not_acceptable", "Send Accept: application/json.")

    def error_body(self, error: ApiError) -> Any:
        body: dict[str, Any] = {"message": self._MESSAGES.get(error.code, error.message)}
        if isinstance(error, ValidationFailed):
            body["errors"] = error.errors
        return body

    # -- helpers -----------------------------------------------------------------------------------------

    def _page(self, request: Request, records: list[dict[str, Any]],
              render: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        per_page = _positive(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE) or DEFAULT_PER_PAGE
        page = _positive(request, "page", 1) or 1
        total = len(records)
        last = max(1, math.ceil(total / per_page))
        start = (page - 1) * per_page
        chunk = records[start : start + per_page]
        path = f"{self.url}{request.path}"

        def link(number: int) -> str:
            pairs = [(k, v) for k, v in request.query.items() if k != "page"] + [("page", str(number))]
            return f"{path}?{urllib.parse.urlencode(pairs)}"

        return {
            "data": [render(r) for r in chunk],
            "links": {"first": link(1), "last": link(last), "prev": link(page - 1) if page > 1 else None,
                      "next": link(page + 1) if page < last else None},
            "meta": {"current_page": page, "from": start + 1 if chunk else None, "last_page": last, "path": path,
                     "per_page": per_page, "to": start + len(chunk) if chunk else None, "total": total},
        }

    def _contact_query(self, request: Request, *, search_required: bool) -> tuple[list[dict[str, Any]], list[str] | None]:
        predicate = _search(request, _CONTACT_SEARCH, _CONTACT_SEARCH_DEFAULT, required=search_required)
        keys = _order(request, _CONTACT_ORDER)
        select = _select(request, ("id", *ATTRIBUTES, *RELATIONS, *READ_ONLY, *self.store.custom_keys))
        records = [c for c in self.store.stored_contacts() if predicate is None or predicate(c)]
        return _sorted(records, keys), select

    def _company_query(self, request: Request) -> tuple[list[dict[str, Any]], list[str] | None]:
        predicate = _search(request, _COMPANY_SEARCH, ("name", "domain"), required=False)
        keys = _order(request, _COMPANY_ORDER)
        select = _select(request, ("id", "name", "domain", "contacts", "created_at", "updated_at"))
        records = [c for c in self.store.stored_companies() if predicate is None or predicate(c)]
        return _sorted(records, keys), select

    # -- contacts ----------------------------------------------------------------------------------------

    @route("GET", "/api/contacts")
    def list_contacts(self, request: Request) -> dict[str, Any]:
        """List contacts, a page at a time (search, order and select apply)."""
        _check_params(request, _LIST_PARAMS)
        records, select = self._contact_query(request, search_required=False)
        return self._page(request, records, lambda c: self.store.render_contact(c, select))

    @route("GET", "/api/contacts/search")
    def search_contacts(self, request: Request) -> list[dict[str, Any]]:
        """Search contacts without pagination; `take` caps the results."""
        _check_params(request, _SEARCH_PARAMS)
        take = _positive(request, "take", None)
        records, select = self._contact_query(request, search_required=True)
        if take is not None:
            records = records[:take]
        return [self.store.render_contact(c, select) for c in records]

    @route("POST", "/api/contacts")
    def create_contact(self, request: Request) -> Response:
        """Create a contact."""
        _check_params(request, ())
        return Response(201, self.store.create_contact(self.read_json(request)))

    @route("GET", "/api/contacts/{id}")
    def get_contact(self, request: Request) -> dict[str, Any]:
        """Retrieve a contact."""
        _check_params(request, ("select",))
        select = _select(request, ("id", *ATTRIBUTES, *RELATIONS, *READ_ONLY, *self.store.custom_keys))
        contact = self.store.contact(request.params["id"])
        return {k: v for k, v in contact.items() if select is None or k in set(select) | {"id"}}

    @route("PUT", "/api/contacts/{id}")
    def update_contact(self, request: Request) -> dict[str, Any]:
        """Update a contact: a full update (see the module docstring, 7)."""
        _check_params(request, ())
        self.store.contact(request.params["id"])  # 404 before looking at the body
        return self.store.replace_contact(request.params["id"], self.read_json(request))

    @route("DELETE", "/api/contacts/{id}")
    def delete_contact(self, request: Request) -> Response:
        """Delete a contact."""
        _check_params(request, ())
        self.store.delete_contact(request.params["id"])
        return Response(204)

    # -- associations ------------------------------------------------------------------------------------

    @route("PUT", "/api/associations/contacts/{id}")
    def attach(self, request: Request) -> dict[str, Any]:
        """Attach companies, deals or activities to a contact."""
        _check_params(request, ())
        self.store.contact(request.params["id"])
        return self.store.attach(request.params["id"], self.read_json(request))

    @route("DELETE", "/api/associations/contacts/{id}")
    def detach(self, request: Request) -> dict[str, Any]:
        """Detach companies, deals or activities from a contact."""
        _check_params(request, ())
        self.store.contact(request.params["id"])
        return self.store.detach(request.params["id"], self.read_json(request))

    @route("POST", "/api/associations/contacts/{id}")
    def sync(self, request: Request) -> dict[str, Any]:
        """Make a contact's companies, deals or activities exactly the lists given."""
        _check_params(request, ())
        self.store.contact(request.params["id"])
        return self.store.sync(request.params["id"], self.read_json(request))

    # -- companies ---------------------------------------------------------------------------------------

    @route("GET", "/api/companies")
    def list_companies(self, request: Request) -> dict[str, Any]:
        """List companies, a page at a time."""
        _check_params(request, _LIST_PARAMS)
        records, select = self._company_query(request)
        return self._page(request, records, lambda c: self.store.render_company(c, select))

    @route("POST", "/api/companies")
    def create_company(self, request: Request) -> Response:
        """Create a company."""
        _check_params(request, ())
        return Response(201, self.store.create_company(self.read_json(request)))

    @route("GET", "/api/companies/{id}")
    def get_company(self, request: Request) -> dict[str, Any]:
        """Retrieve a company (with the ids of its contacts)."""
        _check_params(request, ())
        return self.store.company(request.params["id"])

    @route("PUT", "/api/companies/{id}")
    def update_company(self, request: Request) -> dict[str, Any]:
        """Update a company (a full update)."""
        _check_params(request, ())
        self.store.company(request.params["id"])
        return self.store.replace_company(request.params["id"], self.read_json(request))

    @route("DELETE", "/api/companies/{id}")
    def delete_company(self, request: Request) -> Response:
        """Delete a company."""
        _check_params(request, ())
        self.store.delete_company(request.params["id"])
        return Response(204)


def serve(port: int = 0) -> RelateCrmEmulator:
    """Start a relatecrm emulator on 127.0.0.1 (`port` 0: any free port); call `stop()` when done.

    `emulator.url` is its base URL (the API is under `/api`) and `emulator.api_key` the token to use.
    """
    return RelateCrmEmulator(port).start()
