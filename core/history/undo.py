"""Undo: revert one change set, as a new change set of its own (so an undo can be undone in turn).

Per contact, the change set's net effect is reverted against the contact as it is now:
- a field goes back to its value before the change set only if it still holds the value the change set gave
  it; a field changed again since is a conflict, reported and left as it is (never overwritten). Labels are a
  set: the labels the change set added are taken off and those it removed put back, whatever else changed;
- a contact the change set created goes to the trash (unless edited since: a conflict), one it deleted comes
  back from the trash, one it restored goes back to the trash;
- notes-log entries it added are removed, those it removed come back, those it edited get their text back;
- remote links a merge moved to the contact that absorbed another go back to the contact merged away.

A contact put back exactly as it was, that nothing changed since and no remote has seen since, gets its old
revision and time back too: undoing an import that never reached a remote leaves `rolo list --json`
byte-for-byte as before. Otherwise the revert is an edit like any other (a new revision), which the next sync
sends to the remotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rolo.core.errors import NotFoundError
from rolo.core.history.fields import contact_fields, describe, is_field, set_fields

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.store.writer import Writer


@dataclass
class UndoReport:
    """What an undo did (or, with --dry-run, would do)."""

    target: int  # the change set reverted
    changeset_id: int | None = None  # the undo's own change set (None: a dry run, or nothing changed)
    dry_run: bool = False
    reverted: list[dict[str, Any]] = field(default_factory=list)  # {uid, name, action, fields}
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # {uid, name, field, reason}

    def as_dict(self) -> dict[str, Any]:
        return {"undone": self.target, "change_id": self.changeset_id, "dry_run": self.dry_run,
                "reverted": self.reverted, "conflicts": self.conflicts}


@dataclass
class _Net:
    """The net effect of a change set on one contact."""

    contact_id: int
    uid: str
    name: str
    last_change: int = 0
    created: bool = False
    deleted: list[bool] | None = None  # [before, after]
    fields: dict[str, list[Any]] = field(default_factory=dict)
    notes: list[list[Any]] = field(default_factory=list)  # [before, after] entries, in order
    links: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    revision: list[Any] | None = None
    updated_at: list[Any] | None = None


def net_effects(rows: list[dict[str, Any]]) -> list[_Net]:
    """Per contact (in the order first changed), what the change set's rows add up to."""
    nets: dict[int, _Net] = {}
    for row in rows:
        net = nets.setdefault(row["contact_id"], _Net(row["contact_id"], row["uid"], row["name"]))
        net.last_change = row["id"]
        diff = row["diff"]
        if row["op"] == "created":
            net.created = True
        for name, (before, after) in diff.items():
            if name == "deleted":
                net.deleted = [net.deleted[0] if net.deleted else before, after]
            elif name == "log":
                net.notes.append([before, after])
            elif name == "links":
                net.links += before
            elif name == "holds":
                net.holds += before
            elif name == "@revision":
                net.revision = [net.revision[0] if net.revision else before, after]
            elif name == "@updated_at":
                net.updated_at = [net.updated_at[0] if net.updated_at else before, after]
            elif is_field(name):
                net.fields[name] = [net.fields[name][0] if name in net.fields else before, after]
    return list(nets.values())


def undo_changeset(tx: Writer, target: int, report: UndoReport) -> None:
    """Revert change set `target` in this transaction, filling in `report`."""
    nets = net_effects(tx.change_rows(target))
    for net in reversed(nets):
        try:
            current = tx.load(net.contact_id)
        except NotFoundError:  # purged from the trash since: nothing left to revert
            continue
        later = tx.later_changes(net.contact_id, net.last_change)
        _undo_contact(tx, net, current, later, report)
    for net in nets:  # once every link is back where it was, the holds a merge dropped
        for hold in net.holds:
            if tx.sync_state.link_for_contact(hold["remote"], net.contact_id) is None:
                tx.sync_state.mark_pending(hold["remote"], [(net.contact_id, "hold", hold["key"], None)])


def _undo_contact(tx: Writer, net: _Net, current: ContactRecord, later: list[dict[str, Any]],
                  report: UndoReport) -> None:
    deleted_now = tx.contact_row(current.uid)[2] is not None  # type: ignore[index]
    later_fields = _changed_since(contact_fields(current), later)
    who = {"uid": net.uid, "name": current.display_name()}

    def conflict(name: str, reason: str) -> None:
        report.conflicts.append({**who, "field": name, "reason": reason})

    if net.created:
        if deleted_now:
            return
        if later_fields:
            since = next(c["changeset_id"] for c in later if any(k in later_fields for k in c["diff"]))
            conflict("(created)", f"changed since by change {since} ({', '.join(later_fields)}): not deleted")
            return
        _notes(tx, net, report, conflict)
        tx.tombstone(current)
        report.reverted.append({**who, "action": "deleted", "fields": []})
        return
    if net.deleted == [True, False] and not deleted_now:  # restored (or brought back) by the change set
        if later_fields:
            conflict("(restored)", f"changed since ({', '.join(later_fields)}): left in the book")
        else:  # back to the trash as it was (a card imported over a trashed contact brought it back)
            _notes(tx, net, report, conflict)
            if net.fields:
                _fields(tx, net, current, later, report, conflict)
                current = tx.load(net.contact_id)
            tx.tombstone(current)
            report.reverted.append({**who, "action": "deleted", "fields": []})
            return
    if net.deleted == [False, True] and deleted_now:  # deleted (or merged away) by the change set
        current = tx.restore(net.contact_id)
        report.reverted.append({**who, "action": "restored", "fields": []})
        deleted_now = False
    _links(tx, net)
    _notes(tx, net, report, conflict)
    if net.fields and not deleted_now:
        _fields(tx, net, current, later, report, conflict)


def _changed_since(now: dict[str, Any], later: list[dict[str, Any]]) -> list[str]:
    """The fields whose value now differs from before these later changes (a change undone since, or
    changed and changed back, is no change)."""
    then = dict(now)
    for change in reversed(later):
        for name, (before, _) in change["diff"].items():
            if is_field(name):
                then[name] = before
    return sorted(name for name in then if then[name] != now.get(name))


def _fields(tx: Writer, net: _Net, current: ContactRecord, later: list[dict[str, Any]], report: UndoReport,
            conflict: Any) -> None:
    now = contact_fields(current)
    reverts: dict[str, Any] = {}
    clean = True
    for name, (before, after) in net.fields.items():
        value = now.get(name)
        if name == "labels":
            added = {v.casefold() for v in after or []} - {v.casefold() for v in before or []}
            removed = [v for v in before or [] if v.casefold() not in {a.casefold() for a in after or []}]
            kept = [v for v in value or [] if v.casefold() not in added]
            wanted = kept + [v for v in removed if v.casefold() not in {k.casefold() for k in kept}]
            if sorted(wanted, key=str.casefold) != sorted(value or [], key=str.casefold):
                reverts[name] = wanted
            clean = clean and sorted(wanted, key=str.casefold) == sorted(before or [], key=str.casefold)
        elif value == after:
            reverts[name] = before
        elif value != before:
            clean = False
            conflict(name, f"changed since: kept {describe(name, value)!r} (the change set had set "
                           f"{describe(name, after)!r}, before it {describe(name, before)!r})")
    if not reverts:
        return
    as_of = None
    untouched = not later and net.revision and current.revision == net.revision[1]
    synced = tx.synced_revision(net.contact_id)
    if clean and untouched and net.deleted is None and (synced is None or synced < net.revision[1]):  # type: ignore[index]
        as_of = (net.revision[0], net.updated_at[0]) if net.updated_at else None  # type: ignore[index]
    tx.save(set_fields(current, reverts), as_of=as_of)
    report.reverted.append({"uid": net.uid, "name": current.display_name(), "action": "updated",
                            "fields": sorted(reverts)})


def _notes(tx: Writer, net: _Net, report: UndoReport, conflict: Any) -> None:
    for before, after in reversed(net.notes):
        if before is None:  # added: remove it, unless edited since
            row = tx.find_note(after["id"])
            if row is None:
                continue
            if row[3] != after["text"]:
                conflict("log", f"note {after['id']} edited since: kept")
                continue
            tx.remove_note(after["id"])
        elif after is None:  # removed: put it back
            tx.add_notes([(net.contact_id, before["text"], before["at"], before["source"])])
        else:  # edited: its text back
            row = tx.find_note(after["id"])
            if row is None or row[3] == before["text"]:
                continue
            if row[3] != after["text"]:
                conflict("log", f"note {after['id']} edited again since: kept")
                continue
            tx.edit_note(after["id"], before["text"])
        report.reverted.append({"uid": net.uid, "name": net.name, "action": "note",
                                "fields": ["log"]})


def _links(tx: Writer, net: _Net) -> None:
    """Links a merge moved away from this contact go back to it (and see undo_changeset for holds: a
    contact kept beside its linked twin by `conflicts resolve --take both` waits again)."""
    for link in net.links:
        owner = tx.sync_state.contact_of(link["remote"], link["remote_id"])
        if owner is not None and owner != net.contact_id:
            moved = tx.sync_state.link_for_contact(link["remote"], owner)
            if moved is not None:
                tx.sync_state.move_link(moved.id, net.contact_id)  # type: ignore[arg-type]
