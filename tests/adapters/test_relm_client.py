"""RelmClient over real HTTP against the Relm emulator: every method, paging, retries, errors, idempotency."""

from __future__ import annotations

import time

import httpx
import pytest
from relm_support import *
from relm_support import FAST
from rolo.adapters._http import HttpClient
from rolo.adapters.relm.client import RelmClient, filter_params
from rolo.adapters.relm.emulator import RelmEmulator
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected

# -- contacts ------------------------------------------------------------------------------------------------


def test_contact_crud(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    created = relm_client.create_contact(
        {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}, idempotency_key="c-ada"
    )
    assert created["id"].startswith("con_") and created["first_name"] == "Ada"
    assert relm_client.get_contact(created["id"])["email"] == "ada@example.com"
    updated = relm_client.update_contact(created["id"], {"phone": "+44 20 7946 0123", "last_name": None})
    assert updated["phone"] == "+44 20 7946 0123" and updated["last_name"] is None
    assert updated["updated_at"] > created["updated_at"]
    relm_client.delete_contact(created["id"])
    with pytest.raises(RemoteRejected) as caught:
        relm_client.get_contact(created["id"])
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_list_walks_every_page_of_more_than_200(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    for i in range(230):
        relm_emulator.store.create_contact(email=f"p{i}@example.com", first_name=f"P{i}")
    emails = [c["email"] for c in relm_client.list_contacts()]
    assert emails == [f"p{i}@example.com" for i in range(230)]
    pages = relm_emulator.requests("GET /v1/contacts")
    assert len(pages) == 2 and "limit=200" in pages[0].query and "cursor=" in pages[1].query


def test_list_with_a_small_page_size(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    for i in range(7):
        relm_emulator.store.create_contact(first_name=f"P{i}")
    assert len(list(relm_client.list_contacts(page_size=3))) == 7
    assert len(relm_emulator.requests("GET /v1/contacts")) == 3


def test_list_filters_by_updated_at(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    first = relm_emulator.store.create_contact(first_name="Old")
    second = relm_emulator.store.create_contact(first_name="New")
    found = list(relm_client.list_contacts(filters={"updated_at": {"gt": first["updated_at"]}}))
    assert [c["id"] for c in found] == [second["id"]]


def test_list_by_email_ignores_case(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    ada = relm_emulator.store.create_contact(email="Ada@Example.com")
    relm_emulator.store.create_contact(email="grace@example.com")
    assert [c["id"] for c in relm_client.list_contacts(email="ada@example.com")] == [ada["id"]]


def test_filter_params() -> None:
    assert filter_params({"stage": "won", "value_cents": {"gte": 100}, "id": {"in": ["a", "b"]}}) == {
        "filter[stage]": "won", "filter[value_cents][gte]": 100, "filter[id][in]": ["a", "b"],
    }
    with pytest.raises(ValueError, match="operator"):
        filter_params({"x": {"like": "y"}})


def test_filter_in_sends_a_comma_list(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    a = relm_emulator.store.create_contact(first_name="A")
    relm_emulator.store.create_contact(first_name="B")
    c = relm_emulator.store.create_contact(first_name="C")
    found = relm_client.list_contacts(filters={"id": {"in": [a["id"], c["id"]]}})
    assert [x["first_name"] for x in found] == ["A", "C"]


def test_an_unknown_filter_is_rejected_with_its_code(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    with pytest.raises(RemoteRejected) as caught:
        list(relm_client.list_contacts(filters={"shoe_size": {"gt": 3}}))
    assert (caught.value.status, caught.value.code) == (400, "invalid_filter")


def test_batch_upserts_on_email(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    existing = relm_emulator.store.create_contact(email="ada@example.com", first_name="Ada")
    answer = relm_client.batch_contacts(
        [{"email": "ADA@example.com", "last_name": "Lovelace"}, {"email": "grace@example.com", "first_name": "Grace"}],
        idempotency_key="batch-1",
    )
    assert [c["email"].lower() for c in answer["data"]] == ["ada@example.com", "grace@example.com"]
    assert answer["updated"] == [existing["id"]] and len(answer["created"]) == 1
    assert relm_emulator.store.get("contact", existing["id"])["last_name"] == "Lovelace"


def test_batch_without_dedup_refuses_duplicates(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.create_contact(email="ada@example.com")
    with pytest.raises(RemoteRejected) as caught:
        relm_client.batch_contacts([{"email": "ada@example.com"}], idempotency_key="b2", dedup_on=None)
    assert (caught.value.status, caught.value.code) == (409, "duplicate_record")


def test_batch_of_more_than_500_is_refused_before_sending(
    relm_client: RelmClient, relm_emulator: RelmEmulator
) -> None:
    with pytest.raises(ValueError, match="500"):
        relm_client.batch_contacts([{"first_name": "x"}] * 501, idempotency_key="big")
    assert relm_emulator.request_count == 0


def test_validation_error_is_rejected_with_code_and_message(relm_client: RelmClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        relm_client.create_contact({"email": "not-an-email"}, idempotency_key="bad-email")
    error = caught.value
    assert (error.status, error.code, error.adapter) == (400, "validation_error", "relm")
    assert "email" in str(error) and "not a valid email" in str(error)


# -- idempotency ---------------------------------------------------------------------------------------------


def test_a_replayed_post_returns_the_first_answer(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    body = {"email": "ada@example.com", "first_name": "Ada"}
    first = relm_client.create_contact(body, idempotency_key="create-ada-1")
    again = relm_client.create_contact(dict(reversed(list(body.items()))), idempotency_key="create-ada-1")
    assert again == first
    assert relm_client.http.last_headers is not None
    assert relm_client.http.last_headers.get("idempotent-replayed") == "true"
    assert len(relm_emulator.store.contacts()) == 1


def test_the_same_key_with_another_body_is_a_conflict(relm_client: RelmClient) -> None:
    relm_client.create_contact({"email": "ada@example.com"}, idempotency_key="k-1")
    with pytest.raises(RemoteRejected) as caught:
        relm_client.create_contact({"email": "grace@example.com"}, idempotency_key="k-1")
    assert (caught.value.status, caught.value.code) == (409, "idempotency_conflict")


def test_every_post_needs_a_key(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    with pytest.raises(ValueError, match="Idempotency-Key"):
        relm_client.create_contact({"email": "ada@example.com"}, idempotency_key="")
    assert relm_emulator.request_count == 0


def test_a_create_is_safe_to_repeat_after_a_dropped_connection(
    relm_client: RelmClient, relm_emulator: RelmEmulator
) -> None:
    relm_emulator.drop_every(2)
    created = [
        relm_client.create_contact({"email": f"d{i}@example.com"}, idempotency_key=f"drop-{i}") for i in range(4)
    ]
    assert len({c["id"] for c in created}) == 4
    assert len(relm_emulator.store.contacts()) == 4
    assert [e.status for e in relm_emulator.log].count(None) >= 2


# -- companies, schema, associations, search ----------------------------------------------------------------


def test_company_crud_and_list(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    acme = relm_client.create_company({"name": "Acme", "domain": "acme.test"}, idempotency_key="co-acme")
    assert acme["id"].startswith("cmp_")
    relm_client.create_company({"name": "Globex"}, idempotency_key="co-globex")
    assert relm_client.get_company(acme["id"])["domain"] == "acme.test"
    assert relm_client.update_company(acme["id"], {"name": "Acme Inc"})["name"] == "Acme Inc"
    assert [c["name"] for c in relm_client.list_companies()] == ["Acme Inc", "Globex"]
    assert [c["name"] for c in relm_client.list_companies(filters={"name": {"ilike": "glo%"}})] == ["Globex"]
    relm_client.delete_company(acme["id"])
    assert [c["name"] for c in relm_client.list_companies()] == ["Globex"]


def test_schema_fields_list_create_delete(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    plan = relm_client.create_field(
        {"object_type": "contact", "key": "plan", "label": "Plan", "type": "select",
         "options": {"choices": ["free", "pro"]}},
        idempotency_key="f-plan",
    )
    relm_client.create_field({"object_type": "company", "key": "tier", "type": "number"}, idempotency_key="f-tier")
    assert [f["key"] for f in relm_client.list_fields("contact")] == ["plan"]
    assert sorted(f["key"] for f in relm_client.list_fields(None)) == ["plan", "tier"]
    with pytest.raises(RemoteRejected) as caught:
        relm_client.create_field({"object_type": "contact", "key": "plan", "type": "text"}, idempotency_key="f-2")
    assert (caught.value.status, caught.value.code) == (409, "duplicate_record")
    relm_client.delete_field(plan["id"])
    assert relm_client.list_fields("contact") == []


def test_associations_create_list_delete(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    ada = relm_emulator.store.create_contact(email="ada@example.com")
    acme = relm_emulator.store.create_company(name="Acme")
    edge = relm_client.create_association("contact", ada["id"], "company", acme["id"], label="works at",
                                          idempotency_key="edge-1")
    assert edge["id"].startswith("asc_")
    listed = list(relm_client.list_associations(from_type="contact", from_id=ada["id"]))
    assert [(e["to_id"], e["label"]) for e in listed] == [(acme["id"], "works at")]
    assert list(relm_client.list_associations(from_type="company")) == []
    relm_client.delete_association(edge["id"])
    assert list(relm_client.list_associations()) == []


def test_search_across_objects(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.create_contact(email="ada@analytical.test", first_name="Ada")
    relm_emulator.store.create_company(name="Analytical Engines", domain="analytical.test")
    relm_emulator.store.create_contact(first_name="Grace")
    found = list(relm_client.search("analytical"))
    assert [r["object"] for r in found] == ["contact", "company"]


def test_the_client_uses_every_endpoint_rolo_needs(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    c = relm_client.create_contact({"email": "a@example.com"}, idempotency_key="all-1")
    relm_client.get_contact(c["id"])
    relm_client.update_contact(c["id"], {"first_name": "A"})
    list(relm_client.list_contacts())
    relm_client.batch_contacts([{"email": "b@example.com"}], idempotency_key="all-2")
    co = relm_client.create_company({"name": "Acme"}, idempotency_key="all-3")
    relm_client.get_company(co["id"])
    relm_client.update_company(co["id"], {"domain": "acme.test"})
    list(relm_client.list_companies())
    field = relm_client.create_field({"object_type": "contact", "key": "x", "type": "text"}, idempotency_key="all-4")
    relm_client.list_fields()
    edge = relm_client.create_association("contact", c["id"], "company", co["id"], idempotency_key="all-5")
    list(relm_client.list_associations(from_id=c["id"]))
    list(relm_client.search("a"))
    relm_client.delete_association(edge["id"])
    relm_client.delete_field(field["id"])
    relm_client.delete_contact(c["id"])
    relm_client.delete_company(co["id"])
    unused = [r for r in relm_emulator.unused_routes()
              if any(k in r for k in ("contacts", "companies", "schema", "associations", "search"))]
    assert unused == []


# -- retries and errors --------------------------------------------------------------------------------------


def test_a_500_storm_is_ridden_out(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    for i in range(30):
        relm_emulator.store.create_contact(first_name=f"P{i}")
    relm_emulator.fail_every(2, 500)
    assert len(list(relm_client.list_contacts(page_size=5))) == 30
    created = relm_client.create_contact({"email": "storm@example.com"}, idempotency_key="storm")
    assert relm_client.get_contact(created["id"])["email"] == "storm@example.com"
    assert len(relm_emulator.store.contacts()) == 31


def test_a_500_that_never_stops_is_rejected(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.fail_every(1, 500)
    with pytest.raises(RemoteRejected) as caught:
        list(relm_client.list_contacts())
    assert (caught.value.status, caught.value.code) == (500, "internal_error")
    assert relm_emulator.request_count == FAST.attempts


def test_503_that_never_stops_is_unavailable(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.fail_every(1, 503)
    with pytest.raises(AdapterUnavailable, match="503"):
        relm_client.get_contact("con_x")


def test_429_with_retry_after_is_waited_out(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.rate_limit(3, 0.5)  # the 4th request in a window: 429, Retry-After: 1
    started = time.monotonic()
    for i in range(5):
        relm_client.create_contact({"first_name": f"R{i}"}, idempotency_key=f"rate-{i}")
    assert time.monotonic() - started < 5
    assert len(relm_emulator.store.contacts()) == 5


def test_429_fault_is_retried(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.fail_every(2, 429)
    assert [relm_client.create_contact({"first_name": f"Q{i}"}, idempotency_key=f"q{i}")["first_name"]
            for i in range(2)] == ["Q0", "Q1"]


def test_dropped_connections_are_retried(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    contact = relm_emulator.store.create_contact(first_name="Drop")
    relm_emulator.drop_every(2)
    for i in range(3):
        assert relm_client.get_contact(contact["id"])["first_name"] == "Drop"
        relm_client.update_contact(contact["id"], {"last_name": f"L{i}"})
    assert relm_emulator.store.get("contact", contact["id"])["last_name"] == "L2"


def test_always_dropped_is_unavailable(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_emulator.drop_every(1)
    with pytest.raises(AdapterUnavailable):
        relm_client.get_contact("con_x")


def test_slow_answers_time_out_as_unavailable(relm_emulator: RelmEmulator) -> None:
    relm_emulator.delay(0.3)
    with httpx.Client(timeout=0.05) as slow:
        client = RelmClient(HttpClient(slow, base_url=relm_emulator.url, adapter="relm",
                                       token=relm_emulator.api_key, retry=FAST))
        with pytest.raises(AdapterUnavailable, match="timed out"):
            client.get_contact("con_x")
    deadline = time.monotonic() + 5  # let the slow requests finish before the next test resets
    while len(relm_emulator.log) < FAST.attempts and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize("key", ["sk_test_wrong0key0123456789", "sk_live_revoked0000000000"], ids=["wrong", "live"])
def test_a_refused_key_is_an_auth_error_without_the_key(
    relm_emulator: RelmEmulator, relm_httpx: httpx.Client, key: str
) -> None:
    client = RelmClient(HttpClient(relm_httpx, base_url=relm_emulator.url, adapter="relm", token=key, retry=FAST,
                                   auth_hint="create an API key on Relm's API Keys page"))
    with pytest.raises(AdapterAuthError) as caught:
        list(client.list_contacts())
    error = caught.value
    assert "401" in str(error) and "invalid_api_key" in str(error)
    for text in (str(error), repr(error), error.hint or "", repr(client)):
        assert key not in text
    assert relm_emulator.request_count == 1


def test_a_revoked_key_mid_run_is_an_auth_error(relm_client: RelmClient, relm_emulator: RelmEmulator) -> None:
    relm_client.create_contact({"first_name": "A"}, idempotency_key="before")
    relm_emulator.revoke_api_key(relm_emulator.api_key)
    with pytest.raises(AdapterAuthError) as caught:
        relm_client.create_contact({"first_name": "B"}, idempotency_key="after")
    assert relm_emulator.api_key not in str(caught.value)
