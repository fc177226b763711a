"""History and undo (issue 10), through the CLI on real book files: every write is a change set that
`rolo history` lists and `rolo undo` reverts, as a change set of its own."""

from __future__ import annotations

import json
from pathlib import Path

from rolo.adapters.relm.emulator import RelmEmulator


def _last_change(rolo, ref: str | None = None) -> dict:
    return rolo.json("history", *([ref] if ref else []))[0]


def test_history_lists_every_write_with_its_command_and_fields_before_and_after(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math").stdout.strip()
    rolo("edit", uid, "--set", "title=Countess")
    rolo("note", "add", uid, "lunch on Friday")

    entries = rolo.json("history")
    assert [e["ops"] for e in entries] == [{"note": 1}, {"updated": 1}, {"created": 1}]
    edit = entries[1]
    assert edit["actor"] == "person" and edit["command"].endswith(f"edit {uid} --set title=Countess")
    (change,) = edit["changes"]
    assert change["uid"] == uid and change["fields"] == {"title": {"before": None, "after": "Countess"}}
    assert entries[0]["changes"][0]["note"]["after"]["text"] == "lunch on Friday"

    text = rolo("show", uid, "--history").stdout
    assert "title: (none) → Countess" in text and "note added: lunch on Friday" in text
    assert rolo.json("show", uid, "--history") == rolo.json("history", uid)


def test_undo_reverts_the_last_change_and_an_undo_can_be_undone(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    before = rolo.json("show", uid)
    rolo("edit", uid, "--set", "title=Countess", "--add-phone", "+44 20 7946 0000")

    preview = rolo("undo", "--dry-run").stdout
    assert "would revert: Ada Lovelace: phones, title" in preview
    assert rolo.json("show", uid)["title"] == "Countess"  # a dry run changes nothing

    out = rolo("undo").stdout
    assert "undid change 2 as change 3" in out
    assert rolo.json("show", uid) == before  # fields, revision and time: as if the edit never happened

    rolo("undo", "3")  # redo
    assert rolo.json("show", uid)["title"] == "Countess"
    assert _last_change(rolo)["undoes"] == 3


def test_repeated_undos_walk_back_and_stop_with_a_clear_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("edit", "ada@example.com", "--set", "title=Countess")
    rolo("undo")
    rolo("undo")
    assert rolo.json("list") == []
    assert rolo.fails("undo") == "Error: nothing to undo (hint: rolo history lists what changed)"
    assert rolo.fails("undo", "99") == "Error: no change 99 (hint: rolo history lists the change ids)"
    assert "already undone by change 3" in rolo.fails("undo", "2")


def test_a_field_changed_again_since_is_a_conflict_reported_and_kept(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    rolo("edit", uid, "--set", "title=Countess", "--set", "org=Analytical Engines")
    first = _last_change(rolo)["id"]
    rolo("edit", uid, "--set", "title=Mathematician")

    result = rolo("undo", str(first), ok=False)
    assert result.exit_code == 3
    assert "conflict: Ada Lovelace: title: changed since: kept 'Mathematician'" in result.stdout
    contact = rolo.json("show", uid)
    assert contact["title"] == "Mathematician" and contact["organization"] is None


def test_undo_of_rm_brings_the_contact_back_from_the_trash(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    rolo("rm", uid, "--yes")
    assert rolo.json("list") == []
    rolo("undo")
    assert [c["uid"] for c in rolo.json("list")] == [uid]
    assert rolo.json("trash") == []


def test_undo_of_a_label_rename(rolo):
    a = rolo("add", "--name", "Ada", "--email", "ada@example.com", "--label", "math").stdout.strip()
    b = rolo("add", "--name", "Bob", "--email", "bob@example.com", "--label", "math", "--label", "vip").stdout.strip()
    rolo("label", "rename", "math", "maths")
    rolo("undo")
    assert rolo.json("show", a)["labels"] == ["math"]
    assert rolo.json("show", b)["labels"] == ["math", "vip"]


def test_undo_of_a_merge_brings_back_both_contacts_as_they_were(rolo):
    keep = rolo("add", "--name", "Jon Smith", "--email", "jon@example.com", "--title", "Engineer").stdout.strip()
    other = rolo("add", "--name", "Jonathan Smith", "--email", "js@work.example", "--label", "climbing").stdout.strip()
    before = rolo.json("list")
    rolo("merge", keep, other, "--yes")
    assert len(rolo.json("list")) == 1

    out = rolo("undo").stdout
    assert "restored" in out
    after = rolo.json("list")
    assert [c["uid"] for c in after] == [c["uid"] for c in before]
    keep_now = next(c for c in after if c["uid"] == keep)
    assert [e["address"] for e in keep_now["emails"]] == ["jon@example.com"] and keep_now["labels"] == []
    assert rolo.json("show", other)["uid"] == other  # its uid names it again, not KEEP
    assert rolo.json("show", other)["log"] == []  # the merge's notes-log entries are gone from KEEP too
    assert rolo.json("show", keep)["log"] == []


def _cards(count: int, start: int = 0) -> str:
    return "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bulk-{n:05d}\r\nFN:Person {n}\r\nN:{n};Person;;;\r\n"
        f"EMAIL:person{n}@example.com\r\nTEL;TYPE=cell:+1 415 555 {n % 10000:04d}\r\n"
        f"CATEGORIES:bulk\r\nEND:VCARD\r\n" for n in range(start, start + count))


def test_undo_of_a_1000_contact_import_leaves_list_json_byte_for_byte_as_before(rolo, tmp_path: Path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    rolo("note", "add", "ada@example.com", "met at the archive")
    cards = tmp_path / "bulk.vcf"
    cards.write_text(_cards(100))
    rolo("import", str(cards))  # 100 contacts from this file already
    rolo("edit", "bulk-00007", "--set", "title=Edited in rolo")
    listing_before = rolo("list", "--json").stdout
    # the file again, its 100 cards changed (a new label) and 900 more: 1,000 contacts touched
    cards.write_text(_cards(1000).replace("CATEGORIES:bulk", "CATEGORIES:bulk,2026"))

    rolo("import", str(cards))
    assert len(json.loads(rolo("list", "--json").stdout)) == 1001
    entry = _last_change(rolo)
    assert entry["ops"] == {"created": 900, "updated": 100} and entry["command"].endswith(f"import {cards}")
    assert rolo.json("show", "bulk-00007")["title"] == "Edited in rolo"  # merged, not overwritten

    rolo("undo")
    assert rolo("list", "--json").stdout == listing_before
    assert rolo("search", "2026").stdout.count("Person") == 0

    rolo("undo", str(_last_change(rolo)["id"]))  # and back again
    assert len(json.loads(rolo("list", "--json").stdout)) == 1001
    assert rolo.json("show", "bulk-00042")["labels"] == ["2026", "bulk"]


# -- a sync run ------------------------------------------------------------------------------------------
def test_undo_of_a_sync_run_reverts_the_pulled_change_and_the_next_sync_sends_it_back(rolo, relm: RelmEmulator):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    (record,) = relm.store.contacts()
    relm.store.update_contact(record["id"], last_name="King")
    rolo("sync")
    assert rolo.json("show", uid)["family_name"] == "King"

    run = _last_change(rolo)
    assert run["actor"] == "sync" and run["source"].startswith("work run ")
    assert run["changes"][0]["fields"]["family_name"] == {"before": "Lovelace", "after": "King"}
    # `rolo undo` without an id never picks a sync run: the last person-made change is the add, and
    # deleting a contact changed since is a conflict
    preview = rolo("undo", "--dry-run", ok=False)
    assert preview.exit_code == 3 and "dry run: change 1 not undone" in preview.stdout
    assert "(created): changed since by change 2 (family_name, formatted_name): not deleted" in preview.stdout

    rolo("undo", str(run["id"]))
    assert rolo.json("show", uid)["family_name"] == "Lovelace"
    rolo("sync")
    assert relm.store.contacts()[0]["last_name"] == "Lovelace"


def test_undo_of_a_merge_after_resolve_both_gives_the_remote_record_back_to_the_twin(rolo, relm: RelmEmulator):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    rolo("edit", "ada@example.com", "--set", "family=King")
    (record,) = relm.store.contacts()
    relm.store.update_contact(record["id"], last_name="Byron")
    rolo("sync")
    (conflict,) = rolo.json("conflicts")
    both = rolo.json("conflicts", "resolve", str(conflict["id"]), "--take", "both")
    rolo("sync")
    rolo("merge", both["uid"], both["duplicate_uid"])

    rolo("undo")  # the merge
    assert sorted(p["family_name"] for p in rolo.json("list")) == ["Byron", "King"]
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"
    assert [(c["id"], c["last_name"]) for c in relm.store.contacts()] == [(record["id"], "Byron")]


def test_undo_of_an_import_that_brought_a_trashed_contact_back_puts_it_back_as_it_was(rolo, tmp_path: Path):
    card = tmp_path / "ada.vcf"
    card.write_text("BEGIN:VCARD\nVERSION:3.0\nUID:ada-1\nFN:Ada Lovelace\nEMAIL:ada@example.com\nEND:VCARD\n")
    rolo("import", str(card))
    rolo("rm", "ada-1", "--yes")
    card.write_text(card.read_text().replace("END:VCARD", "TITLE:Countess\nEND:VCARD"))
    rolo("import", str(card))
    assert rolo.json("show", "ada-1")["title"] == "Countess"

    rolo("undo")
    assert rolo.json("list") == []
    rolo("restore", "ada-1")
    assert rolo.json("show", "ada-1")["title"] is None
