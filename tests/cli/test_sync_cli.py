"""`rolo remote`, `rolo sync`, `rolo conflicts`, `rolo emulate`, as a new user types them (Relm emulator)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import book_bytes
from rolo.adapters.relm.emulator import RelmEmulator


def _contact(relm: RelmEmulator, email: str) -> dict:
    (found,) = [c for c in relm.store.contacts() if c["email"] == email]
    return found


def test_a_new_user_syncs_edits_both_sides_and_reads_the_conflicts(rolo, relm, rolo_home):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    relm.store.create_contact(first_name="Alan", last_name="Turing", email="alan@example.com")

    added = rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    assert "added remote work" in added.stdout and relm.api_key not in added.output
    assert "ok" in rolo("remote", "test", "work").stdout
    dry = rolo("sync", "--dry-run")
    assert "create in the book: 1" in dry.stdout and "create in work: 1" in dry.stdout
    assert not relm.store.contacts()[1:]  # nothing written by the dry run
    first = rolo("sync")
    assert "work: book 1 created; remote 1 created" in first.stdout

    rolo("edit", "ada@example.com", "--set", "family=King")
    relm.store.update_contact(_contact(relm, "ada@example.com")["id"], last_name="Byron")
    relm.store.update_contact(_contact(relm, "alan@example.com")["id"], last_name="Turing-Smith")
    second = rolo("sync")
    assert "1 conflicts" in second.stdout

    (conflict,) = rolo.json("conflicts")
    assert (conflict["field"], conflict["local"], conflict["remote_value"], conflict["kept"]) == (
        "family_name", "King", "Byron", "local")
    table = rolo("conflicts").stdout
    assert "family_name" in table and "Byron" in table
    assert _contact(relm, "ada@example.com")["last_name"] == "King"
    assert rolo.json("show", "alan@example.com")["family_name"] == "Turing-Smith"

    resolved = rolo("conflicts", "resolve", str(conflict["id"]), "--take", "remote")
    assert "set family_name to the remote value" in resolved.stdout
    rolo("sync")
    assert _contact(relm, "ada@example.com")["last_name"] == "Byron"
    assert rolo.json("conflicts") == []
    assert rolo.json("conflicts", "--all")[0]["resolution"] == "remote"


def test_resolve_both_keeps_the_remote_version_as_a_linked_duplicate(rolo, relm):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    rolo("edit", "ada@example.com", "--set", "family=King")
    relm.store.update_contact(_contact(relm, "ada@example.com")["id"], last_name="Byron")
    rolo("sync")
    (conflict,) = rolo.json("conflicts")

    result = rolo.json("conflicts", "resolve", str(conflict["id"]), "--take", "both")

    twin = result["duplicate_uid"]
    assert rolo("sync").stdout.strip() == "work: book no changes; remote 1 updated"
    assert sorted(p["family_name"] for p in rolo.json("list")) == ["Byron", "King"]
    # the remote record carries the remote version (the twin); the original waits for the merge
    assert [c["last_name"] for c in relm.store.contacts()] == ["Byron"]
    assert "rolo merge" in rolo("note", "list", twin).stdout
    # the note resolve wrote is in the search index like any other (issue 9: it was raw SQL, never indexed)
    assert [c["uid"] for c in rolo.json("search", "note:merge")] == [twin]
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"

    (record,) = relm.store.contacts()
    # keep the original: the twin goes, and the original takes over its remote record (issue 10)
    rolo("merge", result["uid"], twin)
    assert rolo("sync").stdout.strip() == "work: book no changes; remote 1 updated"
    assert [(c["id"], c["last_name"]) for c in relm.store.contacts()] == [(record["id"], "King")]
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"


def test_sync_exit_status_is_3_when_a_record_is_refused(rolo, relm):
    # Relm's select field knows fewer choices than the book's: Relm refuses the contact using the other one
    relm.store.create_field({"object_type": "contact", "key": "tier", "label": "Tier", "type": "select",
                             "options": {"choices": ["close"]}})
    rolo("field", "define", "tier", "--type", "select", "--option", "close", "--option", "acquaintance")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--field", "tier=close")
    rolo("add", "--name", "Bob Stranger", "--email", "bob@example.com", "--field", "tier=acquaintance")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    result = rolo("sync", "--json", ok=False)
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["status"] == "partial" and report["skipped"][0]["code"] == "validation_error"
    assert report["counts"]["remote_created"] == 1


def test_sync_errors_are_one_line_and_exit_1(rolo, relm, monkeypatch):
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    monkeypatch.setenv("RELM_KEY", "sk_test_wrong")
    result = rolo("sync", ok=False)
    assert result.exit_code == 1 and "Error: work:" in result.stderr and "sk_test_wrong" not in result.output
    assert "no remote named 'nope'" in rolo.fails("sync", "nope")
    monkeypatch.delenv("RELM_KEY")
    assert "the token variable RELM_KEY is not set" in rolo("sync", ok=False).stderr


def test_remote_add_keeps_the_config_comments_and_rm_removes_only_its_tables(rolo, relm, rolo_home):
    config = rolo_home / "rolo.toml"
    config.write_text('# my settings\ndefault_region = "GB"  # for phones\n\n[watch]\nafter = "keep"\n')
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY",
         "--option", "page_size=100", "--conflict", "remote")
    rolo("remote", "add", "home", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    text = config.read_text()
    assert text.startswith('# my settings\ndefault_region = "GB"  # for phones') and "[remotes.work.options]" in text
    assert [r["name"] for r in rolo.json("remote", "list")] == ["work", "home"]
    shown = rolo.json("remote", "show", "work")
    assert shown["options"] == {"page_size": "100"} and shown["conflict"] == "remote"
    assert shown["token"] == "env RELM_KEY" and "sk_test" not in json.dumps(shown)
    assert shown["capabilities"]["batch"] is True

    rolo("remote", "rm", "work", "--yes")
    text = config.read_text()
    assert "work" not in text and "[remotes.home]" in text and "[watch]" in text and "# for phones" in text
    assert "already exists" in rolo.fails("remote", "add", "home", "--adapter", "relm", "--url", relm.url)
    assert "no option colour" in rolo.fails("remote", "add", "x", "--adapter", "relm", "--url", relm.url,
                                            "--option", "colour=red")
    assert "no adapter named 'nope'" in rolo.fails("remote", "add", "x", "--adapter", "nope", "--url", "http://x")


def test_a_token_from_stdin_goes_to_an_owner_only_file_and_is_never_shown(rolo, relm, rolo_home, monkeypatch):
    monkeypatch.delenv("RELM_KEY")
    added = rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-stdin",
                 input=relm.api_key + "\n")
    tokens = rolo_home / "tokens.toml"
    assert f"token: file {tokens}" in added.stdout and relm.api_key not in added.stdout
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert relm.api_key not in (rolo_home / "rolo.toml").read_text()
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("sync")
    assert len(relm.store.contacts()) == 1
    stored = book_bytes(rolo.book_path)
    assert relm.api_key.encode() not in stored

    tokens.chmod(0o644)
    assert "readable by others" in rolo("sync", ok=False).stderr
    tokens.chmod(0o600)
    rolo("remote", "rm", "work", "--yes")
    assert "work" not in tokens.read_text()


def test_mass_deletion_is_refused_until_forced(rolo, relm):
    for i in range(6):
        rolo("add", "--name", f"Person {i}", "--email", f"p{i}@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    for contact in relm.store.contacts():
        relm.store.delete_contact(contact["id"])
    error = rolo.fails("sync")
    assert "refusing to delete them locally" in error and "--force-delete" in error
    assert len(rolo.json("list")) == 6
    rolo("sync", "--force-delete")
    assert rolo.json("list") == []


def test_pull_only_and_push_only(rolo, relm):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    relm.store.create_contact(first_name="Alan", email="alan@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    report = json.loads(rolo("sync", "--pull-only", "--json").stdout)
    assert report["counts"] == {"local_created": 1} and len(relm.store.contacts()) == 1
    report = json.loads(rolo("sync", "--push-only", "--json").stdout)
    assert report["counts"] == {"remote_created": 1} and len(relm.store.contacts()) == 2


def test_emulate_prints_a_url_and_key_that_work(rolo_home):
    script = Path(sys.executable).parent / "rolo"
    env = {**os.environ, "ROLO_HOME": str(rolo_home)}
    process = subprocess.Popen([str(script), "emulate", "relm", "--port", "0", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        info = json.loads(line)
        assert info["url"].startswith("http://127.0.0.1:") and info["api_key"].startswith("sk_test_")
        import httpx

        answer = httpx.get(f"{info['url']}/v1/contacts", headers={"Authorization": f"Bearer {info['api_key']}"})
        assert answer.status_code == 200 and answer.json()["data"] == []
    finally:
        process.terminate()
        process.wait(10)


def test_remote_add_takes_the_adapters_full_listing_default_unless_told(rolo):
    """CardDAV's sync-collection reports deletions, so a complete listing is a daily safety net there; the
    other adapters list everything each sync unless --full-every says otherwise."""
    url = "http://127.0.0.1:9/"
    rolo("remote", "add", "phone", "--adapter", "carddav", "--url", url, "--token-env", "CARDDAV_TOKEN")
    rolo("remote", "add", "tablet", "--adapter", "carddav", "--url", url, "--token-env", "T", "--full-every", "0")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", url, "--token-env", "RELM_KEY")
    shown = {r["name"]: r["full_every"] for r in rolo.json("remote", "list")}
    assert shown == {"phone": "1d", "tablet": "0", "work": "0"}
