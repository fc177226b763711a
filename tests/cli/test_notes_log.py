"""The notes log is part of the contact: shown, edited, removed, exported and imported back (issue 10)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import Rolo


@pytest.fixture
def ada(rolo):
    return rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--note", "Card note").stdout.strip()


def _log(rolo, ref):
    return rolo.json("show", ref)["log"]


def test_show_lists_the_five_newest_notes_and_how_to_see_the_rest(rolo, ada):
    for n in range(1, 8):
        rolo("note", "add", ada, f"entry number{n}")
    out = rolo("show", ada).stdout
    assert all(f"entry number{n}" in out for n in range(3, 8))
    assert "number1" not in out and "number2" not in out
    assert out.index("number7") < out.index("number3")  # newest first
    assert f"… 2 more: rolo note list {ada}" in out
    assert "Card note" in out  # the card's own NOTE is still shown, apart from the log


def test_show_without_notes_has_no_log_lines(rolo, ada):
    out = rolo("show", ada).stdout
    assert "Log" not in out and "more:" not in out


def test_show_json_carries_the_whole_log_oldest_first_and_list_json_does_not(rolo, ada):
    rolo("note", "add", ada, "first")
    rolo("note", "add", ada, "second")
    shown = rolo.json("show", ada)
    assert [set(e) for e in shown["log"]] == [{"id", "at", "text", "source", "kind", "local_only"}] * 2
    assert [(e["text"], e["source"]) for e in shown["log"]] == [("first", None), ("second", None)]
    assert all(e["at"].endswith("Z") and isinstance(e["id"], int) for e in shown["log"])
    assert shown["notes"] == "Card note"
    ids = [n["id"] for n in rolo.json("note", "list", ada)]
    assert [e["id"] for e in shown["log"]] == ids
    (listed,) = rolo.json("list")
    (found,) = rolo.json("search", "ada")
    assert "log" not in listed and "log" not in found
    # show --json adds the log and the links other contacts hold to this one (`related_by`, derived)
    assert {k: v for k, v in shown.items() if k not in ("log", "related_by")} == listed == found


def test_note_edit_changes_the_text_and_reindexes(rolo, ada):
    rolo("note", "add", ada, "Lunch at the Savoy")
    (entry,) = _log(rolo, ada)
    assert [c["uid"] for c in rolo.json("search", "note:savoy")] == [ada]
    rolo("note", "edit", str(entry["id"]), "Dinner", "at the Ritz")
    (edited,) = _log(rolo, ada)
    assert edited == {**entry, "text": "Dinner at the Ritz"}
    assert rolo.json("search", "note:savoy") == []
    assert [c["uid"] for c in rolo.json("search", "note:ritz")] == [ada]


def test_note_rm_removes_one_entry_and_reindexes(rolo, ada):
    rolo("note", "add", ada, "keep this")
    rolo("note", "add", ada, "drop zeppelin")
    drop = _log(rolo, ada)[1]["id"]
    assert [c["uid"] for c in rolo.json("search", "zeppelin")] == [ada]
    assert "not removed" in rolo.fails("note", "rm", str(drop), input="n\n")
    assert len(_log(rolo, ada)) == 2
    rolo("note", "rm", str(drop), "--yes")
    assert [e["text"] for e in _log(rolo, ada)] == ["keep this"]
    assert rolo.json("search", "zeppelin") == []
    assert rolo("note", "rm", str(_log(rolo, ada)[0]["id"]), input="y\n").exit_code == 0
    assert _log(rolo, ada) == []


def test_unknown_note_id_and_empty_text_are_one_line_errors(rolo, ada):
    rolo("note", "add", ada, "something")
    (entry,) = _log(rolo, ada)
    assert "no note with id 999" in rolo.fails("note", "edit", "999", "x")
    assert "no note with id 999" in rolo.fails("note", "rm", "999", "--yes")
    assert "no note with id 999" in rolo.fails("note", "rm", "999")
    assert "empty" in rolo.fails("note", "edit", str(entry["id"]), "  ")
    assert "empty" in rolo.fails("note", "edit", str(entry["id"]), "-", input="\n\n")
    assert _log(rolo, ada) == [entry]


def test_note_add_dash_reads_standard_input(rolo, ada):
    rolo("note", "add", ada, "-", input="Called about the conference\nshe will come\n")
    assert [e["text"] for e in _log(rolo, ada)] == ["Called about the conference\nshe will come"]
    assert "empty" in rolo.fails("note", "add", ada, "-", input="  \n")
    assert len(_log(rolo, ada)) == 1
    (entry,) = _log(rolo, ada)
    rolo("note", "edit", str(entry["id"]), "-", input="from a pipe\n")
    assert _log(rolo, ada)[0]["text"] == "from a pipe"


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_export_then_import_into_a_new_book_keeps_the_log(rolo, ada, tmp_path, version):
    rolo("note", "add", ada, "Lunch; she is moving to Paris, in May")
    rolo("note", "add", ada, "-", input="two\nlines \\ and a backslash\n")
    before = _log(rolo, ada)
    out = tmp_path / "out.vcf"
    rolo("export", "-o", str(out), "--vcard-version", version)
    text = out.read_text()
    assert text.count("X-ROLO-LOG;") == 2 and text.count("NOTE:") == 1
    other = Rolo(tmp_path / "other.db")
    assert other.json("import", str(out))["created"] == 1
    after = _log(other, ada)
    assert [(e["at"], e["text"]) for e in after] == [(e["at"], e["text"]) for e in before]
    assert other.json("show", ada)["notes"] == "Card note"  # the card's NOTE is not mixed with the log
    assert [c["uid"] for c in other.json("search", "note:paris")] == [ada]
    # importing the same file again, or an export of the new book, adds nothing
    other("import", str(out))
    again = tmp_path / "again.vcf"
    other("export", "-o", str(again), "--vcard-version", version)
    other("import", str(again))
    rolo("import", str(again))
    assert _log(other, ada) == after
    assert [(e["at"], e["text"]) for e in _log(rolo, ada)] == [(e["at"], e["text"]) for e in before]


def test_reimport_into_the_same_book_does_not_duplicate(rolo, ada, tmp_path):
    rolo("note", "add", ada, "met at the Royal Society")
    out = tmp_path / "out.vcf"
    rolo("export", "-o", str(out))
    report = rolo.json("import", str(out))
    assert report["unchanged"] == 1
    rolo("import", str(out))
    assert [e["text"] for e in _log(rolo, ada)] == ["met at the Royal Society"]
    # an entry edited in the book stays as edited; one added to the file comes in once
    (entry,) = _log(rolo, ada)
    rolo("note", "edit", str(entry["id"]), "met at the Royal Institution")
    extra = "X-ROLO-LOG;X-AT=2026-01-02T03:04:05Z:a new one\r\nEND:VCARD"
    out.write_text(out.read_text().replace("END:VCARD", extra))
    rolo("import", str(out))
    rolo("import", str(out))
    assert [e["text"] for e in _log(rolo, ada)] == ["a new one", "met at the Royal Institution"]


def test_json_and_csv_exports_carry_the_log(rolo, ada):
    rolo("note", "add", ada, "first")
    rolo("note", "add", ada, "-", input="second\nline\n")
    (data,) = json.loads(rolo("export", "--format", "json").stdout)
    assert [e["text"] for e in data["log"]] == ["first", "second\nline"]
    assert data == {k: v for k, v in rolo.json("show", ada).items() if k != "related_by"}
    (row,) = csv.DictReader(io.StringIO(rolo("export", "--format", "csv").stdout))
    lines = row["log"].splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == ["first", "second line"]
    assert row["notes"] == "Card note"
