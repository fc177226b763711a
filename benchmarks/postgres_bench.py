"""The book on PostgreSQL (#14), beside the SQLite figures of the same run: a throw-away local server
(`rolo.core.store.pgserver`, fsync off as for the tests: the figures are the engine's and rolo's, not the
disk's), the same generated contacts and queries as the `insert`, `search` and command sections.

Targets from the issue: search p50 at most 20 ms at 100,000 contacts (in-process, `Book.search`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

from generate import BOOK_REGION, QUERY_KINDS
from registry import BIN, INSERT_BATCH, Row, SizeContext, at_most, benchmark, fill_book, median, percentile

ROLO = str(BIN / "rolo")
SEARCH_LIMIT = 50


@benchmark("postgresql")
def postgresql(ctx: SizeContext) -> list[Row]:
    """Insert, in-process search, and the search and list commands on a PostgreSQL book."""
    from rolo.core.book import Book
    from rolo.core.store.pgserver import PgCluster, binaries

    if binaries() is None:
        raise RuntimeError("PostgreSQL is not installed (make test installs Debian's postgresql)")
    cluster = PgCluster().start()
    try:
        url = cluster.new_book()
        ctx.log(f"postgresql: inserting {ctx.size:,} contacts, {INSERT_BATCH:,} per transaction")
        batches = fill_book(url, [g.record for g in ctx.generated])  # type: ignore[arg-type]
        # the planner's statistics, as `rolo import` refreshes them after a bulk load (fill_book is no import)
        with Book(url, region=BOOK_REGION) as book:
            book.refresh_statistics()
        timings: dict[str, list[float]] = defaultdict(list)
        with Book(url, region=BOOK_REGION) as book:
            for q in ctx.queries:  # warm-up, as the SQLite section does
                book.search(q.text, limit=SEARCH_LIMIT)
            for q in ctx.queries:
                began = time.perf_counter()
                book.search(q.text, limit=SEARCH_LIMIT)
                timings[q.kind].append((time.perf_counter() - began) * 1000)
        every = [t for kind in QUERY_KINDS for t in timings[kind]]
        count = 10 if ctx.quick else 30
        picked = ctx.queries[:: max(len(ctx.queries) // count, 1)][:count]
        commands = []
        for q in picked:
            elapsed, result = ctx.run([ROLO, "--book", url, "search", q.text, "--json"])
            json.loads(result.stdout)
            commands.append(elapsed)
        listed, _ = ctx.run([ROLO, "--book", url, "list", "--json"], capture=False)
        rows = [
            Row("PostgreSQL insert rate (Writer.save_many, 1000/tx)", ctx.size / sum(batches), "contacts/s"),
            Row(f"PostgreSQL search p50 ({len(every)} queries, limit {SEARCH_LIMIT}, in-process)", median(every),
                "ms", at_most(20) if ctx.size >= 100_000 else None),
            Row("PostgreSQL search p95", percentile(every, 95), "ms"),
            *[Row(f"PostgreSQL search p50 · {kind}", median(timings[kind]), "ms") for kind in QUERY_KINDS],
            Row(f"PostgreSQL rolo search --json p50 ({len(commands)} queries)", median(commands), "s"),
            Row("PostgreSQL rolo list --json (the server builds the objects)", listed, "s"),
        ]
    finally:
        cluster.stop()
    return rows
