"""Merge remembers (issue 10): a merged-away uid is an alias of KEEP, for imports, REFs and remote links."""

from __future__ import annotations

from pathlib import Path

import pytest
from rolo.adapters.relm.emulator import RelmEmulator

KEEP_CARD = """BEGIN:VCARD
VERSION:3.0
UID:keep-0001
FN:Jon Smith
N:Smith;Jon;;;
EMAIL;TYPE=work:jon@example.com
TITLE:Engineer
CATEGORIES:Friends
END:VCARD
"""
OTHER_CARD = """BEGIN:VCARD
VERSION:3.0
UID:other-0002
FN:Jonathan Smith
N:Smith;Jonathan;;;
EMAIL:JON@example.com
EMAIL:js@work.example
TEL;TYPE=cell:+1 415 555 0142
TITLE:Staff Engineer
CATEGORIES:climbing
NOTE:Met at the crag
END:VCARD
"""


def _merged(rolo, tmp_path: Path, *cards: str) -> Path:
    folder = tmp_path / "cards"
    folder.mkdir()
    for number, card in enumerate(cards):
        (folder / f"{number}.vcf").write_text(card)
    rolo("import", str(folder))
    rolo("merge", "keep-0001", "other-0002")
    return folder


def _gains(contact: dict) -> tuple:
    return ([e["address"] for e in contact["emails"]], [p["e164"] for p in contact["phones"]],
            contact["labels"], contact["title"], contact["notes"])


GAINS = (["jon@example.com", "js@work.example"], ["+14155550142"], ["climbing", "Friends"], "Engineer",
         "Met at the crag")


@pytest.mark.parametrize("order", ["keep-first", "other-first"])
def test_reimporting_the_original_files_after_a_merge_resurrects_nothing(rolo, tmp_path, order):
    cards = (KEEP_CARD, OTHER_CARD) if order == "keep-first" else (OTHER_CARD, KEEP_CARD)
    folder = _merged(rolo, tmp_path, *cards)
    assert _gains(rolo.json("show", "keep-0001")) == GAINS

    again = rolo("import", str(folder)).stdout
    assert "0 created, 0 updated, 2 unchanged" in again
    assert [c["uid"] for c in rolo.json("list")] == ["keep-0001"]
    assert _gains(rolo.json("show", "keep-0001")) == GAINS  # KEEP kept everything the merge gave it

    # both cards in one file, in either order, land the same way
    both = tmp_path / "both.vcf"
    both.write_text("".join(cards))
    rolo("import", str(both))
    assert [c["uid"] for c in rolo.json("list")] == ["keep-0001"]
    assert _gains(rolo.json("show", "keep-0001")) == GAINS


def test_a_changed_card_of_the_merged_away_contact_adds_to_keep_and_replaces_nothing(rolo, tmp_path):
    folder = _merged(rolo, tmp_path, KEEP_CARD, OTHER_CARD)
    changed = OTHER_CARD.replace("TITLE:Staff Engineer", "TITLE:Principal\nBDAY:1988-09-14").replace(
        "EMAIL:js@work.example", "EMAIL:js@new.example")
    (folder / "1.vcf").write_text(changed)
    assert "0 created, 1 updated" in rolo("import", str(folder / "1.vcf")).stdout
    keep = rolo.json("show", "keep-0001")
    assert [e["address"] for e in keep["emails"]] == ["jon@example.com", "js@work.example", "js@new.example"]
    assert keep["title"] == "Engineer" and keep["birthday"] == "1988-09-14"  # KEEP's value wins, a gap fills
    assert [c["uid"] for c in rolo.json("list")] == ["keep-0001"]


def test_the_merged_away_uid_names_keep(rolo, tmp_path):
    _merged(rolo, tmp_path, KEEP_CARD, OTHER_CARD)
    assert rolo.json("show", "other-0002")["uid"] == "keep-0001"
    rolo("edit", "other-0002", "--set", "title=Lead")
    assert rolo.json("show", "keep-0001")["title"] == "Lead"


def test_restoring_the_merged_away_contact_gives_its_uid_back(rolo, tmp_path):
    folder = _merged(rolo, tmp_path, KEEP_CARD, OTHER_CARD)
    rolo("restore", "other-0002")
    assert rolo.json("show", "other-0002")["uid"] == "other-0002"
    rolo("import", str(folder))
    assert sorted(c["uid"] for c in rolo.json("list")) == ["keep-0001", "other-0002"]


def test_merging_into_a_contact_carries_the_aliases_it_absorbed(rolo, tmp_path):
    folder = _merged(rolo, tmp_path, KEEP_CARD, OTHER_CARD)
    third = rolo("add", "--name", "J. Smith", "--email", "j@elsewhere.example").stdout.strip()
    rolo("merge", third, "keep-0001")
    assert rolo.json("show", "other-0002")["uid"] == third
    rolo("import", str(folder))
    assert [c["uid"] for c in rolo.json("list")] == [third]


# -- remote links -------------------------------------------------------------------------------------------
def _remote(rolo, relm: RelmEmulator) -> None:
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")


def test_keep_takes_over_the_remote_record_of_the_merged_away_contact(rolo, relm):
    other = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    _remote(rolo, relm)
    rolo("sync")
    (record,) = relm.store.contacts()
    keep = rolo("add", "--name", "Ada King", "--email", "ada@example.com", "--title", "Countess").stdout.strip()

    merged = rolo("merge", keep, other)
    assert "next sync deletes" not in merged.output

    assert rolo("sync").stdout.strip() == "work: book no changes; remote 1 updated"
    (after,) = relm.store.contacts()
    assert after["id"] == record["id"] and after["last_name"] == "King"  # updated, not deleted and re-created
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"
    assert [c["uid"] for c in rolo.json("list")] == [keep]


def test_merging_two_linked_contacts_asks_before_a_sync_deletes_a_remote_record(rolo, relm):
    keep = rolo("add", "--name", "Ada King", "--email", "king@example.com").stdout.strip()
    other = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    _remote(rolo, relm)
    rolo("sync")
    ids = {c["email"]: c["id"] for c in relm.store.contacts()}
    warning = f"the next sync deletes Ada Lovelace ({other})'s record {ids['ada@example.com']} on remote work"

    assert warning in rolo("merge", keep, other, "--dry-run").stdout
    assert rolo.json("merge", keep, other, "--dry-run")["remote_deletions"] == [
        {"uid": other, "remote": "work", "remote_id": ids["ada@example.com"]}]
    refused = rolo("merge", keep, other, input="n\n", ok=False)
    assert refused.exit_code == 1 and warning in refused.stderr and "nothing merged" in refused.stderr
    assert len(rolo.json("list")) == 2
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"

    assert warning in rolo("merge", keep, other, "--yes").stdout
    rolo("sync")
    assert [c["id"] for c in relm.store.contacts()] == [ids["king@example.com"]]
    assert rolo.json("show", other)["uid"] == keep


def test_merging_two_linked_contacts_goes_ahead_when_confirmed(rolo, relm):
    keep = rolo("add", "--name", "Ada King", "--email", "king@example.com").stdout.strip()
    other = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    _remote(rolo, relm)
    rolo("sync")
    assert "merged 1 contact" in rolo("merge", keep, other, input="y\n").stdout
    rolo("sync")
    assert [c["email"] for c in relm.store.contacts()] == ["king@example.com"]
