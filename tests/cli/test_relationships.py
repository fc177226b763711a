"""Relationships (`rolo relate`), shown both ways, written as vCard RELATED / X-ABRELATEDNAMES and read back
from both (issue 13)."""

from __future__ import annotations

import pytest
from conftest import SHARED_VCARDS, Rolo


@pytest.fixture
def family(rolo):
    return {
        "ada": rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip(),
        "william": rolo("add", "--name", "William King", "--email", "william@example.com").stdout.strip(),
        "byron": rolo("add", "--name", "Byron King", "--email", "byron@example.com").stdout.strip(),
    }


@pytest.mark.parametrize(("kind", "other_side"), [
    ("spouse", "spouse"), ("partner", "partner"), ("sibling", "sibling"), ("friend", "friend"),
    ("colleague", "colleague"), ("parent", "child"), ("child", "parent"), ("manager", "report"),
    ("assistant", "boss"), ("godmother", "their godmother"),
])
def test_each_kind_is_shown_on_both_contacts(rolo, family, kind, other_side):
    assert rolo("relate", "ada@example.com", kind, "william@example.com").stdout.strip() == (
        f"William King is Ada Lovelace's {kind}")
    ada, william = rolo.json("show", "ada@example.com"), rolo.json("show", "william@example.com")
    assert ada["related"] == [{"kind": kind, "uid": family["william"], "name": "William King"}]
    assert ada["related_by"] == [] and william["related"] == []
    assert william["related_by"] == [{"kind": kind, "as": other_side, "uid": family["ada"], "name": "Ada Lovelace"}]
    assert f"Related  {kind}: William King" in rolo("show", "ada@example.com").stdout
    assert f"Related  {other_side}: Ada Lovelace (on their card: {kind})" in rolo("show", "william").stdout


def test_a_person_not_in_the_book_by_name_and_listing_both_ways(rolo, family):
    rolo("relate", "ada@example.com", "parent", "--name", "Anne  Isabella Milbanke")
    rolo("relate", "byron@example.com", "parent", "ada@example.com")
    listed = rolo.json("relate", "ada@example.com")
    assert listed["related"] == [{"kind": "parent", "uid": None, "name": "Anne Isabella Milbanke",
                                  "in_book": False, "trashed": False}]
    assert [(r["as"], r["name"]) for r in listed["related_by"]] == [("child", "Byron King")]
    assert rolo("relate", "ada@example.com").stdout.splitlines() == [
        "parent: Anne Isabella Milbanke", "child: Byron King (on their card: parent)"]


def test_linking_twice_removing_and_wrong_input(rolo, family):
    rolo("relate", "ada@example.com", "spouse", "william@example.com")
    assert "(already linked)" in rolo("relate", "ada@example.com", "spouse", "william@example.com").stdout
    assert len(rolo.json("show", "ada@example.com")["related"]) == 1
    assert "cannot be their own spouse" in rolo.fails("relate", "ada@example.com", "spouse", "ada@example.com")
    assert "name the other person" in rolo.fails("relate", "ada@example.com", "spouse")
    assert "nobody@example.com" in rolo.fails("relate", "ada@example.com", "spouse", "nobody@example.com")
    assert rolo("relate", "ada@example.com", "--remove", "spouse", "william@example.com").stdout.strip() == (
        "removed: William King is Ada Lovelace's spouse")
    assert "no such link to remove" in rolo.fails("relate", "ada@example.com", "--remove", "spouse",
                                                  "william@example.com")
    assert rolo.json("show", "william@example.com")["related_by"] == []


def test_undo_takes_a_link_back_and_the_history_names_it(rolo, family):
    rolo("relate", "ada@example.com", "spouse", "william@example.com")
    assert "related" in rolo("history", "ada@example.com").stdout
    rolo("undo")
    assert rolo.json("show", "ada@example.com")["related"] == []


def test_links_follow_a_merge_and_a_trashed_contact_is_marked(rolo, family):
    rolo("relate", "ada@example.com", "spouse", "william@example.com")
    twin = rolo("add", "--name", "Will King", "--email", "will@example.com").stdout.strip()
    rolo("merge", twin, "william@example.com", "--no-backup")  # William's uid now names the twin
    assert [r["name"] for r in rolo.json("relate", "ada@example.com")["related"]] == ["Will King"]
    assert [r["name"] for r in rolo.json("show", twin)["related_by"]] == ["Ada Lovelace"]
    rolo("rm", twin, "--yes")
    assert "spouse: Will King (in the trash)" in rolo("relate", "ada@example.com").stdout


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_related_and_anniversaries_round_trip_through_export_and_import(rolo, family, tmp_path, version):
    rolo("relate", "ada@example.com", "spouse", "william@example.com")
    rolo("relate", "ada@example.com", "mother", "--name", "Anne Isabella Milbanke")
    rolo("relate", "ada@example.com", "best man", "--name", "Charles Babbage")
    before = rolo.json("show", "ada@example.com")
    exported = tmp_path / "all.vcf"
    rolo("export", "--vcard-version", version, "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    if version == "4.0":
        assert f"RELATED;TYPE=spouse;X-ROLO-FN=William King:urn:uuid:{family['william']}" in text.replace(
            "\n ", "")
    else:
        assert "X-ABRELATEDNAMES" in text and "_$!<Spouse>!$_" in text and "_$!<Mother>!$_" in text
    fresh = Rolo(tmp_path / "fresh.db")
    fresh("import", str(exported))
    after = fresh.json("show", "ada@example.com")
    assert after["related"] == before["related"]
    assert [r["name"] for r in fresh.json("show", "william@example.com")["related_by"]] == ["Ada Lovelace"]
    assert "0 created, 0 updated" in rolo("import", str(exported)).stdout  # the same book: nothing changes


def test_vendor_forms_are_read(rolo, tmp_path):
    rolo("import", str(SHARED_VCARDS / "ez-vcard__John_Doe_EVOLUTION.vcf"))
    rolo("import", str(SHARED_VCARDS / "ez-vcard__John_Doe_MAC_ADDRESS_BOOK.vcf"))
    found = {(r["kind"], r["name"]) for c in rolo.json("list") for r in c["related"]}
    assert {("spouse", "Maria"), ("manager", "Big Blue"), ("assistant", "Little Red")} <= found
    assert ("spouse", "Jenny") in found  # Apple's X-ABRELATEDNAMES with a plain "Spouse" label
    card = tmp_path / "android.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:and-1\r\nFN:Droid\r\n"
                    "X-ANDROID-CUSTOM:vnd.android.cursor.item/relation;Connie;8;;;;;;;;;;;;;\r\n"
                    "RELATED;VALUE=uri:http://example.com/bob\r\nEND:VCARD\r\n", encoding="utf-8")
    rolo("import", str(card))
    shown = rolo.json("show", "and-1")
    assert shown["related"] == [{"kind": "mother", "uid": None, "name": "Connie"}]
    assert "RELATED;VALUE=uri:http://example.com/bob" in rolo("show", "and-1", "--vcard").stdout  # kept as is


def test_relate_help_says_the_direction(rolo):
    assert "records that B is A's KIND" in rolo("relate", "--help").stdout
