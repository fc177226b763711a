"""`rolo watch` as a real process: SIGTERM/SIGINT finish the current file and exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from watchkit import DEADLINE, card, count, slow_write, wait_for

ROLO = str(Path(sys.executable).parent / "rolo")


class WatchProcess:
    """`rolo watch FOLDER --json` in a subprocess, its JSON lines collected as they come."""

    def __init__(self, book_path: Path, folder: Path, *args: str) -> None:
        self.events: list[dict] = []
        self.proc = subprocess.Popen([ROLO, "--book", str(book_path), "watch", str(folder), "--json", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: self.of("watching") or self.proc.poll() is not None, what="rolo watch to start")
        assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def of(self, kind: str) -> list[dict]:
        return [e for e in list(self.events) if e["event"] == kind]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=DEADLINE)
        self._reader.join(timeout=DEADLINE)
        return code


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "Drop"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_while_a_writer_is_mid_file_exits_0_and_leaves_the_file(book_path, drop, sig):
    watch = WatchProcess(book_path, drop)
    text = "".join(card(f"Slow Person{n}", uid=f"slow-{n}") for n in range(3))
    writer = threading.Thread(target=slow_write, args=(drop / "slow.vcf", text, 5, 0.3))
    writer.start()
    wait_for(lambda: (drop / "slow.vcf").exists() and (drop / "slow.vcf").stat().st_size > 0, what="the writer")
    assert watch.stop(sig) == 0
    writer.join()
    assert count(book_path) == 0, "a half-written file was imported"
    assert (drop / "slow.vcf").exists()
    assert watch.of("stopped")
    # The next run imports the finished file whole.
    done = subprocess.run([ROLO, "--book", str(book_path), "watch", str(drop), "--once"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert count(book_path) == 3
    assert "slow.vcf: 3 created, 0 updated, 0 unchanged, 0 failed" in done.stderr


def test_sigterm_during_an_import_finishes_that_file_first(book_path, drop, tmp_path):
    cards = 10_000
    big = tmp_path / "big.vcf"
    big.write_text("".join(card(f"Person Number{n}", uid=f"big-{n}") for n in range(cards)), encoding="utf-8")
    watch = WatchProcess(book_path, drop)
    os.rename(big, drop / "big.vcf")
    wait_for(lambda: count(book_path) > 0, what="the import to begin")  # it commits every 500 cards
    in_progress = count(book_path) < cards and (drop / "big.vcf").exists()
    assert watch.stop(signal.SIGTERM) == 0
    assert count(book_path) == cards
    assert not (drop / "big.vcf").exists()
    (event,) = watch.of("imported")
    assert event["created"] == cards and event["moved_to"].endswith("/big.vcf")
    if not in_progress:  # the machine imported 10,000 cards before the test could look: nothing proved
        pytest.skip("the import finished before the signal could be sent")


def test_rolo_search_finds_a_dropped_contact_while_watching(book_path, drop):
    watch = WatchProcess(book_path, drop)
    try:
        (drop / "ada.vcf").write_text(card("Ada Lovelace", email="ada@example.com"), encoding="utf-8")
        wait_for(lambda: watch.of("imported"), what="the import")
        found = subprocess.run([ROLO, "--book", str(book_path), "search", "lovelace"], capture_output=True,
                               text=True, check=False)
        assert found.returncode == 0 and "Ada Lovelace" in found.stdout
    finally:
        assert watch.stop() == 0
    assert watch.of("stopped")
