"""Creating remotely: contacts new in the book sent to the remote, in batches where it can and one by one
where it must, each with its pending marker committed before the call and its link stored after it.

A create that a killed run left pending is settled by the next run (`resume.py`) with the idempotency key and
body stored in its marker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.errors import RemoteRejected, UserError
from rolo.core.sync.engine.context import GROUP, TX
from rolo.core.sync.engine.report import duplicate_claim, skip

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.store.sync_state import SyncState
    from rolo.core.sync.adapter import RemoteRecord
    from rolo.core.sync.engine.context import Progress, Run
    from rolo.core.sync.form import SyncForm


def idempotency_key(remote: str, uid: str, revision: int) -> str:
    """The key of a create: the same contact at the same revision sent to the same remote gets the same key."""
    return "rolo-" + hashlib.sha256(f"{remote}\0{uid}\0{revision}".encode()).hexdigest()[:40]


@dataclass
class Outgoing:
    """A contact on its way to be created remotely."""

    record: ContactRecord
    local: SyncForm  # the contact as the remote carries it: the link's local snapshot once created
    sent: SyncForm  # what is sent: `local` after the before_push hooks (the same object when there are none)
    key: str  # the idempotency key


def push_creates(run: Run, creates: list[int], hooks: bool, progress: Progress) -> None:
    """Create remotely: pending marker committed first, then the call(s), then the links."""
    if not creates:
        return
    batchable: list[Outgoing] = []
    singles: list[Outgoing] = []
    seen_emails: dict[str, int] = {}
    run.taken = {link.remote_id: link.contact_id for link in run.book.sync_state.links(run.remote)
                 if link.remote_id}
    for start in range(0, len(creates), TX):
        records = run.load(creates[start : start + TX])
        for cid in creates[start : start + TX]:
            record = records.get(cid)
            if record is None:
                continue
            local = run.form(record)
            try:
                sent = run.before_push(local) if hooks else local
            except UserError as exc:
                skip(run, record.uid, None, "vetoed", str(exc))
                continue
            item = Outgoing(record, local, sent, idempotency_key(run.remote, record.uid, record.revision))
            emails = sent.emails()
            if run.caps.batch and emails:
                for address in emails:
                    seen_emails[address] = seen_emails.get(address, 0) + 1
                batchable.append(item)
            else:
                singles.append(item)
    # Only contacts whose emails no other contact has are batched: the batch upserts on email, which
    # makes a replayed batch harmless, but would land a contact sharing an email (with another new one,
    # or with a linked one) on that other's record. Those go one by one, with their idempotency key.
    linked = run.book.sync_state.linked_email_keys(run.remote) if batchable else set()
    alone = [all(seen_emails[a] == 1 and a not in linked for a in i.sent.emails()) for i in batchable]
    singles += [i for i, ok in zip(batchable, alone, strict=True) if not ok]
    batchable = [i for i, ok in zip(batchable, alone, strict=True) if ok]
    size = max(1, run.caps.batch_size)
    # a batch's links are stored in the transaction that marks the next batch pending: one commit per
    # batch instead of two (each commit is an fsync), with the marker still ahead of every call
    carry: tuple[list[Outgoing], list[RemoteRecord | RemoteRejected]] | None = None
    for start in range(0, len(batchable), size):
        chunk = batchable[start : start + size]
        _mark(run, chunk, "batch", carry)
        carry = None
        try:
            results = run.adapter.create_many([(i.sent.data, i.key) for i in chunk])
        except NotImplementedError:
            singles += chunk
            continue
        except RemoteRejected as exc:
            results = [exc] * len(chunk)
        carry = (chunk, results)
        progress.advance(len(chunk))
    if carry is not None:
        _link_created(run, *carry)
    for start in range(0, len(singles), GROUP):
        chunk = singles[start : start + GROUP]
        _mark(run, chunk, "single")
        created: list[RemoteRecord | RemoteRejected] = []
        try:
            for item in chunk:
                created.append(_create_one(run, item.record.id, item.sent, item.key))  # type: ignore[arg-type]
        finally:
            # link what was created even when a later call fails (the rest stay pending: resumed later)
            _link_created(run, chunk[: len(created)], created)
        progress.advance(len(chunk))


def _create_one(run: Run, contact_id: int, sent: SyncForm, key: str) -> RemoteRecord | RemoteRejected:
    """One create. A 5xx answer leaves it unknown whether the record was created; a remote without
    idempotency is then asked (`find`) before the create is tried again, at most three times in all."""
    for attempt in range(3):
        try:
            return run.adapter.create(sent.data, idempotency_key=key)
        except RemoteRejected as exc:
            unknown = (exc.status or 0) >= 500 and not run.caps.idempotent_create and run.caps.lookup
            if not unknown or attempt == 2:
                return exc
            try:
                found = run.adapter.find(sent.data)
            except NotImplementedError:
                return exc
            if found is not None and run.taken.get(found.id, contact_id) == contact_id:
                return found
    raise AssertionError("unreachable")


def _mark(run: Run, chunk: list[Outgoing], via: str,
          carry: tuple[list[Outgoing], list[RemoteRecord | RemoteRejected]] | None = None) -> None:
    """Commit the pending markers of a chunk (and the links of the previous one, when carried)."""
    restore: list[tuple[int, RemoteRecord]] = []
    with run.book.transaction() as tx:
        if carry is not None:
            restore = _write_links(run, tx.sync_state, *carry)
        tx.sync_state.mark_pending(run.remote, [
            (i.record.id, "create", i.key, {"sent": i.sent.data,
                                            "local": None if i.local is i.sent else i.local.data,
                                            "revision": i.record.revision, "via": via})
            for i in chunk
        ])
    for owner, result in restore:
        _restore(run, owner, result)


def _link_created(run: Run, chunk: list[Outgoing], results: list[RemoteRecord | RemoteRejected]) -> None:
    """Store the links of created records (and drop the markers of refused ones)."""
    with run.book.transaction() as tx:
        restore = _write_links(run, tx.sync_state, chunk, results)
    for owner, result in restore:
        _restore(run, owner, result)


def _write_links(run: Run, sync: SyncState, chunk: list[Outgoing], results: list[RemoteRecord | RemoteRejected]
                 ) -> list[tuple[int, RemoteRecord]]:
    """Links for a chunk's results, in the caller's transaction; returns the records to restore."""
    links, rejected, restore = [], [], []
    taken = run.taken
    for item, result in zip(chunk, results, strict=True):
        record = item.record
        if isinstance(result, RemoteRejected):
            skip(run, record.uid, None, result.code or "rejected", str(result))
            rejected.append(record.id)
            continue
        if taken.get(result.id, record.id) != record.id:  # the remote merged it into a linked record
            duplicate_claim(run, record.uid, [result.id],
                            f"the remote stored contact {record.uid} as record {result.id}, which is linked to "
                            "another contact; merge the two contacts in the book")
            rejected.append(record.id)
            restore.append((taken[result.id], result))
            continue
        taken[result.id] = record.id
        links.append((record.id, result.id, agreed_snapshot(item.local.data, result), result.data, record.revision,
                      result.version))
        run.report.count("remote_created")
    sync.drop_links(run.remote, rejected)  # type: ignore[arg-type]
    sync.save_links(run.remote, links)  # type: ignore[arg-type]
    return restore  # type: ignore[return-value]


def agreed_snapshot(local: dict[str, Any], result: RemoteRecord) -> dict[str, Any]:
    """The link's local snapshot after a create: what was sent, except the keys the remote did not take,
    as the remote holds them, so that the next run sees those as local changes and sends them again."""
    if not result.unset:
        return local
    agreed = dict(local)
    for key in result.unset:
        if key in result.data:
            agreed[key] = result.data[key]
        else:
            agreed.pop(key, None)
    return agreed


def _restore(run: Run, contact_id: int, record: RemoteRecord) -> None:
    """Put a linked contact's data back on its record, which an upsert overwrote with another's."""
    local = run.load([contact_id]).get(contact_id)
    if local is None:
        return
    data = run.form(local).data
    try:
        stored = run.adapter.update(record.id, data, changed=frozenset(data), previous=record.data)
    except RemoteRejected as exc:
        skip(run, local.uid, record.id, exc.code or "rejected", str(exc))
        return
    with run.book.transaction() as tx:
        tx.sync_state.save_link(run.remote, contact_id, record.id, local_snapshot=data,
                        remote_snapshot=stored.data, local_revision=local.revision,
                        remote_version=stored.version)
