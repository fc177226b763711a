"""The sync engine against MemoryAdapter: every behaviour the issue names, without HTTP."""

from __future__ import annotations

import dataclasses
import json

import pytest
from harness import Harness, person, phone, remote_person
from memory_adapter import RICH, Crash, MemoryRemote
from rolo.core.errors import AdapterUnavailable, RemoteRejected, UserError
from rolo.core.fields import FieldDefinition
from rolo.core.hookspecs import hookimpl
from rolo.core.record import EmailEntry
from rolo.core.sync.adapter import Capabilities
from rolo.core.sync.engine import MassDeletionError, idempotency_key


@pytest.fixture
def remote() -> MemoryRemote:
    return MemoryRemote()


@pytest.fixture
def h(book, remote) -> Harness:
    return Harness(book, remote)


def edit(book, ref, **changes):
    return book.update(ref, lambda c: dataclasses.replace(c, **changes))


# -- first sync and no-op ---------------------------------------------------------------------------------
def test_first_sync_flows_both_ways_and_matches_by_email(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com", title="Countess"))
    book.add(person("u2", "Grace Hopper", "grace@example.com"))
    remote.add(remote_person("Alan Turing", "alan@example.com"))
    remote.add(remote_person("Grace Hopper", "GRACE@example.com", organization="US Navy"))

    report = h.sync()

    assert report.counts == {"local_created": 1, "remote_created": 1, "linked": 1, "local_updated": 1}
    assert report.exit_code == 0
    h.assert_in_step()
    assert h.local()["grace@example.com"].organization == "US Navy"  # present on one side only: taken
    assert h.remote_records()["ada@example.com"]["title"] == "Countess"


def test_second_sync_is_a_no_op_that_only_lists(h, book, remote):
    for i in range(30):
        book.add(person(f"u{i}", f"Person {i}", f"p{i}@example.com"))
    h.sync()
    remote.calls.clear()
    revisions = {r.uid: r.revision for r in book.contacts()}

    report = h.sync()

    assert report.counts == {} and remote.calls == ["list"]
    assert {r.uid: r.revision for r in book.contacts()} == revisions


def test_repeated_syncs_never_duplicate(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    remote.add(remote_person("Alan Turing", "alan@example.com"))
    for _ in range(3):
        h.sync()
    assert len(book.contacts()) == 2 and len(remote.records) == 2


# -- edits --------------------------------------------------------------------------------------------------
def test_edits_on_each_side_flow_to_the_other(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    alan = remote.add(remote_person("Alan Turing", "alan@example.com"))
    h.sync()
    ada = remote.by_email("ada@example.com")[0]

    edit(book, "ada@example.com", title="Countess", family_name="King")
    remote.edit(alan, title="Dr", organization="Bletchley Park")
    report = h.sync()

    assert report.counts == {"local_updated": 1, "remote_updated": 1}
    assert remote.records[ada]["title"] == "Countess" and remote.records[ada]["family_name"] == "King"
    alan_local = h.local()["alan@example.com"]
    assert (alan_local.title, alan_local.organization) == ("Dr", "Bletchley Park")
    h.assert_in_step()


def test_edits_to_different_fields_of_one_contact_merge_without_conflict(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Countess")
    remote.edit(rid, organization="Analytical Engines")
    report = h.sync()
    assert not report.conflicts
    assert remote.records[rid]["title"] == "Countess"
    assert h.local()["ada@example.com"].organization == "Analytical Engines"


# -- conflicts ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("policy", "winner"), [("local", "Lady"), ("remote", "Mathematician")],
                         ids=["local-wins", "remote-wins"])
def test_conflicting_edits_follow_the_policy_and_log_the_loser(h, book, remote, policy, winner):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Lady")
    remote.edit(rid, title="Mathematician")

    report = h.sync(policy=policy)

    assert h.local()["ada@example.com"].title == winner == remote.records[rid]["title"]
    (logged,) = book.sync_state.conflicts()
    loser = "Mathematician" if policy == "local" else "Lady"
    assert logged["field"] == "title" and logged["kept"] == policy
    assert loser in (logged["local"], logged["remote_value"])
    assert report.counts["conflicts"] == 1
    assert h.sync().counts == {}  # settled: the next sync has nothing to do


@pytest.mark.parametrize(("remote_newer", "winner"), [(True, "Mathematician"), (False, "Lady")],
                         ids=["remote-newer", "local-newer"])
def test_newest_policy_compares_change_times(h, book, remote, remote_newer, winner):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Lady")
    remote.clock = lambda: "2999-01-01T00:00:00Z" if remote_newer else "2000-01-01T00:00:00Z"
    remote.edit(rid, title="Mathematician")
    h.sync(policy="newest")
    assert h.local()["ada@example.com"].title == winner == remote.records[rid]["title"]


def test_the_same_change_on_both_sides_is_no_conflict(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Countess")
    remote.edit(rid, title="  Countess ")
    report = h.sync()
    assert not report.conflicts and not book.sync_state.conflicts()


def test_labels_merge_as_sets_from_both_sides(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com", labels=["math", "friends"]))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", labels=["math", "friends", "poetry"])
    remote.edit(rid, labels=["math", "work"])  # removed friends, added work
    report = h.sync()
    assert not report.conflicts
    assert h.local()["ada@example.com"].labels == ["math", "poetry", "work"]
    assert sorted(remote.records[rid]["labels"]) == ["math", "poetry", "work"]


# -- fields -------------------------------------------------------------------------------------------------
def test_custom_fields_round_trip_and_unknown_ones_are_defined_on_pull(h, book, remote):
    book.define_field(FieldDefinition("tier", "select", ["close", "friend"]))
    book.add(person("u1", "Ada Lovelace", "ada@example.com", custom_fields={"tier": "close"}))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    assert remote.records[rid]["custom_fields"] == {"tier": "close"} and "tier" in remote.schema

    remote.edit(rid, custom_fields={"tier": "friend", "met_at": "PyCon", "score": 7, "vip": True})
    h.sync()
    ada = h.local()["ada@example.com"]
    assert ada.custom_fields == {"tier": "friend", "met_at": "PyCon", "score": 7, "vip": True}
    types = {d.name: d.type for d in book.field_definitions()}
    assert types == {"tier": "select", "met_at": "text", "score": "number", "vip": "bool"}

    edit(book, "ada@example.com", custom_fields={"tier": "friend", "score": 8})
    h.sync()
    assert remote.records[rid]["custom_fields"] == {"tier": "friend", "score": 8}


def test_fields_the_remote_cannot_carry_are_never_cleared_locally(book):
    poor = MemoryRemote(name="poor", caps=Capabilities(fields=frozenset({"given_name", "family_name", "emails"}),
                                                       single=frozenset({"emails"})))
    h = Harness(book, poor)
    book.add(person("u1", "Ada Lovelace", "ada@example.com", title="Countess", notes="likes engines",
                    birthday="1815-12-10", labels=["math"], phones=[phone("+44 20 7946 0123")]))
    edit(book, "ada@example.com", emails=[EmailEntry("ada@example.com", "work", True),
                                          EmailEntry("ada@home.example", "home")])
    h.sync()
    rid = next(iter(poor.records))
    assert set(poor.records[rid]) == {"given_name", "family_name", "emails"}
    assert len(poor.records[rid]["emails"]) == 1

    poor.edit(rid, family_name="King", emails=[{"address": "ada@newmail.example", "label": None, "primary": True}])
    h.sync()
    (ada,) = book.contacts()
    assert (ada.family_name, ada.title, ada.notes, ada.birthday) == ("King", "Countess", "likes engines", "1815-12-10")
    assert ada.labels == ["math"] and ada.phones[0].number == "+44 20 7946 0123"
    # the remote's one email replaced the primary one only, keeping its label; the other stays
    assert [(e.address, e.label) for e in ada.emails] == [("ada@newmail.example", "work"), ("ada@home.example", "home")]
    assert ada.formatted_name == "Ada King"  # derived from the name parts, so derived again


# -- deletions ----------------------------------------------------------------------------------------------
def test_deletions_flow_both_ways(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    book.add(person("u2", "Grace Hopper", "grace@example.com"))
    alan = remote.add(remote_person("Alan Turing", "alan@example.com"))
    h.sync()
    book.delete("ada@example.com")
    remote.remove(alan)

    report = h.sync()

    assert report.counts == {"local_deleted": 1, "remote_deleted": 1}
    assert set(h.local()) == {"grace@example.com"} and set(h.remote_records()) == {"grace@example.com"}
    h.assert_in_step()
    assert h.sync().counts == {}


def test_deleted_remotely_but_edited_locally_is_a_conflict(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    book.add(person("u2", "Grace Hopper", "grace@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    remote.remove(rid)
    edit(book, "ada@example.com", title="Countess")

    report = h.sync()  # policy local: the edit wins, the contact is created again

    assert report.conflicts[0]["field"] == "(deleted)"
    assert h.remote_records()["ada@example.com"]["title"] == "Countess"
    h.assert_in_step()


def test_a_remote_that_loses_most_records_is_refused_without_force(h, book, remote):
    for i in range(10):
        book.add(person(f"u{i}", f"Person {i}", f"p{i}@example.com"))
    h.sync()
    for rid in list(remote.records)[:7]:
        remote.remove(rid)

    with pytest.raises(MassDeletionError, match="no longer has 7 of the 10"):
        h.sync()
    assert len(book.contacts()) == 10
    assert book.sync_state.runs("mem")[0]["status"] == "failed"

    report = h.sync(force_delete=True)
    assert report.counts["local_deleted"] == 7 and len(book.contacts()) == 3


def test_an_emptied_remote_is_refused_even_when_small(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    remote.records.clear()
    with pytest.raises(MassDeletionError):
        h.sync()
    assert len(book.contacts()) == 1


def test_two_remote_records_claiming_one_contact_is_an_error_naming_both(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    a = remote.add(remote_person("Ada Lovelace", "ada@example.com"))
    b = remote.add(remote_person("Ada L.", "ADA@example.com"))
    report = h.sync()
    assert report.exit_code == 1
    (error,) = report.errors
    assert a in error["message"] and b in error["message"] and "u1" in error["message"]
    assert len(remote.records) == 2 and len(book.contacts()) == 1  # nothing created either way


# -- remote faults ------------------------------------------------------------------------------------------
def test_a_record_the_remote_rejects_is_skipped_and_the_rest_go_on(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    book.add(person("u2", "Bad Record", "bad@example.com"))
    book.add(person("u3", "No Email"))
    remote.reject(lambda d: any(e["address"].startswith("bad") for e in d["emails"]))

    report = h.sync()

    assert report.exit_code == 3 and report.status == "partial"
    assert [s["uid"] for s in report.skipped] == ["u2"] and report.skipped[0]["code"] == "validation_error"
    assert set(h.remote_records()) == {"ada@example.com", "No Email"}
    assert book.sync_state.runs("mem")[0]["status"] == "partial"
    remote.clear_faults()
    assert h.sync().counts == {"remote_created": 1}
    h.assert_in_step()


def test_an_update_the_remote_rejects_is_sent_again_next_time(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    remote.reject(lambda d: d.get("title") == "Countess")
    edit(book, "ada@example.com", title="Countess")
    assert h.sync().exit_code == 3
    remote.clear_faults()
    assert h.sync().counts == {"remote_updated": 1}
    h.assert_in_step()


@pytest.mark.parametrize("applied", [True, False], ids=["created-anyway", "not-created"])
def test_a_5xx_on_create_without_idempotency_is_looked_up_before_trying_again(book, applied):
    remote = MemoryRemote(caps=dataclasses.replace(RICH, batch=False, idempotent_create=False))
    h = Harness(book, remote)
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    remote.fail_on("create", error=RemoteRejected("boom", status=500, adapter="memory"), applied=applied)
    report = h.sync()
    assert report.exit_code == 0 and len(remote.records) == 1
    assert remote.calls.count("find") == 1
    h.assert_in_step()


def test_an_unreachable_remote_fails_the_run_and_changes_nothing(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    remote.fail_on("list")
    with pytest.raises(AdapterUnavailable):
        h.sync()
    assert not remote.records
    run = book.sync_state.runs("mem")[0]
    assert run["status"] == "failed" and run["errors"][0]["code"] == "AdapterUnavailable"


# -- crash safety -------------------------------------------------------------------------------------------
def _crash_then_resume(h: Harness, op: str, after: int, before: bool = False):
    h.remote.crash_on(op, after=after, before=before)
    with pytest.raises(Crash):
        h.sync()
    h.remote.clear_faults()
    h.sync()
    h.sync()
    h.assert_in_step()


def _populate(book, remote, n=12):
    for i in range(n):
        book.add(person(f"u{i}", f"Person {i}", f"p{i}@example.com" if i % 3 else None))
    for i in range(3):
        remote.add(remote_person(f"Remote {i}", f"r{i}@example.com"))


@pytest.mark.parametrize("caps", [
    RICH,
    dataclasses.replace(RICH, batch=False),
    dataclasses.replace(RICH, batch=False, idempotent_create=False),
    dataclasses.replace(RICH, lookup=False),
], ids=["batch+idempotent", "idempotent", "lookup-only", "batch-no-lookup"])
@pytest.mark.parametrize(("op", "after", "before"), [
    ("create", 0, False), ("create", 2, False), ("create", 1, True), ("create_many", 0, False),
    ("create_many", 0, True), ("list", 0, True),
], ids=["create-first", "create-third", "create-before", "batch-after", "batch-before", "list"])
def test_a_sync_killed_during_first_push_resumes_without_duplicates(book, op, after, before, caps):
    remote = MemoryRemote(caps=dataclasses.replace(caps, batch_size=4))
    h = Harness(book, remote)
    _populate(book, remote)
    if op == "create_many" and not caps.batch:
        op = "create"
    _crash_then_resume(h, op, after, before)
    assert len(remote.records) == 15 and len(book.contacts()) == 15


@pytest.mark.parametrize(("op", "before"), [("update", False), ("update", True), ("delete", False),
                                            ("delete", True)], ids=["update-after", "update-before",
                                                                    "delete-after", "delete-before"])
def test_a_sync_killed_during_updates_or_deletes_resumes(h, book, remote, op, before):
    _populate(book, remote)
    h.sync()
    for i in (1, 2, 4):
        edit(book, f"u{i}", title="Edited")
    book.delete("u5")
    book.delete("u7")
    _crash_then_resume(h, op, 1, before)
    assert len(remote.records) == 13
    assert sum(1 for d in remote.records.values() if d["title"] == "Edited") == 3


class _DieAfterCommit:
    """Kills the 'process' right after the first pulled contacts are committed (before the bookmark)."""

    @hookimpl
    def contact_changed(self, book, record, change):
        raise Crash("after the first local transaction")


def test_the_bookmark_is_stored_only_after_the_pulled_records(book, remote):
    h = Harness(book, remote)
    h.sync()
    before = book.sync_state.remote_state("mem")["bookmark"]
    for i in range(5):
        remote.add(remote_person(f"Remote {i}", f"r{i}@example.com"))
    killer = _DieAfterCommit()
    h.pm.register(killer)
    book.plugin_manager = h.pm
    with pytest.raises(Crash):
        h.sync(full=False)
    assert len(book.contacts()) == 5  # stored with their links...
    assert book.sync_state.remote_state("mem")["bookmark"] == before  # ...but the bookmark not yet moved
    h.pm.unregister(killer)
    assert h.sync(full=False).counts == {}  # re-listing from the old bookmark re-creates nothing
    h.assert_in_step()


def test_a_sync_killed_while_pushing_keeps_what_it_pulled(h, book, remote):
    h.sync()
    for i in range(5):
        remote.add(remote_person(f"Remote {i}", f"r{i}@example.com"))
    remote.crash_on("create_many")
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    with pytest.raises(Crash):
        h.sync()
    assert len(book.contacts()) == 6
    remote.clear_faults()
    h.sync()
    h.assert_in_step()


def test_the_idempotency_key_depends_on_remote_uid_and_revision():
    keys = {idempotency_key("a", "u1", 1), idempotency_key("b", "u1", 1), idempotency_key("a", "u2", 1),
            idempotency_key("a", "u1", 2)}
    assert len(keys) == 4 and idempotency_key("a", "u1", 1) == idempotency_key("a", "u1", 1)


# -- modes --------------------------------------------------------------------------------------------------
def test_dry_run_prints_the_plan_and_changes_nothing(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    book.add(person("u2", "Grace Hopper", "grace@example.com"))
    remote.add(remote_person("Alan Turing", "alan@example.com"))
    h.sync()
    rid = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Lady")
    remote.edit(rid, title="Mathematician")
    book.delete("grace@example.com")
    book.add(person("u3", "Hedy Lamarr", "hedy@example.com"))
    snapshot = json.dumps(remote.records, sort_keys=True)

    report = h.sync(dry_run=True)

    plan = report.plan
    assert [r["uid"] for r in plan["remote_create"]] == ["u3"]
    assert [r["uid"] for r in plan["remote_delete"]] == ["u2"]
    assert plan["conflicts"][0]["field"] == "title" and plan["conflicts"][0]["kept"] == "local"
    assert json.dumps(remote.records, sort_keys=True) == snapshot
    assert h.local()["ada@example.com"].title == "Lady" and not book.sync_state.conflicts()
    assert len(book.sync_state.runs("mem")) == 1


def test_pull_only_and_push_only_keep_the_other_direction_for_later(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    alan = remote.add(remote_person("Alan Turing", "alan@example.com"))
    h.sync()
    ada = remote.by_email("ada@example.com")[0]
    edit(book, "ada@example.com", title="Countess")
    remote.edit(alan, title="Dr")

    h.sync(mode="pull")
    assert h.local()["alan@example.com"].title == "Dr" and remote.records[ada]["title"] is None
    edit(book, "alan@example.com", notes="local note")
    remote.edit(ada, notes="remote note")
    h.sync(mode="push")
    assert remote.records[ada]["title"] == "Countess" and remote.records[alan]["notes"] == "local note"
    assert h.local()["ada@example.com"].notes is None
    assert h.sync().counts == {"local_updated": 1}
    h.assert_in_step()


def test_incremental_pulls_start_from_the_bookmark(h, book, remote):
    remote.add(remote_person("Alan Turing", "alan@example.com"))
    h.sync()
    bookmark = book.sync_state.remote_state("mem")["bookmark"]
    assert bookmark
    rid = remote.add(remote_person("Grace Hopper", "grace@example.com"))
    report = h.sync(full=False)
    assert report.counts == {"local_created": 1}
    remote.remove(rid)
    assert h.sync(full=False).counts == {"local_deleted": 1}  # MemoryRemote lists deletions incrementally


# -- hooks --------------------------------------------------------------------------------------------------
class _Hooks:
    def __init__(self):
        self.pulled = []
        self.changed = []

    @hookimpl
    def before_push(self, remote, record):
        if any(e["address"].endswith("@secret.example") for e in record.get("emails") or []):
            raise UserError("not for remotes")
        return {**record, "notes": f"via {remote}"}

    @hookimpl
    def after_pull(self, remote, records):
        self.pulled.append((remote, [r["uid"] for r in records]))

    @hookimpl
    def contact_changed(self, book, record, change):
        self.changed.append((record.formatted_name, change))


def test_before_push_transforms_or_vetoes_and_after_pull_hears_of_pulled_records(book, remote):
    h = Harness(book, remote)
    hooks = _Hooks()
    h.pm.register(hooks)
    book.plugin_manager = h.pm
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    book.add(person("u2", "Spy", "spy@secret.example"))
    remote.add(remote_person("Alan Turing", "alan@example.com"))

    report = h.sync()

    assert h.remote_records()["ada@example.com"]["notes"] == "via mem"
    assert "spy@secret.example" not in h.remote_records()
    assert report.skipped[0]["code"] == "vetoed" and report.exit_code == 3
    (alan,) = [r for r in book.contacts() if r.formatted_name == "Alan Turing"]
    assert hooks.pulled == [("mem", [alan.uid])]
    assert ("Alan Turing", "created") in hooks.changed  # contact_changed fires for pulled contacts too


def test_the_journal_records_each_run(h, book, remote):
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    h.sync()
    h.sync()
    runs = book.sync_state.runs("mem")
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[1]["counts"] == {"remote_created": 1} and runs[0]["counts"] == {}
    assert all(r["finished_at"] for r in runs)


def test_a_remote_deletion_does_not_shift_local_labels_onto_other_entries():
    from rolo.core.record import ContactRecord, PhoneEntry
    from rolo.core.sync.adapter import Capabilities
    from rolo.core.sync.merge import apply_local

    caps = Capabilities(fields=frozenset({"phones"}))
    record = ContactRecord(uid="u", phones=[PhoneEntry("+1 415 555 0100", label="home"),
                                            PhoneEntry("+1 415 555 0111", label="work")])
    # the remote cannot carry labels and dropped the first phone
    changed = apply_local(record, {"phones": [{"number": "+1 415 555 0111", "label": None, "primary": False}]},
                          caps)
    assert [(p.number, p.label) for p in changed.phones] == [("+1 415 555 0111", "work")]
