"""What a run tells: the report it returns, its journal entry, skipped records, errors and the conflict log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from rolo.core.store.sync_state import SyncState
    from rolo.core.sync.engine.context import Run

EXIT_OK, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 3


@dataclass
class Report:
    """What a run did (or, for a dry run, would do)."""

    remote: str
    mode: str
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # records refused (by the remote or the book)
    errors: list[dict[str, Any]] = field(default_factory=list)  # failures that are not a single record's
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    run_id: int | None = None

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    @property
    def status(self) -> str:
        """ok, partial (some records skipped) or failed."""
        if self.errors:
            return "failed"
        return "partial" if self.skipped else "ok"

    @property
    def exit_code(self) -> int:
        """0 everything synced, 3 some records were skipped, 1 an error."""
        return {"ok": EXIT_OK, "partial": EXIT_SKIPPED, "failed": EXIT_ERROR}[self.status]

    def as_dict(self) -> dict[str, Any]:
        out = {"remote": self.remote, "mode": self.mode, "dry_run": self.dry_run, "status": self.status,
               "counts": dict(sorted(self.counts.items())), "skipped": self.skipped, "errors": self.errors,
               "conflicts": self.conflicts}
        if self.dry_run:
            out["plan"] = self.plan
        return out


# -- the journal ---------------------------------------------------------------------------------------------
def open_journal(run: Run) -> None:
    """Open the run's journal entry (a dry run has none)."""
    if run.options.dry_run:
        return
    with run.book.transaction() as tx:
        run.report.run_id = tx.sync_state.start_run(run.remote, run.options.mode)


def close_journal(run: Run, failure: Exception | None = None) -> None:
    """Close the journal entry with the run's outcome; `failure` is the error that ended the run, if one did."""
    if failure is not None:
        run.report.errors.append({"code": type(failure).__name__, "message": str(failure)})
    name_contacts(run)
    if run.options.dry_run or run.report.run_id is None:
        return
    with run.book.transaction() as tx:
        tx.sync_state.finish_run(run.report.run_id, run.report.status, run.report.counts,
                         run.report.skipped + run.report.errors)


# -- who the report is about ------------------------------------------------------------------------------------
def name_contacts(run: Run) -> None:
    """Add `name` and `email` (display name, primary email; null when unknown) to every row of the report
    that is about a contact (skips, errors, conflicts, the dry run's plan), and `uid` where only its row id
    was known, so a person reading the report can tell who it is. The keys already there are left alone.

    Found by the row's contact id, else its uid, else the contact linked to its remote id. Never raises: a
    report without names is better than a run whose outcome is lost."""
    import sqlite3

    from rolo.core.errors import RoloError

    report = run.report
    rows = [*report.skipped, *report.errors, *report.conflicts, *(r for rs in report.plan.values() for r in rs)]
    rows = [r for r in rows if r.get("uid") or r.get("contact_id") or r.get("remote_id")]
    if not rows:
        return
    try:
        sync = run.book.sync_state
        by_uid: dict[str, int] = {}
        if any(r.get("uid") and not r.get("contact_id") for r in rows):
            by_uid = {uid: cid for cid, (uid, *_rest) in sync.contact_states().items()}
        ids: list[int | None] = []
        for row in rows:
            cid = row.get("contact_id") or by_uid.get(row.get("uid") or "")
            if cid is None and row.get("remote_id") and not row.get("name"):
                cid = sync.contact_of(run.remote, str(row["remote_id"]))
            ids.append(cid)
        records = run.load({cid for cid in ids if cid is not None})
    except (RoloError, sqlite3.Error):
        records, ids = {}, [None] * len(rows)
    for row, cid in zip(rows, ids, strict=True):
        record = records.get(cid) if cid is not None else None
        if record is not None:
            if not row.get("name"):
                row["name"] = record.display_name()
            row.setdefault("email", next((e.address for e in record.emails if e.primary),
                                         record.emails[0].address if record.emails else None))
            row.setdefault("uid", record.uid)
        row.setdefault("name", None)
        row.setdefault("email", None)


# -- records and errors --------------------------------------------------------------------------------------
def skip(run: Run, uid: str | None, remote_id: str | None, code: str, message: str) -> None:
    """Report a record refused by the remote or the book; the run goes on with the others."""
    run.report.skipped.append({"uid": uid, "remote_id": remote_id, "code": code, "message": message})
    run.report.count("skipped")


def duplicate_claim(run: Run, uid: str, remote_ids: list[str], message: str) -> None:
    """Report two records (on either side) that are one person, which only the user can settle."""
    run.report.errors.append({"code": "duplicate_claim", "uid": uid, "remote_ids": remote_ids,
                              "message": message})


def conflict(run: Run, contact_id: int, remote_id: str | None, name: str, local: Any, remote: Any, kept: str,
             sync: SyncState | None = None) -> None:
    """Report a conflict and, in a real run, log it (in the caller's transaction when given), unless the
    run's direction defers the winning side (then the next two-way run settles it)."""
    mode = run.options.mode
    if (mode == "push" and kept == "remote") or (mode == "pull" and kept == "local"):
        return
    row = {"contact_id": contact_id, "remote_id": remote_id, "field": name, "local": local,
           "remote_value": remote, "kept": kept}
    run.report.conflicts.append(row)
    run.report.count("conflicts")
    if run.options.dry_run:
        return
    entry = {**row, "remote": run.remote, "run_id": run.report.run_id, "policy": run.options.policy}
    if sync is not None:
        sync.log_conflicts([entry])
    else:
        with run.book.transaction() as tx:
            tx.sync_state.log_conflicts([entry])
