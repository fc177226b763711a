"""Listing the remote beside the book: the guards against accidents, and what changed where.

The remote is listed incrementally from the bookmark when the adapter can (else completely) and read beside
the book's links and contacts. A listing that looks like an accident is refused before anything is
written; the rest is sorted into linked pairs that (maybe) changed, records new on either side, and
records deleted on either side. A pair whose contact revision and record version both match its link's is
not even loaded: that keeps a sync with nothing to do as cheap as the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.errors import UserError
from rolo.core.store import sync_state as state

if TYPE_CHECKING:
    from rolo.core.sync.adapter import Changes, RemoteRecord
    from rolo.core.sync.engine.context import ContactStates, Run

#: A complete listing missing more than this share of the linked records (and at least
#: `MASS_DELETE_MIN` of them) is taken for an accident (an emptied account, a wrong workspace) and refused.
MASS_DELETE_RATIO = 0.5
MASS_DELETE_MIN = 5


class MassDeletionError(UserError):
    """A remote lost most of its records at once; sync refuses to propagate that without --force-delete."""


@dataclass
class Listing:
    """The remote's listing beside the book's sync state, read at the start of the run."""

    changes: Changes
    records: dict[str, RemoteRecord]  # the listed records, by remote id
    links: list[state.Link]
    contacts: ContactStates
    remote_state: dict[str, Any]  # the bookmark and record count as the run found them


@dataclass
class Pair:
    """A linked contact whose local or remote side (maybe) changed."""

    link: state.Link
    record: RemoteRecord | None  # None: not in this (incremental) listing


@dataclass
class Found:
    """The listing and the book sorted: what the plan decides about."""

    pairs: list[Pair]  # linked, and changed on one side or both
    remote_gone: list[state.Link]  # linked, and no longer on the remote
    local_deleted: list[state.Link]  # linked, and deleted in the book
    new_remote: list[RemoteRecord]  # records linked to no contact
    new_local: list[int]  # live contacts linked to no record


def list_remote(run: Run) -> Listing:
    """List the remote (completely or from the bookmark), read the links and contacts, apply the guards."""
    sync = run.book.sync_state
    remote_state = sync.remote_state(run.remote)
    full = run.options.full
    if full is None:
        full = not (run.caps.incremental and remote_state["bookmark"])
    run.progress("list", 0, 0)
    if run.options.only:
        changes = _fetch(run, remote_state["bookmark"])
    else:
        changes = run.adapter.list_changes(None if full else remote_state["bookmark"])
    listing = Listing(changes, {r.id: r for r in changes.records}, sync.links(run.remote),
                      sync.contact_states(), remote_state)
    _guard(run, listing)
    return listing


def _fetch(run: Run, bookmark: str | None) -> Changes:
    """The records named by `only`, one `get` each, as an incremental listing that keeps the bookmark: a
    record the remote no longer has is a deletion; records not named are not looked at."""
    from rolo.core.sync.adapter import Changes

    found, gone = [], []
    for remote_id in dict.fromkeys(run.options.only):
        record = run.adapter.get(remote_id)
        if record is None:
            gone.append(remote_id)
        else:
            found.append(record)
    return Changes(found, gone, bookmark, complete=False)


def _guard(run: Run, listing: Listing) -> None:
    """Refuse a listing that lost all (or most) of the linked records, unless `force_delete`."""
    changes, listed = listing.changes, listing.records
    linked = {link.remote_id for link in listing.links if link.remote_id}
    if changes.complete:
        missing = linked - set(listed)
    else:
        missing = linked & set(changes.deleted or [])
    if not missing or run.options.force_delete or run.options.mode == "push":
        return
    everything = changes.complete and not listed
    if everything or (len(missing) >= MASS_DELETE_MIN and len(missing) > MASS_DELETE_RATIO * len(linked)):
        raise MassDeletionError(
            f"remote {run.remote!r} no longer has {len(missing)} of the {len(linked)} records linked to the "
            "book; refusing to delete them locally",
            hint="check the remote (account, workspace, token); rerun with --force-delete if it is meant",
        )


def classify(run: Run, listing: Listing) -> Found:
    """Sort links, listed records and contacts into pairs, new records and deletions on either side."""
    changes, listed, contacts = listing.changes, listing.records, listing.contacts
    deleted_ids = set(changes.deleted or [])
    found = Found([], [], [], [], [])
    linked_remote: set[str] = set()
    linked_contacts: set[int] = set()
    released = []
    for link in listing.links:
        if link.pending == "hold":
            # a contact kept beside its linked twin (`conflicts resolve --take both`) waits for the user
            # to merge them; once the twin or itself is gone, it syncs like any unlinked contact
            twin = contacts.get(int(link.pending_key or 0))
            own = contacts.get(link.contact_id)
            if twin and twin[2] is None and own and own[2] is None:
                linked_contacts.add(link.contact_id)
            else:
                released.append(link.contact_id)
            continue
        linked_contacts.add(link.contact_id)
        if not link.remote_id:
            continue
        linked_remote.add(link.remote_id)
        _, revision, deleted_at, _ = contacts.get(link.contact_id, ("", 0, "gone", ""))
        record = listed.get(link.remote_id)
        gone = (changes.complete and record is None) or link.remote_id in deleted_ids
        if deleted_at is not None:
            found.local_deleted.append(link)
            if gone:
                found.remote_gone.append(link)
            continue
        if gone:
            found.remote_gone.append(link)
            continue
        remote_changed = record is not None and (record.version is None or record.version != link.remote_version)
        if revision != link.local_revision or remote_changed:
            found.pairs.append(Pair(link, record))
    if released and not run.options.dry_run:
        with run.book.transaction() as tx:
            tx.sync_state.drop_links(run.remote, released)
    found.new_remote = [r for rid, r in listed.items() if rid not in linked_remote]
    found.new_local = [cid for cid, (_, _, deleted_at, _) in contacts.items()
                       if deleted_at is None and cid not in linked_contacts]
    return found
