"""The plan: what flows which way, decided per contact before anything is written.

- A linked pair that changed is merged three ways (`rolo.core.sync.form.three_way`); a pair with nothing to
  merge only has its link's snapshots and markers catch up.
- A record new on the remote with the email of a contact new in the book is that contact (a first sync, or
  a person added on both sides): they are linked and merged with no base instead of created on each side.
- Deletions flow both ways; a deletion on one side and an edit on the other is a conflict.
- The run's direction then drops what it defers: a pull-only run pushes nothing, a push-only run pulls
  nothing, and a remote that cannot delete is asked to delete nothing.

A dry run stops here and reports the plan (`describe`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.store import sync_state as state
from rolo.core.sync.adapter import RemoteRecord
from rolo.core.sync.engine.report import conflict, duplicate_claim
from rolo.core.sync.form import SyncForm, three_way

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.sync.engine.context import ContactStates, Run
    from rolo.core.sync.engine.listing import Found, Pair
    from rolo.core.sync.merge import Merge


@dataclass
class Update:
    """A linked (or newly matched) pair with fields to write on one side or both."""

    contact_id: int
    remote_id: str
    link: state.Link | None  # None: matched by email in this run
    remote: RemoteRecord
    local: ContactRecord
    merge: Merge


@dataclass
class Refresh:
    """A pair with nothing to merge whose link only catches up (e.g. a remote version bump, no real change)."""

    link: state.Link
    remote: RemoteRecord
    local: SyncForm
    revision: int


@dataclass
class Plan:
    """What the run will write, on each side."""

    updates: list[Update]
    refresh: list[Refresh]
    pull_creates: list[RemoteRecord]
    pull_deletes: list[state.Link]
    push_creates: list[int]  # contact ids
    push_deletes: list[state.Link]


def make_plan(run: Run, found: Found, contacts: ContactStates) -> Plan:
    """Merge the pairs, match new records by email, settle deletions, and keep what the direction allows."""
    updates, refresh = _merge_pairs(run, found.pairs)
    matched_remote, matched_local = _match_by_email(run, found.new_remote, found.new_local, contacts, updates)
    pull_creates = [r for r in found.new_remote if r.id not in matched_remote]
    push_creates = [cid for cid in found.new_local if cid not in matched_local]
    pull_deletes, push_deletes, recreate = _deletions(run, found.remote_gone, found.local_deleted)
    push_creates += recreate
    if run.options.mode == "push":
        pull_creates, pull_deletes = [], []
    if run.options.mode == "pull":
        push_creates, push_deletes = [], []
    if not run.caps.deletes:
        push_deletes = []
    return Plan(updates, refresh, pull_creates, pull_deletes, push_creates, push_deletes)


def _merge_pairs(run: Run, pairs: list[Pair]) -> tuple[list[Update], list[Refresh]]:
    """Three-way merge of the pairs that (maybe) changed; pairs with nothing to do only refresh the link."""
    updates: list[Update] = []
    refresh: list[Refresh] = []
    records = run.load([p.link.contact_id for p in pairs])
    for pair in pairs:
        link, local = pair.link, records.get(pair.link.contact_id)
        if local is None:
            continue
        remote = pair.record
        remote_base = SyncForm.stored(link.remote_snapshot, run.caps)
        if remote is None:  # not in an incremental listing: unchanged remotely
            remote = RemoteRecord(link.remote_id or "", remote_base.data if remote_base is not None else {},
                                  link.remote_version)
        projected = run.form(local)
        result = three_way(
            projected, SyncForm(remote.data, run.caps), SyncForm.stored(link.local_snapshot, run.caps),
            remote_base, run.options.policy, local_time=local.updated_at, remote_time=remote.updated_at,
        )
        if result.empty:
            refresh.append(Refresh(link, remote, projected, local.revision))
            continue
        updates.append(Update(link.contact_id, remote.id, link, remote, local, result))
    return updates, refresh


def _match_by_email(run: Run, new_remote: list[RemoteRecord], new_local: list[int], contacts: ContactStates,
                    updates: list[Update]) -> tuple[set[str], set[int]]:
    """First sync (or a person new on both sides): a new remote record with the email of an unlinked
    local contact is that contact; link them (merging with no base) instead of creating each on the
    other side. Two remote records claiming one contact is an error naming both (neither is linked)."""
    matched_remote: set[str] = set()
    matched_local: set[int] = set()
    if not new_remote or not new_local:
        return matched_remote, matched_local
    owners = run.book.sync_state.email_owners()
    unlinked = set(new_local)
    claims: dict[int, list[RemoteRecord]] = {}
    for incoming in new_remote:
        for address in SyncForm(incoming.data, run.caps).emails():
            hits = [c for c in owners.get(address, []) if c in unlinked]
            if hits:
                claims.setdefault(hits[0], []).append(incoming)
                break
    records = run.load(claims)
    for cid, claimants in claims.items():
        matched_local.add(cid)
        matched_remote.update(r.id for r in claimants)
        if len(claimants) > 1:
            ids = " and ".join(r.id for r in claimants)
            duplicate_claim(run, contacts[cid][0], [r.id for r in claimants],
                            f"remote records {ids} both claim contact {contacts[cid][0]} (same email); "
                            "merge or delete one of them remotely, then sync again")
            continue
        incoming, local = claimants[0], records[cid]
        result = three_way(run.form(local), SyncForm(incoming.data, run.caps), None, None, run.options.policy,
                           local_time=local.updated_at, remote_time=incoming.updated_at)
        updates.append(Update(cid, incoming.id, None, incoming, local, result))
        run.report.count("linked")
    return matched_remote, matched_local


def _deletions(run: Run, remote_gone: list[state.Link], local_deleted: list[state.Link]
               ) -> tuple[list[state.Link], list[state.Link], list[int]]:
    """Deletions both ways; a deletion on one side and an edit on the other is a conflict. Returns the
    local deletions, the remote deletions and the contacts to create again remotely."""
    gone = {link.contact_id for link in remote_gone}
    both = {link.contact_id for link in local_deleted if link.contact_id in gone}
    pull_deletes: list[state.Link] = []
    push_deletes: list[state.Link] = []
    recreate: list[int] = []
    if both and not run.options.dry_run:
        with run.book.transaction() as tx:
            tx.sync_state.drop_links(run.remote, [lk.contact_id for lk in local_deleted
                                                    if lk.contact_id in both])
    edited = run.load([lk.contact_id for lk in remote_gone if lk.contact_id not in both])
    for link in remote_gone:
        if link.contact_id in both:
            continue
        local = edited.get(link.contact_id)
        if local is None:
            continue
        base = SyncForm.stored(link.local_snapshot, run.caps)
        changed = (link.local_revision != local.revision and base is not None
                   and not run.form(local).same_as(base))
        # the local edit wins over the remote deletion: re-create it
        if changed and run.options.policy != "remote":
            conflict(run, link.contact_id, link.remote_id, "(deleted)", local.to_json(), None, "local")
            recreate.append(link.contact_id)
            if not run.options.dry_run:
                with run.book.transaction() as tx:
                    tx.sync_state.drop_links(run.remote, [link.contact_id])
        else:
            if changed:
                conflict(run, link.contact_id, link.remote_id, "(deleted)", local.to_json(), None, "remote")
            pull_deletes.append(link)
    for link in local_deleted:
        if link.contact_id in gone:
            continue
        push_deletes.append(link)
    return pull_deletes, push_deletes, recreate


def describe(run: Run, plan: Plan, contacts: ContactStates) -> None:
    """The dry run's answer: the plan, per side, in the report (and its counts)."""
    mode = run.options.mode
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in (
        "local_create", "local_update", "local_delete", "remote_create", "remote_update", "remote_delete",
        "conflicts")}
    for incoming in plan.pull_creates:
        out["local_create"].append({"remote_id": incoming.id, "name": SyncForm(incoming.data, run.caps).name()})
    for link in plan.pull_deletes:
        out["local_delete"].append({"uid": contacts[link.contact_id][0], "remote_id": link.remote_id})
    names = run.load(plan.push_creates)
    for cid in plan.push_creates:
        out["remote_create"].append({"uid": contacts[cid][0], "name": names[cid].display_name()
                                     if cid in names else None})
    for link in plan.push_deletes:
        out["remote_delete"].append({"uid": contacts[link.contact_id][0], "remote_id": link.remote_id})
    for u in plan.updates:
        uid = contacts[u.contact_id][0]
        if u.merge.to_local and mode != "push":
            out["local_update"].append({"uid": uid, "remote_id": u.remote_id, "fields": sorted(u.merge.to_local)})
        if u.merge.to_remote and mode != "pull":
            out["remote_update"].append({"uid": uid, "remote_id": u.remote_id, "fields": sorted(u.merge.to_remote)})
        for c in u.merge.conflicts:
            out["conflicts"].append({"uid": uid, "remote_id": u.remote_id, "field": c.field, "local": c.local,
                                     "remote": c.remote, "kept": c.kept})
    for c in run.report.conflicts:
        out["conflicts"].append({"uid": contacts[c["contact_id"]][0], "remote_id": c["remote_id"],
                                 "field": c["field"], "kept": c["kept"]})
    run.report.plan = out
    for key, rows in out.items():
        if rows:
            run.report.counts[key] = len(rows)
