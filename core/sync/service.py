"""Running syncs: one remote by its config, all of them on a schedule, and resolving logged conflicts.

The CLI (`rolo sync`, `rolo daemon`, `rolo conflicts`) is a thin layer over this module.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rolo.core.errors import NotFoundError, RoloError, UserError
from rolo.core.store import sync_state as state
from rolo.core.sync import merge, remotes
from rolo.core.sync.engine import Report, SyncEngine, SyncOptions

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.config import Config


def _full_due(book: Book, remote: remotes.Remote) -> bool | None:
    """Whether a complete listing is due by the remote's `full_every` (None: the engine decides)."""
    every = remotes.parse_duration(remote.full_every)
    if every <= 0:
        return True
    last = state.remote_state(book.db, remote.name)["last_full_at"]
    if not last:
        return True
    age = datetime.now(UTC) - datetime.fromisoformat(last)
    return age.total_seconds() >= every


def sync_remote(book: Book, config: Config, name: str, options: SyncOptions, pm: pluggy.PluginManager,
                *, policy: str | None = None) -> Report:
    """Sync the book with one configured remote; the policy defaults to the remote's `conflict`."""
    remote = remotes.get_remote(config, name)
    adapter = remotes.open_adapter(remote, pm)
    run_options = replace(options, policy=policy or remote.conflict)
    if run_options.full is None:
        run_options.full = _full_due(book, remote)
    try:
        return SyncEngine(book, name, adapter, run_options, pm).run()
    finally:
        adapter.client.close()


@dataclass
class Schedule:
    """Periodic syncs of several remotes, each with its own backoff after failures (`rolo sync --every`,
    `rolo daemon`). A remote that fails waits `every`, then twice that, up to `max_backoff`."""

    every: float
    max_backoff: float = 3600.0
    next_at: dict[str, float] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def due(self, names: list[str], now: float) -> list[str]:
        """The remotes whose turn it is."""
        return [n for n in names if self.next_at.get(n, 0.0) <= now]

    def done(self, name: str, ok: bool, now: float) -> float:
        """Record a run's outcome; returns the seconds until this remote's next run."""
        if ok:
            self.failures.pop(name, None)
            wait = self.every
        else:
            self.failures[name] = self.failures.get(name, 0) + 1
            wait = min(self.max_backoff, self.every * 2 ** self.failures[name])
        self.next_at[name] = now + wait
        return wait

    def sleep_for(self, names: list[str], now: float) -> float:
        """Seconds until the next remote is due."""
        return max(0.0, min((self.next_at.get(n, 0.0) for n in names), default=self.every) - now)


def run_schedule(names: list[str], every: float, run_one: Callable[[str], bool], stop: threading.Event,
                 *, max_backoff: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
    """Call `run_one(name)` for each remote every `every` seconds (backing off per remote when it returns
    False) until `stop` is set."""
    schedule = Schedule(every, max_backoff)
    while not stop.is_set():
        for name in schedule.due(names, clock()):
            if stop.is_set():
                return
            ok = run_one(name)
            schedule.done(name, ok, clock())
        stop.wait(max(0.05, schedule.sleep_for(names, clock())))


# -- conflicts -------------------------------------------------------------------------------------------------
def resolve_conflict(book: Book, config: Config, pm: pluggy.PluginManager, conflict_id: int, take: str
                     ) -> dict[str, Any]:
    """Settle a logged conflict: keep the local or the remote value, or `both`: the remote version becomes a
    new contact, linked to the remote record, beside the local one (held back from that remote until the
    user merges the two with `rolo merge`). The change is made in the book; the next sync carries it to
    the remote. Returns what was done."""
    from rolo.core.book import new_uid

    if take not in ("local", "remote", "both"):
        raise UserError("--take must be local, remote or both")
    found = state.conflicts(book.db, include_resolved=True, conflict_id=conflict_id)
    if not found:
        raise NotFoundError(f"no conflict with id {conflict_id}")
    conflict = found[0]
    if conflict["resolved_at"]:
        raise UserError(f"conflict {conflict_id} was already resolved ({conflict['resolution']})")
    remote = remotes.get_remote(config, conflict["remote"])
    caps = remotes.adapter_class(pm, remote.adapter).capabilities
    name, cid = conflict["field"], conflict["contact_id"]
    with book.transaction() as tx:
        record = tx.load(cid)
        deleted = tx.contact_row(record.uid)[2] is not None  # type: ignore[index]
        if take in ("local", "remote"):
            if take == conflict["kept"]:
                outcome = f"kept the {take} value (nothing to change)"
            elif name == "(deleted)":
                if take == "local":  # the remote deletion had won: bring the contact back (pushed next sync)
                    tx.save(record)
                    outcome = "restored the contact; the next sync creates it remotely again"
                else:  # the local edit had won (re-created remotely): delete it after all
                    if not deleted:
                        tx.tombstone(record)
                    outcome = "deleted the contact; the next sync deletes it remotely"
            else:
                value = conflict["local"] if take == "local" else conflict["remote_value"]
                tx.save(merge.apply_local(record, {name: value}, caps))
                outcome = f"set {name} to the {take} value; the next sync sends it to {conflict['remote']}"
            state.resolve_conflicts(tx.dbapi, [conflict_id], take)
            return {"id": conflict_id, "take": take, "outcome": outcome}
        # both: the remote version becomes a second contact, linked to the remote record
        if name == "(deleted)":
            raise UserError("a deletion conflict has no two versions to keep; take local or remote")
        siblings = [c for c in state.conflicts(tx.dbapi, remote=conflict["remote"]) if c["contact_id"] == cid
                    and c["field"] != "(deleted)"]
        remote_values = {c["field"]: c["remote_value"] for c in siblings}
        local_values = {c["field"]: c["local"] for c in siblings}
        link = state.link_for_contact(tx.dbapi, conflict["remote"], cid)
        if link is None or not link.remote_id:
            raise UserError(f"contact {record.uid} is no longer linked to {conflict['remote']}; take local or remote")
        twin = merge.apply_local(record, remote_values, caps)
        twin.uid, twin.id, twin.created_at = new_uid(), None, None
        twin.revision = 0
        saved_twin = tx.save(twin).record
        tx.save(merge.apply_local(record, local_values, caps))
        # the remote record now belongs to the twin; local_revision -1 makes the next sync compare the twin
        # with what the remote last had
        state.move_link(tx.dbapi, link.id, saved_twin.id)  # type: ignore[arg-type]
        # the original is held back from this remote until the user merges the two (many remotes keep
        # emails unique, and the twin has its email); it syncs again once either is gone
        state.mark_pending(tx.dbapi, conflict["remote"], [(cid, "hold", str(saved_twin.id), None)])
        note = (f"kept from {conflict['remote']} beside {record.uid} (conflict on "
                f"{', '.join(sorted(remote_values))}); merge them with: rolo merge {record.uid} {saved_twin.uid}")
        tx.add_notes([(saved_twin.id, note, saved_twin.updated_at, None)])  # type: ignore[list-item]
        state.resolve_conflicts(tx.dbapi, [c["id"] for c in siblings], "both")
        return {"id": conflict_id, "take": "both", "uid": record.uid, "duplicate_uid": saved_twin.uid,
                "outcome": f"kept both: {saved_twin.uid} holds the {conflict['remote']} version; merge with "
                           f"rolo merge {record.uid} {saved_twin.uid}"}


def describe_error(exc: RoloError) -> str:
    """One line for an error, with its hint."""
    return f"{exc}" + (f" (hint: {exc.hint})" if exc.hint else "")
