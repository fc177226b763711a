"""Resuming: the remote creates and deletes a killed run left pending, settled before anything else.

Their markers were committed before the remote calls (`push.py`, `create.py`), so each one names a call that
may or may not have reached the remote. A delete is simply repeated (deleting twice is harmless). A create
is replayed or looked up with what its marker stored: the body sent (`sent`), the local snapshot when a
`before_push` hook changed what was sent (`local`), the revision, how it was sent (`via`: batch or single),
and its idempotency key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rolo.core.errors import RemoteRejected
from rolo.core.store import sync_state as state
from rolo.core.sync.engine.create import agreed_snapshot

if TYPE_CHECKING:
    from rolo.core.sync.adapter import RemoteRecord
    from rolo.core.sync.engine.context import Run


def resume(run: Run) -> None:
    """Settle the remote writes a killed run left pending (their markers were committed before the calls).

    A create sent in a batch is replayed in a batch: the batch upserts on email, so a record that was
    created is found again, not duplicated. A create sent alone is replayed with its idempotency key and
    body when the remote honours keys, else looked up (`find`); when neither is possible the marker is
    dropped and the contact created again (a remote with neither can duplicate it: adapters should offer
    one or the other).
    """
    pending = [link for link in run.book.sync_state.links(run.remote) if link.pending in ("create", "delete")]
    batch: list[tuple[state.Link, dict[str, Any]]] = []
    for link in pending:
        if link.pending == "delete":
            if link.remote_id:
                run.adapter.delete(link.remote_id)
            with run.book.transaction() as tx:
                tx.sync_state.drop_links(run.remote, [link.contact_id])
            run.report.count("resumed")
            continue
        body = state.loads(link.pending_data) or {}
        if body.get("via") == "batch" and run.caps.batch:
            batch.append((link, body))
            continue
        found = None
        if run.caps.idempotent_create:
            try:
                found = run.adapter.create(body.get("sent", {}), idempotency_key=link.pending_key or "")
            except RemoteRejected:
                found = None
        elif run.caps.lookup:
            try:
                found = run.adapter.find(body.get("sent", {}))
            except NotImplementedError:
                found = None
        if found is not None and _claimed(run, found.id, link.contact_id):
            found = None  # that record belongs to another contact (a shared email)
        _settle(run, link, body, found)
    size = max(1, run.caps.batch_size)
    for start in range(0, len(batch), size):
        chunk = batch[start : start + size]
        results = run.adapter.create_many([(body.get("sent", {}), link.pending_key or "")
                                           for link, body in chunk])
        for (link, body), result in zip(chunk, results, strict=True):
            found = None if isinstance(result, RemoteRejected) or _claimed(run, result.id, link.contact_id) \
                else result
            _settle(run, link, body, found)


def _settle(run: Run, link: state.Link, body: dict[str, Any], found: RemoteRecord | None) -> None:
    """Link the contact to the record its create made, or unlink it when there is none."""
    with run.book.transaction() as tx:
        if found is None:  # not created (or not found): the contact is simply unlinked again
            tx.sync_state.drop_links(run.remote, [link.contact_id])
        else:
            tx.sync_state.save_link(run.remote, link.contact_id, found.id,
                            local_snapshot=agreed_snapshot(body.get("local") or body.get("sent") or {}, found),
                            remote_snapshot=found.data,
                            local_revision=body.get("revision"), remote_version=found.version)
    run.report.count("resumed")


def _claimed(run: Run, remote_id: str, contact_id: int) -> bool:
    """Whether this remote record is already linked to another contact."""
    owner = run.book.sync_state.contact_of(run.remote, remote_id)
    return owner is not None and owner != contact_id
