"""Private values (issue 13): a custom field defined `--local` and notes logged `--local` stay in the book.
They are absent from every export unless `--include-private`, never sent by a sync (checked on the Relm
emulator's own records over real HTTP), and a pull never clears them in the book."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture
def ada(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    rolo("field", "define", "salary", "--type", "number", "--local")
    rolo("field", "define", "tier", "--type", "text")
    rolo("field", "set", uid, "salary", "120000")
    rolo("field", "set", uid, "tier", "close")
    rolo("note", "add", uid, "--local", "Asked about her health")
    rolo("log", uid, "--via", "call", "Shared plans")
    return uid


def test_field_definitions_say_which_are_private_and_it_can_change(rolo, ada):
    fields = {d["name"]: d["local_only"] for d in rolo.json("field", "list")}
    assert fields == {"salary": True, "tier": False}
    assert rolo("field", "local", "tier").stdout.strip() == "tier: private: kept in this book"
    assert rolo("field", "local", "tier", "--off").stdout.strip() == "tier: synced and exported again"
    assert "no custom field named 'nope'" in rolo.fails("field", "local", "nope")
    shown = rolo.json("show", ada)  # the book itself shows everything
    assert shown["custom_fields"] == {"salary": 120000, "tier": "close"}
    assert [e["local_only"] for e in shown["log"]] == [True, False]


@pytest.mark.parametrize("fmt", ["vcf-3.0", "vcf-4.0", "json", "csv"])
def test_exports_leave_private_values_out_unless_asked(rolo, ada, fmt):
    args = ["--format", "vcf", "--vcard-version", fmt[4:]] if fmt.startswith("vcf") else ["--format", fmt]
    result = rolo("export", *args)
    assert result.stderr.strip() == "left out 2 private values (--include-private to export them)"
    text = result.stdout
    assert "120000" not in text and "health" not in text
    assert "Shared plans" in text and ("close" in text or fmt == "csv")  # CSV has no custom field columns
    full = rolo("export", *args, "--include-private")
    assert ("120000" in full.stdout or fmt == "csv") and "health" in full.stdout and full.stderr == ""
    if fmt == "json":
        (contact,) = json.loads(text)
        assert contact["custom_fields"] == {"tier": "close"}
    if fmt == "csv":
        (row,) = csv.DictReader(io.StringIO(text))
        assert "health" not in row["log"]


def test_a_sync_never_sends_private_fields_and_a_pull_keeps_them(rolo, relm, ada):
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    (remote,) = relm.store.contacts()
    assert remote["metadata"].get("tier") == "close"
    assert "salary" not in remote["metadata"] and "120000" not in json.dumps(remote)
    # the remote changes the contact, and even gains a `salary` of its own: the book's stays as it is
    relm.store.update_contact(remote["id"], last_name="King")
    relm.store.define_field("contact", "salary", "number")
    relm.store.update_contact(remote["id"], metadata={**remote["metadata"], "salary": 1})
    rolo("sync")
    shown = rolo.json("show", ada)
    assert shown["family_name"] == "King"
    assert shown["custom_fields"] == {"salary": 120000, "tier": "close"}
    (remote,) = relm.store.contacts()
    assert remote["metadata"]["salary"] == 1  # rolo neither sent its own nor cleared the remote's
    # asked explicitly, the value goes with the contacts the sync sends
    alan = rolo("add", "--name", "Alan Turing", "--email", "alan@example.com").stdout.strip()
    rolo("field", "set", alan, "salary", "90000")
    rolo("sync", "--include-private")
    (sent,) = [c for c in relm.store.contacts() if c["email"] == "alan@example.com"]
    assert sent["metadata"]["salary"] == 90000


def test_the_whole_notes_log_made_private_in_the_config(rolo, ada, rolo_home):
    (rolo_home / "rolo.toml").write_text("private_notes_log = true\n", encoding="utf-8")
    result = rolo("export", "--format", "json")
    (contact,) = json.loads(result.stdout)
    assert contact["log"] == [] and "left out 3 private values" in result.stderr  # salary and both entries
    assert len(json.loads(rolo("export", "--format", "json", "--include-private").stdout)[0]["log"]) == 2
    (rolo_home / "rolo.toml").write_text('private_notes_log = "yes"\n', encoding="utf-8")
    assert "private_notes_log" in rolo.fails("export")


def test_note_list_marks_private_entries_and_interactions(rolo, ada):
    entries = rolo.json("note", "list", ada)
    assert [(e["body"], e["kind"], e["local_only"]) for e in entries] == [
        ("Asked about her health", None, True), ("Shared plans", "call", False)]
    lines = rolo("note", "list", ada).stdout.splitlines()
    assert "(private)" in lines[0] and "health" in lines[0]
    assert "(call)" in lines[1] and "private" not in lines[1]
