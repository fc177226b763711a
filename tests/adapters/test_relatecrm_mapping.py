"""relatecrm mapping without HTTP: phone types, stand-in names, rolo_meta, custom field keys, countries."""

from __future__ import annotations

from typing import Any

import pytest
from rolo.adapters.relatecrm.countries import COUNTRIES, country_id, country_name, known
from rolo.adapters.relatecrm.mapping import (
    META_KEY,
    phone_type,
    read_meta,
    same_record,
    stand_in,
    to_book,
    to_remote,
    version_of,
)


def contact(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": 1, "first_name": "Ada", "last_name": None, "email": None, "phones": [],
                            "user_id": None, "source_id": None, "job_title": None, "street": None, "city": None,
                            "state": None, "postal_code": None, "country_id": None, "companies": [], "deals": [],
                            "activities": [], "created_at": "2026-07-02T10:00:00.000000Z",
                            "updated_at": "2026-07-02T10:00:00.000000Z"}
    return {**base, **fields}


@pytest.mark.parametrize(("label", "kind"), [
    ("mobile", "mobile"), ("Cell", "mobile"), ("iPhone", "mobile"), ("work mobile", "mobile"),
    ("Handy", "mobile"), ("android", "mobile"), ("_$!<Mobile>!$_", "mobile"), ("work", "work"),
    ("Office", "work"), ("work fax", "other"), ("home", "other"), ("fax", "other"), ("main", "other"),
    ("", "other"), (None, "other"),
], ids=lambda v: repr(v))
def test_phone_types(label: str | None, kind: str) -> None:
    assert phone_type(label) == kind


def test_stand_ins_in_order() -> None:
    entry = {"address": "ada@example.com", "primary": True}
    assert stand_in({"organization": "Engines", "emails": [entry]}) == "Engines"
    assert stand_in({"emails": [{"address": "x@example.com"}, entry]}) == "ada@example.com"  # the primary
    assert stand_in({"phones": [{"number": " +1 555 "}]}) == "+1 555"
    assert stand_in({}) == "(no name)"


def test_custom_fields_are_the_keys_that_are_not_standard_nor_rolos_nor_objects() -> None:
    data = to_book(contact(tier="close", score=0, vip=False, empty="", none=None, owner={"id": 1},
                           display_name="Ada", rolo_labels=["x"], rolo_meta=None, tags=[]), company_name=None)
    assert data["custom_fields"] == {"tier": "close", "score": 0, "vip": False}
    assert data["labels"] == ["x"]


def test_labels_stored_as_text_are_read_too() -> None:
    assert to_book(contact(rolo_labels="a, b"), company_name=None)["labels"] == ["a", "b"]


@pytest.mark.parametrize("raw", ["{not json", "[1]", 5, ""], ids=["broken", "array", "number", "empty"])
def test_unreadable_meta_is_ignored(raw: Any) -> None:
    assert read_meta({META_KEY: raw}) == {}
    assert to_book(contact(**{META_KEY: raw}, phones=[{"number": "1", "type": "other"}]),
                   company_name=None)["phones"][0]["label"] is None


def test_meta_is_written_only_when_needed() -> None:
    plain = to_remote({"given_name": "Ada", "phones": [{"number": "+1 555", "label": None}],
                       "addresses": [{"country": "United Kingdom", "street": "x"}]})
    assert plain[META_KEY] is None and plain["country_id"] == 826
    rich = to_remote({"family_name": "Smith", "phones": [{"number": "+1 (555) 01", "label": "home"}],
                      "addresses": [{"country": "UK"}]})
    # no phone labels: the engine keeps the book's, whatever the type
    assert read_meta(rich) == {"country": "UK", "family_as_first": True}
    assert rich["phones"] == [{"number": "+1 (555) 01", "type": "other"}]
    assert (rich["first_name"], rich["last_name"]) == ("Smith", None)


def test_a_full_body_sends_every_attribute_and_the_current_owner() -> None:
    body = to_remote({"given_name": "Ada"}, current=contact(user_id=2, source_id=None, deals=[4]))
    assert body["user_id"] == 2 and "source_id" not in body and "deals" not in body and "companies" not in body
    for key in ("last_name", "email", "job_title", "street", "city", "state", "postal_code", "country_id",
                "rolo_labels", "rolo_meta"):
        assert key in body and body[key] is None, key
    assert body["phones"] == []


def test_versions_change_with_the_data_and_the_company_name() -> None:
    one = version_of(to_book(contact(companies=[1]), company_name="One"))
    assert one == version_of(to_book(contact(companies=[1], updated_at="2030-01-01T00:00:00Z"), company_name="One"))
    assert one != version_of(to_book(contact(companies=[1]), company_name="Uno"))
    assert one != version_of(to_book(contact(companies=[1], last_name="L"), company_name="One"))


def test_same_record_compares_names_email_and_numbers() -> None:
    a = {"given_name": "Ada", "family_name": "Lovelace", "emails": [{"address": "A@x.org"}],
         "phones": [{"number": "+1 555"}]}
    assert same_record(a, {**a, "emails": [{"address": "a@x.org"}], "phones": [{"number": "+1-555"}]})
    assert not same_record(a, {**a, "phones": []})
    assert not same_record(a, {**a, "family_name": "Byron"})


def test_the_country_table() -> None:
    assert len(COUNTRIES) == 249 and len({row[0] for row in COUNTRIES}) == 249
    assert country_id("  united kingdom ") == 826 and country_id("GBR") == 826 and country_id("England") == 826
    assert country_id("Côte d'Ivoire") == country_id("cote divoire") == 384
    assert country_id("Bolivia, Plurinational State of") == country_id("Bolivia") == 68
    assert country_id("") is None and country_id("Atlantis") is None
    assert country_name(840) == "United States" and country_name(1) is None and country_name(None) is None
    assert known(276) and not known(True) and not known("276")
