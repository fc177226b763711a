"""RelateCrmClient over real HTTP against the relatecrm emulator: every method, pages, the total watch,
retries, errors, and creating safely without idempotency keys."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from relatecrm_support import *
from rolo.adapters._http import HttpClient
from rolo.adapters.relatecrm.client import ListingChanged, RelateCrmClient
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected

# -- contacts ------------------------------------------------------------------------------------------------


def test_contact_crud(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    created = crm_client.create_contact({"first_name": "Ada", "email": "ada@example.com", "city": "London"})
    assert created["id"] == 1 and created["city"] == "London"
    assert crm_client.get_contact(1)["email"] == "ada@example.com"
    assert crm_client.get_contact("1", select=["email"]) == {"id": 1, "email": "ada@example.com"}
    updated = crm_client.update_contact(1, {"first_name": "Ada", "last_name": "Lovelace"})
    assert updated["last_name"] == "Lovelace" and updated["city"] is None  # PUT cleared what it was not given
    crm_client.delete_contact(1)
    with pytest.raises(RemoteRejected) as caught:
        crm_client.get_contact(1)
    assert caught.value.status == 404 and "Record not found" in str(caught.value)


def test_list_walks_every_page(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    for i in range(230):
        crm.store.create_contact(first_name=f"P{i}")
    names = [c["first_name"] for c in crm_client.list_contacts(order="id|desc")]
    assert names == [f"P{i}" for i in reversed(range(230))]
    pages = crm.requests("GET /api/contacts")
    assert len(pages) == 3 and all("per_page=100" in p.query and "order=id%7Cdesc" in p.query for p in pages)


def test_list_with_small_pages_search_and_select(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    for i in range(7):
        crm.store.create_contact(first_name=f"P{i}", city="London" if i % 2 else "Paris")
    found = list(crm_client.list_contacts(q="london", search_fields=["city:="], select=["city"], per_page=2))
    assert found == [{"id": i, "city": "London"} for i in (2, 4, 6)]
    assert len(crm.requests("GET /api/contacts")) == 2


def test_a_walk_that_loses_records_stops(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    for i in range(150):
        crm.store.create_contact(first_name=f"P{i}")
    walk = crm_client.list_contacts(order="id|desc")
    first_page = [next(walk) for _ in range(100)]
    crm.store.delete_contact(first_page[0]["id"])  # every later record moves up one place: one would be skipped
    with pytest.raises(ListingChanged):
        list(walk)


def test_a_walk_that_gains_records_goes_on(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    for i in range(150):
        crm.store.create_contact(first_name=f"P{i}")
    walk = crm_client.list_contacts(order="id|desc")
    seen = [next(walk)["id"] for _ in range(100)]
    crm.store.create_contact(first_name="New")  # lands first: the next page repeats one record
    seen += [c["id"] for c in walk]
    assert set(seen) == set(range(1, 151))


def test_search_endpoint(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Ada", email="ada@example.com")
    crm.store.create_contact(first_name="Adam", email="adam@example.com")
    assert [c["id"] for c in crm_client.search_contacts("ada", order="id|desc")] == [2, 1]
    assert [c["id"] for c in crm_client.search_contacts("ADA@example.com", search_fields="email:=", take=1)] == [1]
    both = crm_client.search_contacts("first_name:Adam;email:adam@example.com",
                                      search_fields="first_name:=;email:=", search_match="and", select="id")
    assert both == [{"id": 2}]


# -- associations and companies ------------------------------------------------------------------------------


def test_associations(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    one = crm_client.create_company({"name": "One"})["id"]
    two = crm_client.create_company({"name": "Two"})["id"]
    deal = crm.store.create_deal("Deal")
    crm_client.create_contact({"first_name": "Ada", "companies": [one]})
    assert crm_client.attach(1, companies=[two], deals=[deal])["companies"] == [one, two]
    assert crm_client.sync(1, companies=[two])["companies"] == [two]
    detached = crm_client.detach(1, companies=[two], deals=[deal])
    assert detached["companies"] == [] and detached["deals"] == []
    with pytest.raises(ValueError):
        crm_client.attach(1)


def test_companies(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm_client.create_company({"name": "Analytical Engines", "domain": "engines.example"})
    for i in range(120):
        crm.store.create_company(name=f"C{i}")
    names = [c["name"] for c in crm_client.list_companies(select=("id", "name"))]
    assert len(names) == 121 and names[0] == "Analytical Engines"
    assert crm_client.get_company(1)["domain"] == "engines.example"
    assert crm_client.update_company(1, {"name": "Engines"})["domain"] is None
    crm_client.delete_company(1)
    assert [c["name"] for c in crm_client.list_companies(q="Engines", search_fields="name:=")] == []


# -- errors and retries --------------------------------------------------------------------------------------


def test_a_wrong_token_is_an_auth_error(crm: RelateCrmEmulator, crm_httpx: httpx.Client) -> None:
    client = RelateCrmClient(HttpClient(crm_httpx, base_url=crm.url, adapter="relatecrm", token="1|wrong",
                                        headers={"Accept": "application/json"}, retry=FAST))
    with pytest.raises(AdapterAuthError) as caught:
        client.get_contact(1)
    assert "Unauthenticated" in str(caught.value) and "1|wrong" not in str(caught.value)


def test_a_validation_error_names_the_field(crm_client: RelateCrmClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        crm_client.create_contact({"last_name": "Lovelace"})
    assert caught.value.status == 422 and "first name field is required" in str(caught.value)


def test_reads_and_puts_are_retried_through_500s(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Ada")
    crm.fail_every(2, 500)
    for _ in range(3):
        assert crm_client.get_contact(1)["first_name"] == "Ada"
        assert crm_client.update_contact(1, {"first_name": "Ada"})["first_name"] == "Ada"


def test_a_post_is_not_repeated_after_a_500(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.fail_every(1, 500)
    with pytest.raises(RemoteRejected) as caught:
        crm_client.create_contact({"first_name": "Ada"})
    assert caught.value.status == 500
    assert len(crm.requests("POST /api/contacts")) == 1


def test_a_post_is_repeated_after_a_429(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.rate_limit(1, 1.0)
    crm.store.create_contact(first_name="Eve")
    crm_client.search_contacts("eve")  # spends the window
    assert crm_client.create_contact({"first_name": "Ada"})["id"] == 2
    assert [e.status for e in crm.requests("POST /api/contacts")] in ([429, 201], [201])


def test_a_remote_that_stays_down_is_unavailable(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.fail_every(1, 503)
    with pytest.raises(AdapterUnavailable):
        list(crm_client.list_contacts())


# -- create_once -----------------------------------------------------------------------------------------------


def _stored_then_lost(crm: RelateCrmEmulator, crm_client: RelateCrmClient, body: dict[str, Any], losses: int):
    """A `send` whose first `losses` tries are stored and then answered with a failure (as a timeout would)."""
    calls = {"n": 0}

    def send() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= losses:
            crm.store.create_contact(body)
            raise AdapterUnavailable("relatecrm: POST /api/contacts timed out", adapter="relatecrm")
        return crm_client.create_contact(body)

    return send


def _lookup(crm_client: RelateCrmClient, name: str):
    return lambda: crm_client.search_contacts(f"first_name:{name}", search_fields="first_name:=")


def test_create_once_deletes_the_copies_earlier_tries_stored(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.store.clock = lambda: time.time() - 3600
    crm.store.create_contact(first_name="Ada", last_name="Older")  # someone else's, from an hour ago: kept
    crm.store.clock = time.time
    body = {"first_name": "Ada"}
    created = crm_client.create_once(_stored_then_lost(crm, crm_client, body, 2), _lookup(crm_client, "Ada"),
                                     lambda twin: crm_client.delete_contact(twin["id"]))
    assert [c["id"] for c in crm.store.contacts()] == [1, created["id"]]


def test_create_once_takes_the_earlier_try_a_unique_email_refers_to(
    crm_client: RelateCrmClient, crm: RelateCrmEmulator
) -> None:
    body = {"first_name": "Ada", "email": "ada@example.com"}
    created = crm_client.create_once(
        _stored_then_lost(crm, crm_client, body, 1),
        lambda: crm_client.search_contacts("ada@example.com", search_fields="email:=", take=1),
        lambda twin: crm_client.delete_contact(twin["id"]),
    )
    assert created["id"] == 1 and len(crm.store.contacts()) == 1


def test_create_once_whose_tries_all_fail_returns_one_stored_copy(
    crm_client: RelateCrmClient, crm: RelateCrmEmulator
) -> None:
    body = {"first_name": "Ada"}
    created = crm_client.create_once(_stored_then_lost(crm, crm_client, body, 99), _lookup(crm_client, "Ada"),
                                     lambda twin: crm_client.delete_contact(twin["id"]))
    assert [c["id"] for c in crm.store.contacts()] == [created["id"]] == [1]


def test_create_once_raises_when_nothing_was_stored(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.fail_every(1, 500)
    with pytest.raises(RemoteRejected):
        crm_client.create_once(lambda: crm_client.create_contact({"first_name": "Ada"}), list,
                               lambda twin: None)
    assert len(crm.requests("POST /api/contacts")) == FAST.attempts


def test_create_once_through_a_storm_makes_one_record(crm_client: RelateCrmClient, crm: RelateCrmEmulator) -> None:
    crm.fail_every(2, 500)
    for i in range(5):
        crm_client.create_once(lambda i=i: crm_client.create_contact({"first_name": f"P{i}"}),
                               _lookup(crm_client, f"P{i}"), lambda twin: crm_client.delete_contact(twin["id"]))
    crm.clear_faults()
    assert sorted(c["first_name"] for c in crm.store.contacts()) == [f"P{i}" for i in range(5)]
