"""The book: every write goes through here, one transaction per change (or per import batch).

Writes use SQLAlchemy Core (bulk inserts; the ORM is ~30x slower for many rows); reads reuse
`rolo.core.reader` on the same connection, so a write sees its own changes. The search index is updated in
the same transaction, so the book and its index never disagree.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from rolo.core import reader, search, storage
from rolo.core.emails import email_key
from rolo.core.errors import NotFoundError, RoloError, UserError, ValidationError
from rolo.core.fields import FIELD_TYPES, FieldDefinition, field_key, validate_field_name
from rolo.core.phones import to_e164
from rolo.core.record import ContactRecord
from rolo.core.refs import resolve_ref

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})$")


def utc_now() -> str:
    """The current time as stored in the book: ISO 8601 UTC, seconds, with `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A fresh contact uid (a random UUID, as most exporters use)."""
    return str(uuid.uuid4())


def normalize_birthday(value: str | None) -> str | None:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown) from the forms people and vCards write; None stays None."""
    if value is None or not value.strip():
        return None
    text = value.strip().split("T", 1)[0]
    match = _BIRTHDAY.match(text)
    if not match:
        raise ValidationError(f"birthday {value!r} is not a date (use YYYY-MM-DD, or --MM-DD without a year)")
    year, month, day = match.groups()
    try:
        date(int(year) if year else 2000, int(month), int(day))  # 2000: a leap year accepts --02-29
    except ValueError:
        raise ValidationError(f"birthday {value!r} is not a valid date") from None
    return f"{year}-{month}-{day}" if year else f"--{month}-{day}"


def sort_key(record: ContactRecord) -> str:
    """Contacts list by family name, then given name, else by whatever name they show."""
    parts = [record.family_name, record.given_name] if record.family_name else [record.display_name()]
    return " ".join(p for p in parts if p).casefold()


@dataclass
class SaveResult:
    """What a save did: `created`, `updated` or `unchanged`, and the contact as stored."""

    status: str
    record: ContactRecord


class Book:
    """A contact book in one SQLite file (or a `sqlite:///` URL)."""

    def __init__(self, location: str, *, region: str = "US") -> None:
        self.location = location
        self.region = region
        self._read: sqlite3.Connection | None = None

    # -- connections -------------------------------------------------------------------------------------
    @cached_property
    def _engine(self) -> Engine:
        return storage.write_engine(self.location)

    @property
    def db(self) -> sqlite3.Connection:
        """The read connection (plain sqlite3, autocommit)."""
        if self._read is None:
            self._read = storage.read_connection(self.location)
        return self._read

    def close(self) -> None:
        """Close connections (the book can be reopened by using it again)."""
        if self._read is not None:
            self._read.close()
            self._read = None
        if "_engine" in self.__dict__:
            self._engine.dispose()
            del self.__dict__["_engine"]

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """One write transaction (BEGIN IMMEDIATE): all of it lands, or none of it. Plugins hear of the
        changed contacts (the `contact_changed` hook) once it has committed."""
        with self._engine.begin() as conn:
            writer = Writer(conn, self.region)
            yield writer
        if writer.changes:
            hook = self.plugin_manager.hook.contact_changed
            if hook.get_hookimpls():
                for record, change in writer.changes:
                    hook(book=self, record=record, change=change)

    @cached_property
    def plugin_manager(self) -> Any:
        """The plugin manager whose hooks this book calls (the process's, unless one was given)."""
        from rolo.core.plugins import get_plugin_manager

        return get_plugin_manager()

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A consistent read of several queries, even while another process writes."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # -- reads -------------------------------------------------------------------------------------------
    def resolve(self, ref: str) -> int:
        """Row id of the contact a REF names."""
        return resolve_ref(self.db, ref, self.region)

    def get(self, ref: str) -> ContactRecord:
        """The contact a REF names."""
        with self.snapshot() as db:
            return reader.load_contacts(db, [resolve_ref(db, ref, self.region)])[0]

    def contacts(self, *, label: str | None = None, sort: str = "name") -> list[ContactRecord]:
        """Every live contact, optionally only those with a label, by name or most recently updated."""
        where, params = self._list_filter(label)
        order = "c.updated_at DESC, c.id DESC" if sort == "updated" else "c.sort_key, c.id"
        with self.snapshot() as db:
            if label is None:
                return reader.all_live_contacts(db, order)
            return list(reader.iter_contacts(db, where, params, order))

    def iter_contacts(self, *, label: str | None = None, sort: str = "name") -> Iterator[ContactRecord]:
        """Like contacts(), streamed in batches from one consistent read: for printing a whole large book
        without holding it all in memory."""
        where, params = self._list_filter(label)
        order = "c.updated_at DESC, c.id DESC" if sort == "updated" else "c.sort_key, c.id"
        with self.snapshot() as db:
            yield from reader.iter_contacts(db, where, params, order, batch=2000)

    def _list_filter(self, label: str | None) -> tuple[str, list[Any]]:
        where, params = "c.deleted_at IS NULL", []
        if label is not None:
            where += (" AND c.id IN (SELECT cl.contact_id FROM contactlabel cl JOIN label l ON l.id = "
                      "cl.label_id WHERE l.name_key = ?)")
            params.append(label.casefold())
        return where, params

    def search(self, query: str, limit: int | None = 50) -> list[ContactRecord]:
        """Contacts matching a query (see rolo.core.search), best first."""
        with self.snapshot() as db:
            return reader.load_contacts(db, search.search_ids(db, query, self.region, limit))

    def field_definitions(self) -> list[FieldDefinition]:
        """Custom field definitions, by name."""
        return list(reader.field_definitions(self.db).values())

    def labels(self) -> list[tuple[str, int]]:
        """Every label with the number of live contacts carrying it."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT l.name, count(c.id) FROM label l LEFT JOIN contactlabel cl ON cl.label_id = l.id "
            "LEFT JOIN contact c ON c.id = cl.contact_id AND c.deleted_at IS NULL "
            "GROUP BY l.id ORDER BY l.name_key"
        )]

    def birthdays(self) -> list[tuple[str, str, str]]:
        """(uid, formatted name, birthday) of every live contact with a birthday."""
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT uid, formatted_name, birthday FROM contact WHERE deleted_at IS NULL AND birthday IS NOT NULL"
        )]

    def notes_log(self, ref: str) -> list[dict[str, Any]]:
        """A contact's dated notes, oldest first."""
        with self.snapshot() as db:
            cid = resolve_ref(db, ref, self.region)
            return [{"id": r[0], "created_at": r[1], "body": r[2]} for r in db.execute(
                "SELECT id, created_at, body FROM note WHERE contact_id = ? ORDER BY created_at, id", (cid,)
            )]

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
            current = tx.load(resolve_ref(tx.dbapi, ref, self.region))
            changed = change(replace(current)) or current
            return tx.save(changed).record

    def delete(self, ref: str) -> ContactRecord:
        """Tombstone a contact: it disappears from reads but stays for sync to propagate the deletion."""
        with self.transaction() as tx:
            record = tx.load(resolve_ref(tx.dbapi, ref, self.region))
            tx.tombstone(record)
            return record

    def define_field(self, definition: FieldDefinition) -> FieldDefinition:
        """Add a custom field definition (its name must be new)."""
        with self.transaction() as tx:
            return tx.define_field(definition)

    def rename_label(self, old: str, new: str) -> int:
        """Rename a label (or merge it into an existing one); returns how many contacts carry it."""
        with self.transaction() as tx:
            return tx.rename_label(old, new)

    def duplicates(self) -> list[Any]:
        """Groups of likely duplicates (see rolo.core.dupes)."""
        from rolo.core.dupes import find_duplicates

        with self.snapshot() as db:
            return find_duplicates(db)

    def merge(self, keep_ref: str, other_refs: list[str], *, dry_run: bool = False
              ) -> tuple[ContactRecord, list[str], list[ContactRecord]]:
        """Merge contacts into KEEP (one transaction): union of their data, the others tombstoned.
        Returns the merged contact, the notes-log lines for values that lost, and the merged-away contacts.
        With dry_run nothing is written."""
        from rolo.core.merge import merge_records

        with self.transaction() as tx:
            keep = tx.load(resolve_ref(tx.dbapi, keep_ref, self.region))
            others = []
            for ref in other_refs:
                other = tx.load(resolve_ref(tx.dbapi, ref, self.region))
                if other.id == keep.id or any(o.id == other.id for o in others):
                    raise UserError(f"{ref!r} names a contact already in this merge ({other.uid})")
                others.append(other)
            merged, log = merge_records(keep, others)
            merged = tx.prepare(merged)
            if dry_run:  # nothing was written: the transaction commits empty
                return merged, log, others
            for other in others:
                tx.tombstone(other)
            now = utc_now()
            entries = [f"merged {o.display_name()} ({o.uid}) into this contact" for o in others] + log
            saved = tx.save(merged).record
            tx.dbapi.executemany(
                "INSERT INTO note (contact_id, created_at, body) VALUES (?, ?, ?)",
                [(saved.id, now, entry) for entry in entries],
            )
            search.reindex(tx.dbapi, [saved])
            return saved, log, others

    def add_note(self, ref: str, body: str) -> dict[str, Any]:
        """Append a dated entry to a contact's notes log."""
        if not body.strip():
            raise UserError("note text is empty")
        with self.transaction() as tx:
            record = tx.load(resolve_ref(tx.dbapi, ref, self.region))
            created = utc_now()
            tx.conn.exec_driver_sql(
                "INSERT INTO note (contact_id, created_at, body) VALUES (?, ?, ?)", (record.id, created, body)
            )
            search.reindex(tx.dbapi, [record])
            return {"uid": record.uid, "created_at": created, "body": body}


class Writer:
    """Write operations inside one open transaction. Obtain one from `Book.transaction()`."""

    def __init__(self, conn: Connection, region: str) -> None:
        self.conn = conn
        self.region = region
        self.dbapi: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        self._defs: dict[str, tuple[int, FieldDefinition]] | None = None
        self.changes: list[tuple[ContactRecord, str]] = []  # for the contact_changed hook, after commit
        self._orgs: dict[str, int] = {}
        self._labels: dict[str, int] = {}

    # -- lookups ---------------------------------------------------------------------------------------
    def contact_row(self, uid: str) -> tuple[int, int, str | None] | None:
        """(id, revision, deleted_at) of the contact with this uid, deleted or not."""
        row = self.dbapi.execute("SELECT id, revision, deleted_at FROM contact WHERE uid = ?", (uid,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def load(self, contact_id: int) -> ContactRecord:
        found = reader.load_contacts(self.dbapi, [contact_id])
        if not found:
            raise NotFoundError(f"no contact with id {contact_id}")
        return found[0]

    @property
    def definitions(self) -> dict[str, tuple[int, FieldDefinition]]:
        if self._defs is None:
            self._defs = {field_key(d.name): (i, d) for i, d in reader.field_definitions(self.dbapi).items()}
        return self._defs

    def _org_id(self, name: str | None) -> int | None:
        if not name or not name.strip():
            return None
        key = name.strip().casefold()
        if key not in self._orgs:
            row = self.dbapi.execute("SELECT id FROM organization WHERE name_key = ?", (key,)).fetchone()
            if row is None:
                self.dbapi.execute(
                    "INSERT INTO organization (name, name_key, domains) VALUES (?, ?, '[]')", (name.strip(), key)
                )
                row = self.dbapi.execute("SELECT last_insert_rowid()").fetchone()
            self._orgs[key] = row[0]
        return self._orgs[key]

    def _label_id(self, name: str) -> int:
        key = name.strip().casefold()
        if key not in self._labels:
            row = self.dbapi.execute("SELECT id FROM label WHERE name_key = ?", (key,)).fetchone()
            if row is None:
                self.dbapi.execute("INSERT INTO label (name, name_key) VALUES (?, ?)", (name.strip(), key))
                row = self.dbapi.execute("SELECT last_insert_rowid()").fetchone()
            self._labels[key] = row[0]
        return self._labels[key]

    # -- contacts --------------------------------------------------------------------------------------
    def prepare(self, record: ContactRecord) -> ContactRecord:
        """Check and normalise a record before it is stored; raise ValidationError naming the problem."""
        record = replace(record)
        if not record.uid or not record.uid.strip():
            raise ValidationError("contact has no uid")
        record.birthday = normalize_birthday(record.birthday)
        for phone in record.phones:
            phone.e164 = to_e164(phone.number, self.region) if phone.number.strip() else None
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

    def save(self, record: ContactRecord, *, source_hash: str | None = None) -> SaveResult:
        """Insert or update by uid; an unchanged contact is left alone (revision and timestamps kept)."""
        (result,) = self.save_many([(record, source_hash)])
        if isinstance(result, Exception):
            raise result
        return result

    def save_many(self, items: list[tuple[ContactRecord, str | None]]) -> list[SaveResult | RoloError]:
        """Upsert many contacts by uid, with one statement per table for the whole batch.

        A record the book refuses (a ValidationError...) gets its error in the result list and writes
        nothing; the others are saved. Later items win when a uid repeats in one batch.
        """
        results: list[SaveResult | RoloError | None] = [None] * len(items)
        prepared: dict[str, tuple[int, ContactRecord, str | None]] = {}
        repeated: list[int] = []
        for index, (record, source_hash) in enumerate(items):
            try:
                ready = self.prepare(record)
            except RoloError as exc:
                results[index] = exc
                continue
            if ready.uid in prepared:
                repeated.append(prepared[ready.uid][0])
            prepared[ready.uid] = (index, ready, source_hash)
        existing = self._existing([uid for uid in prepared])
        current = {r.id: r for r in reader.load_contacts(self.dbapi, [row[0] for row in existing.values()])}
        now = utc_now()
        inserts, updates = [], []
        for uid, (index, record, source_hash) in prepared.items():
            if uid in existing:
                cid, revision, deleted_at = existing[uid]
                old = current[cid]
                if deleted_at is None and old.content_key() == record.content_key():
                    results[index] = SaveResult("unchanged", old)
                    continue
                record.id, record.created_at = cid, old.created_at
                record.revision, record.updated_at = revision + 1, now
                updates.append((index, record, source_hash))
            else:
                record.created_at = record.created_at or now
                record.updated_at, record.revision = now, 1
                inserts.append((index, record, source_hash))
        # Rows go in through the driver connection of this transaction: plain executemany is the fastest
        # path SQLite offers (several times SQLAlchemy's per-statement overhead at import sizes).
        for _, record, source_hash in inserts:
            cursor = self.dbapi.execute(_INSERT_CONTACT, (*self._contact_values(record), record.uid,
                                                          record.created_at, record.updated_at, 1, source_hash))
            record.id = cursor.lastrowid
        if updates:
            self.dbapi.executemany(_UPDATE_CONTACT, [
                (*self._contact_values(r), r.updated_at, r.revision, h, r.id) for _, r, h in updates])
            for table in _CHILD_TABLES:
                self.dbapi.executemany(f"DELETE FROM {table} WHERE contact_id = ?", [(r.id,) for _, r, _ in updates])
        written = [r for _, r, _ in inserts + updates]
        self._insert_children(written)
        search.reindex(self.dbapi, written)
        for index, record, _ in inserts:
            results[index] = SaveResult("created", record)
            self.changes.append((record, "created"))
        for index, record, _ in updates:
            results[index] = SaveResult("updated", record)
            self.changes.append((record, "updated"))
        for index in repeated:  # an earlier copy of a uid repeated in the batch: superseded by the later one
            results[index] = SaveResult("unchanged", prepared[items[index][0].uid][1])
        return results  # type: ignore[return-value]

    def _existing(self, uids: list[str]) -> dict[str, tuple[int, int, str | None]]:
        found = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            for row in self.dbapi.execute(
                f"SELECT uid, id, revision, deleted_at FROM contact WHERE uid IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[row[0]] = (row[1], row[2], row[3])
        return found

    def _contact_values(self, r: ContactRecord) -> tuple[Any, ...]:
        return (
            r.kind, r.formatted_name, r.prefix, r.given_name, r.additional_names, r.family_name, r.suffix,
            r.nickname, self._org_id(r.organization), r.department, r.title, r.birthday, r.notes,
            int(r.starred), r.photo, r.photo_type, sort_key(r),
        )

    def _insert_children(self, records: list[ContactRecord]) -> None:
        emails, phones, addresses, urls, labels, values, extras = [], [], [], [], [], [], []
        for r in records:
            cid = r.id
            emails += [(cid, i, e.address.strip(), email_key(e.address), e.label, int(e.primary))
                       for i, e in enumerate(r.emails)]
            phones += [(cid, i, p.number.strip(), p.e164, p.label, int(p.primary)) for i, p in enumerate(r.phones)]
            addresses += [(cid, i, a.label, a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code,
                           a.country, int(a.primary)) for i, a in enumerate(r.addresses)]
            urls += [(cid, i, u.url, u.label) for i, u in enumerate(r.urls)]
            labels += [(cid, self._label_id(name)) for name in r.labels]
            for name, value in r.custom_fields.items():
                fid, definition = self.definitions[field_key(name)]
                items = value if isinstance(value, list) else [value]
                values += [(cid, fid, i, definition.canonical(_to_text(v))) for i, v in enumerate(items)]
            extras += [(cid, i, _property_name(raw), raw) for i, raw in enumerate(r.extras)]
        for sql, rows in ((_INSERT_EMAIL, emails), (_INSERT_PHONE, phones), (_INSERT_ADDRESS, addresses),
                          (_INSERT_URL, urls), (_INSERT_LABEL, labels), (_INSERT_VALUE, values),
                          (_INSERT_EXTRA, extras)):
            if rows:
                self.dbapi.executemany(sql, rows)

    def tombstone(self, record: ContactRecord) -> None:
        """Mark a contact deleted (kept for sync) and drop it from the index."""
        self.conn.exec_driver_sql(
            "UPDATE contact SET deleted_at = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
            (utc_now(), utc_now(), record.id),
        )
        search.unindex(self.dbapi, [record.id])  # type: ignore[list-item]
        self.changes.append((record, "deleted"))

    # -- labels and fields -----------------------------------------------------------------------------
    def rename_label(self, old: str, new: str) -> int:
        if not new.strip():
            raise UserError("the new label name is empty")
        row = self.dbapi.execute("SELECT id FROM label WHERE name_key = ?", (old.strip().casefold(),)).fetchone()
        if row is None:
            raise NotFoundError(f"no label named {old!r}")
        old_id = row[0]
        target = self.dbapi.execute(
            "SELECT id FROM label WHERE name_key = ?", (new.strip().casefold(),)
        ).fetchone()
        if target is None or target[0] == old_id:
            self.dbapi.execute(
                "UPDATE label SET name = ?, name_key = ? WHERE id = ?", (new.strip(), new.strip().casefold(), old_id)
            )
        else:  # renaming onto an existing label merges the two
            self.dbapi.execute(
                "INSERT OR IGNORE INTO contactlabel (contact_id, label_id) "
                "SELECT contact_id, ? FROM contactlabel WHERE label_id = ?", (target[0], old_id)
            )
            self.dbapi.execute("DELETE FROM label WHERE id = ?", (old_id,))
            old_id = target[0]
        ids = [r[0] for r in self.dbapi.execute(
            "SELECT c.id FROM contactlabel cl JOIN contact c ON c.id = cl.contact_id "
            "WHERE cl.label_id = ? AND c.deleted_at IS NULL", (old_id,)
        )]
        now = utc_now()
        self.dbapi.executemany(
            "UPDATE contact SET updated_at = ?, revision = revision + 1 WHERE id = ?", [(now, i) for i in ids]
        )
        search.reindex(self.dbapi, reader.load_contacts(self.dbapi, ids))
        return len(ids)

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
        import json

        definition = FieldDefinition(definition.name, definition.type, options, definition.multiple)
        self.dbapi.execute(
            "INSERT INTO fielddef (name, name_key, type, options, multiple, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (definition.name, field_key(definition.name), definition.type, json.dumps(options),
             int(definition.multiple), utc_now()),
        )
        self._defs = None
        return definition


_CHILD_TABLES = ("email", "phone", "address", "url", "contactlabel", "fieldvalue", "extraproperty")
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


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _property_name(raw: str) -> str:
    head = re.split(r"[;:]", raw, maxsplit=1)[0]
    return head.rsplit(".", 1)[-1].upper()
