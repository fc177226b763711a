"""A REF that is a name or a search term (issue 11): one match acts, several are a numbered picker on a
terminal (driven here through a real pseudo-terminal) and an error listing the candidates in a script."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROLO = Path(sys.executable).parent / "rolo"


@pytest.fixture
def people(rolo):
    """Two Zoes and two Ann Lee-ish contacts; returns their uids by name."""
    uids = {}
    for name, email in (("Zoë Hart", "zoe@hart.example"), ("Zoe Baker", "zoe@baker.example"),
                        ("Ann Lee", "ann@lee.example"), ("Ann Leeds", "ann@leeds.example")):
        uids[name] = rolo("add", "--name", name, "--email", email).stdout.strip()
    return uids


def test_a_name_or_search_term_naming_one_contact_acts(rolo, people):
    assert rolo.json("show", "hart")["uid"] == people["Zoë Hart"]
    assert rolo.json("show", "Zoë Hart")["uid"] == people["Zoë Hart"]
    assert rolo.json("show", "zoe hart")["uid"] == people["Zoë Hart"]  # accents and case fold
    assert rolo.json("show", "email:zoe@baker.example")["uid"] == people["Zoe Baker"]
    # "Ann Lee" is also a prefix of "Ann Leeds": the one whole-name match wins
    assert rolo.json("show", "Ann Lee")["uid"] == people["Ann Lee"]
    rolo("edit", "Zoë Hart", "--set", "title=Actor")
    assert rolo.json("show", people["Zoë Hart"])["title"] == "Actor"


def test_forms_that_worked_before_still_win_over_names(rolo, people):
    # a contact whose *name* is another contact's email must not steal that email's REF
    rolo("add", "--name", "ann@lee.example fan", "--org", "Fans")
    assert rolo.json("show", "ann@lee.example")["uid"] == people["Ann Lee"]
    assert rolo.json("show", people["Zoe Baker"][:8])["uid"] == people["Zoe Baker"]


def test_several_matches_in_a_script_are_an_error_listing_them_and_nothing_is_written(rolo, people):
    before = rolo.json("history")
    result = rolo("edit", "zoe", "--set", "title=X", ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == ("Error: 'zoe' matches 2 contacts; name one by its uid or email (on a terminal, choose "
                        "from a list):")
    assert sorted(lines[1:]) == sorted([f"  Zoe Baker  zoe@baker.example  {people['Zoe Baker']}",
                                        f"  Zoë Hart  zoe@hart.example  {people['Zoë Hart']}"])
    assert rolo.json("history") == before
    shown = rolo("show", "zoe", "--json", ok=False)
    assert shown.exit_code == 2 and shown.stdout == ""  # --json: nothing but JSON on stdout, so nothing


def test_a_name_matching_nothing_fails_as_before(rolo, people):
    assert rolo.fails("show", "nobody") == "Error: no contact matches 'nobody'"
    assert rolo.fails("show", "xyz") == "Error: no contact matches 'xyz' (hint: a uid prefix needs 6+ characters)"
    assert rolo.fails("show", "!!!").startswith("Error: no contact matches '!!!'")


def test_rm_takes_several_refs_in_one_change_and_is_all_or_nothing(rolo, people):
    assert rolo.fails("rm", "nobody1", "Ann Lee", "nobody2", "--yes") == (
        "Error: no contact matches 'nobody1', 'nobody2' (2 of 3 REFs); nothing changed")
    assert rolo.fails("rm", "Ann Lee", "nobody", "--yes") == "Error: no contact matches 'nobody'; nothing changed"
    assert rolo.fails("rm", "Ann Lee", "zoe", "--yes", code=2)  # ambiguous: nothing deleted either
    assert len(rolo.json("list")) == 4
    out = rolo("rm", "Ann Lee", "hart", "zoe@baker.example", "ann@lee.example", "--yes").stdout
    assert out.splitlines() == [f"deleted Ann Lee ({people['Ann Lee']})", f"deleted Zoë Hart ({people['Zoë Hart']})",
                                f"deleted Zoe Baker ({people['Zoe Baker']})"]
    assert [c["formatted_name"] for c in rolo.json("list")] == ["Ann Leeds"]
    assert rolo.json("history")[0]["ops"] == {"deleted": 3}  # one change: one undo brings all three back
    rolo("undo")
    assert len(rolo.json("list")) == 4


# -- the picker, on a real terminal ----------------------------------------------------------------------------
class Terminal:
    """`rolo` run on a pseudo-terminal (stdin, stdout and stderr), as a person at a shell runs it."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([str(ROLO), *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                                        close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {pattern!r} on the terminal; it shows:\n{self.seen}"
            if select.select([self.master], [], [], remaining)[0]:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the program ended and closed the terminal
                    chunk = b""
                if not chunk:
                    assert re.search(pattern, self.seen), f"no {pattern!r}; the terminal showed:\n{self.seen}"
                    break
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return self.seen

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 30) -> int:
        """Wait for the program to end, keeping what it wrote; its exit status."""
        code = self.process.wait(timeout=timeout)
        try:
            while select.select([self.master], [], [], 0.2)[0]:
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        except OSError:  # Linux reports the closed terminal as EIO
            pass
        os.close(self.master)
        return code


@pytest.fixture
def terminal_env(rolo, rolo_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLO_")}
    return {**env, "ROLO_HOME": str(rolo_home), "ROLO_BOOK": str(rolo.book_path), "TERM": "dumb",
            "COLUMNS": "120"}


def test_on_a_terminal_several_matches_are_a_numbered_picker(rolo, people, terminal_env):
    term = Terminal("edit", "zoe", "--set", "title=Actor", env=terminal_env)
    shown = term.expect(r"Which one\? \[1-2, Enter or q: none\]")
    picks = dict(re.findall(r"^\s+(\d)\s+(Zo\S+ \S+)", shown, re.M))
    assert sorted(picks.values()) == ["Zoe Baker", "Zoë Hart"]
    term.type("7\n")  # out of range: asked again
    term.expect("type a number from 1 to 2")
    number = next(n for n, name in picks.items() if name == "Zoë Hart")
    term.type(f"{number}\n")
    assert term.finish() == 0, term.seen
    assert rolo.json("show", people["Zoë Hart"])["title"] == "Actor"
    assert rolo.json("show", people["Zoe Baker"])["title"] is None


@pytest.mark.parametrize("answer", ["\n", "q\n"], ids=["enter", "q"])
def test_enter_or_q_at_the_picker_aborts_with_nothing_written(rolo, people, terminal_env, answer):
    before = rolo.json("history")
    term = Terminal("rm", "zoe", "--yes", env=terminal_env)
    term.expect(r"Which one\?")
    term.type(answer)
    assert term.finish() == 1, term.seen
    assert "Error: no contact chosen for 'zoe'; nothing changed" in term.seen
    assert "Traceback" not in term.seen
    assert rolo.json("history") == before and len(rolo.json("list")) == 4


def test_a_shared_email_is_a_picker_on_a_terminal_too(rolo, terminal_env):
    one = rolo("add", "--name", "Pat One", "--email", "team@example.com").stdout.strip()
    rolo("add", "--name", "Pat Two", "--email", "team@example.com")
    term = Terminal("show", "team@example.com", env=terminal_env)
    shown = term.expect(r"Which one\?")
    number = re.search(r"^\s+(\d)\s+Pat One", shown, re.M).group(1)
    term.type(f"{number}\n")
    assert term.finish() == 0
    assert one in term.seen


def test_restore_finds_a_trashed_contact_by_name(rolo, people):
    rolo("rm", "zoe@hart.example", "zoe@baker.example", "Ann Lee", "--yes")
    error = rolo("restore", "zoe", ok=False)
    assert error.exit_code == 2 and error.stderr.splitlines()[0].startswith("Error: 'zoe' matches 2 contacts")
    assert rolo("restore", "zoe hart").stdout.startswith(f"restored Zoë Hart ({people['Zoë Hart']}")
    assert rolo.json("restore", "baker")["uid"] == people["Zoe Baker"]
    assert rolo.json("restore", "Ann Lee")["uid"] == people["Ann Lee"]
    assert rolo.fails("restore", "Ann Leeds") == (
        "Error: no contact in the trash matches 'Ann Leeds' (hint: rolo trash lists it)")


def test_a_name_matching_many_lists_the_first_twenty_and_says_there_are_more(rolo, tmp_path):
    cards = "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:sam-{i}\r\nFN:Sam Number{i}\r\nEND:VCARD\r\n" for i in range(25))
    (tmp_path / "sams.vcf").write_text(cards)
    rolo("import", str(tmp_path / "sams.vcf"))
    error = rolo("show", "sam", ok=False)
    lines = error.stderr.splitlines()
    assert error.exit_code == 2 and lines[0].startswith("Error: 'sam' matches more than 20 contacts; ")
    assert len(lines) == 21 and all(re.fullmatch(r"  Sam Number\d+  sam-\d+", line) for line in lines[1:])
    assert rolo.json("show", "Sam Number7")["uid"] == "sam-7"  # the whole name: one of them


def test_merge_takes_names(rolo):
    jon = rolo("add", "--name", "Jon Smith", "--email", "jon@example.com").stdout.strip()
    jonathan = rolo("add", "--name", "Jonathan Smith", "--email", "jonathan@example.com").stdout.strip()
    assert rolo("merge", "Jon Smith", "jon", "--yes", ok=False).exit_code == 2  # "jon": both of them
    rolo("merge", "Jon Smith", "Jonathan Smith", "--yes")
    merged = rolo.json("show", "Jon Smith")
    assert merged["uid"] == jon and {e["address"] for e in merged["emails"]} == {"jon@example.com",
                                                                                 "jonathan@example.com"}
    assert rolo.json("show", jonathan)["uid"] == jon
