"""Relm records ↔ the book's JSON contact object (`rolo.core.record.ContactRecord.to_json`).

A Relm contact is `{id, email, first_name, last_name, phone, company_id, metadata, created_at,
updated_at}`. What the adapter carries (`CARRIED_FIELDS`) and how:

==================  ===============================  =================================================
book key            Relm                             notes
==================  ===============================  =================================================
given_name          first_name                       empty string and null are both "none"
family_name         last_name
emails              email                            single: the book's primary (or first) address; a
                                                     pull replaces only that entry locally
phones              phone                            single, likewise; the number is sent as typed (not
                                                     its E.164 form), so a round trip changes nothing
organization        company_id → company name        see "Companies" below
custom_fields       metadata (every key but the      typed through the workspace schema, see below
                    reserved `rolo_labels`)
labels              metadata["rolo_labels"]          see "Labels" below
==================  ===============================  =================================================

**Not carried** (`NOT_CARRIED`; Relm's contact has no place for them, so the engine keeps the local values
and never clears them on a pull): formatted_name, prefix, additional_names, suffix, nickname, department,
title, birthday, addresses, urls, notes, starred, kind, and every email and phone but the primary one.
Labels of email/phone entries are not carried either (Relm has no place for them, so the adapter declares no
`Capabilities.entry_labels`: `label` is None both ways and the engine keeps the local one).

**Companies.** Relm links a contact to one company by `company_id`; the book has an organization name.
Pull: the company's `name` (companies are listed once per run and cached; a `company_id` that no longer
resolves reads as no organization). Push: the company whose name equals the organization, compared
case-insensitively and ignoring surrounding spaces; when none exists one is created with that name and,
when the contact's email is not at a free-mail provider (`rolo.core.emails.FREE_MAIL_DOMAINS`), the email's domain as `domain`.
Company creation carries an `Idempotency-Key` derived from the name and domain, so a create replayed after
a crash returns the same company. An empty organization sends `company_id: null`. Companies are never
renamed or deleted by rolo (another contact may use them), and associations (`/v1/associations`) are not
used for the contact's organization: `company_id` is the contact's own field.

**Custom fields.** Book fields are stored in `metadata` under their key (`field_key(name)`: lower case,
`-` as `_`), each defined in the workspace schema (`/v1/schema/fields`, object_type contact) before
records using it are pushed (`FieldSchema.prepare`). Book types map onto Relm's
`text | number | date | bool | select` like this (`RELM_TYPES`):

- text → text; number → number; date → date; bool → bool; select → select (choices = the options);
- textarea → text (newlines kept), url → text, datetime → text (ISO 8601): Relm has no such types, so the
  value travels as its text form and a book that defines the field reads it back with its own type (a
  book that first learns the field from Relm defines it as text);
- a multi-valued field (`multiple`) of any type → text holding the values as a list (see "Lists"), under
  the key `rolo_list_<key>`, so a pull knows to split it again (Relm allows options on select fields only,
  and a label can be edited in Relm's web app; a key cannot). Keys are at most 64 characters, so such a
  field's name may have at most 54.

Pull: a field's book name is its Relm display `label` (spaces read as `_`) when that spells the same name as
its key (`Tier` for the key `tier`, `Lead_Source` for `lead_source` labelled "Lead Source"; `field_name`),
else the key's: a field defined as `Tier` in one book (pushed with key `tier`, label `Tier`) arrives as `Tier`
in the next, and its values still go back under the key. A label naming another field than its key (key
`acct`, label "Account") is not taken, since rolo writes a field's values under `relm_key(name)`.

Names starting with `rolo_` are rolo's in Relm: a book field named `rolo_labels` or `rolo_list_…` is refused
(`RemoteRejected`, code `reserved_field`). Fields the engine did not `prepare` (a pull-only run, or a field
first seen in a record) are defined on first use, with the Relm type their value suggests (bool, number,
list → text list, else text).

A field that already exists remotely is reused when compatible: the same Relm type, or a Relm text field
(any value travels as text). Another type is refused (`RemoteRejected`, code `incompatible_field`) before
anything is pushed. A select field whose remote choices lack some book options is used as is; a record
whose value Relm does not accept is then refused by Relm alone. A *required* remote field the book does
not fill makes Relm refuse the records concerned (the engine reports them). Pull: every metadata key
but `rolo_labels` is a custom field, typed by its Relm definition (numbers stay numbers, bools bools,
dates `YYYY-MM-DD`); a metadata key with no definition is taken as it comes; a null value is left out.
When a field is removed in the book, the update sends `null` for its key (Relm merges `metadata` key by
key, and keeps keys that a PATCH does not mention); a `null` for a key Relm has no definition of is left out
(Relm refuses undefined keys, and there is nothing to clear).

**Labels.** Relm has no tags on contacts, so labels live in a reserved text custom field, `rolo_labels`
("rolo labels"), defined through the schema endpoint like any other, holding the labels as a list (see
"Lists"). No labels sends null. It never appears among the pulled custom fields.

**Lists** in a text value: the items joined by `", "`; a comma or backslash inside an item is escaped with a
backslash (`a\\, b`), as vCard does in CATEGORIES. Splitting trims spaces and drops empty items.

**Versions.** `RemoteRecord.version` is Relm's `updated_at`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rolo.core.errors import RemoteRejected, ValidationError
from rolo.core.fields import FieldDefinition, field_key, validate_field_name
from rolo.core.emails import is_free_mail

if TYPE_CHECKING:
    from rolo.adapters.relm.client import RelmClient, RelmCompany, RelmContact, RelmField

CARRIED_FIELDS = frozenset(
    {"given_name", "family_name", "emails", "phones", "organization", "custom_fields", "labels"}
)
SINGLE_FIELDS = frozenset({"emails", "phones"})
NOT_CARRIED = frozenset({
    "formatted_name", "prefix", "additional_names", "suffix", "nickname", "department", "title",
    "birthday", "addresses", "urls", "notes", "starred", "kind",
})
LABELS_KEY = "rolo_labels"
LABELS_LABEL = "rolo labels"
LIST_PREFIX = "rolo_list_"
KEY_MAX = 64
#: book field type → Relm field type
RELM_TYPES = {
    "text": "text",
    "textarea": "text",
    "number": "number",
    "date": "date",
    "datetime": "text",
    "bool": "bool",
    "select": "select",
    "url": "text",
}
#: Relm field type → book field type (for fields the book learns from Relm)
BOOK_TYPES = {"text": "text", "number": "number", "date": "date", "bool": "bool", "select": "select"}


# -- lists in text -------------------------------------------------------------------------------------------


def join_list(items: Iterable[Any]) -> str | None:
    """Items as one text value (`a, b\\, c`); None for no items."""
    parts = [str(i).replace("\\", "\\\\").replace(",", "\\,") for i in items if str(i).strip()]
    return ", ".join(p.strip() for p in parts) if parts else None


def split_list(text: Any) -> list[str]:
    """The items of a `join_list` value (a plain comma list reads the same way)."""
    if text is None:
        return []
    if isinstance(text, list):
        return [str(t).strip() for t in text if str(t).strip()]
    items, current, escaped = [], [], False
    for char in str(text):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [i.strip() for i in items if i.strip()]


# -- custom field schema -------------------------------------------------------------------------------------


def relm_key(name: str, *, multiple: bool = False) -> str:
    """The metadata key of a book field name (`rolo_list_<key>` for a multi-valued field)."""
    key = field_key(name)
    return LIST_PREFIX + key if multiple else key


def book_name(key: str) -> str:
    """The book field name of a metadata key (the inverse of `relm_key`), as the key spells it."""
    return key.removeprefix(LIST_PREFIX)


def field_name(key: str, relm_field: Mapping[str, Any] | None) -> str:
    """The book field name of a Relm field: its display `label` (spaces as `_`) when that names the same book
    field as its key (`field_key(label) == book_name(key)`, and a valid book field name), else the key's
    `book_name`. So a field a book defined as `Tier` (key `tier`, label `Tier`) reaches another book as
    `Tier`, and a pushed value still goes under the key (`relm_key` of the name is the key again)."""
    plain = book_name(key)
    label = (relm_field or {}).get("label")
    if isinstance(label, str):
        candidate = re.sub(r"\s+", "_", label.strip())
        if candidate and field_key(candidate) == plain:
            try:
                return validate_field_name(candidate)
            except ValidationError:
                pass
    return plain


def is_multiple(relm_field: Mapping[str, Any]) -> bool:
    """Whether a Relm field holds a rolo list (see the module docstring)."""
    return str(relm_field.get("key", "")).startswith(LIST_PREFIX) and relm_field.get("type") == "text"


def reserved(definition: FieldDefinition) -> str | None:
    """Why a book field cannot be stored in Relm under its name, or None."""
    key = field_key(definition.name)
    if key == LABELS_KEY or key.startswith(LIST_PREFIX):
        return f"custom field {definition.name!r}: names {LABELS_KEY!r} and {LIST_PREFIX}… are rolo's own in Relm"
    if len(relm_key(definition.name, multiple=definition.multiple)) > KEY_MAX:
        return f"custom field {definition.name!r}: too long for a Relm key (at most {KEY_MAX - len(LIST_PREFIX)} " \
               "characters for a multi-valued field)"
    return None


def relm_field_body(definition: FieldDefinition) -> dict[str, Any]:
    """The `/v1/schema/fields` body that defines a book field in Relm."""
    body: dict[str, Any] = {
        "object_type": "contact",
        "key": relm_key(definition.name, multiple=definition.multiple),
        "label": definition.name,
        "required": False,
    }
    if definition.multiple:
        body["type"] = "text"
    else:
        body["type"] = RELM_TYPES.get(definition.type, "text")
        if body["type"] == "select":
            body["options"] = {"choices": list(definition.options)}
    return body


def labels_field_body() -> dict[str, Any]:
    """The `/v1/schema/fields` body of the reserved labels field."""
    return {"object_type": "contact", "key": LABELS_KEY, "label": LABELS_LABEL, "type": "text", "required": False}


def incompatibility(definition: FieldDefinition, relm_field: Mapping[str, Any]) -> str | None:
    """Why a remote field cannot hold a book field's values, or None when it can."""
    remote_type = relm_field.get("type")
    wanted = relm_field_body(definition)["type"]
    if remote_type == wanted or remote_type == "text":
        return None
    return (
        f"custom field {definition.name!r} ({definition.type}{', multiple' if definition.multiple else ''}) "
        f"exists in Relm as {relm_field.get('key')!r} of type {remote_type!r}; rolo needs {wanted!r} or text"
    )


def book_definition(relm_field: Mapping[str, Any]) -> FieldDefinition:
    """A Relm field as a book field definition (for `Adapter.remote_fields`)."""
    multiple = is_multiple(relm_field)
    book_type = "text" if multiple else BOOK_TYPES.get(str(relm_field.get("type")), "text")
    options = relm_field.get("options") or {}
    choices = options.get("choices") if isinstance(options, Mapping) else None
    return FieldDefinition(
        name=field_name(str(relm_field["key"]), relm_field),
        type=book_type,
        options=[str(c) for c in choices] if book_type == "select" and isinstance(choices, list) else [],
        multiple=multiple,
    )


def encode_value(value: Any, relm_field: Mapping[str, Any] | None) -> Any:
    """A book custom field's JSON value as Relm's metadata value for that field."""
    if value is None or value == [] or value == "":
        return None
    remote_type = (relm_field or {}).get("type", "text")
    if relm_field is not None and is_multiple(relm_field) or isinstance(value, list):
        items = value if isinstance(value, list) else [value]
        if remote_type == "text" or len(items) != 1:
            return join_list(_text(v) for v in items)
        value = items[0]
    if remote_type == "text":
        return _text(value)
    if remote_type == "number" and isinstance(value, str):
        number = float(value)
        return int(number) if number.is_integer() else number
    if remote_type == "bool" and isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "y", "1", "on")
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode_value(value: Any, relm_field: Mapping[str, Any] | None) -> Any:
    """A Relm metadata value as the book's JSON value for the field."""
    if value is None:
        return None
    if relm_field is None:
        return value
    if is_multiple(relm_field):
        return split_list(value)
    remote_type = relm_field.get("type")
    if remote_type == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() else value
    if remote_type == "date" and isinstance(value, str):
        return value[:10]
    return value


# -- records -------------------------------------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _first(entries: Any, key: str) -> str | None:
    """The primary entry's `key` of a list of entries, else the first's."""
    if not entries:
        return None
    chosen = next((e for e in entries if isinstance(e, Mapping) and e.get("primary")), entries[0])
    return _clean(chosen.get(key)) if isinstance(chosen, Mapping) else _clean(chosen)


def metadata_key(name: str, value: Any, schema: Mapping[str, Mapping[str, Any]]) -> str:
    """The metadata key a book field's value goes under: the list key when the field is multi-valued
    remotely, or when the value is a list and the plain key is not defined."""
    plain, listed = relm_key(name), relm_key(name, multiple=True)
    if listed in schema and (plain not in schema or isinstance(value, list)):
        return listed
    if isinstance(value, list) and plain not in schema:
        return listed
    return plain


def to_book(
    contact: RelmContact | Mapping[str, Any],
    *,
    company_name: str | None,
    schema: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """A Relm contact as the book's `data`: every carried key present, empty ones empty.

    Args:
        contact: the contact as Relm returned it.
        company_name: the name of its company (resolved by the caller), or None.
        schema: the workspace's contact fields by key.
    """
    email = _clean(contact.get("email"))
    phone = _clean(contact.get("phone"))
    metadata = contact.get("metadata") or {}
    custom: dict[str, Any] = {}
    for key, raw in metadata.items():
        if key == LABELS_KEY:
            continue
        spec = schema.get(key)
        if spec is None and key.startswith(LIST_PREFIX):
            spec = {"key": key, "type": "text"}
        value = decode_value(raw, spec)
        if value is not None and value != []:
            custom[field_name(key, spec)] = value
    return {
        "given_name": _clean(contact.get("first_name")),
        "family_name": _clean(contact.get("last_name")),
        "emails": [{"address": email, "label": None, "primary": True}] if email else [],
        "phones": [{"number": phone, "e164": None, "label": None, "primary": True}] if phone else [],
        "organization": _clean(company_name),
        "labels": split_list(metadata.get(LABELS_KEY)),
        "custom_fields": custom,
    }


def to_relm(
    data: Mapping[str, Any],
    *,
    schema: Mapping[str, Mapping[str, Any]],
    keys: Iterable[str] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Relm body (create or PATCH) for the book's `data`, `company_id` excepted (the caller resolves it).

    Args:
        data: carried book keys.
        schema: the workspace's contact fields by key (to encode metadata values by their Relm type);
            a value for a key it lacks is encoded as `infer_field` would define it.
        keys: the book keys to send (a PATCH sends the changed ones); all carried keys present in
            `data` when None.
        previous: the record as last seen remotely; custom fields it had and `data` lacks are sent as
            null, so that Relm (which merges metadata) drops them.
    """
    wanted = set(data) & CARRIED_FIELDS if keys is None else set(keys) & CARRIED_FIELDS
    body: dict[str, Any] = {}
    if "given_name" in wanted:
        body["first_name"] = _clean(data.get("given_name"))
    if "family_name" in wanted:
        body["last_name"] = _clean(data.get("family_name"))
    if "emails" in wanted:
        body["email"] = _first(data.get("emails"), "address")
    if "phones" in wanted:
        body["phone"] = _first(data.get("phones"), "number")
    metadata: dict[str, Any] = {}
    if "custom_fields" in wanted:
        fields = data.get("custom_fields") or {}
        for name, value in fields.items():
            key = metadata_key(name, value, schema)
            spec = schema.get(key) or infer_field(key, value)
            metadata[key] = encode_value(value, spec)
        sent = {field_key(n) for n in fields}
        for name in (previous or {}).get("custom_fields") or {}:
            if field_key(name) in sent:
                continue
            for key in (relm_key(name), relm_key(name, multiple=True)):
                if key in schema:
                    metadata[key] = None
    if "labels" in wanted:
        labels = join_list(data.get("labels") or [])
        if labels is not None or LABELS_KEY in schema:
            metadata[LABELS_KEY] = labels
    # A null clears a value. One for a key Relm has no definition of would be refused, and a create has
    # nothing to clear: leaving its nulls out keeps a create's body the same whatever fields the workspace
    # has defined since, so a create replayed under its idempotency key after a crash matches the first.
    creating = keys is None and previous is None
    metadata = {k: v for k, v in metadata.items() if v is not None or (k in schema and not creating)}
    if metadata:
        body["metadata"] = metadata
    return body


def infer_field(key: str, value: Any) -> dict[str, Any]:
    """The Relm definition for a field rolo has no book definition of, from one of its values."""
    if key == LABELS_KEY:
        return labels_field_body()
    if key.startswith(LIST_PREFIX) or isinstance(value, list):
        kind = "text"
    elif isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, (int, float)):
        kind = "number"
    else:
        kind = "text"
    return {"object_type": "contact", "key": key, "label": book_name(key), "type": kind, "required": False}


def version_of(contact: Mapping[str, Any]) -> str | None:
    """The marker that changes whenever the contact changes: its `updated_at`."""
    value = contact.get("updated_at")
    return str(value) if value is not None else None


def email_domain(address: str | None) -> str | None:
    """The domain of a work email (None for a free-mail provider or no address)."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if not domain or "." not in domain or is_free_mail(domain):
        return None
    return domain


def _name_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip()).casefold()


# -- I/O helpers: companies and the schema, cached for one run ------------------------------------------------


class Companies:
    """Company id ↔ name for one run: listed once, created on demand."""

    def __init__(self, client: RelmClient) -> None:
        self.client = client
        self._by_id: dict[str, RelmCompany] | None = None
        self._by_name: dict[str, str] = {}

    def load(self) -> dict[str, RelmCompany]:
        """Every company by id (listed on first use)."""
        if self._by_id is None:
            self._by_id = {}
            for company in self.client.list_companies():
                self._remember(company)
        return self._by_id

    def _remember(self, company: RelmCompany) -> None:
        by_id = self.load() if self._by_id is None else self._by_id
        by_id[company["id"]] = company
        name = _clean(company.get("name"))
        if name:
            self._by_name.setdefault(_name_key(name), company["id"])

    def get(self, company_id: str | None) -> RelmCompany | None:
        """A company by id (fetched when the listing lacks it), or None (no id, or no such company)."""
        if not company_id:
            return None
        by_id = self.load()
        if company_id not in by_id:
            try:
                self._remember(self.client.get_company(company_id))
            except RemoteRejected as err:
                if err.status != 404:
                    raise
                return None
        return by_id[company_id]

    def name_for(self, company_id: str | None) -> str | None:
        """The name of a company, or None (no id, or a company that no longer exists)."""
        company = self.get(company_id)
        return _clean(company.get("name")) if company else None

    def changed_since(self, moment: datetime) -> list[RelmCompany]:
        """The companies whose `updated_at` is after `moment` (from the run's listing)."""
        changed = []
        for company in self.load().values():
            stamp = company.get("updated_at")
            try:
                when = datetime.fromisoformat(str(stamp)) if stamp else None
            except ValueError:
                when = None
            if when is not None and when.tzinfo is not None and when > moment:
                changed.append(company)
        return changed

    def id_for(self, name: str | None, *, email: str | None = None) -> str | None:
        """The id of the company named `name` (created when missing), or None for no name."""
        name = _clean(name)
        if not name:
            return None
        self.load()
        found = self._by_name.get(_name_key(name))
        if found:
            return found
        body: dict[str, Any] = {"name": name}
        domain = email_domain(email)
        if domain:
            body["domain"] = domain
        digest = hashlib.sha256(f"{_name_key(name)}\n{domain or ''}".encode()).hexdigest()[:32]
        company = self.client.create_company(body, idempotency_key=f"rolo-company-{digest}")
        headers = self.client.http.last_headers
        if headers is not None and headers.get("idempotent-replayed") == "true":
            # Relm answered a create of the last 24 hours again: make sure that company still exists
            try:
                company = self.client.get_company(company["id"])
            except RemoteRejected as err:
                if err.status != 404:
                    raise
                key = f"rolo-company-{digest}-{secrets.token_hex(8)}"
                company = self.client.create_company(body, idempotency_key=key)
        self._remember(company)
        return company["id"]


class FieldSchema:
    """The workspace's contact custom fields for one run: listed once, created on demand."""

    def __init__(self, client: RelmClient) -> None:
        self.client = client
        self._fields: dict[str, RelmField] | None = None

    @property
    def fields(self) -> dict[str, RelmField]:
        """The contact fields by key."""
        if self._fields is None:
            self._fields = {f["key"]: f for f in self.client.list_fields("contact") if f.get("key")}
        return self._fields

    def definitions(self) -> list[FieldDefinition]:
        """The remote fields as book definitions (the reserved labels field left out)."""
        found = [book_definition(f) for key, f in self.fields.items() if key != LABELS_KEY]
        return sorted(found, key=lambda d: d.name)

    def prepare(self, definitions: Iterable[FieldDefinition], *, labels: bool = True) -> list[str]:
        """Define the book's fields (and the labels field) in Relm where missing; check the others.

        Returns the keys created. Raises RemoteRejected (code `incompatible_field` or `reserved_field`)
        for a field Relm cannot hold as it is, before creating anything.
        """
        wanted: list[dict[str, Any]] = []
        problems: list[tuple[str, str]] = []
        for definition in definitions:
            problem = reserved(definition)
            if problem:
                problems.append(("reserved_field", problem))
                continue
            body = relm_field_body(definition)
            existing = self.fields.get(body["key"])
            if existing is None:
                wanted.append(body)
            else:
                problem = incompatibility(definition, existing)
                if problem:
                    problems.append(("incompatible_field", problem))
        if labels:
            existing = self.fields.get(LABELS_KEY)
            if existing is None:
                wanted.append(labels_field_body())
            elif existing.get("type") != "text":
                problems.append(("incompatible_field",
                                 f"Relm field {LABELS_KEY!r} has type {existing.get('type')!r}; rolo needs text"))
        if problems:
            raise RemoteRejected(
                "relm: " + "; ".join(p for _, p in problems), adapter="relm", code=problems[0][0]
            )
        for body in wanted:
            self.define(body)
        return [body["key"] for body in wanted]

    def define(self, body: Mapping[str, Any]) -> RelmField:
        """Create one field definition (its Idempotency-Key derived from the definition)."""
        digest = hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest()[:32]
        try:
            field = self.client.create_field(body, idempotency_key=f"rolo-field-{digest}")
        except RemoteRejected as err:
            if err.status != 409:
                raise
            # defined meanwhile (another rolo, or the web app): read the workspace's definition
            self._fields = None
            if body["key"] not in self.fields:
                raise
            return self.fields[body["key"]]
        self.fields[field.get("key") or body["key"]] = field
        return field

    def ensure(self, metadata: Mapping[str, Any]) -> None:
        """Define, with inferred types, the keys of a metadata body Relm has no definition of yet."""
        for key, value in metadata.items():
            if key not in self.fields and value is not None:
                self.define(infer_field(key, value))
