"""Importing vCard files into the book, committed in batches, one bad card never stopping the rest. An
interrupted import is simply run again: cards already stored come back `unchanged`.

Import merges, it does not overwrite (`rolo.core.import_merge`): each source (a file's absolute path, or
`folder:<path>` for the drop folder) remembers the cards it last brought in, so a re-imported card brings
only the fields it changed since, and what was edited in the book stays. A field changed on both sides is a
conflict the book wins (`rolo conflicts`); a card whose REV is older than the contact's last change is
`stale` and writes nothing. `overwrite=True` (`rolo import --overwrite`) is the plain upsert by uid: the
card replaces the contact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolo.core.book import Book
from rolo.core.errors import RoloError, UserError

if TYPE_CHECKING:
    from rolo.core.import_preview import ImportPreview
    from rolo.core.vcard import CardResult
    from rolo.core.record import ContactRecord

VCARD_SUFFIXES = {".vcf", ".vcard"}
CSV_SUFFIXES = {".csv"}  # Google, Outlook, LinkedIn exports and mapped CSVs (rolo.core.csv_import)
BATCH_SIZE = 500
# `rolo import` parses ahead in one more process while this one writes (parsing and storing each take
# about half of an import's time). Library callers opt in: a caller with threads gets a "spawn" process,
# which needs its main module to be import-safe, as a console script is and an arbitrary script may not be.
CLI_PARSE_WORKERS = 1


@dataclass
class ImportReport:
    """Counts of what an import did, and one entry per card that failed."""

    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # of the updated, those that kept some of the book's values (a three-way merge); of the unchanged, the
    # cards older than the book (REV); field conflicts logged for `rolo conflicts`
    merged: int = 0
    stale: int = 0
    conflicts: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # The cards behind `failures` (text and reason), for callers that set them aside as the drop-folder
    # watcher does; not part of to_json(). A file that could not be opened has no card here.
    failed_cards: list[CardResult] = field(default_factory=list, repr=False)
    notes: list[str] = field(default_factory=list)  # things worth saying that are no failure (unread columns)
    # files refused as a whole for what they are (a CSV of no known export, without --map), not for a
    # passing I/O error: trying again will not help; not part of to_json()
    refused: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_json(self) -> dict[str, Any]:
        return {"files": self.files, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "failed": self.failed, "failures": self.failures,
                "likely_duplicates": self.duplicates, "merged": self.merged, "conflicts": self.conflicts,
                "stale": self.stale, "notes": self.notes}

    def summary(self) -> str:
        text = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.failed} failed")
        if self.duplicates:
            text += f" ({len(self.duplicates)} likely duplicate{'s' if len(self.duplicates) != 1 else ''}: rolo dupes)"
        notes = []
        if self.merged:
            notes.append(f"{self.merged} merged with edits made in rolo")
        if self.conflicts:
            notes.append(f"{self.conflicts} conflict{'s' if self.conflicts != 1 else ''}, book kept: rolo conflicts")
        if self.stale:
            notes.append(f"{self.stale} stale: older than the book, not imported")
        return "; ".join([text, *notes])


def place(file: str, number: int | None) -> str:
    """Where a card is, for messages: `FILE card N`, `FILE line N` for a CSV row, or `FILE` alone."""
    if not number:
        return str(file)
    return f"{file} {'line' if str(file).lower().endswith('.csv') else 'card'} {number}"


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """vCard and CSV files named, or found (recursively, *.vcf / *.vcard / *.csv) in folders named, in a
    stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file()
                            and p.suffix.lower() in VCARD_SUFFIXES | CSV_SUFFIXES)
        elif path.is_file():
            files.append(path)
        elif path.exists():  # /dev/null, a pipe, a socket: nothing to import from
            raise UserError(f"{path}: not a file or folder (rolo imports .vcf files and folders of them)")
        else:
            raise UserError(f"{path}: no such file or folder")
    return files


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _likely_same(tx: Any, record: ContactRecord) -> list[str]:
    """uids of the contacts a new card without a UID may be, by shared email or phone, as `rolo dupes` sees
    it: not those whose names say they are someone else (an office's shared address)."""
    shared = tx.sharing_email_or_phone(record)
    if not shared:
        return []
    from rolo.core.dupes import another_person

    return [uid for uid, name in shared if not another_person(record.formatted_name, name)]


def _refuse_uid_reuse(results: Iterator[CardResult]) -> Iterator[CardResult]:
    """Refuse a card whose UID an earlier, different card of the same file has. Both would be one contact,
    the later card silently replacing the earlier one, and every re-import of the file would flip between
    them. An identical card again is harmless (it comes back unchanged) and goes through."""
    from rolo.core.store.scratch import FirstSeen

    seen = FirstSeen()
    source = None
    try:
        for result in results:
            if result.source != source:
                seen.clear()
                source = result.source
            if result.record is not None:
                uid = result.record.uid
                key = hashlib.blake2b(uid.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                first = seen.first(key, result.index, int(result.source_hash[:16], 16))
                if first is not None:
                    result = replace(result, record=None, error=(
                        f"UID {uid} again (card {first} has it, with other values): not imported, as one UID "
                        f"is one contact; give this card a UID of its own"))
            yield result
    finally:
        seen.close()


def _import_batch(tx: Any, batch: list[CardResult], report: ImportReport, sources: dict[str, str],
                  overwrite: bool) -> list[tuple[CardResult, Any]]:
    """Import one batch of cards in the transaction `tx`, counting into `report`; returns each imported
    card with its outcome (`rolo.core.import_merge.CardOutcome`)."""
    from rolo.core.import_merge import import_cards
    from rolo.core.vcard import derived_uid

    readable = [r for r in batch if r.record is not None]
    outcomes = import_cards(tx, [(r.record, r.source_hash, r.rev, sources.get(r.source, r.source))
                                 for r in readable], overwrite=overwrite)
    # the cards' notes-log entries (X-ROLO-LOG), in the same transaction; ones already there are skipped
    # (by position: a card whose uid is an alias of a merged contact lands in that contact); a stale
    # card brings nothing
    tx.add_log_entries((o.contact_id, entry) for r, o in zip(readable, outcomes, strict=True)
                       if not isinstance(o, RoloError) and o.status != "stale"
                       for entry in r.record.log)  # type: ignore[union-attr]
    done = []
    for result, outcome in zip(readable, outcomes, strict=True):
        if isinstance(outcome, RoloError):
            report.failures.append({"file": result.source, "card": result.index, "reason": str(outcome)})
            report.failed_cards.append(replace(result, record=None, error=str(outcome)))
            continue
        done.append((result, outcome))
        status = {"merged": "updated", "stale": "unchanged"}.get(outcome.status, outcome.status)
        setattr(report, status, getattr(report, status) + 1)
        report.merged += outcome.status == "merged"
        report.stale += outcome.status == "stale"
        report.conflicts += outcome.conflicts
        created_without_uid = (outcome.status == "created" and outcome.record is not None
                               and (result.uid_derived or outcome.record.uid == derived_uid(result.source_hash)))
        if created_without_uid and (matches := _likely_same(tx, outcome.record)):
            report.duplicates.append({
                "file": result.source, "card": result.index, "uid": outcome.record.uid,
                "formatted_name": outcome.record.formatted_name, "matches": matches})
    for result in batch:
        if result.record is None:
            report.failures.append({"file": result.source, "card": result.index, "reason": result.error})
            report.failed_cards.append(result)
    return done


#: Contacts written by one import after which a PostgreSQL book's statistics are refreshed (ANALYZE).
ANALYZE_AFTER = 1000


class _RollBack(Exception):
    """Raised inside a preview's transaction so that nothing it did is kept."""


def _csv_cards(path: Path, field_names: list[str], fmt: str | None, mapping: tuple[str, ...],
               report: ImportReport) -> Iterator[Any]:
    """A CSV file's rows as the import's cards (rolo.core.csv_import); columns a mapping leaves unread are
    reported once, as a failure line that names them (nothing of them is imported)."""
    from rolo.core.csv_import import parse_mapping, read_csv
    from rolo.core.vcard import CardResult, card_hash

    read = read_csv(path, fmt=fmt, mapping=parse_mapping(mapping, field_names) if mapping else None,
                    custom_fields=field_names)
    if read.warning:
        report.notes.append(f"{path}: {read.warning}")
    if read.unread_columns:
        report.notes.append(f"{path}: columns not read (no --map for them): {', '.join(read.unread_columns)}")
    for row in read.rows:
        yield CardResult(str(path), row.line, row.text, row.record, row.error, card_hash(row.text),
                         uid_derived=True)


def import_files(book: Book, files: list[Path], *, batch_size: int = BATCH_SIZE,
                 on_card: Callable[[Any], None] | None = None, parse_workers: int = 0,
                 source: str | None = None, overwrite: bool = False, csv_format: str | None = None,
                 csv_map: tuple[str, ...] = (), preview: ImportPreview | None = None) -> ImportReport:
    """Import every card of these files; `on_card(result)` is called after each card (for progress).
    `parse_workers` processes parse large files ahead of the writes (see CLI_PARSE_WORKERS). `source` names
    the import source of every file (the drop folder's `folder:<path>`); by default each file is its own,
    its absolute path. `overwrite`: each card replaces its contact (no merge, see the module docstring).
    CSV files (rolo.core.csv_import) take `csv_format` (google, outlook, linkedin, csv) and `csv_map`
    (`COLUMN=FIELD` texts). `preview`: do everything in one transaction that is rolled back, filling
    `preview` with what would be created and changed: nothing is written."""
    from rolo.core.vcard import iter_file

    report = ImportReport(files=len(files))
    sources = {str(path): source or str(path.resolve()) for path in files}
    field_names = [d.name for d in book.field_definitions()]

    def cards() -> Iterator[Any]:
        for path in files:
            try:
                if path.suffix.lower() in CSV_SUFFIXES:
                    yield from _csv_cards(path, field_names, csv_format, csv_map, report)
                else:
                    yield from iter_file(path, field_names, workers=parse_workers)
            except OSError as exc:
                report.failures.append({"file": str(path), "card": None, "reason": exc.strerror or str(exc)})
            except UserError as exc:  # a CSV rolo cannot read as a whole: the other files go on
                reason = str(exc).removeprefix(f"{path}: ") + (f" (hint: {exc.hint})" if exc.hint else "")
                report.failures.append({"file": str(path), "card": None, "reason": reason})
                report.refused[str(path)] = reason

    batches = _batches(_refuse_uid_reuse(cards()), batch_size)
    if preview is not None:
        try:
            with book.transaction() as tx:  # all of it in one transaction, rolled back: nothing is written
                for batch in batches:
                    preview.add(tx, _import_batch(tx, batch, report, sources, overwrite))
                raise _RollBack
        except _RollBack:
            pass
    for batch in batches:  # (a preview has consumed them all)
        with book.transaction() as tx:  # one transaction per batch: a crash loses at most this batch
            _import_batch(tx, batch, report, sources, overwrite)
        for result in batch:
            if on_card:
                on_card(result)
    if preview is None and report.created + report.updated >= ANALYZE_AFTER:
        book.refresh_statistics()  # a PostgreSQL book's planner learns the new size at once
    order = {str(path): n for n, path in enumerate(files)}
    report.failures.sort(key=lambda f: (order.get(f["file"], -1), f["card"] or 0))
    report.failed_cards.sort(key=lambda c: (order.get(c.source, -1), c.index))
    return report
