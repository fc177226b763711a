"""`rolo rm` moves contacts to the trash; `rolo trash`, `rolo restore`, `rolo trash empty` (issue 10)."""

from __future__ import annotations


import pytest
from conftest import raw_db
from rolo.adapters.relm.emulator import RelmEmulator


@pytest.fixture
def people(rolo) -> dict[str, str]:
    return {
        name.split()[0].lower(): rolo("add", "--name", name, "--email", email).stdout.strip()
        for name, email in (("Ada Lovelace", "ada@example.com"), ("Bob Babbage", "bob@example.com"),
                            ("Cy Clerk", "cy@example.com"))
    }


def _deleted_at(rolo, uid: str, when: str) -> None:
    with raw_db(rolo.book_path) as db:
        db.execute("UPDATE contact SET deleted_at = ? WHERE uid = ?", (when, uid))


def _rows(rolo) -> int:
    return raw_db(rolo.book_path).execute("SELECT count(*) FROM contact").fetchone()[0]


def test_rm_takes_several_refs_and_asks_once(rolo, people):
    result = rolo("rm", "ada@example.com", people["bob"][:8], input="y\n")
    assert result.stdout.count("?") == 1 and "Ada Lovelace" in result.stdout and "Bob Babbage" in result.stdout
    assert "deleted Ada Lovelace" in result.stdout and "deleted Bob Babbage" in result.stdout
    assert [c["uid"] for c in rolo.json("list")] == [people["cy"]]
    assert rolo.json("search", "ada") == []
    assert _rows(rolo) == 3  # tombstones stay for sync


def test_rm_with_a_ref_that_does_not_resolve_deletes_nothing(rolo, people):
    error = rolo.fails("rm", "ada@example.com", "nobody@example.com", "--yes")
    assert "nobody@example.com" in error
    assert len(rolo.json("list")) == 3 and rolo.json("trash") == []
    assert "not deleted" in rolo.fails("rm", "ada@example.com", "bob@example.com", input="n\n")
    assert len(rolo.json("list")) == 3


def test_trash_lists_newest_first_with_json(rolo, people):
    rolo("rm", "ada@example.com", "--yes")
    _deleted_at(rolo, people["ada"], "2026-01-01T00:00:00Z")
    rolo("rm", "bob@example.com", "--yes")
    trashed = rolo.json("trash")
    assert [t["uid"] for t in trashed] == [people["bob"], people["ada"]]
    assert set(trashed[0]) == {"uid", "formatted_name", "deleted_at", "emails"}
    assert trashed[1] == {"uid": people["ada"], "formatted_name": "Ada Lovelace",
                          "deleted_at": "2026-01-01T00:00:00Z", "emails": ["ada@example.com"]}
    text = rolo("trash").stdout.splitlines()
    assert "Bob Babbage" in text[0] and people["bob"] in text[0]
    assert text[1].startswith("2026-01-01T00:00:00Z") and "Ada Lovelace" in text[1]
    assert text[-1] == "2 contacts in the trash"


@pytest.mark.parametrize("ref", ["uid", "prefix", "ada@EXAMPLE.com"])
def test_restore_brings_a_contact_back_with_a_new_revision_and_searchable(rolo, people, ref):
    rolo("rm", "ada@example.com", "--yes")
    before = raw_db(rolo.book_path).execute(
        "SELECT revision, updated_at FROM contact WHERE uid = ?", (people["ada"],)).fetchone()
    ref = {"uid": people["ada"], "prefix": people["ada"][:6]}.get(ref, ref)
    result = rolo("restore", ref)
    assert f"restored Ada Lovelace ({people['ada']}, revision {before[0] + 1})" in result.stdout
    data = rolo.json("show", "ada@example.com")
    assert data["revision"] == before[0] + 1 and data["updated_at"] >= before[1]
    assert [c["uid"] for c in rolo.json("search", "lovelace")] == [people["ada"]]
    assert rolo.json("trash") == []


def test_restore_of_a_contact_not_in_the_trash_is_one_line(rolo, people):
    assert "no contact in the trash matches" in rolo.fails("restore", people["ada"])
    assert "no contact in the trash matches" in rolo.fails("restore", "nobody@example.com")
    assert rolo.json("show", people["ada"])["revision"] == 1


def test_trash_empty_purges_only_older_contacts_and_asks_first(rolo, people):
    rolo("rm", "ada@example.com", "bob@example.com", "--yes")
    _deleted_at(rolo, people["ada"], "2020-01-01T00:00:00Z")
    assert "nothing purged" in rolo.fails("trash", "empty", "--older-than", "30d", input="n\n")
    assert _rows(rolo) == 3
    result = rolo("trash", "empty", "--older-than", "30d", input="y\n")
    assert "Purge 1 contact from the trash" in result.stdout and "purged 1 contact" in result.stdout
    assert [t["uid"] for t in rolo.json("trash")] == [people["bob"]]
    assert "no contact in the trash matches" in rolo.fails("restore", people["ada"])
    assert rolo("trash", "empty", "--yes").stdout.strip() == "purged 1 contact"
    assert rolo.json("trash") == [] and _rows(rolo) == 1
    assert rolo("trash", "empty").stdout.strip() == "purged 0 contacts"  # nothing to ask about
    assert "invalid duration" in rolo.fails("trash", "empty", "--older-than", "soon")


def test_trash_empty_cascades_to_children(rolo, people):
    rolo("note", "add", "ada@example.com", "met at the society")
    rolo("rm", "ada@example.com", "--yes")
    rolo("trash", "empty", "--yes")
    db = raw_db(rolo.book_path)
    for table in ("email", "note"):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE contact_id NOT IN (SELECT id FROM contact)"
                          ).fetchone()[0] == 0


# -- with a remote: tombstones still reach it, and nothing linked is purged before they do ------------------
def _remote_emails(relm: RelmEmulator) -> list[str]:
    return sorted(c["email"] for c in relm.store.contacts())


def test_trash_empty_keeps_contacts_a_sync_has_not_deleted_remotely(rolo, people, relm):
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    assert _remote_emails(relm) == ["ada@example.com", "bob@example.com", "cy@example.com"]
    rolo("rm", "ada@example.com", "bob@example.com", "--yes")
    result = rolo("trash", "empty", "--yes")
    assert result.stdout.splitlines() == ["purged 0 contacts", "kept 2 not yet deleted on work: run rolo sync first"]
    assert len(rolo.json("trash")) == 2
    rolo("sync")  # the tombstones reach the remote
    assert _remote_emails(relm) == ["cy@example.com"]
    assert rolo("trash", "empty", "--yes").stdout.strip() == "purged 2 contacts"
    assert rolo("sync").stdout.strip() == "work: book no changes; remote no changes"
    assert _remote_emails(relm) == ["cy@example.com"]


def test_a_restored_contact_is_sent_again_by_the_next_sync(rolo, people, relm):
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    rolo("rm", "ada@example.com", "--yes")
    rolo("sync")
    assert "ada@example.com" not in _remote_emails(relm)
    rolo("restore", "ada@example.com")
    rolo("sync")
    assert "ada@example.com" in _remote_emails(relm)
    # restored before any sync ran: the remote record is kept, not deleted
    rolo("rm", "bob@example.com", "--yes")
    rolo("restore", "bob@example.com")
    rolo("sync")
    assert _remote_emails(relm) == ["ada@example.com", "bob@example.com", "cy@example.com"]
