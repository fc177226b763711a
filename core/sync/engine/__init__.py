"""One sync run of one remote: resume, pull, plan, apply locally, push, record.

The book is the source of truth and the network is never trusted, so a run is ordered for safety:

1. **Resume.** A create or delete that a killed run left pending (its marker was committed before the remote
   call) is settled first: a create is looked up (`Adapter.find`, by email) or replayed with the same
   idempotency key and body, then linked; a delete is repeated (deleting twice is harmless).
2. **List** the remote (incrementally from the bookmark when the adapter can, else completely) and apply
   the **guards**: a remote that suddenly lists none (or loses most) of the linked records is refused
   unless `force_delete`; two remote records claiming one local contact are an error naming both.
3. **Plan**, per contact, with the three-way merge of `rolo.core.sync.merge` (cheaply: a contact whose
   revision and a record whose version match the link's are not even loaded).
4. **Apply locally** what the remote changed, in transactions that store each contact together with its
   link and snapshots; the bookmark is stored only after all of them.
5. **Push**, per record: the pending marker is committed before each create or delete call, the link
   after it. A record the remote rejects is reported and skipped; the others go on. Creates of contacts
   that have an email go through the adapter's batch endpoint when it has one.
6. **Record** the run in the journal (counts, errors) and the conflicts in the conflict log.

Snapshots only ever move forward for what really reached the other side: a field whose push failed (or
was deferred by `--pull-only`) keeps its old snapshot, so the next run sends it again.

The modules follow the steps; each takes the run's shared context (`context.Run`: the book, the remote's
name, the adapter and its capabilities, the options, the plugin manager, the report) as its first argument:

- `run.py`: `SyncEngine` and the order of the steps;
- `resume.py`: step 1; `listing.py`: step 2 (the guards, and what changed where);
- `plan.py`: step 3 (merging pairs, matching by email, deletions both ways, the dry run's plan);
- `apply.py`: step 4 (contacts, links and snapshots; activity notes);
- `push.py`: step 5 (updates and deletes), `create.py` (creates, batched or single, with their markers);
- `report.py`: step 6 (the report, the journal, skipped records, the conflict log);
- `context.py`: `SyncOptions` and `Run`.

A contact crosses between the book and the adapter in one form, `rolo.core.sync.form.SyncForm`: the JSON
contact restricted to what the remote carries. The engine reads and writes the book only through
`rolo.core.store` (`Book.transaction()` and its `Writer`, and `rolo.core.store.sync_state`).
"""

from __future__ import annotations

from rolo.core.sync.engine.context import MODES, SyncOptions
from rolo.core.sync.engine.create import idempotency_key
from rolo.core.sync.engine.listing import MASS_DELETE_MIN, MASS_DELETE_RATIO, MassDeletionError
from rolo.core.sync.engine.report import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, Report
from rolo.core.sync.engine.run import SyncEngine

__all__ = [
    "EXIT_ERROR", "EXIT_OK", "EXIT_SKIPPED", "MASS_DELETE_MIN", "MASS_DELETE_RATIO", "MODES",
    "MassDeletionError", "Report", "SyncEngine", "SyncOptions", "idempotency_key",
]
