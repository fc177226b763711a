"""In-process figures for the book: bulk insert rate, file size, and search latency."""

from __future__ import annotations

import time
from collections import defaultdict

from generate import BOOK_REGION, QUERY_KINDS
from registry import (
    INSERT_BATCH,
    Row,
    SizeContext,
    at_most,
    benchmark,
    checkpoint,
    fill_book,
    median,
    percentile,
)
from rolo.core.book import Book

SEARCH_LIMIT = 50
PER_RECORD_MAX = 100_000


@benchmark("insert")
def insert(ctx: SizeContext) -> list[Row]:
    """Contacts per second into a new book, 1000 per transaction: through `Writer.save_many` (what
    `rolo import` uses) and through `Writer.save` one record at a time; then the book's size on disk."""
    records = [g.record for g in ctx.generated]
    single: list[float] = []
    if len(records) <= PER_RECORD_MAX:  # at a million it would add a quarter of an hour and say nothing new
        ctx.log(f"inserting {len(records):,} contacts with Writer.save, {INSERT_BATCH:,} per transaction")
        scratch = ctx.workdir / "per-record.db"
        single = fill_book(scratch, records, per_record=True)
        for leftover in scratch.parent.glob(scratch.name + "*"):
            leftover.unlink()
    ctx.log(f"inserting {len(records):,} contacts with Writer.save_many, {INSERT_BATCH:,} per transaction")
    batches = fill_book(ctx.book_path, records)
    ctx.book_filled = True
    total = sum(batches)
    # The rate over the last tenth of the batches shows whether inserts slow down as the book grows.
    tail = batches[-max(len(batches) // 10, 1):]
    tail_count = min(len(tail) * INSERT_BATCH, len(records))
    checkpoint(ctx.book_path)
    wal = ctx.book_path.with_name(ctx.book_path.name + "-wal")
    size = ctx.book_path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return [
        Row("insert rate, Writer.save_many (1000/tx)", len(records) / total, "contacts/s"),
        Row("  last 10% of batches", tail_count / sum(tail), "contacts/s"),
        Row("  total", total, "s"),
        *([Row("insert rate, Writer.save per record (1000/tx)", len(records) / sum(single), "contacts/s")]
          if single else []),
        Row("book size (db + wal, checkpointed)", size / 1e6, "MB"),
        Row("book size per contact", size / len(records), "bytes"),
    ]


@benchmark("search")
def search(ctx: SizeContext) -> list[Row]:
    """`Book.search(q, limit=50)` latency over ~200 varied queries, warm (after one untimed pass)."""
    path = ctx.ensure_book()
    queries = ctx.queries
    timings: dict[str, list[float]] = defaultdict(list)
    missed: dict[str, list[str]] = defaultdict(list)
    with Book(str(path), region=BOOK_REGION) as book:
        for q in queries:  # warm-up: page cache, SQLite statement cache, phonenumbers metadata
            book.search(q.text, limit=SEARCH_LIMIT)
        for q in queries:
            start = time.perf_counter()
            found = book.search(q.text, limit=SEARCH_LIMIT)
            timings[q.kind].append((time.perf_counter() - start) * 1000)
            # Every query is made from a contact in the book, so no result means a query the search misses.
            if not found:
                missed[q.kind].append(q.text)
    every = [t for kind in QUERY_KINDS for t in timings[kind]]
    rows = [
        Row(f"search p50 ({len(every)} queries, limit {SEARCH_LIMIT})", median(every), "ms", at_most(5)),
        Row("search p95", percentile(every, 95), "ms"),
        Row("search max", max(every), "ms"),
    ]
    rows += [Row(f"search p50 · {kind}", median(timings[kind]), "ms") for kind in QUERY_KINDS]
    for kind in QUERY_KINDS:
        if missed[kind]:
            total = len(timings[kind])
            rows.append(Row(f"queries with no result · {kind}", len(missed[kind]), f"of {total}"))
            ctx.log(f"no result for {kind} queries such as {', '.join(map(repr, missed[kind][:4]))}")
    return rows
