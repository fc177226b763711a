"""The benchmark registry: sections register here and return rows of figures; `run.py` runs and prints them.

A section is a function decorated with `@benchmark(name)`. It gets a context and returns a list of `Row`s
(name, value, unit, target-or-None). Two scopes:

- `scope="size"` (the default): run once per book size, with a `SizeContext` holding that size's generated
  contacts and a fresh temporary folder (deleted afterwards). `ctx.ensure_book()` gives the book filled with
  the contacts, so a section runs alone too (`--only search`).
- `scope="once"`: run once per run, with a `RunContext` (e.g. interpreter start-up).

To add a section (vCard import rate, watcher latency, sync push), write a module beside this one with
`@benchmark(...)` functions and add its name to `SECTION_MODULES` in `run.py`.
"""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from generate import Generated, Query
    from rolo.core.record import ContactRecord

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: `make bench` runs .venv/bin/python, beside .venv/bin/rolo
INSERT_BATCH = 1000  # contacts per transaction, as a bulk import commits them


@dataclass(frozen=True)
class Target:
    """A budget for a figure: at most `limit` (times, sizes) or, with `higher_is_better`, at least (rates)."""

    limit: float
    higher_is_better: bool = False

    def met(self, value: float) -> bool:
        """Whether the value is within the budget."""
        return value >= self.limit if self.higher_is_better else value <= self.limit

    def __str__(self) -> str:
        return f"{'≥' if self.higher_is_better else '≤'} {format_value(self.limit)}"


def at_most(limit: float) -> Target:
    """Target for figures where lower is better."""
    return Target(limit)


def at_least(limit: float) -> Target:
    """Target for figures where higher is better."""
    return Target(limit, higher_is_better=True)


class Row(NamedTuple):
    """One figure a section reports."""

    name: str
    value: float
    unit: str
    target: Target | None = None


@dataclass
class RunContext:
    """What every section may use: the run's options and a scratch folder."""

    quick: bool
    workdir: Path
    sync_size: int | None = None  # the sync section's book (`--sync-size`; None: its own default)

    def log(self, message: str) -> None:
        """Progress on stderr (stdout is for the table)."""
        print(f"  {message}", file=sys.stderr, flush=True)

    @cached_property
    def env(self) -> dict[str, str]:
        """Environment for `rolo` subprocesses: ROLO_HOME in the scratch folder, a fixed region."""
        # PYTHONDONTWRITEBYTECODE (set in some sandboxes) would make every command compile rolo from source:
        # an installed rolo runs from its bytecode caches, so the figures are taken that way
        skip = ("ROLO_BOOK", "ROLO_CONFIG", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if k not in skip}
        env["ROLO_HOME"] = str(self.workdir)
        (self.workdir / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
        return env

    def run(
        self, args: Sequence[str], *, capture: bool = True
    ) -> tuple[float, subprocess.CompletedProcess[bytes]]:
        """Run a command; (wall seconds, result). Raises if it fails."""
        start = time.perf_counter()
        result = subprocess.run(
            list(args), env=self.env, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE, check=False,
        )
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            error = result.stderr.decode(errors="replace")[-500:]
            raise RuntimeError(f"{' '.join(args)} exited {result.returncode}: {error}")
        return elapsed, result


@dataclass
class SizeContext(RunContext):
    """A run context for one book size: the generated contacts and queries, and the book file."""

    size: int = 0
    book_filled: bool = False

    @property
    def book_path(self) -> Path:
        return self.workdir / "book.db"

    @cached_property
    def generated(self) -> list[Generated]:
        from generate import ContactGenerator

        return ContactGenerator().generate(self.size)

    @cached_property
    def queries(self) -> list[Query]:
        from generate import queries

        return queries(self.generated)

    def ensure_book(self) -> Path:
        """The book holding every generated contact (filled here unless the insert section did it)."""
        if not self.book_filled:
            fill_book(self.book_path, [g.record for g in self.generated])
            self.book_filled = True
        return self.book_path


def fill_book(
    path: Path, records: list[ContactRecord], batch: int = INSERT_BATCH, *, per_record: bool = False
) -> list[float]:
    """Insert records one transaction per batch, as `rolo import` does: through `Writer.save_many` (the
    import path), or with `per_record` through `Writer.save` one record at a time. Returns each batch's
    seconds."""
    from generate import BOOK_REGION
    from rolo.core.book import Book, Writer

    bulk = not per_record and hasattr(Writer, "save_many")
    times = []
    with Book(str(path), region=BOOK_REGION) as book:
        with book.transaction():  # creates the schema, outside the timings
            pass
        for start in range(0, len(records), batch):
            chunk = records[start : start + batch]
            began = time.perf_counter()
            with book.transaction() as tx:
                if bulk:
                    refused = [r for r in tx.save_many([(record, None) for record in chunk])
                               if isinstance(r, Exception)]
                    if refused:
                        raise refused[0]
                else:
                    for record in chunk:
                        tx.save(record)
            times.append(time.perf_counter() - began)
    return times


def checkpoint(path: Path) -> None:
    """Move the WAL into the main file and truncate it, so file sizes mean something."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@dataclass
class Benchmark:
    """A registered section."""

    name: str
    fn: Section
    scope: str


BENCHMARKS: list[Benchmark] = []


Section = Callable[..., list[Row]]


def benchmark(name: str, *, scope: str = "size") -> Callable[[Section], Section]:
    """Register a section; sections run in registration order."""
    if scope not in ("size", "once"):
        raise ValueError(f"scope must be 'size' or 'once', not {scope!r}")

    def register(fn: Section) -> Section:
        if any(b.name == name for b in BENCHMARKS):
            raise ValueError(f"a benchmark named {name!r} is already registered")
        BENCHMARKS.append(Benchmark(name, fn, scope))
        return fn

    return register


# -- statistics and formatting ------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), interpolated between the two nearest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The 50th percentile."""
    return percentile(values, 50)


def format_value(value: float) -> str:
    """Figures as people read them: 12,345 / 123.4 / 1.23 / 0.0123."""
    if math.isnan(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000 or (magnitude >= 100 and value == int(value)):
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1 or value == 0:
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == int(value) else f"{value:.2f}"
    return f"{value:.3g}"
