"""The writer: every insert, update and delete of the book's contacts, labels and fields, inside one open
transaction (see `Book.transaction()`), with the search index kept in step in the same transaction.

Rows go in through plain sqlite3 `executemany`, the fastest path SQLite offers (several times SQLAlchemy's
per-statement overhead at import sizes), and a whole batch of contacts costs one statement per table.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from rolo.core.emails import email_key
from rolo.core.errors import NotFoundError, RoloError, UserError, ValidationError
from rolo.core.fields import FIELD_TYPES, FieldDefinition, field_key, validate_field_name
from rolo.core.history import ChangeContext
from rolo.core.history.fields import contact_fields, diff
from rolo.core.phones import region_for_country, to_e164_near
from rolo.core.record import ContactRecord, DateEntry, LogEntry
from rolo.core.store import cadences, history, import_base, reader, search
from rolo.core.store.history import Recorder
from rolo.core.store.sync_state import SyncState
from rolo.core.values import normalize_birthday, sort_key, utc_now


@dataclass
class SaveResult:
    """What a save did: `created`, `updated` or `unchanged`, and the contact as stored."""

    status: str
    record: ContactRecord


class Writer:
    """Write operations inside one open transaction. Obtain one from `Book.transaction()`."""

    def __init__(self, conn: sqlite3.Connection, region: str, context: ChangeContext | None = None) -> None:
        self.region = region
        # The transaction's connection: reads through it (reader, sync_state) see this transaction's writes.
        # Only rolo.core.store functions take it; everything else calls the methods here.
        self._conn = conn
        self._defs: dict[str, tuple[int, FieldDefinition]] | None = None
        self.changes: list[tuple[ContactRecord, str]] = []  # for the contact_changed hook, after commit
        self._orgs: dict[str, int] = {}
        self._labels: dict[str, int] = {}
        # every change to a contact is recorded here, in the change set the context names (rolo.core.history)
        self.history = Recorder(conn, context or ChangeContext())

    @cached_property
    def sync_state(self) -> SyncState:
        """The sync state (links, bookmarks, journal, conflicts), written in this same transaction."""
        return SyncState(self._conn)

    # -- lookups ---------------------------------------------------------------------------------------
    def contact_row(self, uid: str) -> tuple[int, int, str | None] | None:
        """(id, revision, deleted_at) of the contact with this uid, deleted or not."""
        row = self._conn.execute("SELECT id, revision, deleted_at FROM contact WHERE uid = ?", (uid,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def resolve(self, ref: str) -> int:
        """Row id of the live contact a REF names (see rolo.core.store.refs)."""
        from rolo.core.store.refs import resolve_ref

        return resolve_ref(self._conn, ref, self.region)

    def live_ids_with_email(self, key: str) -> list[int]:
        """Row ids of the live contacts having this casefolded email address."""
        return reader.live_ids_with_email(self._conn, key)

    def sharing_email_or_phone(self, record: ContactRecord) -> list[tuple[str, str | None]]:
        """(uid, formatted name) of the other live contacts sharing a normalised email or phone with this one."""
        emails = [email_key(e.address) for e in record.emails]
        e164s = [p.e164 for p in record.phones if p.e164]
        return reader.sharing_email_or_phone(self._conn, record.id, emails, e164s)  # type: ignore[arg-type]

    def load(self, contact_id: int) -> ContactRecord:
        """The contact with this row id, deleted or not; NotFoundError if there is none."""
        found = reader.load_contacts(self._conn, [contact_id])
        if not found:
            raise NotFoundError(f"no contact with id {contact_id}")
        return found[0]

    @property
    def definitions(self) -> dict[str, tuple[int, FieldDefinition]]:
        if self._defs is None:
            self._defs = {field_key(d.name): (i, d) for i, d in reader.field_definitions(self._conn).items()}
        return self._defs

    def _org_id(self, name: str | None) -> int | None:
        if not name or not name.strip():
            return None
        key = name.strip().casefold()
        if key not in self._orgs:
            row = self._conn.execute("SELECT id FROM organization WHERE name_key = ?", (key,)).fetchone()
            if row is None:
                self._conn.execute(
                    "INSERT INTO organization (name, name_key, domains) VALUES (?, ?, '[]')", (name.strip(), key)
                )
                row = self._conn.execute("SELECT last_insert_rowid()").fetchone()
            self._orgs[key] = row[0]
        return self._orgs[key]

    def _label_id(self, name: str) -> int:
        key = name.strip().casefold()
        if key not in self._labels:
            row = self._conn.execute("SELECT id FROM label WHERE name_key = ?", (key,)).fetchone()
            if row is None:
                self._conn.execute("INSERT INTO label (name, name_key) VALUES (?, ?)", (name.strip(), key))
                row = self._conn.execute("SELECT last_insert_rowid()").fetchone()
            self._labels[key] = row[0]
        return self._labels[key]

    # -- contacts --------------------------------------------------------------------------------------
    def prepare(self, record: ContactRecord) -> ContactRecord:
        """Check and normalise a record before it is stored; raise ValidationError naming the problem."""
        record = replace(record)
        if not record.uid or not record.uid.strip():
            raise ValidationError("contact has no uid")
        record.birthday = normalize_birthday(record.birthday)
        dates: dict[tuple[str, str], None] = {}  # each (label, day) once, in order
        for d in record.dates:
            if d.value and d.value.strip():
                label = " ".join(d.label.split()) or "other"
                dates.setdefault((label, normalize_birthday(d.value, label) or ""), None)
        record.dates = [DateEntry(label, value) for label, value in dates]
        # the contact's own countries read a number written without its +CC that the default region cannot
        homes = tuple(dict.fromkeys(r for a in record.addresses if (r := region_for_country(a.country))))
        for phone in record.phones:
            phone.e164 = to_e164_near(phone.number, self.region, homes) if phone.number.strip() else None
        record.phones = [p for p in record.phones if p.number.strip()]
        record.emails = [e for e in record.emails if e.address.strip()]
        record.addresses = [a for a in record.addresses if not a.is_empty()]
        seen: dict[str, str] = {}
        for label in record.labels:
            if label.strip():
                seen.setdefault(label.strip().casefold(), label.strip())
        record.labels = sorted(seen.values(), key=str.casefold)
        fields: dict[str, Any] = {}
        for name, value in record.custom_fields.items():
            if value is None or value == [] or value == "":
                continue
            if field_key(name) not in self.definitions:
                raise ValidationError(
                    f"no custom field named {name!r}", hint=f"define it first: rolo field define {name} --type text"
                )
            _, definition = self.definitions[field_key(name)]
            values = value if isinstance(value, list) else [value]
            stored = definition.canonical_values([_to_text(v) for v in values])
            fields[definition.name] = definition.to_json(stored)
        record.custom_fields = fields
        if not record.formatted_name:
            record.formatted_name = record.display_name()
        return record

    def save(self, record: ContactRecord, *, source_hash: str | None = None,
             as_of: tuple[int, str] | None = None) -> SaveResult:
        """Insert or update by uid; an unchanged contact is left alone (revision and timestamps kept).
        `as_of` (revision, updated_at) stores an update with these instead of the next revision and now:
        for an undo that puts a contact back exactly as it was (see rolo.core.history.undo)."""
        (result,) = self.save_many([(record, source_hash)], as_of={record.uid: as_of} if as_of else None)
        if isinstance(result, Exception):
            raise result
        return result

    def save_many(self, items: list[tuple[ContactRecord, str | None]], *,
                  as_of: dict[str, tuple[int, str]] | None = None) -> list[SaveResult | RoloError]:
        """Upsert many contacts by uid, with one statement per table for the whole batch.

        A record the book refuses (a ValidationError...) gets its error in the result list and writes
        nothing; the others are saved. Later items win when a uid repeats in one batch.
        """
        results: list[SaveResult | RoloError | None] = [None] * len(items)
        ready_items: list[tuple[int, ContactRecord, str | None]] = []
        for index, (record, source_hash) in enumerate(items):
            try:
                ready_items.append((index, self.prepare(record), source_hash))
            except RoloError as exc:
                results[index] = exc
        # A uid merged away (`rolo merge`) is an alias of the contact that absorbed it: its card goes into
        # that contact (see _absorb) instead of bringing the merged-away contact back.
        aliases = self._alias_targets([r.uid for _, r, _ in ready_items])
        prepared: dict[str, tuple[int, ContactRecord, str | None]] = {}
        absorbed: dict[str, list[tuple[int, ContactRecord]]] = {}
        repeated: list[int] = []
        for index, ready, source_hash in ready_items:
            if ready.uid in aliases:
                absorbed.setdefault(aliases[ready.uid], []).append((index, ready))
                continue
            if ready.uid in prepared:
                repeated.append(prepared[ready.uid][0])
            prepared[ready.uid] = (index, ready, source_hash)
        existing = self._existing([*prepared, *absorbed])
        current = {r.id: r for r in reader.load_contacts(self._conn, [row[0] for row in existing.values()])}
        same_card = set()
        for uid, (index, record, source_hash) in prepared.items():
            cid, _, deleted_at, stored_hash = existing.get(uid, (0, 0, None, None))
            # the very card this live contact was last imported from: it brings nothing new, and what was
            # added to the contact since (a merge, an edit) stays
            if cid and deleted_at is None and source_hash is not None and source_hash == stored_hash:
                results[index] = SaveResult("unchanged", current[cid])
                same_card.add(uid)
        if absorbed:
            self._absorb(absorbed, prepared, same_card, existing, current, repeated)
        now = utc_now()
        inserts, updates = [], []
        for uid, (index, record, source_hash) in prepared.items():
            if uid in same_card:
                continue
            if uid in existing:
                cid, revision, deleted_at, _ = existing[uid]
                old = current[cid]
                if deleted_at is None and old.content_key() == record.content_key():
                    results[index] = SaveResult("unchanged", old)
                    continue
                record.id, record.created_at = cid, old.created_at
                record.revision, record.updated_at = (as_of or {}).get(uid, (revision + 1, now))
                updates.append((index, record, source_hash))
                change = diff(contact_fields(old), contact_fields(record))
                if deleted_at is not None:
                    change["deleted"] = [True, False]
                change["@revision"], change["@updated_at"] = [revision, record.revision], [old.updated_at, now]
                self.history.record(cid, "updated", change)
            else:
                record.created_at = record.created_at or now
                record.updated_at, record.revision = now, 1
                inserts.append((index, record, source_hash))
        self._keep_import_bases([current[r.id] for _, r, _ in updates])  # type: ignore[index]
        # Rows go in through the driver connection of this transaction: plain executemany is the fastest
        # path SQLite offers (several times SQLAlchemy's per-statement overhead at import sizes).
        for _, record, source_hash in inserts:
            cursor = self._conn.execute(_INSERT_CONTACT, (*self._contact_values(record), record.uid,
                                                          record.created_at, record.updated_at, 1, source_hash))
            record.id = cursor.lastrowid
        if updates:
            self._conn.executemany(_UPDATE_CONTACT, [
                (*self._contact_values(r), r.updated_at, r.revision, h, r.id) for _, r, h in updates])
            for table in _CHILD_TABLES:
                self._conn.executemany(f"DELETE FROM {table} WHERE contact_id = ?", [(r.id,) for _, r, _ in updates])
        written = [r for _, r, _ in inserts + updates]
        self._insert_children(written)
        search.reindex(self._conn, written)
        for index, record, _ in inserts:
            results[index] = SaveResult("created", record)
            self.changes.append((record, "created"))
            self.history.record(record.id, "created")  # type: ignore[arg-type]
        for index, record, _ in updates:
            results[index] = SaveResult("updated", record)
            self.changes.append((record, "updated"))
        for index in repeated:  # an earlier copy of a uid repeated in the batch (or a card folded into another)
            uid = items[index][0].uid
            results[index] = SaveResult("unchanged", prepared[aliases.get(uid, uid)][1])
        return results  # type: ignore[return-value]

    def _existing(self, uids: list[str]) -> dict[str, tuple[int, int, str | None, str | None]]:
        found = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            for row in self._conn.execute(
                "SELECT uid, id, revision, deleted_at, source_hash FROM contact "
                f"WHERE uid IN ({','.join('?' * len(chunk))})", chunk,
            ):
                found[row[0]] = (row[1], row[2], row[3], row[4])
        return found

    # -- aliases: the uids of contacts merged away -----------------------------------------------------
    @cached_property
    def _any_alias(self) -> bool:
        # most books have none: an import then pays one query per transaction, not one per batch chunk
        return self._conn.execute("SELECT 1 FROM contactalias LIMIT 1").fetchone() is not None

    def _alias_targets(self, uids: list[str]) -> dict[str, str]:
        """alias uid -> uid of the contact it names, for those of these uids that are aliases."""
        if not uids or not self._any_alias:
            return {}
        found = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            for alias, uid in self._conn.execute(
                "SELECT a.uid, c.uid FROM contactalias a JOIN contact c ON c.id = a.contact_id "
                f"WHERE a.uid IN ({','.join('?' * len(chunk))})", chunk,
            ):
                found[alias] = uid
        return found

    def _absorb(self, absorbed: dict[str, list[tuple[int, ContactRecord]]],
                prepared: dict[str, tuple[int, ContactRecord, str | None]], same_card: set[str],
                existing: dict[str, tuple[int, int, str | None, str | None]], current: dict[int, ContactRecord],
                repeated: list[int]) -> None:
        """Fold the cards whose uid is an alias into the contact it names, field by field, nothing that
        contact has removed (`merge.absorb_card`): into the card of that contact in this batch when there
        is one, else into the contact as stored. The first card stands for the contact in the results,
        the others are reported unchanged."""
        from rolo.core.merge import absorb_card

        for uid, cards in absorbed.items():
            if uid in prepared and uid not in same_card:  # the contact's own card, changed, is in the batch
                index, base, source_hash = prepared[uid]
            else:
                base, source_hash = current[existing[uid][0]], None
                # the contact's own card (the one it was imported from) stands for it, else the first card
                index = prepared[uid][0] if uid in prepared else cards[0][0]
                same_card.discard(uid)  # the main loop compares the result with the contact as stored
            for card_index, card in cards:
                base = self.prepare(absorb_card(base, replace(card, uid=uid)))
                if card_index != index:
                    repeated.append(card_index)
            # the alias card's own source hash is not this contact's: the contact keeps its own
            prepared[uid] = (index, replace(base, uid=uid), source_hash)

    def alias_targets(self, uids: list[str]) -> dict[str, str]:
        """alias uid -> uid of the contact it names (the uid of a contact merged away, `rolo merge`)."""
        return self._alias_targets(uids)

    def add_aliases(self, contact_id: int, merged_ids: list[int]) -> None:
        """Make the uids of these contacts (merged into contact_id, `Book.merge`), and the aliases they
        had themselves, aliases of contact_id."""
        for merged_id in merged_ids:
            self._conn.execute("UPDATE contactalias SET contact_id = ? WHERE contact_id = ?", (contact_id, merged_id))
            self._conn.execute(
                "INSERT INTO contactalias (uid, contact_id) SELECT uid, ? FROM contact WHERE id = ? "
                "ON CONFLICT (uid) DO UPDATE SET contact_id = excluded.contact_id", (contact_id, merged_id),
            )
        self.__dict__.pop("_any_alias", None)

    def aliases(self, contact_id: int) -> list[str]:
        """The uids that are aliases of this contact."""
        return [r[0] for r in self._conn.execute(
            "SELECT uid FROM contactalias WHERE contact_id = ? ORDER BY id", (contact_id,))]

    def _contact_values(self, r: ContactRecord) -> tuple[Any, ...]:
        return (
            r.kind, r.formatted_name, r.prefix, r.given_name, r.additional_names, r.family_name, r.suffix,
            r.nickname, self._org_id(r.organization), r.department, r.title, r.birthday, r.notes,
            bool(r.starred), r.photo, r.photo_type, sort_key(r),
        )

    def _insert_children(self, records: list[ContactRecord]) -> None:
        emails, phones, addresses, urls, labels, values, extras = [], [], [], [], [], [], []
        dates: list[tuple[Any, ...]] = []
        related: list[tuple[Any, ...]] = []
        for r in records:
            cid = r.id
            emails += [(cid, i, e.address.strip(), email_key(e.address), e.label, bool(e.primary))
                       for i, e in enumerate(r.emails)]
            phones += [(cid, i, p.number.strip(), p.e164, p.label, bool(p.primary)) for i, p in enumerate(r.phones)]
            addresses += [(cid, i, a.label, a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code,
                           a.country, bool(a.primary)) for i, a in enumerate(r.addresses)]
            urls += [(cid, i, u.url, u.label) for i, u in enumerate(r.urls)]
            labels += [(cid, self._label_id(name)) for name in r.labels]
            for name, value in r.custom_fields.items():
                fid, definition = self.definitions[field_key(name)]
                items = value if isinstance(value, list) else [value]
                values += [(cid, fid, i, definition.canonical(_to_text(v))) for i, v in enumerate(items)]
            extras += [(cid, i, _property_name(raw), raw) for i, raw in enumerate(r.extras)]
            dates += [(cid, i, d.label, d.value) for i, d in enumerate(r.dates)]
            related += [(cid, i, x.kind, x.uid, x.name) for i, x in enumerate(r.related)]
        for sql, rows in ((_INSERT_EMAIL, emails), (_INSERT_PHONE, phones), (_INSERT_ADDRESS, addresses),
                          (_INSERT_URL, urls), (_INSERT_LABEL, labels), (_INSERT_VALUE, values),
                          (_INSERT_EXTRA, extras), (_INSERT_DATE, dates), (_INSERT_RELATED, related)):
            if rows:
                self._conn.executemany(sql, rows)

    def tombstone(self, record: ContactRecord) -> None:
        """Mark a contact deleted (kept for sync) and drop it from the index."""
        revision, updated_at = self._conn.execute(
            "SELECT revision, updated_at FROM contact WHERE id = ?", (record.id,)).fetchone()
        now = utc_now()
        self._conn.execute(
            "UPDATE contact SET deleted_at = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
            (now, now, record.id),
        )
        self.history.record(record.id, "deleted", {  # type: ignore[arg-type]
            "deleted": [False, True], "@revision": [revision, revision + 1], "@updated_at": [updated_at, now]})
        search.unindex(self._conn, [record.id])  # type: ignore[list-item]
        self.changes.append((record, "deleted"))

    # -- import bases: what each import source last brought in (rolo.core.import_merge) -----------------
    @cached_property
    def _any_import_base(self) -> bool:
        # a book that never imported has none: its writes (and a first import) then look nothing up
        return import_base.any_base(self._conn)

    def import_bases(self, source: str, uids: list[str]) -> dict[str, import_base.Base]:
        """card uid -> the base this import source has for it (see rolo.core.store.import_base)."""
        return import_base.bases(self._conn, source, uids) if uids and self._any_import_base else {}

    def import_targets(self, uids: list[str]) -> dict[str, import_base.Target]:
        """uid -> the contact with that uid, deleted or not (id, deleted, source hash, updated_at)."""
        return import_base.targets(self._conn, uids)

    def load_many(self, contact_ids: list[int]) -> list[ContactRecord]:
        """The contacts with these row ids, deleted or not (those that exist)."""
        return reader.load_contacts(self._conn, contact_ids)

    def set_import_bases(self, rows: list[tuple[str, str, int, str, str | None]]) -> None:
        """Set (source, card uid, contact id, card hash, fields JSON or None: the contact's own) bases."""
        if rows:
            import_base.upsert(self._conn, rows)
            self.__dict__["_any_import_base"] = True

    def _keep_import_bases(self, before: list[ContactRecord]) -> None:
        """Copy-on-write: the bases standing for these contacts as they are (fields NULL) get a copy of their
        fields, before the contacts change."""
        if not before or not self._any_import_base:
            return
        shared = import_base.shared(self._conn, [r.id for r in before])  # type: ignore[misc]
        if shared:
            import_base.copy_fields(self._conn, [(json.dumps(contact_fields(r)), r.id)  # type: ignore[misc]
                                                 for r in before if r.id in shared])

    # -- the notes log ---------------------------------------------------------------------------------
    def add_notes(self, entries: Iterable[tuple[int, str, str | None, str | None]
                                        | tuple[int, str, str | None, str | None, str | None, bool]]) -> int:
        """Append (contact_id, text, time or None for now, source key or None[, kind, local_only]) entries to
        notes logs and reindex those contacts, so search finds the text. `kind` makes an entry an interaction
        (call, meeting...; None: a plain note). An entry whose source key is already in the log (a meeting
        pulled before) is skipped. Returns how many entries were added."""
        now = utc_now()
        added: dict[int, None] = {}
        count = 0
        for contact_id, body, at, key, *rest in entries:
            kind, local_only = (rest[0], bool(rest[1])) if rest else (None, False)
            cursor = self._conn.execute(
                "INSERT INTO note (contact_id, created_at, body, source_key, kind, local_only) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (contact_id, at or now, body, key, kind, local_only),
            )
            if cursor.rowcount:
                added[contact_id] = None
                count += 1
                entry = {"id": cursor.lastrowid, "at": at or now, "text": body, "source": key}
                if kind is not None or local_only:  # older history rows have neither key
                    entry |= {"kind": kind, "local_only": local_only}
                self.history.record(contact_id, "note", {"log": [None, entry]})
        search.reindex(self._conn, reader.load_contacts(self._conn, list(added)))
        return count

    # -- keep in touch (`rolo keep`) --------------------------------------------------------------------
    def set_cadence(self, every_days: int | None, *, contact_id: int | None = None, label: str | None = None
                    ) -> int | None:
        """Set the cadence of a contact or a label (None: remove it); returns the previous days, if any."""
        label_id = None
        if label is not None:
            label_id = cadences.label_id(self._conn, label)
            if label_id is None:
                raise NotFoundError(f"no label named {label!r}", hint="rolo label list shows the labels")
        if every_days is None:
            return cadences.remove_cadence(self._conn, contact_id=contact_id, label_id=label_id)
        return cadences.set_cadence(self._conn, contact_id=contact_id, label_id=label_id, every_days=every_days,
                                    now=utc_now())

    # -- labels and fields -----------------------------------------------------------------------------
    def rename_label(self, old: str, new: str) -> int:
        """Rename a label, or merge it into the label already named `new`; the contacts that carried it
        change (revision, history). Returns how many live contacts carry the label now."""
        if not new.strip():
            raise UserError("the new label name is empty")
        row = self._conn.execute("SELECT id FROM label WHERE name_key = ?", (old.strip().casefold(),)).fetchone()
        if row is None:
            raise NotFoundError(f"no label named {old!r}")
        old_id = row[0]
        carried = [r[0] for r in self._conn.execute(
            "SELECT c.id FROM contactlabel cl JOIN contact c ON c.id = cl.contact_id "
            "WHERE cl.label_id = ? AND c.deleted_at IS NULL", (old_id,)
        )]
        before = reader.load_contacts(self._conn, carried)
        self._keep_import_bases(before)
        target = self._conn.execute(
            "SELECT id FROM label WHERE name_key = ?", (new.strip().casefold(),)
        ).fetchone()
        if target is None or target[0] == old_id:
            self._conn.execute(
                "UPDATE label SET name = ?, name_key = ? WHERE id = ?", (new.strip(), new.strip().casefold(), old_id)
            )
        else:  # renaming onto an existing label merges the two
            self._conn.execute(
                "INSERT INTO contactlabel (contact_id, label_id) "
                "SELECT contact_id, ? FROM contactlabel WHERE label_id = ? ON CONFLICT DO NOTHING", (target[0], old_id)
            )
            self._conn.execute("DELETE FROM label WHERE id = ?", (old_id,))
            old_id = target[0]
        now = utc_now()
        self._conn.executemany(
            "UPDATE contact SET updated_at = ?, revision = revision + 1 WHERE id = ?", [(now, i) for i in carried]
        )
        after = reader.load_contacts(self._conn, carried)
        for was, now_is in zip(before, after, strict=True):
            if was.labels != now_is.labels:
                self.history.record(was.id, "updated", {  # type: ignore[arg-type]
                    "labels": [was.labels, now_is.labels], "@revision": [was.revision, now_is.revision],
                    "@updated_at": [was.updated_at, now]})
        search.reindex(self._conn, after)
        return self._conn.execute(
            "SELECT count(*) FROM contactlabel cl JOIN contact c ON c.id = cl.contact_id "
            "WHERE cl.label_id = ? AND c.deleted_at IS NULL", (old_id,)).fetchone()[0]

    def define_field(self, definition: FieldDefinition) -> FieldDefinition:
        validate_field_name(definition.name)
        if definition.type not in FIELD_TYPES:
            raise ValidationError(f"unknown field type {definition.type!r} (one of {', '.join(FIELD_TYPES)})")
        options = [o.strip() for o in definition.options if o.strip()]
        if definition.type == "select" and not options:
            raise ValidationError("a select field needs at least one --option")
        if definition.type != "select" and options:
            raise ValidationError("--option is only for fields of type select")
        if len({o.casefold() for o in options}) != len(options):
            raise ValidationError("select options must differ (case-insensitively)")
        if field_key(definition.name) in self.definitions:
            raise UserError(f"a field named {self.definitions[field_key(definition.name)][1].name!r} already exists")
        definition = FieldDefinition(definition.name, definition.type, options, definition.multiple,
                                     definition.local_only)
        self._conn.execute(
            "INSERT INTO fielddef (name, name_key, type, options, multiple, created_at, local_only) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (definition.name, field_key(definition.name), definition.type, json.dumps(options),
             bool(definition.multiple), utc_now(), bool(definition.local_only)),
        )
        self._defs = None
        return definition

    def set_field_private(self, name: str, local_only: bool) -> FieldDefinition:
        """Make a custom field private (never sent to a remote nor exported unless asked) or not."""
        found = self.definitions.get(field_key(name))
        if found is None:
            raise NotFoundError(f"no custom field named {name!r}", hint="rolo field list shows them")
        self._conn.execute("UPDATE fielddef SET local_only = ? WHERE id = ?", (bool(local_only), found[0]))
        self._defs = None
        definition = found[1]
        return FieldDefinition(definition.name, definition.type, list(definition.options), definition.multiple,
                               local_only)

    # -- the trash -------------------------------------------------------------------------------------
    def resolve_trashed(self, ref: str) -> int:
        """Row id of the deleted contact a REF names (see rolo.core.store.refs)."""
        from rolo.core.store.refs import resolve_ref

        return resolve_ref(self._conn, ref, self.region, trashed=True)

    def restore(self, contact_id: int) -> ContactRecord:
        """Bring a deleted contact back: clear its deletion, bump its revision (so the next sync pushes it
        again, or re-creates it where it was deleted) and put it back in the search index."""
        now = utc_now()
        revision, updated_at = self._conn.execute(
            "SELECT revision, updated_at FROM contact WHERE id = ?", (contact_id,)).fetchone()
        cursor = self._conn.execute(
            "UPDATE contact SET deleted_at = NULL, updated_at = ?, revision = revision + 1 "
            "WHERE id = ? AND deleted_at IS NOT NULL", (now, contact_id),
        )
        if cursor.rowcount:
            self.history.record(contact_id, "restored", {
                "deleted": [True, False], "@revision": [revision, revision + 1], "@updated_at": [updated_at, now]})
        record = self.load(contact_id)
        # brought back, its uid names it again, not the contact it was merged into
        self._conn.execute("DELETE FROM contactalias WHERE uid = ?", (record.uid,))
        self.__dict__.pop("_any_alias", None)
        search.reindex(self._conn, [record])
        self.changes.append((record, "created"))
        return record

    def trash_to_purge(self, deleted_before: str | None) -> tuple[list[int], dict[str, int]]:
        """See `reader.trash_to_purge`, as this transaction sees the book."""
        return reader.trash_to_purge(self._conn, deleted_before)

    def purge(self, contact_ids: list[int]) -> int:
        """Delete trashed contacts for good (their emails, phones, notes, sync rows... cascade); a contact
        that is not in the trash is left alone. Returns how many were purged."""
        count = 0
        for start in range(0, len(contact_ids), 500):
            chunk = contact_ids[start : start + 500]
            cursor = self._conn.execute(
                f"DELETE FROM contact WHERE deleted_at IS NOT NULL AND id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            count += cursor.rowcount
        search.unindex(self._conn, contact_ids)
        return count

    # -- the history, as an undo reads it (rolo.core.history.undo) --------------------------------------
    def change_rows(self, changeset_id: int) -> list[dict[str, Any]]:
        """The contact changes of a change set, in the order made (see `store.history.changes`)."""
        return history.changes(self._conn, changeset_id)

    def later_changes(self, contact_id: int, after_change: int) -> list[dict[str, Any]]:
        """The changes made to a contact after the change with this id, oldest first."""
        return history.later_changes(self._conn, contact_id, after_change)

    def last_author(self, contact_id: int) -> str | None:
        """Who made the latest recorded change to this contact (None: unknown, or before migration 0009)."""
        return history.last_author(self._conn, contact_id)

    def synced_revision(self, contact_id: int) -> int | None:
        """The highest revision of this contact a remote has seen (None: none has)."""
        return history.synced_revision(self._conn, contact_id)

    def find_note(self, note_id: int) -> tuple[int, int, str, str, str | None] | None:
        """(id, contact_id, created_at, body, source_key) of a notes-log entry, or None."""
        return reader.note_row(self._conn, note_id)

    # -- the notes log: edit, remove, entries read back from a vCard ----------------------------------
    def note_row(self, note_id: int) -> tuple[int, int, str, str, str | None]:
        """(id, contact_id, created_at, body, source_key) of a notes-log entry; NotFoundError if none."""
        row = reader.note_row(self._conn, note_id)
        if row is None:
            raise NotFoundError(f"no note with id {note_id}", hint="rolo note list REF --json shows the ids")
        return row

    def edit_note(self, note_id: int, body: str) -> tuple[int, int, str, str, str | None]:
        """Change the text of a notes-log entry (its time and source key stay) and reindex its contact, so
        search finds the new text and no longer the old. Returns the entry as it was before."""
        if not body.strip():
            raise UserError("note text is empty")
        row = self.note_row(note_id)
        self._conn.execute("UPDATE note SET body = ? WHERE id = ?", (body, note_id))
        self.history.record(row[1], "note", {"log": [_entry(row), _entry(row, body)]})
        search.reindex(self._conn, reader.load_contacts(self._conn, [row[1]]))
        return row

    def remove_note(self, note_id: int) -> tuple[int, int, str, str, str | None]:
        """Delete a notes-log entry and reindex its contact. Returns the entry removed."""
        row = self.note_row(note_id)
        self._conn.execute("DELETE FROM note WHERE id = ?", (note_id,))
        self.history.record(row[1], "note", {"log": [_entry(row), None]})
        search.reindex(self._conn, reader.load_contacts(self._conn, [row[1]]))
        return row

    def add_log_entries(self, entries: Iterable[tuple[int, LogEntry]]) -> int:
        """Add (contact_id, entry) notes-log entries read from elsewhere (a vCard's X-ROLO-LOG lines) in
        one go: an entry whose contact already has one with the same time and text is skipped, and so is
        one whose source key it already has (the unique index on (contact_id, source_key)). Returns how
        many were added."""
        by_contact: dict[int, list[LogEntry]] = {}
        for contact_id, entry in entries:
            by_contact.setdefault(contact_id, []).append(entry)
        rows = []
        for contact_id, items in by_contact.items():
            present = reader.notes_present(self._conn, contact_id, [(e.at, e.text) for e in items])
            rows += [(contact_id, e.text, e.at, e.source, e.kind, e.local_only) for e in items
                     if e.text.strip() and (e.at, e.text) not in present]
            # An entry found by time and text that has no source key yet (typed in this book, exported, read
            # back) takes the entry's key: once its text is edited here, the old text in the file is still
            # known by that key and does not come back as a new entry.
            self._conn.executemany(
                "UPDATE note SET source_key = ? WHERE id = (SELECT id FROM note WHERE contact_id = ? "
                "AND created_at = ? AND body = ? AND source_key IS NULL ORDER BY id LIMIT 1) "
                "AND NOT EXISTS (SELECT 1 FROM note k WHERE k.contact_id = ? AND k.source_key = ?)",
                [(e.source, contact_id, e.at, e.text, contact_id, e.source) for e in items
                 if e.source and (e.at, e.text) in present],
            )
        return self.add_notes(rows) if rows else 0


_CHILD_TABLES = ("email", "phone", "address", "url", "contactlabel", "fieldvalue", "extraproperty", "contactdate",
                 "related")
_INSERT_CONTACT = (
    "INSERT INTO contact (kind, formatted_name, prefix, given_name, additional_names, family_name, suffix, "
    "nickname, organization_id, department, title, birthday, notes, starred, photo, photo_type, sort_key, uid, "
    "created_at, updated_at, revision, source_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?)"
)
_UPDATE_CONTACT = (
    "UPDATE contact SET kind=?, formatted_name=?, prefix=?, given_name=?, additional_names=?, family_name=?, "
    "suffix=?, nickname=?, organization_id=?, department=?, title=?, birthday=?, notes=?, starred=?, photo=?, "
    "photo_type=?, sort_key=?, updated_at=?, revision=?, deleted_at=NULL, source_hash=COALESCE(?, source_hash) "
    "WHERE id=?"
)
_INSERT_EMAIL = "INSERT INTO email (contact_id, position, address, address_key, label, pref) VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_PHONE = "INSERT INTO phone (contact_id, position, number, e164, label, pref) VALUES (?, ?, ?, ?, ?, ?)"
_INSERT_ADDRESS = (
    "INSERT INTO address (contact_id, position, label, po_box, extended, street, locality, region, postal_code, "
    "country, pref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_URL = "INSERT INTO url (contact_id, position, url, label) VALUES (?, ?, ?, ?)"
_INSERT_LABEL = "INSERT INTO contactlabel (contact_id, label_id) VALUES (?, ?)"
_INSERT_VALUE = "INSERT INTO fieldvalue (contact_id, field_id, position, value) VALUES (?, ?, ?, ?)"
_INSERT_EXTRA = "INSERT INTO extraproperty (contact_id, position, name, raw) VALUES (?, ?, ?, ?)"
_INSERT_DATE = "INSERT INTO contactdate (contact_id, position, label, value) VALUES (?, ?, ?, ?)"
_INSERT_RELATED = "INSERT INTO related (contact_id, position, kind, uid, name) VALUES (?, ?, ?, ?, ?)"


def _entry(row: tuple[int, int, str, str, str | None], text: str | None = None) -> dict[str, Any]:
    """A notes-log row (id, contact_id, at, body, source key) as the history keeps it."""
    return {"id": row[0], "at": row[2], "text": row[3] if text is None else text, "source": row[4]}


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _property_name(raw: str) -> str:
    head = re.split(r"[;:]", raw, maxsplit=1)[0]
    return head.rsplit(".", 1)[-1].upper()
