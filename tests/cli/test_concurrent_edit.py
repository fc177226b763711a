"""Two people editing one contact at once: the second save merges the first, and a field both changed is a
conflict entry naming who saved the other value, never a silent overwrite (issue 14).

Alice has the contact open in $EDITOR; while it is open, Bob (another process, `ROLO_AUTHOR=bob`) saves the
same contact. The editor here is a real program that runs Bob's `rolo edit` before it writes Alice's form.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import python_editor

ROLO = str(Path(sys.executable).with_name("rolo"))


def alice_edits_while_bob_saves(tmp_path: Path, book_path: Path, bob_sets: list[str], alice_replaces: dict) -> str:
    """An $EDITOR that first runs Bob's edit in another process, then makes Alice's changes to the form."""
    body = (
        "import subprocess, os\n"
        f"subprocess.run([{ROLO!r}, '--book', {str(book_path)!r}, 'edit', 'ada@example.com', "
        f"*{bob_sets!r}], check=True, env={{**os.environ, 'ROLO_AUTHOR': 'bob'}}, capture_output=True)\n"
        "text = p.read_text()\n"
        f"for old, new in {list(alice_replaces.items())!r}:\n"
        "    assert old in text, (old, text)\n"
        "    text = text.replace(old, new)\n"
        "p.write_text(text)\n"
    )
    return python_editor(tmp_path, body)


def test_two_editors_of_one_contact_make_a_conflict_not_an_overwrite(rolo, tmp_path, book_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Analyst", "--org", "Babbage & Co")
    editor = alice_edits_while_bob_saves(
        tmp_path, book_path, ["--set", "title=Countess", "--set", "org=Analytical Engines"],
        {"title: Analyst": "title: Mathematician", "nickname: ": "nickname: Enchantress of Numbers"})
    result = rolo("edit", "ada@example.com", env={"EDITOR": editor, "ROLO_AUTHOR": "alice"})
    assert "was changed while you edited it (revision 2 by bob): kept yours for title" in result.stderr

    shown = rolo.json("show", "ada@example.com")
    assert shown["title"] == "Mathematician"  # Alice's value, typed last
    assert shown["nickname"] == "Enchantress of Numbers"  # Alice's other change
    assert shown["organization"] == "Analytical Engines"  # Bob's change to a field Alice left alone

    (conflict,) = rolo.json("conflicts")
    assert (conflict["remote"], conflict["field"], conflict["local"], conflict["remote_value"], conflict["kept"]) == (
        "edit", "title", "Mathematician", "Countess", "local")
    assert "by bob" in json.dumps(conflict)

    history = rolo("history").stdout
    assert "by bob" in history and "by alice" in history
    resolved = rolo("conflicts", "resolve", str(conflict["id"]), "--take", "remote").stdout
    assert "set title to the value of revision 2 by bob" in resolved
    assert rolo.json("show", "ada@example.com")["title"] == "Countess"


def test_an_edit_with_nobody_else_saving_logs_nothing(rolo, tmp_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Analyst")
    editor = python_editor(tmp_path, "p.write_text(p.read_text().replace('title: Analyst', 'title: Countess'))")
    result = rolo("edit", "ada@example.com", env={"EDITOR": editor})
    assert "changed while you edited" not in result.stderr
    assert rolo.json("conflicts") == []
    assert rolo.json("show", "ada@example.com")["title"] == "Countess"


def test_a_both_sides_conflict_cannot_be_kept_twice(rolo, tmp_path, book_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--title", "Analyst")
    editor = alice_edits_while_bob_saves(tmp_path, book_path, ["--set", "title=Countess"],
                                         {"title: Analyst": "title: Mathematician"})
    rolo("edit", "ada@example.com", env={"EDITOR": editor})
    (conflict,) = rolo.json("conflicts")
    error = rolo.fails("conflicts", "resolve", str(conflict["id"]), "--take", "both")
    assert "between two edits" in error
