"""`rolo edit`: in $EDITOR (a real program run by click.edit) and with options for scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import python_editor


def _editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that rewrites the file with a Python snippet (`text` in, `text` out)."""
    return python_editor(tmp_path, f"text = p.read_text()\n{body}\np.write_text(text)")


@pytest.fixture
def ada(rolo):
    return rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--phone", "+1 415 555 0100",
                "--label", "math").stdout.strip()


def test_editor_changes_are_applied(rolo, ada, tmp_path):
    editor = _editor(tmp_path, (
        "text = text.replace('title: ', 'title: Countess')\n"
        "text = text.replace('email: ada@example.com *', 'email: [work] ada@example.com *\\nemail: [home] a@home.example')\n"
        "text = text.replace('label: math', 'label: math\\nlabel: history')\n"
        "text = text.replace('notes: ', 'notes: line one\\n  line two')"
    ))
    result = rolo("edit", ada, env={"EDITOR": editor})
    assert "saved Ada Lovelace" in result.stdout
    data = rolo.json("show", ada)
    assert data["title"] == "Countess"
    assert [(e["address"], e["label"]) for e in data["emails"]] == [("ada@example.com", "work"),
                                                                  ("a@home.example", "home")]
    assert data["labels"] == ["history", "math"]
    assert data["notes"] == "line one\nline two"
    assert data["revision"] == 2


def test_editor_invalid_result_can_be_aborted_with_nothing_written(rolo, ada, tmp_path):
    editor = _editor(tmp_path, "text = text.replace('birthday: ', 'birthday: 1815-13-45')")
    result = rolo("edit", ada, input="n\n", env={"EDITOR": editor}, ok=False)
    assert result.exit_code == 1
    assert "birthday" in result.stderr and "nothing changed" in result.stderr
    assert rolo.json("show", ada)["revision"] == 1


def test_editor_invalid_result_reopens_and_the_fix_is_saved(rolo, ada, tmp_path):
    # First pass writes a bad email, second pass (after "edit again? y") fixes it.
    editor = _editor(tmp_path, (
        "if n == 0:\n"
        "    text = text.replace('email: ada@example.com *', 'email: not an email')\n"
        "else:\n"
        "    assert '# ERROR:' in text\n"
        "    text = text.replace('email: not an email', 'email: fixed@example.com')"
    ))
    rolo("edit", ada, input="y\n", env={"EDITOR": editor})
    assert [e["address"] for e in rolo.json("show", ada)["emails"]] == ["fixed@example.com"]


def test_editor_without_changes_writes_nothing(rolo, ada, tmp_path):
    result = rolo("edit", ada, env={"EDITOR": _editor(tmp_path, "")})
    assert "no changes" in result.stdout
    assert rolo.json("show", ada)["revision"] == 1


def test_scripted_edit_options(rolo, ada):
    rolo("field", "define", "met_at", "--type", "text")
    data = rolo.json("edit", ada, "--set", "title=Countess", "--set", "met_at=Royal Society",
                     "--add-email", "home:ada@home.example", "--rm-email", "ADA@example.com",
                     "--add-phone", "work:020 7946 0000", "--rm-phone", "(415) 555-0100",
                     "--add-url", "https://ada.example", "--set", "starred=yes")
    assert data["title"] == "Countess" and data["starred"] is True
    assert data["custom_fields"] == {"met_at": "Royal Society"}
    assert [e["address"] for e in data["emails"]] == ["ada@home.example"]
    assert [p["number"] for p in data["phones"]] == ["020 7946 0000"]
    assert [u["url"] for u in data["urls"]] == ["https://ada.example"]
    assert rolo.json("edit", ada, "--set", "title=")["title"] is None


def test_scripted_edit_errors_leave_the_contact_unchanged(rolo, ada):
    assert "has no email" in rolo.fails("edit", ada, "--rm-email", "other@example.com")
    assert "no custom field named 'nope'" in rolo.fails("edit", ada, "--set", "nope=1")
    assert "expects NAME=VALUE" in rolo.fails("edit", ada, "--set", "title")
    assert rolo.json("show", ada)["revision"] == 1


def test_formatted_name_follows_name_parts_unless_set(rolo, ada):
    assert rolo.json("edit", ada, "--set", "family=King")["formatted_name"] == "Ada King"
    assert rolo.json("edit", ada, "--set", "name=Countess of Lovelace")["formatted_name"] == "Countess of Lovelace"
    assert rolo.json("edit", ada, "--set", "given=Augusta")["formatted_name"] == "Countess of Lovelace"


def test_editor_shows_dates_and_relationships_and_takes_changes(rolo, ada, tmp_path):
    william = rolo("add", "--name", "William King").stdout.strip()
    rolo("relate", ada, "spouse", william)
    rolo("relate", ada, "parent", "--name", "Anne Milbanke")
    rolo("edit", ada, "--add-date", "anniversary=1835-07-08")
    editor = _editor(tmp_path, (
        "assert 'date: [anniversary] 1835-07-08' in text and 'related: [spouse] William King' in text\n"
        "text = text.replace('date: [anniversary] 1835-07-08', 'date: [anniversary] 1835-07-09\\ndate: [first paper] --10-01')\n"
        "text = text.replace('related: [parent] Anne Milbanke\\n', '')"
    ))
    rolo("edit", ada, env={"EDITOR": editor})
    data = rolo.json("show", ada)
    assert data["dates"] == [{"label": "anniversary", "value": "1835-07-09"}, {"label": "first paper", "value": "--10-01"}]
    assert data["related"] == [{"kind": "spouse", "uid": william, "name": "William King"}]  # its uid kept
    bad = _editor(tmp_path, "text = text.replace('date: [anniversary] 1835-07-09', 'date: [anniversary] someday')")
    assert "not a date" in rolo("edit", ada, env={"EDITOR": bad}, input="n\n", ok=False).output
