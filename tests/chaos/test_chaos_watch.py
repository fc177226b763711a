"""`rolo watch` killed with SIGKILL during a burst of drops (some written in place, some renamed from .part,
some holding a broken card), then run again with --once: every good card in the book once, every file out of
the drop folder, each broken card set aside in failed/."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from pathlib import Path

from chaoskit import ROLO, Tally, assert_history_reads, inspect, kill_after, rolo, scaled

DROPS = scaled(120, 500)
ROUNDS = scaled(3, 6)
CARDS_PER_FILE = 3
BROKEN_EVERY = 25  # every 25th file has a broken card beside its good ones


def _card(uid: str) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Dropped {uid}\r\nN:{uid};Dropped;;;\r\n"
            f"EMAIL:{uid}@example.com\r\nEND:VCARD\r\n")


BROKEN = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken Bob\r\nthis line has no colon\r\nEND:VCARD\r\n"


def _drop(folder: Path, round_: int, n: int, rng: random.Random) -> None:
    text = "".join(_card(f"w{round_}-{n}-{k}") for k in range(CARDS_PER_FILE))
    if n % BROKEN_EVERY == 0:
        text += BROKEN
    target = folder / f"r{round_}-{n}.vcf"
    if rng.random() < 0.5:  # a browser's download: a .part renamed once complete
        partial = target.with_name(target.name + ".part")
        partial.write_text(text, encoding="utf-8", newline="")
        partial.rename(target)
    else:
        target.write_text(text, encoding="utf-8", newline="")


class _Watch:
    """`rolo watch DROP --json` with its JSON lines counted as they come."""

    def __init__(self, book: Path, folder: Path) -> None:
        self.events: list[dict] = []
        self.process = subprocess.Popen([ROLO, "--book", str(book), "watch", str(folder), "--json"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not self.of("watching") and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.of("watching"), "rolo watch did not start"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.events.append(json.loads(line))

    def of(self, kind: str) -> list[dict]:
        return [e for e in list(self.events) if e["event"] == kind]


def test_a_killed_watcher_imports_every_dropped_card_once(tmp_path):
    rng = random.Random(20261203)
    book, drop = tmp_path / "book.db", tmp_path / "Drop"
    drop.mkdir()
    assert rolo("init", book=book).returncode == 0
    tally = Tally("watch")
    expected = broken = interrupted = 0
    for round_ in range(ROUNDS):
        watch = _Watch(book, drop)
        kill_after_files = rng.randint(1, DROPS - 1)
        for n in range(DROPS):
            _drop(drop, round_, n, rng)
            broken += n % BROKEN_EVERY == 0
            if n == kill_after_files or (n > kill_after_files and watch.process.poll() is None):
                tally.kills += kill_after(watch.process, rng.uniform(0, 0.3))
        tally.kills += kill_after(watch.process, 0)
        interrupted += len(watch.of("imported")) < DROPS
        expected += DROPS * CARDS_PER_FILE
        tally.rounds += 1
        stderr = watch.process.stderr.read() if watch.process.stderr else ""
        assert "Traceback" not in stderr, stderr
        # run again to the end: what the killed watcher left, and what was dropped while none ran
        done = rolo("watch", str(drop), "--once", "--json", book=book)
        assert done.returncode == 3, done.stderr  # 3: some cards failed (the broken ones)
        assert "Traceback" not in done.stderr
        left = sorted(p.name for p in drop.iterdir() if p.is_file() and not p.name.startswith("."))
        assert left == [], left
        state = inspect(book)
        state.assert_sound(expected=expected)
        assert_history_reads(book)
    failed = len(list((drop / "failed").glob("*.error.txt")))
    tally.inputs, tally.faults = ROUNDS * DROPS, broken
    state = inspect(book)
    tally.lost = max(0, expected - state.contacts)
    tally.duplicated = max(0, state.contacts - expected) + state.duplicate_uids
    tally.record()
    assert failed >= broken, f"{broken} broken cards dropped, {failed} set aside"
    assert tally.kills >= ROUNDS
    assert interrupted >= 1, "the watcher had imported every file before each kill"
