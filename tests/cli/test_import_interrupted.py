"""An import killed mid-way (SIGKILL, no chance to clean up) leaves a consistent book, and the next run
completes it without duplicates or half contacts."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

CARDS = 6000


def _write_cards(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for i in range(CARDS):
            uid = f"UID:import-{i}\r\n" if i % 2 else ""  # half of them without UID (derived from content)
            handle.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\n{uid}FN:Person {i}\r\nN:{i};Person;;;\r\n"
                         f"EMAIL;TYPE=work:person{i}@example.com\r\nTEL;TYPE=cell:+1 415 555 {i % 10000:04d}\r\n"
                         f"END:VCARD\r\n")


def _count(book: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute("SELECT count(*) FROM contact").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_killed_import_resumes_with_nothing_doubled_or_half_written(tmp_path):
    cards, book = tmp_path / "cards.vcf", tmp_path / "book.db"
    _write_cards(cards)
    rolo = str(Path(sys.executable).parent / "rolo")
    process = subprocess.Popen([rolo, "--book", str(book), "import", str(cards)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(book) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    interrupted_at = _count(book)
    assert 0 < interrupted_at < CARDS, "the import finished before it could be killed"

    again = subprocess.run([rolo, "--book", str(book), "import", str(cards), "--json"], capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    db = sqlite3.connect(book)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM contact").fetchone()[0] == CARDS
    assert db.execute("SELECT count(DISTINCT address_key) FROM email").fetchone()[0] == CARDS
    assert db.execute("SELECT count(*) FROM email").fetchone()[0] == CARDS  # every contact whole, once
    assert db.execute("SELECT count(*) FROM phone").fetchone()[0] == CARDS
    assert db.execute("SELECT count(*) FROM contact_fts").fetchone()[0] == CARDS
    # the cards stored before the kill are recognised, not created again
    report = json.loads(again.stdout)
    assert (report["unchanged"], report["created"], report["failed"]) == (interrupted_at, CARDS - interrupted_at, 0)


def _children(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in found.split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_import_leaves_no_parse_worker_behind(tmp_path):
    cards, book = tmp_path / "cards.vcf", tmp_path / "book.db"
    with open(cards, "w", encoding="utf-8", newline="") as handle:  # several 1 MB segments: a parse worker
        for i in range(4 * CARDS):
            handle.write(f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:w{i}\r\nFN:Person {i}\r\nNOTE:{'x' * 40}\r\nEND:VCARD\r\n")
    rolo = str(Path(sys.executable).parent / "rolo")
    process = subprocess.Popen([rolo, "--book", str(book), "import", str(cards)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while not workers and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.02)
    assert workers, "the import never started a parse worker"
    time.sleep(0.3)
    workers |= _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    deadline = time.monotonic() + 20  # a bound on waiting, not a timing claim: they watch for it twice a second
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if _alive(p)], "a parse worker outlived the killed import"
