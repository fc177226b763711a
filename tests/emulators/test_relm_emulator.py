"""The Relm emulator behaves as Relm's API document says (and as its docstring decides where the document is
silent), over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

from rolo.adapters._emulator import ApiError, Emulator, Request, route
from rolo.adapters.relm.emulator import RelmEmulator, serve, sign


def error_of(answer: httpx.Response) -> tuple[int, str]:
    """(status, error code) of an error answer, checking the documented body shape."""
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return answer.status_code, body["error"]["code"]


def make_contacts(relm: RelmEmulator, count: int, **extra: Any) -> list[dict]:
    """`count` contacts created behind the API's back, oldest first."""
    batch = [
        {"email": f"person{i:04d}@example.com", "first_name": f"Person{i:04d}", **extra} for i in range(count)
    ]
    made: list[dict] = []
    for start in range(0, count, 500):
        made += relm.store.upsert_contacts(batch[start : start + 500])["data"]
    return made


def walk(client: httpx.Client, path: str, **params: Any) -> list[dict]:
    """Every item of a list, following next_cursor."""
    items, cursor = [], None
    while True:
        page = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += page["data"]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return items
        cursor = page["next_cursor"]


# -- auth, headers ---------------------------------------------------------------------------------------


def test_missing_key_is_401(relm):
    answer = httpx.get(f"{relm.url}/v1/contacts")
    assert error_of(answer) == (401, "missing_api_key")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer sk_test_not_a_real_key",
        "Bearer sk_live_not_a_real_key",
        "Bearer rlb_other_api",
        "Basic c2tfdGVzdA==",
        "Bearer",
    ],
    ids=["unknown-test-key", "unknown-live-key", "wrong-prefix", "basic-scheme", "empty-bearer"],
)
def test_wrong_key_is_401(relm, authorization):
    answer = httpx.get(f"{relm.url}/v1/contacts", headers={"Authorization": authorization})
    assert error_of(answer) == (401, "invalid_api_key")


def test_added_live_key_works_and_revoked_key_stops(relm, client):
    relm.add_api_key("sk_live_abc123")
    assert (
        httpx.get(f"{relm.url}/v1/contacts", headers={"Authorization": "Bearer sk_live_abc123"}).status_code
        == 200
    )
    relm.revoke_api_key(relm.api_key)
    assert error_of(client.get("/v1/contacts")) == (401, "invalid_api_key")
    with pytest.raises(ValueError):
        relm.add_api_key("pk_nope")


def test_api_key_is_a_stable_test_key(relm):
    assert relm.api_key.startswith("sk_test_")
    assert RelmEmulator().api_key == relm.api_key


def test_every_answer_has_rate_limit_headers_and_version(relm, client):
    for answer in (
        client.get("/v1/contacts"),
        client.get("/v1/contacts/con_missing"),
        httpx.get(f"{relm.url}/v1/contacts"),
    ):
        assert all(
            name in answer.headers
            for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        )
        assert answer.headers["Relm-Version"] == "2026-07-01"
    assert int(answer.headers["X-RateLimit-Reset"]) > time.time()
    echoed = client.get("/v1/contacts", headers={"Relm-Version": "2025-01-15"})
    assert echoed.headers["Relm-Version"] == "2025-01-15"


def test_unknown_path_and_method(client):
    assert error_of(client.get("/v1/nothing")) == (404, "not_found")
    wrong = client.put("/v1/contacts/con_x", json={})
    assert error_of(wrong) == (405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


# -- contacts and the other records --------------------------------------------------------------------


def test_create_contact_as_in_the_quickstart(client):
    answer = client.post(
        "/v1/contacts", json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    )
    assert answer.status_code == 201
    contact = answer.json()
    assert contact["id"].startswith("con_") and contact["object"] == "contact"
    assert {
        k: contact[k] for k in ("email", "first_name", "last_name", "phone", "company_id", "metadata")
    } == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": None,
        "company_id": None,
        "metadata": {},
    }
    assert contact["created_at"] == contact["updated_at"]
    assert contact["created_at"].endswith("Z")
    assert client.get(f"/v1/contacts/{contact['id']}").json() == contact


def test_patch_is_partial_and_null_clears(client):
    contact = client.post(
        "/v1/contacts", json={"email": "ada@example.com", "first_name": "Ada", "phone": "+1 555 0100"}
    ).json()
    patched = client.patch(f"/v1/contacts/{contact['id']}", json={"last_name": "Lovelace", "phone": None})
    assert patched.status_code == 200
    body = patched.json()
    assert (body["first_name"], body["last_name"], body["phone"]) == ("Ada", "Lovelace", None)
    assert body["created_at"] == contact["created_at"] and body["updated_at"] > contact["updated_at"]


def test_delete_then_404(client):
    contact = client.post("/v1/contacts", json={"email": "ada@example.com"}).json()
    deleted = client.delete(f"/v1/contacts/{contact['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": contact["id"], "object": "contact", "deleted": True}
    assert error_of(client.get(f"/v1/contacts/{contact['id']}")) == (404, "not_found")
    assert error_of(client.delete(f"/v1/contacts/{contact['id']}")) == (404, "not_found")
    assert error_of(client.patch(f"/v1/contacts/{contact['id']}", json={"first_name": "X"})) == (
        404,
        "not_found",
    )


RECORD_BODIES = {
    "contacts": ({"email": "ada@example.com"}, {"first_name": "Ada"}, "con_"),
    "companies": ({"name": "Acme", "domain": "acme.com"}, {"name": "Acme Corp"}, "cmp_"),
    "deals": (
        {
            "title": "Big deal",
            "value_cents": 1_000_000,
            "currency": "USD",
            "stage": "won",
            "close_date": "2026-07-02",
        },
        {"stage": "lost"},
        "deal_",
    ),
    "activities": (
        {"type": "call", "subject": "Intro", "occurred_at": "2026-07-02T10:00:00+02:00"},
        {"body": "Went well"},
        "act_",
    ),
}


@pytest.mark.parametrize("plural", list(RECORD_BODIES))
def test_crud_of_each_record_type(client, plural):
    create, patch, prefix = RECORD_BODIES[plural]
    created = client.post(f"/v1/{plural}", json=create)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["id"].startswith(prefix)
    assert client.get(f"/v1/{plural}").json()["data"] == [record]
    assert client.get(f"/v1/{plural}/{record['id']}").json() == record
    updated = client.patch(f"/v1/{plural}/{record['id']}", json=patch).json()
    assert all(updated[key] == value for key, value in patch.items())
    assert client.delete(f"/v1/{plural}/{record['id']}").json()["deleted"] is True
    assert error_of(client.get(f"/v1/{plural}/{record['id']}")) == (404, "not_found")


def test_occurred_at_is_stored_in_utc(client):
    activity = client.post(
        "/v1/activities", json={"type": "call", "occurred_at": "2026-07-02T10:00:00+02:00"}
    )
    assert activity.json()["occurred_at"] == "2026-07-02T08:00:00.000000Z"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/contacts", {"email": "ada@example.com", "nickname": "A"}, "nickname"),
        ("/v1/contacts", {"email": "ada@example.com", "id": "con_mine"}, "id"),
        ("/v1/contacts", {"email": "ada@example.com", "updated_at": "2026-01-01T00:00:00Z"}, "updated_at"),
        ("/v1/contacts", {"email": "not-an-email"}, "email"),
        ("/v1/contacts", {"email": "ada@example.com", "first_name": 7}, "first_name"),
        ("/v1/contacts", {"company_id": "cmp_missing", "first_name": "Ada"}, "company_id"),
        ("/v1/contacts", {"metadata": {}}, "email"),
        ("/v1/contacts", {"email": "ada@example.com", "metadata": []}, "metadata"),
        ("/v1/companies", {"domain": "acme.com"}, "name"),
        ("/v1/companies", {"name": "Acme", "domain": "not a domain"}, "domain"),
        ("/v1/deals", {"title": "D", "value_cents": -5}, "value_cents"),
        ("/v1/deals", {"title": "D", "value_cents": 10.5}, "value_cents"),
        ("/v1/deals", {"title": "D", "currency": "usd"}, "currency"),
        ("/v1/deals", {"title": "D", "close_date": "02/07/2026"}, "close_date"),
        ("/v1/deals", {"title": "D", "primary_contact_id": "con_missing"}, "primary_contact_id"),
        ("/v1/activities", {"subject": "no type"}, "type"),
        ("/v1/activities", {"type": "call", "occurred_at": "2026-07-02T10:00:00"}, "occurred_at"),
    ],
    ids=[
        "unknown-field",
        "id-read-only",
        "updated_at-read-only",
        "bad-email",
        "name-not-string",
        "unknown-company",
        "contact-needs-a-name-or-email",
        "metadata-not-object",
        "company-needs-name",
        "bad-domain",
        "negative-cents",
        "fractional-cents",
        "lowercase-currency",
        "bad-date",
        "unknown-primary-contact",
        "activity-needs-type",
        "naive-timestamp",
    ],
)
def test_invalid_writes_are_400_naming_the_field(client, path, body, field):
    answer = client.post(path, json=body)
    assert error_of(answer) == (400, "validation_error")
    assert answer.json()["error"]["message"].startswith(field)
    assert client.get(path).json()["data"] == []


def test_emails_are_unique_without_case(client):
    first = client.post("/v1/contacts", json={"email": "ada@example.com"}).json()
    assert error_of(client.post("/v1/contacts", json={"email": "ADA@example.com"})) == (
        409,
        "duplicate_record",
    )
    other = client.post("/v1/contacts", json={"email": "grace@example.com"}).json()
    assert error_of(client.patch(f"/v1/contacts/{other['id']}", json={"email": "Ada@Example.com"})) == (
        409,
        "duplicate_record",
    )
    # writing a contact's own email back is not a duplicate
    assert client.patch(f"/v1/contacts/{first['id']}", json={"email": "ADA@example.com"}).status_code == 200


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{oops", {"Content-Type": "application/json"}, 400, "invalid_request"),
        (b'["a"]', {"Content-Type": "application/json"}, 400, "invalid_request"),
        (b"", {}, 400, "invalid_request"),
        (b'{"email": "ada@example.com"}', {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
    ],
    ids=["malformed", "array", "empty", "not-json-content-type"],
)
def test_bad_bodies(client, content, headers, status, code):
    assert error_of(client.post("/v1/contacts", content=content, headers=headers)) == (status, code)


def test_deleting_a_company_clears_references_and_advances_updated_at(client):
    company = client.post("/v1/companies", json={"name": "Acme"}).json()
    contact = client.post(
        "/v1/contacts", json={"email": "ada@example.com", "company_id": company["id"]}
    ).json()
    client.delete(f"/v1/companies/{company['id']}")
    after = client.get(f"/v1/contacts/{contact['id']}").json()
    assert after["company_id"] is None and after["updated_at"] > contact["updated_at"]


# -- timestamps ----------------------------------------------------------------------------------------


def test_timestamps_increase_strictly_on_every_change(relm, client):
    stamps = []
    contact = client.post("/v1/contacts", json={"email": "ada@example.com"}).json()
    stamps.append(contact["updated_at"])
    for i in range(20):
        stamps.append(
            client.patch(f"/v1/contacts/{contact['id']}", json={"first_name": f"A{i}"}).json()["updated_at"]
        )
        stamps.append(relm.store.create_contact(email=f"p{i}@example.com")["created_at"])
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_changed_since_pulls_exactly_the_changes(relm, client):
    made = make_contacts(relm, 5)
    mark = made[-1]["updated_at"]
    relm.store.update_contact(made[1]["id"], last_name="Changed")
    new = relm.store.create_contact(email="new@example.com")
    changed = walk(client, "/v1/contacts", **{"filter[updated_at][gt]": mark})
    assert [c["id"] for c in changed] == [made[1]["id"], new["id"]]
    # a timestamp without microseconds compares as an instant, not as text
    whole_second = mark[:19] + "Z"
    assert len(walk(client, "/v1/contacts", **{"filter[updated_at][gte]": whole_second})) >= 2


# -- pagination ----------------------------------------------------------------------------------------


def test_default_page_is_50_and_max_200(relm, client):
    make_contacts(relm, 230)
    default = client.get("/v1/contacts").json()
    assert default["object"] == "list" and len(default["data"]) == 50 and default["has_more"] is True
    assert isinstance(default["next_cursor"], str)
    assert len(client.get("/v1/contacts", params={"limit": 200}).json()["data"]) == 200


@pytest.mark.parametrize("limit", ["201", "0", "-1", "ten", "1.5", ""], ids=repr)
def test_limit_out_of_range_is_400(client, limit):
    assert error_of(client.get("/v1/contacts", params={"limit": limit})) == (400, "invalid_parameter")


def test_cursor_walk_returns_everything_once_in_creation_order(relm, client):
    made = make_contacts(relm, 123)
    seen = walk(client, "/v1/contacts", limit=50)
    assert [c["id"] for c in seen] == [c["id"] for c in made]


def test_cursor_survives_writes_during_the_walk(relm, client):
    made = make_contacts(relm, 6)
    first = client.get("/v1/contacts", params={"limit": 3}).json()
    relm.store.delete_contact(made[0]["id"])  # already seen
    relm.store.delete_contact(made[3]["id"])  # not yet seen
    late = relm.store.create_contact(email="late@example.com")
    rest = client.get("/v1/contacts", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in rest["data"]] == [made[4]["id"], made[5]["id"], late["id"]]
    assert rest["has_more"] is False and rest["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["garbage", "cmVsbTp4OnU", ""], ids=["garbage", "bad-numbers", "empty"])
def test_bad_cursor_is_400(client, cursor):
    assert error_of(client.get("/v1/contacts", params={"cursor": cursor})) == (400, "invalid_cursor")


def test_repeated_limit_is_400(client):
    assert error_of(client.get("/v1/contacts", params=[("limit", "5"), ("limit", "6")])) == (
        400,
        "invalid_parameter",
    )


# -- filters -------------------------------------------------------------------------------------------


@pytest.fixture
def deals(relm):
    """Four deals: values 5k, 10k, 20k and none; stages won, won, lost, open."""
    rows = [
        ("Alpha", 500_000, "won"),
        ("Beta", 1_000_000, "won"),
        ("Gamma", 2_000_000, "lost"),
        ("Delta Big", None, "open"),
    ]
    return {
        title: relm.store.create("deal", {"title": title, "value_cents": value, "stage": stage})
        for title, value, stage in rows
    }


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"filter[stage][eq]": "won"}, ["Alpha", "Beta"]),
        ({"filter[stage]": "won"}, ["Alpha", "Beta"]),
        ({"stage": "won"}, ["Alpha", "Beta"]),
        ({"filter[stage][neq]": "won"}, ["Gamma", "Delta Big"]),
        ({"filter[value_cents][gt]": "1000000"}, ["Gamma"]),
        ({"filter[value_cents][gte]": "1000000"}, ["Beta", "Gamma"]),
        ({"filter[value_cents][lt]": "1000000"}, ["Alpha"]),
        ({"filter[value_cents][lte]": "1000000"}, ["Alpha", "Beta"]),
        ({"filter[title][ilike]": "%a"}, ["Alpha", "Beta", "Gamma"]),
        ({"filter[title][ilike]": "delta%"}, ["Delta Big"]),
        ({"filter[title][ilike]": "_eta"}, ["Beta"]),
        ({"filter[title][ilike]": "ALPHA"}, ["Alpha"]),
        ({"filter[stage][in]": "lost,open"}, ["Gamma", "Delta Big"]),
        ({"filter[value_cents][eq]": "null"}, ["Delta Big"]),
        ({"filter[value_cents][in]": "500000,2000000"}, ["Alpha", "Gamma"]),
        ({"filter[stage]": "won", "filter[value_cents][gte]": "1000000"}, ["Beta"]),
    ],
    ids=[
        "eq",
        "field-only-means-eq",
        "shorthand",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "ilike-suffix",
        "ilike-prefix-no-case",
        "ilike-one-char",
        "ilike-whole-value",
        "in",
        "null",
        "in-numbers",
        "documented-example",
    ],
)
def test_filter_ops(client, deals, params, titles):
    answer = client.get("/v1/deals", params=params)
    assert answer.status_code == 200, answer.text
    assert [deal["title"] for deal in answer.json()["data"]] == titles


def test_repeated_in_keys_add_up(client, deals):
    answer = client.get("/v1/deals", params=[("filter[stage][in]", "lost"), ("filter[stage][in]", "open")])
    assert [deal["title"] for deal in answer.json()["data"]] == ["Gamma", "Delta Big"]


def test_email_shorthand_and_case(relm, client):
    make_contacts(relm, 3)
    found = client.get("/v1/contacts", params={"email": "PERSON0001@example.com"}).json()["data"]
    assert [c["first_name"] for c in found] == ["Person0001"]


def test_filter_on_dates_and_custom_fields(relm, client):
    relm.store.define_field("contact", "plan", "select", choices=["free", "pro"])
    relm.store.define_field("contact", "seats", "number")
    relm.store.define_field("contact", "vip", "bool")
    relm.store.create_contact(email="a@example.com", metadata={"plan": "pro", "seats": 10, "vip": True})
    relm.store.create_contact(email="b@example.com", metadata={"plan": "free", "seats": 2})

    def emails(params: dict[str, str]) -> list[str]:
        return [c["email"] for c in client.get("/v1/contacts", params=params).json()["data"]]

    assert emails({"filter[metadata.plan][eq]": "pro"}) == ["a@example.com"]
    assert emails({"filter[metadata][plan][eq]": "free"}) == ["b@example.com"]
    assert emails({"filter[metadata.seats][gte]": "5"}) == ["a@example.com"]
    assert emails({"filter[metadata.vip]": "true"}) == ["a@example.com"]
    assert emails({"filter[metadata.vip][neq]": "true"}) == ["b@example.com"]
    relm.store.create("deal", {"title": "D", "close_date": "2026-07-02"})
    assert len(client.get("/v1/deals", params={"filter[close_date][gte]": "2026-07-01"}).json()["data"]) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter[nickname][eq]": "x"}, "invalid_filter"),
        ({"filter[stage][like]": "x"}, "invalid_filter"),
        ({"filter[value_cents][gt]": "lots"}, "invalid_filter"),
        ({"filter[value_cents][ilike]": "1%"}, "invalid_filter"),
        ({"filter[close_date][gt]": "July"}, "invalid_filter"),
        ({"filter[updated_at][gt]": "2026-07-02T10:00:00"}, "invalid_filter"),
        ({"filter[value_cents][gt]": "null"}, "invalid_filter"),
        ({"filter[metadata.nothing][eq]": "x"}, "invalid_filter"),
        ({"filter[a][b][c]": "x"}, "invalid_filter"),
        ({"sort": "title"}, "invalid_parameter"),
        ({"filter": "x"}, "invalid_parameter"),
    ],
    ids=[
        "unknown-field",
        "unknown-op",
        "not-a-number",
        "ilike-on-number",
        "not-a-date",
        "naive-timestamp",
        "null-ordering",
        "undefined-custom-field",
        "too-deep",
        "unknown-parameter",
        "bare-filter",
    ],
)
def test_bad_filters_are_400(client, params, code):
    assert error_of(client.get("/v1/deals", params=params)) == (400, code)


# -- idempotency ---------------------------------------------------------------------------------------


def test_idempotent_replay_returns_the_original_answer(relm, client):
    key = {"Idempotency-Key": "create-ada-2026-07-02"}
    first = client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=key)
    again = client.post(
        "/v1/contacts",
        content=b'{ "email" : "ada@example.com" }',
        headers={**key, "Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(relm.store.contacts()) == 1


def test_idempotency_key_with_a_different_body_is_409(relm, client):
    key = {"Idempotency-Key": "k1"}
    client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=key)
    assert error_of(client.post("/v1/contacts", json={"email": "grace@example.com"}, headers=key)) == (
        409,
        "idempotency_conflict",
    )
    assert error_of(client.post("/v1/companies", json={"email": "ada@example.com"}, headers=key)) == (
        409,
        "idempotency_conflict",
    )
    assert len(relm.store.contacts()) == 1


def test_idempotency_replays_client_errors_but_not_faults(relm, client):
    key = {"Idempotency-Key": "k2"}
    assert client.post("/v1/contacts", json={"email": "bad"}, headers=key).status_code == 400
    assert (
        client.post("/v1/contacts", json={"email": "bad"}, headers=key).headers["Idempotent-Replayed"]
        == "true"
    )
    relm.fail_every(1, status=500)
    assert (
        client.post(
            "/v1/contacts", json={"email": "ada@example.com"}, headers={"Idempotency-Key": "k3"}
        ).status_code
        == 500
    )
    relm.clear_faults()
    retry = client.post("/v1/contacts", json={"email": "ada@example.com"}, headers={"Idempotency-Key": "k3"})
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers


def test_idempotency_on_batch_and_key_length(relm, client):
    body = {"contacts": [{"email": "ada@example.com"}], "dedup_on": ["email"]}
    first = client.post("/v1/contacts/batch", json=body, headers={"Idempotency-Key": "b1"})
    again = client.post("/v1/contacts/batch", json=body, headers={"Idempotency-Key": "b1"})
    assert again.json() == first.json()
    assert (
        client.post(
            "/v1/contacts", json={"email": "x@example.com"}, headers={"Idempotency-Key": "k" * 255}
        ).status_code
        == 201
    )
    assert error_of(
        client.post("/v1/contacts", json={"email": "y@example.com"}, headers={"Idempotency-Key": "k" * 256})
    ) == (400, "invalid_request")


# -- batch ---------------------------------------------------------------------------------------------


def test_batch_creates_as_documented(client):
    answer = client.post(
        "/v1/contacts/batch",
        json={
            "contacts": [
                {"email": "ada@example.com", "first_name": "Ada"},
                {"email": "grace@example.com", "first_name": "Grace"},
            ],
            "dedup_on": ["email"],
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "batch_result" and body["updated"] == []
    assert [c["first_name"] for c in body["data"]] == ["Ada", "Grace"]
    assert body["created"] == [c["id"] for c in body["data"]]


def test_batch_dedup_on_email_upserts(relm, client):
    ada = relm.store.create_contact(email="ada@example.com", first_name="Ada", phone="+1 555 0100")
    body = client.post(
        "/v1/contacts/batch",
        json={
            "contacts": [
                {"email": "ADA@example.com", "last_name": "Lovelace"},
                {"email": "grace@example.com", "first_name": "Grace"},
                {"email": "grace@example.com", "last_name": "Hopper"},
            ],
            "dedup_on": ["email"],
        },
    ).json()
    assert body["updated"] == [ada["id"]]
    grace_id = body["data"][1]["id"]
    assert body["created"] == [grace_id] and body["data"][2]["id"] == grace_id
    merged = relm.store.get("contact", ada["id"])
    assert (merged["first_name"], merged["last_name"], merged["phone"]) == ("Ada", "Lovelace", "+1 555 0100")
    assert relm.store.get("contact", grace_id)["first_name"] == "Grace"
    assert len(relm.store.contacts()) == 2


def test_batch_without_dedup_fails_on_duplicates_and_writes_nothing(relm, client):
    relm.store.create_contact(email="ada@example.com")
    answer = client.post(
        "/v1/contacts/batch", json={"contacts": [{"email": "new@example.com"}, {"email": "ada@example.com"}]}
    )
    assert error_of(answer) == (409, "duplicate_record")
    assert answer.json()["error"]["message"].startswith("contacts[1].email")
    assert [c["email"] for c in relm.store.contacts()] == ["ada@example.com"]


def test_batch_is_all_or_nothing_on_invalid_contacts(relm, client):
    answer = client.post(
        "/v1/contacts/batch", json={"contacts": [{"email": "ok@example.com"}, {"email": "nope"}]}
    )
    assert error_of(answer) == (400, "validation_error")
    assert answer.json()["error"]["message"].startswith("contacts[1].email")
    assert relm.store.contacts() == []


def test_a_refused_batch_leaves_the_email_index_as_it_was(relm, client):
    """An upsert that moved Ada to a new address, then a bad contact: her old address is still hers."""
    ada = relm.store.create_contact(email="ada@example.com", first_name="Ada")
    answer = client.post(
        "/v1/contacts/batch",
        json={
            "contacts": [{"email": "ada@example.com", "first_name": "Augusta"}, {"email": "nope"}],
            "dedup_on": ["email"],
        },
    )
    assert error_of(answer) == (400, "validation_error")
    assert relm.store.get("contact", ada["id"])["first_name"] == "Ada"
    again = client.post("/v1/contacts", json={"email": "ADA@example.com"})
    assert error_of(again) == (409, "duplicate_record")
    moved = client.patch(f"/v1/contacts/{ada['id']}", json={"email": "augusta@example.com"})
    assert moved.status_code == 200
    taken = client.post("/v1/contacts", json={"email": "ada@example.com", "first_name": "New"})
    assert taken.status_code == 201 and len(relm.store.contacts()) == 2


def test_batch_takes_500_and_no_more(relm, client):
    five_hundred = [{"email": f"p{i}@example.com"} for i in range(500)]
    assert len(client.post("/v1/contacts/batch", json={"contacts": five_hundred}).json()["created"]) == 500
    too_many = [{"email": f"q{i}@example.com"} for i in range(501)]
    assert error_of(client.post("/v1/contacts/batch", json={"contacts": too_many})) == (
        400,
        "batch_too_large",
    )
    assert len(relm.store.contacts()) == 500


@pytest.mark.parametrize(
    "body",
    [
        {"contacts": []},
        {"contacts": {"email": "a@example.com"}},
        {},
        {"contacts": [{"email": "a@example.com"}], "dedup_on": ["phone"]},
        {"contacts": [{"email": "a@example.com"}], "dedup_on": "email"},
        {"contacts": [{"email": "a@example.com"}], "upsert": True},
        {"contacts": ["a@example.com"]},
    ],
    ids=["empty", "not-a-list", "missing", "dedup-on-phone", "dedup-on-string", "unknown-key", "not-objects"],
)
def test_bad_batches_are_400(client, body):
    assert error_of(client.post("/v1/contacts/batch", json=body)) == (400, "validation_error")


# -- custom fields -------------------------------------------------------------------------------------


def define_plan(client: httpx.Client) -> dict:
    answer = client.post(
        "/v1/schema/fields",
        json={
            "object_type": "contact",
            "key": "plan",
            "label": "Plan",
            "type": "select",
            "required": True,
            "options": {"choices": ["free", "pro", "enterprise"]},
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_define_a_required_select_field_as_documented(client):
    field = define_plan(client)
    assert field["id"].startswith("fld_") and field["object"] == "schema_field"
    assert (field["key"], field["type"], field["required"], field["options"]) == (
        "plan",
        "select",
        True,
        {"choices": ["free", "pro", "enterprise"]},
    )
    created = client.post("/v1/contacts", json={"email": "ada@example.com", "metadata": {"plan": "pro"}})
    assert created.status_code == 201 and created.json()["metadata"] == {"plan": "pro"}


@pytest.mark.parametrize(
    ("metadata", "start"),
    [
        (None, "metadata.plan: required"),
        ({}, "metadata.plan: required"),
        ({"plan": None}, "metadata.plan: required"),
        ({"plan": "gold"}, "metadata.plan: 'gold' is not one of"),
        ({"plan": 3}, "metadata.plan: must be a string"),
        ({"plan": "pro", "tier": "x"}, "metadata.tier: no custom field"),
    ],
    ids=["missing", "empty", "null", "unknown-option", "wrong-type", "undefined-key"],
)
def test_custom_field_validation_on_create(client, metadata, start):
    define_plan(client)
    body = {"email": "ada@example.com", **({"metadata": metadata} if metadata is not None else {})}
    answer = client.post("/v1/contacts", json=body)
    assert error_of(answer) == (400, "validation_error")
    assert answer.json()["error"]["message"].startswith(start)


@pytest.mark.parametrize(
    ("field_type", "good", "bad"),
    [
        ("text", "hello", 5),
        ("number", 12.5, "12"),
        ("number", 3, True),
        ("date", "2026-07-02", "2026-02-30"),
        ("date", "1999-12-31", "31/12/1999"),
        ("bool", False, "false"),
        ("select", "b", "c"),
    ],
    ids=["text", "number", "number-not-bool", "date-valid-day", "date-format", "bool", "select"],
)
def test_custom_field_types(relm, client, field_type, good, bad):
    relm.store.define_field(
        "company", "extra", field_type, choices=["a", "b"] if field_type == "select" else None
    )
    assert client.post("/v1/companies", json={"name": "Ok", "metadata": {"extra": good}}).status_code == 201
    assert error_of(client.post("/v1/companies", json={"name": "Bad", "metadata": {"extra": bad}})) == (
        400,
        "validation_error",
    )


def test_patch_validates_the_record_as_it_will_stand(relm, client):
    old = relm.store.create_contact(email="old@example.com")
    define_plan(client)
    answer = client.patch(f"/v1/contacts/{old['id']}", json={"first_name": "Old"})
    assert error_of(answer) == (400, "validation_error")
    assert answer.json()["error"]["message"].startswith("metadata.plan: required")
    fixed = client.patch(f"/v1/contacts/{old['id']}", json={"metadata": {"plan": "free"}})
    assert fixed.status_code == 200
    # metadata merges: a later patch without metadata keeps the plan
    assert client.patch(f"/v1/contacts/{old['id']}", json={"first_name": "Old"}).json()["metadata"] == {
        "plan": "free"
    }


def test_metadata_merges_and_null_removes_a_key(relm, client):
    relm.store.define_field("contact", "nickname")
    relm.store.define_field("contact", "score", "number")
    contact = relm.store.create_contact(email="a@example.com", metadata={"nickname": "Al", "score": 3})
    merged = client.patch(f"/v1/contacts/{contact['id']}", json={"metadata": {"score": 4}}).json()
    assert merged["metadata"] == {"nickname": "Al", "score": 4}
    removed = client.patch(f"/v1/contacts/{contact['id']}", json={"metadata": {"nickname": None}}).json()
    assert removed["metadata"] == {"score": 4}


def test_list_fields_by_object_type(relm, client):
    define_plan(client)
    relm.store.define_field("company", "industry")
    fields = client.get("/v1/schema/fields", params={"object_type": "contact"}).json()
    assert fields["object"] == "list" and [f["key"] for f in fields["data"]] == ["plan"]
    assert len(client.get("/v1/schema/fields").json()["data"]) == 2
    assert error_of(client.get("/v1/schema/fields", params={"object_type": "planet"})) == (
        400,
        "invalid_filter",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"object_type": "contact", "key": "plan", "type": "select"},
        {"object_type": "contact", "key": "plan", "type": "select", "options": {"choices": []}},
        {"object_type": "contact", "key": "plan", "type": "select", "options": {"choices": ["a", "a"]}},
        {"object_type": "contact", "key": "plan", "type": "text", "options": {"choices": ["a"]}},
        {"object_type": "contact", "key": "plan", "type": "json"},
        {"object_type": "lead", "key": "plan", "type": "text"},
        {"object_type": "contact", "key": "Plan Name", "type": "text"},
        {"object_type": "contact", "type": "text"},
        {"object_type": "contact", "key": "plan", "type": "text", "required": "yes"},
        {"object_type": "contact", "key": "plan", "type": "text", "default": "x"},
    ],
    ids=[
        "select-without-options",
        "no-choices",
        "repeated-choices",
        "options-on-text",
        "unknown-type",
        "unknown-object-type",
        "bad-key",
        "missing-key",
        "required-not-bool",
        "unknown-property",
    ],
)
def test_bad_field_definitions_are_400(client, body):
    assert error_of(client.post("/v1/schema/fields", json=body)) == (400, "validation_error")


def test_field_keys_are_unique_per_object_type(client):
    define_plan(client)
    assert error_of(
        client.post("/v1/schema/fields", json={"object_type": "contact", "key": "plan", "type": "text"})
    ) == (409, "duplicate_record")
    assert (
        client.post(
            "/v1/schema/fields", json={"object_type": "deal", "key": "plan", "type": "text"}
        ).status_code
        == 201
    )


def test_deleting_a_field_removes_its_values(relm, client):
    field = client.post(
        "/v1/schema/fields", json={"object_type": "contact", "key": "nickname", "type": "text"}
    ).json()
    contact = relm.store.create_contact(email="a@example.com", metadata={"nickname": "Al"})
    assert client.delete(f"/v1/schema/fields/{field['id']}").json() == {
        "id": field["id"],
        "object": "schema_field",
        "deleted": True,
    }
    after = client.get(f"/v1/contacts/{contact['id']}").json()
    assert after["metadata"] == {} and after["updated_at"] > contact["updated_at"]
    assert error_of(client.delete(f"/v1/schema/fields/{field['id']}")) == (404, "not_found")
    assert error_of(
        client.post("/v1/contacts", json={"email": "b@example.com", "metadata": {"nickname": "B"}})
    ) == (400, "validation_error")


# -- associations --------------------------------------------------------------------------------------


def test_associations_as_documented(relm, client):
    contact = relm.store.create_contact(email="ada@example.com")
    deal = relm.store.create("deal", {"title": "Engine"})
    company = relm.store.create_company(name="Acme")
    edge = client.post(
        "/v1/associations",
        json={
            "from_type": "contact",
            "from_id": contact["id"],
            "to_type": "deal",
            "to_id": deal["id"],
            "label": "champion",
        },
    )
    assert edge.status_code == 201
    edge = edge.json()
    assert edge["id"].startswith("asc_") and edge["object"] == "association" and edge["label"] == "champion"
    other = relm.store.link(contact["id"], company["id"])
    linked = client.get("/v1/associations", params={"from_type": "contact", "from_id": contact["id"]}).json()
    assert [e["id"] for e in linked["data"]] == [edge["id"], other["id"]]
    assert [e["id"] for e in client.get("/v1/associations", params={"to_id": deal["id"]}).json()["data"]] == [
        edge["id"]
    ]
    assert client.get("/v1/associations", params={"from_id": deal["id"]}).json()["data"] == []  # directed
    assert client.delete(f"/v1/associations/{edge['id']}").json()["deleted"] is True
    assert error_of(client.delete(f"/v1/associations/{edge['id']}")) == (404, "not_found")


def test_association_rules(relm, client):
    contact = relm.store.create_contact(email="ada@example.com")
    deal = relm.store.create("deal", {"title": "Engine"})
    link = {"from_type": "contact", "from_id": contact["id"], "to_type": "deal", "to_id": deal["id"]}
    assert client.post("/v1/associations", json=link).status_code == 201
    assert error_of(client.post("/v1/associations", json=link)) == (409, "duplicate_record")
    assert client.post("/v1/associations", json={**link, "label": "champion"}).status_code == 201
    for bad in (
        {**link, "to_id": "deal_missing"},
        {**link, "to_type": "company"},
        {**link, "to_type": "lead"},
        {**link, "to_type": "contact", "to_id": contact["id"]},
        {**link, "weight": 1},
    ):
        assert error_of(client.post("/v1/associations", json=bad)) == (400, "validation_error"), bad
    relm.store.delete_contact(contact["id"])
    assert client.get("/v1/associations").json()["data"] == []


# -- search --------------------------------------------------------------------------------------------


def test_search_across_entities(relm, client):
    ada = relm.store.create_contact(email="ada@analytical.org", first_name="Ada", last_name="Lovelace")
    relm.store.create_contact(email="grace@navy.mil", first_name="Grace")
    engine = relm.store.create_company(name="Analytical Engines", domain="analytical.org")
    deal = relm.store.create("deal", {"title": "Lovelace consulting"})
    found = client.get("/v1/search", params={"q": "lovelace"}).json()
    assert found["object"] == "list"
    assert [(r["object"], r["id"]) for r in found["data"]] == [("contact", ada["id"]), ("deal", deal["id"])]
    both_words = client.get("/v1/search", params={"q": "ada LOVELACE"}).json()["data"]
    assert [r["id"] for r in both_words] == [ada["id"]]
    domain = client.get("/v1/search", params={"q": "analytical", "limit": 1}).json()
    assert [r["id"] for r in domain["data"]] == [ada["id"]] and domain["has_more"] is True
    rest = client.get("/v1/search", params={"q": "analytical", "cursor": domain["next_cursor"]}).json()
    assert [r["id"] for r in rest["data"]] == [engine["id"]]


def test_search_needs_q(client):
    assert error_of(client.get("/v1/search")) == (400, "invalid_parameter")
    assert error_of(client.get("/v1/search", params={"q": "  "})) == (400, "invalid_parameter")
    assert error_of(client.get("/v1/search", params={"q": "x", "type": "contact"})) == (
        400,
        "invalid_parameter",
    )


# -- webhooks ------------------------------------------------------------------------------------------


class Receiver(Emulator):
    """Your app's webhook endpoint: records what Relm POSTs."""

    name = "receiver"

    @route("POST", "/hooks/relm")
    def hook(self, request: Request) -> Any:
        self.state.setdefault("got", []).append((dict(request.headers), request.body))
        return {"ok": True}


@pytest.fixture
def receiver():
    with Receiver() as app:
        yield app


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Verify a relm-signature header as the document says, independently of the emulator's code."""
    parts = dict(item.split("=", 1) for item in headers["relm-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 60


def test_webhook_delivers_signed_events(relm, client, receiver):
    hook = client.post(
        "/v1/webhooks",
        json={"url": f"{receiver.url}/hooks/relm", "event_types": ["contact.created", "deal.updated"]},
    )
    assert hook.status_code == 201
    hook = hook.json()
    assert hook["id"].startswith("whe_") and hook["secret"].startswith("whsec_")
    contact = client.post("/v1/contacts", json={"email": "ada@example.com"}).json()
    relm.store.create_company(name="Not subscribed")
    assert relm.wait_for_webhooks()
    ((headers, body),) = receiver.state["got"]
    assert verify(hook["secret"], headers, body)
    event = json.loads(body)
    assert (event["object"], event["type"], event["data"]["object"]) == ("event", "contact.created", contact)
    assert headers["relm-event-id"] == event["id"]
    (delivery,) = relm.store.deliveries()
    assert (delivery["id"], delivery["status"], delivery["attempts"]) == (
        headers["relm-delivery-id"],
        "succeeded",
        1,
    )


def test_webhook_retries_with_backoff_then_replays(relm, client, receiver):
    hook = client.post(
        "/v1/webhooks", json={"url": f"{receiver.url}/hooks/relm", "event_types": ["*"]}
    ).json()
    receiver.fail_every(1, status=500)
    relm.store.create_contact(email="ada@example.com")
    time.sleep(0.25)
    receiver.clear_faults()
    assert relm.wait_for_webhooks()
    (delivery,) = relm.store.deliveries()
    assert delivery["status"] == "succeeded" and delivery["attempts"] >= 2
    replayed = client.post(f"/v1/webhooks/{hook['id']}/replay/{delivery['id']}")
    assert replayed.status_code == 202 and replayed.json()["id"] == delivery["id"]
    assert relm.wait_for_webhooks()
    bodies = [body for _, body in receiver.state["got"]]
    assert bodies[-1] == bodies[0] and all(verify(hook["secret"], h, b) for h, b in receiver.state["got"])
    assert error_of(client.post(f"/v1/webhooks/{hook['id']}/replay/dlv_missing")) == (404, "not_found")


def test_webhook_gives_up_after_8_attempts(relm, client, receiver):
    relm.outbox.backoff = 0.001
    client.post(
        "/v1/webhooks", json={"url": f"{receiver.url}/hooks/relm", "event_types": ["contact.deleted"]}
    )
    receiver.fail_every(1, status=503)
    contact = relm.store.create_contact(email="ada@example.com")
    relm.store.delete_contact(contact["id"])
    assert relm.wait_for_webhooks()
    (delivery,) = relm.store.deliveries()
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("failed", 8, 503)
    assert delivery["event"]["data"]["object"]["deleted"] is True


def test_webhook_endpoints_list_update_delete(client, receiver):
    hook = client.post(
        "/v1/webhooks",
        json={"url": "https://your-app.example.com/hooks/relm", "event_types": ["contact.created"]},
    ).json()
    listed = client.get("/v1/webhooks").json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    updated = client.patch(
        f"/v1/webhooks/{hook['id']}", json={"url": f"{receiver.url}/hooks/relm", "enabled": False}
    )
    assert updated.status_code == 200 and updated.json()["enabled"] is False
    assert updated.json()["event_types"] == ["contact.created"]
    assert error_of(client.patch(f"/v1/webhooks/{hook['id']}", json={"event_types": ["contact.merged"]})) == (
        400,
        "validation_error",
    )
    assert client.delete(f"/v1/webhooks/{hook['id']}").json()["deleted"] is True
    assert error_of(client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True})) == (404, "not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://x.example.com", "event_types": ["*"]},
        {"url": "https://x.example.com"},
        {"url": "https://x.example.com", "event_types": []},
        {"event_types": ["*"]},
        {"url": "https://x.example.com", "event_types": ["*"], "secret": "whsec_mine"},
    ],
    ids=["not-http", "no-event-types", "empty-event-types", "no-url", "unknown-property"],
)
def test_bad_webhooks_are_400(client, body):
    assert error_of(client.post("/v1/webhooks", json=body)) == (400, "validation_error")


def test_webhooks_only_go_to_loopback(relm):
    relm.store.create_webhook({"url": "https://your-app.example.com/hooks/relm", "event_types": ["*"]})
    relm.store.create_contact(email="ada@example.com")
    assert relm.wait_for_webhooks()
    (delivery,) = relm.store.deliveries()
    assert delivery["status"] == "failed" and delivery["attempts"] == 0


def test_sign_matches_the_documented_formula():
    assert (
        sign("whsec_abc", 1751500000, b'{"a":1}')
        == hmac.new(b"whsec_abc", b'1751500000.{"a":1}', hashlib.sha256).hexdigest()
    )


# -- rate limits and faults ------------------------------------------------------------------------------


def test_default_rate_limit_headers(client):
    answer = client.get("/v1/contacts")
    assert answer.headers["X-RateLimit-Limit"] == "1000"
    assert answer.headers["X-RateLimit-Remaining"] == "999"


def test_rate_limit_429_with_retry_after(relm, client):
    relm.rate_limit(3, 30)
    assert [client.get("/v1/contacts").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/v1/contacts")
    assert error_of(limited) == (429, "rate_limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 30
    assert limited.headers["X-RateLimit-Remaining"] == "0" and limited.headers["X-RateLimit-Limit"] == "3"
    relm.clear_faults()
    assert client.get("/v1/contacts").headers["X-RateLimit-Limit"] == "1000"


def test_refused_requests_do_not_count_against_the_limit(relm, client):
    relm.rate_limit(1, 30)
    for _ in range(3):
        assert httpx.get(f"{relm.url}/v1/contacts").status_code == 401
    assert client.get("/v1/contacts").status_code == 200


def test_fail_every_answers_relm_errors(relm, client):
    relm.fail_every(2, status=500)
    statuses = [client.get("/v1/contacts").status_code for _ in range(4)]
    assert statuses == [200, 500, 200, 500]
    relm.fail_every(1, status=401)
    assert error_of(client.get("/v1/contacts")) == (401, "invalid_api_key")
    relm.fail_every(1, status=503)
    answer = client.get("/v1/contacts")
    assert error_of(answer) == (503, "service_unavailable") and answer.headers["Retry-After"] == "1"


def test_delay_and_drop(relm, client):
    relm.delay(0.3)
    started = time.monotonic()
    client.get("/v1/contacts")
    assert time.monotonic() - started >= 0.3
    relm.delay(0)
    relm.drop_every(1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/contacts", json={"email": "ada@example.com"})
    relm.clear_faults()
    assert relm.store.contacts() == []  # a dropped request never reached the API
    assert client.get("/v1/contacts").status_code == 200


# -- store helpers, reset, serve, every endpoint ---------------------------------------------------------


def test_store_helpers_change_what_the_api_shows(relm, client):
    contact = relm.store.create_contact(email="ada@example.com", first_name="Ada")
    assert client.get(f"/v1/contacts/{contact['id']}").json()["first_name"] == "Ada"
    relm.store.update_contact(contact["id"], first_name="Augusta")
    assert client.get(f"/v1/contacts/{contact['id']}").json()["first_name"] == "Augusta"
    relm.store.delete_contact(contact["id"])
    assert client.get(f"/v1/contacts/{contact['id']}").status_code == 404
    with pytest.raises(ApiError) as raised:
        relm.store.create_contact(email="broken")
    assert (raised.value.status, raised.value.code) == (400, "validation_error")
    copy_ = relm.store.create_contact(email="b@example.com")
    copy_["email"] = "mutated@example.com"  # helpers hand out copies
    assert relm.store.get("contact", copy_["id"])["email"] == "b@example.com"
    assert relm.request_count == 3  # the helpers themselves are not requests


def test_reset_forgets_everything(relm, client):
    relm.store.define_field("contact", "plan")
    relm.store.create_contact(email="ada@example.com")
    client.post("/v1/contacts", json={"email": "grace@example.com"}, headers={"Idempotency-Key": "r1"})
    relm.add_api_key("sk_live_extra")
    relm.fail_every(5)
    relm.reset()
    assert relm.store.contacts() == [] and relm.store.records("field") == [] and relm.log == []
    assert (
        httpx.get(f"{relm.url}/v1/contacts", headers={"Authorization": "Bearer sk_live_extra"}).status_code
        == 401
    )
    again = client.post(
        "/v1/contacts", json={"email": "grace@example.com"}, headers={"Idempotency-Key": "r1"}
    )
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert [client.get("/v1/contacts").status_code for _ in range(5)] == [200] * 5


def test_serve_starts_an_emulator():
    emulator = serve()
    try:
        assert emulator.running and emulator.url.startswith("http://127.0.0.1:")
        answer = httpx.get(
            f"{emulator.url}/v1/contacts", headers={"Authorization": f"Bearer {emulator.api_key}"}
        )
        assert answer.json() == {"object": "list", "data": [], "has_more": False, "next_cursor": None}
    finally:
        emulator.stop()


def test_every_documented_endpoint_is_routed():
    documented = """
        POST /v1/contacts, POST /v1/contacts/batch, GET /v1/contacts, GET /v1/contacts/{id},
        PATCH /v1/contacts/{id}, DELETE /v1/contacts/{id}, POST /v1/companies, GET /v1/companies,
        GET /v1/companies/{id}, PATCH /v1/companies/{id}, DELETE /v1/companies/{id}, POST /v1/deals,
        GET /v1/deals, GET /v1/deals/{id}, PATCH /v1/deals/{id}, DELETE /v1/deals/{id}, POST /v1/activities,
        GET /v1/activities, GET /v1/activities/{id}, PATCH /v1/activities/{id}, DELETE /v1/activities/{id},
        GET /v1/search, GET /v1/schema/fields, POST /v1/schema/fields, DELETE /v1/schema/fields/{id},
        GET /v1/associations, POST /v1/associations, DELETE /v1/associations/{id}, GET /v1/webhooks,
        POST /v1/webhooks, PATCH /v1/webhooks/{id}, DELETE /v1/webhooks/{id},
        POST /v1/webhooks/{id}/replay/{delivery_id}"""
    assert sorted(RelmEmulator.routes()) == sorted(item.strip() for item in documented.split(","))


def test_a_session_uses_every_endpoint(relm, client, receiver):
    """One pass over the whole API; `unused_routes()` proves nothing was skipped."""
    ids: dict[str, str] = {}
    for plural, (create, patch, _) in RECORD_BODIES.items():
        ids[plural] = client.post(f"/v1/{plural}", json=create).json()["id"]
        client.get(f"/v1/{plural}")
        client.get(f"/v1/{plural}/{ids[plural]}")
        client.patch(f"/v1/{plural}/{ids[plural]}", json=patch)
    client.post(
        "/v1/contacts/batch",
        json={"contacts": [{"email": "ada@example.com", "phone": "1"}], "dedup_on": ["email"]},
    )
    client.get("/v1/search", params={"q": "ada"})
    field = client.post(
        "/v1/schema/fields", json={"object_type": "deal", "key": "source", "type": "text"}
    ).json()
    client.get("/v1/schema/fields")
    client.delete(f"/v1/schema/fields/{field['id']}")
    edge = client.post(
        "/v1/associations",
        json={"from_type": "contact", "from_id": ids["contacts"], "to_type": "deal", "to_id": ids["deals"]},
    ).json()
    client.get("/v1/associations", params={"from_type": "contact", "from_id": ids["contacts"]})
    client.delete(f"/v1/associations/{edge['id']}")
    hook = client.post(
        "/v1/webhooks", json={"url": f"{receiver.url}/hooks/relm", "event_types": ["*"]}
    ).json()
    client.get("/v1/webhooks")
    client.patch(f"/v1/webhooks/{hook['id']}", json={"event_types": ["contact.deleted"]})
    for plural in reversed(list(RECORD_BODIES)):
        client.delete(f"/v1/{plural}/{ids[plural]}")
    assert relm.wait_for_webhooks()
    delivery = relm.store.deliveries(hook["id"])[-1]
    client.post(f"/v1/webhooks/{hook['id']}/replay/{delivery['id']}")
    client.delete(f"/v1/webhooks/{hook['id']}")
    assert relm.unused_routes() == []
    assert all(entry.status is not None and entry.status < 300 for entry in relm.log)
