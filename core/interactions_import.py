"""Interactions kept elsewhere (mail, calendars) logged on the contacts they involve: the plugin API behind
`rolo import-mail` and `rolo import-ics`, which any plugin can feed (the `register_interaction_sources`
hook).

Each `Interaction` names the other people by email address; it is logged once on each contact having one
of them (a notes-log entry with its kind, so it sets "last contacted"), keyed by the interaction's
`source_key` so a second run adds nothing. Addresses of no contact are counted, never turned into contacts.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rolo.core.emails import email_key
from rolo.core.errors import UserError

BATCH = 500


@dataclass
class Interaction:
    """One interaction read from a source: when (the book's time format), its kind (email, meeting...), the
    other people's email addresses, a line of text, a key unique in its source (a Message-ID), or the
    one-line `error` that kept it from being read (`where` says which message or event)."""

    at: str
    kind: str
    addresses: list[str]
    text: str
    source_key: str
    where: str = ""
    error: str | None = None


@dataclass
class InteractionReport:
    """What an import of interactions did."""

    read: int = 0
    logged: int = 0
    already: int = 0  # interactions of contacts that had them already (a second run)
    contacts: set[int] = field(default_factory=set)  # row ids of the contacts the interactions involve
    unknown: Counter = field(default_factory=Counter)
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"read": self.read, "logged": self.logged, "already_logged": self.already,
                "contacts": len(self.contacts), "failed": len(self.failures), "failures": self.failures,
                "unknown_addresses": [{"address": a, "count": n} for a, n in self.unknown.most_common(10)]}

    def summary(self, dry_run: bool = False) -> str:
        verb = "would log" if dry_run else "logged"
        text = (f"{self.read} read; {verb} {self.logged} on {len(self.contacts)} contact"
                f"{'s' if len(self.contacts) != 1 else ''}; {self.already} already logged; {len(self.failures)} failed")
        if self.unknown:
            text += f"; {len(self.unknown)} addresses of nobody in the book"
        return text


def sources(pm: Any) -> dict[str, Any]:
    """The interaction sources the plugins register, by name."""
    found: dict[str, Any] = {}

    def register(source: Any) -> None:
        name = getattr(source, "name", None)
        if not isinstance(name, str) or not callable(getattr(source, "read", None)):
            raise UserError(f"a plugin registered {source!r} as an interaction source: it needs a name and read()")
        found[name] = source

    pm.hook.register_interaction_sources(register=register)
    return found


def import_interactions(book: Any, items: Iterable[Interaction], *, me: Iterable[str] = (), dry_run: bool = False,
                        progress: bool = False) -> InteractionReport:
    """Log each interaction on the contacts whose email addresses it names (not `me`), in transactions of
    BATCH interactions; `dry_run` counts what would be logged and writes nothing."""
    from rolo.core.store import reader

    mine = {email_key(a) for a in me}
    report = InteractionReport()
    batch: list[Interaction] = []

    def flush() -> None:
        keys = {email_key(a) for i in batch for a in i.addresses} - mine
        with book.snapshot() as db:
            ids = reader.live_ids_by_email(db, keys)
        rows = []
        for i in batch:
            for key in dict.fromkeys(email_key(a) for a in i.addresses):
                if key in mine:
                    continue
                if key not in ids:
                    report.unknown[key] += 1
                for contact_id in ids.get(key, []):
                    rows.append((contact_id, i.text, i.at, i.source_key, i.kind, False))
        rows = list({(r[0], r[3]): r for r in rows}.values())  # one entry per contact and interaction
        if dry_run:
            with book.snapshot() as db:
                present = reader.source_keys_present(db, [(r[0], r[3]) for r in rows])
            added = sum((r[0], r[3]) not in present for r in rows)
        else:
            with book.transaction() as tx:
                added = tx.add_notes(rows)  # an entry already in a contact's log is skipped (its source key)
        report.logged += added
        report.already += len(rows) - added
        report.contacts |= {r[0] for r in rows}
        batch.clear()

    for item in items:
        if item.error:
            report.failures.append({"where": item.where, "reason": item.error})
            continue
        report.read += 1
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
            if progress:
                print(f"\r{report.read} read, {report.logged} logged", end="", file=sys.stderr, flush=True)
    if batch:
        flush()
    if progress and report.read >= BATCH:
        print(file=sys.stderr)
    return report
