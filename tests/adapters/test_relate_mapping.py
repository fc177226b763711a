"""Relate records ↔ the book's vocabulary: the tolerant readers, custom field types and values, email plans,
meeting notes (pure functions, no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from rolo.adapters.relate.mapping import (
    book_definition,
    book_name,
    company_domain,
    contact_body,
    decode_value,
    encode_value,
    incompatibility,
    meeting_note,
    name_key,
    org_display_name,
    plan_emails,
    read_emails,
    read_phones,
    read_title,
    read_values,
    relate_type,
    to_book,
    version_of,
)
from rolo.core.fields import FieldDefinition


@pytest.mark.parametrize(
    ("contact", "phones"),
    [
        ({"phone_numbers": ["+821012345678"]}, ["+821012345678"]),
        ({"phones": [{"number": "+1 415 555 0123", "type": "work"}]}, ["+1 415 555 0123"]),
        ({"phone_number": "010-1234-5678"}, ["010-1234-5678"]),
        ({"phone": "+44 20"}, ["+44 20"]),
        ({"phone_numbers": [{"phone_number": "1"}, {"value": "2"}, "", None]}, ["1", "2"]),
        ({}, []),
    ],
    ids=["phone_numbers", "phones-objects", "phone_number", "phone", "mixed", "none"],
)
def test_phones_are_read_from_the_plausible_fields(contact: dict[str, Any], phones: list[str]) -> None:
    assert read_phones(contact) == phones


@pytest.mark.parametrize(
    ("contact", "title"),
    [
        ({"title": " Duke "}, "Duke"),
        ({"job_title": "Duke"}, "Duke"),
        ({"position": "Duke"}, "Duke"),
        ({"title": "", "job_title": "Duke"}, "Duke"),
        ({}, None),
    ],
    ids=["title", "job_title", "position", "empty-title", "none"],
)
def test_title_is_read_from_the_plausible_fields(contact: dict[str, Any], title: str | None) -> None:
    assert read_title(contact) == title


def test_emails_as_strings_or_objects() -> None:
    assert read_emails({"emails": ["a@x.org", {"email": "b@x.org"}, {"address": "c@x.org"}, " "]}) == [
        "a@x.org",
        "b@x.org",
        "c@x.org",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        {"vBASJR": {"name": "House", "data_type": "text", "value": "Atreides"}},
        [{"name": "House", "value": "Atreides", "id": "vBASJR"}],
        {"House": "Atreides"},
    ],
    ids=["keyed-by-id", "list-of-name-value", "plain-mapping"],
)
def test_custom_field_values_in_any_shape(raw: Any) -> None:
    ((_, name, value),) = read_values(raw)
    assert (name, value) == ("House", "Atreides")


def test_book_names_of_relate_field_names() -> None:
    assert book_name("Met at") == "Met_at" and name_key("Met at") == name_key("met_at") == "met_at"
    assert book_name("  Lead source (2026) ") == "Lead_source_2026"
    assert book_name("2nd email") == "f_2nd_email" and len(book_name("x" * 100)) == 64


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (FieldDefinition("a", "text"), ("text", None, False)),
        (FieldDefinition("a", "bool"), ("select", ["true", "false"], False)),
        (FieldDefinition("a", "select", ["x"], True), ("select", ["x"], True)),
        (FieldDefinition("a", "number", [], True), ("select", [], True)),
    ],
    ids=["text", "bool", "select-multiple", "number-multiple"],
)
def test_relate_types(definition: FieldDefinition, expected: tuple[Any, ...]) -> None:
    made = relate_type(definition)
    assert (made["data_type"], made["options"], made["accepts_multiple_values"]) == expected


@pytest.mark.parametrize(
    ("definition", "remote", "ok"),
    [
        (FieldDefinition("a", "text"), {"data_type": "textarea"}, True),
        (FieldDefinition("a", "url"), {"data_type": "text"}, True),
        (FieldDefinition("a", "text"), {"data_type": "url"}, False),
        (FieldDefinition("a", "number"), {"data_type": "text"}, False),
        (FieldDefinition("a", "bool"), {"data_type": "select", "options": ["false", "true"]}, True),
        (FieldDefinition("a", "bool"), {"data_type": "select", "options": ["yes", "no"]}, False),
        (
            FieldDefinition("a", "select", ["x"]),
            {"data_type": "select", "accepts_multiple_values": True},
            False,
        ),
        (
            FieldDefinition("a", "text", [], True),
            {"data_type": "select", "accepts_multiple_values": True},
            True,
        ),
        (FieldDefinition("a", "date"), {"data_type": "date", "accepts_multiple_values": False}, True),
    ],
    ids=[
        "text-in-textarea",
        "url-in-text",
        "text-in-url",
        "number-in-text",
        "bool",
        "bool-other-options",
        "single-in-multiple",
        "multiple-text",
        "date",
    ],
)
def test_compatibility(definition: FieldDefinition, remote: dict[str, Any], ok: bool) -> None:
    problem = incompatibility(definition, {"name": "A", **remote})
    assert (problem is None) is ok, problem


@pytest.mark.parametrize(
    ("value", "remote", "sent", "read"),
    [
        (True, {"data_type": "select", "options": ["true", "false"]}, "true", True),
        (9, {"data_type": "number"}, 9, 9),
        (9.5, {"data_type": "number"}, 9.5, 9.5),
        (
            ["a", "b"],
            {"data_type": "select", "options": ["a", "b"], "accepts_multiple_values": True},
            ["a", "b"],
            ["a", "b"],
        ),
        ("2026-05-16", {"data_type": "date"}, "2026-05-16", "2026-05-16"),
        ("x", {"data_type": "text"}, "x", "x"),
        (None, {"data_type": "text"}, None, None),
    ],
    ids=["bool", "int", "float", "multiple", "date", "text", "none"],
)
def test_values_round_trip(value: Any, remote: dict[str, Any], sent: Any, read: Any) -> None:
    assert encode_value(value, remote) == sent
    assert decode_value(sent, remote) == read


def test_book_definitions_of_relate_fields() -> None:
    assert (
        book_definition({"name": "VIP", "data_type": "select", "options": ["true", "false"]}).type == "bool"
    )
    owner = book_definition({"name": "Owner", "data_type": "user", "accepts_multiple_values": True})
    assert (owner.type, owner.multiple) == ("text", True)
    assert book_definition({"name": "Stage", "data_type": "select", "options": ["a"]}).options == ["a"]


@pytest.mark.parametrize(
    ("current", "desired", "k", "delete"),
    [
        (["a", "b"], ["a", "b"], 2, []),
        (["a", "b"], ["a", "b", "c"], 2, []),
        (["a", "b"], ["b", "a"], 0, ["a", "b"]),
        (["a", "b", "c"], ["a", "c"], 2, ["b"]),
        (["a", "b"], [], 0, ["a", "b"]),
        (["A"], ["a"], 1, []),
    ],
    ids=["same", "append", "reorder", "remove-middle", "remove-all", "case"],
)
def test_email_plans(current: list[str], desired: list[str], k: int, delete: list[str]) -> None:
    assert plan_emails(current, desired) == (k, delete)


def test_contact_bodies() -> None:
    data = {"given_name": " Ada ", "family_name": None, "title": "", "phones": [{"number": "(415) 555-0123"}]}
    assert contact_body(data) == {"first_name": "Ada", "phone_numbers": ["(415) 555-0123"]}
    assert contact_body(data, keys={"family_name", "title"}) == {"last_name": None, "title": None}
    assert contact_body(data, to_e164=lambda n: "+14155550123")["phone_numbers"] == ["+14155550123"]


def test_to_book_and_versions() -> None:
    contact = {
        "id": "A",
        "first_name": "",
        "emails": ["a@x.org"],
        "custom_fields": {"f1": {"name": "Score", "value": 3.0}},
    }
    data = to_book(
        contact, organization=None, labels=["b", "A"], fields={"f1": {"name": "Score", "data_type": "number"}}
    )
    assert (
        data["given_name"] is None and data["custom_fields"] == {"Score": 3} and data["labels"] == ["A", "b"]
    )
    assert version_of(data) == version_of(dict(reversed(list(data.items()))))
    assert version_of(data) != version_of({**data, "labels": ["A"]})


def test_organization_display_names() -> None:
    assert org_display_name({"name": "Relate", "domains": ["relate.so"]}) == "Relate"
    assert org_display_name({"name": None, "domains": ["relate.so"]}) == "relate.so"
    assert org_display_name(None) is None


def test_meeting_notes_tolerate_summary_shapes() -> None:
    event = {"title": "Sync", "start_at": "2026-05-16T11:00:00.000+09:00"}
    assert meeting_note(event, []) == "Meeting: Sync (2026-05-16T11:00:00.000+09:00)"
    text = meeting_note(
        event,
        [
            {"status": "done", "summary": "Plain text summary"},
            {"status": "processing", "summary": None},
            {"status": "done", "summary": {"topics": [], "action_items": [{"text": "Do it"}]}},
        ],
    )
    assert text.splitlines()[1:] == ["Summary: Plain text summary", "Action items:", "- Do it"]
    assert meeting_note({}, []) == "Meeting: Untitled meeting"


@pytest.mark.parametrize(
    ("email", "organization", "domain"),
    [
        ("mj@hanbit-robotics.example", "Hanbit Robotics", "hanbit-robotics.example"),
        ("a@globex.example", "Globex Corporation", "globex.example"),
        ("a@mail.naniwa-denki.co.jp", "Naniwa Denki K.K.", "mail.naniwa-denki.co.jp"),
        ("a@example.net", "Weiß & Söhne Schreinerei", None),
        ("a@gmail.com", "Gmail Fans", None),
        ("a@acme.com", None, "acme.com"),
        (None, "Acme", None),
    ],
    ids=["hyphenated", "word", "subdomain", "generic", "free-mail", "no-name", "no-email"],
)
def test_company_domains(email: str | None, organization: str | None, domain: str | None) -> None:
    assert company_domain(email, organization) == domain
