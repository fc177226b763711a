"""When a dropped file is complete: which names to ignore, and the quiet-period bookkeeping.

A writer may create a file and fill it over seconds (chunked writes, `cp`), rename it in at once (`mv`, a
browser's `.part` renamed on completion), or do both. `Pending` keeps, for each file seen, when it last
changed and what the last event said about its writer; `Pending.take()` hands the worker a file only once:

- no event came for the quiet period and its size and mtime are what they were at the last event;
- and its writer closed it (inotify's close-after-write), or, with no close to go by (a file moved in, a
  file found at start-up, the polling observer), it is not empty and does not stop in the middle of a card;
- or nothing changed for `settle` seconds whatever it looks like (a writer that died, a broken file, an
  empty file: Firefox saves an empty placeholder under the final name, then renames its `.part` over it);
  `unseen_settle`, shorter, when no write was ever seen (a broken file moved in, or found at start-up).

Measured with watchdog on Linux: `mv` from outside the folder fires only `created`; a temp file renamed
inside fires `moved`; events arrive about 0.3 ms after the writer's close.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Names a downloader or editor gives a file it is still writing; the finished file is renamed from them.
TEMP_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial", ".download", ".swp")
QUIET_SECONDS = 0.2
SETTLE_SECONDS = 30.0
UNSEEN_SETTLE_SECONDS = 3.0
MAX_BACKOFF_SECONDS = 60.0
_PROBE_BYTES = 512


def is_candidate(name: str) -> bool:
    """Whether a file name in the drop folder is one to import (not a dot-file, temp or backup name)."""
    lowered = name.lower()
    return bool(name) and not (name.startswith(".") or name.endswith("~") or lowered.endswith(TEMP_SUFFIXES))


def _ascii(data: bytes) -> str:
    # UTF-16/32 text is ASCII with NULs in between for the lines looked at here.
    return data.replace(b"\x00", b"").decode("latin-1").lstrip("\ufeff\xef\xbb\xbf\xfe\xff").upper()


def looks_complete(path: Path, size: int) -> bool:
    """False when a file starts like a vCard but does not end with END:VCARD (it is being written).

    Anything that does not start like a vCard counts as complete: it will be reported as not a vCard.
    """
    with open(path, "rb") as handle:
        head = _ascii(handle.read(_PROBE_BYTES)).strip()
        handle.seek(max(0, size - _PROBE_BYTES))
        tail = _ascii(handle.read()).rstrip(" \t\r\n\x1a")
    if not head.startswith("BEGIN:VCARD"):
        return not "BEGIN:VCARD".startswith(head[:11])  # "BEGIN:VC" is a card still arriving
    return tail.endswith("END:VCARD")


@dataclass
class _Entry:
    changed: float  # monotonic time of the last event or change seen
    due: float  # when to look at the file next
    stat: tuple[int, int] | None  # (size, mtime_ns) at the last event
    writer: str | None = None  # "open" after a write, "closed" after close-after-write, None: unknown
    announced: bool = True  # came from an event (not found by a scan): worth a log line even if skipped


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Pending:
    """Files seen in the drop folder and not yet taken for import; thread-safe.

    The observer thread calls `note()` and `forget()`; the worker calls `take()` and `wait()`.
    """

    def __init__(self, *, quiet: float = QUIET_SECONDS, settle: float = SETTLE_SECONDS,
                 unseen_settle: float = UNSEEN_SETTLE_SECONDS, trust_close: bool = True) -> None:
        self.quiet = quiet
        self.settle = settle
        # Without close events (polling) a write is never known to have ended: always wait `settle`.
        self.unseen_settle = min(unseen_settle, settle) if trust_close else settle
        self.trust_close = trust_close  # the polling observer sees no close events
        self._entries: dict[Path, _Entry] = {}
        self._attempts: dict[Path, int] = {}
        self._cond = threading.Condition()

    def __len__(self) -> int:
        with self._cond:
            return len(self._entries)

    def __contains__(self, path: object) -> bool:
        with self._cond:
            return path in self._entries

    def paths(self) -> set[Path]:
        """The files waiting."""
        with self._cond:
            return set(self._entries)

    def note(self, path: Path, kind: str, *, age: float = 0.0, announced: bool = True) -> None:
        """Something happened to a file: `created`, `modified`, `closed`, `moved` (in) or `seen` by a scan.

        `age` backdates the change (a file found by a scan changed when its mtime says).
        """
        now = time.monotonic()
        changed = now - max(age, 0.0)
        stat = _stat(path)
        with self._cond:
            entry = self._entries.get(path)
            if entry is None:
                entry = self._entries[path] = _Entry(changed, changed + self.quiet, stat, announced=announced)
            elif kind == "seen":  # a rescan of a file already waiting tells nothing new
                return
            else:
                entry.changed, entry.due, entry.stat = changed, changed + self.quiet, stat
                entry.announced = entry.announced or announced
            if self.trust_close and kind == "modified":
                entry.writer = "open"
            elif self.trust_close and kind == "closed":
                entry.writer = "closed"
            elif kind == "moved":
                entry.writer = None
            self._cond.notify_all()

    def forget(self, path: Path) -> None:
        """The file left the folder (deleted, renamed away)."""
        with self._cond:
            self._entries.pop(path, None)
            self._attempts.pop(path, None)

    def clear(self) -> None:
        """Forget everything (the folder itself went away)."""
        with self._cond:
            self._entries.clear()
            self._attempts.clear()

    def retry(self, path: Path) -> float:
        """Look at a file again later, after an error that may pass; returns the delay (doubling to a minute)."""
        with self._cond:
            attempts = self._attempts[path] = self._attempts.get(path, 0) + 1
            delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2.0 ** (attempts - 1))
            now = time.monotonic()
            self._entries[path] = _Entry(now, now + delay, _stat(path))
            self._cond.notify_all()
            return delay

    def done(self, path: Path) -> None:
        """The file was handled: forget its error count."""
        with self._cond:
            self._attempts.pop(path, None)

    def wait(self, timeout: float) -> None:
        """Sleep until a file is noted or `timeout` passes (at most until the next file is due)."""
        with self._cond:
            if self._entries:
                timeout = min(timeout, max(0.0, min(e.due for e in self._entries.values()) - time.monotonic()))
            if timeout > 0:
                self._cond.wait(timeout)

    def take(self) -> tuple[Path, bool] | None:
        """The next file ready for import, removed from the set, with whether an event announced it."""
        now = time.monotonic()
        with self._cond:
            due = sorted(((e.due, str(p), p, e.changed) for p, e in self._entries.items() if e.due <= now))
        for _, _, path, changed in due:
            verdict, stat = self._judge(path, now)
            with self._cond:
                entry = self._entries.get(path)
                if entry is None or entry.changed != changed:  # an event came in meanwhile
                    continue
                if verdict == "gone":
                    del self._entries[path]
                elif verdict == "changed":  # changed without an event (polling, missed event): wait again
                    entry.changed, entry.due, entry.stat = now, now + self.quiet, stat
                elif verdict == "wait":
                    entry.due = entry.changed + self._settle(entry.writer, stat[0] if stat else 1)
                else:
                    del self._entries[path]
                    return path, entry.announced
        return None

    def _settle(self, writer: str | None, size: int = 1) -> float:
        return self.settle if writer == "open" or size == 0 else self.unseen_settle

    def _judge(self, path: Path, now: float) -> tuple[str, tuple[int, int] | None]:
        with self._cond:
            entry = self._entries.get(path)
            if entry is None:
                return "gone", None
            recorded, writer, changed = entry.stat, entry.writer, entry.changed
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return "gone", None
        except OSError:
            return "ready", None  # let the import meet the error and report it
        stat = (st.st_size, st.st_mtime_ns)
        if stat != recorded:
            return "changed", stat
        if st.st_size == 0:  # Firefox's placeholder, replaced by the finished `.part`: wait the full settle
            return ("ready" if now - changed >= self.settle else "wait"), stat
        if now - changed >= self._settle(writer) or writer == "closed":
            return "ready", stat
        if writer == "open":
            return "wait", stat
        try:
            complete = looks_complete(path, st.st_size)
        except FileNotFoundError:
            return "gone", None
        except OSError:
            return "ready", stat
        return ("ready" if complete else "wait"), stat
