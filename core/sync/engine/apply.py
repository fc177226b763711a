"""Applying locally: what the remote changed, written into the book with the links that describe it.

Each transaction stores contacts together with their links and snapshots, so a pulled contact and its link
land together or not at all. Snapshots move forward only for what reached the other side: a field still to
be pushed keeps its old local snapshot (a failed push is retried next run), a field a push-only run does not
pull keeps its old remote snapshot. Activity (meetings and the like) goes into the notes logs of the
contacts it involves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rolo.core.emails import email_key
from rolo.core.errors import RoloError, UserError
from rolo.core.fields import FieldDefinition, field_key
from rolo.core.sync.engine.context import TX, Progress
from rolo.core.sync.engine.report import conflict, skip
from rolo.core.sync.form import SyncForm, apply_changes
from rolo.core.values import book_time, utc_now

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.store.writer import Writer
    from rolo.core.sync.adapter import RemoteRecord
    from rolo.core.sync.engine.context import Run
    from rolo.core.sync.engine.plan import Plan, Refresh, Update


def apply_pulled(run: Run, plan: Plan) -> None:
    """Write the plan's local side: refreshed links, merged updates, and (unless push-only) the records
    created and deleted remotely."""
    pull = run.options.mode != "push"
    progress = Progress(run, "pull", len(plan.pull_creates) + len(plan.updates) + len(plan.pull_deletes))
    _refresh_links(run, plan.refresh)
    for start in range(0, len(plan.updates), TX):
        chunk = plan.updates[start : start + TX]
        _write_updates(run, chunk, pull)
        progress.advance(len(chunk))
    if not pull:
        return
    for start in range(0, len(plan.pull_creates), TX):
        new = plan.pull_creates[start : start + TX]
        _create_pulled(run, new)
        progress.advance(len(new))
    for start in range(0, len(plan.pull_deletes), TX):
        chunk = plan.pull_deletes[start : start + TX]
        with run.book.transaction() as tx:
            for link in chunk:
                tx.tombstone(tx.load(link.contact_id))
                run.report.count("local_deleted")
            tx.sync_state.drop_links(run.remote, [link.contact_id for link in chunk])
        progress.advance(len(chunk))


def _refresh_links(run: Run, refresh: list[Refresh]) -> None:
    """Links whose snapshots only need to catch up (e.g. a remote version bump with no real change)."""
    for start in range(0, len(refresh), TX):
        with run.book.transaction() as tx:
            tx.sync_state.save_links(run.remote, [
                (r.link.contact_id, r.remote.id, r.local.data, r.remote.data, r.revision, r.remote.version)
                for r in refresh[start : start + TX]
            ])


def _write_updates(run: Run, chunk: list[Update], pull: bool) -> None:
    """One transaction of merged pairs: each contact (with the remote's changes when pulling) and its link."""
    with run.book.transaction() as tx:
        _define_fields(run, tx, [u.remote.data for u in chunk])
        items, keep = [], []
        for u in chunk:
            current = tx.contact_row(u.local.uid)
            if current is None or current[1] != u.local.revision:
                u.merge.to_remote = {}  # edited while we synced: the next run merges the new version
                continue
            to_local = u.merge.to_local if pull else {}
            changed = apply_changes(u.local, to_local, run.caps) if to_local else u.local
            items.append((changed, None))
            keep.append(u)
        results = tx.save_many(items) if items else []
        links = []
        for u, result in zip(keep, results, strict=True):
            if isinstance(result, RoloError):
                skip(run, u.local.uid, u.remote_id, "local_rejected", str(result))
                u.merge.to_remote = {}
                continue
            saved = result.record
            if result.status == "updated":
                run.report.count("local_updated")
                run.pulled.append(saved.to_json())
            for c in u.merge.conflicts:
                conflict(run, u.contact_id, u.remote_id, c.field, c.local, c.remote, c.kept, tx.sync_state)
            local_snap, remote_snap = _snapshots(run, u, saved, pull)
            u.local = saved
            # a side whose snapshot kept old values (a push still to make, a pull deferred) is stored
            # without its marker, so the next run compares data instead of skipping on the marker
            version = u.remote.version if (pull or not u.merge.to_local) else None
            revision = saved.revision if not u.merge.to_remote else None
            links.append((u.contact_id, u.remote_id, local_snap.data, remote_snap.data, revision, version))
        tx.sync_state.save_links(run.remote, links)


def _snapshots(run: Run, u: Update, saved: ContactRecord, pulled: bool) -> tuple[SyncForm, SyncForm]:
    """Snapshots after the local write: fields still to be pushed keep their old local snapshot (so a
    failed push is retried), fields not pulled (push-only) keep their old remote snapshot."""
    old_local = SyncForm.stored(u.link.local_snapshot, run.caps) if u.link else None
    old_remote = SyncForm.stored(u.link.remote_snapshot, run.caps) if u.link else None
    local = run.form(saved).keeping(u.merge.to_remote, old_local)
    remote = SyncForm(u.remote.data, run.caps).keeping(() if pulled else u.merge.to_local, old_remote)
    return local, remote


def _create_pulled(run: Run, new: list[RemoteRecord]) -> None:
    """One transaction of records new on the remote: each a new contact, linked to its record."""
    with run.book.transaction() as tx:
        _define_fields(run, tx, [r.data for r in new])
        results = tx.save_many([(SyncForm(r.data, run.caps).to_record(), None) for r in new])
        links = []
        for incoming, result in zip(new, results, strict=True):
            if isinstance(result, RoloError):
                skip(run, None, incoming.id, "local_rejected", str(result))
                continue
            saved = result.record
            run.report.count("local_created")
            run.pulled.append(saved.to_json())
            links.append((saved.id, incoming.id, run.form(saved).data, incoming.data, saved.revision,
                          incoming.version))
        tx.sync_state.save_links(run.remote, links)  # type: ignore[arg-type]


def _define_fields(run: Run, tx: Writer, records: Iterable[dict[str, Any]]) -> None:
    """Define custom fields pulled records use that the book does not know yet."""
    if not run.caps.custom_fields:
        return
    wanted: dict[str, Any] = {}
    for data in records:
        for name, value in (data.get("custom_fields") or {}).items():
            if field_key(name) not in tx.definitions:
                wanted.setdefault(name, value)
    if not wanted:
        return
    if run.remote_defs is None:
        try:
            run.remote_defs = {field_key(d.name): d for d in run.adapter.remote_fields()}
        except NotImplementedError:
            run.remote_defs = {}
    for name, value in wanted.items():
        definition = run.remote_defs.get(field_key(name)) or _infer_definition(name, value)
        try:
            tx.define_field(FieldDefinition(name, definition.type, list(definition.options), definition.multiple))
        except UserError:
            tx.define_field(FieldDefinition(name, "text", [], isinstance(value, list)))


def _infer_definition(name: str, value: Any) -> FieldDefinition:
    """A book field definition for a pulled custom field the remote did not describe."""
    sample = value[0] if isinstance(value, list) and value else value
    kind = "bool" if isinstance(sample, bool) else "number" if isinstance(sample, int | float) else "text"
    return FieldDefinition(name, kind, [], isinstance(value, list))


# -- activity ------------------------------------------------------------------------------------------------
def pull_activity(run: Run) -> None:
    """Meetings and the like into the notes logs of the contacts they involve (adapters that have them)."""
    started = utc_now()
    try:
        entries = run.adapter.pull_activity(run.book.sync_state.activity_since(run.remote))
    except NotImplementedError:
        return
    with run.book.transaction() as tx:
        notes = [(contact_id, body, _book_time(created_at) or started, f"{run.remote}:{key}")
                 for email, created_at, body, key in entries
                 for contact_id in tx.live_ids_with_email(email_key(email))]
        count = tx.add_notes(notes)
        # saved with the entries it covers, never before them
        tx.sync_state.save_activity_since(run.remote, started)
    if count:
        run.report.count("notes_added", count)


def _book_time(text: str) -> str | None:
    """An ISO 8601 instant in the book's form (UTC, seconds, `Z`), or None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return book_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
