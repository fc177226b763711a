"""Import merges, it does not overwrite (issue 10): each file (or the drop folder) keeps the cards it last
brought in as the base of a three-way merge, so a re-import keeps what was edited in rolo."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import raw_db
from rolo.core.book import Book
from rolo.plugins.watch.watcher import DropFolderWatcher

CARD = """BEGIN:VCARD
VERSION:3.0
UID:ada-0001
FN:Ada Lovelace
N:Lovelace;Ada;;;
EMAIL:ada@example.com
ORG:Analytical Engines
TITLE:Analyst
END:VCARD
"""
GRACE = """BEGIN:VCARD
VERSION:3.0
UID:grace-0002
FN:Grace Hopper
N:Hopper;Grace;;;
EMAIL:grace@navy.example
END:VCARD
"""


def _edit_in_rolo(rolo, uid: str = "ada-0001") -> None:
    rolo("edit", uid, "--set", "title=Countess", "--add-phone", "+44 20 7946 0123")
    rolo("label", "add", uid, "math")


def _edits(contact: dict) -> tuple:
    return contact["title"], [p["e164"] for p in contact["phones"]], contact["labels"]


EDITS = ("Countess", ["+442079460123"], ["math"])


def _report(rolo, *args: str) -> dict:
    report = rolo.json("import", *args)
    return {k: report[k] for k in ("created", "updated", "unchanged", "failed", "merged", "conflicts", "stale")}


def _counts(created=0, updated=0, unchanged=0, merged=0, conflicts=0, stale=0) -> dict:
    return {"created": created, "updated": updated, "unchanged": unchanged, "failed": 0, "merged": merged,
            "conflicts": conflicts, "stale": stale}


@pytest.fixture
def ada(rolo, tmp_path: Path) -> Path:
    """ada.vcf imported, then edited in rolo (title, a new phone, a label)."""
    source = tmp_path / "ada.vcf"
    source.write_text(CARD)
    rolo("import", str(source))
    _edit_in_rolo(rolo)
    return source


def test_reimporting_the_unchanged_file_keeps_the_edits(rolo, ada):
    assert _report(rolo, str(ada)) == _counts(unchanged=1)
    assert _edits(rolo.json("show", "ada-0001")) == EDITS


def test_a_changed_card_brings_its_changes_and_keeps_the_edits(rolo, ada):
    ada.write_text(CARD.replace("ORG:Analytical Engines", "ORG:Difference Engines")
                   .replace("EMAIL:ada@example.com", "EMAIL:ada@example.com\nURL:https://ada.example"))
    result = rolo("import", str(ada)).stdout
    assert result.strip() == "0 created, 1 updated, 0 unchanged, 0 failed; 1 merged with edits made in rolo"
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == EDITS
    assert (after["organization"], [u["url"] for u in after["urls"]]) == ("Difference Engines",
                                                                         ["https://ada.example"])
    assert rolo.json("conflicts") == []
    assert _report(rolo, str(ada)) == _counts(unchanged=1)  # the changed file, again: nothing more


def test_a_card_changing_only_what_the_book_did_not_is_taken_whole(rolo, tmp_path):
    source = tmp_path / "ada.vcf"
    source.write_text(CARD)
    rolo("import", str(source))
    source.write_text(CARD.replace("TITLE:Analyst", "TITLE:Mathematician"))
    assert _report(rolo, str(source)) == _counts(updated=1)
    assert rolo.json("show", "ada-0001")["title"] == "Mathematician"


def test_a_field_changed_on_both_sides_is_a_conflict_the_book_wins(rolo, ada):
    ada.write_text(CARD.replace("TITLE:Analyst", "TITLE:Mathematician").replace("ORG:Analytical Engines",
                                                                                "ORG:Difference Engines"))
    assert _report(rolo, str(ada)) == _counts(updated=1, merged=1, conflicts=1)
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == EDITS and after["organization"] == "Difference Engines"

    (conflict,) = rolo.json("conflicts")
    assert {k: conflict[k] for k in ("remote", "uid", "field", "local", "remote_value", "kept", "policy")} == {
        "remote": "import", "uid": "ada-0001", "field": "title", "local": "Countess",
        "remote_value": "Mathematician", "kept": "local", "policy": "local"}
    assert conflict["remote_id"] == f"{ada.resolve()}#ada-0001"
    listed = rolo("conflicts").stdout
    assert "import" in listed and "ada.vcf" in listed and "Countess" in listed and "Mathematician" in listed
    assert _report(rolo, str(ada)) == _counts(unchanged=1)  # the same file again: no second conflict
    assert len(rolo.json("conflicts")) == 1

    error = rolo.fails("conflicts", "resolve", str(conflict["id"]), "--take", "both")
    assert "imported card" in error and "take local or remote" in error
    assert rolo("conflicts", "resolve", str(conflict["id"]), "--take", "remote").stdout.strip() == (
        f"conflict {conflict['id']}: set title to the imported card's value")
    after = rolo.json("show", "ada-0001")
    assert after["title"] == "Mathematician" and after["labels"] == ["math"]
    assert rolo.json("conflicts") == []


def test_taking_the_book_value_of_an_import_conflict_changes_nothing(rolo, ada):
    ada.write_text(CARD.replace("TITLE:Analyst", "TITLE:Mathematician"))
    rolo("import", str(ada))
    (conflict,) = rolo.json("conflicts")
    before = rolo.json("show", "ada-0001")
    assert "nothing to change" in rolo("conflicts", "resolve", str(conflict["id"]), "--take", "local").stdout
    assert rolo.json("show", "ada-0001") == before


def _older(path: Path, hours: int = 1) -> None:
    """Make an export look as if made `hours` earlier (the book's times have one-second resolution, and
    the edits of a test come within the same second)."""
    def earlier(match: re.Match) -> str:
        moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return "REV:" + (moment - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    path.write_text(re.sub(r"REV:(\S+)", earlier, path.read_text()), newline="")


def test_importing_an_older_export_rolls_nothing_back(rolo, tmp_path):
    source = tmp_path / "cards.vcf"
    source.write_text(CARD + GRACE)
    rolo("import", str(source))
    export = tmp_path / "export.vcf"
    rolo("export", "-o", str(export))
    assert "REV:" in export.read_text()
    _older(export)
    _edit_in_rolo(rolo)
    rolo("edit", "grace-0002", "--set", "title=Rear Admiral")

    assert _report(rolo, str(export)) == _counts(unchanged=2, stale=2)
    assert _edits(rolo.json("show", "ada-0001")) == EDITS
    assert rolo.json("show", "grace-0002")["title"] == "Rear Admiral"
    assert rolo.json("conflicts") == []
    assert "2 stale: older than the book, not imported" in rolo("import", str(export)).stdout


def test_a_card_newer_than_the_book_with_no_base_wins_where_it_has_values(rolo, tmp_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Countess",
         "--note", "typed in rolo")
    uid = rolo.json("show", "ada@example.com")["uid"]
    card = CARD.replace("ada-0001", uid).replace("END:VCARD", "REV:20991231T000000Z\nEND:VCARD")
    (tmp_path / "newer.vcf").write_text(card)
    assert _report(rolo, str(tmp_path / "newer.vcf")) == _counts(updated=1, merged=1)
    after = rolo.json("show", uid)
    assert (after["title"], after["organization"], after["notes"]) == ("Analyst", "Analytical Engines",
                                                                      "typed in rolo")
    assert rolo.json("conflicts") == []


def test_a_card_with_no_base_and_no_rev_fills_gaps_and_the_book_wins_conflicts(rolo, tmp_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Countess")
    uid = rolo.json("show", "ada@example.com")["uid"]
    (tmp_path / "other.vcf").write_text(CARD.replace("ada-0001", uid))
    assert _report(rolo, str(tmp_path / "other.vcf")) == _counts(updated=1, merged=1, conflicts=1)
    after = rolo.json("show", uid)
    assert (after["title"], after["organization"]) == ("Countess", "Analytical Engines")
    assert [(c["field"], c["local"], c["remote_value"]) for c in rolo.json("conflicts")] == [
        ("title", "Countess", "Analyst")]


def test_overwrite_replaces_the_contact_with_the_card(rolo, ada):
    ada.write_text(CARD.replace("ORG:Analytical Engines", "ORG:Difference Engines"))
    assert _report(rolo, str(ada), "--overwrite") == _counts(updated=1)
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == ("Analyst", [], []) and after["organization"] == "Difference Engines"
    assert _report(rolo, str(ada)) == _counts(unchanged=1)


def test_a_trashed_contact_comes_back_as_the_card(rolo, ada):
    rolo("rm", "ada-0001", "--yes")
    ada.write_text(CARD.replace("ORG:Analytical Engines", "ORG:Difference Engines"))
    assert _report(rolo, str(ada)) == _counts(updated=1)
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == ("Analyst", [], []) and after["organization"] == "Difference Engines"


def test_bases_are_compact_a_copy_only_once_the_contact_changed(rolo, book_path, tmp_path):
    source = tmp_path / "cards.vcf"
    source.write_text(CARD + GRACE.replace("END:VCARD", "CATEGORIES:navy\nEND:VCARD"))
    rolo("import", str(source))

    def bases() -> dict:
        with raw_db(book_path) as db:
            return {uid: fields for uid, fields in db.execute("SELECT card_uid, fields FROM importbase")}

    assert bases() == {"ada-0001": None, "grace-0002": None}  # the contacts are the cards: no copy
    _edit_in_rolo(rolo)
    copied = bases()
    assert copied["grace-0002"] is None and '"title": "Analyst"' in copied["ada-0001"]
    rolo("label", "rename", "navy", "US Navy")
    assert '"labels": ["navy"]' in bases()["grace-0002"]  # the copy was taken before the rename

    source.write_text(CARD + GRACE.replace("END:VCARD", "CATEGORIES:navy\nTITLE:Rear Admiral\nEND:VCARD"))
    assert _report(rolo, str(source)) == _counts(unchanged=1, updated=1, merged=1)
    grace = rolo.json("show", "grace-0002")
    assert (grace["title"], grace["labels"]) == ("Rear Admiral", ["US Navy"])  # the rename stays


def _wait_for(condition, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_changed_copy_dropped_under_another_name_merges(rolo, book_path, tmp_path):
    drop = tmp_path / "Drop"
    drop.mkdir()
    rolo("init")  # the book exists before the watcher opens it
    events: list[dict] = []

    def imported() -> list[dict]:
        return [e for e in list(events) if e["event"] == "imported"]

    with Book(str(book_path), region="US") as book:  # a real watcher (inotify) in a thread, as `rolo watch`
        watcher = DropFolderWatcher(book, drop, log=events.append)
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        try:
            _wait_for(lambda: any(e["event"] == "watching" for e in list(events)), "the watcher to start")
            (drop / "ada.vcf").write_text(CARD)
            _wait_for(lambda: len(imported()) == 1, "the first file")
            _edit_in_rolo(rolo)
            (drop / "ada (1).vcf").write_text(CARD.replace("ORG:Analytical Engines", "ORG:Difference Engines"))
            _wait_for(lambda: len(imported()) == 2, "the changed copy")
        finally:
            stop.set()
            thread.join(timeout=15)
    assert not thread.is_alive()
    assert (imported()[1]["updated"], imported()[1]["unchanged"]) == (1, 0)
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == EDITS and after["organization"] == "Difference Engines"
    with raw_db(book_path) as db:
        assert [r[0] for r in db.execute("SELECT source FROM importbase")] == [f"folder:{drop.resolve()}"]


OTHER = CARD.replace("ada-0001", "ada-0002").replace("ada@example.com", "ada@engines.example").replace(
    "TITLE:Analyst", "TITLE:Engineer\nTEL:+44 20 7946 0999")


def test_a_merge_then_the_original_files_again_keeps_what_the_merge_gave(rolo, tmp_path):
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "ada.vcf").write_text(CARD)
    (folder / "other.vcf").write_text(OTHER)
    rolo("import", str(folder))
    rolo("merge", "ada-0001", "ada-0002")
    merged = rolo.json("show", "ada-0001")
    assert [e["address"] for e in merged["emails"]] == ["ada@example.com", "ada@engines.example"]

    assert _report(rolo, str(folder)) == _counts(unchanged=2)
    assert rolo.json("show", "ada-0001") == merged
    assert [c["uid"] for c in rolo.json("list")] == ["ada-0001"]

    # the merged-away contact's card changed: three-way against KEEP, with that file's base
    (folder / "other.vcf").write_text(OTHER.replace("END:VCARD", "BDAY:1815-12-10\nEND:VCARD"))
    assert _report(rolo, str(folder / "other.vcf")) == _counts(updated=1, merged=1)
    after = rolo.json("show", "ada-0001")
    assert after["birthday"] == "1815-12-10"
    assert {k: after[k] for k in ("emails", "phones", "title")} == {k: merged[k] for k in ("emails", "phones", "title")}
    assert [c["uid"] for c in rolo.json("list")] == ["ada-0001"]


def test_no_remote_may_be_named_import(rolo):
    error = rolo.fails("remote", "add", "import", "--adapter", "relm", "--url", "http://127.0.0.1:9",
                       "--token-env", "RELM_KEY")
    assert "reserved" in error
