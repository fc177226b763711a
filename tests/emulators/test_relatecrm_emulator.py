"""The relatecrm emulator over real HTTP: it behaves as the document says, and as its docstring chooses where
the document is silent (auth, errors, validation, PUT as a full update, pages, search, associations, faults)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator


@pytest.fixture(scope="module")
def crm_server() -> Iterator[RelateCrmEmulator]:
    with RelateCrmEmulator() as emulator:
        yield emulator


@pytest.fixture
def crm(crm_server: RelateCrmEmulator) -> Iterator[RelateCrmEmulator]:
    """The emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    crm_server.reset()
    yield crm_server
    errors = list(crm_server.errors)
    crm_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def api(crm: RelateCrmEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {crm.api_key}", "Accept": "application/json"}
    with httpx.Client(base_url=crm.url, headers=headers, timeout=10) as client:
        yield client


def ada(**extra: Any) -> dict[str, Any]:
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", **extra}


# -- auth and headers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic YTpi", "Bearer"],
                         ids=["missing", "unknown", "other-scheme", "empty"])
def test_a_missing_or_wrong_token_is_401_unauthenticated(crm: RelateCrmEmulator, authorization: str | None) -> None:
    headers = {"Accept": "application/json"} | ({"Authorization": authorization} if authorization else {})
    answer = httpx.get(f"{crm.url}/api/contacts", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"message": "Unauthenticated."}


def test_added_and_revoked_tokens(crm: RelateCrmEmulator) -> None:
    crm.add_token("2|another")
    headers = {"Authorization": "Bearer 2|another", "Accept": "application/json"}
    assert httpx.get(f"{crm.url}/api/contacts", headers=headers).status_code == 200
    crm.revoke_token(crm.api_key)
    headers["Authorization"] = f"Bearer {crm.api_key}"
    assert httpx.get(f"{crm.url}/api/contacts", headers=headers).status_code == 401


def test_an_accept_header_without_json_is_406(api: httpx.Client) -> None:
    answer = api.get("/api/contacts", headers={"Accept": "text/html"})
    assert answer.status_code == 406 and "Accept" in answer.json()["message"]


def test_a_body_must_be_json(api: httpx.Client) -> None:
    assert api.post("/api/contacts", content=b"first_name=Ada",
                    headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 415
    broken = api.post("/api/contacts", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "message" in broken.json()


def test_unknown_paths_and_methods(api: httpx.Client) -> None:
    assert api.get("/api/deals").status_code == 404
    answer = api.patch("/api/contacts/1", json={})
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) == {"DELETE", "GET", "PUT"}


# -- create, read ------------------------------------------------------------------------------------------


def test_create_answers_201_with_every_field(api: httpx.Client) -> None:
    answer = api.post("/api/contacts", json=ada(phones=[{"number": "+44 20 7946 0123", "type": "work"}],
                                                 job_title="Analyst", country_id=826, tier="close"))
    assert answer.status_code == 201
    contact = answer.json()
    assert contact["id"] == 1 and isinstance(contact["id"], int)
    assert contact["phones"] == [{"number": "+44 20 7946 0123", "type": "work"}]
    assert contact["country_id"] == 826 and contact["tier"] == "close"
    assert contact["companies"] == [] and contact["deals"] == [] and contact["user_id"] is None
    assert contact["created_at"].endswith(".000000Z") and contact["created_at"] == contact["updated_at"]
    assert api.get("/api/contacts/1").json() == contact


def test_custom_fields_are_top_level_keys_every_contact_shows(api: httpx.Client) -> None:
    api.post("/api/contacts", json=ada(tier="close", tags=["a", 2]))
    other = api.post("/api/contacts", json={"first_name": "Grace"}).json()
    assert other["tier"] is None and other["tags"] is None
    assert api.get("/api/contacts/1").json()["tags"] == ["a", 2]


def test_validation_errors_have_laravels_shape(api: httpx.Client) -> None:
    answer = api.post("/api/contacts", json={"last_name": "x" * 192, "email": "nope"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "The last name field must not be greater than 191 characters. (and 2 more errors)"
    assert body["errors"] == {
        "last_name": ["The last name field must not be greater than 191 characters."],
        "first_name": ["The first name field is required."],
        "email": ["The email field must be a valid email address."],
    }


@pytest.mark.parametrize(("body", "field"), [
    ({"first_name": "   "}, "first_name"),
    ({"first_name": 5}, "first_name"),
    (ada(email="bad@localhost"), "email"),
    (ada(phones=[{"number": "1", "type": "home"}]), "phones.0.type"),
    (ada(phones=[{"type": "work"}]), "phones.0.number"),
    (ada(phones=[{"number": "1", "label": "home"}]), "phones.0.label"),
    (ada(phones="555"), "phones"),
    (ada(user_id=9), "user_id"),
    (ada(source_id="x"), "source_id"),
    (ada(country_id=999), "country_id"),
    (ada(companies=[7]), "companies.0"),
    (ada(deals="1"), "deals"),
    (ada(id=4), "id"),
    (ada(updated_at="2026-01-01"), "updated_at"),
    (ada(activities=[1]), "activities"),
    (ada(Tier="x"), "Tier"),
    (ada(tier={"a": 1}), "tier"),
    (ada(tier=[{"a": 1}]), "tier"),
], ids=["blank-first-name", "first-name-not-text", "email", "phone-type", "phone-number", "phone-key",
        "phones-not-array", "user", "source", "country", "company", "deals-not-array", "id", "updated-at",
        "activities", "custom-key-case", "custom-object", "custom-list-of-objects"])
def test_invalid_bodies_are_422_naming_the_field(api: httpx.Client, body: dict[str, Any], field: str) -> None:
    answer = api.post("/api/contacts", json=body)
    assert answer.status_code == 422, answer.json()
    assert field in answer.json()["errors"]


def test_emails_are_unique_without_case(api: httpx.Client) -> None:
    api.post("/api/contacts", json=ada())
    answer = api.post("/api/contacts", json={"first_name": "Eve", "email": "ADA@example.com"})
    assert answer.status_code == 422 and answer.json()["errors"]["email"] == ["The email has already been taken."]


def test_strings_are_trimmed_and_empty_ones_null(api: httpx.Client) -> None:
    contact = api.post("/api/contacts", json=ada(last_name="  ", job_title=" CEO ", tier="", user_id="2")).json()
    assert contact["last_name"] is None and contact["job_title"] == "CEO" and contact["user_id"] == 2
    assert "tier" not in contact  # an empty value does not make a custom field


def test_a_phone_type_defaults_to_mobile(api: httpx.Client) -> None:
    contact = api.post("/api/contacts", json=ada(phones=[{"number": "555"}])).json()
    assert contact["phones"] == [{"number": "555", "type": "mobile"}]


@pytest.mark.parametrize("ident", ["99", "abc", "1.5"])
def test_an_unknown_or_malformed_id_is_404(api: httpx.Client, ident: str) -> None:
    answer = api.get(f"/api/contacts/{ident}")
    assert answer.status_code == 404 and answer.json() == {"message": "Record not found."}


def test_retrieve_with_select(api: httpx.Client) -> None:
    api.post("/api/contacts", json=ada())
    assert api.get("/api/contacts/1", params={"select": "email"}).json() == {"id": 1, "email": "ada@example.com"}


# -- update (PUT is a full update), delete -------------------------------------------------------------------


def test_put_clears_every_attribute_and_custom_field_it_omits(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    company = crm.store.create_company(name="Analytical Engines")["id"]
    deal = crm.store.create_deal("Difference engine")
    api.post("/api/contacts", json=ada(phones=[{"number": "555", "type": "work"}], job_title="Analyst",
                                       city="London", country_id=826, user_id=2, source_id=1, tier="close",
                                       companies=[company], deals=[deal]))
    answer = api.put("/api/contacts/1", json={"first_name": "Ada", "email": "ada@example.com"})
    assert answer.status_code == 200
    contact = answer.json()
    for key in ("last_name", "job_title", "city", "country_id", "user_id", "source_id", "tier"):
        assert contact[key] is None, key
    assert contact["phones"] == []
    assert contact["companies"] == [company] and contact["deals"] == [deal]  # relations omitted: kept


def test_put_requires_first_name_and_syncs_given_relations(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    one, two = (crm.store.create_company(name=n)["id"] for n in ("One", "Two"))
    api.post("/api/contacts", json=ada(companies=[one]))
    refused = api.put("/api/contacts/1", json={"last_name": "Byron"})
    assert refused.status_code == 422 and "first_name" in refused.json()["errors"]
    assert api.put("/api/contacts/1", json={"first_name": "Ada", "companies": [two]}).json()["companies"] == [two]
    assert api.put("/api/contacts/99", json={"first_name": "X"}).status_code == 404


def test_put_keeps_updated_at_when_nothing_changes(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    created = api.post("/api/contacts", json=ada()).json()
    now[0] += 5
    assert api.put("/api/contacts/1", json=ada()).json()["updated_at"] == created["updated_at"]
    changed = api.put("/api/contacts/1", json=ada(last_name="Byron")).json()
    assert changed["updated_at"] == "2027-01-15T08:00:05.000000Z"


def test_timestamps_are_whole_seconds(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    crm.store.clock = lambda: 1_800_000_000.7
    api.post("/api/contacts", json=ada())
    first = api.put("/api/contacts/1", json=ada(last_name="A")).json()["updated_at"]
    second = api.put("/api/contacts/1", json=ada(last_name="B")).json()["updated_at"]
    assert first == second == "2027-01-15T08:00:00.000000Z"  # two changes within a second share updated_at


def test_delete_answers_204_then_404(api: httpx.Client) -> None:
    api.post("/api/contacts", json=ada())
    answer = api.delete("/api/contacts/1")
    assert answer.status_code == 204 and answer.content == b""
    assert api.delete("/api/contacts/1").status_code == 404


# -- lists -----------------------------------------------------------------------------------------------


def test_list_pages_have_laravels_shape(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    for i in range(20):
        crm.store.create_contact(first_name=f"P{i}")
    first = api.get("/api/contacts").json()
    assert len(first["data"]) == 15 and [c["id"] for c in first["data"]] == list(range(1, 16))
    assert first["meta"] == {"current_page": 1, "from": 1, "last_page": 2, "path": f"{crm.url}/api/contacts",
                             "per_page": 15, "to": 15, "total": 20}
    assert first["links"]["prev"] is None and first["links"]["next"].endswith("page=2")
    second = api.get(first["links"]["next"]).json()
    assert [c["id"] for c in second["data"]] == list(range(16, 21)) and second["links"]["next"] is None
    past = api.get("/api/contacts", params={"page": 3}).json()
    assert past["data"] == [] and past["meta"]["from"] is None


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"per_page": "x"}, {"page": 0},
                                    {"page": "-1"}], ids=["per-page-over", "per-page-zero", "per-page-text",
                                                          "page-zero", "page-negative"])
def test_page_parameters_out_of_range_are_422(api: httpx.Client, params: dict[str, Any]) -> None:
    answer = api.get("/api/contacts", params=params)
    assert answer.status_code == 422 and set(answer.json()["errors"]) == set(params)


def test_per_page_up_to_100(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    for i in range(120):
        crm.store.create_contact(first_name=f"P{i}")
    assert len(api.get("/api/contacts", params={"per_page": 100}).json()["data"]) == 100


def test_unknown_and_repeated_query_parameters_are_422(api: httpx.Client) -> None:
    assert "limit" in api.get("/api/contacts", params={"limit": 5}).json()["errors"]
    assert api.get("/api/contacts?page=1&page=2").status_code == 422


def test_order_by_fields_and_directions(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    for name in ("bea", "Ada", "cy"):
        crm.store.create_contact(first_name=name)
        now[0] += 1
    crm.store.update_contact(1, last_name="Edited")
    names = lambda order: [c["first_name"] for c in api.get("/api/contacts", params={"order": order}).json()["data"]]
    assert names("first_name") == ["Ada", "bea", "cy"]  # without case
    assert names("id|desc") == ["cy", "Ada", "bea"]
    assert names("updated_at|desc") == ["bea", "cy", "Ada"]
    assert names("last_name|desc;id") == ["bea", "Ada", "cy"]  # nulls last descending, ties by id
    assert api.get("/api/contacts", params={"order": "nickname"}).status_code == 422
    assert api.get("/api/contacts", params={"order": "id|up"}).status_code == 422


def test_select_returns_only_those_fields_and_the_id(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Ada", tier="close")
    data = api.get("/api/contacts", params={"select": "first_name;tier"}).json()["data"]
    assert data == [{"id": 1, "first_name": "Ada", "tier": "close"}]
    assert api.get("/api/contacts", params={"select": "first_name;nickname"}).status_code == 422


# -- search ----------------------------------------------------------------------------------------------


@pytest.fixture
def people(crm: RelateCrmEmulator) -> None:
    crm.store.create_contact(first_name="Ada", last_name="Lovelace", email="ada@example.com",
                             phones=[{"number": "+44 20 7946 0123", "type": "work"}], city="London")
    crm.store.create_contact(first_name="Grace", last_name="Hopper", email="grace@navy.mil", city="Arlington")
    crm.store.create_contact(first_name="Adam", last_name="Smith", email="adam@example.org")


def ids(answer: httpx.Response) -> list[int]:
    body = answer.json()
    return [c["id"] for c in (body["data"] if isinstance(body, dict) else body)]


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "ada"}, [1, 3]),
    ({"q": "ADA@example.com", "search_fields": "email:="}, [1]),
    ({"q": "example", "search_fields": "email:like"}, [1, 3]),
    ({"q": "example", "search_fields": "email"}, [1, 3]),
    ({"q": "+44 20 7946 0123", "search_fields": "phones.number:="}, [1]),
    ({"q": "first_name:Ada;last_name:Smith", "search_fields": "first_name:=;last_name:="}, [1, 3]),
    ({"q": "first_name:Adam;last_name:Smith", "search_fields": "first_name:=;last_name:=",
      "search_match": "and"}, [3]),
    ({"q": "first_name:Ada;last_name:Smith", "search_fields": "first_name:=;last_name:=",
      "search_match": "and"}, []),
    ({"q": "lon", "search_fields": "city;email", "search_match": "and"}, []),
    ({"q": "l", "search_fields": "city;last_name", "search_match": "and"}, [1]),
], ids=["default-fields", "email-equal-without-case", "email-like", "operator-defaults-to-like", "phone",
        "per-field-or", "per-field-and", "per-field-and-none", "one-term-and-none", "one-term-and"])
def test_search_on_the_list(api: httpx.Client, params: dict[str, str], expected: list[int]) -> None:
    answer = api.get("/api/contacts", params=params)
    assert answer.status_code == 200, answer.json()
    assert ids(answer) == expected


@pytest.mark.parametrize("params", [{"q": "x", "search_fields": "nickname:="},
                                    {"q": "x", "search_fields": "email:>"},
                                    {"q": "x", "search_match": "xor"}], ids=["field", "operator", "match"])
def test_bad_search_parameters_are_422(api: httpx.Client, params: dict[str, str]) -> None:
    assert api.get("/api/contacts", params=params).status_code == 422


@pytest.mark.usefixtures("people")
def test_the_search_endpoint_answers_an_array_capped_by_take(api: httpx.Client) -> None:
    answer = api.get("/api/contacts/search", params={"q": "example", "order": "id|desc"})
    assert answer.status_code == 200 and isinstance(answer.json(), list) and ids(answer) == [3, 1]
    assert ids(api.get("/api/contacts/search", params={"q": "example", "take": 1})) == [1]
    selected = api.get("/api/contacts/search", params={"q": "grace", "select": "email"}).json()
    assert selected == [{"id": 2, "email": "grace@navy.mil"}]
    assert api.get("/api/contacts/search").json()["errors"] == {"q": ["The q field is required."]}
    assert api.get("/api/contacts/search", params={"q": "a", "take": 0}).status_code == 422
    assert api.get("/api/contacts/search", params={"q": "a", "page": 2}).status_code == 422


# -- associations ----------------------------------------------------------------------------------------


def test_attach_detach_and_sync(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    one, two, three = (crm.store.create_company(name=n)["id"] for n in ("One", "Two", "Three"))
    deal = crm.store.create_deal("Deal")
    activity = crm.store.create_activity("Call")
    api.post("/api/contacts", json=ada(companies=[one]))
    attached = api.put("/api/associations/contacts/1", json={"companies": [two, one], "deals": [deal],
                                                             "activities": [activity]})
    assert attached.status_code == 200
    assert attached.json()["companies"] == [one, two] and attached.json()["activities"] == [activity]
    synced = api.post("/api/associations/contacts/1", json={"companies": [three, one]}).json()
    assert synced["companies"] == [three, one] and synced["deals"] == [deal]  # deals not given: kept
    detached = api.request("DELETE", "/api/associations/contacts/1", json={"companies": [three, two]}).json()
    assert detached["companies"] == [one]
    assert api.get(f"/api/companies/{one}").json()["contacts"] == [1]


@pytest.mark.parametrize(("method", "body", "field"), [
    ("PUT", {}, "companies"), ("POST", {"companies": [9]}, "companies.0"), ("DELETE", {"notes": [1]}, "notes"),
    ("PUT", {"deals": "1"}, "deals"),
], ids=["no-resource", "unknown-id", "unknown-key", "not-array"])
def test_association_bodies_are_validated(api: httpx.Client, method: str, body: dict[str, Any], field: str) -> None:
    api.post("/api/contacts", json=ada())
    answer = api.request(method, "/api/associations/contacts/1", json=body)
    assert answer.status_code == 422 and field in answer.json()["errors"]
    assert api.request(method, "/api/associations/contacts/9", json={"companies": []}).status_code == 404


def test_associations_touch_the_contact(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    company = crm.store.create_company(name="One")["id"]
    created = api.post("/api/contacts", json=ada()).json()
    now[0] += 3
    attached = api.put("/api/associations/contacts/1", json={"companies": [company]}).json()
    assert attached["updated_at"] > created["updated_at"]
    now[0] += 3
    again = api.put("/api/associations/contacts/1", json={"companies": [company]}).json()
    assert again["updated_at"] == attached["updated_at"]  # nothing changed


# -- companies -------------------------------------------------------------------------------------------


def test_company_crud_and_search(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    created = api.post("/api/companies", json={"name": "Analytical Engines", "domain": "engines.example"})
    assert created.status_code == 201 and created.json()["contacts"] == []
    assert api.post("/api/companies", json={"domain": "x.example"}).json()["errors"] == {
        "name": ["The name field is required."]}
    api.post("/api/companies", json={"name": "Babbage & Co"})
    found = api.get("/api/companies", params={"q": "analytical engines", "search_fields": "name:="}).json()
    assert [c["id"] for c in found["data"]] == [1]
    assert api.get("/api/companies", params={"select": "name"}).json()["data"] == [
        {"id": 1, "name": "Analytical Engines"}, {"id": 2, "name": "Babbage & Co"}]
    renamed = api.put("/api/companies/1", json={"name": "Engines Ltd"}).json()
    assert renamed["name"] == "Engines Ltd" and renamed["domain"] is None  # a full update
    assert api.delete("/api/companies/2").status_code == 204
    assert api.get("/api/companies/2").status_code == 404


def test_deleting_a_company_detaches_and_touches_its_contacts(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    company = crm.store.create_company(name="One")["id"]
    before = crm.store.create_contact(first_name="Ada", companies=[company])
    now[0] += 2
    api.delete(f"/api/companies/{company}")
    after = crm.store.contact(before["id"])
    assert after["companies"] == [] and after["updated_at"] > before["updated_at"]


def test_renaming_a_company_does_not_touch_its_contacts(crm: RelateCrmEmulator) -> None:
    now = [1_800_000_000.0]
    crm.store.clock = lambda: now[0]
    company = crm.store.create_company(name="One")["id"]
    contact = crm.store.create_contact(first_name="Ada", companies=[company])
    now[0] += 2
    renamed = crm.store.update_company(company, name="Uno")
    assert renamed["updated_at"] > contact["updated_at"]
    assert crm.store.contact(contact["id"])["updated_at"] == contact["updated_at"]


# -- faults ----------------------------------------------------------------------------------------------


def test_injected_500s_have_laravels_body(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    crm.fail_every(2)
    assert api.get("/api/contacts").status_code == 200
    failed = api.get("/api/contacts")
    assert failed.status_code == 500 and failed.json() == {"message": "Server Error"}


def test_injected_429s_ask_to_retry_after(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    crm.fail_every(1, 429)
    answer = api.get("/api/contacts")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    assert answer.json() == {"message": "Too Many Attempts."}


def test_the_rate_limit_is_off_until_switched_on(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    assert "X-RateLimit-Limit" not in api.get("/api/contacts").headers
    crm.rate_limit(2, 60)
    first = api.get("/api/contacts")
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    api.get("/api/contacts")
    refused = api.get("/api/contacts")
    assert refused.status_code == 429 and refused.json() == {"message": "Too Many Attempts."}
    assert int(refused.headers["Retry-After"]) >= 1 and refused.headers["X-RateLimit-Remaining"] == "0"
    crm.clear_faults()
    assert "X-RateLimit-Limit" not in api.get("/api/contacts").headers


def test_dropped_and_delayed_requests(api: httpx.Client, crm: RelateCrmEmulator) -> None:
    crm.drop_every(1)
    with pytest.raises(httpx.TransportError):
        api.get("/api/contacts")
    crm.clear_faults()
    crm.delay(0.05)
    assert api.get("/api/contacts").status_code == 200


def test_the_store_edits_as_the_web_app_does(crm: RelateCrmEmulator) -> None:
    contact = crm.store.create_contact(first_name="Ada", email="ada@example.com", tier="close", city="London")
    edited = crm.store.update_contact(contact["id"], last_name="Lovelace", tier=None)
    assert edited["city"] == "London" and edited["last_name"] == "Lovelace" and edited["tier"] is None
    assert crm.store.contacts() == [edited]
    crm.store.delete_contact(contact["id"])
    assert crm.store.contacts() == []


def test_every_route_is_documented_in_the_docstring() -> None:
    from rolo.adapters.relatecrm import emulator

    for label in RelateCrmEmulator.routes():
        method, path = label.split(" ", 1)
        assert method in emulator.__doc__ and path in emulator.__doc__, label


def test_the_emulator_is_served_for_rolo_emulate() -> None:
    from rolo.adapters.relatecrm import RelateCrmAdapter

    served = RelateCrmAdapter.emulator(0)
    try:
        answer = httpx.get(f"{served.url}/api/contacts",
                           headers={"Authorization": f"Bearer {served.api_key}", "Accept": "application/json"})
        assert answer.status_code == 200 and answer.json()["data"] == []
    finally:
        served.stop()
