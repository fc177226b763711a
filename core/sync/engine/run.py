"""The run: `SyncEngine`, and the order of the steps (see the package docstring for why this order)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rolo.core.sync.engine.apply import apply_pulled, pull_activity
from rolo.core.sync.engine.context import Run, SyncOptions, check_run
from rolo.core.sync.engine.listing import classify, list_remote
from rolo.core.sync.engine.plan import describe, make_plan
from rolo.core.sync.engine.push import push
from rolo.core.sync.engine.report import Report, close_journal, open_journal
from rolo.core.sync.engine.resume import resume

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.sync.adapter import Adapter


class SyncEngine:
    """Syncs one book with one remote through its adapter (see the package docstring)."""

    def __init__(self, book: Book, remote: str, adapter: Adapter, options: SyncOptions | None = None,
                 plugin_manager: pluggy.PluginManager | None = None) -> None:
        options = options or SyncOptions()
        check_run(options.mode, options.policy)
        pm = plugin_manager if plugin_manager is not None else book.plugin_manager
        caps = adapter.capabilities
        if not options.include_private:  # private fields stay in the book (rolo field define --local)
            from dataclasses import replace

            from rolo.core.fields import field_key

            private = frozenset(field_key(d.name) for d in book.field_definitions() if d.local_only)
            caps = replace(caps, private_fields=private) if private else caps
        self.context = Run(book, remote, adapter, caps, options, pm, Report(remote, options.mode, options.dry_run))

    @property
    def report(self) -> Report:
        """What the run did (filled in as it goes)."""
        return self.context.report

    def run(self) -> Report:
        """Sync once; returns the report. Raises AdapterError/UserError when the run as a whole failed (the
        journal records it); per-record refusals are in the report instead."""
        from rolo.core.history import SYNC, ChangeContext

        run = self.context
        open_journal(run)
        # what the run changes in the book is one change set of the history, undoable as a whole
        recording = ChangeContext(actor=SYNC, command=f"rolo sync {run.remote}",
                                  source=f"{run.remote} run {run.report.run_id}")
        memo = run.book.sync_state.adapter_memo(run.remote)
        run.adapter.recall(memo)
        with run.book.recording(recording):
            try:
                if not run.options.dry_run:
                    resume(run)
                _sync(run)
            except Exception as exc:  # the journal records every failed run, then the error goes on up
                close_journal(run, exc)
                _keep_memo(run, memo)
                raise
            close_journal(run)
            _keep_memo(run, memo)
        return run.report


def _keep_memo(run: Run, before: dict[str, Any]) -> None:
    """Store what the adapter found out about its remote this run (even a failed one), when it changed."""
    memo = run.adapter.remembered()
    if memo and memo != before and not run.options.dry_run:  # a dry run writes nothing
        with run.book.transaction() as tx:
            tx.sync_state.save_adapter_memo(run.remote, memo)


def _sync(run: Run) -> None:
    """List, plan, then (unless a dry run) apply locally, store the bookmark, and push."""
    mode = run.options.mode
    listing = list_remote(run)
    plan = make_plan(run, classify(run, listing), listing.contacts)
    if run.options.dry_run:
        describe(run, plan, listing.contacts)
        return
    apply_pulled(run, plan)
    if mode != "push":
        # the bookmark is stored only now, after every record it covers is in the book
        changes = listing.changes
        count = len(listing.records) if changes.complete else listing.remote_state["remote_count"] + len(
            plan.pull_creates)
        with run.book.transaction() as tx:
            tx.sync_state.save_remote_state(run.remote, bookmark=changes.bookmark, remote_count=count,
                                    full=changes.complete)
    if run.pulled and run.pm.hook.after_pull.get_hookimpls():
        run.pm.hook.after_pull(remote=run.remote, records=run.pulled)
    if mode != "push":
        pull_activity(run)
    if mode != "pull":
        push(run, plan)
        _count_pushed(run)


def _count_pushed(run: Run) -> None:
    """Keep the remote's stored record count in step with what the push created and deleted."""
    count = run.book.sync_state.remote_state(run.remote)["remote_count"]
    count += run.report.counts.get("remote_created", 0) - run.report.counts.get("remote_deleted", 0)
    with run.book.transaction() as tx:
        current = tx.sync_state.remote_state(run.remote)
        tx.sync_state.save_remote_state(run.remote, bookmark=current["bookmark"], remote_count=max(0, count),
                                full=False)
