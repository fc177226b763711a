"""RelateCrmAdapter against the emulator: what is relatecrm-specific beyond the shared conformance scenarios
(full updates, stand-in names, phone types that never degrade the book's labels, countries, companies
through associations, listings, lookups, registration)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from relatecrm_support import *
from relatecrm_support import FAST
from rolo.adapters.relatecrm import RelateCrmAdapter
from rolo.adapters.relatecrm.client import ListingChanged
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator
from rolo.core.book import Book
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected, UserError
from rolo.core.fields import FieldDefinition
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import AddressEntry, ContactRecord, EmailEntry, PhoneEntry
from rolo.core.sync.engine import SyncEngine, SyncOptions
from rolo.core.sync.merge import same
from rolo.core.sync.remotes import adapter_class


def data(email: str | None = "ada@example.com", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "given_name": "Ada", "family_name": "Lovelace",
        "emails": [{"address": email, "label": None, "primary": True}] if email else [],
        "phones": [], "addresses": [], "title": None, "organization": None, "labels": [], "custom_fields": {},
    }
    base.update(changes)
    return base


def phone(number: str, label: str | None = None) -> dict[str, Any]:
    return {"number": number, "e164": None, "label": label, "primary": False}


@pytest.fixture
def new_adapter(crm: RelateCrmEmulator) -> Callable[[], RelateCrmAdapter]:
    """Adapters on the emulator, a fresh one per sync run (as the engine uses them)."""
    clients: list[httpx.Client] = []

    def make() -> RelateCrmAdapter:
        clients.append(httpx.Client(timeout=5))
        adapter = RelateCrmAdapter(clients[-1], url=crm.url, token=crm.api_key)
        adapter.http.retry = FAST
        return adapter

    yield make
    for client in clients:
        client.close()


# -- configuration and registration ------------------------------------------------------------------------


def test_registered_under_its_name_with_its_emulator() -> None:
    cls = adapter_class(new_plugin_manager(), "relatecrm")
    assert cls is RelateCrmAdapter and cls.capabilities.lookup and not cls.capabilities.idempotent_create
    assert cls.capabilities.single == {"emails", "addresses"}


@pytest.mark.parametrize(("url", "token", "options", "message"), [
    ("", "1|x", {}, "give the installation's URL"),
    ("http://crm.example", None, {}, "access token is needed"),
    ("http://crm.example", "1|x", {"page_size": "101"}, "page_size must be from 1 to 100"),
    ("http://crm.example", "1|x", {"page_size": "many"}, "page_size must be a number"),
    ("http://crm.example", "1|x", {"retry_attempts": "lots"}, "retry options must be numbers"),
], ids=["no-url", "no-token", "page-size-range", "page-size-text", "retry-text"])
def test_configuration_errors(url: str, token: str | None, options: dict[str, str], message: str) -> None:
    with httpx.Client() as client, pytest.raises(UserError, match=message):
        RelateCrmAdapter(client, url=url, token=token, options=options)


def test_a_url_ending_in_api_works_too(crm: RelateCrmEmulator, crm_httpx: httpx.Client) -> None:
    adapter = RelateCrmAdapter(crm_httpx, url=f"{crm.url}/api/", token=crm.api_key)
    assert adapter.check() == {"contacts": 0, "rate_limit": None, "rate_limit_remaining": None}


def test_check_reports_the_contacts_and_a_wrong_token(crm: RelateCrmEmulator, crm_httpx: httpx.Client) -> None:
    crm.store.create_contact(first_name="Ada")
    crm.rate_limit(100, 60)
    adapter = RelateCrmAdapter(crm_httpx, url=crm.url, token=crm.api_key)
    assert adapter.check() == {"contacts": 1, "rate_limit": "100", "rate_limit_remaining": "99"}
    assert "select=id" in crm.requests("GET /api/contacts")[-1].query
    with pytest.raises(AdapterAuthError):
        RelateCrmAdapter(crm_httpx, url=crm.url, token="1|wrong").check()


def test_rolo_emulate_serves_it(tmp_path: Path) -> None:
    rolo = Path(sys.executable).parent / "rolo"
    process = subprocess.Popen([str(rolo), "emulate", "relatecrm", "--json"], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        answer = httpx.get(f"{info['url']}/api/contacts",
                           headers={"Authorization": f"Bearer {info['api_key']}", "Accept": "application/json"})
        assert info["adapter"] == "relatecrm" and answer.status_code == 200
    finally:
        process.terminate()
        process.wait(10)


# -- pulls -------------------------------------------------------------------------------------------------


def test_a_complete_listing_walks_newest_first(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    for i in range(120):
        crm.store.create_contact(first_name=f"P{i}", email=f"p{i}@example.com")
    changes = crm_adapter.list_changes(None)
    assert changes.complete and changes.deleted is None and len(changes.records) == 120
    assert changes.bookmark == max(c["updated_at"] for c in crm.store.contacts())
    assert all("order=id%7Cdesc" in r.query for r in crm.requests("GET /api/contacts"))
    first = changes.records[0]
    assert first.id == "120" and first.updated_at and first.version


def test_an_incremental_listing_stops_at_the_bookmark(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator,
                                                      new_adapter: Callable[[], RelateCrmAdapter]) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    for i in range(250):
        crm.store.create_contact(first_name=f"P{i}")
    bookmark = crm_adapter.list_changes(None).bookmark
    now[0] += 10
    crm.store.update_contact(7, last_name="Edited")
    crm.log.clear()
    later = new_adapter().list_changes(bookmark)
    assert not later.complete and later.deleted is None
    # the record changed, and those of the bookmark's own second (all 250 here), which the engine skips
    assert {r.id for r in later.records} >= {"7"} and later.bookmark == "2027-01-15T08:00:10.000000Z"
    now[0] += 10
    crm.store.update_contact(9, last_name="Edited")
    crm.log.clear()
    again = new_adapter().list_changes(later.bookmark)
    assert [r.id for r in again.records] == ["9", "7"]
    (page,) = crm.requests("GET /api/contacts")  # one page: the walk stopped at the first older record
    assert "order=updated_at%7Cdesc" in page.query


def test_an_incremental_listing_with_nothing_new_keeps_the_bookmark(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator
) -> None:
    crm.store.clock = lambda: 1_800_000_000.0
    crm.store.create_contact(first_name="Ada")
    crm.store.clock = lambda: 1_800_000_100.0
    bookmark = "2027-01-15T08:00:50.000000Z"
    changes = crm_adapter.list_changes(bookmark)
    assert changes.records == [] and changes.bookmark == bookmark


def test_a_foreign_bookmark_lists_everything(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Ada")
    assert crm_adapter.list_changes("page-7").complete


def test_a_renamed_company_brings_its_contacts_in_an_incremental_listing(
    crm: RelateCrmEmulator, new_adapter: Callable[[], RelateCrmAdapter]
) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    company = crm.store.create_company(name="Analytical Engines")["id"]
    ada = crm.store.create_contact(first_name="Ada", companies=[company])
    crm.store.create_contact(first_name="Grace")
    bookmark = new_adapter().list_changes(None).bookmark
    now[0] += 10
    crm.store.update_company(company, name="Engines Ltd")
    changes = new_adapter().list_changes(bookmark)
    assert {r.id: r.data["organization"] for r in changes.records}[str(ada["id"])] == "Engines Ltd"
    assert crm.requests("GET /api/companies/{id}")
    now[0] += 10
    crm.store.update_company(company, name="Engines plc")
    later = new_adapter().list_changes(changes.bookmark)  # no contact changed since: only the company's
    assert [(r.id, r.data["organization"]) for r in later.records] == [(str(ada["id"]), "Engines plc")]


def test_a_listing_that_keeps_losing_records_is_retried_then_given_up(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm.store.create_contact(first_name="Ada")
    real = crm_adapter.api.list_contacts
    failures = iter([True, False])

    def flaky(**kwargs: Any):
        if next(failures, True):
            raise ListingChanged("relatecrm: lost records", adapter="relatecrm")
        return real(**kwargs)

    monkeypatch.setattr(crm_adapter.api, "list_contacts", flaky)
    assert len(crm_adapter.list_changes(None).records) == 1
    failures = iter([True] * 3)
    with pytest.raises(AdapterUnavailable, match="3 times"):
        crm_adapter.list_changes(None)


def test_get_and_delete_of_missing_contacts(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    assert crm_adapter.get("42") is None and crm_adapter.get("not-a-number") is None
    crm_adapter.delete("42")  # already gone: done
    created = crm.store.create_contact(first_name="Ada")
    crm_adapter.delete(str(created["id"]))
    assert crm.store.contacts() == []
    with pytest.raises(RemoteRejected) as caught:
        crm_adapter.update(str(created["id"]), data(), changed=frozenset({"family_name"}), previous=None)
    assert caught.value.status == 404


# -- pushes: full updates ------------------------------------------------------------------------------------


def test_an_update_sends_the_whole_record_so_nothing_is_wiped(
    crm: RelateCrmEmulator, new_adapter: Callable[[], RelateCrmAdapter]
) -> None:
    company = crm.store.create_company(name="Analytical Engines")["id"]
    deal = crm.store.create_deal("Difference engine")
    crm.store.create_contact(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", job_title="Analyst", user_id=2,
        source_id=3, street="12 St James's Sq", city="London", postal_code="SW1Y", country_id=826,
        phones=[{"number": "+44 20 7946 0123", "type": "work"}], companies=[company], deals=[deal],
        industry="computing", tags=["math", "poetry"], rolo_labels=["friends"],
    )
    adapter = new_adapter()
    (record,) = adapter.list_changes(None).records
    changed = {**record.data, "family_name": "King"}
    stored = adapter.update(record.id, changed, changed=frozenset({"family_name"}), previous=record.data)
    contact = crm.store.contact(1)
    assert contact["last_name"] == "King"
    for key, value in {"email": "ada@example.com", "job_title": "Analyst", "user_id": 2, "source_id": 3,
                       "street": "12 St James's Sq", "city": "London", "postal_code": "SW1Y", "country_id": 826,
                       "phones": [{"number": "+44 20 7946 0123", "type": "work"}], "companies": [company],
                       "deals": [deal], "industry": "computing", "tags": ["math", "poetry"],
                       "rolo_labels": ["friends"]}.items():
        assert contact[key] == value, key
    assert stored.data == changed
    (put,) = crm.requests("PUT /api/contacts/{id}")
    assert put.status == 200


def test_an_update_of_a_contact_not_listed_reads_it_first(
    crm: RelateCrmEmulator, crm_adapter: RelateCrmAdapter
) -> None:
    crm.store.create_contact(first_name="Ada", user_id=2)
    crm_adapter.update("1", data(email=None), changed=frozenset({"family_name"}), previous=None)
    assert crm.requests("GET /api/contacts/{id}") and crm.store.contact(1)["user_id"] == 2


def test_removed_custom_fields_and_labels_are_cleared(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    record = crm_adapter.create(data(custom_fields={"tier": "close", "met_at": "Royal Society"},
                                     labels=["math", "Book Club"]), idempotency_key="k")
    assert crm.store.contact(1)["rolo_labels"] == ["Book Club", "math"]
    crm_adapter.update(record.id, data(custom_fields={"tier": "friend"}), changed=frozenset({"custom_fields"}),
                       previous=record.data)
    contact = crm.store.contact(1)
    assert contact["tier"] == "friend" and contact["met_at"] is None and contact["rolo_labels"] is None


def test_reserved_custom_field_names_are_refused(crm_adapter: RelateCrmAdapter) -> None:
    with pytest.raises(RemoteRejected) as caught:
        crm_adapter.prepare([FieldDefinition("tier", "text"), FieldDefinition("City", "text"),
                             FieldDefinition("rolo-notes", "text")])
    assert caught.value.code == "reserved_field" and "'city'" in str(caught.value) and "rolo-notes" in str(caught.value)
    crm_adapter.prepare([FieldDefinition("tier", "select", ["a"])])
    with pytest.raises(RemoteRejected):
        crm_adapter.create(data(custom_fields={"email": "x"}), idempotency_key="k")


def test_custom_field_values_keep_their_types(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    values = {"score": 9, "ratio": 0.5, "vip": True, "met": "2020-01-02", "tags": ["a", "b"]}
    record = crm_adapter.create(data(custom_fields=values), idempotency_key="k")
    assert record.data["custom_fields"] == values
    assert crm_adapter.list_changes(None).records[0].data["custom_fields"] == values


# -- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "family", "extra", "sent"), [
    (None, "Smith", {}, ("Smith", None)),
    (None, None, {"organization": "Analytical Engines"}, ("Analytical Engines", None)),
    (None, None, {}, ("ada@example.com", None)),
    (None, None, {"emails": [], "phones": [phone("+44 20 7946 0123")]}, ("+44 20 7946 0123", None)),
    (None, None, {"emails": []}, ("(no name)", None)),
], ids=["family-only", "organization", "email", "phone", "nothing"])
def test_a_contact_without_a_given_name_gets_a_stand_in_that_never_comes_back(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator, given: str | None, family: str | None,
    extra: dict[str, Any], sent: tuple[str, str | None],
) -> None:
    book_data = data(given_name=given, family_name=family, **extra)
    record = crm_adapter.create(book_data, idempotency_key="k")
    contact = crm.store.contact(int(record.id))
    assert (contact["first_name"], contact["last_name"]) == sent
    assert (record.data["given_name"], record.data["family_name"]) == (given, family)
    assert crm_adapter.find(book_data).id == record.id


def test_a_stand_in_renamed_in_the_crm_is_a_name(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    record = crm_adapter.create(data(given_name=None, family_name="Smith"), idempotency_key="k")
    crm.store.update_contact(record.id, last_name="Smithson")
    (pulled,) = crm_adapter.list_changes(None).records
    assert (pulled.data["given_name"], pulled.data["family_name"]) == ("Smith", "Smithson")


# -- phones: types, and labels that never degrade -----------------------------------------------------------


@pytest.mark.parametrize(("label", "kind", "pulled"), [
    ("mobile", "mobile", "mobile"), ("home mobile", "mobile", "mobile"), ("iPhone", "mobile", "mobile"),
    ("android", "mobile", "mobile"), ("work", "work", "work"), ("work fax", "other", None),
    ("home", "other", None), ("fax", "other", None), (None, "other", None),
], ids=lambda v: str(v))
def test_phone_labels_map_to_types_the_engine_takes_as_the_books_labels(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator, label: str | None, kind: str, pulled: str | None
) -> None:
    sent = [phone("+1 415 555 0100", label)]
    record = crm_adapter.create(data(phones=sent), idempotency_key="k")
    assert crm.store.contact(1)["phones"] == [{"number": "+1 415 555 0100", "type": kind}]
    assert record.data["phones"][0]["label"] == pulled  # the type's word; `other` is no label
    assert crm_adapter.list_changes(None).records[0].data["phones"][0]["label"] == pulled
    # ...which the engine takes as the book's own label: no change, no conflict, and the book keeps its label
    assert same("phones", sent, record.data["phones"], RelateCrmAdapter.capabilities)
    assert crm.store.contact(1).get("rolo_meta") is None  # no memo of the book's labels


def test_a_type_changed_in_the_crm_is_read_as_its_word_and_other_as_no_label(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator
) -> None:
    crm_adapter.create(data(phones=[phone("+1 415 555 0100", "home"), phone("+1 415 555 0101", "mobile")]),
                       idempotency_key="k")
    crm.store.update_contact(1, phones=[{"number": "+1 415 555 0100", "type": "mobile"},
                                        {"number": "+1 415 555 0101", "type": "other"},
                                        {"number": "+1 415 555 0102", "type": "other"}])
    (record,) = crm_adapter.list_changes(None).records
    assert [p["label"] for p in record.data["phones"]] == ["mobile", None, None]


def _sync(book: Book, adapter: RelateCrmAdapter) -> Any:
    report = SyncEngine(book, "crm", adapter, SyncOptions(), new_plugin_manager()).run()
    assert report.exit_code == 0, report.as_dict()
    return report


def test_a_pull_never_degrades_the_books_phone_labels(
    book: Book, crm: RelateCrmEmulator, new_adapter: Callable[[], RelateCrmAdapter]
) -> None:
    book.add(ContactRecord(uid="u1", formatted_name="Ada Lovelace", given_name="Ada", family_name="Lovelace",
                           emails=[EmailEntry("ada@example.com", None, True)],
                           phones=[PhoneEntry("+1 415 555 0100", label="home", primary=True),
                                   PhoneEntry("+1 415 555 0101", label="work fax"),
                                   PhoneEntry("+1 415 555 0102", label="iPhone")]))
    _sync(book, new_adapter())
    assert [p["type"] for p in crm.store.contact(1)["phones"]] == ["other", "other", "mobile"]
    # edits in the CRM: the name, and the home number (the CRM keeps its type "other")
    crm.store.update_contact(1, last_name="King", phones=[{"number": "+1 415 555 0199", "type": "other"},
                                                           *crm.store.contact(1)["phones"][1:]])
    report = _sync(book, new_adapter())
    assert report.counts == {"local_updated": 1}
    ada = book.get("ada@example.com")
    assert ada.family_name == "King"
    assert [(p.number, p.label) for p in ada.phones] == [
        ("+1 415 555 0199", "home"), ("+1 415 555 0101", "work fax"), ("+1 415 555 0102", "iPhone")]
    assert _sync(book, new_adapter()).counts == {}


# -- addresses and countries ----------------------------------------------------------------------------------


def address(country: str | None, **parts: Any) -> dict[str, Any]:
    return {"label": "home", "po_box": None, "extended": None, "street": "2217 N Sheffield Ave",
            "locality": "Chicago", "region": "IL", "postal_code": "60614", "country": country, **parts}


@pytest.mark.parametrize(("country", "ident"), [("USA", 840), ("United States", 840), ("Deutschland", 276),
                                                ("jp", 392), ("Narnia", None), (None, None)],
                         ids=lambda v: str(v))
def test_countries_go_by_iso_numeric_id_and_keep_the_books_text(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator, country: str | None, ident: int | None
) -> None:
    record = crm_adapter.create(data(addresses=[address(country)]), idempotency_key="k")
    contact = crm.store.contact(1)
    assert (contact["street"], contact["city"], contact["state"], contact["postal_code"], contact["country_id"]) \
        == ("2217 N Sheffield Ave", "Chicago", "IL", "60614", ident)
    (pulled,) = crm_adapter.list_changes(None).records
    assert pulled.data["addresses"][0]["country"] == (country or "") == record.data["addresses"][0]["country"]
    assert pulled.data["addresses"][0]["label"] is None  # not carried: the book keeps its own


def test_a_country_changed_in_the_crm_reads_as_the_tables_name(
    crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator
) -> None:
    crm_adapter.create(data(addresses=[address("USA")]), idempotency_key="k")
    crm.store.update_contact(1, country_id=124, city=None)
    (pulled,) = crm_adapter.list_changes(None).records
    assert pulled.data["addresses"][0]["country"] == "Canada"
    assert pulled.data["addresses"][0]["locality"] == ""  # emptied in the CRM: "" so the book clears it too


# -- companies through associations --------------------------------------------------------------------------


def test_organizations_attach_sync_and_detach_companies(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    other = crm.store.create_company(name="Royal Society")["id"]
    record = crm_adapter.create(data(organization="Analytical Engines"), idempotency_key="k")
    (engines,) = [c["id"] for c in crm.store.companies() if c["name"] == "Analytical Engines"]
    assert crm.store.contact(1)["companies"] == [engines] and record.data["organization"] == "Analytical Engines"
    crm.store.attach(1, companies=[other])
    moved = crm_adapter.update("1", data(organization="babbage & co"), changed=frozenset({"organization"}),
                               previous=record.data)
    (babbage,) = [c["id"] for c in crm.store.companies() if c["name"] == "babbage & co"]
    assert crm.store.contact(1)["companies"] == [babbage, other] and moved.data["organization"] == "babbage & co"
    assert crm.requests("POST /api/associations/contacts/{id}")
    emptied = crm_adapter.update("1", data(organization=None), changed=frozenset({"organization"}),
                                 previous=moved.data)
    assert crm.store.contact(1)["companies"] == [other] and emptied.data["organization"] == "Royal Society"
    assert crm.requests("DELETE /api/associations/contacts/{id}")
    crm.store.sync(1, companies=[])
    crm_adapter.update("1", data(organization="ROYAL SOCIETY"), changed=frozenset({"organization"}),
                       previous=emptied.data)
    assert crm.store.contact(1)["companies"] == [other]  # an existing company, matched without case
    assert crm.requests("PUT /api/associations/contacts/{id}")
    assert len(crm.store.companies()) == 3


def test_an_unchanged_organization_touches_no_association(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    record = crm_adapter.create(data(organization="Analytical Engines"), idempotency_key="k")
    crm_adapter.update(record.id, data(organization="analytical  engines", family_name="King"),
                       changed=frozenset({"family_name", "organization"}), previous=record.data)
    assert not [e for e in crm.log if e.path.startswith("/api/associations")]


def test_a_company_post_that_fails_is_not_doubled(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    crm_adapter.companies.load()
    crm.fail_every(2, 500)
    for name in ("One", "Two", "Three"):
        crm_adapter.companies.id_for(name)
    crm.clear_faults()
    assert sorted(c["name"] for c in crm.store.companies()) == ["One", "Three", "Two"]


# -- creates without idempotency keys, and lookups -----------------------------------------------------------


@pytest.mark.parametrize("email", ["ada@example.com", None], ids=["with-email", "without"])
def test_creates_ride_out_500s_without_doubles(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator,
                                               email: str | None) -> None:
    crm.fail_every(2, 500)
    for i in range(4):
        crm_adapter.create(data(email=email and f"p{i}@example.com", family_name=f"P{i}"), idempotency_key="k")
    crm.clear_faults()
    assert sorted(c["last_name"] for c in crm.store.contacts()) == [f"P{i}" for i in range(4)]


def test_find_by_email_phone_or_exact_name(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    by_email = crm_adapter.create(data(), idempotency_key="k")
    by_phone = crm_adapter.create(data(email=None, given_name="Grace", phones=[phone("+1 202 555 0100", "work")]),
                                  idempotency_key="k")
    by_name = crm_adapter.create(data(email=None, given_name="Alan", family_name="Turing"), idempotency_key="k")
    crm.store.create_contact(first_name="Alan", last_name="Turing", email="other@example.com")
    assert crm_adapter.find(data(email="ADA@example.com", given_name="Someone")).id == by_email.id
    assert crm_adapter.find(data(email=None, given_name="Grace", phones=[phone("+1 202 555 0100")])).id == by_phone.id
    assert crm_adapter.find(data(email=None, given_name="Alan", family_name="Turing")).id == by_name.id
    assert crm_adapter.find(data(email="nobody@example.com")) is None
    assert crm_adapter.find(data(email=None, given_name="Grace", family_name="Hopper",
                                 phones=[phone("+1 202 555 0100")])) is None  # same number, another person
    assert crm_adapter.find(data(email=None, given_name="a;b")) is None
    searches = crm.requests("GET /api/contacts/search")
    assert any("take=1" in s.query and "search_fields=email%3A%3D" in s.query for s in searches)
    assert any("search_match=and" in s.query for s in searches)


def test_a_synced_book_round_trips_everything_it_carries(
    book: Book, crm: RelateCrmEmulator, new_adapter: Callable[[], RelateCrmAdapter]
) -> None:
    book.define_field(FieldDefinition("tier", "select", ["close", "friend"]))
    book.add(ContactRecord(
        uid="u1", formatted_name="Ada Lovelace", given_name="Ada", family_name="Lovelace", title="Analyst",
        organization="Analytical Engines", emails=[EmailEntry("ada@example.com", "work", True)],
        phones=[PhoneEntry("+44 20 7946 0123", label="home", primary=True)],
        addresses=[AddressEntry(label="home", street="12 St James's Sq", locality="London", postal_code="SW1Y",
                                country="UK", primary=True)],
        labels=["math"], custom_fields={"tier": "close"}, birthday="1815-12-10", nickname="Enchantress"))
    book.add(ContactRecord(uid="u2", formatted_name="Analytical Engines Ltd", organization="Analytical Engines",
                           kind="org"))
    _sync(book, new_adapter())
    (ada, org) = sorted(crm.store.contacts(), key=lambda c: c["id"])
    assert (ada["country_id"], ada["job_title"], org["first_name"]) == (826, "Analyst", "Analytical Engines")
    crm.store.update_contact(ada["id"], job_title="Countess")
    _sync(book, new_adapter())
    local = book.get("ada@example.com")
    assert local.title == "Countess" and local.nickname == "Enchantress" and local.birthday == "1815-12-10"
    assert local.addresses[0].country == "UK" and local.addresses[0].label == "home"
    assert local.emails[0].label == "work"
    book.update("ada@example.com", lambda c: dataclasses.replace(c, family_name="King"))
    _sync(book, new_adapter())
    assert crm.store.contact(ada["id"])["job_title"] == "Countess"
    assert _sync(book, new_adapter()).counts == {}


def test_a_taken_email_is_explained(crm_adapter: RelateCrmAdapter, crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Jon", email="jon@example.com")
    with pytest.raises(RemoteRejected) as caught:
        crm_adapter.create(data(email="JON@example.com"), idempotency_key="k")
    assert caught.value.status == 422 and "rolo dupes" in str(caught.value)
    other = crm_adapter.create(data(), idempotency_key="k")
    with pytest.raises(RemoteRejected, match="keeps emails unique"):
        crm_adapter.update(other.id, data(email="jon@example.com"), changed=frozenset({"emails"}), previous=None)
    with pytest.raises(RemoteRejected) as caught:
        crm_adapter.create(data(email="bad@localhost"), idempotency_key="k")
    assert "rolo dupes" not in str(caught.value)

