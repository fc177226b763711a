"""`rolo edit` never saves a contact emptied of its name, organization, emails and phones (issue 10), and an
editor that deletes or garbles the file is an abort with one line, with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import python_editor


def _editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR running a Python snippet on the file `p` (`n`: how many times it ran before)."""
    return python_editor(tmp_path, body)


@pytest.fixture
def ada(rolo):
    return rolo("add", "--name", "Ada Lovelace", "--org", "Analytical Engines", "--email", "ada@example.com",
                "--phone", "+1 415 555 0100", "--label", "math").stdout.strip()


def _unchanged(rolo, uid):
    data = rolo.json("show", uid)
    assert data["revision"] == 1 and data["formatted_name"] == "Ada Lovelace"
    assert [e["address"] for e in data["emails"]] == ["ada@example.com"] and data["labels"] == ["math"]


@pytest.mark.parametrize("body", [
    "p.write_text('')",
    "p.write_text(''.join(l for l in p.read_text().splitlines(True) if l.startswith('#')))",
    "p.write_text(''.join(l for l in p.read_text().splitlines(True)"
    " if not l.startswith(('formatted_name', 'given_name', 'family_name', 'organization', 'email', 'phone'))))",
], ids=["empty file", "only comments left", "every identifying line removed"])
def test_an_emptied_form_is_refused_and_abort_writes_nothing(rolo, ada, tmp_path, body):
    result = rolo("edit", ada, input="n\n", env={"EDITOR": _editor(tmp_path, body)}, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "a contact needs a name, an organization, an email or a phone" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: edit abandoned, nothing changed")
    _unchanged(rolo, ada)


def test_an_emptied_form_reopens_with_the_error_over_the_original_form(rolo, ada, tmp_path):
    editor = _editor(tmp_path, (
        "if n == 0:\n"
        "    p.write_text('')\n"
        "else:\n"
        "    text = p.read_text()\n"
        "    assert text.startswith('# ERROR: a contact needs a name'), text\n"
        "    assert 'email: ada@example.com *' in text  # the form to fix, not an empty file\n"
        "    p.write_text(text.replace('title: ', 'title: Countess'))"
    ))
    rolo("edit", ada, input="y\n", env={"EDITOR": editor})
    data = rolo.json("show", ada)
    assert data["title"] == "Countess" and data["revision"] == 2 and data["emails"][0]["address"] == "ada@example.com"


def test_a_form_with_only_an_email_or_a_phone_is_enough(rolo, ada, tmp_path):
    keep_phone = _editor(tmp_path, (
        "p.write_text(''.join(l for l in p.read_text().splitlines(True)"
        " if not l.startswith(('formatted_name', 'given_name', 'family_name', 'organization', 'email'))))"
    ))
    rolo("edit", ada, env={"EDITOR": keep_phone})
    data = rolo.json("show", ada)
    assert data["emails"] == [] and data["phones"][0]["e164"] == "+14155550100" and data["revision"] == 2


@pytest.mark.parametrize("body", [
    "p.unlink()",
    "p.unlink(); p.mkdir()",
    "p.write_bytes(b'\\xff\\xfe\\x00bad')",
], ids=["deleted", "replaced by a folder", "not text"])
def test_an_editor_that_deletes_or_garbles_the_file_aborts_with_one_line(rolo, ada, tmp_path, body):
    result = rolo("edit", ada, input="n\n", env={"EDITOR": _editor(tmp_path, body)}, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: edit abandoned, nothing changed"), result.stderr
    _unchanged(rolo, ada)


@pytest.mark.parametrize("options", [
    ("--set", "name=", "--set", "given=", "--set", "family=", "--set", "org=", "--rm-email", "ada@example.com",
     "--rm-phone", "415 555 0100"),
    ("--set", "name=", "--set", "given=", "--set", "family=", "--set", "org=", "--rm-email", "ada@example.com",
     "--rm-phone", "+14155550100", "--set", "title=Countess"),
], ids=["everything removed", "everything removed but a title set"])
def test_scripted_options_that_would_empty_a_contact_are_refused(rolo, ada, options):
    error = rolo.fails("edit", ada, *options)
    assert "a contact needs a name, an organization, an email or a phone" in error
    _unchanged(rolo, ada)


def test_scripted_options_may_remove_all_but_one_identifying_value(rolo, ada):
    data = rolo.json("edit", ada, "--set", "name=", "--set", "given=", "--set", "family=", "--set", "org=",
                     "--rm-email", "ada@example.com")
    assert data["phones"][0]["e164"] == "+14155550100" and data["revision"] == 2
