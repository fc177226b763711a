"""RelayBook mapping: label vocabularies, remembered labels, websites and socials, birthdays, bodies (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from rolo.adapters.relaybook.mapping import (
    CARRIED_FIELDS,
    ENTRY_LABELS_KEY,
    birthday_to_book,
    birthday_to_remote,
    book_label,
    custom_field_changes,
    decode_entry_labels,
    encode_entry_labels,
    entry_labels,
    identity,
    remote_label,
    to_book,
    to_relaybook,
    urls_to_remote,
    version_of,
)
from rolo.core.errors import RemoteRejected


def book(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Jane", "family_name": "Cooper", "organization": "Acme Corp",
        "title": "Head of Partnerships", "birthday": "1990-03-15",
        "emails": [{"address": "jane@acme.com", "label": "work", "primary": True},
                   {"address": "jane@home.example", "label": "home", "primary": False}],
        "phones": [{"number": "+1 555-0123", "e164": None, "label": "mobile", "primary": True}],
        "addresses": [{"label": "work", "po_box": None, "street": "123 Main St", "extended": None,
                       "locality": "San Francisco", "region": "CA", "postal_code": "94105", "country": "US"}],
        "urls": [{"label": None, "url": "https://acme.com"},
                 {"label": "linkedin", "url": "https://linkedin.com/in/janecooper"}],
        "labels": ["vip"], "custom_fields": {"tier": "close"}, "notes": "Met at SaaStr", "starred": True,
    }
    data.update(changes)
    return data


def relaybook(body: dict[str, Any], custom: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored contact made from a body, with labels and primaries filled in as RelayBook stores them."""
    contact = {"id": "c1", "first_name": "", "last_name": "", "company": "", "job_title": "", "notes": "",
               "website": "", "emails": [], "phones": [], "addresses": [], "socials": [], "birthday": None,
               "starred": False, "custom_fields": custom, **body}
    return contact


@pytest.mark.parametrize(("kind", "label", "remote"), [
    ("emails", "work", "work"), ("emails", "home", "personal"), ("emails", "personal", "personal"),
    ("emails", "Private", "personal"), ("emails", None, "other"), ("emails", "school", "other"),
    ("phones", "mobile", "mobile"), ("phones", "cell", "mobile"), ("phones", "home mobile", "mobile"),
    ("phones", "iPhone", "mobile"), ("phones", "work", "work"), ("phones", "work fax", "other"),
    ("phones", "home", "other"), ("phones", "fax", "other"), ("phones", None, "other"),
    ("addresses", "home", "home"), ("addresses", "work", "work"), ("addresses", "holiday", "other"),
    ("urls", "linkedin", "linkedin"), ("urls", "Twitter", "x"), ("urls", "homepage", "other"),
], ids=lambda v: str(v))
def test_book_labels_map_onto_the_small_vocabularies(kind: str, label: str | None, remote: str) -> None:
    assert remote_label(kind, label) == remote


def test_remote_labels_read_as_the_books_usual_words() -> None:
    assert [book_label("emails", x) for x in ("work", "personal", "other")] == ["work", "home", None]
    assert [book_label("phones", x) for x in ("mobile", "work", "other")] == ["mobile", "work", None]
    assert [book_label("addresses", x) for x in ("home", "work", "other")] == ["home", "work", None]
    assert [book_label("urls", x) for x in ("website", "x", "other")] == [None, "x", None]


def test_only_labels_that_would_not_survive_are_remembered() -> None:
    data = book(phones=[{"number": "+1 555 0100", "label": "home", "primary": True},
                        {"number": "+1 555 0101", "label": "mobile", "primary": False},
                        {"number": "(555) 0102", "label": None, "primary": False}],
                emails=[{"address": "Jane@Example.com", "label": "personal", "primary": True}],
                urls=[{"label": "work", "url": "https://acme.com"}, {"label": "twitter", "url": "https://x.com/j"}])
    remembered = entry_labels(data)
    assert remembered == {"phones": {"+15550100": "home"}, "emails": {"jane@example.com": "personal"},
                          "urls": {"https://acme.com": "work", "https://x.com/j": "twitter"}}
    assert decode_entry_labels(encode_entry_labels(remembered)) == remembered
    assert encode_entry_labels({}) is None and entry_labels(book()) == {}
    assert decode_entry_labels("not json") == {} and decode_entry_labels('["x"]') == {}


def test_a_remembered_label_is_reported_while_relaybook_keeps_its_image() -> None:
    data = book(phones=[{"number": "+1 555 0100", "e164": None, "label": "home", "primary": True}])
    body = to_relaybook(data)
    assert body["phones"] == [{"number": "+1 555 0100", "label": "other", "primary": True}]
    custom = {"tier": "close", ENTRY_LABELS_KEY: encode_entry_labels(entry_labels(data))}
    pulled = to_book(relaybook(body, custom), ["vip"])
    assert pulled["phones"][0]["label"] == "home"  # RelayBook keeps "other", the book keeps "home"
    assert ENTRY_LABELS_KEY not in pulled["custom_fields"]
    # a RelayBook user relabels it: their label wins
    relabelled = {**body, "phones": [{"number": "+1 555 0100", "label": "work", "primary": True}]}
    assert to_book(relaybook(relabelled, custom), [])["phones"][0]["label"] == "work"


def test_round_trip_of_a_full_contact() -> None:
    data = book()
    body = to_relaybook(data, create=True)
    assert "starred" not in body and "custom_fields" not in body and "labels" not in body
    assert body["website"] == "https://acme.com"
    assert body["socials"] == [{"label": "linkedin", "value": "https://linkedin.com/in/janecooper"}]
    assert body["addresses"] == [{"label": "work", "street": "123 Main St", "city": "San Francisco",
                                  "state": "CA", "zip": "94105", "country": "US"}]
    stored = relaybook({**body, "starred": True}, {"tier": "close"})
    pulled = to_book(stored, ["vip"])
    assert set(pulled) == CARRIED_FIELDS
    for key in CARRIED_FIELDS - {"phones"}:
        assert pulled[key] == data[key], key
    assert pulled["phones"] == [{**data["phones"][0], "e164": None}]


def test_a_patch_sends_the_changed_keys_with_complete_arrays() -> None:
    body = to_relaybook(book(), keys={"phones", "starred", "family_name"})
    assert body == {"last_name": "Cooper", "starred": True,
                    "phones": [{"number": "+1 555-0123", "label": "mobile", "primary": True}]}
    assert to_relaybook(book(family_name=None, notes=None), keys={"family_name", "notes"}) == {
        "last_name": "", "notes": ""}


def test_one_primary_at_most_and_empty_entries_dropped() -> None:
    body = to_relaybook(book(emails=[{"address": "a@x.com", "label": None, "primary": True},
                                     {"address": " ", "label": None, "primary": True},
                                     {"address": "b@x.com", "label": None, "primary": True}],
                             addresses=[{"label": "home", "po_box": "12", "street": None, "locality": None,
                                         "region": None, "postal_code": None, "country": None}]),
                        keys={"emails", "addresses"})
    assert [e["primary"] for e in body["emails"]] == [True, False]
    assert body["addresses"] == []  # a PO box alone: RelayBook has no place for it


@pytest.mark.parametrize(("urls", "website", "socials"), [
    ([], "", []),
    ([{"label": "linkedin", "url": "https://l.in/a"}, {"label": "homepage", "url": "https://a.org"}],
     "https://a.org", [{"label": "linkedin", "value": "https://l.in/a"}]),
    ([{"label": None, "url": "https://blog.a"}, {"label": "website", "url": "https://a.org"}],
     "https://a.org", [{"label": "other", "value": "https://blog.a"}]),
    ([{"label": "work", "url": "https://a.org"}, {"label": None, "url": "https://b.org"}],
     "https://a.org", [{"label": "other", "value": "https://b.org"}]),
    ([{"label": "github", "url": "https://github.com/a"}], "", [{"label": "github", "value": "https://github.com/a"}]),
], ids=["none", "homepage", "website-label-wins", "first-plain", "socials-only"])
def test_urls_become_website_and_socials(urls: list[dict[str, Any]], website: str, socials: list[Any]) -> None:
    assert urls_to_remote(urls) == {"website": website, "socials": socials}


@pytest.mark.parametrize(("book_value", "remote"), [
    ("1990-03-15", "1990-03-15"), ("--02-29", "1604-02-29"), (None, None), ("", None), ("garbage", None),
])
def test_birthdays(book_value: str | None, remote: str | None) -> None:
    assert birthday_to_remote(book_value) == remote
    if remote:
        assert birthday_to_book(remote) == book_value


def test_custom_field_changes() -> None:
    assert custom_field_changes({"tier": "close", "score": 9}, {"Tier": "friend", "old": "x",
                                                                 ENTRY_LABELS_KEY: "{}"}) == {
        "Tier": "close", "score": 9, "old": None}
    assert custom_field_changes({"tier": "close", "gone": None}, {"tier": "close"}) == {}
    with pytest.raises(RemoteRejected) as caught:
        custom_field_changes({"rolo-entry-labels": "x"}, {})
    assert caught.value.code == "reserved_field"


def test_identity_and_version() -> None:
    body = to_relaybook(book(), create=True)
    stored = relaybook({**body, "emails": [{**e, "address": e["address"].upper()} for e in body["emails"]]})
    assert identity(stored) == identity(body)
    assert identity(relaybook({**body, "first_name": "Janet"})) != identity(body)
    assert version_of(book()) == version_of(book()) != version_of(book(labels=["vip", "new"]))
