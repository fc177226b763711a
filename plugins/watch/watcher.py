"""The drop-folder engine: import whatever vCard lands in a folder, safely, whatever the writer does.

The API, kept stable for `rolo watch` and for the `watch` service `rolo daemon` runs (`rolo.plugins.watch`):

    watcher = DropFolderWatcher(book, Path("~/Drop"), after="move", log=on_event)
    watcher.catch_up()      # import what is in the folder now; returns a FileResult per file
    watcher.run(stop)       # catch up, then import files as they arrive until `stop` (threading.Event) is set
    watcher.process(path)   # import one file now and file it away; returns its FileResult

`DropFolderWatcher(book, folder, *, poll=False, after="move", log=None, pm=None)`:

- `poll`: watchdog's polling observer instead of inotify (network and FUSE file systems);
- `after`: `"move"` files to `imported/YYYY-MM-DD/`, `"keep"` them in place (remembered by content hash in
  `FOLDER/.rolo-watch.json`), or `"delete"` them;
- `log(event)`: called with one dict per thing worth a line, from the worker thread: `time` (ISO UTC),
  `event` (`watching`, `imported`, `failed`, `skipped`, `retry`, `changed`, `folder-missing`, `folder-back`,
  `error`, `stopped`), `folder`, and for a file its `FileResult.to_json()` fields, else a `message`.
  `format_event` turns one into the human line; the default logs that line through `logging`;
- `pm`: the plugin manager whose `file_imported` hook hears of each imported file (default: the book's).

Threads: watchdog's observer thread only notes events. Every import runs in the thread that calls `run`,
`catch_up` or `process`, one file at a time, through `rolo.core.importer.import_files` (an upsert by uid,
one transaction per batch): the same file dropped twice changes nothing, and two files carrying one contact
never race. Use one watcher from one thread at a time. `run` only ever calls `stop.is_set()`, so `stop.set()`
is safe from a signal handler.

Nothing a file contains stops the watcher: bad cards go to `failed/` with a reason, errors that may pass (an
unreadable file, a full disk, the book locked, the folder removed) are reported and retried.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat as stat_module
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolo.core.errors import BookError, UserError
from rolo.plugins.watch.outcome import (
    STATE_NAME,
    FileResult,
    KeepState,
    card_name,
    imported_folder,
    move_into,
    set_aside,
    write_failed_cards,
)
from rolo.plugins.watch.stability import QUIET_SECONDS, SETTLE_SECONDS, Pending, is_candidate
from watchdog.events import FileSystemEventHandler

if TYPE_CHECKING:
    from rolo.core.book import Book
    from rolo.core.config import Config

logger = logging.getLogger(__name__)


class _QuietWatchdog(logging.Filter):
    """Drop watchdog's error when the watched folder is removed: the watcher reports that itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_QuietWatchdog())

AFTER_CHOICES = ("move", "keep", "delete")
DROP_NAME = "Drop"
POLL_QUIET_SECONDS = 1.0  # polling sees changes late and never sees a close: wait longer
POLL_INTERVAL_SECONDS = 0.5
RESCAN_SECONDS = 5.0  # a listing now and then catches whatever events were missed
TICK_SECONDS = 0.1  # how often the loop looks at `stop` and the folder when idle
_HEAD_BYTES = 64 * 1024

LogFunction = Callable[[dict[str, Any]], None]


class _Transient(Exception):
    """An error that may pass (the file could not be opened): try the file again later."""


def default_folder(config: Config) -> Path:
    """The config's `[watch] folder` (relative to the config file's folder), else `Drop` in the data dir."""
    from rolo.core.config import data_dir

    value = config.section("watch").get("folder")
    if value:
        return (config.path.parent / Path(str(value)).expanduser()).absolute()
    return data_dir() / DROP_NAME


def utc_stamp() -> str:
    """Now, as ISO 8601 UTC with `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_event(event: dict[str, Any]) -> str:
    """One event as the human log line: local time, what happened, the file and its counts."""
    try:
        when = datetime.fromisoformat(event["time"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (KeyError, ValueError):
        when = "?"
    kind = event.get("event", "?")
    folder = Path(event.get("folder") or ".")

    def where(key: str) -> str:
        value = event.get(key)
        return os.path.relpath(value, folder) if value else ""

    if "file" not in event:
        text = str(event.get("message", ""))
    elif kind == "imported":
        text = (f"{Path(event['file']).name}: {event['created']} created, {event['updated']} updated, "
                f"{event['unchanged']} unchanged, {event['failed']} failed")
        if event.get("moved_to"):
            text += f" -> {where('moved_to')}"
        if event.get("failed_to"):
            text += f" (failed cards: {where('failed_to')})"
    else:
        text = f"{Path(event['file']).name}: {event.get('reason') or kind}"
        if kind == "failed" and event.get("failed_to"):
            text += f" -> {where('failed_to')}"
    return f"{when} {kind:<8} {text}"


def _log_line(event: dict[str, Any]) -> None:
    logger.info("%s", format_event(event))


class _Handler(FileSystemEventHandler):
    """Hands watchdog's events to the watcher (in the observer's thread)."""

    def __init__(self, callback: Callable[[Any], None]) -> None:
        self._callback = callback

    def on_any_event(self, event: Any) -> None:
        self._callback(event)


def _book_file(book: Book) -> Path | None:
    from rolo.core.store.connection import book_path

    try:
        return Path(os.path.abspath(book_path(book.location)))
    except (BookError, AttributeError, TypeError):
        return None


def _fingerprint(path: Path) -> tuple[str, bytes]:
    """sha256 of the file's bytes, and its first 64 KB."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
        digest = hashlib.sha256(head)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), head


def _is_vcard(head: bytes) -> bool:
    return b"BEGIN:VCARD" in head.replace(b"\x00", b"").upper()


def _transient(exc: BaseException) -> bool:
    """Errors that may pass: I/O (permissions, a full disk), the book locked or unwritable."""
    if isinstance(exc, OSError | BookError | sqlite3.OperationalError | _Transient):
        return True
    return type(exc).__name__ == "OperationalError"  # SQLAlchemy's, without importing SQLAlchemy here


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(getattr(exc, "orig", None) or exc)


class DropFolderWatcher:
    """Imports vCard files dropped into a folder: what is there at start, then whatever arrives."""

    def __init__(self, book: Book, folder: Path, *, poll: bool = False, after: str = "move",
                 log: LogFunction | None = None, pm: Any = None, quiet: float | None = None,
                 settle: float = SETTLE_SECONDS, rescan: float = RESCAN_SECONDS) -> None:
        if after not in AFTER_CHOICES:
            raise ValueError(f"after must be one of {', '.join(AFTER_CHOICES)}, not {after!r}")
        self.book = book
        self.folder = Path(os.path.abspath(Path(folder).expanduser()))
        self.poll = poll
        self.after = after
        self.log = log if log is not None else _log_line
        self.pm = pm
        self.rescan = rescan
        self.pending = Pending(quiet=(POLL_QUIET_SECONDS if poll else QUIET_SECONDS) if quiet is None else quiet,
                               settle=settle, trust_close=not poll)
        self.state = KeepState(self.folder / STATE_NAME) if after == "keep" else None
        self._book_file = _book_file(book)
        self.counts: Counter[str] = Counter()  # results by status, for the closing line
        self._known: dict[str, tuple[int, int]] = {}  # --keep: (size, mtime_ns) of files already looked at
        self._folder_event = threading.Event()  # the observer saw the folder itself go
        self._watch: Any = None
        self._ident: tuple[int, int] | None = None
        self._missing = False
        self._problem: str | None = None
        self._next_check = 0.0

    @property
    def plugin_manager(self) -> Any:
        """The plugin manager told of imported files: the one given, else the book's."""
        return self.pm if self.pm is not None else self.book.plugin_manager

    # -- the three entry points ------------------------------------------------------------------------
    def catch_up(self, stop: threading.Event | None = None) -> list[FileResult]:
        """Import every file already in the folder, one at a time, oldest first.

        A file still being written is waited for (until it is complete, or nothing changed for `settle`
        seconds). Files whose import hit an error that may pass are left for `run` to retry. Returns what
        became of each file. Raises UserError if the folder does not exist.
        """
        if not self.folder.is_dir():
            raise UserError(f"drop folder {self.folder} does not exist")
        self._scan(announced=False)
        results: list[FileResult] = []
        retrying: set[Path] = set()
        try:
            while not (stop is not None and stop.is_set()) and self.pending.paths() - retrying:
                taken = self.pending.take()
                if taken is None:
                    self.pending.wait(TICK_SECONDS)
                    continue
                result = self._handle(*taken)
                results.append(result)
                if result.status == "retry":
                    retrying.add(result.path)
        finally:
            self._save_state()
        return results

    def run(self, stop: threading.Event) -> None:
        """Catch up, then import files as they arrive, until `stop` is set.

        The file being imported when `stop` is set is finished first; files still being written are left
        in the folder for next time. Returns normally (it raises only for bugs in rolo itself).
        """
        observer = self._observer()
        observer.start()
        try:
            self._check_folder(observer, first=True)
            # Catch-up: the files already there are due at once (their mtime is their last change), so
            # they are taken before anything that arrives from now on.
            self._scan(announced=False)
            next_scan = time.monotonic() + self.rescan
            while not stop.is_set():
                self._check_folder(observer)
                if time.monotonic() >= next_scan:
                    if not self._missing:
                        self._scan(announced=False)
                    next_scan = time.monotonic() + self.rescan
                taken = self.pending.take()
                if taken is not None:
                    self._handle(*taken)
                    continue
                self._save_state()  # idle: a burst of --keep files is saved once, not once per file
                self.pending.wait(TICK_SECONDS)
        finally:
            observer.stop()
            observer.join(timeout=5)
            self._save_state()
            done = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items())) or "nothing imported"
            self._emit("stopped", message=f"{self.folder} ({done})")

    def process(self, path: Path) -> FileResult:
        """Import one file now, whether or not it looks complete, and file it away (imported/, failed/).

        Never raises for what the file contains; an error that may pass gives status `retry`.
        """
        try:
            return self._process(Path(os.path.abspath(path)))
        finally:
            self._save_state()

    # -- one file ----------------------------------------------------------------------------------------
    def _handle(self, path: Path, announced: bool) -> FileResult:
        result = self._process(path)
        self.counts[result.status] += 1
        if result.status == "retry":
            delay = self.pending.retry(path)
            result.reason = f"{result.reason}; trying again in {delay:g} s"
        elif result.status == "changed":
            self.pending.note(path, "seen")
        else:
            self.pending.done(path)
        if result.status in ("imported", "failed", "retry", "changed") or (
                result.status == "skipped" and announced):
            self._emit(result.status, **{k: v for k, v in result.to_json().items() if k != "status"})
        return result

    def _process(self, path: Path) -> FileResult:
        try:
            return self._import(path)
        except FileNotFoundError as exc:
            if not os.path.lexists(path):
                return FileResult(path, "gone")
            return FileResult(path, "retry", reason=_reason(exc))
        except Exception as exc:
            if _transient(exc):
                return FileResult(path, "retry", reason=_reason(exc))
            # A bug in rolo: keep the traceback, set the file aside so it is not tried in a loop, go on.
            logger.exception("importing %s", path)
            reason = f"rolo failed on it (internal error: {type(exc).__name__}: {exc})"
            try:
                target = set_aside(path, self.folder, reason, copy=self.after == "keep")
            except OSError:
                return FileResult(path, "retry", reason=reason)
            return FileResult(path, "failed", reason=reason, failed_to=target,
                              moved_to=None if self.after == "keep" else target)

    def _import(self, path: Path) -> FileResult:
        from rolo.core.importer import CSV_SUFFIXES, import_files

        before = os.stat(path)
        if not stat_module.S_ISREG(before.st_mode):
            return FileResult(path, "gone")
        digest, head = _fingerprint(path)
        keep = self.after == "keep"
        if self.state is not None:
            self._known[path.name] = (before.st_size, before.st_mtime_ns)
            if digest in self.state:
                return FileResult(path, "skipped", reason="already imported (same content)", sha256=digest)
        is_csv = path.suffix.lower() in CSV_SUFFIXES  # Google, Outlook, LinkedIn exports, by their header
        if before.st_size == 0 or not (is_csv or _is_vcard(head)):
            reason = "it is empty" if before.st_size == 0 else (
                "it is not a vCard file (no BEGIN:VCARD line in it); rolo imports .vcf and .csv files")
            target = set_aside(path, self.folder, reason, copy=keep)
            self._remember(digest, path)
            return FileResult(path, "failed", reason=reason, failed_to=target, moved_to=None if keep else target,
                              sha256=digest)

        from rolo.core.history import ChangeContext

        # each dropped file is a change of its own in `rolo history` (undo reverts that file's cards)
        with self.book.recording(ChangeContext(command="watch", source=str(path))):
            # every file dropped here is one import source: the folder (a changed copy under another name
            # merges with what the first brought in)
            report = import_files(self.book, [path], source=f"folder:{self.folder.resolve()}")
        if refused := report.refused.get(str(path)):  # a CSV of no known export: set aside, as a bad card is
            target = set_aside(path, self.folder, refused, copy=keep)
            self._remember(digest, path)
            return FileResult(path, "failed", reason=refused, failed_to=target, moved_to=None if keep else target,
                              sha256=digest)
        if unreadable := [f for f in report.failures if f["card"] is None]:
            raise _Transient(unreadable[0]["reason"])
        counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                  "failed": report.failed}
        after = os.stat(path)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            # The writer was not done after all: what was read is in the book (an upsert), and the file
            # is imported again, whole, once it is quiet. Nothing is filed away meanwhile.
            return FileResult(path, "changed", **counts, sha256=digest,
                              reason="it changed while it was read; importing it again once it is quiet")
        if report.created + report.updated + report.unchanged == 0:
            cards = report.failed_cards
            details = [f"{card_name(card)}: {card.error}" for card in cards]
            if len(cards) == 1:
                reason, details = details[0], []
            elif cards:
                reason = f"none of its {len(cards)} cards could be imported ({details[0]}; ...)"
            else:
                reason = "it holds no vCard"
            target = set_aside(path, self.folder, reason, copy=keep, details=details)
            self._remember(digest, path)
            return FileResult(path, "failed", **counts, reason=reason, failed_to=target,
                              moved_to=None if keep else target, failures=report.failures, sha256=digest)

        failed_to = None
        if report.failed_cards:
            failed_to = write_failed_cards(self.folder, path.name, report.failed_cards,
                                           total=report.created + report.updated + report.unchanged + report.failed)
        moved_to = None
        if self.after == "move":
            moved_to = move_into(path, imported_folder(self.folder))
        elif self.after == "delete":
            path.unlink()
        else:
            self._remember(digest, path)
        self._announce(path, report.to_json())
        return FileResult(path, "imported", **counts, moved_to=moved_to, failed_to=failed_to,
                          failures=report.failures, sha256=digest)

    def _remember(self, digest: str, path: Path) -> None:
        if self.state is not None:
            self.state.add(digest, path.name)

    def _announce(self, path: Path, report: dict[str, Any]) -> None:
        """Tell plugins (the `file_imported` hook); a failing plugin is logged, never fatal."""
        try:
            self.plugin_manager.hook.file_imported(book=self.book, path=str(path), report=report)
        except Exception as exc:
            logger.exception("file_imported hook for %s", path)
            self._emit("error", message=f"a plugin failed on {path.name}: {type(exc).__name__}: {exc}")

    def _save_state(self) -> None:
        if self.state is None:
            return
        try:
            self.state.save()
        except OSError as exc:  # the folder went, or the disk is full: the next save tries again
            self._emit("error", message=f"cannot save {self.state.path.name}: {_reason(exc)}")

    def _emit(self, event: str, **fields: Any) -> None:
        try:
            self.log({"time": utc_stamp(), "event": event, "folder": str(self.folder), **fields})
        except Exception:  # a broken log (a closed pipe) must not stop the imports
            logger.exception("logging a drop-folder event")

    # -- the folder ----------------------------------------------------------------------------------------
    def _scan(self, *, announced: bool) -> None:
        """Note every candidate file in the folder that is not already waiting (or known, with --keep)."""
        try:
            entries = sorted(os.scandir(self.folder), key=lambda e: e.name)
        except FileNotFoundError:
            return
        except OSError as exc:
            self._report_problem(f"cannot list {self.folder}: {_reason(exc)}")
            return
        now = time.time()
        for entry in entries:
            if not self._wanted(self.folder / entry.name):
                continue
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue
            path = self.folder / entry.name
            if path in self.pending or self._known.get(entry.name) == (st.st_size, st.st_mtime_ns):
                continue
            self.pending.note(path, "seen", age=now - st.st_mtime, announced=announced)

    def _observer(self) -> Any:
        if self.poll:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=POLL_INTERVAL_SECONDS)
        from watchdog.observers import Observer

        return Observer()

    def _check_folder(self, observer: Any, *, first: bool = False) -> None:
        """Watch the folder; notice it going away and coming back (re-watch it and catch up)."""
        now = time.monotonic()
        if not first and now < self._next_check and not self._folder_event.is_set():
            return
        self._next_check = now + 0.5
        replaced = self._folder_event.is_set()  # removed, maybe re-created already (inode numbers get reused)
        self._folder_event.clear()
        try:
            st = os.stat(self.folder)
            if not stat_module.S_ISDIR(st.st_mode):
                raise NotADirectoryError(20, "it is not a folder")
        except FileNotFoundError:
            if first or not self._missing:
                self._missing = True
                self.pending.clear()
                self._unwatch(observer)
                self._emit("folder-missing", message=f"{self.folder} does not exist; waiting for it to appear")
            return
        except OSError as exc:
            self._unwatch(observer)
            self._report_problem(f"cannot use {self.folder}: {_reason(exc)}; trying again")
            return
        ident = (st.st_dev, st.st_ino)
        if not (first or replaced or self._missing) and ident == self._ident and self._watching(observer):
            return
        self._unwatch(observer)
        try:
            self._watch = observer.schedule(_Handler(self._on_event_safely), str(self.folder), recursive=False)
        except OSError as exc:  # e.g. the inotify watch limit: the periodic rescan still finds files
            self._report_problem(f"cannot watch {self.folder}: {_reason(exc)}; looking every "
                                 f"{self.rescan:g} s instead")
            return
        self._missing, self._ident, self._problem = False, ident, None
        if first:
            how = "polling" if self.poll else "inotify"
            self._emit("watching", message=f"{self.folder} ({how}; after import: {self.after})")
        else:  # files may have arrived before the new watch began
            self._emit("folder-back", message=f"{self.folder} is there again; watching it")
            self._scan(announced=False)

    def _watching(self, observer: Any) -> bool:
        return self._watch is not None and any(
            e.watch == self._watch and e.is_alive() for e in list(observer.emitters))

    def _unwatch(self, observer: Any) -> None:
        if self._watch is not None:
            try:
                observer.unschedule(self._watch)
            except (KeyError, OSError):  # already gone with its folder
                pass
            self._watch = None

    def _report_problem(self, message: str) -> None:
        if message != self._problem:  # once per new problem, not once per retry
            self._problem = message
            self._emit("error", message=message)

    # -- events (observer thread) -------------------------------------------------------------------------
    def _on_event_safely(self, event: Any) -> None:
        try:
            self._on_event(event)
        except Exception:  # an exception here would end watchdog's thread
            logger.exception("drop-folder event %r", event)

    def _on_event(self, event: Any) -> None:
        kind = event.event_type
        src = Path(os.fsdecode(event.src_path))
        if src == self.folder:
            if kind in ("deleted", "moved"):
                self._folder_event.set()
            return
        if event.is_directory:
            return
        if kind == "moved":
            self.pending.forget(src)
            dest = Path(os.fsdecode(event.dest_path))
            if self._wanted(dest):
                self.pending.note(dest, "moved")
        elif kind == "deleted":
            self.pending.forget(src)
        elif kind in ("created", "modified", "closed") and self._wanted(src):
            self.pending.note(src, kind)

    def _wanted(self, path: Path) -> bool:
        """A file of the folder itself (not of imported/ or failed/), not a temporary name, not the book."""
        if path.parent != self.folder or not is_candidate(path.name):
            return False
        # A drop folder holding the book (`rolo watch ~/.local/share/rolo`) must never file the book away.
        return self._book_file is None or not (
            path == self._book_file or path.name.startswith(self._book_file.name + "-")
            or path.name.startswith(self._book_file.name + "."))
