"""Relm records ↔ the book's JSON contact object: pure mapping both ways, then round trips through the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from relm_support import *
from rolo.adapters.relm import RelmAdapter
from rolo.adapters.relm.emulator import RelmEmulator
from rolo.adapters.relm.mapping import (
    CARRIED_FIELDS,
    LABELS_KEY,
    NOT_CARRIED,
    book_definition,
    decode_value,
    email_domain,
    encode_value,
    incompatibility,
    join_list,
    relm_field_body,
    split_list,
    to_book,
    to_relm,
)
from rolo.core.errors import RemoteRejected
from rolo.core.fields import FieldDefinition
from rolo.core.record import ContactRecord, EmailEntry, PhoneEntry
from rolo.core.sync.adapter import SYNCABLE_FIELDS

SCHEMA = {
    "plan": {"key": "plan", "type": "select", "options": {"choices": ["free", "pro"]}},
    "seats": {"key": "seats", "type": "number"},
    "vip": {"key": "vip", "type": "bool"},
    "met_on": {"key": "met_on", "type": "date"},
    "bio": {"key": "bio", "type": "text"},
    "rolo_list_langs": {"key": "rolo_list_langs", "type": "text"},
    LABELS_KEY: {"key": LABELS_KEY, "type": "text"},
}


def book_json(**changes: Any) -> dict[str, Any]:
    """A full JSON contact object, restricted to what Relm carries (as the engine hands it)."""
    record = ContactRecord(
        uid="u1", given_name="Ada", family_name="Lovelace", organization="Analytical Engines",
        emails=[EmailEntry("ada@home.test", "home"), EmailEntry("ada@analytical.test", "work", primary=True)],
        phones=[PhoneEntry("+44 20 7946 0123", "+442079460123", "work", primary=True)],
        labels=["math", "pioneers, early"], custom_fields={"plan": "pro", "seats": 3, "langs": ["en", "fr"]},
        title="Countess", birthday="1815-12-10", notes="first programmer",
    )
    data = record.to_json()
    data.update(changes)
    return {k: v for k, v in data.items() if k in CARRIED_FIELDS}


# -- what is carried -----------------------------------------------------------------------------------------


def test_carried_and_not_carried_cover_every_syncable_field() -> None:
    assert CARRIED_FIELDS | NOT_CARRIED == SYNCABLE_FIELDS
    assert not CARRIED_FIELDS & NOT_CARRIED
    assert RelmAdapter.capabilities.fields == CARRIED_FIELDS
    assert RelmAdapter.capabilities.single == {"emails", "phones"}


def test_to_book_gives_every_carried_key_and_nothing_else() -> None:
    data = to_book({"id": "con_1", "email": None, "metadata": {}}, company_name=None, schema={})
    assert set(data) == CARRIED_FIELDS
    assert data == {"given_name": None, "family_name": None, "emails": [], "phones": [], "organization": None,
                    "labels": [], "custom_fields": {}}


# -- book → Relm ---------------------------------------------------------------------------------------------


def test_to_relm_sends_the_primary_email_and_phone_names_and_metadata() -> None:
    body = to_relm(book_json(), schema=SCHEMA)
    assert body == {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@analytical.test", "phone": "+44 20 7946 0123",
        "metadata": {"plan": "pro", "seats": 3, "rolo_list_langs": "en, fr", LABELS_KEY: "math, pioneers\\, early"},
    }


def test_to_relm_without_primary_takes_the_first_entry() -> None:
    data = book_json(emails=[{"address": "a@x.test", "label": None, "primary": False},
                             {"address": "b@x.test", "label": None, "primary": False}])
    assert to_relm(data, schema=SCHEMA, keys={"emails"}) == {"email": "a@x.test"}


def test_a_patch_sends_only_the_changed_keys() -> None:
    assert to_relm(book_json(), schema=SCHEMA, keys={"family_name"}) == {"last_name": "Lovelace"}
    assert to_relm(book_json(labels=[]), schema=SCHEMA, keys={"labels"}) == {"metadata": {LABELS_KEY: None}}


def test_a_create_body_does_not_depend_on_fields_defined_since():
    # a create replayed after a crash must send the very body of the first try (Relm compares it under the
    # idempotency key), even when the first try or another contact defined rolo_labels meanwhile
    data = book_json(labels=[], custom_fields={})
    assert to_relm(data, schema={}) == to_relm(data, schema=SCHEMA)
    assert "metadata" not in to_relm(data, schema=SCHEMA)


def test_emptied_values_clear_remotely() -> None:
    data = book_json(given_name=None, emails=[], phones=[])
    assert to_relm(data, schema=SCHEMA, keys={"given_name", "emails", "phones"}) == {
        "first_name": None, "email": None, "phone": None}


def test_a_field_removed_in_the_book_is_sent_as_null() -> None:
    previous = book_json()
    data = book_json(custom_fields={"plan": "pro"})
    body = to_relm(data, schema=SCHEMA, keys={"custom_fields"}, previous=previous)
    assert body == {"metadata": {"plan": "pro", "seats": None, "rolo_list_langs": None}}


def test_a_null_for_an_undefined_key_is_left_out() -> None:
    assert to_relm(book_json(labels=[]), schema={}, keys={"labels"}) == {}


# -- Relm → book ---------------------------------------------------------------------------------------------


def test_to_book_types_metadata_by_the_schema() -> None:
    contact = {
        "id": "con_1", "email": "ada@analytical.test", "first_name": "Ada", "last_name": "", "phone": "+1 555 0100",
        "company_id": "cmp_1",
        "metadata": {"plan": "pro", "seats": 3.0, "vip": True, "met_on": "2020-01-02", "bio": "Hi",
                     "rolo_list_langs": "en, fr", LABELS_KEY: "math, pioneers\\, early", "stray": 7},
    }
    data = to_book(contact, company_name="Analytical Engines", schema=SCHEMA)
    assert data == {
        "given_name": "Ada", "family_name": None,
        "emails": [{"address": "ada@analytical.test", "label": None, "primary": True}],
        "phones": [{"number": "+1 555 0100", "e164": None, "label": None, "primary": True}],
        "organization": "Analytical Engines",
        "labels": ["math", "pioneers, early"],
        "custom_fields": {"plan": "pro", "seats": 3, "vip": True, "met_on": "2020-01-02", "bio": "Hi",
                          "langs": ["en", "fr"], "stray": 7},
    }
    assert isinstance(data["custom_fields"]["seats"], int)


# -- lists, types, fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [["a"], ["a", "b"], ["with, comma", "back\\slash", "  spaced  "], []],
    ids=["one", "two", "escaped", "none"],
)
def test_join_and_split_round_trip(items: list[str]) -> None:
    assert split_list(join_list(items)) == [i.strip() for i in items]


def test_split_reads_a_plain_comma_list() -> None:
    assert split_list("a,b , ,c") == ["a", "b", "c"]
    assert split_list(None) == [] and split_list(["x", " "]) == ["x"]


@pytest.mark.parametrize(
    ("definition", "relm_type", "key"),
    [
        (FieldDefinition("Tier", "text"), "text", "tier"),
        (FieldDefinition("notes-long", "textarea"), "text", "notes_long"),
        (FieldDefinition("seats", "number"), "number", "seats"),
        (FieldDefinition("met", "date"), "date", "met"),
        (FieldDefinition("seen", "datetime"), "text", "seen"),
        (FieldDefinition("vip", "bool"), "bool", "vip"),
        (FieldDefinition("plan", "select", ["free", "pro"]), "select", "plan"),
        (FieldDefinition("site", "url"), "text", "site"),
        (FieldDefinition("langs", "select", ["en", "fr"], multiple=True), "text", "rolo_list_langs"),
    ],
    ids=["text", "textarea", "number", "date", "datetime", "bool", "select", "url", "multiple"],
)
def test_book_types_map_onto_relm_types(definition: FieldDefinition, relm_type: str, key: str) -> None:
    body = relm_field_body(definition)
    assert (body["type"], body["key"], body["object_type"]) == (relm_type, key, "contact")
    assert ("options" in body) == (relm_type == "select")
    back = book_definition(body)
    assert back.multiple == definition.multiple
    assert back.name == definition.name  # the label rolo wrote, not the key (`Tier`, `notes-long`)


def test_compatibility_of_existing_fields() -> None:
    assert incompatibility(FieldDefinition("seats", "number"), {"key": "seats", "type": "number"}) is None
    assert incompatibility(FieldDefinition("seats", "number"), {"key": "seats", "type": "text"}) is None
    assert "needs 'number'" in incompatibility(FieldDefinition("seats", "number"), {"key": "seats", "type": "bool"})


@pytest.mark.parametrize(
    ("value", "spec", "sent"),
    [
        (3, {"type": "text"}, "3"), (True, {"type": "text"}, "true"), ("4.5", {"type": "number"}, 4.5),
        ("yes", {"type": "bool"}, True), (["a", "b"], {"type": "text"}, "a, b"), (None, {"type": "text"}, None),
        ("2020-01-02T10:00:00+00:00", {"type": "text"}, "2020-01-02T10:00:00+00:00"),
    ],
    ids=["number-as-text", "bool-as-text", "numeric-string", "bool-string", "list", "none", "datetime"],
)
def test_encode_value(value: Any, spec: dict[str, Any], sent: Any) -> None:
    assert encode_value(value, spec) == sent


def test_decode_value() -> None:
    assert decode_value(2.0, {"key": "n", "type": "number"}) == 2
    assert decode_value("a, b", {"key": "rolo_list_x", "type": "text"}) == ["a", "b"]
    assert decode_value("x", None) == "x"


@pytest.mark.parametrize(
    ("address", "domain"),
    [("ada@Analytical.test", "analytical.test"), ("ada@gmail.com", None), (None, None), ("nope", None)],
    ids=["work", "freemail", "none", "invalid"],
)
def test_email_domain(address: str | None, domain: str | None) -> None:
    assert email_domain(address) == domain


# -- round trips through the emulator ------------------------------------------------------------------------

DEFINITIONS = [
    FieldDefinition("plan", "select", ["free", "pro"]),
    FieldDefinition("seats", "number"),
    FieldDefinition("langs", "select", ["en", "fr"], multiple=True),
]


def test_a_contact_round_trips_with_custom_fields_and_labels(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    relm_adapter.prepare(DEFINITIONS)
    data = book_json()
    created = relm_adapter.create(data, idempotency_key="rt-1")
    stored = relm_emulator.store.get("contact", created.id)
    assert stored["metadata"] == {"plan": "pro", "seats": 3, "rolo_list_langs": "en, fr",
                                  LABELS_KEY: "math, pioneers\\, early"}
    expected = dict(data)
    expected["emails"] = [{"address": "ada@analytical.test", "label": None, "primary": True}]
    expected["phones"] = [{"number": "+44 20 7946 0123", "e164": None, "label": None, "primary": True}]
    assert created.data == expected
    assert relm_adapter.get(created.id).data == expected
    company = relm_emulator.store.get("company", stored["company_id"])
    assert (company["name"], company["domain"]) == ("Analytical Engines", "analytical.test")


def test_fields_relm_cannot_carry_are_not_in_pulled_data(relm_adapter: RelmAdapter) -> None:
    record = relm_adapter.create(book_json(), idempotency_key="nc-1")
    assert not set(record.data) & NOT_CARRIED


def test_prepare_defines_fields_once_and_labels(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_adapter.prepare(DEFINITIONS)
    relm_adapter.prepare(DEFINITIONS)
    fields = {f["key"]: f for f in relm_emulator.store.records("field")}
    assert set(fields) == {"plan", "seats", "rolo_list_langs", LABELS_KEY}
    assert fields["plan"]["options"] == {"choices": ["free", "pro"]}
    assert [f.name for f in relm_adapter.remote_fields()] == ["langs", "plan", "seats"]
    assert relm_adapter.remote_fields()[0].multiple


def test_prepare_refuses_an_incompatible_remote_field(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.define_field("contact", "seats", "bool")
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.prepare(DEFINITIONS)
    assert caught.value.code == "incompatible_field" and "seats" in str(caught.value)
    assert {f["key"] for f in relm_emulator.store.records("field")} == {"seats"}  # nothing created


def test_prepare_refuses_reserved_names(relm_adapter: RelmAdapter) -> None:
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.prepare([FieldDefinition("rolo_labels", "text")])
    assert caught.value.code == "reserved_field"


def test_an_existing_text_field_takes_any_type(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.define_field("contact", "seats", "text")
    relm_adapter.prepare([FieldDefinition("seats", "number")])
    record = relm_adapter.create(book_json(custom_fields={"seats": 12}), idempotency_key="tx-1")
    assert relm_emulator.store.get("contact", record.id)["metadata"]["seats"] == "12"


def test_fields_not_prepared_are_defined_on_first_use(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    data = book_json(custom_fields={"vip": True, "score": 4.5, "tags": ["a", "b"], "bio": "hi"}, labels=["x"])
    record = relm_adapter.create(data, idempotency_key="lazy-1")
    types = {f["key"]: f["type"] for f in relm_emulator.store.records("field")}
    assert types == {"vip": "bool", "score": "number", "rolo_list_tags": "text", "bio": "text", LABELS_KEY: "text"}
    assert record.data["custom_fields"] == {"vip": True, "score": 4.5, "tags": ["a", "b"], "bio": "hi"}


def test_a_required_remote_field_the_book_lacks_rejects_the_record(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    relm_emulator.store.define_field("contact", "plan", "select", required=True, choices=["free", "pro"])
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.create(book_json(custom_fields={}), idempotency_key="req-1")
    assert caught.value.code == "validation_error" and "metadata.plan" in str(caught.value)


def test_a_value_outside_the_remote_choices_rejects_the_record(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    relm_emulator.store.define_field("contact", "plan", "select", choices=["free"])
    relm_adapter.prepare([FieldDefinition("plan", "select", ["free", "pro"])])
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.create(book_json(custom_fields={"plan": "pro"}), idempotency_key="ch-1")
    assert caught.value.status == 400 and "plan" in str(caught.value)


def test_organization_reuses_a_company_by_name_and_clears(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    acme = relm_emulator.store.create_company(name="Acme Corp")
    record = relm_adapter.create(book_json(organization="  acme corp ", custom_fields={}), idempotency_key="o-1")
    assert relm_emulator.store.get("contact", record.id)["company_id"] == acme["id"]
    assert record.data["organization"] == "Acme Corp"
    cleared = relm_adapter.update(record.id, book_json(organization=None), changed=frozenset({"organization"}),
                                  previous=record.data)
    assert cleared.data["organization"] is None
    assert relm_emulator.store.get("contact", record.id)["company_id"] is None
    assert len(relm_emulator.store.records("company")) == 1  # never deleted by rolo


def test_a_freemail_address_gives_the_new_company_no_domain(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    data = book_json(emails=[{"address": "ada@gmail.com", "label": None, "primary": True}], custom_fields={})
    relm_adapter.create(data, idempotency_key="fm-1")
    (company,) = relm_emulator.store.records("company")
    assert company["domain"] is None
