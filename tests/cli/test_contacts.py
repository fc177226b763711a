"""add, show, list, search, rm driven through the CLI on a real book file."""

from __future__ import annotations

from conftest import raw_db

import re

CONTACT_KEYS = {
    "uid", "formatted_name", "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname",
    "organization", "title", "birthday", "emails", "phones", "addresses", "urls", "labels", "custom_fields",
    "notes", "starred", "created_at", "updated_at",
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_add_prints_uid_and_show_json_has_the_contract_shape(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "work:Ada@Example.com", "--phone",
               "mobile:+44 20 7946 0123", "--label", "math", "--org", "Analytical Engines", "--title",
               "Countess", "--birthday", "--12-10", "--note", "First programmer").stdout.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", uid)
    data = rolo.json("show", uid)
    assert CONTACT_KEYS <= set(data)
    assert data["given_name"] == "Ada" and data["family_name"] == "Lovelace"
    assert data["emails"] == [{"address": "Ada@Example.com", "label": "work", "primary": True}]
    assert data["phones"] == [{"number": "+44 20 7946 0123", "e164": "+442079460123", "label": "mobile",
                               "primary": True}]
    assert data["birthday"] == "--12-10"
    assert data["labels"] == ["math"] and data["organization"] == "Analytical Engines"
    assert data["addresses"] == [] and data["urls"] == [] and data["custom_fields"] == {}
    assert data["prefix"] is None and data["starred"] is False
    assert ISO_Z.match(data["created_at"]) and ISO_Z.match(data["updated_at"])


def test_add_json_prints_the_contact(rolo):
    data = rolo.json("add", "--given", "Grace", "--family", "Hopper")
    assert data["formatted_name"] == "Grace Hopper"
    assert rolo.json("show", data["uid"])["uid"] == data["uid"]


def test_ref_forms_find_the_same_contact(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--phone", "(415) 555-0123", "--email", "ada@example.com",
               ).stdout.strip()
    for ref in (uid, uid[:8], "ADA@example.com", "+14155550123", "415-555-0123", "4155550123"):
        assert rolo.json("show", ref)["uid"] == uid, ref


def test_phone_formats_find_the_contact_with_region_kr(rolo, tmp_path):
    config = tmp_path / "rolo.toml"
    config.write_text('default_region = "KR"\n')
    uid = rolo("--config", str(config), "add", "--name", "Kim Minji", "--phone", "010-1234-5678").stdout.strip()
    for form in ("+821012345678", "01012345678", "010-1234-5678"):
        assert [c["uid"] for c in rolo.json("--config", str(config), "search", form)] == [uid]
        assert rolo.json("--config", str(config), "show", form)["uid"] == uid


def test_unknown_and_ambiguous_refs_are_one_line_errors(rolo):
    rolo("add", "--name", "A One", "--email", "same@example.com", "--uid", "abcdef-1")
    rolo("add", "--name", "A Two", "--email", "same@example.com", "--uid", "abcdef-2")
    assert "no contact matches 'nobody@example.com'" in rolo.fails("show", "nobody@example.com")
    error = rolo.fails("show", "same@example.com")
    assert "matches 2 contacts" in error and "abcdef-1" in error and "abcdef-2" in error
    assert "matches 2 contacts" in rolo.fails("show", "abcdef")


def test_invalid_input_is_refused_and_nothing_written(rolo):
    assert "not a valid email" in rolo.fails("add", "--name", "X", "--email", "not-an-email")
    assert "birthday" in rolo.fails("add", "--name", "X", "--birthday", "1990-02-30")
    assert "not a phone number" in rolo.fails("add", "--name", "X", "--phone", "call me")
    assert rolo.json("list") == []
    assert "Usage" in rolo.fails("add", code=2)


def test_list_sorts_by_name_or_updated_and_filters_by_label(rolo):
    rolo("add", "--name", "Zed Adams", "--label", "Friends")
    rolo("add", "--name", "Amy Zimmer")
    rolo("add", "--name", "Bob Brown", "--label", "friends")
    assert [c["formatted_name"] for c in rolo.json("list")] == ["Zed Adams", "Bob Brown", "Amy Zimmer"]
    assert [c["formatted_name"] for c in rolo.json("list", "--sort", "updated")][0] == "Bob Brown"
    assert {c["formatted_name"] for c in rolo.json("list", "--label", "FRIENDS")} == {"Zed Adams", "Bob Brown"}
    assert "3 contacts" in rolo("list").stdout


def test_search_qualifiers_prefixes_and_ranking(rolo):
    rolo("field", "define", "tier", "--type", "select", "--option", "close", "--option", "friend")
    ada = rolo("add", "--name", "Ada Lovelace", "--email", "ada@analytical.example", "--org", "Analytical",
               "--label", "math", "--field", "tier=close").stdout.strip()
    bob = rolo("add", "--name", "Bob Adair", "--email", "bob@example.com", "--note", "met Ada at a party",
               "--title", "Engineer").stdout.strip()
    found = lambda q: [c["uid"] for c in rolo.json("search", q)]  # noqa: E731
    assert found("ada") == [ada, bob]  # a name hit ranks above a notes hit
    assert found("lovel") == [ada]
    assert found("email:ada@analytical.example") == [ada]
    assert found("org:analyt") == [ada]
    assert found("label:math") == [ada]
    assert found("name:ada") == [ada, bob]  # "Adair" starts with "ada"
    assert found("title:engineer") == [bob]
    assert found("tier:close") == [ada]
    assert found("ada tier:friend") == []
    assert found("Lovelace Ada") == [ada]
    assert found("lövelace") == [ada]  # diacritics folded
    assert rolo.json("search", "ada", "--limit", "1") and len(rolo.json("search", "ada", "--limit", "1")) == 1
    assert "nothing to search for" in rolo.fails("search", "!!!")


def test_rm_asks_and_tombstones(rolo):
    uid = rolo("add", "--name", "Gone Soon", "--email", "gone@example.com").stdout.strip()
    assert "not deleted" in rolo.fails("rm", "gone@example.com", input="n\n")
    rolo("rm", "gone@example.com", input="y\n")
    assert rolo.json("list") == []
    assert rolo.json("search", "gone") == []
    assert "no contact matches" in rolo.fails("show", uid)
    # the tombstone stays in the file for sync to propagate the deletion
    
    row = raw_db(rolo.book_path).execute("SELECT deleted_at FROM contact WHERE uid = ?", (uid,)).fetchone()
    assert row[0] is not None


def test_debug_shows_a_traceback(rolo):
    from rolo.core.cli import cli
    from rolo.core.errors import NotFoundError

    rolo("init")
    result = rolo.runner.invoke(cli, ["--book", str(rolo.book_path), "--debug", "show", "nobody@example.com"])
    assert isinstance(result.exception, NotFoundError)
