"""An in-process emulator of the RelayBook API v1 (app.relaybook.io), as its Contacts document describes it.

Tests and the demo run it on 127.0.0.1 and point a client at it::

    with RelayBookEmulator() as relaybook:
        client = httpx.Client(base_url=relaybook.url, headers={
            "Authorization": f"Bearer {relaybook.api_key}", "X-Book-ID": BOOK_ID})
        relaybook.store.create_contact(first_name="Jane")   # as if someone typed it into RelayBook's web app
        client.get("/api/v1/contacts").json()["data"]

`RelayBookStore` (``emulator.store``) holds the team's books and every rule about records; `RelayBookEmulator`
only turns HTTP into store calls. The store's public methods are also how a test changes RelayBook "behind
rolo's back" (`create_contact`, `update_contact`, `delete_contact`, `contacts`, `get`, `create_label`,
`label_contact`, `labels_of`, `set_custom_fields`): they validate exactly as the API does (raising `ApiError`)
but skip auth, the book header, fault switches and the request log. Fault switches come from the shared base
(`rolo.adapters._emulator.Emulator`): `fail_every(n, status)`, `drop_every(n)`, `delay(seconds)`,
`rate_limit(limit, window)`, `clear_faults()`.

Endpoints. From the document: ``GET|POST /api/v1/contacts``, ``GET|PATCH|DELETE /api/v1/contacts/{id}``.
Designed here, because the document refers to pages the seeds do not hold ("Books & Labels", "Bulk
Operations"): ``GET /api/v1/books``, ``GET|POST /api/v1/labels``, ``GET /api/v1/labels/{id}/contacts``,
``GET|POST /api/v1/contacts/{id}/labels``, ``DELETE /api/v1/contacts/{id}/labels/{label_id}`` and
``POST /api/v1/bulk/custom-fields``.

Two designs. Those pages could as well describe another API, and a real RelayBook may be either, so the
emulator runs one of two (``RelayBookEmulator(design=...)``, ``serve(design=...)``):

- `LABEL_OBJECTS` (the default): the endpoints above, as points 9-11 below describe them;
- `LABEL_NAMES`: no label objects at all. There is no ``/api/v1/labels`` (nor ``/api/v1/labels/{id}/contacts``:
  404 for any method); ``POST /api/v1/contacts/{id}/labels`` takes ``{"labels": ["VIP", ...]}`` (label names,
  1-50 characters each; a name the contact has, without case, changes nothing; ``label_ids`` is 422) and
  answers 200 with the contact's label names; ``GET`` the same path lists them as names (``{"data":
  ["Book Club", "math"]}``, by name); ``DELETE /api/v1/contacts/{id}/labels/{name}`` (the name
  percent-encoded, compared without case) takes one off (204; 404 when the contact does not have it). The
  contact object still carries no labels. The bulk update is ``POST /api/v1/contacts/bulk/custom-fields``
  (same body and answer as point 11); ``/api/v1/bulk/custom-fields`` is 404.

The store is the same in both (labels by name, created on first use): only the HTTP surface differs, so the
store's helpers (`label_contact`, `labels_of`...) serve tests of either design.

Where the document is silent or ambiguous, and what this emulator does
----------------------------------------------------------------------
1. Team, books, keys. One team whose key is `api_key` (``rlb_test_…``; more with `add_api_key`). The team has
   two books: `BOOK_ID` "Contacts" (the document's example id, ``a1b2c3d4-…``, also `emulator.book_id`: the
   fixed ids let the README name the book to configure) and `SECOND_BOOK_ID` "Team"; `OTHER_TEAM_BOOK_ID`
   exists but belongs to another team. No ``Authorization`` header, another scheme, a key
   not starting with ``rlb_`` or an unknown key: 401 ``UNAUTHORIZED`` with ``WWW-Authenticate: Bearer``.
2. Error body: ``{"code": "NOT_FOUND", "message": "Contact not found"}``. Codes from the document:
   ``MISSING_BOOK`` (400), ``INVALID_INPUT`` (400: malformed JSON, a body that is not an object, a bad query
   parameter; also the 415 for a body sent without ``Content-Type: application/json``), ``FORBIDDEN`` (403),
   ``VALIDATION_ERROR`` (422), ``NOT_FOUND`` (404), ``SERVER_ERROR`` (500). Chosen: ``UNAUTHORIZED`` (401),
   ``CONFLICT`` (409, a label name already taken), ``METHOD_NOT_ALLOWED`` (405, with ``Allow``),
   ``RATE_LIMITED`` (429); an injected fault answers its status's name (``SERVICE_UNAVAILABLE``...).
3. ``X-Book-ID``. Required (400 ``MISSING_BOOK``) where the document says so (list and create contacts) and on
   every designed book-scoped endpoint (labels, bulk). Where it is optional (a contact by id) it is still
   checked when sent. A value that is not one of the key's team's books (a malformed id included) is 403
   ``FORBIDDEN``; a contact outside the book the header names is 404 ``NOT_FOUND``, as is a contact of
   another team.
4. Lists. ``limit`` default 50; above 200 it is clamped to 200 (``meta.limit`` says so); a limit below 1, a
   negative offset or a non-integer is 400 ``INVALID_INPUT``. ``meta`` is ``{page, limit, total}`` with
   ``page = offset // limit + 1``. Order: creation order, oldest first, so a new contact lands at the end and
   deletions shift later ones back.
5. Writes. Create takes the fields of its table only; ``custom_fields``, ``labels`` and ``photo_url`` are
   refused (422, the message says where to set them), and so is ``starred`` (not in the create table: PATCH
   it). PATCH takes the fields of its table only. Unknown or read-only fields are 422. The document lists
   ``VALIDATION_ERROR`` for create only; PATCH validates the same way (a contact must stay identifiable), and
   a PATCH that leaves no first name, last name or company is 422 too.
6. Values. Text fields are strings (``null`` in a PATCH clears), stored trimmed, ``""`` when empty;
   ``birthday`` ``YYYY-MM-DD`` (a real date) or null. Emails: ``{address, label, primary}``, the address
   ``local@domain``; phones ``{number, label, primary}``, a non-empty number; addresses ``{label, street,
   city, state, zip, country}``, strings or null, at least one part; socials ``{label, value}``, a non-empty
   value. Labels must be in the documented vocabularies (emails ``work|personal|other``, phones
   ``mobile|work|other``, addresses ``home|work|other``, socials ``linkedin|x|instagram|facebook|github|
   youtube|other``); a missing label is stored as ``other``. At most one entry per array is primary; stored
   entries always carry ``label`` and (emails, phones) ``primary``. Entry keys outside these are 422.
7. Timestamps: ISO 8601 UTC to the second, as in the document (``2026-02-18T16:52:56Z``). ``updated_at``
   changes on every successful write to a contact, label memberships and custom fields included.
8. Custom fields (only through the bulk endpoint): ``custom_fields`` is null when empty, else an object of
   non-empty keys (at most 100 characters) to strings, numbers, booleans or arrays of those; objects are 422.
9. Books (designed): ``GET /api/v1/books`` lists the books of the key's team, ``{"data": [{id, name,
   contact_count, created_at}]}``; it needs no ``X-Book-ID``.
10. Labels (designed): a book's labels are ``{id, book_id, name, color, created_at, updated_at}``.
    ``GET /api/v1/labels`` lists them (paged like contacts, by name); ``POST /api/v1/labels`` takes ``{name,
    color?}`` (name 1-50 characters; unique in the book without case: 409 ``CONFLICT``; color ``#rrggbb``,
    default ``#9ca3af``) and answers 201. ``POST /api/v1/contacts/{id}/labels`` with ``{"label_ids": [...]}``
    adds labels of the contact's book (already there: no change; an unknown id is 422) and answers 200 with
    the contact's labels; ``GET`` the same path lists them; ``DELETE /api/v1/contacts/{id}/labels/{label_id}``
    removes one (204; 404 when the contact does not have it). ``GET /api/v1/labels/{id}/contacts`` pages
    through a label's members as ``{contact_id, added_at}``, oldest first. The contact object itself does not
    carry its labels (the document's object has no such field).
11. Bulk custom fields (designed, "Bulk Operations#Bulk Update Custom Field"): ``POST /api/v1/bulk/custom-fields``
    with ``{"updates": [{"contact_id", "key", "value"}, ...]}``, 1 to 500 updates, sets each key (``null``
    removes it). All or nothing: an unknown contact (or one of another book) is 404, a bad item 422, and
    nothing is written. Answer 200 ``{"data": [the contacts as they now stand, in first-mention order],
    "meta": {"updated": n}}``.
12. Deleting a contact answers 204 and drops its label memberships.
13. Webhooks: the document says a create, an update and a delete fire `contact.created|updated|deleted`
    "if webhooks are configured for your team", with the full contact (the deleted one: its `id` only), but
    its Webhooks page is not in the seeds. Designed here, and marked so: a team's endpoints are configured in
    the web app, so there is no endpoint for them; `emulator.subscribe_webhook(url)` configures one and
    returns its secret (`rlbwh_…`). Each event is POSTed as ``{"id": "evt_<uuid>", "type", "created_at",
    "book_id", "data": contact}`` with the signature scheme of Relm's document under another name,
    ``relaybook-signature: t=<unix>,v1=hex(HMAC_SHA256(secret, "<t>.<raw body>"))``, and
    ``relaybook-event-id``; retried like Relm's (see `rolo.adapters._emulator.Outbox`). Only the contact
    endpoints (and the helpers that act as the web app) fire events: labels and bulk custom fields do not.
14. Rate limits: the document names none, so none is on by default; `rate_limit()` turns one on (429
    ``RATE_LIMITED`` with ``Retry-After`` and ``X-RateLimit-*`` headers).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Container, Mapping
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from rolo.adapters._emulator import ApiError, Delivery, Emulator, Request, Response, route

__all__ = [
    "BOOK_ID",
    "DESIGNS",
    "LABEL_NAMES",
    "LABEL_OBJECTS",
    "OTHER_TEAM_BOOK_ID",
    "SECOND_BOOK_ID",
    "RelayBookEmulator",
    "RelayBookStore",
    "serve",
]

BOOK_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
SECOND_BOOK_ID = "b7e2c1d0-3f4a-4b5c-9d6e-7f8091a2b3c4"
OTHER_TEAM_BOOK_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
TEAM_ID = "7d3f0c2e-9b1a-4c5d-8e6f-1a2b3c4d5e6f"
OTHER_TEAM_ID = "0b1c2d3e-4f50-4617-8283-949596979899"
USER_ID = "5e1c820d-b605-4f9e-ae4f-47be164176ca"
DEFAULT_LIMIT, MAX_LIMIT, MAX_BULK = 50, 200, 500
DEFAULT_COLOR = "#9ca3af"
#: the two designs of the endpoints the seeds do not document (see the module docstring)
LABEL_OBJECTS, LABEL_NAMES = "label-objects", "label-names"
DESIGNS = (LABEL_OBJECTS, LABEL_NAMES)
#: the routes only one design has
_ONLY: dict[str, frozenset[str]] = {
    LABEL_OBJECTS: frozenset({"GET /api/v1/labels", "POST /api/v1/labels", "GET /api/v1/labels/{id}/contacts",
                              "POST /api/v1/bulk/custom-fields"}),
    LABEL_NAMES: frozenset({"POST /api/v1/contacts/bulk/custom-fields"}),
}

EMAIL_LABELS = ("work", "personal", "other")
PHONE_LABELS = ("mobile", "work", "other")
ADDRESS_LABELS = ("home", "work", "other")
SOCIAL_LABELS = ("linkedin", "x", "instagram", "facebook", "github", "youtube", "other")
TEXT_FIELDS = ("first_name", "last_name", "company", "job_title", "notes", "website")
ARRAY_FIELDS = ("emails", "phones", "addresses", "socials")
CREATE_FIELDS = frozenset({*TEXT_FIELDS, *ARRAY_FIELDS, "birthday"})
PATCH_FIELDS = CREATE_FIELDS | {"starred"}
READ_ONLY = frozenset({"id", "book_id", "dates", "relationships", "created_by", "created_at", "updated_at"})
NOT_ON_CREATE = {
    "custom_fields": "set custom fields after creating the contact, with POST …/bulk/custom-fields",
    "labels": "add labels after creating the contact, with POST /api/v1/contacts/{id}/labels",
    "photo_url": "photos cannot be set through the API",
    "starred": "star a contact after creating it, with PATCH /api/v1/contacts/{id}",
}
_ADDRESS_PARTS = ("street", "city", "state", "zip", "country")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signer(secret: str, event_id: str) -> Callable[[bytes], dict[str, str]]:
    def headers(body: bytes) -> dict[str, str]:
        stamp = int(time.time())
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"relaybook-signature": f"t={stamp},v1={digest}", "relaybook-event-id": event_id}

    return headers


def _invalid(message: str) -> ApiError:
    return ApiError(422, "VALIDATION_ERROR", message)


def _not_found(what: str = "Contact") -> ApiError:
    return ApiError(404, "NOT_FOUND", f"{what} not found")


# -- validation ------------------------------------------------------------------------------------------


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(f"{name}: must be a string")
    return value.strip()


def _birthday(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _invalid("birthday: must be a date in YYYY-MM-DD format, or null")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _invalid(f"birthday: {value!r} is not a real date") from None
    return value


def _entries(name: str, value: Any) -> list[dict[str, Any]]:
    """One array field (emails, phones, addresses, socials), validated as stored."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(f"{name}: must be an array")
    out: list[dict[str, Any]] = []
    primaries = 0
    for index, entry in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(entry, Mapping):
            raise _invalid(f"{where}: must be an object")
        if name == "emails":
            out.append(_email(where, entry))
        elif name == "phones":
            out.append(_phone(where, entry))
        elif name == "addresses":
            out.append(_address(where, entry))
        else:
            out.append(_social(where, entry))
        primaries += bool(out[-1].get("primary"))
    if primaries > 1:
        raise _invalid(f"{name}: at most one entry may be primary")
    return out


def _keys(where: str, entry: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in entry:
        if key not in allowed:
            raise _invalid(f"{where}.{key}: not a property (properties: {', '.join(allowed)})")


def _label(where: str, entry: Mapping[str, Any], vocabulary: tuple[str, ...]) -> str:
    label = entry.get("label")
    if label is None:
        return "other"
    if label not in vocabulary:
        raise _invalid(f"{where}.label: {label!r} is not supported (supported: {', '.join(vocabulary)})")
    return str(label)


def _primary(where: str, entry: Mapping[str, Any]) -> bool:
    primary = entry.get("primary", False)
    if primary is None:
        return False
    if not isinstance(primary, bool):
        raise _invalid(f"{where}.primary: must be true or false")
    return primary


def _email(where: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    _keys(where, entry, ("address", "label", "primary"))
    address = entry.get("address")
    if not isinstance(address, str) or not _EMAIL.fullmatch(address.strip()):
        raise _invalid(f"{where}.address: {address!r} is not an email address")
    return {"address": address.strip(), "label": _label(where, entry, EMAIL_LABELS),
            "primary": _primary(where, entry)}


def _phone(where: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    _keys(where, entry, ("number", "label", "primary"))
    number = entry.get("number")
    if not isinstance(number, str) or not number.strip():
        raise _invalid(f"{where}.number: must be a non-empty string")
    return {"number": number.strip(), "label": _label(where, entry, PHONE_LABELS),
            "primary": _primary(where, entry)}


def _address(where: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    _keys(where, entry, ("label", *_ADDRESS_PARTS))
    parts = {}
    for part in _ADDRESS_PARTS:
        value = entry.get(part)
        if value is not None and not isinstance(value, str):
            raise _invalid(f"{where}.{part}: must be a string or null")
        parts[part] = value.strip() if isinstance(value, str) and value.strip() else None
    if not any(parts.values()):
        raise _invalid(f"{where}: an address needs at least one of {', '.join(_ADDRESS_PARTS)}")
    return {"label": _label(where, entry, ADDRESS_LABELS), **parts}


def _social(where: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    _keys(where, entry, ("label", "value"))
    value = entry.get("value")
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where}.value: only include profiles with a non-empty value")
    return {"label": _label(where, entry, SOCIAL_LABELS), "value": value.strip()}


def _custom_value(where: str, value: Any) -> Any:
    scalar = (str, int, float, bool)
    if value is None or isinstance(value, scalar):
        return value
    if isinstance(value, list) and all(isinstance(v, scalar) for v in value):
        return list(value)
    raise _invalid(f"{where}: a custom field value is a string, number, boolean or an array of those")


# -- the team's books ------------------------------------------------------------------------------------


class RelayBookStore:
    """The team's books in memory: contacts, labels and their memberships.

    Every method takes the emulator's global lock, so a test may call it from any thread. Records handed out
    are copies. Writes validate as the API does and raise `ApiError`.
    """

    def __init__(self, lock: Any, send: Callable[[Delivery], None] | None = None) -> None:
        self._lock = lock
        self._send = send
        self.clear()

    # -- webhooks (designed: see the module docstring, 13) ---------------------------------------------------

    def subscribe_webhook(self, url: str) -> str:
        """Send every contact event of the team's books to `url`; returns the endpoint's signing secret."""
        with self._lock:
            self._hooks[url] = "rlbwh_" + secrets.token_hex(16)
            return self._hooks[url]

    def _event(self, event_type: str, book_id: str, data: dict[str, Any]) -> None:
        if not self._hooks or self._send is None:
            return
        event_id = f"evt_{uuid.uuid4()}"
        body = json.dumps({"id": event_id, "type": event_type, "created_at": _now(), "book_id": book_id,
                           "data": data}, separators=(",", ":")).encode()
        for url, secret in self._hooks.items():
            self._send(Delivery(f"dlv_{uuid.uuid4()}", url, body, _signer(secret, event_id)))

    def clear(self) -> None:
        """Empty every book (the books themselves stay) and forget the webhook endpoints."""
        with self._lock:
            self._hooks: dict[str, str] = {}  # endpoint URL -> its signing secret
            created = "2026-01-01T00:00:00Z"
            self.books: dict[str, dict[str, Any]] = {
                BOOK_ID: {"id": BOOK_ID, "team_id": TEAM_ID, "name": "Contacts", "created_at": created},
                SECOND_BOOK_ID: {"id": SECOND_BOOK_ID, "team_id": TEAM_ID, "name": "Team", "created_at": created},
                OTHER_TEAM_BOOK_ID: {"id": OTHER_TEAM_BOOK_ID, "team_id": OTHER_TEAM_ID, "name": "Elsewhere",
                                     "created_at": created},
            }
            # one dict per book keeps creation order for offset pages
            self._contacts: dict[str, dict[str, dict[str, Any]]] = {book: {} for book in self.books}
            self._where: dict[str, str] = {}  # contact id -> book id
            self._labels: dict[str, dict[str, Any]] = {}
            self._members: dict[str, dict[str, str]] = {}  # label id -> {contact id: added_at}

    # -- books ---------------------------------------------------------------------------------------------

    def team_books(self, team_id: str) -> list[dict[str, Any]]:
        """The books of a team, as `GET /api/v1/books` shows them."""
        with self._lock:
            return [
                {"id": b["id"], "name": b["name"], "contact_count": len(self._contacts[b["id"]]),
                 "created_at": b["created_at"]}
                for b in self.books.values() if b["team_id"] == team_id
            ]

    # -- contacts ------------------------------------------------------------------------------------------

    def get(self, contact_id: str, books: Container[str] | None = None) -> dict[str, Any]:
        """A copy of one contact; 404 when missing (or not in one of `books`, when given)."""
        with self._lock:
            return copy.deepcopy(self._get(contact_id, books))

    def _get(self, contact_id: str, books: Container[str] | None = None) -> dict[str, Any]:
        book = self._where.get(contact_id)
        if book is None or (books is not None and book not in books):
            raise _not_found()
        return self._contacts[book][contact_id]

    def contacts(self, book_id: str = BOOK_ID) -> list[dict[str, Any]]:
        """Copies of every contact of a book, oldest first."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._contacts[book_id].values()]

    def page(self, book_id: str, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """One page of a book's contacts (copies) and the book's total."""
        with self._lock:
            table = self._contacts[book_id]
            items = list(table.values())[offset : offset + limit] if offset < len(table) else []
            return copy.deepcopy(items), len(table)

    def create(self, book_id: str, data: Any) -> dict[str, Any]:
        """Create a contact from a create body (validated as the API does); returns it."""
        with self._lock:
            if not isinstance(data, Mapping):
                raise ApiError(400, "INVALID_INPUT", "the body must be a JSON object")
            for name in data:
                if name in NOT_ON_CREATE:
                    raise _invalid(f"{name}: not accepted on create; {NOT_ON_CREATE[name]}")
                if name in READ_ONLY:
                    raise _invalid(f"{name}: read-only")
                if name not in CREATE_FIELDS:
                    raise _invalid(f"{name}: not a contact field")
            now = _now()
            contact: dict[str, Any] = {
                "id": str(uuid.uuid4()), "book_id": book_id, "first_name": "", "last_name": "", "company": "",
                "job_title": "", "emails": [], "phones": [], "custom_fields": None, "notes": "",
                "photo_url": None, "starred": False, "birthday": None, "website": "", "addresses": [],
                "dates": [], "socials": [], "relationships": [], "created_by": USER_ID, "created_at": now,
                "updated_at": now,
            }
            self._apply(contact, data)
            self._contacts[book_id][contact["id"]] = contact
            self._where[contact["id"]] = book_id
            self._event("contact.created", book_id, copy.deepcopy(contact))
            return copy.deepcopy(contact)

    def update(self, contact_id: str, data: Any, books: Container[str] | None = None) -> dict[str, Any]:
        """PATCH a contact: given fields replace (arrays whole), others stay; returns it."""
        with self._lock:
            current = self._get(contact_id, books)
            if not isinstance(data, Mapping):
                raise ApiError(400, "INVALID_INPUT", "the body must be a JSON object")
            for name in data:
                if name in READ_ONLY:
                    raise _invalid(f"{name}: read-only")
                if name in ("custom_fields", "labels", "photo_url"):
                    raise _invalid(f"{name}: cannot be changed with PATCH; {NOT_ON_CREATE[name]}")
                if name not in PATCH_FIELDS:
                    raise _invalid(f"{name}: not a contact field")
            contact = copy.deepcopy(current)
            self._apply(contact, data)
            contact["updated_at"] = _now()
            self._contacts[self._where[contact_id]][contact_id] = contact
            self._event("contact.updated", self._where[contact_id], copy.deepcopy(contact))
            return copy.deepcopy(contact)

    def _apply(self, contact: dict[str, Any], data: Mapping[str, Any]) -> None:
        for name in TEXT_FIELDS:
            if name in data:
                contact[name] = _text(name, data[name])
        for name in ARRAY_FIELDS:
            if name in data:
                contact[name] = _entries(name, data[name])
        if "birthday" in data:
            contact["birthday"] = _birthday(data["birthday"])
        if "starred" in data:
            if not isinstance(data["starred"], bool):
                raise _invalid("starred: must be true or false")
            contact["starred"] = data["starred"]
        if not any(contact[name] for name in ("first_name", "last_name", "company")):
            raise _invalid("at least one of first_name, last_name or company is required")

    def delete(self, contact_id: str, books: Container[str] | None = None) -> None:
        """Delete a contact and its label memberships."""
        with self._lock:
            self._get(contact_id, books)
            book_id = self._where.pop(contact_id)
            del self._contacts[book_id][contact_id]
            for members in self._members.values():
                members.pop(contact_id, None)
            self._event("contact.deleted", book_id, {"id": contact_id})

    def create_contact(self, book_id: str = BOOK_ID, **fields: Any) -> dict[str, Any]:
        """Create a contact as a user of the web app would; `starred` and `custom_fields` are allowed here."""
        starred = fields.pop("starred", None)
        custom = fields.pop("custom_fields", None)
        contact = self.create(book_id, fields)
        if starred is not None:
            contact = self.update(contact["id"], {"starred": starred})
        if custom:
            contact = self.set_custom_fields(contact["id"], custom)
        return contact

    def update_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        """Change a contact as a user of the web app would."""
        return self.update(contact_id, fields)

    def delete_contact(self, contact_id: str) -> None:
        """Delete a contact as a user of the web app would."""
        self.delete(contact_id)

    # -- custom fields -------------------------------------------------------------------------------------

    def bulk_custom_fields(self, book_id: str, updates: Any) -> dict[str, Any]:
        """The bulk endpoint: set (or, with null, remove) custom field values of contacts of one book."""
        with self._lock:
            if not isinstance(updates, list) or not updates:
                raise _invalid("updates: must be a non-empty array of {contact_id, key, value}")
            if len(updates) > MAX_BULK:
                raise _invalid(f"updates: at most {MAX_BULK} per request, not {len(updates)}")
            planned: dict[str, dict[str, Any]] = {}
            for index, item in enumerate(updates):
                where = f"updates[{index}]"
                if not isinstance(item, Mapping):
                    raise _invalid(f"{where}: must be an object")
                _keys(where, item, ("contact_id", "key", "value"))
                if "value" not in item:
                    raise _invalid(f"{where}.value: required (null removes the key)")
                contact_id, key = item.get("contact_id"), item.get("key")
                if not isinstance(contact_id, str):
                    raise _invalid(f"{where}.contact_id: must be a contact id")
                if not isinstance(key, str) or not key.strip() or len(key) > 100:
                    raise _invalid(f"{where}.key: must be a non-empty string of at most 100 characters")
                if self._where.get(contact_id) != book_id:
                    raise ApiError(404, "NOT_FOUND", f"{where}.contact_id: contact {contact_id} not found")
                planned.setdefault(contact_id, {})[key] = _custom_value(f"{where}.value", item["value"])
            now = _now()
            changed = []
            for contact_id, values in planned.items():
                contact = self._get(contact_id)
                merged = dict(contact["custom_fields"] or {})
                for key, value in values.items():
                    if value is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                contact["custom_fields"] = merged or None
                contact["updated_at"] = now
                changed.append(copy.deepcopy(contact))
            return {"data": changed, "meta": {"updated": len(changed)}}

    def set_custom_fields(self, contact_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Set custom fields of one contact (null removes), as the web app would; returns the contact."""
        book = self._where.get(contact_id)
        if book is None:
            raise _not_found()
        updates = [{"contact_id": contact_id, "key": k, "value": v} for k, v in values.items()]
        return self.bulk_custom_fields(book, updates)["data"][0]

    # -- labels --------------------------------------------------------------------------------------------

    def labels(self, book_id: str) -> list[dict[str, Any]]:
        """The book's labels, by name."""
        with self._lock:
            found = [copy.deepcopy(label) for label in self._labels.values() if label["book_id"] == book_id]
            return sorted(found, key=lambda label: (label["name"].casefold(), label["id"]))

    def create_label(self, name: Any, book_id: str = BOOK_ID, color: Any = None) -> dict[str, Any]:
        """Create a label in a book (409 when the name is taken, without case)."""
        with self._lock:
            if not isinstance(name, str) or not name.strip() or len(name.strip()) > 50:
                raise _invalid("name: must be 1-50 characters")
            if color is not None and (not isinstance(color, str) or not _COLOR.fullmatch(color)):
                raise _invalid("color: must be a #rrggbb color")
            name = name.strip()
            for label in self._labels.values():
                if label["book_id"] == book_id and label["name"].casefold() == name.casefold():
                    raise ApiError(409, "CONFLICT", f"name: the book already has a label {label['name']!r}")
            now = _now()
            label = {"id": str(uuid.uuid4()), "book_id": book_id, "name": name, "color": color or DEFAULT_COLOR,
                     "created_at": now, "updated_at": now}
            self._labels[label["id"]] = label
            self._members[label["id"]] = {}
            return copy.deepcopy(label)

    def label_members(self, label_id: str, book_id: str) -> list[dict[str, str]]:
        """A label's members, oldest first: `{contact_id, added_at}`; 404 for a label not in the book."""
        with self._lock:
            label = self._labels.get(label_id)
            if label is None or label["book_id"] != book_id:
                raise _not_found("Label")
            return [{"contact_id": c, "added_at": at} for c, at in self._members[label_id].items()]

    def labels_of(self, contact_id: str, books: Container[str] | None = None) -> list[dict[str, Any]]:
        """The labels of a contact, by name."""
        with self._lock:
            self._get(contact_id, books)
            found = [copy.deepcopy(self._labels[lid]) for lid, members in self._members.items()
                     if contact_id in members]
            return sorted(found, key=lambda label: (label["name"].casefold(), label["id"]))

    def add_labels(self, contact_id: str, label_ids: Any, books: Container[str] | None = None
                   ) -> list[dict[str, Any]]:
        """Add labels (by id) to a contact; returns its labels."""
        with self._lock:
            contact = self._get(contact_id, books)
            if not isinstance(label_ids, list) or not label_ids or not all(isinstance(i, str) for i in label_ids):
                raise _invalid("label_ids: must be a non-empty array of label ids")
            for label_id in label_ids:
                label = self._labels.get(label_id)
                if label is None or label["book_id"] != contact["book_id"]:
                    raise _invalid(f"label_ids: no label {label_id} in the contact's book")
            now = _now()
            added = False
            for label_id in label_ids:
                if contact_id not in self._members[label_id]:
                    self._members[label_id][contact_id] = now
                    added = True
            if added:
                contact["updated_at"] = now
            return self.labels_of(contact_id)

    def remove_label(self, contact_id: str, label_id: str, books: Container[str] | None = None) -> None:
        """Take a label off a contact; 404 when the contact does not have it."""
        with self._lock:
            contact = self._get(contact_id, books)
            if contact_id not in self._members.get(label_id, {}):
                raise _not_found("Label on this contact")
            del self._members[label_id][contact_id]
            contact["updated_at"] = _now()

    def label_contact(self, contact_id: str, *names: str) -> list[dict[str, Any]]:
        """Give a contact labels by name, creating missing ones, as the web app would; returns its labels."""
        with self._lock:
            book = self._get(contact_id)["book_id"]
            by_name = {label["name"].casefold(): label["id"] for label in self.labels(book)}
            ids = []
            for name in names:
                key = name.strip().casefold()
                if key not in by_name:  # the same name twice (without case) is one label
                    by_name[key] = self.create_label(name, book)["id"]
                ids.append(by_name[key])
            return self.add_labels(contact_id, ids)

    def unlabel_contact(self, contact_id: str, *names: str) -> None:
        """Take labels (by name) off a contact, as the web app would."""
        with self._lock:
            wanted = {n.casefold() for n in names}
            for label in self.labels_of(contact_id):
                if label["name"].casefold() in wanted:
                    self.remove_label(contact_id, label["id"])


# -- HTTP ------------------------------------------------------------------------------------------------


class RelayBookEmulator(Emulator):
    """The RelayBook API on 127.0.0.1: `url`, `api_key`, `book_id`, `store`, the base's fault switches."""

    name = "relaybook"
    error_codes: ClassVar[Mapping[str, str]] = {
        "invalid_json": "INVALID_INPUT",
        "unsupported_media_type": "INVALID_INPUT",
        "not_found": "NOT_FOUND",
        "method_not_allowed": "METHOD_NOT_ALLOWED",
        "rate_limited": "RATE_LIMITED",
        "internal": "SERVER_ERROR",
    }
    TEST_API_KEY = "rlb_test_rolo0emulator00000000000000"

    def __init__(self, port: int = 0, *, design: str = LABEL_OBJECTS) -> None:
        if design not in DESIGNS:
            raise ValueError(f"design must be one of {', '.join(DESIGNS)}, not {design!r}")
        super().__init__(port)
        self.design = design
        """`LABEL_OBJECTS` or `LABEL_NAMES`: which labels and bulk endpoints this server has."""
        # the other design's routes are not there at all: 404 (or 405 beside a route of this design)
        absent = set().union(*(routes for name, routes in _ONLY.items() if name != design))
        self._matching = [spec for spec in self._matching if spec.label not in absent]
        self._api_keys = {self.TEST_API_KEY: TEAM_ID}
        self.store = RelayBookStore(self.lock, send=self.outbox.send)

    @property
    def api_key(self) -> str:
        """The stable test key the emulator always accepts (the team that has `BOOK_ID`)."""
        return self.TEST_API_KEY

    @property
    def book_id(self) -> str:
        """The id of the team's first book (`BOOK_ID`): the `book` option to configure."""
        return BOOK_ID

    def add_api_key(self, key: str, team: str = TEAM_ID) -> None:
        """Accept another key (it must start with rlb_), for `team` (the other team: `OTHER_TEAM_ID`)."""
        if not key.startswith("rlb_"):
            raise ValueError("RelayBook keys start with rlb_")
        with self.lock:
            self._api_keys[key] = team

    def revoke_api_key(self, key: str) -> None:
        """Stop accepting a key."""
        with self.lock:
            self._api_keys.pop(key, None)

    def reset_state(self) -> None:
        self._api_keys = {self.TEST_API_KEY: TEAM_ID}
        self.store.clear()

    def design_routes(self) -> list[str]:
        """The routes this server's design has (`routes()` lists both designs')."""
        return [spec.label for spec in self._routes if spec in self._matching]

    def unused_routes(self) -> list[str]:
        """The routes of this design that never gave a 2xx answer since the last `reset()`."""
        return [label for label in super().unused_routes() if label in self.design_routes()]

    # -- hooks ---------------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        token = request.bearer_token()
        with self.lock:
            team = self._api_keys.get(token or "")
        if token is None or not token.startswith("rlb_") or team is None:
            message = ("send your API key as Authorization: Bearer rlb_…" if token is None
                       else "this API key is not valid")
            raise ApiError(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": "Bearer"})
        request.params["team_id"] = team

    def error_body(self, error: ApiError) -> Any:
        return {"code": error.code, "message": error.message}

    def fault_error(self, status: int) -> ApiError:
        code = {500: "SERVER_ERROR", 401: "UNAUTHORIZED", 429: "RATE_LIMITED"}.get(
            status, HTTPStatus(status).phrase.upper().replace(" ", "_").replace("-", "_")
        )
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return ApiError(status, code, f"injected fault: every request like this one answers {status}",
                        headers=headers)

    # -- helpers -------------------------------------------------------------------------------------------

    def _book(self, request: Request) -> str | None:
        """The X-Book-ID of the request, checked (403 when not a book of the key's team), or None."""
        book = (request.header("X-Book-ID") or "").strip()
        if not book:
            return None
        known = self.store.books.get(book.lower()) if _UUID.fullmatch(book.lower()) else None
        if known is None or known["team_id"] != request.params.get("team_id"):
            raise ApiError(403, "FORBIDDEN", "this book doesn't belong to your team")
        return str(known["id"])

    def _scope(self, request: Request) -> set[str]:
        """The books a contact-by-id request may reach: the X-Book-ID's, else every book of the key's team."""
        book = self._book(request)
        if book is not None:
            return {book}
        team = request.params.get("team_id")
        return {b["id"] for b in self.store.books.values() if b["team_id"] == team}

    def _needs_book(self, request: Request) -> str:
        """The X-Book-ID of a book-scoped request: 400 MISSING_BOOK without one."""
        book = self._book(request)
        if book is None:
            raise ApiError(400, "MISSING_BOOK", "the X-Book-ID header is required: the UUID of the book")
        return book

    def _window(self, request: Request) -> tuple[int, int]:
        """(offset, limit) of a list request."""
        def number(name: str, default: int) -> int:
            raw = request.query.get(name)
            if raw is None or raw == "":
                return default
            if not re.fullmatch(r"-?\d{1,9}", raw.strip()):
                raise ApiError(400, "INVALID_INPUT", f"{name} must be an integer")
            return int(raw)

        limit, offset = number("limit", DEFAULT_LIMIT), number("offset", 0)
        if limit < 1:
            raise ApiError(400, "INVALID_INPUT", f"limit must be from 1 to {MAX_LIMIT}")
        if offset < 0:
            raise ApiError(400, "INVALID_INPUT", "offset must be 0 or more")
        return offset, min(limit, MAX_LIMIT)

    @staticmethod
    def _list(items: list[Any], total: int, offset: int, limit: int) -> dict[str, Any]:
        return {"data": items, "meta": {"page": offset // limit + 1, "limit": limit, "total": total}}

    def _paged(self, request: Request, everything: list[Any]) -> dict[str, Any]:
        offset, limit = self._window(request)
        return self._list(everything[offset : offset + limit], len(everything), offset, limit)

    # -- books ---------------------------------------------------------------------------------------------

    @route("GET", "/api/v1/books")
    def list_books(self, request: Request) -> dict[str, Any]:
        """The books of the key's team (designed: the Books & Labels page is not in the seeds)."""
        return {"data": self.store.team_books(request.params["team_id"])}

    # -- contacts ------------------------------------------------------------------------------------------

    @route("GET", "/api/v1/contacts")
    def list_contacts(self, request: Request) -> dict[str, Any]:
        """A page of the book's contacts."""
        book = self._needs_book(request)
        offset, limit = self._window(request)
        items, total = self.store.page(book, offset, limit)
        return self._list(items, total, offset, limit)

    @route("POST", "/api/v1/contacts")
    def create_contact(self, request: Request) -> Response:
        """Add a contact to the book."""
        book = self._needs_book(request)
        return Response(201, {"data": self.store.create(book, self.read_json(request))})

    @route("GET", "/api/v1/contacts/{id}")
    def get_contact(self, request: Request) -> dict[str, Any]:
        """One contact."""
        return {"data": self.store.get(request.params["id"], self._scope(request))}

    @route("PATCH", "/api/v1/contacts/{id}")
    def update_contact(self, request: Request) -> dict[str, Any]:
        """Change some fields (arrays are replaced whole)."""
        scope = self._scope(request)
        self.store.get(request.params["id"], scope)  # 404 before looking at the body
        return {"data": self.store.update(request.params["id"], self.read_json(request), scope)}

    @route("DELETE", "/api/v1/contacts/{id}")
    def delete_contact(self, request: Request) -> Response:
        """Delete a contact for good."""
        self.store.delete(request.params["id"], self._scope(request))
        return Response(204)

    # -- labels (designed) ---------------------------------------------------------------------------------

    @route("GET", "/api/v1/labels")
    def list_labels(self, request: Request) -> dict[str, Any]:
        """The book's labels, by name."""
        book = self._needs_book(request)
        return self._paged(request, self.store.labels(book))

    @route("POST", "/api/v1/labels")
    def create_label(self, request: Request) -> Response:
        """Create a label in the book."""
        book = self._needs_book(request)
        body = self.read_json(request)
        _keys("body", body, ("name", "color"))
        return Response(201, {"data": self.store.create_label(body.get("name"), book, body.get("color"))})

    @route("GET", "/api/v1/labels/{id}/contacts")
    def list_label_contacts(self, request: Request) -> dict[str, Any]:
        """A label's members, `{contact_id, added_at}`, oldest first."""
        book = self._needs_book(request)
        return self._paged(request, self.store.label_members(request.params["id"], book))

    @route("GET", "/api/v1/contacts/{id}/labels")
    def get_contact_labels(self, request: Request) -> dict[str, Any]:
        """A contact's labels (label objects; names in the `LABEL_NAMES` design)."""
        labels = self.store.labels_of(request.params["id"], self._scope(request))
        if self.design == LABEL_NAMES:
            return {"data": [label["name"] for label in labels]}
        return {"data": labels}

    @route("POST", "/api/v1/contacts/{id}/labels")
    def add_contact_labels(self, request: Request) -> dict[str, Any]:
        """Add labels to a contact: `{"label_ids": [...]}`, or `{"labels": [names]}` in `LABEL_NAMES`."""
        scope = self._scope(request)
        contact_id = request.params["id"]
        self.store.get(contact_id, scope)
        body = self.read_json(request)
        if self.design == LABEL_NAMES:
            _keys("body", body, ("labels",))
            names = body.get("labels")
            if not isinstance(names, list) or not names or not all(
                    isinstance(n, str) and 0 < len(n.strip()) <= 50 for n in names):
                raise _invalid("labels: must be a non-empty array of label names (1-50 characters each)")
            return {"data": [label["name"] for label in self.store.label_contact(contact_id, *names)]}
        _keys("body", body, ("label_ids",))
        return {"data": self.store.add_labels(contact_id, body.get("label_ids"), scope)}

    @route("DELETE", "/api/v1/contacts/{id}/labels/{label_id}")
    def remove_contact_label(self, request: Request) -> Response:
        """Take one label off a contact (by id; by name in the `LABEL_NAMES` design)."""
        contact_id, label = request.params["id"], request.params["label_id"]
        scope = self._scope(request)
        if self.design == LABEL_NAMES:
            found = [x["id"] for x in self.store.labels_of(contact_id, scope)
                     if x["name"].casefold() == label.strip().casefold()]
            if not found:
                raise _not_found("Label on this contact")
            label = found[0]
        self.store.remove_label(contact_id, label, scope)
        return Response(204)

    # -- bulk (designed) -----------------------------------------------------------------------------------

    @route("POST", "/api/v1/bulk/custom-fields")
    @route("POST", "/api/v1/contacts/bulk/custom-fields")
    def bulk_custom_fields(self, request: Request) -> dict[str, Any]:
        """Set custom field values of many contacts of the book at once (one path per design)."""
        book = self._needs_book(request)
        body = self.read_json(request)
        _keys("body", body, ("updates",))
        return self.store.bulk_custom_fields(book, body.get("updates"))


def serve(port: int = 0, *, design: str = LABEL_OBJECTS) -> RelayBookEmulator:
    """Start a RelayBook emulator on 127.0.0.1 (`port` 0: any free port) of one design (`DESIGNS`); call
    `stop()` when done.

    `emulator.url` is its base URL, `emulator.api_key` the key and `emulator.book_id` the book to use.
    """
    return RelayBookEmulator(port, design=design).start()
