"""Pushing: the book's changes sent to the remote, updates first, then deletions, then creations.

A record the remote rejects (or a `before_push` hook vetoes) is reported and skipped; the others go on.
A remote delete (and create, see `create.py`) has its pending marker committed before the call and its link
settled after it, so a run killed in between is settled by the next one (`resume.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rolo.core.errors import RemoteRejected, UserError
from rolo.core.fields import field_key
from rolo.core.store import sync_state as state
from rolo.core.sync.engine.context import GROUP, Progress
from rolo.core.sync.engine.create import push_creates
from rolo.core.sync.engine.report import skip
from rolo.core.sync.form import SyncForm
from rolo.core.sync.merge import changed_keys

if TYPE_CHECKING:
    from rolo.core.sync.engine.context import Run
    from rolo.core.sync.engine.plan import Plan, Update


def push(run: Run, plan: Plan) -> None:
    """Send the plan's remote side: updates, deletions, creations."""
    hooks = run.hooks_before_push
    todo = [u for u in plan.updates if u.merge.to_remote]
    _prepare_fields(run, todo, plan.push_creates)
    progress = Progress(run, "push", len(todo) + len(plan.push_creates) + len(plan.push_deletes))
    _push_updates(run, todo, hooks, progress)
    # deletions before creations: a contact replaced by another with the same email (a merge) must free
    # the email first on remotes that keep emails unique
    _push_deletes(run, plan.push_deletes, progress)
    push_creates(run, plan.push_creates, hooks, progress)


def _prepare_fields(run: Run, updates: list[Update], creates: list[int]) -> None:
    """Let the remote define the book's custom fields before records using them arrive."""
    if not run.caps.custom_fields or not (updates or creates):
        return
    # a private field's definition stays in the book with its values: a remote never learns it exists
    defs = {field_key(d.name): d for d in run.book.field_definitions()
            if field_key(d.name) not in run.caps.private_fields}
    if not defs:
        return
    try:
        run.adapter.prepare(list(defs.values()))
    except NotImplementedError:
        pass


def _push_updates(run: Run, todo: list[Update], hooks: bool, progress: Progress) -> None:
    """Send each merged pair's remote changes; its link moves forward only once the remote took them."""
    for u in todo:
        sent = SyncForm(u.remote.data, run.caps).with_changes(u.merge.to_remote)
        try:
            if hooks:
                sent = run.before_push(sent)
            stored = run.adapter.update(u.remote_id, sent.data, changed=changed_keys(u.merge.to_remote),
                                        previous=u.remote.data)
        except (RemoteRejected, UserError) as exc:
            skip(run, u.local.uid, u.remote_id, getattr(exc, "code", None) or type(exc).__name__, str(exc))
            continue
        remote_snapshot, version = SyncForm(stored.data, run.caps), stored.version
        if run.options.mode == "push" and u.merge.to_local:  # remote changes not pulled: keep them pending
            old = SyncForm.stored(u.link.remote_snapshot, run.caps) if u.link else None
            remote_snapshot, version = remote_snapshot.keeping(u.merge.to_local, old), None
        with run.book.transaction() as tx:
            # the revision pushed, not the current one: an edit made meanwhile is merged next run
            tx.sync_state.save_link(run.remote, u.contact_id, u.remote_id,
                            local_snapshot=run.form(u.local).data, remote_snapshot=remote_snapshot.data,
                            local_revision=u.local.revision, remote_version=version)
        run.report.count("remote_updated")
        progress.advance()


def _push_deletes(run: Run, deletes: list[state.Link], progress: Progress) -> None:
    """Delete remotely, in groups: pending markers committed first, then the calls, then the links dropped."""
    for start in range(0, len(deletes), GROUP):
        chunk = deletes[start : start + GROUP]
        with run.book.transaction() as tx:
            tx.sync_state.mark_pending(run.remote, [(lk.contact_id, "delete", "", None) for lk in chunk])
        finished = []
        try:
            for link in chunk:
                try:
                    run.adapter.delete(link.remote_id or "")
                except RemoteRejected as exc:
                    skip(run, None, link.remote_id, exc.code or "rejected", str(exc))
                    continue
                finished.append(link.contact_id)
                run.report.count("remote_deleted")
        finally:
            with run.book.transaction() as tx:
                tx.sync_state.drop_links(run.remote, finished)
        progress.advance(len(chunk))
