"""The drop folder, measured as a user meets it: `rolo watch` running in its own process, files written into
its folder, `rolo search` run in another process until it finds the contact.

- latency: from the writer's close to (a) the contact being searchable in the book (a separate read
  connection polling every 5 ms, as `rolo search` reads), and (b) a `rolo search` process printing it
  (searches started one after another from the close until one finds it; the figure is when that one
  returns, so it includes rolo's start-up);
- throughput: 1,000 files moved into the folder at once, until the watcher has logged all of them.

The watcher imports into a copy of the size's book, so the figures include a book of that size.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from generate import BOOK_REGION
from registry import BIN, Row, SizeContext, at_least, at_most, benchmark, checkpoint, median, percentile
from rolo.core.book import Book

ROLO = str(BIN / "rolo")
DROPS = 100
BURST = 1000
DEADLINE = 60.0


def _card(token: str) -> str:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{token}\r\nFN:{token.title()} Benchmark\r\n"
            f"N:Benchmark;{token.title()};;;\r\nEMAIL:{token}@bench.example\r\nEND:VCARD\r\n")


class _Watch:
    """`rolo watch DROP --json` in a subprocess; `imported` counts its import lines as they come."""

    def __init__(self, ctx: SizeContext, book: Path, drop: Path) -> None:
        self.imported = 0
        self.failed: list[dict[str, Any]] = []
        self.started = threading.Event()
        self._changed = threading.Condition()
        self.proc = subprocess.Popen([ROLO, "--book", str(book), "watch", str(drop), "--json"], env=ctx.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        if not self.started.wait(DEADLINE):
            self.proc.kill()
            raise RuntimeError("rolo watch did not start")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            with self._changed:
                if event["event"] == "watching":
                    self.started.set()
                elif event["event"] == "imported":
                    self.imported += 1
                elif event["event"] in ("failed", "retry"):
                    self.failed.append(event)
                self._changed.notify_all()

    def wait_imported(self, count: int) -> None:
        deadline = time.monotonic() + DEADLINE * 3
        with self._changed:
            while self.imported < count:
                if self.failed:
                    raise RuntimeError(f"the watcher reported {self.failed[0]}")
                if not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"only {self.imported} of {count} files imported in time")

    def stop(self) -> None:
        self.proc.terminate()
        if self.proc.wait(timeout=DEADLINE) != 0:
            raise RuntimeError(f"rolo watch exited {self.proc.returncode} on SIGTERM")


def _searchable(book: Book, token: str, since: float) -> float:
    """Seconds from `since` until the book finds `token` (polled every 5 ms)."""
    deadline = since + DEADLINE
    while time.perf_counter() < deadline:
        if book.search(token, limit=1):
            return time.perf_counter() - since
        time.sleep(0.005)
    raise RuntimeError(f"{token} never became searchable")


def _found_by_rolo(ctx: SizeContext, book: Path, token: str, since: float) -> float:
    """Seconds from `since` until a `rolo search` process (run again and again) returns the contact."""
    deadline = since + DEADLINE
    while time.perf_counter() < deadline:
        _, result = ctx.run([ROLO, "--book", str(book), "search", token, "--json"])
        if json.loads(result.stdout):
            return time.perf_counter() - since
    raise RuntimeError(f"rolo search never found {token}")


@benchmark("watch")
def watch(ctx: SizeContext) -> list[Row]:
    """Drop-to-searchable latency over 100 drops, and throughput for 1,000 files dropped at once."""
    source = ctx.ensure_book()
    checkpoint(source)
    book_path = ctx.workdir / "watch-book.db"
    shutil.copyfile(source, book_path)
    drop, staging = ctx.workdir / "Drop", ctx.workdir / "staging"
    drop.mkdir()
    staging.mkdir()
    drops = 20 if ctx.quick else DROPS
    watcher = _Watch(ctx, book_path, drop)
    try:
        ctx.log(f"{drops} drops, each followed by `rolo search` until it finds the contact")
        in_book, by_rolo = [], []
        with Book(str(book_path), region=BOOK_REGION) as reader:
            for n in range(drops):
                token = f"wlat{n:04d}"
                with open(drop / f"{token}.vcf", "w", encoding="utf-8", newline="") as handle:
                    handle.write(_card(token))
                closed = time.perf_counter()
                poll: list[float] = []
                poller = threading.Thread(target=lambda out=poll, t=token, c=closed: out.append(
                    _searchable(reader, t, c)))
                poller.start()
                by_rolo.append(_found_by_rolo(ctx, book_path, token, closed))
                poller.join()
                in_book += poll
                watcher.wait_imported(n + 1)  # the file is filed away before the next drop
        ctx.log(f"{BURST:,} files moved into the folder at once")
        for n in range(BURST):
            (staging / f"burst{n:04d}.vcf").write_text(_card(f"wburst{n:04d}"), encoding="utf-8", newline="")
        before = watcher.imported
        began = time.perf_counter()
        for path in sorted(staging.iterdir()):
            os.rename(path, drop / path.name)
        watcher.wait_imported(before + BURST)
        burst = time.perf_counter() - began
    finally:
        watcher.stop()
    return [
        Row(f"close -> searchable in the book p50 ({drops} drops)", median(in_book), "s"),
        Row("close -> searchable in the book p95", percentile(in_book, 95), "s"),
        Row("close -> `rolo search` finds it p50", median(by_rolo), "s"),
        Row("close -> `rolo search` finds it p95", percentile(by_rolo, 95), "s", at_most(1.0)),
        Row(f"{BURST:,} files dropped at once: all imported", burst, "s"),
        Row("  throughput", BURST / burst, "files/s", at_least(100)),
    ]
