"""The RelayBook emulator behaves as RelayBook's Contacts document says (and as its docstring decides where the
document is silent), over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters.relaybook import RelayBookAdapter
from rolo.adapters.relaybook.emulator import (
    BOOK_ID,
    DESIGNS,
    LABEL_NAMES,
    LABEL_OBJECTS,
    OTHER_TEAM_BOOK_ID,
    SECOND_BOOK_ID,
    RelayBookEmulator,
    serve,
)

JANE = {
    "first_name": "Marcus", "last_name": "Chen", "company": "Bright Studios", "job_title": "Creative Director",
    "emails": [{"address": "marcus@brightstudios.com", "label": "work", "primary": True}],
    "phones": [{"number": "+1 555-0456", "label": "mobile", "primary": True}],
    "notes": "Referred by Jane Cooper", "website": "https://brightstudios.com",
}
CONTACT_KEYS = {
    "id", "book_id", "first_name", "last_name", "company", "job_title", "emails", "phones", "custom_fields",
    "notes", "photo_url", "starred", "birthday", "website", "addresses", "dates", "socials", "relationships",
    "created_by", "created_at", "updated_at",
}


@pytest.fixture(scope="module")
def server() -> Iterator[RelayBookEmulator]:
    with RelayBookEmulator() as emulator:
        yield emulator


@pytest.fixture
def rb(server: RelayBookEmulator) -> Iterator[RelayBookEmulator]:
    """The emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    server.reset()
    yield server
    errors = list(server.errors)
    server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def client(rb: RelayBookEmulator) -> Iterator[httpx.Client]:
    """An httpx client for the emulator's first book, with its test key."""
    headers = {"Authorization": f"Bearer {rb.api_key}", "X-Book-ID": BOOK_ID}
    with httpx.Client(base_url=rb.url, headers=headers, timeout=10) as http:
        yield http


def error_of(answer: httpx.Response) -> tuple[int, str]:
    """(status, code) of an error answer, checking the chosen body shape {code, message}."""
    body = answer.json()
    assert set(body) == {"code", "message"} and body["message"], body
    return answer.status_code, body["code"]


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/contacts", json={"first_name": "P", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


# -- auth and the book header ----------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Basic abc", "Bearer", "Bearer sk_test_x", "Bearer rlb_unknown"])
def test_a_missing_or_wrong_key_is_401(rb: RelayBookEmulator, authorization: str | None) -> None:
    headers = {"X-Book-ID": BOOK_ID, **({"Authorization": authorization} if authorization else {})}
    answer = httpx.get(f"{rb.url}/api/v1/contacts", headers=headers)
    assert error_of(answer) == (401, "UNAUTHORIZED")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_added_key_works_and_revoked_key_stops(rb: RelayBookEmulator, client: httpx.Client) -> None:
    rb.add_api_key("rlb_live_second")
    headers = {"Authorization": "Bearer rlb_live_second", "X-Book-ID": BOOK_ID}
    assert httpx.get(f"{rb.url}/api/v1/contacts", headers=headers).status_code == 200
    rb.revoke_api_key("rlb_live_second")
    assert httpx.get(f"{rb.url}/api/v1/contacts", headers=headers).status_code == 401
    with pytest.raises(ValueError):
        rb.add_api_key("sk_live_nope")


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/contacts"), ("POST", "/api/v1/contacts"),
                                              ("GET", "/api/v1/labels"), ("POST", "/api/v1/bulk/custom-fields")])
def test_book_scoped_endpoints_need_the_book_header(client: httpx.Client, method: str, path: str) -> None:
    answer = client.request(method, path, headers={"X-Book-ID": ""}, json={"first_name": "A"})
    assert error_of(answer) == (400, "MISSING_BOOK")


@pytest.mark.parametrize("book", [OTHER_TEAM_BOOK_ID, "ffffffff-ffff-4fff-8fff-ffffffffffff", "not-a-uuid"])
def test_a_book_of_another_team_is_403(client: httpx.Client, book: str) -> None:
    assert error_of(client.get("/api/v1/contacts", headers={"X-Book-ID": book})) == (403, "FORBIDDEN")
    assert error_of(client.post("/api/v1/contacts", headers={"X-Book-ID": book},
                                json={"first_name": "A"})) == (403, "FORBIDDEN")


def test_contact_endpoints_take_the_book_header_optionally(rb: RelayBookEmulator, client: httpx.Client) -> None:
    jane = create(client)
    path = f"/api/v1/contacts/{jane['id']}"
    assert client.get(path, headers={"X-Book-ID": ""}).status_code == 200  # the document: not required
    assert error_of(client.get(path, headers={"X-Book-ID": SECOND_BOOK_ID})) == (404, "NOT_FOUND")
    assert error_of(client.patch(path, headers={"X-Book-ID": OTHER_TEAM_BOOK_ID}, json={})) == (403, "FORBIDDEN")
    rb.add_api_key("rlb_other", team="0b1c2d3e-4f50-4617-8283-949596979899")
    other = {"Authorization": "Bearer rlb_other"}
    assert error_of(httpx.get(rb.url + path, headers=other)) == (404, "NOT_FOUND")  # another team's contact


def test_books_lists_the_teams_books(rb: RelayBookEmulator, client: httpx.Client) -> None:
    create(client)
    books = client.get("/api/v1/books", headers={"X-Book-ID": ""}).json()["data"]
    assert [(b["id"], b["name"], b["contact_count"]) for b in books] == [(BOOK_ID, "Contacts", 1),
                                                                      (SECOND_BOOK_ID, "Team", 0)]


# -- contacts as documented ------------------------------------------------------------------------------


def test_create_as_in_the_document(client: httpx.Client) -> None:
    answer = client.post("/api/v1/contacts", json=JANE)
    assert answer.status_code == 201
    made = answer.json()["data"]
    assert set(made) == CONTACT_KEYS
    assert made["book_id"] == BOOK_ID and made["first_name"] == "Marcus" and made["starred"] is False
    assert made["custom_fields"] is None and made["birthday"] is None and made["photo_url"] is None
    assert made["dates"] == made["socials"] == made["addresses"] == made["relationships"] == []
    assert made["created_at"] == made["updated_at"] and made["created_at"].endswith("Z")
    assert client.get(f"/api/v1/contacts/{made['id']}").json() == {"data": made}


@pytest.mark.parametrize(("body", "status", "code", "words"), [
    ({"notes": "x"}, 422, "VALIDATION_ERROR", "first_name, last_name or company"),
    ({"first_name": " "}, 422, "VALIDATION_ERROR", "first_name, last_name or company"),
    ({"company": "Acme", "custom_fields": {"a": 1}}, 422, "VALIDATION_ERROR", "bulk/custom-fields"),
    ({"company": "Acme", "labels": ["x"]}, 422, "VALIDATION_ERROR", "/labels"),
    ({"company": "Acme", "photo_url": "https://x"}, 422, "VALIDATION_ERROR", "photo"),
    ({"company": "Acme", "starred": True}, 422, "VALIDATION_ERROR", "PATCH"),
    ({"company": "Acme", "nickname": "x"}, 422, "VALIDATION_ERROR", "nickname"),
    ({"company": "Acme", "id": "x"}, 422, "VALIDATION_ERROR", "read-only"),
    ({"company": 7}, 422, "VALIDATION_ERROR", "company"),
    ({"company": "A", "emails": [{"address": "nope"}]}, 422, "VALIDATION_ERROR", "emails[0].address"),
    ({"company": "A", "emails": [{"address": "a@b.c", "label": "home"}]}, 422, "VALIDATION_ERROR", "personal"),
    ({"company": "A", "phones": [{"number": "1", "label": "home"}]}, 422, "VALIDATION_ERROR", "mobile"),
    ({"company": "A", "phones": [{"number": ""}]}, 422, "VALIDATION_ERROR", "phones[0].number"),
    ({"company": "A", "phones": [{"number": "1", "primary": True}, {"number": "2", "primary": True}]},
     422, "VALIDATION_ERROR", "one entry"),
    ({"company": "A", "phones": [{"number": "1", "kind": "x"}]}, 422, "VALIDATION_ERROR", "phones[0].kind"),
    ({"company": "A", "addresses": [{"label": "office", "city": "SF"}]}, 422, "VALIDATION_ERROR", "home"),
    ({"company": "A", "addresses": [{"label": "home"}]}, 422, "VALIDATION_ERROR", "at least one"),
    ({"company": "A", "socials": [{"label": "x", "value": ""}]}, 422, "VALIDATION_ERROR", "non-empty"),
    ({"company": "A", "socials": [{"label": "myspace", "value": "u"}]}, 422, "VALIDATION_ERROR", "linkedin"),
    ({"company": "A", "birthday": "15/03/1990"}, 422, "VALIDATION_ERROR", "YYYY-MM-DD"),
    ({"company": "A", "birthday": "1990-02-30"}, 422, "VALIDATION_ERROR", "real date"),
    ({"company": "A", "emails": "a@b.c"}, 422, "VALIDATION_ERROR", "array"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_invalid_creates_are_refused_naming_the_field(client: httpx.Client, body: dict, status: int, code: str,
                                                      words: str) -> None:
    answer = client.post("/api/v1/contacts", json=body)
    assert error_of(answer) == (status, code)
    assert words in answer.json()["message"]


@pytest.mark.parametrize(("content", "headers", "status"), [
    (b"{not json", {"Content-Type": "application/json"}, 400),
    (b"[1, 2]", {"Content-Type": "application/json"}, 400),
    (b"", {"Content-Type": "application/json"}, 400),
    (b'{"first_name": "A"}', {"Content-Type": "text/plain"}, 415),
])
def test_bad_bodies_are_invalid_input(client: httpx.Client, content: bytes, headers: dict, status: int) -> None:
    assert error_of(client.post("/api/v1/contacts", content=content, headers=headers)) == (status, "INVALID_INPUT")


def test_entries_are_stored_with_labels_and_primaries(client: httpx.Client) -> None:
    made = create(client, emails=[{"address": " a@b.co "}], phones=[{"number": "1", "label": "work"}],
                  addresses=[{"city": "Paris", "country": "FR"}], socials=[{"value": "https://x"}])
    assert made["emails"] == [{"address": "a@b.co", "label": "other", "primary": False}]
    assert made["phones"] == [{"number": "1", "label": "work", "primary": False}]
    assert made["addresses"] == [{"label": "other", "street": None, "city": "Paris", "state": None, "zip": None,
                                  "country": "FR"}]
    assert made["socials"] == [{"label": "other", "value": "https://x"}]


def test_patch_is_partial_and_replaces_arrays_whole(client: httpx.Client) -> None:
    made = create(client, **{**JANE, "birthday": "1990-03-15"})
    path = f"/api/v1/contacts/{made['id']}"
    answer = client.patch(path, json={"company": "Acme Global", "starred": True,
                                      "phones": [{"number": "+1 555-0999", "label": "work"}]})
    patched = answer.json()["data"]
    assert answer.status_code == 200 and patched["company"] == "Acme Global" and patched["starred"] is True
    assert patched["phones"] == [{"number": "+1 555-0999", "label": "work", "primary": False}]
    assert patched["emails"] == made["emails"] and patched["notes"] == made["notes"]  # untouched
    cleared = client.patch(path, json={"birthday": None, "notes": None, "emails": []}).json()["data"]
    assert cleared["birthday"] is None and cleared["notes"] == "" and cleared["emails"] == []
    assert cleared["updated_at"] >= made["updated_at"]


@pytest.mark.parametrize(("body", "words"), [
    ({"custom_fields": {"a": 1}}, "bulk"), ({"labels": []}, "labels"), ({"first_name": "", "last_name": "",
                                                                         "company": ""}, "required"),
    ({"starred": "yes"}, "starred"), ({"created_at": "x"}, "read-only"), ({"birthday": "03-15"}, "YYYY"),
])
def test_patch_validates(client: httpx.Client, body: dict, words: str) -> None:
    made = create(client)
    answer = client.patch(f"/api/v1/contacts/{made['id']}", json=body)
    assert error_of(answer) == (422, "VALIDATION_ERROR") and words in answer.json()["message"]
    assert client.get(f"/api/v1/contacts/{made['id']}").json()["data"] == made  # nothing written


def test_unknown_contact_is_404_everywhere(client: httpx.Client) -> None:
    path = "/api/v1/contacts/00000000-0000-4000-8000-000000000000"
    for method in ("GET", "PATCH", "DELETE"):
        assert error_of(client.request(method, path, json={})) == (404, "NOT_FOUND")


def test_delete_answers_204_then_404(client: httpx.Client) -> None:
    made = create(client)
    answer = client.delete(f"/api/v1/contacts/{made['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert error_of(client.delete(f"/api/v1/contacts/{made['id']}")) == (404, "NOT_FOUND")


def test_unknown_path_and_method(client: httpx.Client) -> None:
    assert error_of(client.get("/api/v1/nothing")) == (404, "NOT_FOUND")
    answer = client.put("/api/v1/contacts", json={})
    assert error_of(answer) == (405, "METHOD_NOT_ALLOWED") and "GET" in answer.headers["Allow"]


# -- pagination -----------------------------------------------------------------------------------------


def test_offset_pages_in_creation_order(rb: RelayBookEmulator, client: httpx.Client) -> None:
    made = [rb.store.create_contact(first_name=f"P{i:03d}")["id"] for i in range(230)]
    first = client.get("/api/v1/contacts").json()
    assert len(first["data"]) == 50 and first["meta"] == {"page": 1, "limit": 50, "total": 230}
    big = client.get("/api/v1/contacts", params={"limit": 500, "offset": 200}).json()
    assert big["meta"] == {"page": 2, "limit": 200, "total": 230}  # clamped to 200
    assert [c["id"] for c in big["data"]] == made[200:]
    walked, offset = [], 0
    while True:
        page = client.get("/api/v1/contacts", params={"limit": 200, "offset": offset}).json()["data"]
        if not page:
            break
        walked += [c["id"] for c in page]
        offset += len(page)
    assert walked == made
    assert client.get("/api/v1/contacts", params={"offset": 999}).json()["data"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "ten"}, {"offset": -1}, {"offset": "1.5"}])
def test_bad_paging_parameters_are_400(client: httpx.Client, params: dict) -> None:
    assert error_of(client.get("/api/v1/contacts", params=params)) == (400, "INVALID_INPUT")


def test_books_are_separate(rb: RelayBookEmulator, client: httpx.Client) -> None:
    create(client, first_name="Mine")
    client.post("/api/v1/contacts", json={"first_name": "Team"}, headers={"X-Book-ID": SECOND_BOOK_ID})
    assert [c["first_name"] for c in client.get("/api/v1/contacts").json()["data"]] == ["Mine"]
    second = client.get("/api/v1/contacts", headers={"X-Book-ID": SECOND_BOOK_ID}).json()["data"]
    assert [(c["first_name"], c["book_id"]) for c in second] == [("Team", SECOND_BOOK_ID)]


# -- labels (designed) ----------------------------------------------------------------------------------


def test_labels_as_designed(rb: RelayBookEmulator, client: httpx.Client) -> None:
    jane, marcus = create(client, first_name="Jane"), create(client, first_name="Marcus")
    answer = client.post("/api/v1/labels", json={"name": "VIP", "color": "#ff0000"})
    assert answer.status_code == 201
    vip = answer.json()["data"]
    assert (vip["name"], vip["color"], vip["book_id"]) == ("VIP", "#ff0000", BOOK_ID)
    assert error_of(client.post("/api/v1/labels", json={"name": "vip"})) == (409, "CONFLICT")
    friends = client.post("/api/v1/labels", json={"name": "friends"}).json()["data"]
    assert friends["color"] == "#9ca3af"
    listed = client.get("/api/v1/labels").json()
    assert [label["name"] for label in listed["data"]] == ["friends", "VIP"] and listed["meta"]["total"] == 2
    path = f"/api/v1/contacts/{jane['id']}/labels"
    added = client.post(path, json={"label_ids": [vip["id"], friends["id"], vip["id"]]})
    assert answer.status_code == 201 and [x["name"] for x in added.json()["data"]] == ["friends", "VIP"]
    client.post(f"/api/v1/contacts/{marcus['id']}/labels", json={"label_ids": [vip["id"]]})
    assert [x["name"] for x in client.get(path).json()["data"]] == ["friends", "VIP"]
    members = client.get(f"/api/v1/labels/{vip['id']}/contacts", params={"limit": 1, "offset": 1}).json()
    assert members["data"][0]["contact_id"] == marcus["id"] and members["meta"]["total"] == 2
    assert client.delete(f"{path}/{vip['id']}").status_code == 204
    assert error_of(client.delete(f"{path}/{vip['id']}")) == (404, "NOT_FOUND")
    assert [x["name"] for x in client.get(path).json()["data"]] == ["friends"]
    client.delete(f"/api/v1/contacts/{marcus['id']}")
    assert client.get(f"/api/v1/labels/{vip['id']}/contacts").json()["data"] == []


@pytest.mark.parametrize(("body", "code"), [
    ({"name": ""}, "VALIDATION_ERROR"), ({"name": "x" * 51}, "VALIDATION_ERROR"),
    ({"name": "a", "color": "red"}, "VALIDATION_ERROR"), ({"name": "a", "extra": 1}, "VALIDATION_ERROR"),
])
def test_bad_labels_are_422(client: httpx.Client, body: dict, code: str) -> None:
    assert error_of(client.post("/api/v1/labels", json=body)) == (422, code)


def test_labels_of_another_book_cannot_be_added(client: httpx.Client) -> None:
    jane = create(client)
    theirs = client.post("/api/v1/labels", json={"name": "x"}, headers={"X-Book-ID": SECOND_BOOK_ID}).json()["data"]
    path = f"/api/v1/contacts/{jane['id']}/labels"
    for body in ({"label_ids": [theirs["id"]]}, {"label_ids": []}, {"label_ids": "x"}):
        assert error_of(client.post(path, json=body)) == (422, "VALIDATION_ERROR")
    assert error_of(client.get(f"/api/v1/labels/{theirs['id']}/contacts")) == (404, "NOT_FOUND")


def test_label_changes_advance_updated_at(rb: RelayBookEmulator, client: httpx.Client) -> None:
    jane = create(client)
    time.sleep(1.05)  # timestamps are to the second, as in the document
    rb.store.label_contact(jane["id"], "vip")
    assert client.get(f"/api/v1/contacts/{jane['id']}").json()["data"]["updated_at"] > jane["updated_at"]


# -- bulk custom fields (designed) ---------------------------------------------------------------------


def test_bulk_custom_fields_set_and_remove(client: httpx.Client) -> None:
    jane, marcus = create(client, first_name="Jane"), create(client, first_name="Marcus")
    answer = client.post("/api/v1/bulk/custom-fields", json={"updates": [
        {"contact_id": jane["id"], "key": "tier", "value": "close"},
        {"contact_id": marcus["id"], "key": "score", "value": 9},
        {"contact_id": jane["id"], "key": "tags", "value": ["a", "b"]},
    ]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["meta"] == {"updated": 2}
    assert [(c["id"], c["custom_fields"]) for c in body["data"]] == [
        (jane["id"], {"tier": "close", "tags": ["a", "b"]}), (marcus["id"], {"score": 9})]
    emptied = client.post("/api/v1/bulk/custom-fields", json={"updates": [
        {"contact_id": marcus["id"], "key": "score", "value": None}]}).json()["data"][0]
    assert emptied["custom_fields"] is None


@pytest.mark.parametrize(("item", "status"), [
    ({"key": "a", "value": 1}, 422), ({"contact_id": "JANE", "key": "", "value": 1}, 422),
    ({"contact_id": "JANE", "key": "a"}, 422), ({"contact_id": "JANE", "key": "a", "value": {"x": 1}}, 422),
    ({"contact_id": "JANE", "key": "a", "value": 1, "extra": 2}, 422),
    ({"contact_id": "00000000-0000-4000-8000-000000000000", "key": "a", "value": 1}, 404),
])
def test_bulk_is_all_or_nothing(client: httpx.Client, item: dict, status: int) -> None:
    jane = create(client)
    item = {k: (jane["id"] if v == "JANE" else v) for k, v in item.items()}
    good = {"contact_id": jane["id"], "key": "tier", "value": "close"}
    answer = client.post("/api/v1/bulk/custom-fields", json={"updates": [good, item]})
    assert answer.status_code == status
    assert client.get(f"/api/v1/contacts/{jane['id']}").json()["data"]["custom_fields"] is None


def test_bulk_takes_500_at_most_and_only_the_books_contacts(client: httpx.Client) -> None:
    jane = create(client)
    many = [{"contact_id": jane["id"], "key": f"k{i}", "value": i} for i in range(501)]
    assert error_of(client.post("/api/v1/bulk/custom-fields", json={"updates": many})) == (422, "VALIDATION_ERROR")
    assert client.post("/api/v1/bulk/custom-fields", json={"updates": many[:500]}).status_code == 200
    other = client.post("/api/v1/bulk/custom-fields", headers={"X-Book-ID": SECOND_BOOK_ID},
                        json={"updates": many[:1]})
    assert error_of(other) == (404, "NOT_FOUND")
    assert error_of(client.post("/api/v1/bulk/custom-fields", json={"updates": []})) == (422, "VALIDATION_ERROR")


# -- faults, rate limits, lifecycle ---------------------------------------------------------------------


def test_fail_every_answers_relaybook_errors(rb: RelayBookEmulator, client: httpx.Client) -> None:
    rb.fail_every(2)
    assert client.get("/api/v1/contacts").status_code == 200
    assert error_of(client.get("/api/v1/contacts")) == (500, "SERVER_ERROR")
    rb.fail_every(1, 503)
    answer = client.get("/api/v1/contacts")
    assert error_of(answer) == (503, "SERVICE_UNAVAILABLE") and answer.headers["Retry-After"] == "1"
    rb.fail_every(1, 401)
    assert error_of(client.get("/api/v1/contacts")) == (401, "UNAUTHORIZED")
    rb.clear_faults()
    assert client.get("/api/v1/contacts").status_code == 200


def test_no_rate_limit_by_default_and_one_on_demand(rb: RelayBookEmulator, client: httpx.Client) -> None:
    answer = client.get("/api/v1/contacts")
    assert "X-RateLimit-Limit" not in answer.headers
    rb.rate_limit(2, 60)
    assert client.get("/api/v1/contacts").headers["X-RateLimit-Remaining"] == "1"
    client.get("/api/v1/contacts")
    limited = client.get("/api/v1/contacts")
    assert error_of(limited) == (429, "RATE_LIMITED") and int(limited.headers["Retry-After"]) >= 1


def test_delay_and_drop(rb: RelayBookEmulator, client: httpx.Client) -> None:
    rb.delay(0.2)
    began = time.monotonic()
    client.get("/api/v1/contacts")
    assert time.monotonic() - began >= 0.2
    rb.delay(0)
    rb.drop_every(1)
    with pytest.raises(httpx.TransportError):
        client.get("/api/v1/contacts")


def test_store_helpers_change_what_the_api_shows(rb: RelayBookEmulator, client: httpx.Client) -> None:
    made = rb.store.create_contact(first_name="Ada", starred=True, custom_fields={"tier": "close"})
    rb.store.label_contact(made["id"], "math", "poetry")
    rb.store.unlabel_contact(made["id"], "POETRY")
    shown = client.get(f"/api/v1/contacts/{made['id']}").json()["data"]
    assert shown["starred"] is True and shown["custom_fields"] == {"tier": "close"}
    assert [x["name"] for x in client.get(f"/api/v1/contacts/{made['id']}/labels").json()["data"]] == ["math"]
    rb.store.update_contact(made["id"], last_name="Lovelace")
    rb.store.delete_contact(made["id"])
    assert client.get("/api/v1/contacts").json()["data"] == []


def test_reset_forgets_everything(rb: RelayBookEmulator, client: httpx.Client) -> None:
    create(client)
    rb.store.create_label("x")
    rb.add_api_key("rlb_more")
    rb.fail_every(3)
    rb.reset()
    assert rb.store.contacts() == [] and rb.store.labels(BOOK_ID) == [] and rb.request_count == 0
    assert httpx.get(f"{rb.url}/api/v1/books", headers={"Authorization": "Bearer rlb_more"}).status_code == 401


def test_serve_and_the_adapters_emulator_classmethod() -> None:
    for emulator in (serve(), RelayBookAdapter.emulator()):
        try:
            assert emulator.url.startswith("http://127.0.0.1:") and emulator.api_key.startswith("rlb_")
            assert emulator.book_id == BOOK_ID  # type: ignore[attr-defined]
            answer = httpx.get(f"{emulator.url}/api/v1/books",
                               headers={"Authorization": f"Bearer {emulator.api_key}"})
            assert answer.status_code == 200
        finally:
            emulator.stop()


def test_a_session_uses_every_route(rb: RelayBookEmulator, client: httpx.Client) -> None:
    jane = create(client)
    label = client.post("/api/v1/labels", json={"name": "x"}).json()["data"]
    path = f"/api/v1/contacts/{jane['id']}"
    for method, url, body in [
        ("GET", "/api/v1/books", None), ("GET", "/api/v1/contacts", None), ("GET", path, None),
        ("PATCH", path, {"notes": "n"}), ("GET", "/api/v1/labels", None),
        ("POST", f"{path}/labels", {"label_ids": [label["id"]]}), ("GET", f"{path}/labels", None),
        ("GET", f"/api/v1/labels/{label['id']}/contacts", None), ("DELETE", f"{path}/labels/{label['id']}", None),
        ("POST", "/api/v1/bulk/custom-fields", {"updates": [{"contact_id": jane["id"], "key": "a", "value": 1}]}),
        ("DELETE", path, None),
    ]:
        assert client.request(method, url, json=body).status_code < 300, (method, url)
    assert rb.unused_routes() == []


# -- the label-names design ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def names_server() -> Iterator[RelayBookEmulator]:
    with RelayBookEmulator(design=LABEL_NAMES) as emulator:
        yield emulator


@pytest.fixture
def names(names_server: RelayBookEmulator) -> Iterator[RelayBookEmulator]:
    """The label-names emulator, empty and without faults; fails the test if a route raised."""
    names_server.reset()
    yield names_server
    errors = list(names_server.errors)
    names_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def names_client(names: RelayBookEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {names.api_key}", "X-Book-ID": BOOK_ID}
    with httpx.Client(base_url=names.url, headers=headers, timeout=10) as http:
        yield http


def test_a_design_is_one_of_two(rb: RelayBookEmulator) -> None:
    assert DESIGNS == (LABEL_OBJECTS, LABEL_NAMES) and rb.design == LABEL_OBJECTS
    with pytest.raises(ValueError, match="design must be one of"):
        RelayBookEmulator(design="tags")
    emulator = serve(design=LABEL_NAMES)
    try:
        assert emulator.design == LABEL_NAMES and "POST /api/v1/labels" not in emulator.design_routes()
    finally:
        emulator.stop()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/labels"), ("POST", "/api/v1/labels"), ("GET", "/api/v1/labels/x/contacts"),
    ("POST", "/api/v1/bulk/custom-fields"),
])
def test_the_label_names_design_has_no_label_objects_nor_the_other_bulk_path(
        names_client: httpx.Client, method: str, path: str) -> None:
    assert error_of(names_client.request(method, path, json={"name": "x"})) == (404, "NOT_FOUND")


def test_the_label_objects_design_has_no_contacts_bulk_path(client: httpx.Client) -> None:
    jane = create(client)
    answer = client.post("/api/v1/contacts/bulk/custom-fields",
                         json={"updates": [{"contact_id": jane["id"], "key": "a", "value": 1}]})
    assert error_of(answer) == (404, "NOT_FOUND")


def test_labels_by_name(names: RelayBookEmulator, names_client: httpx.Client) -> None:
    jane, marcus = create(names_client, first_name="Jane"), create(names_client, first_name="Marcus")
    path = f"/api/v1/contacts/{jane['id']}/labels"
    added = names_client.post(path, json={"labels": ["VIP", "Book Club/2026", "vip"]})
    assert added.status_code == 200 and added.json()["data"] == ["Book Club/2026", "VIP"]
    names_client.post(f"/api/v1/contacts/{marcus['id']}/labels", json={"labels": ["vip"]})
    assert names_client.get(path).json()["data"] == ["Book Club/2026", "VIP"]
    assert [x["name"] for x in names.store.labels_of(marcus["id"])] == ["VIP"]  # one label of the book
    assert "labels" not in names_client.get(f"/api/v1/contacts/{jane['id']}").json()["data"]
    assert names_client.delete(f"{path}/book%20club%2F2026").status_code == 204
    assert error_of(names_client.delete(f"{path}/book%20club%2F2026")) == (404, "NOT_FOUND")
    assert names_client.get(path).json()["data"] == ["VIP"]
    assert error_of(names_client.get("/api/v1/contacts/00000000-0000-4000-8000-000000000000/labels")) == (
        404, "NOT_FOUND")


@pytest.mark.parametrize("body", [
    {"label_ids": ["x"]}, {"labels": []}, {"labels": "vip"}, {"labels": [""]}, {"labels": ["x" * 51]},
    {"labels": [1]}, {"labels": ["a"], "extra": 1},
], ids=["label-ids", "empty", "string", "blank", "too-long", "number", "extra-key"])
def test_bad_label_names_are_422(names: RelayBookEmulator, names_client: httpx.Client, body: dict) -> None:
    jane = create(names_client)
    assert error_of(names_client.post(f"/api/v1/contacts/{jane['id']}/labels", json=body)) == (
        422, "VALIDATION_ERROR")
    assert names.store.labels(BOOK_ID) == []  # nothing half-written


def test_the_label_names_bulk_path(names_client: httpx.Client) -> None:
    jane = create(names_client)
    answer = names_client.post("/api/v1/contacts/bulk/custom-fields", json={"updates": [
        {"contact_id": jane["id"], "key": "tier", "value": "close"}]})
    assert answer.status_code == 200 and answer.json()["data"][0]["custom_fields"] == {"tier": "close"}
    missing = names_client.post("/api/v1/contacts/bulk/custom-fields", headers={"X-Book-ID": ""},
                                json={"updates": [{"contact_id": jane["id"], "key": "t", "value": 1}]})
    assert error_of(missing) == (400, "MISSING_BOOK")


def test_a_label_names_session_uses_every_route_of_its_design(names: RelayBookEmulator,
                                                               names_client: httpx.Client) -> None:
    jane = create(names_client)
    path = f"/api/v1/contacts/{jane['id']}"
    for method, url, body in [
        ("GET", "/api/v1/books", None), ("GET", "/api/v1/contacts", None), ("GET", path, None),
        ("PATCH", path, {"notes": "n"}), ("POST", f"{path}/labels", {"labels": ["x"]}),
        ("GET", f"{path}/labels", None), ("DELETE", f"{path}/labels/x", None),
        ("POST", "/api/v1/contacts/bulk/custom-fields",
         {"updates": [{"contact_id": jane["id"], "key": "a", "value": 1}]}),
        ("DELETE", path, None),
    ]:
        assert names_client.request(method, url, json=body).status_code < 300, (method, url)
    assert names.unused_routes() == []
