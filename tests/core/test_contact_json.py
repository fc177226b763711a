"""`rolo list --json` on a pipe gets its objects from SQLite (rolo.core.store.contact_json): they must be the
very objects `ContactRecord.to_json()` gives, over real vCards and every kind of custom field."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_VCARDS

from rolo.core.fields import FieldDefinition
from rolo.core.importer import collect_files, import_files
from rolo.core.record import AddressEntry, ContactRecord, EmailEntry, PhoneEntry, UrlEntry


def _both(book, **listing):
    fast = [json.loads(text) for text in book.iter_contacts_json(**listing)]
    slow = [record.to_json() for record in book.iter_contacts(**listing)]
    return fast, slow


@pytest.fixture
def varied(book):
    for name, kind, options, multiple in [("tier", "select", ["close", "far"], False),
                                          ("langs", "select", ["en", "fr", "de"], True),
                                          ("score", "number", [], False), ("vip", "bool", [], False),
                                          ("met", "date", [], False), ("bio", "textarea", [], False)]:
        book.define_field(FieldDefinition(name, kind, options, multiple))
    book.add(ContactRecord(
        uid="full", given_name="Zoë", family_name="Ünal", prefix="Dr.", nickname="Z", title="CTO",
        organization="Acme", department="R&D", birthday="--02-29", notes='line one\nline "two"\t\\',
        starred=True, labels=["b", "A"],
        emails=[EmailEntry("z@acme.example", "work", True), EmailEntry("zoe@home.example", None, False),
                EmailEntry("third@example.org", "other")],
        phones=[PhoneEntry("+44 20 7946 0123", label="mobile"), PhoneEntry("555-0100", label="home")],
        addresses=[AddressEntry("home", None, None, "1 Rue", "Paris", None, "75001", "France"),
                   AddressEntry(None, "PO 7", "Apt 2", None, "Berlin", "BE", None, "DE", primary=True)],
        urls=[UrlEntry("https://z.example", "site"), UrlEntry("https://x.example")],
        custom_fields={"tier": "close", "langs": ["fr", "en"], "score": 3.5, "vip": True, "met": "2020-01-02",
                       "bio": "multi\nline \u0001 control"},
    ))
    book.add(ContactRecord(uid="org-only", organization="Only Org Inc", custom_fields={"score": 42, "vip": False}))
    book.add(ContactRecord(uid="email-only", emails=[EmailEntry("nobody@example.com")]))
    book.add(ContactRecord(uid="gone", given_name="Deleted", emails=[EmailEntry("gone@example.com")]))
    book.delete("gone")
    return book


def test_sql_built_objects_equal_to_json_for_every_field_kind(varied):
    fast, slow = _both(varied)
    assert fast == slow and len(fast) == 3
    assert [c["uid"] for c in fast] == [c["uid"] for c in slow]  # same listing order


@pytest.mark.parametrize("listing", [{"label": "a"}, {"label": "nosuch"}, {"sort": "updated"}], ids=str)
def test_label_filter_and_sort_agree(varied, listing):
    fast, slow = _both(varied, **listing)
    assert fast == slow


def test_real_world_vcards_list_the_same_both_ways(book):
    report = import_files(book, collect_files([SHARED_VCARDS]))
    assert report.created > 100
    fast, slow = _both(book)
    assert fast == slow


def test_list_json_on_a_pipe_is_the_contact_objects(rolo, varied):
    piped = json.loads(rolo("list", "--json").stdout)  # CliRunner's stdout is not a terminal
    assert piped == [r.to_json() for r in varied.contacts()]
    typo = rolo("list", "--json", "--label", "nosuch", ok=False)  # a label nobody has is a typo, said so
    assert typo.exit_code == 1 and typo.stdout == "" and "no label named 'nosuch'" in typo.stderr


def test_dates_relationships_and_last_contacted_agree_both_ways(varied):
    """A book using the personal CRM's parts: the sub-selects the SQL path adds for them (and leaves out for a
    book without them) give the same objects as to_json()."""
    from rolo.core.record import DateEntry, RelatedEntry

    varied.update("full", lambda r: setattr(r, "dates", [DateEntry("anniversary", "2010-06-12"),
                                                          DateEntry("first met", "--05-04")]) or r)
    varied.update("org-only", lambda r: setattr(r, "related", [RelatedEntry("colleague", "full", "Zoë"),
                                                                RelatedEntry("friend", None, 'A "quoted" name')]) or r)
    varied.log_interaction("email-only", "Wrote", "email", "2026-11-01T10:00:00Z")
    varied.add_note("full", "a plain note is no interaction")
    fast, slow = _both(varied)
    assert fast == slow
    assert {c["uid"]: c["last_contacted"] for c in fast}["email-only"] == "2026-11-01T10:00:00Z"
    for listing in ({"sort": "contacted"}, {"label": "a"}):
        fast, slow = _both(varied, **listing)
        assert fast == slow
