"""Sync reports name the contacts they are about (issue 11): the dry run's plan, skipped records and
conflicts say `Name <email>` in text and add `name`/`email` in --json; a conflict on a record deleted on one
side is one line. Driven through the CLI against the Relm emulator over HTTP on 127.0.0.1."""

from __future__ import annotations

import json


def _contact(relm, email: str) -> dict:
    (found,) = [c for c in relm.store.contacts() if c["email"] == email]
    return found


def _work(rolo, relm) -> None:
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")


def _single(report: dict) -> dict:
    """The one remote's report, from `rolo sync --json` (which wraps the runs of every remote)."""
    if "remotes" in report:
        (run,) = report["remotes"]
        return run
    return report


def test_dry_run_plan_names_each_contact_in_text_and_json(rolo, relm):
    ada = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    relm.store.create_contact(first_name="Alan", last_name="Turing", email="alan@example.com")
    _work(rolo, relm)
    text = rolo("sync", "--dry-run").stdout
    assert "    Ada Lovelace <ada@example.com>" in text.splitlines()
    assert ada not in text  # the uid is in --json; a person reads the name
    plan = _single(json.loads(rolo("sync", "--dry-run", "--json").stdout))["plan"]
    assert plan["remote_create"] == [{"uid": ada, "name": "Ada Lovelace", "email": "ada@example.com"}]
    assert plan["local_create"][0]["name"] == "Alan Turing" and plan["local_create"][0]["email"] is None

    rolo("sync")
    rolo("edit", "ada@example.com", "--add-phone", "+1 415 555 0100")
    run = _single(json.loads(rolo("sync", "--dry-run", "--json").stdout))
    (update,) = run["plan"]["remote_update"]
    assert (update["uid"], update["name"], update["email"]) == (ada, "Ada Lovelace", "ada@example.com")
    assert "    Ada Lovelace <ada@example.com> (phones)" in rolo("sync", "--dry-run").stdout.splitlines()


def test_a_conflict_is_one_line_naming_the_contact(rolo, relm):
    ada = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    _work(rolo, relm)
    rolo("sync")
    rolo("edit", "ada@example.com", "--set", "family=King")
    relm.store.update_contact(_contact(relm, "ada@example.com")["id"], last_name="Byron")
    lines = rolo("sync").stdout.splitlines()
    assert lines == ["work: book no changes; remote 1 updated; 1 conflicts (see rolo conflicts)",
                     "conflict Ada King <ada@example.com>: family_name: book King, work Byron; kept local"]
    rolo("edit", "ada@example.com", "--set", "family=Queen")
    relm.store.update_contact(_contact(relm, "ada@example.com")["id"], last_name="Countess")
    (conflict,) = _single(json.loads(rolo("sync", "--json").stdout))["conflicts"]
    assert (conflict["uid"], conflict["name"], conflict["email"]) == (ada, "Ada Queen", "ada@example.com")
    assert (conflict["field"], conflict["local"], conflict["remote_value"]) == ("family_name", "Queen", "Countess")


def test_a_contact_edited_here_and_deleted_there_is_one_line(rolo, relm):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--note", "long\nnotes\nhere")
    rolo("add", "--name", "Bob Brown", "--email", "bob@example.com")
    _work(rolo, relm)
    rolo("sync")
    rolo("edit", "ada@example.com", "--add-phone", "+1 415 555 0100")  # Relm carries phones (not titles)
    relm.store.delete_contact(_contact(relm, "ada@example.com")["id"])
    dry = rolo("sync", "--dry-run").stdout
    assert "    Ada Lovelace <ada@example.com> edited in the book, deleted remotely: keeps local" in dry.splitlines()
    lines = rolo("sync").stdout.splitlines()
    assert lines[1:] == ["conflict Ada Lovelace <ada@example.com>: edited in the book, deleted in work; kept the "
                         "book's (created again in work)"]
    (row,) = [line for line in rolo("conflicts").stdout.splitlines() if "Ada Lovelace" in line]
    assert "edited" in row and "deleted" in row and "'uid'" not in row and "notes" not in row


def test_a_skipped_record_is_named(rolo, relm):
    relm.store.create_field({"object_type": "contact", "key": "tier", "label": "Tier", "type": "select",
                             "options": {"choices": ["close"]}})
    rolo("field", "define", "tier", "--type", "select", "--option", "close", "--option", "acquaintance")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--field", "tier=close")
    bob = rolo("add", "--name", "Bob Stranger", "--email", "bob@example.com", "--field", "tier=acquaintance",
               ).stdout.strip()
    _work(rolo, relm)
    result = rolo("sync", "--json", ok=False)
    assert result.exit_code == 3
    (skipped,) = _single(json.loads(result.stdout))["skipped"]
    assert (skipped["uid"], skipped["name"], skipped["email"]) == (bob, "Bob Stranger", "bob@example.com")
    assert skipped["code"] == "validation_error"  # the keys that were there stay
    rolo("edit", "bob@example.com", "--set", "title=Stranger")
    text = rolo("sync", ok=False)
    assert text.exit_code == 3
    assert [line for line in text.stderr.splitlines() if line.startswith("skipped ")][0].startswith(
        "skipped Bob Stranger <bob@example.com>: ")
