"""RelayBookClient and BookHttp over real HTTP against the RelayBook emulator: every method, paging, the book
header and its errors, retries."""

from __future__ import annotations

import httpx
import pytest
from relaybook_support import *
from relaybook_support import FAST
from rolo.adapters.relaybook.client import BookHttp, RelayBookClient
from rolo.adapters.relaybook.emulator import BOOK_ID, OTHER_TEAM_BOOK_ID, SECOND_BOOK_ID, RelayBookEmulator
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected


def client_for(emulator: RelayBookEmulator, httpx_client: httpx.Client, *, book: str | None = BOOK_ID,
               token: str | None = None) -> RelayBookClient:
    http = BookHttp(httpx_client, base_url=emulator.url, adapter="relaybook", token=token or emulator.api_key,
                    book=book, book_hint="rolo remote test rb lists the books", retry=FAST,
                    auth_hint="create a key")
    return RelayBookClient(http)


# -- contacts ------------------------------------------------------------------------------------------------


def test_contact_crud(relaybook_client: RelayBookClient, relaybook_emulator: RelayBookEmulator) -> None:
    made = relaybook_client.create_contact({"first_name": "Jane", "emails": [{"address": "j@acme.com",
                                                                             "label": "work", "primary": True}]})
    assert made["book_id"] == BOOK_ID and made["first_name"] == "Jane"
    assert relaybook_client.get_contact(made["id"])["emails"][0]["address"] == "j@acme.com"
    patched = relaybook_client.update_contact(made["id"], {"last_name": "Cooper", "emails": []})
    assert patched["last_name"] == "Cooper" and patched["emails"] == []
    relaybook_client.delete_contact(made["id"])
    with pytest.raises(RemoteRejected) as caught:
        relaybook_client.get_contact(made["id"])
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")


def test_a_refused_create_names_the_problem(relaybook_client: RelayBookClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        relaybook_client.create_contact({"notes": "no name"})
    assert (caught.value.status, caught.value.code) == (422, "VALIDATION_ERROR")
    assert "first_name, last_name or company" in str(caught.value)


def test_the_listing_walks_every_page_of_200(relaybook_client: RelayBookClient,
                                              relaybook_emulator: RelayBookEmulator) -> None:
    made = [relaybook_emulator.store.create_contact(first_name=f"P{i}")["id"] for i in range(430)]
    assert [c["id"] for c in relaybook_client.list_contacts()] == made
    pages = relaybook_emulator.requests("GET /api/v1/contacts")
    assert [p.query for p in pages] == [f"offset={o}&limit=200" for o in (0, 200, 400)]


def test_a_small_page_size(relaybook_http: BookHttp, relaybook_emulator: RelayBookEmulator) -> None:
    for i in range(7):
        relaybook_emulator.store.create_contact(first_name=f"P{i}")
    assert len(list(RelayBookClient(relaybook_http, page_size=3).list_contacts())) == 7
    assert len(relaybook_emulator.requests("GET /api/v1/contacts")) == 3


def test_contacts_page_gives_the_total(relaybook_client: RelayBookClient,
                                       relaybook_emulator: RelayBookEmulator) -> None:
    for i in range(5):
        relaybook_emulator.store.create_contact(first_name=f"P{i}")
    items, total = relaybook_client.contacts_page(3, 10)
    assert [c["first_name"] for c in items] == ["P3", "P4"] and total == 5


# -- books, labels, bulk (designed endpoints) ------------------------------------------------------------------


def test_books(relaybook_emulator: RelayBookEmulator, relaybook_httpx: httpx.Client) -> None:
    books = client_for(relaybook_emulator, relaybook_httpx, book=None).list_books()
    assert [b["id"] for b in books] == [BOOK_ID, SECOND_BOOK_ID]


def test_labels(relaybook_client: RelayBookClient, relaybook_emulator: RelayBookEmulator) -> None:
    jane = relaybook_emulator.store.create_contact(first_name="Jane")
    vip = relaybook_client.create_label("vip")
    with pytest.raises(RemoteRejected) as caught:
        relaybook_client.create_label("VIP")
    assert caught.value.status == 409
    assert [label["name"] for label in relaybook_client.list_labels()] == ["vip"]
    assert [x["name"] for x in relaybook_client.add_labels(jane["id"], [vip["id"]])] == ["vip"]
    assert list(relaybook_client.label_members(vip["id"])) == [jane["id"]]
    assert [x["id"] for x in relaybook_client.contact_labels(jane["id"])] == [vip["id"]]
    relaybook_client.remove_label(jane["id"], vip["id"])
    assert relaybook_client.contact_labels(jane["id"]) == []
    with pytest.raises(RemoteRejected) as caught:
        relaybook_client.remove_label(jane["id"], vip["id"])
    assert caught.value.status == 404


def test_label_members_walk_pages(relaybook_http: BookHttp, relaybook_emulator: RelayBookEmulator) -> None:
    ids = [relaybook_emulator.store.create_contact(first_name=f"P{i}")["id"] for i in range(5)]
    label = relaybook_emulator.store.create_label("many")
    for ident in ids:
        relaybook_emulator.store.add_labels(ident, [label["id"]])
    assert list(RelayBookClient(relaybook_http, page_size=2).label_members(label["id"])) == ids


def test_bulk_custom_fields_go_500_a_request(relaybook_client: RelayBookClient,
                                             relaybook_emulator: RelayBookEmulator) -> None:
    jane = relaybook_emulator.store.create_contact(first_name="Jane")
    updates = [{"contact_id": jane["id"], "key": f"k{i}", "value": i} for i in range(501)]
    stored = relaybook_client.bulk_update_custom_fields(updates)
    assert len(relaybook_emulator.requests("POST /api/v1/bulk/custom-fields")) == 2
    assert stored[-1]["custom_fields"] == {f"k{i}": i for i in range(501)}


# -- the book header and errors --------------------------------------------------------------------------------


def test_every_request_carries_the_book(relaybook_emulator: RelayBookEmulator, relaybook_httpx: httpx.Client) -> None:
    second = client_for(relaybook_emulator, relaybook_httpx, book=SECOND_BOOK_ID)
    made = second.create_contact({"company": "Team Co"})
    assert made["book_id"] == SECOND_BOOK_ID
    assert [c["company"] for c in second.list_contacts()] == ["Team Co"]
    assert relaybook_emulator.store.contacts(BOOK_ID) == []


@pytest.mark.parametrize("book", [OTHER_TEAM_BOOK_ID, "ffffffff-ffff-4fff-8fff-ffffffffffff"])
def test_a_wrong_book_is_a_configuration_error_not_retried(relaybook_emulator: RelayBookEmulator,
                                                           relaybook_httpx: httpx.Client, book: str) -> None:
    client = client_for(relaybook_emulator, relaybook_httpx, book=book)
    with pytest.raises(AdapterAuthError) as caught:
        list(client.list_contacts())
    assert "check --option book=" in str(caught.value) and book in str(caught.value)
    assert caught.value.hint == "rolo remote test rb lists the books"
    assert len(relaybook_emulator.requests("GET /api/v1/contacts")) == 1


def test_a_missing_book_is_a_configuration_error(relaybook_emulator: RelayBookEmulator,
                                                 relaybook_httpx: httpx.Client) -> None:
    with pytest.raises(AdapterAuthError) as caught:
        client_for(relaybook_emulator, relaybook_httpx, book=None).create_contact({"first_name": "A"})
    assert "MISSING_BOOK" in str(caught.value) and "--option book=" in str(caught.value)


def test_a_wrong_key_is_an_auth_error_with_the_token_hint(relaybook_emulator: RelayBookEmulator,
                                                          relaybook_httpx: httpx.Client) -> None:
    with pytest.raises(AdapterAuthError) as caught:
        list(client_for(relaybook_emulator, relaybook_httpx, token="rlb_wrong").list_contacts())
    assert "401" in str(caught.value) and caught.value.hint == "create a key"
    assert "rlb_wrong" not in str(caught.value)


def test_reads_and_patches_are_retried(relaybook_client: RelayBookClient,
                                       relaybook_emulator: RelayBookEmulator) -> None:
    jane = relaybook_emulator.store.create_contact(first_name="Jane")
    relaybook_emulator.fail_every(2, 503)
    relaybook_client.get_contact(jane["id"])
    assert relaybook_client.update_contact(jane["id"], {"notes": "n"})["notes"] == "n"
    assert relaybook_client.bulk_update_custom_fields([{"contact_id": jane["id"], "key": "a", "value": 1}])


def test_a_create_is_not_repeated_by_the_http_layer(relaybook_client: RelayBookClient,
                                                    relaybook_emulator: RelayBookEmulator) -> None:
    relaybook_emulator.fail_every(1, 503)
    with pytest.raises(AdapterUnavailable):
        relaybook_client.create_contact({"first_name": "Once"})
    assert len(relaybook_emulator.requests("POST /api/v1/contacts")) == 1
    relaybook_emulator.fail_every(1, 429)
    with pytest.raises(AdapterUnavailable):
        relaybook_client.create_contact({"first_name": "Once"})
    # a 429 means not done: that one is sent again
    assert len(relaybook_emulator.requests("POST /api/v1/contacts")) == 1 + FAST.attempts
