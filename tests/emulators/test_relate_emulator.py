"""The Relate emulator behaves as Relate's API documents say (and as its docstring decides where they are
silent), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters.relate.emulator import RelateEmulator, normalize_phone, serve


@pytest.fixture(scope="module")
def relate_server() -> Iterator[RelateEmulator]:
    with RelateEmulator() as emulator:
        yield emulator


@pytest.fixture
def relate(relate_server: RelateEmulator) -> Iterator[RelateEmulator]:
    """The emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    relate_server.reset()
    yield relate_server
    errors = list(relate_server.errors)
    relate_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def api(relate: RelateEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=relate.url, headers={"Authorization": f"Bearer {relate.api_key}"}, timeout=10
    ) as client:
        yield client


def error_of(answer: httpx.Response) -> tuple[int, str]:
    """(status, code) of an error answer, checking the body shape the emulator documents."""
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return answer.status_code, body["error"]["code"]


def walk(api: httpx.Client, path: str, **params: Any) -> list[dict]:
    items: list[dict] = []
    after = None
    while True:
        page = api.get(path, params={**params, **({"after": after} if after is not None else {})}).json()
        items += page["data"]
        if not page["pagination"]["has_next_page"]:
            return items
        after = page["pagination"]["end_cursor"]


# -- auth and errors -----------------------------------------------------------------------------------------


def test_a_missing_key_is_401(relate):
    answer = httpx.get(f"{relate.url}/v1/contacts")
    assert error_of(answer) == (401, "unauthorized")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong", "Basic cmVsYXRl", "Bearer"],
    ids=["unknown-key", "basic-scheme", "empty-bearer"],
)
def test_a_wrong_key_is_401(relate, authorization):
    answer = httpx.get(f"{relate.url}/v1/contacts", headers={"Authorization": authorization})
    assert error_of(answer) == (401, "unauthorized")


def test_added_key_works_and_revoked_key_stops(relate, api):
    relate.add_api_key("live-key")
    assert (
        httpx.get(f"{relate.url}/v1/contacts", headers={"Authorization": "Bearer live-key"}).status_code
        == 200
    )
    relate.revoke_api_key(relate.api_key)
    assert error_of(api.get("/v1/contacts")) == (401, "unauthorized")


def test_unknown_paths_methods_and_parameters(api):
    assert error_of(api.get("/v1/nothing")) == (404, "not_found")
    assert error_of(api.get("/v1/contacts/NOPE00")) == (404, "not_found")
    refused = api.post("/v1/calendar_events", json={})
    assert error_of(refused) == (405, "method_not_allowed") and refused.headers["Allow"] == "GET"
    assert error_of(api.get("/v1/contacts", params={"limit": 5})) == (400, "invalid_parameter")


def test_bodies_must_be_json_objects(api):
    assert error_of(
        api.post("/v1/contacts", content=b"{not json", headers={"Content-Type": "application/json"})
    ) == (400, "invalid_request")
    assert error_of(api.post("/v1/contacts", json=["a"])) == (400, "invalid_request")
    assert error_of(
        api.post(
            "/v1/contacts",
            content=b"first_name=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    ) == (415, "unsupported_media_type")


# -- contacts ------------------------------------------------------------------------------------------------


def test_contact_create_read_update_delete(api):
    created = api.post(
        "/v1/contacts", json={"first_name": "Paul", "last_name": "Atreides", "emails": ["paul@atreid.es"]}
    )
    assert created.status_code == 201
    paul = created.json()
    assert len(paul["id"]) == 6 and paul["emails"] == ["paul@atreid.es"] and paul["organization_id"] is None
    assert set(paul) == {
        "id",
        "first_name",
        "last_name",
        "title",
        "emails",
        "phone_numbers",
        "organization_id",
        "custom_fields",
        "created_at",
        "updated_at",
    }
    assert paul["created_at"].endswith("Z") and paul["custom_fields"] == {}
    assert api.get(f"/v1/contacts/{paul['id']}").json() == paul
    changed = api.patch(
        f"/v1/contacts/{paul['id']}", json={"emails": ["usul@arrak.is", "PAUL@atreid.es"], "title": "Duke"}
    ).json()
    assert changed["emails"] == ["paul@atreid.es", "usul@arrak.is"]  # added at the end, not replaced
    assert changed["title"] == "Duke" and changed["updated_at"] > paul["updated_at"]
    removed = api.request("DELETE", f"/v1/contacts/{paul['id']}/emails", json={"emails": ["usul@arrak.is"]})
    assert removed.status_code == 200 and removed.json()["emails"] == ["paul@atreid.es"]
    again = api.request("DELETE", f"/v1/contacts/{paul['id']}/emails", json={"emails": ["usul@arrak.is"]})
    assert again.status_code == 200  # deleting an address that is gone is harmless
    deleted = api.delete(f"/v1/contacts/{paul['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert error_of(api.get(f"/v1/contacts/{paul['id']}")) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"last_name": "Atreides"}, "first_name, or at least one valid address"),
        ({"first_name": "  "}, "first_name, or at least one valid address"),
        ({"emails": ["not-an-email"]}, "emails[0]"),
        ({"first_name": "Paul", "emails": ["paul@atreid.es", "bad@localhost"]}, "emails[1]"),
        ({"first_name": "Paul", "nickname": "Usul"}, "nickname"),
        ({"first_name": "Paul", "id": "ABCDEF"}, "id"),
        ({"first_name": "Paul", "phone_numbers": ["call me"]}, "phone_numbers[0]"),
        ({"first_name": "Paul", "phone_numbers": ["12"]}, "phone_numbers[0]"),
        ({"first_name": "Paul", "emails": "paul@atreid.es"}, "emails"),
        ({"first_name": "x" * 256}, "first_name"),
        ({"first_name": "Paul", "organization_id": "NOPE00"}, "organization_id"),
    ],
    ids=[
        "no-name-no-email",
        "blank-name",
        "bad-email",
        "one-bad-email",
        "unknown-field",
        "read-only-field",
        "bad-phone",
        "short-phone",
        "emails-not-array",
        "too-long",
        "unknown-organization",
    ],
)
def test_contact_validation(api, body, why):
    answer = api.post("/v1/contacts", json=body)
    assert error_of(answer) == (422, "validation_error")
    assert why in answer.json()["error"]["message"]


def test_a_contact_keeps_a_first_name_or_an_email(api):
    dune = api.post("/v1/contacts", json={"emails": ["a@dune.org"]}).json()
    answer = api.request("DELETE", f"/v1/contacts/{dune['id']}/emails", json={"emails": ["a@dune.org"]})
    assert error_of(answer) == (422, "validation_error")
    paul = api.post("/v1/contacts", json={"first_name": "Paul", "emails": ["p@dune.org"]}).json()
    assert (
        api.request("DELETE", f"/v1/contacts/{paul['id']}/emails", json={"emails": ["p@dune.org"]}).json()[
            "emails"
        ]
        == []
    )  # the first name stays
    assert error_of(api.patch(f"/v1/contacts/{paul['id']}", json={"first_name": None, "emails": []})) == (
        422,
        "validation_error",
    )  # an empty emails array adds nothing


def test_phones_replace_and_are_stored_normalised(api):
    paul = api.post("/v1/contacts", json={"first_name": "Paul", "phone_numbers": ["010-1234-5678"]}).json()
    assert paul["phone_numbers"] == ["+821012345678"]
    changed = api.patch(
        f"/v1/contacts/{paul['id']}", json={"phone_numbers": ["+1 (415) 555-0123 ext. 7"]}
    ).json()
    assert changed["phone_numbers"] == ["+14155550123;ext=7"]


@pytest.mark.parametrize("typed", ["+821012345678", "01012345678", "010-1234-5678", "+82 10-1234-5678"])
def test_lookup_by_phone_in_any_common_format(api, typed):
    paul = api.post("/v1/contacts", json={"first_name": "Paul", "phone_numbers": ["01012345678"]}).json()
    api.post("/v1/contacts", json={"first_name": "Other", "phone_numbers": ["01099998888"]})
    found = api.get("/v1/contacts", params={"phone_number": typed}).json()
    assert [c["id"] for c in found["data"]] == [paul["id"]]


def test_lookup_by_email_ignores_case_and_combines(api):
    paul = api.post(
        "/v1/contacts",
        json={"first_name": "Paul", "emails": ["Paul@Atreid.es"], "phone_numbers": ["01012345678"]},
    ).json()
    api.post("/v1/contacts", json={"first_name": "Jessica", "emails": ["jessica@atreid.es"]})
    assert [c["id"] for c in api.get("/v1/contacts", params={"email": "paul@atreid.es"}).json()["data"]] == [
        paul["id"]
    ]
    both = api.get("/v1/contacts", params={"email": "paul@atreid.es", "phone_number": "01000000000"}).json()
    assert both["data"] == [] and both["pagination"]["total_count"] == 0
    assert api.get("/v1/contacts", params={"phone_number": "not a phone"}).json()["data"] == []


def test_normalize_phone():
    assert normalize_phone("010-1234-5678", "KR") == "+821012345678"
    assert normalize_phone("(415) 555-0123", "US") == "+14155550123"
    assert normalize_phone("tel:+44-20-7946-0123", "KR") == "+442079460123"
    assert normalize_phone("hello", "KR") is None
    assert normalize_phone("+234 1 271 3456", "KR") == "+23412713456"  # not "possible": kept as its digits
    assert normalize_phone("12", "KR") is None


# -- organizations and "auto" --------------------------------------------------------------------------------


def test_organization_auto_matches_by_domain_or_creates_one(api, relate):
    relate_org = api.post("/v1/organizations", json={"name": "Relate", "domains": ["relate.so"]}).json()
    matched = api.post(
        "/v1/contacts", json={"first_name": "A", "emails": ["a@relate.so"], "organization_id": "auto"}
    ).json()
    assert matched["organization_id"] == relate_org["id"]
    made = api.post("/v1/contacts", json={"emails": ["paul@atreid.es"], "organization_id": "auto"}).json()
    created = api.get(f"/v1/organizations/{made['organization_id']}").json()
    assert created["domains"] == ["atreid.es"] and created["name"] is None
    free = api.post("/v1/contacts", json={"emails": ["someone@gmail.com"], "organization_id": "auto"}).json()
    assert free["organization_id"] is None
    nothing = api.post("/v1/contacts", json={"first_name": "No email", "organization_id": "auto"}).json()
    assert nothing["organization_id"] is None
    moved = api.patch(
        f"/v1/contacts/{free['id']}", json={"emails": ["someone@relate.so"], "organization_id": "auto"}
    )
    assert moved.json()["organization_id"] == relate_org["id"]
    assert len(relate.store.organizations) == 2


def test_organization_crud_and_domains(api):
    assert error_of(api.post("/v1/organizations", json={})) == (422, "validation_error")
    org = api.post("/v1/organizations", json={"domains": ["https://www.Relate.so/about"]})
    assert (
        org.status_code == 201 and org.json()["domains"] == ["www.relate.so"] and org.json()["name"] is None
    )
    ident = org.json()["id"]
    changed = api.patch(
        f"/v1/organizations/{ident}", json={"name": "Relate", "domains": ["relate.kr"]}
    ).json()
    assert changed["domains"] == ["www.relate.so", "relate.kr"] and changed["name"] == "Relate"
    other = api.post("/v1/organizations", json={"name": "Other", "domains": ["relate.kr"]})
    assert error_of(other) == (422, "validation_error") and "belongs to" in other.json()["error"]["message"]
    less = api.request("DELETE", f"/v1/organizations/{ident}/domains", json={"domains": ["relate.kr"]}).json()
    assert less["domains"] == ["www.relate.so"]
    assert [o["id"] for o in walk(api, "/v1/organizations")] == [ident]
    assert api.delete(f"/v1/organizations/{ident}").status_code == 204
    assert error_of(api.get(f"/v1/organizations/{ident}")) == (404, "not_found")


def test_deleting_an_organization_clears_its_contacts_and_notes(api, relate):
    org = api.post("/v1/organizations", json={"name": "Relate"}).json()
    paul = api.post("/v1/contacts", json={"first_name": "Paul", "organization_id": org["id"]}).json()
    api.post("/v1/notes", json={"organization_id": org["id"], "body": "met"})
    api.delete(f"/v1/organizations/{org['id']}")
    after = api.get(f"/v1/contacts/{paul['id']}").json()
    assert after["organization_id"] is None and after["updated_at"] > paul["updated_at"]
    assert walk(api, "/v1/notes") == []


# -- notes ---------------------------------------------------------------------------------------------------


def test_notes_need_an_organization_and_a_body_and_only_body_and_deal_change(api, relate):
    org = api.post("/v1/organizations", json={"name": "Relate"}).json()
    deal = relate.store.create_deal()
    assert error_of(api.post("/v1/notes", json={"body": "x"})) == (422, "validation_error")
    assert error_of(api.post("/v1/notes", json={"organization_id": org["id"]})) == (422, "validation_error")
    assert error_of(
        api.post("/v1/notes", json={"organization_id": org["id"], "body": "x", "deal_id": "NODEAL"})
    ) == (422, "validation_error")
    note = api.post(
        "/v1/notes", json={"organization_id": org["id"], "deal_id": deal, "body": "this is a note"}
    )
    assert note.status_code == 201
    ident = note.json()["id"]
    edited = api.patch(f"/v1/notes/{ident}", json={"body": "this is an edited note", "deal_id": None}).json()
    assert edited["body"] == "this is an edited note" and edited["deal_id"] is None
    refused = api.patch(f"/v1/notes/{ident}", json={"organization_id": org["id"]})
    assert (
        error_of(refused) == (422, "validation_error")
        and "only deal_id and body" in refused.json()["error"]["message"]
    )
    assert api.get(f"/v1/notes/{ident}").json()["body"] == "this is an edited note"
    assert [n["id"] for n in walk(api, "/v1/notes")] == [ident]
    assert api.delete(f"/v1/notes/{ident}").status_code == 204
    assert error_of(api.get(f"/v1/notes/{ident}")) == (404, "not_found")


# -- custom fields -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"model": "contact"}, "name"),
        ({"name": "x"}, "model"),
        ({"name": "x", "model": "person"}, "model"),
        ({"name": "x", "model": "contact", "data_type": "bool"}, "data_type"),
        (
            {"name": "x", "model": "contact", "data_type": "select", "accepts_multiple_values": False},
            "options",
        ),
        (
            {"name": "x", "model": "contact", "data_type": "select", "options": ["a"]},
            "accepts_multiple_values",
        ),
        ({"name": "x", "model": "contact", "data_type": "user"}, "accepts_multiple_values"),
        ({"name": "x", "model": "contact", "data_type": "text", "options": ["a"]}, "options"),
        (
            {"name": "x", "model": "contact", "data_type": "text", "accepts_multiple_values": True},
            "accepts_multiple",
        ),
        (
            {
                "name": "x",
                "model": "contact",
                "data_type": "select",
                "options": ["a", "a"],
                "accepts_multiple_values": False,
            },
            "distinct",
        ),
    ],
    ids=[
        "no-name",
        "no-model",
        "bad-model",
        "bad-type",
        "select-without-options",
        "select-without-multiple",
        "user-without-multiple",
        "options-on-text",
        "multiple-text",
        "repeated-options",
    ],
)
def test_custom_field_definition_rules(api, body, why):
    answer = api.post("/v1/custom_fields", json=body)
    assert error_of(answer) == (422, "validation_error") and why in answer.json()["error"]["message"]


def test_custom_field_crud_and_only_name_and_options_update(api):
    made = api.post(
        "/v1/custom_fields",
        json={
            "name": "field",
            "model": "organization",
            "data_type": "select",
            "options": ["one", "two"],
            "accepts_multiple_values": False,
        },
    )
    assert made.status_code == 201
    field = made.json()
    assert {k: field[k] for k in ("name", "model", "data_type", "options", "accepts_multiple_values")} == {
        "name": "field",
        "model": "organization",
        "data_type": "select",
        "options": ["one", "two"],
        "accepts_multiple_values": False,
    }
    plain = api.post("/v1/custom_fields", json={"name": "note", "model": "contact"}).json()
    assert plain["data_type"] == "text" and plain["options"] is None
    assert error_of(api.post("/v1/custom_fields", json={"name": "FIELD", "model": "organization"})) == (
        422,
        "validation_error",
    )  # names are unique per model, without case
    assert api.post("/v1/custom_fields", json={"name": "field", "model": "contact"}).status_code == 201
    changed = api.patch(
        f"/v1/custom_fields/{field['id']}", json={"name": "field2", "options": ["one", "two", "three"]}
    ).json()
    assert changed["name"] == "field2" and changed["options"] == ["one", "two", "three"]
    assert error_of(api.patch(f"/v1/custom_fields/{field['id']}", json={"data_type": "text"})) == (
        422,
        "validation_error",
    )
    assert error_of(api.patch(f"/v1/custom_fields/{plain['id']}", json={"options": ["a"]})) == (
        422,
        "validation_error",
    )
    assert api.get(f"/v1/custom_fields/{field['id']}").json()["name"] == "field2"
    assert len(walk(api, "/v1/custom_fields")) == 3
    assert api.delete(f"/v1/custom_fields/{field['id']}").status_code == 204
    assert error_of(api.get(f"/v1/custom_fields/{field['id']}")) == (404, "not_found")


def test_custom_field_values_by_name_read_by_id(api):
    house = api.post("/v1/custom_fields", json={"name": "House", "model": "contact"}).json()
    tags = api.post(
        "/v1/custom_fields",
        json={
            "name": "Tags",
            "model": "contact",
            "data_type": "select",
            "options": ["a", "b"],
            "accepts_multiple_values": True,
        },
    ).json()
    score = api.post(
        "/v1/custom_fields", json={"name": "Score", "model": "contact", "data_type": "number"}
    ).json()
    paul = api.post(
        "/v1/contacts",
        json={
            "first_name": "Paul",
            "custom_fields": [
                {"name": "house", "value": "Atreides"},
                {"name": "Tags", "value": "a"},
                {"name": "Score", "value": 9.5},
            ],
        },
    )
    values = paul.json()["custom_fields"]
    assert values == {
        house["id"]: {"name": "House", "data_type": "text", "value": "Atreides"},
        tags["id"]: {"name": "Tags", "data_type": "select", "value": ["a"]},
        score["id"]: {"name": "Score", "data_type": "number", "value": 9.5},
    }
    ident = paul.json()["id"]
    cleared = api.patch(
        f"/v1/contacts/{ident}",
        json={"custom_fields": [{"name": "House", "value": None}, {"name": "Tags", "value": ["a", "b"]}]},
    )
    assert set(cleared.json()["custom_fields"]) == {tags["id"], score["id"]}
    api.delete(f"/v1/custom_fields/{score['id']}")
    assert set(api.get(f"/v1/contacts/{ident}").json()["custom_fields"]) == {tags["id"]}


@pytest.mark.parametrize(
    ("definition", "value"),
    [
        ({"data_type": "number"}, "9"),
        ({"data_type": "number"}, True),
        ({"data_type": "date"}, "16/05/2026"),
        ({"data_type": "datetime"}, "2026-05-16T11:00:00"),
        ({"data_type": "url"}, "relate.so"),
        ({"data_type": "text"}, "two\nlines"),
        ({"data_type": "select", "options": ["a"], "accepts_multiple_values": False}, "b"),
        ({"data_type": "select", "options": ["a"], "accepts_multiple_values": False}, ["a"]),
        ({"data_type": "user", "accepts_multiple_values": False}, "stranger@example.com"),
        ({"data_type": "contact", "accepts_multiple_values": False}, "NOPE00"),
    ],
    ids=[
        "number-as-string",
        "number-as-bool",
        "date",
        "datetime-without-offset",
        "url",
        "text-newline",
        "select-option",
        "list-for-single",
        "user",
        "contact",
    ],
)
def test_custom_field_values_are_checked(api, definition, value):
    api.post("/v1/custom_fields", json={"name": "f", "model": "contact", **definition})
    answer = api.post(
        "/v1/contacts", json={"first_name": "Paul", "custom_fields": [{"name": "f", "value": value}]}
    )
    assert (
        error_of(answer) == (422, "validation_error")
        and "custom_fields[0]" in answer.json()["error"]["message"]
    )


def test_values_need_a_definition_of_the_model(api):
    api.post("/v1/custom_fields", json={"name": "Category", "model": "organization"})
    answer = api.post(
        "/v1/contacts", json={"first_name": "Paul", "custom_fields": [{"name": "Category", "value": "x"}]}
    )
    assert error_of(answer) == (422, "validation_error")
    org = api.post("/v1/organizations", json={"name": "Relate"}).json()
    changed = api.patch(
        f"/v1/organizations/{org['id']}", json={"custom_fields": [{"name": "Category", "value": "Startup"}]}
    ).json()
    assert [v["value"] for v in changed["custom_fields"].values()] == ["Startup"]


# -- lists, processes, entries -------------------------------------------------------------------------------


def _process(api: httpx.Client, **extra: Any) -> dict:
    return api.post(
        "/v1/lists",
        json={
            "name": "test process",
            "process": True,
            "entry_type": "Organization",
            "identifier": "TEST PROCE",
            "duplicates_allowed": True,
            "statuses": [{"name": "Started", "type": "active"}, {"name": "Completed", "type": "won"}],
            "fields": [{"name": "test field", "data_type": "text"}],
            **extra,
        },
    ).json()


def test_lists_and_processes_as_documented(api):
    made = api.post(
        "/v1/lists",
        json={
            "name": "test list",
            "process": False,
            "entry_type": "Organization",
            "fields": [{"name": "test field", "data_type": "text"}],
        },
    )
    assert made.status_code == 201
    regular = made.json()
    assert set(regular) == {
        "id",
        "name",
        "process",
        "entry_type",
        "fields",
        "created_at",
        "updated_at",
        "archived_at",
    }
    assert (
        regular["fields"] == [{"name": "test field", "data_type": "text"}] and regular["archived_at"] is None
    )
    process = _process(api)
    assert process["identifier"] == "TEST PROCE" and process["entry_label"] == "Organization"
    assert process["status_label"] == "Status" and process["duplicates_allowed"] is True
    page = api.get("/v1/lists").json()
    assert [item["id"] for item in page["data"]] == [regular["id"], process["id"]]
    assert page["pagination"] == {"end_cursor": 2, "has_next_page": False, "total_count": 2}
    assert api.get(f"/v1/lists/{regular['id']}").json() == regular  # a bare object, as documented
    renamed = api.patch(
        f"/v1/lists/{regular['id']}",
        json={"name": "renamed", "fields": [{"name": "when", "data_type": "date"}]},
    ).json()
    assert renamed["name"] == "renamed" and renamed["fields"] == [{"name": "when", "data_type": "date"}]
    for key, value in (("entry_type", "Contact"), ("process", True)):
        assert error_of(api.patch(f"/v1/lists/{regular['id']}", json={key: value})) == (
            422,
            "validation_error",
        )
    assert error_of(api.patch(f"/v1/lists/{regular['id']}", json={"identifier": "X"})) == (
        422,
        "validation_error",
    )
    assert api.delete(f"/v1/lists/{regular['id']}").status_code == 204
    assert error_of(api.get(f"/v1/lists/{regular['id']}")) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"process": False, "entry_type": "Contact"}, "name"),
        ({"name": "x", "entry_type": "Contact"}, "process"),
        ({"name": "x", "process": False, "entry_type": "Deal"}, "entry_type"),
        ({"name": "x", "process": True, "entry_type": "Contact", "duplicates_allowed": False}, "identifier"),
        ({"name": "x", "process": True, "entry_type": "Contact", "identifier": "X"}, "duplicates_allowed"),
        (
            {
                "name": "x",
                "process": True,
                "entry_type": "Contact",
                "identifier": "X",
                "duplicates_allowed": False,
                "statuses": [{"name": "Done", "type": "done"}],
            },
            "statuses[0].type",
        ),
        (
            {
                "name": "x",
                "process": False,
                "entry_type": "Contact",
                "fields": [{"name": "f", "data_type": "select", "accepts_multiple_values": False}],
            },
            "fields[0].options",
        ),
        ({"name": "x", "process": False, "entry_type": "Contact", "statuses": []}, "statuses"),
    ],
    ids=[
        "no-name",
        "no-process",
        "bad-entry-type",
        "process-without-identifier",
        "process-without-duplicates",
        "status-type-done",
        "select-field-without-options",
        "statuses-on-a-list",
    ],
)
def test_list_validation(api, body, why):
    answer = api.post("/v1/lists", json=body)
    assert error_of(answer) == (422, "validation_error") and why in answer.json()["error"]["message"]


def test_entries_of_a_regular_list(api):
    people = api.post(
        "/v1/lists",
        json={
            "name": "Friends",
            "process": False,
            "entry_type": "Contact",
            "fields": [{"name": "since", "data_type": "date"}],
        },
    ).json()
    paul = api.post("/v1/contacts", json={"first_name": "Paul"}).json()
    made = api.post(
        f"/v1/lists/{people['id']}/entries",
        json={
            "entryable_id": paul["id"],
            "entryable_type": "Contact",
            "list_fields": [{"name": "since", "value": "2026-01-02"}],
        },
    )
    assert made.status_code == 201
    entry = made.json()
    assert entry["key"] is None and entry["list_id"] == people["id"] and entry["contact_id"] is None
    assert [v["value"] for v in entry["list_fields"].values()] == ["2026-01-02"]
    assert "status" not in entry
    again = api.post(
        f"/v1/lists/{people['id']}/entries", json={"entryable_id": paul["id"], "entryable_type": "Contact"}
    )
    assert error_of(again) == (422, "duplicate_entry")
    assert error_of(
        api.post(
            f"/v1/lists/{people['id']}/entries",
            json={"entryable_id": paul["id"], "entryable_type": "Organization"},
        )
    ) == (422, "validation_error")
    assert error_of(
        api.post(
            f"/v1/lists/{people['id']}/entries", json={"entryable_id": "NOPE00", "entryable_type": "Contact"}
        )
    ) == (422, "validation_error")
    assert error_of(
        api.post(
            f"/v1/lists/{people['id']}/entries",
            json={"entryable_id": paul["id"], "entryable_type": "Contact", "status": "Started"},
        )
    ) == (422, "validation_error")
    assert api.get(f"/v1/lists/{people['id']}/entries/{entry['id']}").json() == entry
    updated = api.patch(
        f"/v1/lists/{people['id']}/entries/{entry['id']}",
        json={"list_fields": [{"name": "since", "value": None}]},
    ).json()
    assert updated["list_fields"] == {}
    assert error_of(
        api.patch(f"/v1/lists/{people['id']}/entries/{entry['id']}", json={"entryable_id": paul["id"]})
    ) == (422, "validation_error")
    assert [e["id"] for e in walk(api, f"/v1/lists/{people['id']}/entries")] == [entry["id"]]
    assert api.delete(f"/v1/lists/{people['id']}/entries/{entry['id']}").status_code == 204
    assert error_of(api.get(f"/v1/lists/{people['id']}/entries/{entry['id']}")) == (404, "not_found")


def test_entries_of_a_process(api, relate):
    process = _process(api)
    org = api.post("/v1/organizations", json={"name": "GEF"}).json()
    assert error_of(
        api.post(
            f"/v1/lists/{process['id']}/entries",
            json={"entryable_id": org["id"], "entryable_type": "Organization"},
        )
    ) == (422, "validation_error")
    body = {
        "entryable_id": org["id"],
        "entryable_type": "Organization",
        "status": "Started",
        "assignee_email": "owner@example.com",
        "one_time_value_cents": 0,
        "recurring_value_cents": 0,
        "recurring_value_period": "annual",
        "list_fields": [{"name": "test field", "value": "test value"}],
    }
    entry = api.post(f"/v1/lists/{process['id']}/entries", json=body).json()
    assert entry["key"] == "TEST PROCE-1" and entry["status"] == "Started" and entry["closed_at"] is None
    assert entry["assignee"] == {"email": "owner@example.com"} and entry["next_entry_id"] is None
    second = api.post(f"/v1/lists/{process['id']}/entries", json=body).json()  # duplicates allowed here
    assert second["key"] == "TEST PROCE-2"
    won = api.patch(f"/v1/lists/{process['id']}/entries/{entry['id']}", json={"status": "Completed"}).json()
    assert won["closed_at"] is not None
    assert error_of(
        api.patch(f"/v1/lists/{process['id']}/entries/{entry['id']}", json={"status": "Nope"})
    ) == (422, "validation_error")
    assert error_of(
        api.post(f"/v1/lists/{process['id']}/entries", json={**body, "assignee_email": "x@y.z"})
    ) == (422, "validation_error")
    api.delete(f"/v1/organizations/{org['id']}")
    assert walk(api, f"/v1/lists/{process['id']}/entries") == []


def test_deleting_a_contact_deletes_its_entries_but_entries_do_not_touch_it(api):
    people = api.post("/v1/lists", json={"name": "Friends", "process": False, "entry_type": "Contact"}).json()
    paul = api.post("/v1/contacts", json={"first_name": "Paul"}).json()
    api.post(
        f"/v1/lists/{people['id']}/entries", json={"entryable_id": paul["id"], "entryable_type": "Contact"}
    )
    assert api.get(f"/v1/contacts/{paul['id']}").json()["updated_at"] == paul["updated_at"]
    api.delete(f"/v1/contacts/{paul['id']}")
    assert walk(api, f"/v1/lists/{people['id']}/entries") == []


# -- pagination ----------------------------------------------------------------------------------------------


def test_pagination_first_after_end_cursor(api, relate):
    for i in range(60):
        relate.store.create_contact(first_name=f"P{i:02d}")
    page = api.get("/v1/contacts").json()
    assert len(page["data"]) == 25 and page["pagination"] == {
        "end_cursor": 25,
        "has_next_page": True,
        "total_count": 60,
    }
    last = api.get("/v1/contacts", params={"first": 50, "after": 25}).json()
    assert len(last["data"]) == 35
    assert last["pagination"] == {"end_cursor": 60, "has_next_page": False, "total_count": 60}
    assert [c["first_name"] for c in walk(api, "/v1/contacts", first=7)] == [f"P{i:02d}" for i in range(60)]
    assert api.get("/v1/contacts", params={"after": 100}).json()["data"] == []


@pytest.mark.parametrize(
    "params",
    [{"first": 0}, {"first": 101}, {"first": "ten"}, {"after": "abc"}, {"after": -1}],
    ids=["first-0", "first-101", "first-word", "after-word", "after-negative"],
)
def test_pagination_limits_are_refused_not_clamped(api, params):
    assert error_of(api.get("/v1/contacts", params=params)) == (400, "invalid_parameter")


# -- calendar events and recordings --------------------------------------------------------------------------


def test_only_meetings_with_a_finished_recording_show_newest_first(api, relate):
    older = relate.store.add_meeting("Older", "2026-05-15T11:00:00.000+09:00", attendees=["a@x.com"])
    newer = relate.store.add_meeting(
        "Newer",
        "2026-05-16T11:00:00.000+09:00",
        "2026-05-16T12:00:00.000+09:00",
        attendees=["alice@example.com", "bob@example.com"],
    )
    pending = relate.store.add_meeting("Pending", "2026-05-17T11:00:00.000+09:00", recording="processing")
    relate.store.add_meeting("Unrecorded", "2026-05-18T11:00:00.000+09:00", recording=None)
    page = api.get("/v1/calendar_events").json()
    assert [e["id"] for e in page["data"]] == [newer["id"], older["id"]]
    shown = page["data"][0]
    assert set(shown) == {
        "id",
        "title",
        "start_at",
        "end_at",
        "conference_link",
        "conference_type",
        "attendees",
        "recordings",
        "created_at",
        "updated_at",
    }
    assert shown["attendees"] == [{"email": "alice@example.com"}, {"email": "bob@example.com"}]
    (recording,) = shown["recordings"]
    assert set(recording) == {"id", "status", "started_at", "ended_at", "audio_duration"}
    assert recording["started_at"] == "2026-05-16T02:00:00.000Z"
    assert api.get(f"/v1/calendar_events/{newer['id']}").json() == {"data": shown}
    assert error_of(api.get(f"/v1/calendar_events/{pending['id']}")) == (404, "not_found")
    (processing,) = pending["recordings"]
    waiting = api.get(f"/v1/recordings/{processing['id']}").json()["data"]
    assert waiting["status"] == "processing" and waiting["summary"] is None and waiting["transcript"] is None
    relate.store.finish_recording(processing["id"], {"summary": "Done.", "action_items": ["X: y"]})
    done = api.get(f"/v1/recordings/{processing['id']}").json()["data"]
    assert done["summary"] == {"summary": "Done.", "action_items": ["X: y"]} and done["transcript"]
    assert done["calendar_event_id"] == pending["id"]
    assert walk(api, "/v1/calendar_events")[0]["id"] == pending["id"]
    assert error_of(api.get("/v1/recordings/NOPE00")) == (404, "not_found")


def test_calendar_event_filters(api, relate):
    org = relate.store.create_organization(name="Atreides")
    paul = relate.store.create_contact(
        first_name="Paul", emails=["paul@atreid.es"], organization_id=org["id"]
    )
    first = relate.store.add_meeting("First", "2026-05-15T10:00:00.000Z", attendees=["paul@atreid.es"])
    second = relate.store.add_meeting("Second", "2026-05-16T10:00:00.000Z", attendees=["other@x.com"])

    def ids(**params: Any) -> list[str]:
        return [e["id"] for e in api.get("/v1/calendar_events", params=params).json()["data"]]

    assert ids(contact_id=paul["id"]) == [first["id"]]
    assert ids(organization_id=org["id"]) == [first["id"]]
    assert ids(contact_id="NOPE00") == []
    may_16 = 1778925600  # 2026-05-16T10:00:00Z
    assert ids(starts_after=may_16) == [second["id"]]
    assert ids(starts_before=may_16) == [first["id"]]
    (recording,) = first["recordings"]
    mark = httpx_time(second["updated_at"])
    relate.store.finish_recording(recording["id"])  # an update: the first meeting changes again
    assert ids(updated_after=mark) == [first["id"]]
    assert error_of(api.get("/v1/calendar_events", params={"updated_after": "yesterday"})) == (
        400,
        "invalid_parameter",
    )


def httpx_time(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()


# -- faults --------------------------------------------------------------------------------------------------


def test_fault_switches(api, relate):
    relate.fail_every(2, 500)
    assert api.get("/v1/contacts").status_code == 200
    assert error_of(api.get("/v1/contacts")) == (500, "internal_error")
    relate.fail_every(1, 503)
    answer = api.get("/v1/contacts")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    relate.fail_every(1, 401)
    assert error_of(api.get("/v1/contacts")) == (401, "unauthorized")
    relate.clear_faults()
    relate.rate_limit(1, 60)
    assert api.get("/v1/contacts").headers["X-RateLimit-Remaining"] == "0"
    limited = api.get("/v1/contacts")
    assert error_of(limited) == (429, "rate_limited") and int(limited.headers["Retry-After"]) >= 1
    relate.clear_faults()
    assert "X-RateLimit-Limit" not in api.get("/v1/contacts").headers  # no limit unless one is set
    relate.drop_every(1)
    with pytest.raises(httpx.TransportError):
        api.get("/v1/contacts")


def test_every_route_is_exercised_here(relate, api):
    """A walk through every endpoint the documents list (the emulator's own coverage)."""
    org = api.post("/v1/organizations", json={"name": "Relate", "domains": ["relate.so", "relate.kr"]}).json()
    api.get(f"/v1/organizations/{org['id']}")
    api.get("/v1/organizations")
    api.patch(f"/v1/organizations/{org['id']}", json={"name": "Relate Inc"})
    api.request("DELETE", f"/v1/organizations/{org['id']}/domains", json={"domains": ["relate.kr"]})
    paul = api.post(
        "/v1/contacts", json={"first_name": "Paul", "emails": ["p@relate.so", "q@relate.so"]}
    ).json()
    api.get("/v1/contacts")
    api.get(f"/v1/contacts/{paul['id']}")
    api.patch(f"/v1/contacts/{paul['id']}", json={"last_name": "Atreides"})
    api.request("DELETE", f"/v1/contacts/{paul['id']}/emails", json={"emails": ["q@relate.so"]})
    note = api.post("/v1/notes", json={"organization_id": org["id"], "body": "n"}).json()
    api.get("/v1/notes")
    api.get(f"/v1/notes/{note['id']}")
    api.patch(f"/v1/notes/{note['id']}", json={"body": "m"})
    api.delete(f"/v1/notes/{note['id']}")
    field = api.post("/v1/custom_fields", json={"name": "f", "model": "contact"}).json()
    api.get("/v1/custom_fields")
    api.get(f"/v1/custom_fields/{field['id']}")
    api.patch(f"/v1/custom_fields/{field['id']}", json={"name": "g"})
    api.delete(f"/v1/custom_fields/{field['id']}")
    people = api.post("/v1/lists", json={"name": "L", "process": False, "entry_type": "Contact"}).json()
    api.get("/v1/lists")
    api.get(f"/v1/lists/{people['id']}")
    api.patch(f"/v1/lists/{people['id']}", json={"name": "M"})
    entry = api.post(
        f"/v1/lists/{people['id']}/entries", json={"entryable_id": paul["id"], "entryable_type": "Contact"}
    ).json()
    api.get(f"/v1/lists/{people['id']}/entries")
    api.get(f"/v1/lists/{people['id']}/entries/{entry['id']}")
    api.patch(f"/v1/lists/{people['id']}/entries/{entry['id']}", json={})
    api.delete(f"/v1/lists/{people['id']}/entries/{entry['id']}")
    api.delete(f"/v1/lists/{people['id']}")
    meeting = relate.store.add_meeting("M", "2026-05-16T11:00:00.000+09:00", attendees=["p@relate.so"])
    api.get("/v1/calendar_events")
    api.get(f"/v1/calendar_events/{meeting['id']}")
    api.get(f"/v1/recordings/{meeting['recordings'][0]['id']}")
    api.delete(f"/v1/contacts/{paul['id']}")
    api.delete(f"/v1/organizations/{org['id']}")
    assert relate.unused_routes() == []


def test_serve_starts_on_a_free_port():
    emulator = serve(0)
    try:
        answer = httpx.get(
            f"{emulator.url}/v1/contacts", headers={"Authorization": f"Bearer {emulator.api_key}"}
        )
        assert answer.status_code == 200 and answer.json()["data"] == []
    finally:
        emulator.stop()
