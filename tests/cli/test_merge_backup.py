"""`rolo merge` keeps each number and email once, and copies the book first (issue 11)."""

from __future__ import annotations

import pytest

import json
import re
from pathlib import Path

from click.testing import CliRunner

from rolo.core.cli import cli

pytestmark = pytest.mark.sqlite_only("the copies of the book file made before a merge (a PostgreSQL book is pg_dump's)")


def _backups(book_path: Path) -> list[Path]:
    return sorted(book_path.parent.glob(f"{book_path.name}.backup-*"))


def test_merge_keeps_each_number_and_email_once_with_the_better_label(rolo):
    keep = rolo("add", "--name", "Jon Smith", "--email", "Jon@Example.com", "--phone", "+1 415 555 0142",
                "--phone", "home:+1 415 555 0199").stdout.strip()
    other = rolo("add", "--name", "Jonathan Smith", "--email", "home:jon@example.com", "--email", "js@work.example",
                 "--phone", "work:(415) 555-0142", "--phone", "+14155550199", "--phone", "mobile:415.555.0123"
                 ).stdout.strip()
    merged = rolo.json("merge", keep, other, "--no-backup")["contact"]
    assert [(p["e164"], p["label"], p["primary"]) for p in merged["phones"]] == [
        ("+14155550142", "work", True), ("+14155550199", "home", False), ("+14155550123", "mobile", False)]
    assert [p["number"] for p in merged["phones"]][:2] == ["+1 415 555 0142", "+1 415 555 0199"]  # KEEP's form
    assert [(e["address"], e["label"]) for e in merged["emails"]] == [
        ("Jon@Example.com", "home"), ("js@work.example", None)]
    assert rolo.json("show", keep)["phones"] == merged["phones"]


def test_merge_backs_up_the_book_first_and_says_where(rolo, book_path):
    keep = rolo("add", "--name", "Jon Smith", "--email", "jon@example.com").stdout.strip()
    other = rolo("add", "--name", "Jonathan Smith", "--email", "jon@example.com").stdout.strip()
    assert _backups(book_path) == []
    rolo("merge", keep, other, "--dry-run")
    assert _backups(book_path) == []  # a dry run writes nothing, not even a copy
    out = rolo("merge", keep, other).stdout
    (backup,) = _backups(book_path)
    assert f"backed up the book to {backup.absolute()}" in out.splitlines()[0]
    # the copy is the book before the merge: both contacts, readable by rolo
    before = json.loads(CliRunner().invoke(cli, ["--book", str(backup), "list", "--json"]).stdout)
    assert sorted(c["uid"] for c in before) == sorted([keep, other])
    assert [c["uid"] for c in rolo.json("list")] == [keep]


def test_merge_json_names_the_backup_and_no_backup_skips_it(rolo, book_path):
    uids = [rolo("add", "--name", f"Ann Lee {n}", "--email", "ann@example.com").stdout.strip() for n in range(3)]
    result = rolo.json("merge", uids[0], uids[1])
    (backup,) = _backups(book_path)
    assert result["backup"] == str(backup.absolute())
    assert re.search(r"\.backup-\w+-\d{8}T\d{6}Z", result["backup"])
    assert rolo.json("merge", uids[0], uids[2], "--no-backup")["backup"] is None
    assert len(_backups(book_path)) == 1


def test_a_merge_refused_makes_no_backup(rolo, book_path):
    keep = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    assert "already in this merge" in rolo.fails("merge", keep, "ada@example.com")
    assert "nobody@example.com" in rolo.fails("merge", keep, "nobody@example.com")
    assert _backups(book_path) == []
    assert rolo.json("show", keep)["revision"] == 1



def test_a_merge_declined_at_the_question_makes_no_backup(rolo, relm, book_path):
    keep = rolo("add", "--name", "Ada King", "--email", "king@example.com").stdout.strip()
    other = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")  # both linked: merging makes the next sync delete Ada Lovelace's record, so rolo asks
    refused = rolo("merge", keep, other, input="n\n", ok=False)
    assert refused.exit_code == 1 and "nothing merged" in refused.stderr
    assert _backups(book_path) == []
    assert "backed up the book to" in rolo("merge", keep, other, input="y\n").stdout
    assert len(_backups(book_path)) == 1


def test_only_the_newest_merge_copies_are_kept_and_rolo_backup_copies_never_go(rolo, book_path):
    """Each merge copies the whole book: merging duplicates one by one must not fill the disk."""
    rolo("init")
    asked = Path(rolo.json("backup")["backup"])
    made = []
    for n in range(5):
        keep = rolo("add", "--name", f"Ann Lee {n}", "--email", f"ann{n}@example.com").stdout.strip()
        other = rolo("add", "--name", f"Ann Lee {n}", "--email", f"ann{n}@example.com").stdout.strip()
        made.append(Path(rolo.json("merge", keep, other)["backup"]))
    assert all(m.name.endswith("-merge") for m in made)
    assert sorted(_backups(book_path)) == sorted([asked, *made[-3:]])
    assert asked.exists() and all(m.exists() for m in made[-3:])
    assert len([b for b in _backups(book_path) if b.name.endswith("-merge")]) == 3
