"""The five ways issue 10 found a user's writing lost with exit 0, each replayed through the CLI on a real
book: after the fix the user's edits are still there, and `rolo undo` brings back the state before."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import python_editor

CARD = """BEGIN:VCARD
VERSION:3.0
UID:ada-0001
FN:Ada Lovelace
N:Lovelace;Ada;;;
EMAIL:ada@example.com
ORG:Analytical Engines
END:VCARD
"""


def _edit_in_rolo(rolo) -> None:
    rolo("edit", "ada-0001", "--set", "title=Countess", "--add-phone", "+44 20 7946 0123")
    rolo("label", "add", "ada-0001", "math")


def _edits(contact: dict) -> tuple:
    return contact["title"], [p["e164"] for p in contact["phones"]], contact["labels"]


EDITS = ("Countess", ["+442079460123"], ["math"])


def test_1_an_editor_that_saves_an_empty_file_changes_nothing(rolo, tmp_path: Path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Countess")
    before = rolo.json("show", "ada@example.com")
    editor = python_editor(tmp_path, "p.write_text('')")
    result = rolo("edit", "ada@example.com", env={"EDITOR": editor}, ok=False)
    assert result.exit_code == 1 and "a contact needs a name" in result.output
    assert rolo.json("show", "ada@example.com") == before
    assert [e["ops"] for e in rolo.json("history")] == [{"created": 1}]  # the refused edit is no change


def test_2_reimporting_the_file_a_contact_came_from_keeps_the_edits(rolo, tmp_path: Path):
    source = tmp_path / "ada.vcf"
    source.write_text(CARD)
    rolo("import", str(source))
    _edit_in_rolo(rolo)

    rolo("import", str(source))  # the same file: nothing changes
    assert _edits(rolo.json("show", "ada-0001")) == EDITS

    source.write_text(CARD.replace("ORG:Analytical Engines", "ORG:Difference Engines"))
    rolo("import", str(source))  # a changed card: its change comes in, the edits stay
    after = rolo.json("show", "ada-0001")
    assert _edits(after) == EDITS and after["organization"] == "Difference Engines"

    rolo("undo")
    before = rolo.json("show", "ada-0001")
    assert _edits(before) == EDITS and before["organization"] == "Analytical Engines"


def test_3_a_merge_then_importing_the_original_files_again(rolo, tmp_path: Path):
    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "ada.vcf").write_text(CARD)
    (folder / "other.vcf").write_text(CARD.replace("ada-0001", "ada-0002").replace("ada@example.com",
                                                                                    "ada@engines.example"))
    rolo("import", str(folder))
    rolo("merge", "ada-0001", "ada-0002")
    merged = rolo.json("show", "ada-0001")

    rolo("import", str(folder))
    assert [c["uid"] for c in rolo.json("list")] == ["ada-0001"]
    assert rolo.json("show", "ada-0001") == merged

    rolo("undo")  # the merge: both contacts back as they were
    assert sorted(c["uid"] for c in rolo.json("list")) == ["ada-0001", "ada-0002"]
    assert [e["address"] for e in rolo.json("show", "ada-0001")["emails"]] == ["ada@example.com"]


def test_5_the_notes_log_is_shown_exported_and_a_removed_note_comes_back_with_undo(rolo, tmp_path: Path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("note", "add", "ada@example.com", "Lunch; she is moving to Paris in May")
    assert "Lunch; she is moving to Paris in May" in rolo("show", "ada@example.com").stdout
    export = tmp_path / "out.vcf"
    rolo("export", "--output", str(export))
    assert "X-ROLO-LOG" in export.read_text()

    (entry,) = rolo.json("show", "ada@example.com")["log"]
    rolo("note", "rm", str(entry["id"]), "--yes")
    assert rolo.json("show", "ada@example.com")["log"] == []
    rolo("undo")
    (back,) = rolo.json("show", "ada@example.com")["log"]
    assert (back["at"], back["text"]) == (entry["at"], entry["text"])
    assert json.loads(rolo("search", "note:paris", "--json").stdout)[0]["formatted_name"] == "Ada Lovelace"
