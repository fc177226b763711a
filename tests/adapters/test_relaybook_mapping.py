"""RelayBook mapping: label vocabularies and how the engine keeps the book's labels, websites and socials,
birthdays, bodies (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from rolo.adapters.relaybook import RelayBookAdapter
from rolo.adapters.relaybook.mapping import (
    CARRIED_FIELDS,
    ENTRY_LABELS_KEY,
    birthday_to_book,
    birthday_to_remote,
    book_label,
    custom_field_changes,
    identity,
    remote_label,
    to_book,
    to_relaybook,
    urls_to_remote,
    version_of,
)
from rolo.core.errors import RemoteRejected
from rolo.core.record import ContactRecord, PhoneEntry, UrlEntry
from rolo.core.sync.merge import apply_local, flatten, project, same, three_way


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
    ("phones", "android", "mobile"), ("phones", "_$!<Mobile>!$_", "mobile"), ("phones", "Office", "work"),
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


def test_what_is_sent_is_the_declared_vocabularys_label() -> None:
    caps = RelayBookAdapter.capabilities
    assert caps.entry_labels["phones"] == {"mobile", "work", "other"}
    labels = ("work", "home", "Private", "cell", "android", "work fax", "main", "holiday", "Twitter", None)
    for kind in ("emails", "phones", "addresses", "urls"):
        for label in labels:
            wanted = caps.remote_label(kind, label)
            relaybooks = "personal" if (kind, wanted) == ("emails", "home") else wanted
            assert remote_label(kind, label) == relaybooks, (kind, label)


def test_no_label_memo_is_written_and_an_old_one_is_never_read() -> None:
    data = book(phones=[{"number": "+1 555 0100", "e164": None, "label": "home", "primary": True}])
    body = to_relaybook(data)
    assert body["phones"] == [{"number": "+1 555 0100", "label": "other", "primary": True}]
    assert "custom_fields" not in body
    old_memo = {"tier": "close", ENTRY_LABELS_KEY: '{"phones":{"+15550100":"home"}}'}
    pulled = to_book(relaybook(body, old_memo), ["vip"])
    assert pulled["phones"][0]["label"] is None  # RelayBook's own word: other, which is no label
    assert pulled["custom_fields"] == {"tier": "close"}


def test_the_engine_keeps_the_books_labels_through_relaybooks_coarser_ones() -> None:
    """What the memo used to do: the book's home phone, iPhone, private email and homepage come back unchanged
    when RelayBook's lists are pulled, and a label relabelled in RelayBook is taken."""
    caps = RelayBookAdapter.capabilities
    mine = ContactRecord(uid="u1", given_name="Jane", phones=[
        PhoneEntry("+1 555 0100", None, "home", True), PhoneEntry("+1 555 0101", None, "iPhone")],
        urls=[UrlEntry("https://jane.example", "homepage"), UrlEntry("https://x.com/j", "Twitter")])
    local = project(mine.to_json(), caps)
    stored = to_book(relaybook(to_relaybook(local, create=True)), [])
    for key in ("phones", "urls"):
        assert same(key, local[key], stored[key], caps), key  # no change, no conflict
    assert three_way(local, stored, None, None, caps).empty
    # a RelayBook user adds a phone: the whole list is pulled
    added = {**stored, "phones": [*stored["phones"], {"number": "+1 555 0102", "e164": None, "label": "work",
                                                      "primary": False}]}
    merge = three_way(local, added, local, stored, caps)
    assert set(merge.to_local) == {"phones"} and not merge.to_remote and not merge.conflicts
    pulled = apply_local(mine, merge.to_local, caps)
    assert [(p.number, p.label) for p in pulled.phones] == [
        ("+1 555 0100", "home"), ("+1 555 0101", "iPhone"), ("+1 555 0102", "work")]
    # a RelayBook user relabels the home phone (RelayBook's other) as work: theirs wins
    relabelled = {**stored, "phones": [{**stored["phones"][0], "label": "work"}, stored["phones"][1]]}
    merge = three_way(local, relabelled, local, stored, caps)
    assert [p.label for p in apply_local(mine, merge.to_local, caps).phones] == ["work", "iPhone"]
    assert flatten(stored)["urls"] == [{"label": None, "url": "https://jane.example"},
                                       {"label": "x", "url": "https://x.com/j"}]


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
