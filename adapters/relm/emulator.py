"""An in-process emulator of the Relm (relmcrm.com) REST API, strictly as its API document describes it.

Tests and the demo run it on 127.0.0.1 and point a Relm client at it::

    with RelmEmulator() as relm:
        client = httpx.Client(base_url=relm.url, headers={"Authorization": f"Bearer {relm.api_key}"})
        relm.store.create_contact(email="ada@example.com")   # as if someone typed it into Relm's web app
        client.get("/v1/contacts").json()["data"]

`RelmStore` (``emulator.store``) holds the workspace and every rule about records; `RelmEmulator` only turns
HTTP into store calls. The store's public methods are also the way for a test to change Relm "behind rolo's
back": `create_contact`, `update_contact`, `delete_contact`, `create`, `update`, `delete`, `get`, `records`,
`define_field`, `delete_field`, `link`, `upsert_contacts`, `create_webhook`, `deliveries`. They validate
exactly as the API does (raising `ApiError`) and emit the same webhook events, but skip auth, rate limits,
fault switches and the request log. Fault switches come from the base (`rolo.adapters._emulator.Emulator`):
`fail_every(n, status)`, `drop_every(n)`, `delay(seconds)`, `rate_limit(limit, window)`, `clear_faults()`.

Endpoints: every one in the document's table:
``POST|GET /v1/{contacts,companies,deals,activities}``, ``GET|PATCH|DELETE /v1/{…}/:id``,
``POST /v1/contacts/batch``, ``GET /v1/search``, ``GET|POST /v1/schema/fields``,
``DELETE /v1/schema/fields/:id``, ``GET|POST /v1/associations``, ``DELETE /v1/associations/:id``,
``GET|POST /v1/webhooks``, ``PATCH|DELETE /v1/webhooks/:id``, ``POST /v1/webhooks/:id/replay/:deliveryId``.

Where the document is silent or ambiguous, and what this emulator does
----------------------------------------------------------------------
The seeds README asks each emulator to choose what a careful real server would do and write it down. An
adapter should tolerate the plausible alternatives (noted where they matter).

1. Keys and workspace. One workspace. Accepted keys: `api_key` (a fixed ``sk_test_`` key) and any added with
   `add_api_key()`; test and live keys behave alike. No ``Authorization`` header: 401 ``missing_api_key``.
   Another scheme, a key without the ``sk_test_``/``sk_live_`` prefix, or an unknown key: 401
   ``invalid_api_key``. 401 answers carry ``WWW-Authenticate: Bearer``.
2. Error codes. The document names only ``idempotency_conflict``; the others are chosen here, all in the
   documented body ``{"error": {"code", "message"}}``: 400 ``invalid_request`` (malformed JSON, a body that
   is not an object, a bad Idempotency-Key), 400 ``invalid_parameter`` (bad ``limit``, unknown or repeated
   query parameter, missing ``q``), 400 ``invalid_cursor``, 400 ``invalid_filter``, 400 ``validation_error``
   (a body field: its message starts with the field's path, e.g. ``metadata.plan: …`` or
   ``contacts[3].email: …``), 400 ``batch_too_large``, 401 as above, 404 ``not_found`` (unknown id or path),
   405 ``method_not_allowed`` (with ``Allow``), 409 ``duplicate_record``, 409 ``idempotency_conflict``,
   415 ``unsupported_media_type`` (a body sent without ``Content-Type: application/json``), 429
   ``rate_limited``, 500 ``internal_error``. Validation errors are 400, not 422.
3. Success statuses. Creates answer 201 with the object; the batch 200; reads and PATCH 200; DELETE 200 with
   ``{"id", "object", "deleted": true}``; a webhook replay 202 with the delivery.
4. Objects. Every object has ``id`` (documented prefix: ``con_``, ``cmp_``, ``deal_``, ``act_``; and chosen
   ones: ``fld_`` schema fields, ``asc_`` associations, ``whe_`` webhook endpoints, ``dlv_`` deliveries,
   ``evt_`` events), ``object`` (``contact``, ``company``, ``deal``, ``activity``, ``schema_field``,
   ``association``, ``webhook_endpoint``), every documented field (null when unset), ``metadata`` (``{}``
   when empty), ``created_at`` and ``updated_at``: ISO 8601 UTC with microseconds,
   ``2026-07-02T10:00:00.123456Z``. Timestamps increase strictly across the whole workspace (even across
   `reset()`), so ``filter[updated_at][gt]=<last seen>`` pulls every change since. Associations have
   ``created_at`` only (they never change).
5. Writes are strict. An unknown body field, or a read-only one (``id``, ``object``, ``created_at``,
   ``updated_at``), is a 400 ``validation_error``. Types: strings for text fields; ``email`` must look like
   ``local@domain.tld``; ``domain`` a host name; ``value_cents`` an integer >= 0; ``currency`` three capital
   letters; ``close_date`` ``YYYY-MM-DD``; ``occurred_at`` ISO 8601 with an offset (stored in UTC). A contact
   needs at least one of ``email``, ``first_name``, ``last_name``, ``phone``; a company ``name``; a deal
   ``title``; an activity ``type``. ``company_id``, ``primary_contact_id``, ``contact_id`` and ``deal_id``
   must name existing records (400 otherwise). Contact emails are unique in the workspace, compared without
   case (the document says the batch fails on duplicates unless ``dedup_on``): a duplicate is 409
   ``duplicate_record``, for single creates and PATCH too.
6. PATCH is partial: given fields replace, ``null`` clears; ``metadata`` merges key by key and a ``null``
   value removes the key. Every successful write advances ``updated_at``, even one that changes nothing.
7. Custom fields. ``metadata`` may only hold keys defined (``/v1/schema/fields``) for the object's type.
   Types: text a string, number a JSON number (not a boolean), date ``YYYY-MM-DD``, bool a JSON boolean,
   select one of ``options.choices``. Required fields are checked on the record as it stands after the write,
   so patching a record created before a required field existed must supply the field (the document: "every
   contact write must include a valid plan"). Definitions: ``object_type`` and ``type`` required, ``key``
   required and ``[a-z][a-z0-9_]{0,63}``, ``label`` defaults to the key, ``required`` defaults to false,
   ``options`` is ``{"choices": [distinct non-empty strings]}`` for select and absent for other types;
   ``(object_type, key)`` is unique (409). There is no PATCH for fields (the document lists none). Deleting a
   field removes its values from every record of that type, advancing their ``updated_at``.
8. Lists. Always ``{"object": "list", "data", "has_more", "next_cursor"}`` (the "Response shape" section
   leaves ``object`` out; the "Pagination" one has it). ``limit`` 1-200, default 50; a limit outside that
   range or not an integer is a 400 ``invalid_parameter``, not clamped. Oldest first. ``next_cursor`` is
   opaque and null when ``has_more`` is false; a bad one is 400 ``invalid_cursor``. A cursor marks a position,
   so records created during a walk come at its end and deletes do not shift pages; send the same filters
   with every page.
9. Filters, on every list. Fields: the object's documented fields, ``id``, ``created_at``, ``updated_at``,
   and custom fields as ``filter[metadata.KEY][op]`` (or ``filter[metadata][KEY][op]``);
   ``filter[field]=v`` and the shorthand ``?field=v`` mean ``eq``. Values are read by field type: numbers
   numerically, dates and timestamps as instants (``filter[updated_at][gt]=2026-07-02T10:00:00Z`` works;
   a timestamp needs an offset), booleans as ``true``/``false``. ``in`` takes comma-separated values
   (repeated ``in`` keys add up); ``ilike`` is SQL ILIKE on the whole value (``%`` any run, ``_`` one
   character, case-insensitive). The literal ``null`` with ``eq``/``neq``/``in`` matches unset fields.
   Emails compare without case. Filters combine with AND. Unknown fields or operators, or values of the
   wrong type: 400 ``invalid_filter``; any other unknown query parameter: 400 ``invalid_parameter``.
10. Batch. Body ``{"contacts": [...], "dedup_on": ["email"]}`` (``dedup_on`` optional; ``email`` is the only
    key it accepts). 1 to 500 contacts; more is 400 ``batch_too_large``. All or nothing: one invalid contact
    fails the whole batch and writes nothing. With ``dedup_on``, a contact whose email matches an existing
    contact (or an earlier one in the same batch) updates it with PATCH semantics; without it, a duplicate
    is 409 ``duplicate_record``. Answer 200 ``{"object": "batch_result", "data": [contacts in input order,
    as they stand after the batch], "created": [ids], "updated": [ids]}``; an id is listed once, under what
    first happened to it.
11. Idempotency. On every POST. A replay must match the first request's path and JSON body (compared as
    parsed JSON, so key order and whitespace do not matter); anything else under the same key is 409
    ``idempotency_conflict``. A replay answers the original status and body plus
    ``Idempotent-Replayed: true``. Kept: every answer a route gave, 2xx and 4xx; not kept: 401, 429, 5xx and
    injected faults (so a retry after them runs again). Keys are 1-255 characters (else 400
    ``invalid_request``), kept 24 hours; ignored on other methods.
12. Rate limits. No numbers in the document: 1000 requests per 60-second fixed window for the workspace.
    Every response (401 and 429 included) carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
    ``X-RateLimit-Reset`` (unix seconds, end of the window); over the limit: 429 ``rate_limited`` with
    ``Retry-After`` (seconds, at least 1). Requests refused with 401 are not counted. `rate_limit()` changes
    the numbers; `clear_faults()` and `reset()` restore these.
13. Relm-Version. "The API version is echoed": a ``Relm-Version`` request header is echoed back unchecked;
    without one the answer says ``2026-07-01``.
14. Associations. Types ``contact``, ``company``, ``deal``, ``activity``; both ends must exist (400
    ``validation_error``); ``label`` is an optional string; a record cannot link to itself; the same
    ``(from, to, label)`` twice is 409 ``duplicate_record``. Edges are directed as created: ``from_type`` and
    ``from_id`` filters match the from end only. Deleting a record deletes its edges. A contact's
    ``company_id`` is a field, not an association.
15. Deleting a record clears references to it (``company_id``, ``primary_contact_id``, ``contact_id``,
    ``deal_id``) in other records, advancing their ``updated_at`` (and sending ``*.updated`` events).
16. Search. ``q`` is required (400 ``invalid_parameter``). It is split into words; a record matches when
    every word is a case-insensitive substring of one of its text fields (contact: email, names, phone;
    company: name, domain; deal: title, stage; activity: type, subject, body) or of a text/select custom
    field. Results are contacts, then companies, deals, activities, each oldest first, as a list with
    ``limit``/``cursor``; each item carries its ``object``.
17. Webhooks are emulated. ``POST /v1/webhooks`` takes ``url`` (http/https), ``event_types`` (non-empty;
    ``contact|company|deal|activity.created|updated|deleted`` or ``*``) and optional ``enabled`` (default
    true); the ``secret`` (``whsec_…``) is shown only in the create answer. PATCH accepts the same fields.
    Each event is POSTed as ``{"id": "evt_…", "object": "event", "type", "created_at", "data": {"object":
    record}}`` (a deleted record as it was, plus ``"deleted": true``) with ``relm-signature:
    t=<unix>,v1=hex(HMAC_SHA256(secret, "<t>.<raw body>"))`` (the key is the whole ``whsec_…`` string,
    UTF-8; each attempt signs with its own ``t``), ``relm-event-id`` and ``relm-delivery-id``. A non-2xx
    answer or no answer is retried after ``0.1 s * 2**(attempt-1)`` (real Relm waits far longer; set
    ``emulator.outbox.backoff``) up to 8 attempts. Only loopback URLs are delivered to; others fail at once.
    A replay re-sends the same delivery (same event and id, a fresh signature, to the endpoint's current
    URL) as a new series of attempts. Deliveries have no list endpoint in the document:
    ``emulator.store.deliveries()`` shows them; ``emulator.wait_for_webhooks()`` waits for the queue to empty.
18. Deals and activities follow the same rules as contacts and companies (the document gives only their
    field names); rolo does not sync them, but associations and references need them.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import hashlib
import hmac
import itertools
import json
import math
import operator
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rolo.adapters._emulator import ApiError, Delivery, Emulator, Request, Response, route, split_key

__all__ = ["RelmEmulator", "RelmStore", "serve", "sign"]

OBJECT_TYPES = ("contact", "company", "deal", "activity")
FIELD_TYPES = ("text", "number", "date", "bool", "select")
EVENT_TYPES = frozenset(
    f"{kind}.{action}" for kind in OBJECT_TYPES for action in ("created", "updated", "deleted")
)
DEFAULT_LIMIT, MAX_LIMIT, MAX_BATCH = 50, 200, 500
API_VERSION = "2026-07-01"
IDEMPOTENCY_TTL = 24 * 3600

_PREFIX = {
    "contact": "con_",
    "company": "cmp_",
    "deal": "deal_",
    "activity": "act_",
    "field": "fld_",
    "association": "asc_",
    "webhook": "whe_",
    "delivery": "dlv_",
    "event": "evt_",
}
_API_OBJECT = {"field": "schema_field", "association": "association", "webhook": "webhook_endpoint"}

# Each object's writable fields and their types (custom fields live in `metadata`).
_FIELDS: dict[str, dict[str, str]] = {
    "contact": {
        "email": "email",
        "first_name": "text",
        "last_name": "text",
        "phone": "text",
        "company_id": "ref:company",
    },
    "company": {"name": "text", "domain": "domain"},
    "deal": {
        "title": "text",
        "value_cents": "cents",
        "currency": "currency",
        "stage": "text",
        "close_date": "date",
        "company_id": "ref:company",
        "primary_contact_id": "ref:contact",
    },
    "activity": {
        "type": "text",
        "subject": "text",
        "body": "text",
        "contact_id": "ref:contact",
        "deal_id": "ref:deal",
        "company_id": "ref:company",
        "occurred_at": "datetime",
    },
}
_NEEDS_ONE_OF = {
    "contact": ("email", "first_name", "last_name", "phone"),
    "company": ("name",),
    "deal": ("title",),
    "activity": ("type",),
}
_SEARCHABLE = {
    "contact": ("email", "first_name", "last_name", "phone"),
    "company": ("name", "domain"),
    "deal": ("title", "stage"),
    "activity": ("type", "subject", "body"),
}
_READ_ONLY = ("id", "object", "created_at", "updated_at")
_ABSENT = object()  # in the write journal: the key was not in the table

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_DOMAIN = re.compile(r"(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ENUM_TYPES = "enum:" + ",".join(OBJECT_TYPES)


def _invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def _format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp with an offset (or a bare date, read as midnight UTC); ValueError otherwise."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return moment


def _parse_date(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{text!r} is not a YYYY-MM-DD date")
    return date.fromisoformat(text)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Relm's webhook signature: hex HMAC-SHA256 keyed by the `whsec_…` secret over `"<timestamp>.<body>"`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


# -- filters and cursors ---------------------------------------------------------------------------------

_ORDERING = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "ilike", "in")
# A stored field type -> how a filter reads its values.
_FILTER_KIND = {
    "text": "string",
    "email": "email",
    "domain": "string",
    "currency": "string",
    "cents": "number",
    "date": "date",
    "datetime": "datetime",
    "number": "number",
    "bool": "bool",
    "select": "string",
}


def _read_value(kind: str, value: Any) -> Any:
    """A stored value or a query string, as the filter of `kind` compares it (None stays None)."""
    if value is None:
        return None
    if kind == "email":
        return str(value).casefold()
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number
    if kind == "date":
        return _parse_date(value) if isinstance(value, str) else value
    if kind == "datetime":
        return _parse_instant(value) if isinstance(value, str) else value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise ValueError(f"{value!r} is not true or false")
    if kind.startswith("enum:") and value not in kind[5:].split(","):
        raise ValueError(f"{value!r} is not one of {kind[5:].replace(',', ', ')}")
    return value


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    if path.startswith("metadata."):
        return record["metadata"].get(path[len("metadata.") :])
    return record.get(path)


def _like(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class _Filter:
    """One `filter[path][op]=values` condition."""

    path: str
    op: str
    kind: str
    values: tuple[Any, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        actual = _read_value(self.kind, _lookup(record, self.path))
        wanted = self.values[0]
        if self.op == "eq":
            return bool(actual == wanted)
        if self.op == "neq":
            return bool(actual != wanted)
        if self.op == "in":
            return actual in self.values
        if self.op == "ilike":
            return isinstance(actual, str) and wanted.fullmatch(actual) is not None
        return actual is not None and bool(_ORDERING[self.op](actual, wanted))


def _make_filter(path: str, op: str, raw: str, types: Mapping[str, str]) -> _Filter:
    def bad(message: str) -> ApiError:
        return ApiError(400, "invalid_filter", message)

    kind = types.get(path)
    if kind is None:
        raise bad(f"cannot filter on {path!r}; filterable: {', '.join(sorted(types))}")
    if op not in _OPS:
        raise bad(f"unknown filter operator {op!r}; use one of {', '.join(_OPS)}")
    if op == "ilike":
        if kind not in ("string", "email"):
            raise bad(f"ilike needs a text field; {path!r} is not one")
        return _Filter(path, op, kind, (_like(raw),))
    if op in _ORDERING and kind == "bool":
        raise bad(f"{op} does not apply to the true/false field {path!r}")
    try:
        values = tuple(
            None if item == "null" else _read_value(kind, item)
            for item in (raw.split(",") if op == "in" else [raw])
        )
    except ValueError as err:
        raise bad(f"filter on {path!r}: {err}") from None
    if op in _ORDERING and values[0] is None:
        raise bad(f"{op} needs a value, not null")
    return _Filter(path, op, kind, values)


def _encode_cursor(key: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"relm:{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[int, int]:
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(text) from None
    match = re.fullmatch(r"relm:(\d+):(\d+)", decoded)
    if match is None:
        raise ValueError(text)
    return int(match[1]), int(match[2])


# -- the workspace ---------------------------------------------------------------------------------------

_ABSENT: Any = object()
Key = tuple[int, int]


@dataclass
class _Saved:
    """An answer kept under an Idempotency-Key."""

    fingerprint: tuple[str, str]
    status: int
    body: Any
    expires: float


@dataclass
class _DeliveryInfo:
    delivery: Delivery
    webhook_id: str
    event: dict[str, Any]


class RelmStore:
    """One Relm workspace in memory: records, custom field definitions, edges, webhooks, idempotency keys.

    Every method takes the emulator's global lock, so a test may call them from any thread. Records handed
    out are copies. Writes validate as the API does and raise `ApiError` (400/404/409).
    """

    def __init__(
        self,
        lock: Any,
        send: Callable[[Delivery], None] | None = None,
        cancel: Callable[[Delivery], None] | None = None,
    ) -> None:
        self._lock = lock
        self._send = send or (lambda delivery: None)
        self._cancel = cancel or (lambda delivery: None)
        self._clock: datetime | None = None  # kept across clear(): timestamps never go back
        self._serial = 0
        self.clear()

    def clear(self) -> None:
        """Empty the workspace."""
        with self._lock:
            self._records: dict[str, dict[str, dict[str, Any]]] = {
                kind: {} for kind in (*OBJECT_TYPES, "field", "association", "webhook")
            }
            self._order: dict[str, int] = {}
            # casefolded email -> contact id: the uniqueness check and the batch's dedup_on look-up would
            # otherwise scan every contact for every write (quadratic over a 10,000-contact push)
            self._by_email: dict[str, str] = {}
            self._secrets: dict[str, str] = {}
            self._deliveries: dict[str, _DeliveryInfo] = {}
            self._idempotency: dict[str, _Saved] = {}
            self._pending: list[tuple[str, dict[str, Any]]] | None = None
            # (table, key, value it held or _ABSENT) for each change of the write under way
            self._journal: list[tuple[dict[str, Any], str, Any]] | None = None
            self._generation = 0  # moves on with every change: `ordered` re-sorts only then
            self._sorted: dict[tuple[str, int], tuple[int, list[tuple[Key, dict[str, Any]]]]] = {}

    # -- reading ---------------------------------------------------------------------------------------

    def get(self, object_type: str, ident: str) -> dict[str, Any]:
        """A copy of one record (`object_type` also "field", "association", "webhook"); 404 if missing."""
        with self._lock:
            return copy.deepcopy(self._get(object_type, ident))

    def records(self, object_type: str) -> list[dict[str, Any]]:
        """Copies of every record of a type, oldest first."""
        with self._lock:
            return [copy.deepcopy(record) for _, record in self.ordered(object_type)]

    def contacts(self) -> list[dict[str, Any]]:
        """Every contact, oldest first."""
        return self.records("contact")

    def ordered(self, object_type: str, rank: int = 0) -> list[tuple[Key, dict[str, Any]]]:
        """The stored records of a type with their sort keys, oldest first (not copies: read only).

        Sorted once per state of the store: a client paging through a million contacts would otherwise
        have the whole table sorted for every page of 200."""
        with self._lock:
            cached = self._sorted.get((object_type, rank))
            if cached is not None and cached[0] == self._generation:
                return cached[1]
            table = self._records[object_type]
            items = sorted(((rank, self._order[ident]), record) for ident, record in table.items())
            self._sorted[(object_type, rank)] = (self._generation, items)
            return items

    def filter_types(self, object_type: str) -> dict[str, str]:
        """The fields a list of `object_type` can be filtered on, with the filter kind of each."""
        types = {"id": "string", "created_at": "datetime"}
        if object_type in OBJECT_TYPES:
            types["updated_at"] = "datetime"
            types.update(
                {name: _FILTER_KIND.get(kind, "string") for name, kind in _FIELDS[object_type].items()}
            )
            with self._lock:
                for spec in self._records["field"].values():
                    if spec["object_type"] == object_type:
                        types[f"metadata.{spec['key']}"] = _FILTER_KIND[spec["type"]]
        elif object_type == "field":
            types.update(
                updated_at="datetime",
                object_type=_ENUM_TYPES,
                key="string",
                label="string",
                type="enum:" + ",".join(FIELD_TYPES),
                required="bool",
            )
        elif object_type == "association":
            types.update(
                from_type=_ENUM_TYPES, from_id="string", to_type=_ENUM_TYPES, to_id="string", label="string"
            )
        elif object_type == "webhook":
            types.update(updated_at="datetime", url="string", enabled="bool")
        return types

    def search(self, query: str) -> list[tuple[Key, dict[str, Any]]]:
        """The records matching every word of `query`: contacts, companies, deals, activities."""
        words = query.casefold().split()
        found = []
        with self._lock:
            text_fields = {
                (spec["object_type"], spec["key"])
                for spec in self._records["field"].values()
                if spec["type"] in ("text", "select")
            }
            for rank, kind in enumerate(OBJECT_TYPES):
                for key, record in self.ordered(kind, rank):
                    texts = [record[name].casefold() for name in _SEARCHABLE[kind] if record[name]]
                    texts += [
                        value.casefold()
                        for name, value in record["metadata"].items()
                        if (kind, name) in text_fields and isinstance(value, str)
                    ]
                    if all(any(word in text for text in texts) for word in words):
                        found.append((key, record))
        return found

    # -- writing records -------------------------------------------------------------------------------

    def create(self, object_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a contact, company, deal or activity from an API body; returns it."""
        with self._writing():
            return copy.deepcopy(self._create(object_type, data))

    def update(self, object_type: str, ident: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH a record: given fields replace, null clears, metadata merges; returns it."""
        with self._writing():
            return copy.deepcopy(self._update(object_type, ident, data))

    def delete(self, object_type: str, ident: str) -> dict[str, Any]:
        """Delete a record, its edges and references to it; returns `{id, object, deleted: true}`."""
        with self._writing():
            return self._delete(object_type, ident)

    def create_contact(self, **fields: Any) -> dict[str, Any]:
        """Create a contact as a user of Relm's web app would: `create_contact(email=…, metadata={…})`."""
        return self.create("contact", fields)

    def update_contact(self, ident: str, **fields: Any) -> dict[str, Any]:
        """Change a contact as a user of the web app would."""
        return self.update("contact", ident, fields)

    def delete_contact(self, ident: str) -> dict[str, Any]:
        """Delete a contact as a user of the web app would."""
        return self.delete("contact", ident)

    def create_company(self, **fields: Any) -> dict[str, Any]:
        """Create a company as a user of the web app would."""
        return self.create("company", fields)

    def upsert_contacts(self, contacts: Any, dedup_on: Any = None) -> dict[str, Any]:
        """The batch endpoint: create (or, with `dedup_on=["email"]`, upsert) up to 500 contacts at once."""
        if not isinstance(contacts, list) or not contacts:
            raise _invalid("contacts must be a non-empty array of contact objects")
        if len(contacts) > MAX_BATCH:
            raise ApiError(
                400, "batch_too_large", f"a batch takes at most {MAX_BATCH} contacts, not {len(contacts)}"
            )
        if dedup_on is not None and (
            not isinstance(dedup_on, list) or any(key != "email" for key in dedup_on)
        ):
            raise _invalid(
                'dedup_on must be ["email"] (email is the only key contacts can be deduplicated on)'
            )
        with self._writing():
            created: list[str] = []
            updated: list[str] = []
            order: list[str] = []
            for index, item in enumerate(contacts):
                where = f"contacts[{index}]."
                match = None
                if dedup_on and isinstance(item, dict) and isinstance(item.get("email"), str):
                    match = self._contact_by_email(item["email"])
                if match is None:
                    ident = self._create("contact", item, where)["id"]
                    created.append(ident)
                else:
                    ident = self._update("contact", match["id"], item, where)["id"]
                    if ident not in created and ident not in updated:
                        updated.append(ident)
                order.append(ident)
            data = [copy.deepcopy(self._records["contact"][ident]) for ident in order]
            return {"object": "batch_result", "data": data, "created": created, "updated": updated}

    # -- custom fields and associations ----------------------------------------------------------------

    def create_field(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Define a custom field from an API body; returns the definition."""
        with self._writing():
            return copy.deepcopy(self._insert("field", self._prepare_field(data)))

    def define_field(
        self,
        object_type: str,
        key: str,
        type: str = "text",
        *,
        label: str | None = None,
        required: bool = False,
        choices: list[str] | None = None,
    ) -> dict[str, Any]:
        """Define a custom field, as on Relm's Schema page: `define_field("contact", "plan", "select", …)`."""
        data: dict[str, Any] = {"object_type": object_type, "key": key, "type": type, "required": required}
        if label is not None:
            data["label"] = label
        if choices is not None:
            data["options"] = {"choices": choices}
        return self.create_field(data)

    def delete_field(self, ident: str) -> dict[str, Any]:
        """Remove a custom field and its values from every record of its type."""
        with self._writing():
            spec = self._get("field", ident)
            self._remove(self._records["field"], ident)
            kind, key = spec["object_type"], spec["key"]
            for record_id, record in list(self._records[kind].items()):
                if key in record["metadata"]:
                    metadata = {name: value for name, value in record["metadata"].items() if name != key}
                    self._replace(kind, record_id, {"metadata": metadata})
            return {"id": ident, "object": _API_OBJECT["field"], "deleted": True}

    def create_association(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Link two records from an API body; returns the edge."""
        with self._writing():
            return copy.deepcopy(self._insert("association", self._prepare_association(data)))

    def link(self, from_id: str, to_id: str, label: str | None = None) -> dict[str, Any]:
        """Link two records by id (their types follow from the id prefixes)."""
        return self.create_association(
            {
                "from_type": self._type_of(from_id),
                "from_id": from_id,
                "to_type": self._type_of(to_id),
                "to_id": to_id,
                "label": label,
            }
        )

    def delete_association(self, ident: str) -> dict[str, Any]:
        """Unlink."""
        with self._writing():
            self._get("association", ident)
            self._remove(self._records["association"], ident)
            return {"id": ident, "object": "association", "deleted": True}

    # -- webhooks --------------------------------------------------------------------------------------

    def create_webhook(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Subscribe an endpoint; the answer (only this one) includes its `secret`."""
        with self._writing():
            record = self._insert("webhook", self._prepare_webhook(data, None))
            self._put(self._secrets, record["id"], "whsec_" + secrets.token_hex(24))
            return {**copy.deepcopy(record), "secret": self._secrets[record["id"]]}

    def update_webhook(self, ident: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Change an endpoint's url, event_types or enabled."""
        with self._writing():
            current = self._get("webhook", ident)
            return copy.deepcopy(self._replace("webhook", ident, self._prepare_webhook(data, current)))

    def delete_webhook(self, ident: str) -> dict[str, Any]:
        """Delete an endpoint; its queued deliveries are cancelled."""
        with self._writing():
            self._get("webhook", ident)
            self._remove(self._records["webhook"], ident)
            for info in self._deliveries.values():
                if info.webhook_id == ident:
                    self._cancel(info.delivery)
            return {"id": ident, "object": "webhook_endpoint", "deleted": True}

    def replay(self, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        """Send a delivery again (same event, fresh signature) to the endpoint's current URL."""
        with self._lock:
            webhook = self._get("webhook", webhook_id)
            info = self._deliveries.get(delivery_id)
            if info is None or info.webhook_id != webhook_id:
                raise ApiError(404, "not_found", f"no delivery {delivery_id!r} for webhook {webhook_id!r}")
            self._cancel(info.delivery)  # a replay replaces any attempt still queued
            info.delivery.url, info.delivery.attempts = webhook["url"], 0
            info.delivery.last_status_code = info.delivery.last_error = None
            self._send(info.delivery)
            return self._describe(info)

    def deliveries(self, webhook_id: str | None = None) -> list[dict[str, Any]]:
        """Every webhook delivery (oldest first): status, attempts, last answer, and the event sent."""
        with self._lock:
            return [
                self._describe(info)
                for info in self._deliveries.values()
                if webhook_id is None or info.webhook_id == webhook_id
            ]

    def webhook_secret(self, ident: str) -> str:
        """An endpoint's signing secret (for tests that lost the create answer)."""
        with self._lock:
            self._get("webhook", ident)
            return self._secrets[ident]

    # -- idempotency -----------------------------------------------------------------------------------

    def saved_response(self, key: str) -> _Saved | None:
        """The answer kept under an Idempotency-Key, if any and not expired."""
        with self._lock:
            saved = self._idempotency.get(key)
            if saved is not None and saved.expires < time.time():
                del self._idempotency[key]
                return None
            return saved

    def save_response(self, key: str, fingerprint: tuple[str, str], response: Response) -> None:
        """Keep an answer under an Idempotency-Key for 24 hours."""
        with self._lock:
            self._idempotency[key] = _Saved(
                fingerprint, response.status, copy.deepcopy(response.body), time.time() + IDEMPOTENCY_TTL
            )

    # -- internals -------------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """All or nothing: on an error the tables come back as they were; events go out only on success.

        Every change to a table goes through `_put`/`_remove`, which journal the value they replace, so a
        refused batch is undone in the time it took (a snapshot of the tables would cost the whole store
        on every write: a million-contact push slowed to hundreds a second).
        """
        with self._lock:
            if self._pending is not None:  # nested in another write
                yield
                return
            self._pending, self._journal = [], []
            try:
                yield
            except BaseException:
                for table, key, previous in reversed(self._journal):
                    if previous is _ABSENT:
                        table.pop(key, None)
                    else:
                        table[key] = previous
                self._generation += 1
                self._pending = self._journal = None
                raise
            events, self._pending, self._journal = self._pending, None, None
            for event_type, record in events:
                self._fan_out(event_type, record)

    def _put(self, table: dict[str, Any], key: str, value: Any) -> None:
        if self._journal is not None:
            self._journal.append((table, key, table.get(key, _ABSENT)))
        table[key] = value
        self._generation += 1

    def _remove(self, table: dict[str, Any], key: str) -> None:
        if self._journal is not None:
            self._journal.append((table, key, table[key]))
        del table[key]
        self._generation += 1

    def _tick(self) -> str:
        now = datetime.now(UTC)
        if self._clock is not None and now <= self._clock:
            now = self._clock + timedelta(microseconds=1)
        self._clock = now
        return _format_instant(now)

    def _get(self, object_type: str, ident: str) -> dict[str, Any]:
        record = self._records[object_type].get(ident)
        if record is None:
            name = _API_OBJECT.get(object_type, object_type).replace("_", " ")
            raise ApiError(404, "not_found", f"no {name} with id {ident!r}")
        return record

    def _type_of(self, ident: str) -> str:
        for kind in OBJECT_TYPES:
            if ident.startswith(_PREFIX[kind]):
                return kind
        raise _invalid(f"{ident!r} is not the id of a contact, company, deal or activity")

    def _emit(self, event_type: str, record: dict[str, Any]) -> None:
        assert self._pending is not None, "events are only emitted inside _writing()"
        self._pending.append((event_type, copy.deepcopy(record)))

    def _insert(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        self._serial += 1
        ident = _PREFIX[kind] + secrets.token_hex(12)
        now = self._tick()
        record = {"id": ident, "object": _API_OBJECT.get(kind, kind), **fields, "created_at": now}
        if kind != "association":
            record["updated_at"] = now
        self._put(self._records[kind], ident, record)
        self._put(self._order, ident, self._serial)
        self._index_email(kind, None, record)
        if kind in OBJECT_TYPES:
            self._emit(f"{kind}.created", record)
        return record

    def _replace(self, kind: str, ident: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        previous = self._records[kind][ident]
        record = {**previous, **changes}
        record["updated_at"] = self._tick()
        self._put(self._records[kind], ident, record)
        self._index_email(kind, previous, record)
        if kind in OBJECT_TYPES:
            self._emit(f"{kind}.updated", record)
        return record

    def _create(self, kind: str, data: Any, where: str = "") -> dict[str, Any]:
        if kind not in OBJECT_TYPES:
            raise ValueError(f"unknown object type {kind!r}")
        return self._insert(kind, self._prepare(kind, data, None, where))

    def _update(self, kind: str, ident: str, data: Any, where: str = "") -> dict[str, Any]:
        current = self._get(kind, ident)
        return self._replace(kind, ident, self._prepare(kind, data, current, where))

    def _delete(self, kind: str, ident: str) -> dict[str, Any]:
        record = self._get(kind, ident)
        self._remove(self._records[kind], ident)
        self._remove(self._order, ident)
        self._index_email(kind, record, None)
        self._emit(f"{kind}.deleted", {**record, "deleted": True})
        for edge_id, edge in list(self._records["association"].items()):
            if (edge["from_type"], edge["from_id"]) == (kind, ident) or (edge["to_type"], edge["to_id"]) == (
                kind,
                ident,
            ):
                self._remove(self._records["association"], edge_id)
        for other_kind, spec in _FIELDS.items():
            refs = [name for name, field_type in spec.items() if field_type == f"ref:{kind}"]
            for other_id, other in list(self._records[other_kind].items()):
                cleared = {name: None for name in refs if other[name] == ident}
                if cleared:
                    self._replace(other_kind, other_id, cleared)
        return {"id": ident, "object": kind, "deleted": True}

    def _index_email(self, kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if kind != "contact":
            return
        if old is not None and old.get("email") and self._by_email.get(old["email"].casefold()) == old["id"]:
            self._remove(self._by_email, old["email"].casefold())
        if new is not None and new.get("email"):
            self._put(self._by_email, new["email"].casefold(), new["id"])

    def _contact_by_email(self, email: str) -> dict[str, Any] | None:
        ident = self._by_email.get(email.casefold())
        return self._records["contact"].get(ident) if ident is not None else None

    def _prepare(self, kind: str, data: Any, current: dict[str, Any] | None, where: str) -> dict[str, Any]:
        """Validate a create (current None) or PATCH body; the record's fields as they will be stored."""
        if not isinstance(data, Mapping):
            raise _invalid(
                f"{where[:-1]}: must be a JSON object" if where else "the body must be a JSON object"
            )
        spec = _FIELDS[kind]
        for name in data:
            if name in _READ_ONLY:
                raise _invalid(f"{where}{name}: read-only, cannot be written")
            if name not in spec and name != "metadata":
                raise _invalid(
                    f"{where}{name}: not a {kind} field (fields: {', '.join([*spec, 'metadata'])})"
                )
        fields = {name: (current or {}).get(name) for name in spec}
        for name, field_type in spec.items():
            if name in data:
                fields[name] = self._check(field_type, data[name], f"{where}{name}")
        needs = _NEEDS_ONE_OF[kind]
        if not any(fields[name] not in (None, "") for name in needs):
            what = needs[0] if len(needs) == 1 else "one of " + ", ".join(needs)
            raise _invalid(f"{where}{needs[0]}: a {kind} needs {what}")
        fields["metadata"] = self._merge_metadata(
            kind, data.get("metadata", _ABSENT), current["metadata"] if current else {}, where
        )
        if kind == "contact" and fields["email"] is not None:
            other = self._contact_by_email(fields["email"])
            if other is not None and (current is None or other["id"] != current["id"]):
                raise ApiError(
                    409,
                    "duplicate_record",
                    f"{where}email: a contact with email {fields['email']!r} already exists "
                    f'({other["id"]}); pass dedup_on: ["email"] to the batch endpoint to upsert',
                )
        return fields

    def _check(self, field_type: str, value: Any, where: str) -> Any:
        """One core field's value, validated (and normalised for timestamps)."""
        if value is None:
            return None
        if field_type == "cents":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _invalid(f"{where}: must be a whole number of cents >= 0")
            return value
        if not isinstance(value, str):
            raise _invalid(f"{where}: must be a string")
        if field_type == "email" and not _EMAIL.fullmatch(value):
            raise _invalid(f"{where}: {value!r} is not a valid email address")
        if field_type == "domain" and not _DOMAIN.fullmatch(value):
            raise _invalid(f"{where}: {value!r} is not a domain name")
        if field_type == "currency" and not re.fullmatch(r"[A-Z]{3}", value):
            raise _invalid(f"{where}: {value!r} is not a three-letter ISO currency code")
        if field_type == "date":
            try:
                _parse_date(value)
            except ValueError:
                raise _invalid(f"{where}: {value!r} is not a YYYY-MM-DD date") from None
        if field_type == "datetime":
            try:
                return _format_instant(_parse_instant(value))
            except ValueError:
                raise _invalid(f"{where}: {value!r} is not an ISO 8601 timestamp with an offset") from None
        if field_type.startswith("ref:"):
            target = field_type[4:]
            if value not in self._records[target]:
                raise _invalid(f"{where}: no {target} with id {value!r}")
        return value

    def _merge_metadata(
        self, kind: str, given: Any, current: Mapping[str, Any], where: str
    ) -> dict[str, Any]:
        defined = {
            spec["key"]: spec for spec in self._records["field"].values() if spec["object_type"] == kind
        }
        merged = dict(current)
        if given is not _ABSENT:
            if not isinstance(given, Mapping):
                raise _invalid(f"{where}metadata: must be an object of custom field values")
            for key, value in given.items():
                spec = defined.get(key)
                if spec is None:
                    raise _invalid(f"{where}metadata.{key}: no custom field {key!r} is defined for {kind}s")
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = self._check_custom(spec, value, f"{where}metadata.{key}")
        for key, spec in defined.items():
            if spec["required"] and merged.get(key) is None:
                raise _invalid(
                    f"{where}metadata.{key}: required ({spec['label']!r} is a required {spec['type']} "
                    f"field on {kind}s)"
                )
        return merged

    @staticmethod
    def _check_custom(spec: Mapping[str, Any], value: Any, where: str) -> Any:
        field_type = spec["type"]
        if field_type == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        elif field_type == "bool":
            ok = isinstance(value, bool)
        elif field_type == "date":
            ok = isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
            if ok:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    ok = False
        else:
            ok = isinstance(value, str)
        if not ok:
            wanted = {"number": "a number", "bool": "true or false", "date": "a YYYY-MM-DD date"}
            raise _invalid(f"{where}: must be {wanted.get(field_type, 'a string')}, not {json.dumps(value)}")
        if field_type == "select" and value not in spec["options"]["choices"]:
            raise _invalid(f"{where}: {value!r} is not one of {', '.join(spec['options']['choices'])}")
        return value

    def _prepare_field(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise _invalid("the body must be a JSON object")
        allowed = ("object_type", "key", "label", "type", "required", "options")
        for name in data:
            if name not in allowed:
                raise _invalid(f"{name}: not a schema field property (properties: {', '.join(allowed)})")
        object_type, key, field_type = data.get("object_type"), data.get("key"), data.get("type")
        if object_type not in OBJECT_TYPES:
            raise _invalid(f"object_type: must be one of {', '.join(OBJECT_TYPES)}")
        if not isinstance(key, str) or not _FIELD_KEY.fullmatch(key):
            raise _invalid("key: must be 1-64 characters of a-z, 0-9 and _, starting with a letter")
        if field_type not in FIELD_TYPES:
            raise _invalid(f"type: must be one of {' | '.join(FIELD_TYPES)}")
        label = data.get("label", key)
        if not isinstance(label, str) or not label.strip():
            raise _invalid("label: must be a non-empty string")
        required = data.get("required", False)
        if not isinstance(required, bool):
            raise _invalid("required: must be true or false")
        options = data.get("options")
        if field_type == "select":
            choices = options.get("choices") if isinstance(options, Mapping) else None
            if (
                not isinstance(options, Mapping)
                or set(options) != {"choices"}
                or not isinstance(choices, list)
                or not choices
                or not all(isinstance(c, str) and c for c in choices)
                or len(set(choices)) != len(choices)
            ):
                raise _invalid('options: a select field needs {"choices": [distinct non-empty strings]}')
            options = {"choices": list(choices)}
        elif options is not None:
            raise _invalid(f"options: only select fields take options, not {field_type} fields")
        for spec in self._records["field"].values():
            if (spec["object_type"], spec["key"]) == (object_type, key):
                raise ApiError(
                    409,
                    "duplicate_record",
                    f"key: {object_type}s already have a custom field {key!r} ({spec['id']})",
                )
        return {
            "object_type": object_type,
            "key": key,
            "label": label,
            "type": field_type,
            "required": required,
            "options": options,
        }

    def _prepare_association(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise _invalid("the body must be a JSON object")
        allowed = ("from_type", "from_id", "to_type", "to_id", "label")
        for name in data:
            if name not in allowed:
                raise _invalid(f"{name}: not an association property (properties: {', '.join(allowed)})")
        for end in ("from", "to"):
            kind, ident = data.get(f"{end}_type"), data.get(f"{end}_id")
            if kind not in OBJECT_TYPES:
                raise _invalid(f"{end}_type: must be one of {', '.join(OBJECT_TYPES)}")
            if not isinstance(ident, str) or ident not in self._records[kind]:
                raise _invalid(f"{end}_id: no {kind} with id {ident!r}")
        label = data.get("label")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise _invalid("label: must be a non-empty string or null")
        if (data["from_type"], data["from_id"]) == (data["to_type"], data["to_id"]):
            raise _invalid("to_id: a record cannot be linked to itself")
        fields = {name: data.get(name) for name in allowed}
        for edge in self._records["association"].values():
            if all(edge[name] == fields[name] for name in allowed):
                raise ApiError(409, "duplicate_record", f"these records are already linked ({edge['id']})")
        return fields

    def _prepare_webhook(self, data: Any, current: Mapping[str, Any] | None) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise _invalid("the body must be a JSON object")
        allowed = ("url", "event_types", "enabled")
        for name in data:
            if name not in allowed:
                raise _invalid(f"{name}: not a webhook property (properties: {', '.join(allowed)})")
        fields = {"url": None, "event_types": None, "enabled": True, **(current or {})}
        fields = {name: fields[name] for name in allowed}
        fields.update({name: data[name] for name in allowed if name in data})
        url = fields["url"]
        parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise _invalid("url: must be an http or https URL")
        types = fields["event_types"]
        if not isinstance(types, list) or not types or not all(t == "*" or t in EVENT_TYPES for t in types):
            raise _invalid(
                'event_types: a non-empty array of "<contact|company|deal|activity>.'
                '<created|updated|deleted>" or "*"'
            )
        if not isinstance(fields["enabled"], bool):
            raise _invalid("enabled: must be true or false")
        return fields

    def _fan_out(self, event_type: str, record: dict[str, Any]) -> None:
        """Queue a delivery of the event to every enabled endpoint subscribed to it."""
        endpoints = [
            hook
            for hook in self._records["webhook"].values()
            if hook["enabled"] and ("*" in hook["event_types"] or event_type in hook["event_types"])
        ]
        if not endpoints:
            return
        event_id = _PREFIX["event"] + secrets.token_hex(12)
        event: dict[str, Any] = {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created_at": self._tick(),
            "data": {"object": record},
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        for hook in endpoints:
            delivery_id = _PREFIX["delivery"] + secrets.token_hex(12)
            delivery = Delivery(
                delivery_id, hook["url"], body, _signer(self._secrets[hook["id"]], event_id, delivery_id)
            )
            self._deliveries[delivery_id] = _DeliveryInfo(delivery, hook["id"], event)
            self._send(delivery)

    @staticmethod
    def _describe(info: _DeliveryInfo) -> dict[str, Any]:
        delivery = info.delivery
        return {
            "id": delivery.id,
            "object": "webhook_delivery",
            "webhook_id": info.webhook_id,
            "event_id": info.event["id"],
            "event_type": info.event["type"],
            "url": delivery.url,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error,
            "event": copy.deepcopy(info.event),
        }


def _signer(secret: str, event_id: str, delivery_id: str) -> Callable[[bytes], dict[str, str]]:
    def headers(body: bytes) -> dict[str, str]:
        stamp = int(time.time())
        return {
            "relm-signature": f"t={stamp},v1={sign(secret, stamp, body)}",
            "relm-event-id": event_id,
            "relm-delivery-id": delivery_id,
        }

    return headers


# -- HTTP ------------------------------------------------------------------------------------------------


def _fingerprint(request: Request) -> tuple[str, str]:
    try:
        body = json.dumps(json.loads(request.body), sort_keys=True) if request.body.strip() else ""
    except (ValueError, UnicodeDecodeError):
        body = request.body.hex()
    return request.path, body


class RelmEmulator(Emulator):
    """The Relm API on 127.0.0.1: `url`, `api_key`, `store`, the base's fault switches and `reset()`."""

    name = "relm"
    default_rate_limit = (1000, 60.0)
    TEST_API_KEY = "sk_test_rolo0emulator0000000000000000"

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self._api_keys = {self.TEST_API_KEY}
        self.store = RelmStore(self.lock, send=self.outbox.send, cancel=self.outbox.cancel)

    @property
    def api_key(self) -> str:
        """The stable test key the emulator always accepts."""
        return self.TEST_API_KEY

    def add_api_key(self, key: str) -> None:
        """Accept another key (it must start with sk_test_ or sk_live_), until `reset()`."""
        if not key.startswith(("sk_test_", "sk_live_")):
            raise ValueError("Relm keys start with sk_test_ or sk_live_")
        with self.lock:
            self._api_keys.add(key)

    def revoke_api_key(self, key: str) -> None:
        """Stop accepting a key (the test key too: every request then answers 401)."""
        with self.lock:
            self._api_keys.discard(key)

    def reset_state(self) -> None:
        self._api_keys = {self.TEST_API_KEY}
        self.store.clear()

    # -- hooks -------------------------------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        challenge = {"WWW-Authenticate": "Bearer"}
        if request.header("Authorization") is None:
            raise ApiError(
                401,
                "missing_api_key",
                "send your API key as Authorization: Bearer sk_live_… or sk_test_…",
                headers=challenge,
            )
        token = request.bearer_token()
        if token is None:
            raise ApiError(
                401, "invalid_api_key", "use the Bearer scheme: Authorization: Bearer sk_…", headers=challenge
            )
        with self.lock:
            known = token in self._api_keys
        if not token.startswith(("sk_test_", "sk_live_")) or not known:
            raise ApiError(
                401, "invalid_api_key", "this API key is not valid for any workspace", headers=challenge
            )

    def fault_error(self, status: int) -> ApiError:
        if status == 401:
            return ApiError(
                401,
                "invalid_api_key",
                "injected fault: the API key was refused",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return super().fault_error(status)

    def finalize(self, request: Request, response: Response) -> None:
        response.headers["Relm-Version"] = request.header("Relm-Version") or API_VERSION

    def dispatch(self, request: Request, handler: Callable[[Request], Any]) -> Response:
        key = request.header("Idempotency-Key")
        if request.method != "POST" or key is None:
            return super().dispatch(request, handler)
        if not 0 < len(key) <= 255:
            return self.error_response(
                ApiError(400, "invalid_request", "Idempotency-Key must be 1-255 characters")
            )
        fingerprint = _fingerprint(request)
        saved = self.store.saved_response(key)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                return self.error_response(
                    ApiError(
                        409,
                        "idempotency_conflict",
                        f"Idempotency-Key {key!r} was already used with a different request; use a new key",
                    )
                )
            return Response(saved.status, copy.deepcopy(saved.body), {"Idempotent-Replayed": "true"})
        response = super().dispatch(request, handler)
        if response.status < 500:
            self.store.save_response(key, fingerprint, response)
        return response

    # -- helpers -----------------------------------------------------------------------------------------

    def _single(self, request: Request, name: str) -> str | None:
        values = request.query.getlist(name)
        if len(values) > 1:
            raise ApiError(400, "invalid_parameter", f"{name} was given {len(values)} times")
        return values[0] if values else None

    def _page(
        self,
        request: Request,
        items: list[tuple[Key, dict[str, Any]]],
        filter_types: Mapping[str, str] | None = None,
        plain: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """One page of a list: checks the query (limit, cursor, filters) and answers the list shape."""
        filters = self._filters(request, filter_types or {}, reserved=("limit", "cursor", *plain))
        raw_limit = self._single(request, "limit")
        if raw_limit is None:
            limit = DEFAULT_LIMIT
        elif re.fullmatch(r"\d{1,6}", raw_limit) and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            raise ApiError(400, "invalid_parameter", f"limit must be an integer from 1 to {MAX_LIMIT}")
        raw_cursor = self._single(request, "cursor")
        after: Key | None = None
        if raw_cursor is not None:
            try:
                after = _decode_cursor(raw_cursor)
            except ValueError:
                raise ApiError(400, "invalid_cursor", "cursor is not one this API handed out") from None
        # items are in key order: start after the cursor, stop at one past the page
        start = 0 if after is None else bisect.bisect_right(items, after, key=lambda item: item[0])
        matching = itertools.islice(
            (items[i] for i in range(start, len(items)) if all(f.matches(items[i][1]) for f in filters)),
            limit + 1,
        )
        page = list(matching)
        has_more = len(page) > limit
        page = page[:limit]
        return {
            "object": "list",
            "data": [copy.deepcopy(record) for _, record in page],
            "has_more": has_more,
            "next_cursor": _encode_cursor(page[-1][0]) if has_more else None,
        }

    def _filters(
        self, request: Request, types: Mapping[str, str], reserved: tuple[str, ...]
    ) -> list[_Filter]:
        filters: list[_Filter] = []
        for name, value in request.query.items():
            if name in reserved:
                continue
            base, parts = split_key(name)
            if base == "filter" and parts:
                if parts[0] == "metadata" and len(parts) in (2, 3):
                    path, op = f"metadata.{parts[1]}", (parts[2] if len(parts) == 3 else "eq")
                elif len(parts) <= 2:
                    path, op = parts[0], (parts[1] if len(parts) == 2 else "eq")
                else:
                    raise ApiError(400, "invalid_filter", f"{name}: use filter[field][op]=value")
            elif not parts and name in types:
                path, op = name, "eq"  # the documented shorthand: ?email=ada@example.com
            else:
                raise ApiError(400, "invalid_parameter", f"unknown query parameter {name!r}")
            made = _make_filter(path, op, value, types)
            same = next((f for f in filters if op == "in" and (f.path, f.op) == (path, "in")), None)
            if same is not None:  # repeated filter[x][in] keys add up
                filters[filters.index(same)] = _Filter(path, "in", made.kind, same.values + made.values)
            else:
                filters.append(made)
        return filters

    # -- contacts, companies, deals, activities ----------------------------------------------------------

    @route("POST", "/v1/contacts", object_type="contact")
    @route("POST", "/v1/companies", object_type="company")
    @route("POST", "/v1/deals", object_type="deal")
    @route("POST", "/v1/activities", object_type="activity")
    def create_record(self, request: Request) -> Response:
        """Create a record."""
        return Response(201, self.store.create(request.params["object_type"], self.read_json(request)))

    @route("GET", "/v1/contacts", object_type="contact")
    @route("GET", "/v1/companies", object_type="company")
    @route("GET", "/v1/deals", object_type="deal")
    @route("GET", "/v1/activities", object_type="activity")
    def list_records(self, request: Request) -> dict[str, Any]:
        """List records, filtered, one page at a time."""
        kind = request.params["object_type"]
        return self._page(request, self.store.ordered(kind), self.store.filter_types(kind))

    @route("GET", "/v1/contacts/{id}", object_type="contact")
    @route("GET", "/v1/companies/{id}", object_type="company")
    @route("GET", "/v1/deals/{id}", object_type="deal")
    @route("GET", "/v1/activities/{id}", object_type="activity")
    def get_record(self, request: Request) -> dict[str, Any]:
        """Retrieve a record."""
        self._filters(request, {}, reserved=())
        return self.store.get(request.params["object_type"], request.params["id"])

    @route("PATCH", "/v1/contacts/{id}", object_type="contact")
    @route("PATCH", "/v1/companies/{id}", object_type="company")
    @route("PATCH", "/v1/deals/{id}", object_type="deal")
    @route("PATCH", "/v1/activities/{id}", object_type="activity")
    def update_record(self, request: Request) -> dict[str, Any]:
        """Update a record."""
        kind, ident = request.params["object_type"], request.params["id"]
        self.store.get(kind, ident)  # 404 before looking at the body
        return self.store.update(kind, ident, self.read_json(request))

    @route("DELETE", "/v1/contacts/{id}", object_type="contact")
    @route("DELETE", "/v1/companies/{id}", object_type="company")
    @route("DELETE", "/v1/deals/{id}", object_type="deal")
    @route("DELETE", "/v1/activities/{id}", object_type="activity")
    def delete_record(self, request: Request) -> dict[str, Any]:
        """Delete a record."""
        return self.store.delete(request.params["object_type"], request.params["id"])

    @route("POST", "/v1/contacts/batch")
    def batch_contacts(self, request: Request) -> dict[str, Any]:
        """Bulk create, or upsert on email with dedup_on."""
        body = self.read_json(request)
        for name in body:
            if name not in ("contacts", "dedup_on"):
                raise _invalid(f"{name}: not a batch property (properties: contacts, dedup_on)")
        return self.store.upsert_contacts(body.get("contacts"), body.get("dedup_on"))

    @route("GET", "/v1/search")
    def search(self, request: Request) -> dict[str, Any]:
        """Search across contacts, companies, deals and activities."""
        query = self._single(request, "q")
        if query is None or not query.strip():
            raise ApiError(400, "invalid_parameter", "q is required: what to search for")
        return self._page(request, self.store.search(query), plain=("q",))

    # -- schema fields -----------------------------------------------------------------------------------

    @route("GET", "/v1/schema/fields")
    def list_fields(self, request: Request) -> dict[str, Any]:
        """List custom field definitions (?object_type=contact)."""
        return self._page(request, self.store.ordered("field"), self.store.filter_types("field"))

    @route("POST", "/v1/schema/fields")
    def create_field(self, request: Request) -> Response:
        """Define a custom field."""
        return Response(201, self.store.create_field(self.read_json(request)))

    @route("DELETE", "/v1/schema/fields/{id}")
    def delete_field(self, request: Request) -> dict[str, Any]:
        """Remove a custom field."""
        return self.store.delete_field(request.params["id"])

    # -- associations ------------------------------------------------------------------------------------

    @route("GET", "/v1/associations")
    def list_associations(self, request: Request) -> dict[str, Any]:
        """List edges, filtered by from_/to_ type and id."""
        return self._page(request, self.store.ordered("association"), self.store.filter_types("association"))

    @route("POST", "/v1/associations")
    def create_association(self, request: Request) -> Response:
        """Link two records."""
        return Response(201, self.store.create_association(self.read_json(request)))

    @route("DELETE", "/v1/associations/{id}")
    def delete_association(self, request: Request) -> dict[str, Any]:
        """Unlink."""
        return self.store.delete_association(request.params["id"])

    # -- webhooks ----------------------------------------------------------------------------------------

    @route("GET", "/v1/webhooks")
    def list_webhooks(self, request: Request) -> dict[str, Any]:
        """List webhook endpoints (without their secrets)."""
        return self._page(request, self.store.ordered("webhook"), self.store.filter_types("webhook"))

    @route("POST", "/v1/webhooks")
    def create_webhook(self, request: Request) -> Response:
        """Subscribe an endpoint; the answer carries its signing secret."""
        return Response(201, self.store.create_webhook(self.read_json(request)))

    @route("PATCH", "/v1/webhooks/{id}")
    def update_webhook(self, request: Request) -> dict[str, Any]:
        """Update an endpoint."""
        self.store.get("webhook", request.params["id"])
        return self.store.update_webhook(request.params["id"], self.read_json(request))

    @route("DELETE", "/v1/webhooks/{id}")
    def delete_webhook(self, request: Request) -> dict[str, Any]:
        """Delete an endpoint."""
        return self.store.delete_webhook(request.params["id"])

    @route("POST", "/v1/webhooks/{id}/replay/{delivery_id}")
    def replay_delivery(self, request: Request) -> Response:
        """Send a delivery again."""
        return Response(202, self.store.replay(request.params["id"], request.params["delivery_id"]))


def serve(port: int = 0) -> RelmEmulator:
    """Start a Relm emulator on 127.0.0.1 (`port` 0: any free port) and return it; call `stop()` when done.

    `emulator.url` is its base URL and `emulator.api_key` the key to use.
    """
    return RelmEmulator(port).start()
