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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from rolo.core.emails import email_key
from rolo.core.store import reader
from rolo.core.values import new_uid, utc_now
from rolo.core.errors import RemoteRejected, RoloError, UserError
from rolo.core.fields import FieldDefinition, field_key
from rolo.core.store import sync_state as state
from rolo.core.sync import merge
from rolo.core.sync.adapter import Adapter, Changes, RemoteRecord

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.record import ContactRecord

MODES = ("both", "pull", "push")
_TX = 500  # contacts per local transaction
_GROUP = 50  # single remote writes per pending-marker transaction
#: A complete listing missing more than this share of the linked records (and at least
#: `MASS_DELETE_MIN` of them) is taken for an accident (an emptied account, a wrong workspace) and refused.
MASS_DELETE_RATIO = 0.5
MASS_DELETE_MIN = 5
EXIT_OK, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 3


class MassDeletionError(UserError):
    """A remote lost most of its records at once; sync refuses to propagate that without --force-delete."""


@dataclass
class SyncOptions:
    """How to run: the conflict policy, the direction, a dry run, the guards, a forced complete listing."""

    policy: str = "local"
    mode: str = "both"
    dry_run: bool = False
    force_delete: bool = False
    full: bool | None = None  # None: incremental when the adapter can and a bookmark exists
    progress: Callable[[str, int, int], None] | None = None


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


def idempotency_key(remote: str, uid: str, revision: int) -> str:
    """The key of a create: the same contact at the same revision sent to the same remote gets the same key."""
    return "rolo-" + hashlib.sha256(f"{remote}\0{uid}\0{revision}".encode()).hexdigest()[:40]


@dataclass
class _Pair:
    """A linked contact whose local or remote side (maybe) changed."""

    link: state.Link
    record: RemoteRecord | None  # None: not in this (incremental) listing


@dataclass
class _Update:
    contact_id: int
    remote_id: str
    link: state.Link | None
    remote: RemoteRecord
    local: ContactRecord
    merge: merge.Merge


class SyncEngine:
    """Syncs one book with one remote through its adapter (see the module docstring)."""

    def __init__(self, book: Book, remote: str, adapter: Adapter, options: SyncOptions | None = None,
                 plugin_manager: pluggy.PluginManager | None = None) -> None:
        self.book = book
        self.remote = remote
        self.adapter = adapter
        self.caps = adapter.capabilities
        self.options = options or SyncOptions()
        if self.options.mode not in MODES:
            raise UserError(f"unknown sync mode {self.options.mode!r}")
        if self.options.policy not in merge.POLICIES:
            raise UserError(f"unknown conflict policy {self.options.policy!r} (local, remote or newest)")
        self.pm = plugin_manager if plugin_manager is not None else book.plugin_manager
        self.report = Report(remote, self.options.mode, self.options.dry_run)
        self._pulled: list[dict[str, Any]] = []
        self._remote_defs: dict[str, FieldDefinition] | None = None
        self._taken: dict[str, int] = {}  # remote id -> contact id, while creating

    # -- the run ---------------------------------------------------------------------------------------------
    def run(self) -> Report:
        """Sync once; returns the report. Raises AdapterError/UserError when the run as a whole failed (the
        journal records it); per-record refusals are in the report instead."""
        opts, report = self.options, self.report
        if not opts.dry_run:
            with self.book.transaction() as tx:
                report.run_id = state.start_run(tx.dbapi, self.remote, opts.mode)
        try:
            if not opts.dry_run:
                self._resume()
            self._run()
        except Exception as exc:  # the journal records every failed run, then the error goes on up
            report.errors.append({"code": type(exc).__name__, "message": str(exc)})
            self._finish()
            raise
        self._finish()
        return report

    def _finish(self) -> None:
        if self.options.dry_run or self.report.run_id is None:
            return
        with self.book.transaction() as tx:
            state.finish_run(tx.dbapi, self.report.run_id, self.report.status, self.report.counts,
                             self.report.skipped + self.report.errors)

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self.options.progress:
            self.options.progress(phase, done, total)

    def _run(self) -> None:
        opts, db = self.options, self.book.db
        remote_state = state.remote_state(db, self.remote)
        full = opts.full
        if full is None:
            full = not (self.caps.incremental and remote_state["bookmark"])
        self._progress("list", 0, 0)
        changes = self.adapter.list_changes(None if full else remote_state["bookmark"])
        listed: dict[str, RemoteRecord] = {r.id: r for r in changes.records}
        links = state.links(db, self.remote)
        contacts = state.contact_states(db)
        self._guard(changes, listed, links)
        pairs, remote_gone, local_deleted, new_remote, new_local = self._classify(changes, listed, links, contacts)
        updates, refresh = self._merge(pairs, contacts)
        matched_remote, matched_local = self._match(new_remote, new_local, contacts, updates)
        pull_creates = [r for r in new_remote if r.id not in matched_remote]
        push_creates = [cid for cid in new_local if cid not in matched_local]
        pull_deletes, push_deletes, recreate = self._deletions(remote_gone, local_deleted)
        push_creates += recreate
        if opts.mode == "push":
            pull_creates, pull_deletes = [], []
        if opts.mode == "pull":
            push_creates, push_deletes = [], []
        if not self.caps.deletes:
            push_deletes = []
        if opts.dry_run:
            self._plan(updates, pull_creates, pull_deletes, push_creates, push_deletes, contacts)
            return
        self._apply_local(updates, pull_creates, pull_deletes, refresh, contacts)
        if opts.mode != "push":
            count = len(listed) if changes.complete else remote_state["remote_count"] + len(pull_creates)
            with self.book.transaction() as tx:
                state.save_remote_state(tx.dbapi, self.remote, bookmark=changes.bookmark, remote_count=count,
                                        full=changes.complete)
        if self._pulled and self.pm.hook.after_pull.get_hookimpls():
            self.pm.hook.after_pull(remote=self.remote, records=self._pulled)
        if opts.mode != "push":
            self._pull_activity()
        if opts.mode != "pull":
            self._push(updates, push_creates, push_deletes)
            count = state.remote_state(self.book.db, self.remote)["remote_count"]
            count += self.report.counts.get("remote_created", 0) - self.report.counts.get("remote_deleted", 0)
            with self.book.transaction() as tx:
                current = state.remote_state(tx.dbapi, self.remote)
                state.save_remote_state(tx.dbapi, self.remote, bookmark=current["bookmark"],
                                        remote_count=max(0, count), full=False)

    def _pull_activity(self) -> None:
        """Meetings and the like into the notes logs of the contacts they involve (adapters that have them)."""
        started = utc_now()
        try:
            entries = self.adapter.pull_activity(state.activity_since(self.book.db, self.remote))
        except NotImplementedError:
            return
        with self.book.transaction() as tx:
            notes = [(contact_id, body, _book_time(created_at) or started, f"{self.remote}:{key}")
                     for email, created_at, body, key in entries
                     for contact_id in reader.live_ids_with_email(tx.dbapi, email_key(email))]
            count = tx.add_notes(notes)
            # saved with the entries it covers, never before them
            state.save_activity_since(tx.dbapi, self.remote, started)
        if count:
            self.report.count("notes_added", count)

    # -- resume ----------------------------------------------------------------------------------------------
    def _resume(self) -> None:
        """Settle the remote writes a killed run left pending (their markers were committed before the calls).

        A create sent in a batch is replayed in a batch: the batch upserts on email, so a record that was
        created is found again, not duplicated. A create sent alone is replayed with its idempotency key and
        body when the remote honours keys, else looked up (`find`); when neither is possible the marker is
        dropped and the contact created again (a remote with neither can duplicate it: adapters should offer
        one or the other).
        """
        pending = [link for link in state.links(self.book.db, self.remote) if link.pending in ("create", "delete")]
        batch: list[tuple[state.Link, dict[str, Any]]] = []
        for link in pending:
            if link.pending == "delete":
                if link.remote_id:
                    self.adapter.delete(link.remote_id)
                with self.book.transaction() as tx:
                    state.drop_links(tx.dbapi, self.remote, [link.contact_id])
                self.report.count("resumed")
                continue
            body = state.loads(link.pending_data) or {}
            if body.get("via") == "batch" and self.caps.batch:
                batch.append((link, body))
                continue
            found = None
            if self.caps.idempotent_create:
                try:
                    found = self.adapter.create(body.get("sent", {}), idempotency_key=link.pending_key or "")
                except RemoteRejected:
                    found = None
            elif self.caps.lookup:
                try:
                    found = self.adapter.find(body.get("sent", {}))
                except NotImplementedError:
                    found = None
            if found is not None and self._claimed(found.id, link.contact_id):
                found = None  # that record belongs to another contact (a shared email)
            self._settle(link, body, found)
        size = max(1, self.caps.batch_size)
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            results = self.adapter.create_many([(body.get("sent", {}), link.pending_key or "")
                                                for link, body in chunk])
            for (link, body), result in zip(chunk, results, strict=True):
                found = None if isinstance(result, RemoteRejected) or self._claimed(result.id, link.contact_id) \
                    else result
                self._settle(link, body, found)

    def _settle(self, link: state.Link, body: dict[str, Any], found: RemoteRecord | None) -> None:
        with self.book.transaction() as tx:
            if found is None:  # not created (or not found): the contact is simply unlinked again
                state.drop_links(tx.dbapi, self.remote, [link.contact_id])
            else:
                state.save_link(tx.dbapi, self.remote, link.contact_id, found.id,
                                local_snapshot=body.get("local") or body.get("sent"), remote_snapshot=found.data,
                                local_revision=body.get("revision"), remote_version=found.version)
        self.report.count("resumed")

    def _claimed(self, remote_id: str, contact_id: int) -> bool:
        owner = state.contact_of(self.book.db, self.remote, remote_id)
        return owner is not None and owner != contact_id

    # -- guards and classification --------------------------------------------------------------------------
    def _guard(self, changes: Changes, listed: dict[str, RemoteRecord], links: list[state.Link]) -> None:
        linked = {link.remote_id for link in links if link.remote_id}
        if changes.complete:
            missing = linked - set(listed)
        else:
            missing = linked & set(changes.deleted or [])
        if not missing or self.options.force_delete or self.options.mode == "push":
            return
        everything = changes.complete and not listed
        if everything or (len(missing) >= MASS_DELETE_MIN and len(missing) > MASS_DELETE_RATIO * len(linked)):
            raise MassDeletionError(
                f"remote {self.remote!r} no longer has {len(missing)} of the {len(linked)} records linked to the "
                "book; refusing to delete them locally",
                hint="check the remote (account, workspace, token); rerun with --force-delete if it is meant",
            )

    def _classify(self, changes: Changes, listed: dict[str, RemoteRecord], links: list[state.Link],
                  contacts: dict[int, tuple[str, int, str | None, str]]
                  ) -> tuple[list[_Pair], list[state.Link], list[state.Link], list[RemoteRecord], list[int]]:
        deleted_ids = set(changes.deleted or [])
        pairs: list[_Pair] = []
        remote_gone: list[state.Link] = []
        local_deleted: list[state.Link] = []
        linked_remote: set[str] = set()
        linked_contacts: set[int] = set()
        released = []
        for link in links:
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
                local_deleted.append(link)
                if gone:
                    remote_gone.append(link)
                continue
            if gone:
                remote_gone.append(link)
                continue
            remote_changed = record is not None and (record.version is None or record.version != link.remote_version)
            if revision != link.local_revision or remote_changed:
                pairs.append(_Pair(link, record))
        if released and not self.options.dry_run:
            with self.book.transaction() as tx:
                state.drop_links(tx.dbapi, self.remote, released)
        new_remote = [r for rid, r in listed.items() if rid not in linked_remote]
        new_local = [cid for cid, (_, _, deleted_at, _) in contacts.items()
                     if deleted_at is None and cid not in linked_contacts]
        return pairs, remote_gone, local_deleted, new_remote, new_local

    # -- the merge -------------------------------------------------------------------------------------------
    def _load(self, ids: Iterable[int]) -> dict[int, ContactRecord]:
        with self.book.snapshot() as db:
            return {r.id: r for r in reader.load_contacts(db, list(ids))}  # type: ignore[misc]

    def _merge(self, pairs: list[_Pair], contacts: dict[int, tuple[str, int, str | None, str]]
               ) -> tuple[list[_Update], list[tuple[state.Link, RemoteRecord, dict[str, Any], int]]]:
        """Three-way merge of the pairs that (maybe) changed; pairs with nothing to do only refresh the link."""
        policy = self.options.policy
        updates: list[_Update] = []
        refresh: list[tuple[state.Link, RemoteRecord, dict[str, Any], int]] = []
        records = self._load([p.link.contact_id for p in pairs])
        for pair in pairs:
            link, local = pair.link, records.get(pair.link.contact_id)
            if local is None:
                continue
            remote = pair.record
            remote_base = state.loads(link.remote_snapshot)
            if remote is None:  # not in an incremental listing: unchanged remotely
                remote = RemoteRecord(link.remote_id or "", remote_base or {}, link.remote_version)
            projected = merge.project(local.to_json(), self.caps)
            result = merge.three_way(
                projected, remote.data, state.loads(link.local_snapshot), remote_base, self.caps, policy,
                local_time=local.updated_at, remote_time=remote.updated_at,
            )
            if result.empty:
                refresh.append((link, remote, projected, local.revision))
                continue
            updates.append(_Update(link.contact_id, remote.id, link, remote, local, result))
        return updates, refresh

    def _match(self, new_remote: list[RemoteRecord], new_local: list[int],
               contacts: dict[int, tuple[str, int, str | None, str]], updates: list[_Update]
               ) -> tuple[set[str], set[int]]:
        """First sync (or a person new on both sides): a new remote record with the email of an unlinked
        local contact is that contact; link them (merging with no base) instead of creating each on the
        other side. Two remote records claiming one contact is an error naming both (neither is linked)."""
        matched_remote: set[str] = set()
        matched_local: set[int] = set()
        if not new_remote or not new_local:
            return matched_remote, matched_local
        owners = state.email_owners(self.book.db)
        unlinked = set(new_local)
        claims: dict[int, list[RemoteRecord]] = {}
        for record in new_remote:
            for entry in record.data.get("emails") or []:
                hits = [c for c in owners.get(str(entry.get("address") or "").strip().casefold(), []) if c in unlinked]
                if hits:
                    claims.setdefault(hits[0], []).append(record)
                    break
        records = self._load(claims)
        for cid, claimants in claims.items():
            matched_local.add(cid)
            matched_remote.update(r.id for r in claimants)
            if len(claimants) > 1:
                ids = " and ".join(r.id for r in claimants)
                self.report.errors.append({
                    "code": "duplicate_claim", "uid": contacts[cid][0], "remote_ids": [r.id for r in claimants],
                    "message": f"remote records {ids} both claim contact {contacts[cid][0]} (same email); "
                               "merge or delete one of them remotely, then sync again",
                })
                continue
            record, local = claimants[0], records[cid]
            result = merge.three_way(
                merge.project(local.to_json(), self.caps), record.data, None, None, self.caps, self.options.policy,
                local_time=local.updated_at, remote_time=record.updated_at,
            )
            updates.append(_Update(cid, record.id, None, record, local, result))
            self.report.count("linked")
        return matched_remote, matched_local

    def _deletions(self, remote_gone: list[state.Link], local_deleted: list[state.Link]
                   ) -> tuple[list[state.Link], list[state.Link], list[int]]:
        """Deletions both ways; a deletion on one side and an edit on the other is a conflict."""
        gone = {link.contact_id for link in remote_gone}
        both = [link for link in local_deleted if link.contact_id in gone]
        pull_deletes: list[state.Link] = []
        push_deletes: list[state.Link] = []
        recreate: list[int] = []
        if both and not self.options.dry_run:
            with self.book.transaction() as tx:
                state.drop_links(tx.dbapi, self.remote, [link.contact_id for link in both])
        policy = self.options.policy
        edited = self._load([lk.contact_id for lk in remote_gone if lk.contact_id not in
                             {x.contact_id for x in both}])
        for link in remote_gone:
            if link.contact_id in {x.contact_id for x in both}:
                continue
            local = edited.get(link.contact_id)
            if local is None:
                continue
            base = state.loads(link.local_snapshot)
            changed = link.local_revision != local.revision and base is not None and not all(
                merge.same(k, v, base.get(k), self.caps) for k, v in merge.project(local.to_json(), self.caps).items()
            )
            if changed and policy != "remote":  # the local edit wins over the remote deletion: re-create it
                self._conflict(link.contact_id, link.remote_id, "(deleted)", local.to_json(), None, "local")
                recreate.append(link.contact_id)
                if not self.options.dry_run:
                    with self.book.transaction() as tx:
                        state.drop_links(tx.dbapi, self.remote, [link.contact_id])
            else:
                if changed:
                    self._conflict(link.contact_id, link.remote_id, "(deleted)", local.to_json(), None, "remote")
                pull_deletes.append(link)
        for link in local_deleted:
            if link.contact_id in gone:
                continue
            push_deletes.append(link)
        return pull_deletes, push_deletes, recreate

    def _conflict(self, contact_id: int, remote_id: str | None, name: str, local: Any, remote: Any,
                  kept: str, db: Any = None) -> None:
        """Report a conflict and, in a real run, log it (in the caller's transaction when given), unless the
        run's direction defers the winning side (then the next two-way run settles it)."""
        mode = self.options.mode
        if (mode == "push" and kept == "remote") or (mode == "pull" and kept == "local"):
            return
        row = {"contact_id": contact_id, "remote_id": remote_id, "field": name, "local": local,
               "remote_value": remote, "kept": kept}
        self.report.conflicts.append(row)
        self.report.count("conflicts")
        if self.options.dry_run:
            return
        entry = {**row, "remote": self.remote, "run_id": self.report.run_id, "policy": self.options.policy}
        if db is not None:
            state.log_conflicts(db, [entry])
        else:
            with self.book.transaction() as tx:
                state.log_conflicts(tx.dbapi, [entry])

    # -- dry run ---------------------------------------------------------------------------------------------
    def _plan(self, updates: list[_Update], pull_creates: list[RemoteRecord], pull_deletes: list[state.Link],
              push_creates: list[int], push_deletes: list[state.Link],
              contacts: dict[int, tuple[str, int, str | None, str]]) -> None:
        mode = self.options.mode
        plan: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "local_create", "local_update", "local_delete", "remote_create", "remote_update", "remote_delete",
            "conflicts")}
        for record in pull_creates:
            plan["local_create"].append({"remote_id": record.id, "name": _name(record.data)})
        for link in pull_deletes:
            plan["local_delete"].append({"uid": contacts[link.contact_id][0], "remote_id": link.remote_id})
        names = self._load(push_creates)
        for cid in push_creates:
            plan["remote_create"].append({"uid": contacts[cid][0], "name": names[cid].display_name()
                                          if cid in names else None})
        for link in push_deletes:
            plan["remote_delete"].append({"uid": contacts[link.contact_id][0], "remote_id": link.remote_id})
        for u in updates:
            uid = contacts[u.contact_id][0]
            if u.merge.to_local and mode != "push":
                plan["local_update"].append({"uid": uid, "remote_id": u.remote_id, "fields": sorted(u.merge.to_local)})
            if u.merge.to_remote and mode != "pull":
                plan["remote_update"].append({"uid": uid, "remote_id": u.remote_id,
                                              "fields": sorted(u.merge.to_remote)})
            for c in u.merge.conflicts:
                plan["conflicts"].append({"uid": uid, "remote_id": u.remote_id, "field": c.field, "local": c.local,
                                          "remote": c.remote, "kept": c.kept})
        for c in self.report.conflicts:
            plan["conflicts"].append({"uid": contacts[c["contact_id"]][0], "remote_id": c["remote_id"],
                                      "field": c["field"], "kept": c["kept"]})
        self.report.plan = plan
        for key, rows in plan.items():
            if rows:
                self.report.counts[key] = len(rows)

    # -- applying locally ------------------------------------------------------------------------------------
    def _definitions_for(self, tx: Any, records: Iterable[dict[str, Any]]) -> None:
        """Define custom fields pulled records use that the book does not know yet."""
        if not self.caps.custom_fields:
            return
        wanted: dict[str, Any] = {}
        for data in records:
            for name, value in (data.get("custom_fields") or {}).items():
                if field_key(name) not in tx.definitions:
                    wanted.setdefault(name, value)
        if not wanted:
            return
        if self._remote_defs is None:
            try:
                self._remote_defs = {field_key(d.name): d for d in self.adapter.remote_fields()}
            except NotImplementedError:
                self._remote_defs = {}
        for name, value in wanted.items():
            definition = self._remote_defs.get(field_key(name)) or _infer_definition(name, value)
            try:
                tx.define_field(FieldDefinition(name, definition.type, list(definition.options), definition.multiple))
            except UserError:
                tx.define_field(FieldDefinition(name, "text", [], isinstance(value, list)))

    def _apply_local(self, updates: list[_Update], pull_creates: list[RemoteRecord],
                     pull_deletes: list[state.Link],
                     refresh: list[tuple[state.Link, RemoteRecord, dict[str, Any], int]],
                     contacts: dict[int, tuple[str, int, str | None, str]]) -> None:
        pull = self.options.mode != "push"
        total = len(pull_creates) + len(updates) + len(pull_deletes)
        done = 0
        # links whose snapshots only need to catch up (e.g. a remote version bump with no real change)
        for start in range(0, len(refresh), _TX):
            with self.book.transaction() as tx:
                state.save_links(tx.dbapi, self.remote, [
                    (link.contact_id, record.id, local, record.data, revision, record.version)
                    for link, record, local, revision in refresh[start : start + _TX]
                ])
        for start in range(0, len(updates), _TX):
            chunk = updates[start : start + _TX]
            with self.book.transaction() as tx:
                self._definitions_for(tx, [u.remote.data for u in chunk])
                items, keep = [], []
                for u in chunk:
                    current = tx.contact_row(u.local.uid)
                    if current is None or current[1] != u.local.revision:
                        u.merge.to_remote = {}  # edited while we synced: the next run merges the new version
                        continue
                    to_local = u.merge.to_local if pull else {}
                    record = merge.apply_local(u.local, to_local, self.caps) if to_local else u.local
                    items.append((record, None))
                    keep.append(u)
                results = tx.save_many(items) if items else []
                links = []
                for u, result in zip(keep, results, strict=True):
                    if isinstance(result, RoloError):
                        self._skip(u.local.uid, u.remote_id, "local_rejected", str(result))
                        u.merge.to_remote = {}
                        continue
                    saved = result.record
                    if result.status == "updated":
                        self.report.count("local_updated")
                        self._pulled.append(saved.to_json())
                    for c in u.merge.conflicts:
                        self._conflict(u.contact_id, u.remote_id, c.field, c.local, c.remote, c.kept, tx.dbapi)
                    local_snap, remote_snap = self._snapshots(u, saved, pull)
                    u.local = saved
                    # a side whose snapshot kept old values (a push still to make, a pull deferred) is stored
                    # without its marker, so the next run compares data instead of skipping on the marker
                    version = u.remote.version if (pull or not u.merge.to_local) else None
                    revision = saved.revision if not u.merge.to_remote else None
                    links.append((u.contact_id, u.remote_id, local_snap, remote_snap, revision, version))
                state.save_links(tx.dbapi, self.remote, links)
            done += len(chunk)
            self._progress("pull", done, total)
        if not pull:
            return
        for start in range(0, len(pull_creates), _TX):
            new = pull_creates[start : start + _TX]
            with self.book.transaction() as tx:
                self._definitions_for(tx, [r.data for r in new])
                records = [merge.new_record(new_uid(), r.data, self.caps) for r in new]
                results = tx.save_many([(r, None) for r in records])
                links = []
                for incoming, result in zip(new, results, strict=True):
                    if isinstance(result, RoloError):
                        self._skip(None, incoming.id, "local_rejected", str(result))
                        continue
                    saved = result.record
                    self.report.count("local_created")
                    self._pulled.append(saved.to_json())
                    links.append((saved.id, incoming.id, merge.project(saved.to_json(), self.caps), incoming.data,
                                  saved.revision, incoming.version))
                state.save_links(tx.dbapi, self.remote, links)  # type: ignore[arg-type]
            done += len(new)
            self._progress("pull", done, total)
        for start in range(0, len(pull_deletes), _TX):
            chunk = pull_deletes[start : start + _TX]
            with self.book.transaction() as tx:
                for link in chunk:
                    record = tx.load(link.contact_id)
                    tx.tombstone(record)
                    self.report.count("local_deleted")
                state.drop_links(tx.dbapi, self.remote, [link.contact_id for link in chunk])
            done += len(chunk)
            self._progress("pull", done, total)

    def _snapshots(self, u: _Update, saved: ContactRecord, pulled: bool) -> tuple[Any, Any]:
        """Snapshots after the local write: fields still to be pushed keep their old local snapshot (so a
        failed push is retried), fields not pulled (push-only) keep their old remote snapshot."""
        local_now = merge.flatten(merge.project(saved.to_json(), self.caps))
        old_local = merge.flatten(state.loads(u.link.local_snapshot) or {}) if u.link else {}
        old_remote = merge.flatten(state.loads(u.link.remote_snapshot) or {}) if u.link else {}
        remote_now = merge.flatten(u.remote.data)
        for name in u.merge.to_remote:
            if u.link is None:
                local_now.pop(name, None)
            elif name in old_local:
                local_now[name] = old_local[name]
            else:
                local_now.pop(name, None)
        if not pulled:
            for name in u.merge.to_local:
                if name in old_remote:
                    remote_now[name] = old_remote[name]
                else:
                    remote_now.pop(name, None)
        custom = self.caps.custom_fields
        return merge.unflatten(local_now, custom), merge.unflatten(remote_now, custom)

    def _skip(self, uid: str | None, remote_id: str | None, code: str, message: str) -> None:
        self.report.skipped.append({"uid": uid, "remote_id": remote_id, "code": code, "message": message})
        self.report.count("skipped")

    # -- pushing ---------------------------------------------------------------------------------------------
    def _before_push(self, data: dict[str, Any]) -> dict[str, Any]:
        """Run the before_push hooks in registration order, each seeing the previous one's result."""
        impls = self.pm.hook.before_push.get_hookimpls()
        for impl in impls:
            kwargs = {"remote": self.remote, "record": data}
            result = impl.function(*[kwargs[a] for a in impl.argnames])
            if result is not None:
                data = cast("dict[str, Any]", result)
        return data

    def _push(self, updates: list[_Update], creates: list[int], deletes: list[state.Link]) -> None:
        hooks = bool(self.pm.hook.before_push.get_hookimpls())
        todo = [u for u in updates if u.merge.to_remote]
        self._prepare_fields(todo, creates)
        total, done = len(todo) + len(creates) + len(deletes), 0
        for u in todo:
            data = merge.apply_remote(u.remote.data, u.merge.to_remote)
            try:
                if hooks:
                    data = self._before_push(data)
                stored = self.adapter.update(u.remote_id, data, changed=merge.changed_keys(u.merge.to_remote),
                                             previous=u.remote.data)
            except (RemoteRejected, UserError) as exc:
                self._skip(u.local.uid, u.remote_id, getattr(exc, "code", None) or type(exc).__name__, str(exc))
                continue
            remote_snapshot, version = stored.data, stored.version
            if self.options.mode == "push" and u.merge.to_local:  # remote changes not pulled: keep them pending
                flat = merge.flatten(stored.data)
                old = merge.flatten(state.loads(u.link.remote_snapshot) or {}) if u.link else {}
                for name in u.merge.to_local:
                    if name in old:
                        flat[name] = old[name]
                    else:
                        flat.pop(name, None)
                remote_snapshot, version = merge.unflatten(flat, self.caps.custom_fields), None
            with self.book.transaction() as tx:
                # the revision pushed, not the current one: an edit made meanwhile is merged next run
                local = merge.project(u.local.to_json(), self.caps)
                state.save_link(tx.dbapi, self.remote, u.contact_id, u.remote_id, local_snapshot=local,
                                remote_snapshot=remote_snapshot, local_revision=u.local.revision,
                                remote_version=version)
            self.report.count("remote_updated")
            done += 1
            self._progress("push", done, total)
        # deletions before creations: a contact replaced by another with the same email (a merge) must free
        # the email first on remotes that keep emails unique
        for start in range(0, len(deletes), _GROUP):
            chunk = deletes[start : start + _GROUP]
            with self.book.transaction() as tx:
                state.mark_pending(tx.dbapi, self.remote, [(lk.contact_id, "delete", "", None) for lk in chunk])
            finished = []
            try:
                for link in chunk:
                    try:
                        self.adapter.delete(link.remote_id or "")
                    except RemoteRejected as exc:
                        self._skip(None, link.remote_id, exc.code or "rejected", str(exc))
                        continue
                    finished.append(link.contact_id)
                    self.report.count("remote_deleted")
            finally:
                with self.book.transaction() as tx:
                    state.drop_links(tx.dbapi, self.remote, finished)
            done += len(chunk)
            self._progress("push", done, total)
        self._push_creates(creates, hooks, done, total)

    def _prepare_fields(self, updates: list[_Update], creates: list[int]) -> None:
        if not self.caps.custom_fields or not (updates or creates):
            return
        defs = {field_key(d.name): d for d in self.book.field_definitions()}
        if not defs:
            return
        try:
            self.adapter.prepare(list(defs.values()))
        except NotImplementedError:
            pass

    def _push_creates(self, creates: list[int], hooks: bool, done: int, total: int) -> int:
        """Create remotely: pending marker committed first, then the call(s), then the links."""
        if not creates:
            return done
        batchable: list[tuple[ContactRecord, dict[str, Any], dict[str, Any], str]] = []
        singles: list[tuple[ContactRecord, dict[str, Any], dict[str, Any], str]] = []
        seen_emails: dict[str, int] = {}
        self._taken = {link.remote_id: link.contact_id for link in state.links(self.book.db, self.remote)
                       if link.remote_id}
        for start in range(0, len(creates), _TX):
            records = self._load(creates[start : start + _TX])
            for cid in creates[start : start + _TX]:
                record = records.get(cid)
                if record is None:
                    continue
                local = merge.project(record.to_json(), self.caps)
                try:
                    sent = self._before_push(dict(local)) if hooks else local
                except UserError as exc:
                    self._skip(record.uid, None, "vetoed", str(exc))
                    continue
                key = idempotency_key(self.remote, record.uid, record.revision)
                item = (record, local, sent, key)
                emails = _emails(sent)
                if self.caps.batch and emails:
                    for address in emails:
                        seen_emails[address] = seen_emails.get(address, 0) + 1
                    batchable.append(item)
                else:
                    singles.append(item)
        # Only contacts whose emails no other contact has are batched: the batch upserts on email, which
        # makes a replayed batch harmless, but would land a contact sharing an email (with another new one,
        # or with a linked one) on that other's record. Those go one by one, with their idempotency key.
        linked = state.linked_email_keys(self.book.db, self.remote) if batchable else set()
        alone = [all(seen_emails[a] == 1 and a not in linked for a in _emails(i[2])) for i in batchable]
        singles += [i for i, ok in zip(batchable, alone, strict=True) if not ok]
        batchable = [i for i, ok in zip(batchable, alone, strict=True) if ok]
        size = max(1, self.caps.batch_size)
        # a batch's links are stored in the transaction that marks the next batch pending: one commit per
        # batch instead of two (each commit is an fsync), with the marker still ahead of every call
        carry: tuple[list[Any], list[RemoteRecord | RemoteRejected]] | None = None
        for start in range(0, len(batchable), size):
            chunk = batchable[start : start + size]
            self._mark(chunk, "batch", carry)
            carry = None
            try:
                results = self.adapter.create_many([(sent, key) for _, _, sent, key in chunk])
            except NotImplementedError:
                singles += chunk
                continue
            except RemoteRejected as exc:
                results = [exc] * len(chunk)
            carry = (chunk, results)
            done += len(chunk)
            self._progress("push", done, total)
        if carry is not None:
            self._link_created(*carry)
        for start in range(0, len(singles), _GROUP):
            chunk = singles[start : start + _GROUP]
            self._mark(chunk, "single")
            created: list[RemoteRecord | RemoteRejected] = []
            try:
                for record, _, sent, key in chunk:
                    created.append(self._create_one(record.id, sent, key))  # type: ignore[arg-type]
            finally:
                # link what was created even when a later call fails (the rest stay pending: resumed later)
                self._link_created(chunk[: len(created)], created)
            done += len(chunk)
            self._progress("push", done, total)
        return done

    def _create_one(self, contact_id: int, sent: dict[str, Any], key: str) -> RemoteRecord | RemoteRejected:
        """One create. A 5xx answer leaves it unknown whether the record was created; a remote without
        idempotency is then asked (`find`) before the create is tried again, at most three times in all."""
        for attempt in range(3):
            try:
                return self.adapter.create(sent, idempotency_key=key)
            except RemoteRejected as exc:
                unknown = (exc.status or 0) >= 500 and not self.caps.idempotent_create and self.caps.lookup
                if not unknown or attempt == 2:
                    return exc
                try:
                    found = self.adapter.find(sent)
                except NotImplementedError:
                    return exc
                if found is not None and self._taken.get(found.id, contact_id) == contact_id:
                    return found
        raise AssertionError("unreachable")

    def _mark(self, chunk: list[tuple[ContactRecord, dict[str, Any], dict[str, Any], str]], via: str,
              carry: tuple[list[Any], list[RemoteRecord | RemoteRejected]] | None = None) -> None:
        """Commit the pending markers of a chunk (and the links of the previous one, when carried)."""
        restore: list[tuple[int, RemoteRecord]] = []
        with self.book.transaction() as tx:
            if carry is not None:
                restore = self._write_links(tx.dbapi, *carry)
            state.mark_pending(tx.dbapi, self.remote, [
                (record.id, "create", key, {"sent": sent, "local": None if local is sent else local,
                                            "revision": record.revision, "via": via})
                for record, local, sent, key in chunk
            ])
        for owner, result in restore:
            self._restore(owner, result)

    def _link_created(self, chunk: list[tuple[ContactRecord, dict[str, Any], dict[str, Any], str]],
                      results: list[RemoteRecord | RemoteRejected]) -> None:
        """Store the links of created records (and drop the markers of refused ones)."""
        with self.book.transaction() as tx:
            restore = self._write_links(tx.dbapi, chunk, results)
        for owner, result in restore:
            self._restore(owner, result)

    def _write_links(self, db: Any, chunk: list[tuple[ContactRecord, dict[str, Any], dict[str, Any], str]],
                     results: list[RemoteRecord | RemoteRejected]) -> list[tuple[int, RemoteRecord]]:
        """Links for a chunk's results, in the caller's transaction; returns the records to restore."""
        links, rejected, restore = [], [], []
        taken = self._taken
        for (record, local, _, _), result in zip(chunk, results, strict=True):
            if isinstance(result, RemoteRejected):
                self._skip(record.uid, None, result.code or "rejected", str(result))
                rejected.append(record.id)
                continue
            if taken.get(result.id, record.id) != record.id:  # the remote merged it into a linked record
                self.report.errors.append({
                    "code": "duplicate_claim", "uid": record.uid, "remote_ids": [result.id],
                    "message": f"the remote stored contact {record.uid} as record {result.id}, which is linked to "
                               "another contact; merge the two contacts in the book",
                })
                rejected.append(record.id)
                restore.append((taken[result.id], result))
                continue
            taken[result.id] = record.id
            links.append((record.id, result.id, local, result.data, record.revision, result.version))
            self.report.count("remote_created")
        state.drop_links(db, self.remote, rejected)  # type: ignore[arg-type]
        state.save_links(db, self.remote, links)  # type: ignore[arg-type]
        return restore  # type: ignore[return-value]

    def _restore(self, contact_id: int, record: RemoteRecord) -> None:
        """Put a linked contact's data back on its record, which an upsert overwrote with another's."""
        local = self._load([contact_id]).get(contact_id)
        if local is None:
            return
        data = merge.project(local.to_json(), self.caps)
        try:
            stored = self.adapter.update(record.id, data, changed=frozenset(data), previous=record.data)
        except RemoteRejected as exc:
            self._skip(local.uid, record.id, exc.code or "rejected", str(exc))
            return
        with self.book.transaction() as tx:
            state.save_link(tx.dbapi, self.remote, contact_id, record.id, local_snapshot=data,
                            remote_snapshot=stored.data, local_revision=local.revision,
                            remote_version=stored.version)


def _book_time(text: str) -> str | None:
    """An ISO 8601 instant in the book's form (UTC, seconds, `Z`), or None when it is not one."""
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _emails(data: dict[str, Any]) -> list[str]:
    """The record's email addresses as the book compares them (empty ones left out)."""
    return [a for a in (str(e.get("address") or "").strip().casefold() for e in data.get("emails") or []) if a]


def _name(data: dict[str, Any]) -> str:
    parts = [data.get("given_name"), data.get("family_name")]
    name = data.get("formatted_name") or " ".join(p for p in parts if p)
    if not name and data.get("emails"):
        name = data["emails"][0].get("address", "")
    return str(name or "")


def _infer_definition(name: str, value: Any) -> FieldDefinition:
    """A book field definition for a pulled custom field the remote did not describe."""
    sample = value[0] if isinstance(value, list) and value else value
    kind = "bool" if isinstance(sample, bool) else "number" if isinstance(sample, int | float) else "text"
    return FieldDefinition(name, kind, [], isinstance(value, list))
