"""The book: rolo's Python API over one contact book file.

Each method is one read, or one write transaction (BEGIN IMMEDIATE: all of it lands or none of it). The
SQL behind them lives in `rolo.core.store`: `reader` for reads, `writer` for writes (the search index is
updated in the same transaction, so the book and its index never disagree). Both use plain sqlite3, so a
command pays for SQLAlchemy only when it migrates a book or when a library user asks for typed SQLModel
objects (`session()`, `contact_model()`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rolo.core.errors import UserError
from rolo.core.fields import FieldDefinition
from rolo.core.history import ChangeContext
from rolo.core.book_crm import PersonalCRM
from rolo.core.record import ContactRecord, LogEntry
from rolo.core.store import connection, integrity, reader, search
from rolo.core.store.sync_state import SyncState
from rolo.core.store.writer import SaveResult, Writer
from rolo.core.values import book_time, new_uid, normalize_birthday, sort_key, utc_now

if TYPE_CHECKING:
    from pathlib import Path

    from sqlmodel import Session

    from rolo.core.edit_merge import EditSaved
    from rolo.core.models import Contact


__all__ = ["Book", "SaveResult", "Writer", "new_uid", "normalize_birthday", "sort_key", "utc_now"]


class Book(PersonalCRM):
    """A contact book in one SQLite file (or a `sqlite:///` URL)."""

    def __init__(self, location: str, *, region: str = "US") -> None:
        self.location = location
        self.region = region
        self._read: sqlite3.Connection | None = None
        # idle write connections: one per thread writing at once (the watcher and a sync in `rolo daemon`)
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._unheard: set[str] = set()  # hooks the plugin index says no plugin implements
        # What writes are part of (rolo.core.history): `recording()` sets it per thread for a block; else
        # `context`, when set (the CLI sets one per command), else each transaction is a change set of its own.
        self.context: ChangeContext | None = None
        self._recording = threading.local()

    # -- connections -------------------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """The read connection (plain sqlite3, autocommit)."""
        if self._read is None:
            self._read = connection.read_connection(self.location)
        return self._read

    def close(self) -> None:
        """Close connections (the book can be reopened by using it again)."""
        if self._read is not None:
            self._read.close()
            self._read = None
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One write transaction (BEGIN IMMEDIATE): all of it lands, or none of it. Plugins hear of the
        changed contacts (the `contact_changed` hook) once it has committed."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connection.write_connection(self.location)
        try:
            connection.begin_write(conn)
            context = self._current_context()
            writer = Writer(conn, self.region, context)
            try:
                yield writer
                changeset_id = writer.history.flush()
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        except BaseException:
            conn.close()
            raise
        context.changeset_id = changeset_id  # the next transaction of this context writes into the same set
        with self._lock:
            self._idle.append(conn)
        if writer.changes and self._listened_to("contact_changed"):
            hook = self.plugin_manager.hook.contact_changed
            if hook.get_hookimpls():
                for record, change in writer.changes:
                    hook(book=self, record=record, change=change)

    def _current_context(self) -> ChangeContext:
        stack = getattr(self._recording, "stack", None)
        if stack:
            return stack[-1]
        return self.context or ChangeContext()

    @contextmanager
    def recording(self, context: ChangeContext) -> Iterator[ChangeContext]:
        """Record the writes of this block (in this thread) as one change set described by `context`; its
        `changeset_id` names the set once a write has committed (None: nothing changed)."""
        stack = getattr(self._recording, "stack", None)
        if stack is None:
            stack = self._recording.stack = []
        stack.append(context)
        try:
            yield context
        finally:
            stack.pop()

    @property
    def sync_state(self) -> SyncState:
        """The sync state (links, bookmarks, journal, conflicts) as the read connection sees it; write it
        through `transaction()` (`tx.sync_state`)."""
        return SyncState(self.db)

    @cached_property
    def plugin_manager(self) -> Any:
        """The plugin manager whose hooks this book calls (the process's, unless one was given)."""
        from rolo.core import plugin_index
        from rolo.core.plugins import get_plugin_manager

        pm = get_plugin_manager()
        plugin_index.record(pm)
        return pm

    def _listened_to(self, hook: str) -> bool:
        """Whether a plugin may implement this hook, without loading the plugins when the index of the
        installed plugins says none does (see rolo.core.plugin_index)."""
        if "plugin_manager" in self.__dict__:  # loaded, or given by the caller
            return True
        if hook in self._unheard:  # asked before: the index is read once per book, not per transaction
            return False
        from rolo.core import plugin_index

        if plugin_index.implemented(hook) is False:
            self._unheard.add(hook)
            return False
        return True

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A consistent read of several queries, even while another process writes."""
        with connection.snapshot(self.db) as db:
            yield db

    # -- reads -------------------------------------------------------------------------------------------
    def resolve(self, ref: str) -> int:
        """Row id of the contact a REF names."""
        from rolo.core.store.refs import resolve_ref

        return resolve_ref(self.db, ref, self.region)

    def get(self, ref: str) -> ContactRecord:
        """The contact a REF names."""
        from rolo.core.store.refs import resolve_ref

        with self.snapshot() as db:
            return reader.load_contacts(db, [resolve_ref(db, ref, self.region)])[0]

    def load(self, ids: list[int]) -> list[ContactRecord]:
        """The contacts with these row ids (deleted ones too), in the order given; missing ids are skipped."""
        with self.snapshot() as db:
            return reader.load_contacts(db, ids)

    def contacts(self, *, label: str | None = None, sort: str = "name") -> list[ContactRecord]:
        """Every live contact, optionally only those with a label, by name or most recently updated."""
        with self.snapshot() as db:
            return reader.live_contacts(db, label=label, sort=sort)

    def iter_contacts(self, *, label: str | None = None, sort: str = "name") -> Iterator[ContactRecord]:
        """Like contacts(), streamed in batches from one consistent read: for printing a whole large book
        without holding it all in memory."""
        with self.snapshot() as db:
            yield from reader.stream_live_contacts(db, label=label, sort=sort)

    def iter_contacts_json(self, *, label: str | None = None, sort: str = "name") -> Iterator[str]:
        """Like iter_contacts(), each contact as the compact text of its JSON object (`to_json()`), built by
        SQLite: the fast path for `rolo list --json` on a large book."""
        from rolo.core.store.contact_json import live_contacts_json

        with self.snapshot() as db:
            yield from live_contacts_json(db, label=label, sort=sort)

    def search(self, query: str, limit: int | None = 50) -> list[ContactRecord]:
        """Contacts matching a query (see rolo.core.search), best first."""
        with self.snapshot() as db:
            return reader.load_contacts(db, search.search_ids(db, query, self.region, limit))

    def field_definitions(self) -> list[FieldDefinition]:
        """Custom field definitions, by name."""
        return list(reader.field_definitions(self.db).values())

    def labels(self) -> list[tuple[str, int]]:
        """Every label with the number of live contacts carrying it."""
        return reader.label_counts(self.db)

    def birthdays(self) -> list[tuple[str, str, str]]:
        """(uid, formatted name, birthday) of every live contact with a birthday."""
        return reader.birthdays(self.db)

    def notes_log(self, ref: str) -> list[dict[str, Any]]:
        """A contact's dated notes, oldest first."""
        from rolo.core.store.refs import resolve_ref

        with self.snapshot() as db:
            return reader.notes(db, resolve_ref(db, ref, self.region))

    # -- writes (each one transaction) -------------------------------------------------------------------
    def add(self, record: ContactRecord) -> ContactRecord:
        """Create a new contact; its uid must be new."""
        with self.transaction() as tx:
            if tx.contact_row(record.uid):
                raise UserError(f"a contact with uid {record.uid} already exists")
            return tx.save(record).record

    def save(self, record: ContactRecord) -> SaveResult:
        """Create or update the contact with this uid (an upsert, as import does)."""
        with self.transaction() as tx:
            return tx.save(record)

    def update(self, ref: str, change: Callable[[ContactRecord], ContactRecord | None]) -> ContactRecord:
        """Apply `change` to the contact REF names, inside one transaction (read, change, write)."""
        with self.transaction() as tx:
            current = tx.load(tx.resolve(ref))
            changed = change(replace(current)) or current
            return tx.save(changed).record

    def save_edit(self, base: ContactRecord, edited: ContactRecord) -> EditSaved:
        """Save an edit of `base` (as read before the user began): a change saved to the contact since is
        merged field by field, and a field both changed is a conflict in `rolo conflicts` (remote `edit`)
        with the edit's value kept (`rolo.core.edit_merge`)."""
        from rolo.core.edit_merge import save_edit

        with self.transaction() as tx:
            return save_edit(tx, base, edited)

    def delete(self, ref: str) -> ContactRecord:
        """Tombstone a contact: it disappears from reads but stays for sync to propagate the deletion."""
        return self.delete_many([ref])[0]

    # -- the trash: deleted contacts, kept until a sync has deleted them remotely and the user empties it ---
    def delete_many(self, refs: list[str]) -> list[ContactRecord]:
        """Tombstone several contacts in one transaction: a REF that names no contact is an error and
        nothing is deleted. A contact named twice is deleted once."""
        with self.transaction() as tx:
            ids = list(dict.fromkeys(tx.resolve(ref) for ref in refs))
            records = [tx.load(i) for i in ids]
            for record in records:
                tx.tombstone(record)
            return records

    def trash(self) -> list[dict[str, Any]]:
        """The deleted contacts, newest first: {id, uid, formatted_name, deleted_at, emails}."""
        return reader.trashed_contacts(self.db)

    def restore(self, ref: str) -> ContactRecord:
        """Bring a contact back from the trash (REF: its uid, a uid prefix of 6+ characters or an email); its
        revision is bumped so the next sync sends it to remotes again."""
        with self.transaction() as tx:
            return tx.restore(tx.resolve_trashed(ref))

    def empty_trash(self, older_than: float | None = None, *, dry_run: bool = False
                    ) -> tuple[int, dict[str, int]]:
        """Purge the contacts deleted more than `older_than` seconds ago (all when None), except those a sync
        has not deleted remotely yet. Returns how many were (with dry_run: would be) purged and how many were
        kept per remote."""
        from datetime import UTC, datetime, timedelta

        before = None if older_than is None else book_time(datetime.now(UTC) - timedelta(seconds=older_than))
        if dry_run:
            with self.snapshot() as db:
                ids, kept = reader.trash_to_purge(db, before)
                return len(ids), kept
        with self.transaction() as tx:
            ids, kept = tx.trash_to_purge(before)
            return tx.purge(ids), kept

    def define_field(self, definition: FieldDefinition) -> FieldDefinition:
        """Add a custom field definition (its name must be new)."""
        with self.transaction() as tx:
            return tx.define_field(definition)

    def set_field_private(self, name: str, local_only: bool = True) -> FieldDefinition:
        """Make a custom field private (`local_only`: kept off remotes and exports unless asked) or not."""
        with self.transaction() as tx:
            return tx.set_field_private(name, local_only)

    def rename_label(self, old: str, new: str) -> int:
        """Rename a label (or merge it into an existing one); returns how many contacts carry it."""
        with self.transaction() as tx:
            return tx.rename_label(old, new)

    def duplicates(self) -> list[Any]:
        """Groups of likely duplicates (see rolo.core.dupes)."""
        from rolo.core.dupes import find_duplicates

        with self.snapshot() as db:
            return find_duplicates(reader.duplicate_keys(db))

    def merge(self, keep_ref: str, other_refs: list[str], *, dry_run: bool = False, delete_remote: bool = False
              ) -> tuple[ContactRecord, list[str], list[ContactRecord]]:
        """Merge contacts into KEEP (one transaction): union of their data, the others tombstoned.

        The others' uids (and the aliases they had) become aliases of KEEP: a card or a REF with one of
        them reaches KEEP. KEEP inherits the others' links to remote records where it has none on that
        remote, so the next sync updates that record instead of deleting it and creating another. Where
        KEEP has a record of its own, the next sync deletes the other's (`merge_remote_deletions`): that
        needs `delete_remote`, else UserError and nothing is merged.
        Returns the merged contact, the notes-log lines for values that lost, and the merged-away contacts.
        With dry_run nothing is written."""
        from rolo.core.merge import merge_records, plan_links

        with self.transaction() as tx:
            keep, others = self._merge_parties(tx, keep_ref, other_refs)
            merged, log = merge_records(keep, others)
            merged = tx.prepare(merged)
            state = tx.sync_state
            inherit, replaced, deletions = plan_links(
                state.contact_links(keep.id), [(o, state.contact_links(o.id)) for o in others])  # type: ignore[arg-type]
            if dry_run:  # nothing was written: the transaction commits empty
                return merged, log, others
            if deletions and not delete_remote:
                raise UserError("; ".join(d.message() for d in deletions) + ": nothing merged",
                                hint="rerun with --yes to merge anyway")
            for other in others:
                tx.tombstone(other)
            tx.add_aliases(keep.id, [o.id for o in others])  # type: ignore[arg-type, misc]
            keep_links = state.contact_links(keep.id)  # type: ignore[arg-type]
            for remote in replaced:  # a hold (`conflicts resolve --take both`) gives way to the record
                state.drop_links(remote, [keep.id])  # type: ignore[list-item]
                tx.history.record(keep.id, "relinked", {  # type: ignore[arg-type]
                    "holds": [[{"remote": remote, "key": keep_links[remote].pending_key}], []]})
            for remote, link in inherit:
                state.move_link(link.id, keep.id)  # type: ignore[arg-type]
                # so that an undo of the merge gives the record back to the contact merged away
                tx.history.record(link.contact_id, "relinked",
                                  {"links": [[{"remote": remote, "remote_id": link.remote_id}], []]})
            entries = [f"merged {o.display_name()} ({o.uid}) into this contact" for o in others] + log
            saved = tx.save(merged).record
            tx.add_notes((saved.id, entry, None, None) for entry in entries)  # type: ignore[misc]
            return saved, log, others

    def merge_remote_deletions(self, keep_ref: str, other_refs: list[str]) -> list[Any]:
        """The remote records (`rolo.core.merge.RemoteDeletion`) the next sync would delete after this
        merge: those of the others on remotes where KEEP is linked to a record of its own."""
        from rolo.core.merge import plan_links
        from rolo.core.store.refs import resolve_ref

        with self.snapshot() as db:  # a read: no write lock taken
            ids = [resolve_ref(db, ref, self.region) for ref in [keep_ref, *other_refs]]
            keep, *others = reader.load_contacts(db, ids)
            state = SyncState(db)
            return plan_links(state.contact_links(keep.id),  # type: ignore[arg-type]
                              [(o, state.contact_links(o.id)) for o in others])[2]  # type: ignore[arg-type]

    @staticmethod
    def _merge_parties(tx: Writer, keep_ref: str, other_refs: list[str]
                       ) -> tuple[ContactRecord, list[ContactRecord]]:
        keep = tx.load(tx.resolve(keep_ref))
        others: list[ContactRecord] = []
        for ref in other_refs:
            other = tx.load(tx.resolve(ref))
            if other.id == keep.id or any(o.id == other.id for o in others):
                raise UserError(f"{ref!r} names a contact already in this merge ({other.uid})")
            others.append(other)
        return keep, others

    def add_note(self, ref: str, body: str, *, local_only: bool = False) -> dict[str, Any]:
        """Append a dated entry to a contact's notes log (`local_only`: left out of exports unless asked)."""
        if not body.strip():
            raise UserError("note text is empty")
        with self.transaction() as tx:
            record = tx.load(tx.resolve(ref))
            created = utc_now()
            tx.add_notes([(record.id, body, created, None, None, local_only)])  # type: ignore[list-item]
            return {"uid": record.uid, "created_at": created, "body": body}

    # -- the notes log as part of the contact: show, edit, remove, export ---------------------------------
    def log(self, ref: str) -> list[LogEntry]:
        """A contact's notes log as entries (id, time, text, source key), oldest first."""
        from rolo.core.store.refs import resolve_ref

        with self.snapshot() as db:
            contact_id = resolve_ref(db, ref, self.region)
            return reader.notes_logs(db, [contact_id]).get(contact_id, [])

    def with_log(self, records: list[ContactRecord]) -> list[ContactRecord]:
        """These contacts with their notes logs filled in (`record.log`), for exports; read in one pass."""
        with self.snapshot() as db:
            logs = reader.notes_logs(db, [r.id for r in records if r.id is not None])
        for record in records:
            record.log = logs.get(record.id, []) if record.id is not None else record.log
        return records

    def note(self, note_id: int) -> dict[str, Any]:
        """One notes-log entry: {id, uid, name, at, text, source}; NotFoundError if there is none."""
        from rolo.core.errors import NotFoundError

        with self.snapshot() as db:
            row = reader.note_row(db, note_id)
            if row is None:
                raise NotFoundError(f"no note with id {note_id}", hint="rolo note list REF --json shows the ids")
            nid, contact_id, at, body, key = row
            (record,) = reader.load_contacts(db, [contact_id])
            return {"id": nid, "uid": record.uid, "name": record.display_name(), "at": at, "text": body,
                    "source": key}

    def edit_note(self, note_id: int, body: str) -> dict[str, Any]:
        """Change a notes-log entry's text (its time stays); search then finds the new text, not the old.
        Returns {id, uid, at, text, old_text}."""
        with self.transaction() as tx:
            nid, contact_id, at, old, _ = tx.edit_note(note_id, body)
            return {"id": nid, "uid": tx.load(contact_id).uid, "at": at, "text": body, "old_text": old}

    def remove_note(self, note_id: int) -> dict[str, Any]:
        """Delete a notes-log entry; search no longer finds its text. Returns {id, uid, at, text}."""
        with self.transaction() as tx:
            nid, contact_id, at, body, _ = tx.remove_note(note_id)
            return {"id": nid, "uid": tx.load(contact_id).uid, "at": at, "text": body}

    # -- history and undo (rolo.core.history) ------------------------------------------------------------
    def history(self, ref: str | None = None, *, limit: int | None = 20, changes: int | None = 20
                ) -> list[dict[str, Any]]:
        """Change sets, newest first (only those touching the contact REF names, when given), each
        {id, at, actor, command, source, undoes, undone_by, contacts, ops, changes, more_changes}: `changes`
        lists the first `changes` contact changes {uid, name, op, fields, note} (only REF's, when given)."""
        from rolo.core.history.report import change_set_entry
        from rolo.core.store import history
        from rolo.core.store.refs import resolve_ref

        with self.snapshot() as db:
            contact_id = resolve_ref(db, ref, self.region) if ref is not None else None
            return [change_set_entry(s, history.op_counts(db, s["id"], contact_id=contact_id),
                                     history.changes(db, s["id"], contact_id=contact_id, limit=changes))
                    for s in history.change_sets(db, contact_id=contact_id, limit=limit)]

    def undo(self, change_id: int | None = None, *, dry_run: bool = False) -> Any:
        """Revert a change set (default: the last one a person made that is not undone yet) as a new change
        set; returns a `rolo.core.history.undo.UndoReport`. With dry_run, what it would do, nothing written."""
        from rolo.core.errors import NotFoundError
        from rolo.core.history.undo import UndoReport, undo_changeset
        from rolo.core.store import history

        with self.snapshot() as db:
            if change_id is None:
                change_id = history.last_undoable(db)
                if change_id is None:
                    raise UserError("nothing to undo", hint="rolo history lists what changed")
            found = history.change_sets(db, changeset_id=change_id)
        if not found:
            raise NotFoundError(f"no change {change_id}", hint="rolo history lists the change ids")
        if found[0]["undone_by"] is not None:
            raise UserError(f"change {change_id} was already undone by change {found[0]['undone_by']}",
                            hint=f"rolo undo {found[0]['undone_by']} redoes it")
        report = UndoReport(change_id, dry_run=dry_run)
        base = self._current_context()
        context = ChangeContext(actor=base.actor, command=base.command, source=base.source, undoes=change_id)
        try:
            with self.recording(context), self.transaction() as tx:
                undo_changeset(tx, change_id, report)
                if dry_run:
                    raise _Rollback
        except _Rollback:
            return report
        report.changeset_id = context.changeset_id
        return report

    # -- typed SQLModel objects, for library users ---------------------------------------------------------
    # rolo's commands never call these: they import SQLAlchemy (about 0.3 s), so it is imported here only.
    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only SQLModel Session on the book, for library users who want typed objects and `select()`
        queries of their own (see rolo.core.store.orm); closed when the block ends. Write through Book."""
        from rolo.core.store import orm

        with orm.open_session(self.location) as session:
            yield session

    def contact_model(self, ref: str) -> Contact:
        """The contact a REF names as a typed SQLModel `Contact`, for library users, with its emails, phones,
        addresses, urls, labels, custom field values, notes log and organization loaded."""
        from rolo.core.errors import NotFoundError
        from rolo.core.store import orm

        contact_id = self.resolve(ref)
        with self.session() as session:
            found = orm.contact_by_id(session, contact_id)
        if found is None:  # removed between the two reads
            raise NotFoundError(f"no contact matches {ref!r}")
        return found

    def contact_models(self, *, label: str | None = None) -> list[Contact]:
        """Every live contact (optionally only those with a label) as typed SQLModel `Contact`s, for library
        users, by name, with their emails, phones, labels... loaded."""
        from rolo.core.store import orm

        with self.session() as session:
            return orm.contacts(session, label=label)

    # -- the file itself: rolo init, rolo backup (issue 11) ----------------------------------------------------
    def exists(self) -> bool:
        """Whether the book file is there (a read of a missing book may be refused: see connection.py)."""
        return connection.book_exists(self.location)

    def create(self) -> tuple[Path, bool, str | None]:
        """Create the book file if it does not exist, or upgrade an older one (after a backup beside it).
        Returns its path, whether it was created, and the schema it was upgraded from (None: none)."""
        return connection.create_book(self.location)

    def refresh_statistics(self) -> None:
        """After a large import: on PostgreSQL, ANALYZE, so the planner knows the book's new size before
        autovacuum gets to it (a search right after a bulk load would scan); nothing on SQLite."""
        if self.on_server:
            integrity.refresh_statistics(self.location)

    @property
    def on_server(self) -> bool:
        """Whether the book is a PostgreSQL database (a team book) rather than a file."""
        return connection.postgres.is_postgres(self.location)

    def backup(self, target: str | Path | None = None, *, before_merge: bool = False) -> connection.BackupMade:
        """Copy the book with SQLite's online backup API (consistent while other processes write) to `target`
        (a new file or a folder), by default `BOOK.backup-SCHEMA-TIME` beside it; the copy is checked with
        `PRAGMA quick_check`. Raises BookError for a missing or damaged book, or a target that exists."""
        return connection.backup_book(self.location, target, before_merge=before_merge)


class _Rollback(Exception):
    """Raised inside a transaction to roll it back on purpose (a dry run)."""
