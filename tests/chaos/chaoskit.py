"""Shared by the chaos tests: real `rolo` subprocesses killed with SIGKILL at seeded random moments, the
checks every round ends with, and the tally `make soak` prints.

Sizes and rounds are bounded for `make test`; `ROLO_SOAK=1` (set by `make soak`) scales them up. With
`ROLO_CHAOS_REPORT=FILE` each scenario appends one JSON line of figures to FILE (`tests/chaos/table.py`
turns the lines into the README's table).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROLO = str(Path(sys.executable).parent / "rolo")
SOAK = os.environ.get("ROLO_SOAK") == "1"


def scaled(bounded: int, soak: int) -> int:
    """`bounded` in `make test`, `soak` under `make soak`."""
    return soak if SOAK else bounded


@dataclass
class Tally:
    """What one scenario did: the figures of the README's "Faults and load" table."""

    scenario: str
    rounds: int = 0
    kills: int = 0
    faults: int = 0  # faults the emulators injected (error answers, dropped connections), or files refused
    inputs: int = 0  # cards, files or fuzzed inputs fed in
    lost: int = 0
    duplicated: int = 0
    locked: int = 0  # "database is locked" seen in any output
    note: str = ""

    def record(self) -> None:
        """Append this tally to $ROLO_CHAOS_REPORT, when set."""
        target = os.environ.get("ROLO_CHAOS_REPORT")
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({**asdict(self), "soak": SOAK}) + "\n")


def rolo(*args: str, book: Path, env: dict[str, str] | None = None, timeout: float = 600,
         input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `rolo --book BOOK ARGS` to completion."""
    return subprocess.run([ROLO, "--book", str(book), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False, input=input)


def start(*args: str, book: Path, env: dict[str, str] | None = None, **popen: object) -> subprocess.Popen:
    """Start `rolo --book BOOK ARGS` without waiting (stdout/stderr discarded unless given)."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen([ROLO, "--book", str(book), *args], env=env, **popen)  # type: ignore[call-overload]


def kill_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process after `seconds` unless it ended first; True if it was killed."""
    try:
        process.wait(seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        return True


def wait_until_written(book: Path, process: subprocess.Popen, minimum: int = 1, timeout: float = 120) -> None:
    """Wait until the book holds `minimum` contacts (or the process ended): a kill then lands mid-work."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline and live_count(book) < minimum:
        time.sleep(0.02)


def live_count(book: Path) -> int:
    """Contacts not in the trash, read as another process would (0 while the book does not exist yet)."""
    try:
        db = sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute("SELECT count(*) FROM contact WHERE deleted_at IS NULL").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@dataclass
class BookState:
    """What the checks after each round read from the book file."""

    integrity: str
    contacts: int
    duplicate_uids: int
    without_history: int  # live contacts no change set records as created: a half-recorded write

    def assert_sound(self, expected: int | None = None) -> None:
        assert self.integrity == "ok", self.integrity
        assert self.duplicate_uids == 0, f"{self.duplicate_uids} uids stored twice"
        assert self.without_history == 0, f"{self.without_history} contacts with no change set"
        if expected is not None:
            assert self.contacts == expected, f"{self.contacts} contacts, expected {expected}"


def inspect(book: Path) -> BookState:
    """integrity_check, the live contacts, duplicate uids, contacts whose creation the history lacks."""
    db = sqlite3.connect(book, timeout=30)
    try:
        integrity = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        contacts = db.execute("SELECT count(*) FROM contact WHERE deleted_at IS NULL").fetchone()[0]
        duplicates = db.execute("SELECT count(*) FROM (SELECT uid FROM contact GROUP BY uid "
                                "HAVING count(*) > 1)").fetchone()[0]
        orphans = db.execute("SELECT count(*) FROM contact c WHERE NOT EXISTS (SELECT 1 FROM contactchange "
                             "WHERE contact_id = c.id AND op IN ('created', 'restored'))").fetchone()[0]
    finally:
        db.close()
    return BookState(integrity, contacts, duplicates, orphans)


def assert_history_reads(book: Path, env: dict[str, str] | None = None) -> None:
    """`rolo history` and `rolo undo --dry-run` still work: no half change set trips them."""
    for args in (("history", "--json", "--limit", "5"), ("undo", "--dry-run", "--json")):
        done = rolo(*args, book=book, env=env)
        assert "Traceback" not in done.stderr, done.stderr
        if args[0] == "history":  # undo may rightly find nothing to undo (exit 1, one line)
            assert done.returncode == 0, done.stderr
            json.loads(done.stdout)


def assert_no_traceback(*outputs: str | bytes | None) -> None:
    for text in outputs:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        assert not text or "Traceback" not in text, text


def locked_in(outputs: Sequence[str]) -> int:
    """How many outputs mention a locked database."""
    return sum("database is locked" in text.lower() for text in outputs)
