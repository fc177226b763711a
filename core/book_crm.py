"""The personal CRM's part of `Book` (issue 13): interactions and keeping in touch, relationships, and the
yearly dates. A mixin of `rolo.core.book.Book`, kept apart so the book's core reads on its own; every method
is one read (`snapshot`) or one write transaction (`transaction`), as in `Book`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rolo.core.errors import UserError
from rolo.core.record import ContactRecord, RelatedEntry
from rolo.core.store import reader
from rolo.core.values import utc_now

if TYPE_CHECKING:
    import sqlite3
    from contextlib import AbstractContextManager

    from rolo.core.store.writer import Writer


class PersonalCRM:
    """Interactions, cadences, relationships and dates, on the book's own transactions and snapshots."""

    region: str
    db: sqlite3.Connection

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[Writer]: ...
        def snapshot(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- interactions and keeping in touch (rolo.core.keep_in_touch) ---------------------------------------
    def log_interaction(self, ref: str, text: str, kind: str = "other", at: str | None = None, *,
                        local_only: bool = False) -> dict[str, Any]:
        """Record an interaction (a notes-log entry with a kind) at `at` (the book's time format; None: now).
        Returns the entry as `rolo note list --json` shows it, with the contact's uid and name."""
        from rolo.core.keep_in_touch import check_kind

        if not text.strip():
            raise UserError("the interaction's text is empty (say what it was about)")
        kind = check_kind(kind)
        with self.transaction() as tx:
            record = tx.load(tx.resolve(ref))
            at = at or utc_now()
            tx.add_notes([(record.id, text, at, None, kind, local_only)])  # type: ignore[list-item]
            return {"uid": record.uid, "name": record.display_name(), "at": at, "kind": kind, "text": text,
                    "local_only": local_only}

    def keep_in_touch(self, every_days: int | None, *, ref: str | None = None, label: str | None = None
                      ) -> tuple[str, int | None]:
        """Set the cadence (None: remove it) of the contact REF names or of a label. Returns what it applies
        to (a contact's name, or `label NAME`) and the previous cadence in days (None: there was none)."""
        with self.transaction() as tx:
            if ref is not None:
                record = tx.load(tx.resolve(ref))
                return record.display_name(), tx.set_cadence(every_days, contact_id=record.id)
            return f"label {label}", tx.set_cadence(every_days, label=label)

    def cadences(self) -> list[Any]:
        """Every cadence set (`rolo.core.store.cadences.Cadence`): labels' first, then contacts'."""
        from rolo.core.store import cadences

        with self.snapshot() as db:
            return cadences.cadences(db)

    def due(self, today: Any = None, *, within: int = 0, label: str | None = None) -> list[Any]:
        """The contacts due for contact by `today` + `within` days (`rolo.core.keep_in_touch.Due`), most
        overdue first; only those carrying `label`, when given."""
        from datetime import UTC, datetime

        from rolo.core.keep_in_touch import Due, due_on
        from rolo.core.store import cadences

        today = today or datetime.now(UTC).date()
        with self.snapshot() as db:
            found = cadences.candidates(db, label)
            records = {r.id: r for r in reader.load_contacts(db, [c.contact_id for c in found])}
        dues = []
        for c in found:
            day = due_on(c.every_days, c.last_contacted, c.since)
            overdue = (today - day).days
            if overdue >= -within:
                record = records[c.contact_id]
                dues.append(Due(record.uid, record.display_name(), c.every_days,
                                f"label {c.label}" if c.label else "own", c.last_contacted, day, overdue))
        return sorted(dues, key=lambda d: (-d.overdue_days, d.name.casefold(), d.uid))

    # -- relationships (rolo.core.relations) ---------------------------------------------------------------
    def relate(self, ref: str, kind: str, other_ref: str | None = None, *, name: str | None = None,
               remove: bool = False) -> tuple[ContactRecord, RelatedEntry, bool]:
        """Link the contact REF names to another (`other_ref`, a REF) or to a person by `name`: "OTHER is
        REF's KIND". With `remove`, unlink them instead. Returns the contact, the link, and whether anything
        changed (linking twice, or unlinking what is not linked, changes nothing)."""
        from rolo.core.relations import normal_kind

        kind = normal_kind(kind)
        if not kind:
            raise UserError("the kind of relationship is empty (spouse, parent, friend...)")
        if (other_ref is None) == (name is None or not name.strip()):
            raise UserError("name the other person: a contact (REF) or --name TEXT")
        with self.transaction() as tx:
            record = tx.load(tx.resolve(ref))
            if other_ref is not None:
                other = tx.load(tx.resolve(other_ref))
                if other.id == record.id:
                    raise UserError(f"{record.display_name()} cannot be their own {kind}")
                link = RelatedEntry(kind, other.uid, other.display_name())

                def same(r: RelatedEntry) -> bool:
                    return r.kind.casefold() == kind.casefold() and r.uid == other.uid
            else:
                link = RelatedEntry(kind, None, " ".join((name or "").split()))

                def same(r: RelatedEntry) -> bool:
                    return (r.kind.casefold() == kind.casefold() and r.uid is None
                            and (r.name or "").casefold() == (link.name or "").casefold())
            kept = [r for r in record.related if not same(r)]
            if remove:
                if len(kept) == len(record.related):
                    return record, link, False
                return tx.save(replace(record, related=kept)).record, link, True
            if len(kept) != len(record.related):
                return record, link, False
            return tx.save(replace(record, related=[*record.related, link])).record, link, True

    def relations(self, ref: str) -> tuple[ContactRecord, list[dict[str, Any]], list[dict[str, Any]]]:
        """A contact, its links (the people they name, resolved to the contacts they are now), and the links
        other contacts hold to it (`related_by`), each as `rolo show --json` gives them."""
        from rolo.core.relations import seen_from_other_side
        from rolo.core.store import relations

        with self.snapshot() as db:
            from rolo.core.store.refs import resolve_ref

            contact_id = resolve_ref(db, ref, self.region)
            (record,) = reader.load_contacts(db, [contact_id])
            now = relations.linked(db, [r.uid for r in record.related if r.uid])
            back = relations.linking_to(db, contact_id)
        own = []
        for r in record.related:
            found = now.get(r.uid) if r.uid else None
            own.append({"kind": r.kind, "uid": found.uid if found else r.uid,
                        "name": found.name if found else (r.name or r.uid), "in_book": found is not None,
                        "trashed": bool(found and found.trashed)})
        by = [{"kind": kind, "as": seen_from_other_side(kind), "uid": other.uid, "name": other.name}
              for kind, other in back]
        return record, own, by

    def occasions(self, *, birthdays: bool = True, dates: bool = True) -> list[Any]:
        """Every live contact's birthday and other dated events as `rolo.core.occasions.Occasion`s."""
        from rolo.core.occasions import Occasion

        found = []
        if birthdays:
            found += [Occasion(uid, name, "birthday", value) for uid, name, value in reader.birthdays(self.db)]
        if dates:
            found += [Occasion(uid, name, label, value) for uid, name, label, value in reader.dated_events(self.db)]
        return found
