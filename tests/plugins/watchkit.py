"""Helpers for the drop-folder tests: cards, a watcher running in a thread, bounded waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rolo.core.book import Book
from rolo.plugins.watch.watcher import DropFolderWatcher

DEADLINE = 15.0  # seconds any one condition may take before the test fails


def card(name: str, *, uid: str | None = None, email: str | None = None, note: str | None = None) -> str:
    """A small vCard 3.0 (CRLF line ends, as exporters write them)."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{name}", f"N:{name.split()[-1]};{name.split()[0]};;;"]
    if uid:
        lines.append(f"UID:{uid}")
    if email:
        lines.append(f"EMAIL;TYPE=INTERNET:{email}")
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


BROKEN_CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken Bob\r\nthis line has no colon\r\nEND:VCARD\r\n"


def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE, what: str = "condition") -> Any:
    """Poll `condition` until it is truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Events(list):  # type: ignore[type-arg]
    """The watcher's log events, appended from its thread."""

    def __call__(self, event: dict[str, Any]) -> None:
        self.append(event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in list(self) if e["event"] == kind]

    def files(self, kind: str = "imported") -> list[str]:
        return [Path(e["file"]).name for e in self.of(kind)]


@contextmanager
def running(book_path: Path, folder: Path, **options: Any) -> Iterator[tuple[DropFolderWatcher, Events]]:
    """A watcher on its own book connection, running in a thread until the block ends."""
    events = Events()
    book = Book(str(book_path), region="US")
    watcher = DropFolderWatcher(book, folder, log=events, **options)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: events.of("watching") or events.of("folder-missing"), what="the watcher to start")
        yield watcher, events
    finally:
        stop.set()
        thread.join(timeout=DEADLINE)
        book.close()
        assert not thread.is_alive(), "the watcher did not stop"


def contacts(book_path: Path) -> list[str]:
    """Formatted names in the book, read on a connection of its own (as another process would)."""
    with Book(str(book_path), region="US") as book:
        return sorted(r.formatted_name or "" for r in book.contacts())


def count(book_path: Path) -> int:
    """Live contacts in the book (0 while the watcher has not created it yet); on either engine."""
    import sqlite3

    if not book_path.exists():
        return 0
    try:
        with Book(str(book_path), region="US") as book, book.snapshot() as db:
            return db.execute("SELECT count(*) FROM contact WHERE deleted_at IS NULL").fetchone()[0]
    except sqlite3.OperationalError:  # the file is there, its tables not yet
        return 0


def slow_write(path: Path, text: str, chunks: int, pause: float) -> float:
    """Write `text` in `chunks` pieces with `pause` between them, as a slow writer does; returns the
    monotonic time of the close."""
    data = text.encode()
    size = -(-len(data) // chunks)
    with open(path, "wb") as handle:
        for start in range(0, len(data), size):
            handle.write(data[start : start + size])
            handle.flush()
            time.sleep(pause)
    return time.monotonic()
