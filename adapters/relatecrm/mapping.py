"""relatecrm records ↔ the book's JSON contact object (`rolo.core.record.ContactRecord.to_json`).

A relatecrm contact is `{id, first_name, last_name, email, phones: [{number, type}], user_id, source_id,
job_title, street, city, state, postal_code, country_id, companies, deals, …custom fields, created_at,
updated_at}` (see `emulator.py` for what the document leaves open). What the adapter carries
(`CARRIED_FIELDS`) and how:

==================  ================================  ==================================================
book key            relatecrm                         notes
==================  ================================  ==================================================
given_name          first_name                        required by the API: see "Names" below
family_name         last_name
emails              email                             single: the book's primary address; a pull
                                                      replaces only that entry locally
phones              phones [{number, type}]           every number, in the book's order; labels: see
                                                      "Phone types" below
addresses           street, city, state, postal_code, single: the primary address; po_box, extended
                    country_id                        and its label are not carried (the book keeps
                                                      them); country: see "Countries"
title               job_title
organization        companies[0] → the company name   see "Companies"
custom_fields       every other top-level key         see "Custom fields"
labels              rolo_labels (a custom field)      a list of the label names; null for none
==================  ================================  ==================================================

**Not carried** (relatecrm has no place for them; the engine keeps the local values and never clears
them on a pull): formatted_name, prefix, additional_names, suffix, nickname, department, birthday, urls,
notes, starred, kind, every email but the primary one, every address but the primary one, email labels,
address labels, po_box and extended. The remote's `user_id`, `source_id` and `deals` are not the book's
either; since PUT is a full update, the adapter sends `user_id` and `source_id` back as it read them, and
leaves `deals` out (a relation the PUT keeps when it is not given).

**Names.** PUT and POST require `first_name`; the book does not (an organization, a person known by their
family name or email only). Then the adapter sends a stand-in and records it in `rolo_meta` (below), so a
pull gives the book back nothing rather than the stand-in:

- a family name alone: `first_name` = the family name, `last_name` empty (the CRM shows "Smith", not
  "Smith Smith"); a pull reads it back as the family name while `last_name` stays empty;
- no name at all: `first_name` = the organization, else the primary email address, else the first phone
  number, else "(no name)"; a pull reads no given name while `first_name` still equals what was sent.

Once a CRM user gives the contact a name of its own, the pull reads it as usual.

**Phone types.** relatecrm types a phone `mobile`, `work` or `other`; the book's labels are free text
(`mobile`, `home`, `work fax`, `iPhone`…). The adapter declares the three types as its phone labels
(`ENTRY_LABELS`, `Capabilities.entry_labels`) and a push sends `phone_type(label)`, the label's class in the
book's one vocabulary (`rolo.core.labels`) when relatecrm has it, else `other`: a label naming a mobile
(mobile, cell, iPhone, android, Handy, `home mobile`) is `mobile`, one naming work (work, office, business)
is `work`, anything else (`home`, `fax`, `work fax`, `main`, none) is `other`. A pull reads `mobile` and
`work` as those words and `other` as no label. The book's finer label is never degraded by that coarser
type: the engine takes a book label and the type it maps to as equal, and keeps the book's label on a pull
while the type still stands for it (a `home` number stays `home` while the CRM says `other`); a type changed
in the CRM to another class is taken (the CRM user's choice wins). Earlier versions recorded the book's
labels in `rolo_meta` (`phones`) for this; that record is no longer written or read.

**Countries.** The book's country is text; relatecrm's is `country_id`. The document names no countries
endpoint, so the id is looked up in the built-in ISO 3166-1 table (`countries.py`: the numeric code,
matched by name, alpha-2 or alpha-3 code and a few common aliases such as "USA" and "UK"). Text that names
no known country is sent as a null `country_id`. Either way the book's text is recorded in `rolo_meta` when
the table's name differs from it, and a pull gives that text back as long as the remote `country_id` is
still the one it maps to ("USA" stays "USA", not "United States"); otherwise the table's short name.

**Companies.** relatecrm associates a contact with any number of companies by id; the book has one
organization name. Pull: the name of the contact's first company (the companies are listed once per run;
an id that no longer resolves reads as no organization). Push: the company whose name equals the
organization (case and spacing aside), created (`POST /api/companies`, `name` only) when none exists. A
create sends it in `companies`; an update changes associations only when the organization changed: attach
(PUT) when the contact had no company, detach (DELETE) of the first company when the organization was
emptied (the next company, if any, then becomes the organization the remote shows), and sync (POST) with
the new company first and the contact's other companies kept otherwise. Companies are never renamed or
deleted by rolo.

**Custom fields.** relatecrm takes custom fields as extra body keys and has no definitions endpoint. A book
field is sent under its key (`field_key`: lower case, `-` as `_`) with its JSON value (text, number,
boolean, or a list for a multi-valued field); a pull takes every top-level key that is not a standard one
(`STANDARD_KEYS`), not rolo's own (`rolo_labels`, `rolo_meta`), and not an object (real servers add
read-only objects such as `owner`), and whose value is not null. A book field whose key is a standard
relatecrm key (`email`, `city`…) or starts with `rolo_` cannot be stored: `prepare` refuses it
(`RemoteRejected`, code `reserved_field`). A field removed in the book is removed remotely by the full
update, which omits it.

**rolo_meta** is a custom field holding a small JSON object (text), present only when needed: `country` (the
book's text), `family_as_first` or `stand_in` (see "Names"). These are still needed, unlike the phone labels
it once held: a country's text and a name's stand-in are not classes of a small vocabulary the engine could
compare by, so without them a pull would replace the book's "USA" with "United States" and give the book
a stand-in as its name. It is rolo's bookkeeping, never shown in the book; CRM users should leave it alone
(if they edit it, the worst outcome is a country read back in the CRM's words).

**Versions.** `RemoteRecord.version` is a hash of the record in the book's vocabulary (company name
included), not `updated_at`: relatecrm stores `updated_at` to the second, so two changes within one second
would share it, and a company rename changes no contact's `updated_at`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rolo.adapters.relatecrm.countries import country_id, country_name
from rolo.core.errors import RemoteRejected
from rolo.core.fields import FieldDefinition, field_key
from rolo.core.labels import nearest

if TYPE_CHECKING:
    from rolo.adapters.relatecrm.client import RelateCrmClient

CARRIED_FIELDS = frozenset({
    "given_name", "family_name", "emails", "phones", "addresses", "title", "organization", "custom_fields",
    "labels",
})
SINGLE_FIELDS = frozenset({"emails", "addresses"})
NOT_CARRIED = frozenset({
    "formatted_name", "prefix", "additional_names", "suffix", "nickname", "department", "birthday", "urls",
    "notes", "starred", "kind",
})
PHONE_TYPES = ("mobile", "work", "other")
#: relatecrm's entry labels, as the book's classes (`Capabilities.entry_labels`): the phone types.
ENTRY_LABELS: dict[str, frozenset[str]] = {"phones": frozenset(PHONE_TYPES)}
LABELS_KEY = "rolo_labels"
META_KEY = "rolo_meta"
RESERVED_PREFIX = "rolo_"
NO_NAME = "(no name)"
#: Top-level keys of a contact that are not custom fields: the document's, and read-only ones real servers add.
STANDARD_KEYS = frozenset({
    "id", "first_name", "last_name", "email", "phones", "user_id", "source_id", "job_title", "street", "city",
    "state", "postal_code", "country_id", "companies", "deals", "activities", "created_at", "updated_at",
    "deleted_at", "display_name", "full_name", "avatar_url", "uploaded_avatar_url", "path", "owner_assigned_date",
    "created_by", "timezone", "was_recently_created", "next_activity_date", "unread_emails_for_user_count",
})
#: The keys the adapter writes on every PUT (the full update clears whatever is left out).
PASSTHROUGH_KEYS = ("user_id", "source_id")


# -- small helpers ---------------------------------------------------------------------------------------------


def clean(value: Any) -> str | None:
    """A text value trimmed, None for empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def digits(number: Any) -> str:
    """A phone number's digits only (how a lookup compares numbers)."""
    return re.sub(r"\D", "", str(number or ""))


def primary(entries: Any) -> Mapping[str, Any] | None:
    """The primary entry of a list of entries, else the first; None for none."""
    if not entries:
        return None
    chosen = next((e for e in entries if isinstance(e, Mapping) and e.get("primary")), entries[0])
    return chosen if isinstance(chosen, Mapping) else None


def phone_type(label: str | None) -> str:
    """The relatecrm type for a book phone label (see "Phone types" in the module docstring)."""
    return nearest("phones", label, ENTRY_LABELS["phones"]) or "other"  # never None: the types have other


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def stand_in(data: Mapping[str, Any]) -> str:
    """The `first_name` sent for a contact without given or family name."""
    organization = clean(data.get("organization"))
    if organization:
        return organization
    email = primary(data.get("emails"))
    if email and clean(email.get("address")):
        return str(clean(email.get("address")))
    phone = primary(data.get("phones"))
    if phone and clean(phone.get("number")):
        return str(clean(phone.get("number")))
    return NO_NAME


def read_meta(contact: Mapping[str, Any]) -> dict[str, Any]:
    """rolo's bookkeeping in a contact (`rolo_meta`), {} when absent or unreadable."""
    raw = contact.get(META_KEY)
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        meta = json.loads(raw)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def reserved(definition: FieldDefinition) -> str | None:
    """Why a book custom field cannot be stored in relatecrm under its name, or None."""
    key = field_key(definition.name)
    if key in STANDARD_KEYS:
        return f"custom field {definition.name!r}: {key!r} is one of relatecrm's own contact fields"
    if key.startswith(RESERVED_PREFIX):
        return f"custom field {definition.name!r}: names starting with {RESERVED_PREFIX!r} are rolo's own in relatecrm"
    return None


def custom_value(value: Any) -> Any:
    """A custom field value as relatecrm reads it back (None for unset)."""
    if value is None or value == "" or value == []:
        return None
    return value


# -- records ---------------------------------------------------------------------------------------------------


def to_book(contact: Mapping[str, Any], *, company_name: str | None) -> dict[str, Any]:
    """A relatecrm contact as the book's `data`: every carried key present, empty ones empty.

    Args:
        contact: the contact as relatecrm returned it.
        company_name: the name of its first company (resolved by the caller), or None.
    """
    meta = read_meta(contact)
    first, last = clean(contact.get("first_name")), clean(contact.get("last_name"))
    given, family = first, last
    if not last and meta.get("stand_in") is not None and first == clean(meta.get("stand_in")):
        given = None
    elif not last and meta.get("family_as_first"):
        given, family = None, first
    email = clean(contact.get("email"))
    return {
        "given_name": given,
        "family_name": family,
        "emails": [{"address": email, "label": None, "primary": True}] if email else [],
        "phones": _phones_to_book(contact.get("phones")),
        "addresses": _address_to_book(contact, meta.get("country")),
        "title": clean(contact.get("job_title")),
        "organization": clean(company_name),
        "custom_fields": {
            key: value for key, value in contact.items()
            if key not in STANDARD_KEYS and not key.startswith(RESERVED_PREFIX) and not isinstance(value, dict)
            and custom_value(value) is not None
        },
        "labels": _labels(contact.get(LABELS_KEY)),
    }


def _labels(value: Any) -> list[str]:
    if isinstance(value, str):  # a server that stores the list as text
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _phones_to_book(phones: Any) -> list[dict[str, Any]]:
    """The phones with their types as labels: `mobile`, `work`, and no label for `other` (or an unknown type);
    the engine keeps the book's finer label while the type stands for it."""
    out = []
    for phone in phones or []:
        if not isinstance(phone, Mapping) or not clean(phone.get("number")):
            continue
        kind = phone.get("type") if phone.get("type") in PHONE_TYPES else "other"
        label = None if kind == "other" else kind
        out.append({"number": clean(phone["number"]), "e164": None, "label": label, "primary": None})
    return out


def _address_to_book(contact: Mapping[str, Any], recorded_country: Any) -> list[dict[str, Any]]:
    ident = contact.get("country_id")
    ident = ident if isinstance(ident, int) and not isinstance(ident, bool) else None
    if isinstance(recorded_country, str) and country_id(recorded_country) == ident:
        country = clean(recorded_country)
    else:
        country = country_name(ident)
    parts = {
        "street": clean(contact.get("street")), "locality": clean(contact.get("city")),
        "region": clean(contact.get("state")), "postal_code": clean(contact.get("postal_code")),
        "country": country,
    }
    if not any(parts.values()):
        return []
    # A part the remote carries but left empty is "", not None: None would mean "not carried" to the engine,
    # which would then keep the book's value instead of clearing it.
    entry = {k: (v if v is not None else "") for k, v in parts.items()}
    return [{"label": None, "po_box": None, "extended": None, **entry}]


def to_remote(data: Mapping[str, Any], *, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The full relatecrm body (POST or PUT) for the book's `data`, `companies` excepted (the caller
    resolves the organization).

    Args:
        data: the carried book keys; a missing key is sent empty.
        current: the contact as relatecrm holds it now, for an update: the keys the book does not carry
            (`PASSTHROUGH_KEYS`) are sent back unchanged, since a PUT clears what it omits.

    Raises:
        RemoteRejected: a custom field's name is reserved (see `reserved`).
    """
    meta: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for key in PASSTHROUGH_KEYS:
        if current is not None and current.get(key) is not None:
            body[key] = current[key]
    given, family = clean(data.get("given_name")), clean(data.get("family_name"))
    if given:
        body["first_name"], body["last_name"] = given, family
    elif family:
        body["first_name"], body["last_name"] = family, None
        meta["family_as_first"] = True
    else:
        body["first_name"], body["last_name"] = stand_in(data), None
        meta["stand_in"] = body["first_name"]
    email = primary(data.get("emails"))
    body["email"] = clean(email.get("address")) if email else None
    body["phones"] = [{"number": number, "type": phone_type(clean(phone.get("label")))}
                      for phone in data.get("phones") or [] if (number := clean(phone.get("number")))]
    address = primary(data.get("addresses")) or {}
    body["street"] = clean(address.get("street"))
    body["city"] = clean(address.get("locality"))
    body["state"] = clean(address.get("region"))
    body["postal_code"] = clean(address.get("postal_code"))
    country = clean(address.get("country"))
    body["country_id"] = country_id(country)
    if country and country_name(body["country_id"]) != country:
        meta["country"] = country
    body["job_title"] = clean(data.get("title"))
    for name, value in (data.get("custom_fields") or {}).items():
        key = field_key(name)
        problem = reserved(FieldDefinition(name, "text"))
        if problem:
            raise RemoteRejected(f"relatecrm: {problem}", adapter="relatecrm", code="reserved_field")
        if custom_value(value) is not None:
            body[key] = value
    labels_list = sorted({str(v).strip() for v in data.get("labels") or [] if str(v).strip()}, key=str.casefold)
    body[LABELS_KEY] = labels_list or None
    body[META_KEY] = json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False) if meta else None
    return body


def version_of(data: Mapping[str, Any]) -> str:
    """The marker that changes whenever the record changes in the book's vocabulary."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def same_record(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two records in the book's vocabulary are one person as sent (for lookups after a crash):
    the same names, email and phone numbers."""
    def key(data: Mapping[str, Any]) -> tuple[Any, ...]:
        email = primary(data.get("emails"))
        return (
            _name_key(clean(data.get("given_name")) or ""), _name_key(clean(data.get("family_name")) or ""),
            (clean(email.get("address")) or "").casefold() if email else "",
            tuple(digits(p.get("number")) for p in data.get("phones") or []),
        )

    return key(a) == key(b)


# -- companies, cached for one run -----------------------------------------------------------------------------


class Companies:
    """Company id ↔ name for one run: listed once, created on demand."""

    def __init__(self, client: RelateCrmClient) -> None:
        self.client = client
        self._by_id: dict[int, dict[str, Any]] | None = None
        self._by_name: dict[str, int] = {}

    def load(self) -> dict[int, dict[str, Any]]:
        """Every company by id (listed on first use, `id`, `name` and `updated_at` only)."""
        if self._by_id is None:
            self._by_id = {}
            for company in self.client.list_companies(select=("id", "name", "updated_at")):
                self._remember(company)
        return self._by_id

    def _remember(self, company: Mapping[str, Any]) -> None:
        if self._by_id is None:
            self.load()
        assert self._by_id is not None
        self._by_id[int(company["id"])] = dict(company)
        name = clean(company.get("name"))
        if name:
            self._by_name.setdefault(_name_key(name), int(company["id"]))

    def get(self, company_id: Any) -> dict[str, Any] | None:
        """A company by id (fetched when the listing lacks it), or None (no id, or no such company)."""
        if isinstance(company_id, Mapping):  # a server that embeds the companies
            company_id = company_id.get("id")
        if company_id is None or isinstance(company_id, bool):
            return None
        try:
            ident = int(company_id)
        except (TypeError, ValueError):
            return None
        by_id = self.load()
        if ident not in by_id:
            try:
                self._remember(self.client.get_company(ident))
            except RemoteRejected as err:
                if err.status != 404:
                    raise
                return None
        return by_id[ident]

    def name_for(self, company_id: Any) -> str | None:
        """The name of a company, or None."""
        company = self.get(company_id)
        return clean(company.get("name")) if company else None

    def changed_since(self, stamp: str) -> list[int]:
        """The ids of the companies whose `updated_at` is at or after `stamp` (same format: ISO 8601 UTC)."""
        return [ident for ident, c in self.load().items() if str(c.get("updated_at") or "") >= stamp]

    def latest(self) -> str | None:
        """The latest `updated_at` among the companies listed (ISO 8601 UTC), or None."""
        stamps = [str(c["updated_at"]) for c in self.load().values() if c.get("updated_at")]
        return max(stamps) if stamps else None

    def id_for(self, name: str | None) -> int | None:
        """The id of the company named `name`, created when missing; None for no name."""
        name = clean(name)
        if not name:
            return None
        self.load()
        found = self._by_name.get(_name_key(name))
        if found is not None:
            return found
        company = self.client.create_once(
            lambda: self.client.create_company({"name": name}),
            lambda: [dict(c) for c in self.client.list_companies(q=name, search_fields="name:=", per_page=10)
                     if _name_key(str(c.get("name") or "")) == _name_key(name)],
            lambda twin: self.client.delete_company(twin["id"]),
        )
        self._remember(company)
        return int(company["id"])
