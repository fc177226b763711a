"""Labels, custom fields and the notes log through the CLI."""

from __future__ import annotations

import pytest


@pytest.fixture
def ada(rolo):
    return rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()


def test_labels_are_unique_case_insensitively_with_counts(rolo, ada):
    bob = rolo("add", "--name", "Bob", "--label", "Friends").stdout.strip()
    rolo("label", "add", ada, "friends", "Book Club")
    assert rolo.json("show", ada)["labels"] == ["Book Club", "Friends"]
    assert rolo.json("label", "list") == [{"name": "Book Club", "count": 1}, {"name": "Friends", "count": 2}]
    rolo("label", "rm", ada, "FRIENDS")
    assert rolo.json("show", ada)["labels"] == ["Book Club"]
    assert rolo.json("show", bob)["labels"] == ["Friends"]


def test_label_rename_and_merge(rolo, ada):
    rolo("label", "add", ada, "bookclub")
    rolo("add", "--name", "Bob", "--label", "Book Club")
    rolo("label", "rename", "bookclub", "Readers")
    assert rolo.json("show", ada)["labels"] == ["Readers"]
    assert [c["formatted_name"] for c in rolo.json("search", "label:readers")] == ["Ada Lovelace"]
    assert "2 contacts" in rolo("label", "rename", "readers", "book club").stdout  # merged into Book Club
    assert rolo.json("label", "list") == [{"name": "Book Club", "count": 2}]
    assert "no label named" in rolo.fails("label", "rename", "nope", "x")


@pytest.mark.parametrize(
    ("type_", "options", "good", "stored", "bad"),
    [
        ("text", [], "PyCon", "PyCon", "two\nlines"),
        ("textarea", [], "a\nb", "a\nb", ""),
        ("number", [], "42", 42, "forty-two"),
        ("number", [], "2.5", 2.5, "1e999"),
        ("date", [], "2024-05-01", "2024-05-01", "2024-02-30"),
        ("datetime", [], "2024-05-01T10:30:00+00:00", "2024-05-01T10:30:00+00:00", "yesterday"),
        ("bool", [], "yes", True, "maybe"),
        ("select", ["close", "friend"], "Friend", "friend", "enemy"),
        ("url", [], "https://example.com/x", "https://example.com/x", "not a url"),
    ],
    ids=["text", "textarea", "int", "float", "date", "datetime", "bool", "select", "url"],
)
def test_field_types_validate_and_refuse_bad_values(rolo, ada, type_, options, good, stored, bad):
    args = ["field", "define", "f", "--type", type_]
    for option in options:
        args += ["--option", option]
    rolo(*args)
    rolo("field", "set", ada, "f", good)
    assert rolo.json("show", ada)["custom_fields"] == {"f": stored}
    before = rolo.json("show", ada)["revision"]
    rolo.fails("field", "set", ada, "f", bad)
    after = rolo.json("show", ada)
    assert after["custom_fields"] == {"f": stored} and after["revision"] == before


def test_multiple_fields_and_unset(rolo, ada):
    rolo("field", "define", "langs", "--type", "select", "--option", "en", "--option", "fr", "--multiple")
    rolo("field", "define", "single", "--type", "text")
    rolo("field", "set", ada, "langs", "en", "FR")
    assert rolo.json("show", ada)["custom_fields"] == {"langs": ["en", "fr"]}
    assert "takes one value" in rolo.fails("field", "set", ada, "single", "a", "b")
    rolo("field", "unset", ada, "langs")
    assert rolo.json("show", ada)["custom_fields"] == {}
    assert rolo.json("field", "list") == [
        {"name": "langs", "type": "select", "options": ["en", "fr"], "multiple": True, "local_only": False},
        {"name": "single", "type": "text", "options": [], "multiple": False, "local_only": False},
    ]


def test_field_definition_errors(rolo):
    assert "needs at least one --option" in rolo.fails("field", "define", "s", "--type", "select")
    assert "only for fields of type select" in rolo.fails("field", "define", "t", "--type", "text", "--option", "x")
    assert "invalid field name" in rolo.fails("field", "define", "9lives", "--type", "text")
    rolo("field", "define", "met_at", "--type", "text")
    assert "already exists" in rolo.fails("field", "define", "MET-AT", "--type", "text")
    assert "Usage" in rolo.fails("field", "define", "x", "--type", "colour", code=2)


def test_notes_log_is_dated_and_searchable(rolo, ada):
    rolo("note", "add", ada, "Lunch", "at the Royal Society")
    rolo("note", "add", "ada@example.com", "Sent the Bernoulli notes")
    notes = rolo.json("note", "list", ada)
    assert [n["body"] for n in notes] == ["Lunch at the Royal Society", "Sent the Bernoulli notes"]
    assert all(n["created_at"].endswith("Z") for n in notes)
    assert [c["uid"] for c in rolo.json("search", "bernoulli")] == [ada]
    assert [c["uid"] for c in rolo.json("search", "note:royal")] == [ada]
