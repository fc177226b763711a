"""Importing cards into a book that may have changed since: a three-way merge per field, no overwrite.

Each import source (a file's absolute path, or `folder:<path>` for the drop folder, whose files all share
it) keeps, per card uid, the card it last brought in: the base (`rolo.core.store.import_base`). A card
then meets the contact its uid names (or, for the uid of a contact merged away, the contact that absorbed
it) by these rules, in order:

- no such live contact: the card is stored as it is (created; a trashed contact comes back as the card);
- the card is the one last imported from this source (same hash), or the one the contact was last
  imported from: `unchanged`, nothing written;
- the card equals the contact: `unchanged`;
- its REV is older than the contact's last change (`updated_at`): `stale`, nothing written, no conflict
  (an older export, a file from before the edits). A REV that is a date only is compared by day;
- with a base: `rolo.core.sync.merge.three_way` with the base on both sides, the sync engine's rules: a
  field only the card changed since its base comes in, a field only the book changed stays, labels merge
  as sets, a field both changed to different values is a conflict the book wins, logged for `rolo
  conflicts` (remote `import`);
- no base (the contact came from another file, was typed in rolo, or the book predates bases), REV newer
  than the contact: the card wins every field it has a value for (it is the newer version), fields it
  leaves empty keep the book's, labels are the union; no conflict is logged;
- no base and no usable REV: a value only the card has fills the book, different values are conflicts
  the book wins;
- the uid of a contact merged away (`rolo merge`): with a base, three-way against the contact that absorbed
  it, except that list fields and labels only gain entries (that contact holds the entries of several);
  with no base, the card only adds to the contact (`merge.absorb_card`).

A card left equal to the contact gets a base of NULL fields ("the contact's own": no copy); one the
merge kept book values against gets a copy of the card's fields. `overwrite` is the old upsert: the
card replaces the contact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.errors import RoloError
from rolo.core.history.fields import CUSTOM, contact_fields
from rolo.core.record import ContactRecord
from rolo.core.sync.adapter import LIST_FIELDS, SYNCABLE_FIELDS, Capabilities
from rolo.core.sync.merge import apply_local, three_way

if TYPE_CHECKING:
    from rolo.core.store.writer import Writer

#: The conflict log's `remote` for conflicts of imported cards (`rolo conflicts`).
REMOTE = "import"


@dataclass(frozen=True)
class _EveryField(Capabilities):
    """Capabilities naming every field of the book. An import carries them all, the photo and the kept
    vCard lines too, which no remote does: `Capabilities` itself refuses those names."""

    def __post_init__(self) -> None:
        pass


#: What an imported card carries, for `three_way` and `apply_local`: every field, entries whole.
CAPS = _EveryField(fields=SYNCABLE_FIELDS | {"photo", "photo_type", "extras", "dates", "related"})


@dataclass
class CardOutcome:
    """What the import did with one card: `created`, `updated` (the contact now equals the card),
    `merged` (updated, keeping some book values), `unchanged` or `stale`; the contact's row id, the contact
    as stored when it was read (None for a card known unchanged by its hash), the conflicts logged."""

    status: str
    contact_id: int
    record: ContactRecord | None = None
    conflicts: int = 0


def compare_rev(rev: str | None, updated_at: str | None) -> str | None:
    """`older` or `newer` when a card's REV (`rolo.core.vcard.parse_rev`) is before or after the contact's
    last change, None when either is unknown or they are the same (a date-only REV: the same day)."""
    if not rev or not updated_at:
        return None
    theirs, mine = (rev, updated_at[:10]) if len(rev) == 10 else (rev, updated_at)
    if theirs < mine:
        return "older"
    return "newer" if theirs > mine else None


def shaped(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as `contact_fields` gives them, shaped as the JSON contact (`custom_fields` one dict) for
    `three_way`, which names each custom field `custom_fields.KEY` itself; emails and phones none of which
    is primary have `primary` None."""
    out = {k: v for k, v in fields.items() if not k.startswith(CUSTOM)}
    out["custom_fields"] = {k[len(CUSTOM):]: v for k, v in fields.items() if k.startswith(CUSTOM)}
    for key in ("emails", "phones"):
        # a list with no PREF says nothing of which entry comes first (`rolo add` makes its only email
        # primary, a card without PREF leaves it not): unknown, which three_way does not compare
        if not any(entry.get("primary") for entry in out.get(key) or []):
            out[key] = [{**entry, "primary": None} for entry in out.get(key) or []]
    return out


def apply_card(record: ContactRecord, changes: dict[str, Any]) -> ContactRecord:
    """A copy of the contact with a card's values for these fields (`three_way`'s names): as a sync pull
    applies them (`apply_local`), the photo from its hex form."""
    changes = dict(changes)
    photo = changes.pop("photo", ...)
    record = apply_local(record, changes, CAPS)
    if photo is not ...:
        record.photo = bytes.fromhex(photo) if photo else None
    return record


def _absorb(book: ContactRecord, card: ContactRecord, changes: dict[str, Any]) -> ContactRecord:
    """The changes of a card whose uid is an alias (a contact merged into this one): single values as
    `apply_card`, but list fields and labels only gain the card's entries. The contact holds the entries
    of every contact merged into it, so an entry this card no longer has may be another's: never removed."""
    from rolo.core.merge import merge_records

    lists = {k for k in changes if k in (*LIST_FIELDS, "labels")}
    book = apply_card(book, {k: v for k, v in changes.items() if k not in lists})
    if not lists:
        return book
    entries = ContactRecord(uid=book.uid, **{k: getattr(card, k) for k in lists})
    return merge_records(book, [entries])[0]


def import_cards(tx: Writer, cards: list[tuple[ContactRecord, str, str | None, str]], *,
                 overwrite: bool = False) -> list[CardOutcome | RoloError]:
    """Import (card, card hash, REV, source) in one transaction by the rules of the module docstring, with
    the bases and the conflicts written in it too. A card the book refuses gets its error."""
    if overwrite:
        return _overwrite(tx, cards)
    return _Batch(tx, cards).run()


def _card_json(tx: Writer, record: ContactRecord) -> str | None:
    try:
        return json.dumps(contact_fields(tx.prepare(record)))
    except RoloError:
        return None


def _overwrite(tx: Writer, cards: list[tuple[ContactRecord, str, str | None, str]]) -> list[CardOutcome | RoloError]:
    outcomes: list[CardOutcome | RoloError] = []
    rows = []
    results = tx.save_many([(record, digest) for record, digest, _, _ in cards])
    for (record, digest, _, source), result in zip(cards, results, strict=True):
        if isinstance(result, RoloError):
            outcomes.append(result)
            continue
        stored = result.record
        outcomes.append(CardOutcome(result.status, stored.id, stored))  # type: ignore[arg-type]
        if result.status == "unchanged" or stored.uid != record.uid:  # kept as it was, or absorbed (an alias)
            fields = _card_json(tx, record)
            if fields is not None and fields != json.dumps(contact_fields(stored)):
                rows.append((source, record.uid, stored.id, digest, fields))
                continue
        rows.append((source, record.uid, stored.id, digest, None))
    tx.set_import_bases(rows)  # type: ignore[arg-type]
    return outcomes


class _Batch:
    """One transaction's cards through the rules (see the module docstring)."""

    def __init__(self, tx: Writer, cards: list[tuple[ContactRecord, str, str | None, str]]) -> None:
        self.tx = tx
        self.cards = cards
        self.outcomes: list[CardOutcome | RoloError | None] = [None] * len(cards)
        self.rows: list[tuple[str, str, int, str, str | None]] = []  # import bases to set
        self.conflicts: dict[int, list[dict[str, Any]]] = {}  # contact id -> conflict log rows

    def run(self) -> list[CardOutcome | RoloError]:
        tx, cards = self.tx, self.cards
        uids = [record.uid for record, *_ in cards]
        aliases = tx.alias_targets(uids)
        targets = tx.import_targets(list(dict.fromkeys(aliases.get(u, u) for u in uids)))
        bases: dict[tuple[str, str], Any] = {}
        by_source: dict[str, list[str]] = {}
        for record, _, _, source in cards:
            by_source.setdefault(source, []).append(record.uid)
        for source, names in by_source.items():
            bases.update(((source, uid), base) for uid, base in tx.import_bases(source, names).items())

        passthrough: list[int] = []
        merging: list[int] = []
        for index, (record, digest, _, source) in enumerate(cards):
            base, alias = bases.get((source, record.uid)), aliases.get(record.uid)
            target = targets.get(alias or record.uid)
            if target is None or target.deleted or (alias and base is None):
                passthrough.append(index)  # created, back from the trash, or absorbed as a merge does
            elif (base and base.card_hash == digest) or (not alias and target.source_hash == digest):
                self.outcomes[index] = CardOutcome("unchanged", target.id)
                if base is None or base.card_hash != digest:  # the card came in through another source
                    if (fields := _card_json(tx, record)) is not None:
                        self.rows.append((source, record.uid, target.id, digest, fields))
            else:
                merging.append(index)
        finals = self._merge(merging, targets, aliases, bases) if merging else {}
        self._save(passthrough, finals, aliases)
        tx.set_import_bases(self.rows)
        tx.sync_state.log_conflicts([row for rows in self.conflicts.values() for row in rows])
        return self.outcomes  # type: ignore[return-value]

    def _merge(self, merging: list[int], targets: dict[str, Any], aliases: dict[str, str],
               bases: dict[tuple[str, str], Any]) -> dict[int, tuple[ContactRecord, list[int], dict[int, Any]]]:
        """Merge each card into its contact, in order (two cards of one contact in a batch both count).
        Returns contact id -> (the contact merged, the cards merged into it, their fields by card)."""
        tx = self.tx
        needed = {targets[aliases.get(self.cards[i][0].uid, self.cards[i][0].uid)].id for i in merging}
        needed |= {b.contact_id for i in merging if (b := bases.get((self.cards[i][3], self.cards[i][0].uid)))
                   and b.fields is None}
        stored = {r.id: r for r in tx.load_many(sorted(needed))}
        finals: dict[int, tuple[ContactRecord, list[int], dict[int, Any]]] = {}
        for index in merging:
            record, digest, rev, source = self.cards[index]
            base, alias = bases.get((source, record.uid)), aliases.get(record.uid)
            cid = targets[alias or record.uid].id
            try:
                card = tx.prepare(record)
            except RoloError as exc:
                self.outcomes[index] = exc
                continue
            book, merged_into, card_fields = finals.get(cid, (stored[cid], [], {}))
            mine, theirs = contact_fields(book), contact_fields(card)
            card_fields[index] = theirs
            finals[cid] = (book, [*merged_into, index], card_fields)
            if mine == theirs:
                self.outcomes[index] = CardOutcome("unchanged", cid, book)
                continue
            when = compare_rev(rev, book.updated_at)
            if when == "older":  # an older version of the contact: it never overwrites anything
                self.outcomes[index] = CardOutcome("stale", cid, book)
                finals[cid] = (book, merged_into, card_fields)  # and it sets no base
                continue
            if base is not None:
                was = json.loads(base.fields) if base.fields is not None else contact_fields(stored[base.contact_id])
                merge = three_way(shaped(mine), shaped(theirs), shaped(was), shaped(was), CAPS)
            else:  # the REV decides; without one the book wins what differs
                merge = three_way(shaped(mine), shaped(theirs), None, None, CAPS,
                                  "remote" if when == "newer" else "local")
            lost = [c for c in merge.conflicts if c.kept == "local"]
            self.conflicts.setdefault(cid, []).extend(
                {"remote": REMOTE, "contact_id": cid, "remote_id": f"{source}#{record.uid}", "run_id": None,
                 "field": c.field, "local": c.local, "remote_value": c.remote, "kept": "local", "policy": "local"}
                for c in lost)
            self.outcomes[index] = CardOutcome("merging" if merge.to_local else "unchanged", cid, book, len(lost))
            if merge.to_local:
                merged = apply_card(book, merge.to_local) if not alias else _absorb(book, card, merge.to_local)
                finals[cid] = (merged, [*merged_into, index], card_fields)
        return finals

    def _save(self, passthrough: list[int], finals: dict[int, tuple[ContactRecord, list[int], dict[int, Any]]],
              aliases: dict[str, str]) -> None:
        """One save_many for the cards stored as they are and the contacts merged; then each card's
        outcome and base."""
        tx, cards = self.tx, self.cards
        items = [(cards[i][0], cards[i][1]) for i in passthrough]
        changed = [(cid, final) for cid, final in finals.items()
                   if any(isinstance(self.outcomes[i], CardOutcome) and self.outcomes[i].status == "merging"
                          for i in final[1])]
        for _, (record, merged_into, _) in changed:
            own = [i for i in merged_into if cards[i][0].uid not in aliases]
            # the contact's source hash is its own card's: a card of a contact merged away does not set it
            items.append((record, cards[own[-1]][1] if own else None))
        results = tx.save_many(items)
        for index, result in zip(passthrough, results, strict=False):
            record, digest, _, source = cards[index]
            if isinstance(result, RoloError):
                self.outcomes[index] = result
                continue
            stored = result.record
            self.outcomes[index] = CardOutcome(result.status, stored.id, stored)  # type: ignore[arg-type]
            absorbed = stored.uid != record.uid  # the uid of a contact merged away: the card only added
            self.rows.append((source, record.uid, stored.id, digest,  # type: ignore[arg-type]
                              _card_json(tx, record) if absorbed else None))
        saved = dict(zip([cid for cid, _ in changed], results[len(passthrough):], strict=True))
        for cid, (record, merged_into, card_fields) in finals.items():
            result = saved.get(cid)
            if isinstance(result, RoloError):
                for index in merged_into:
                    self.outcomes[index] = result
                self.conflicts.pop(cid, None)
                continue
            final = result.record if result is not None else record
            fields = contact_fields(final)
            for index in merged_into:
                outcome = self.outcomes[index]
                assert isinstance(outcome, CardOutcome)
                if outcome.status == "merging":
                    if result is None or result.status == "unchanged":
                        outcome.status = "unchanged"
                    else:
                        outcome.status = "updated" if fields == card_fields[index] else "merged"
                outcome.record = final
                _, digest, _, source = cards[index]
                uid = cards[index][0].uid
                self.rows.append((source, uid, cid, digest,
                                  None if fields == card_fields[index] else json.dumps(card_fields[index])))
