"""Sync with RelayBook, against the RelayBook emulator running in its own process (`rolo emulate relaybook`), as a
user would.

- first push: a book of 10,000 contacts synced to an empty book. RelayBook has no batch create, so it is one
  POST per contact, plus, for the contacts that need them, a PATCH to star it, one POST adding its labels and
  one bulk request with its custom fields and remembered entry labels (a `home` phone, say: see
  `adapters/relaybook/mapping.py`). The generated contacts carry the generator's labels, phone labels and
  stars as they come;
- no-op sync: the same, nothing changed on either side. RelayBook cannot filter by change, so the engine lists
  every record (50 pages of 200) and every label's members; the figure the target applies to is the rest,
  the engine's own time;
- a sync after 100 local edits (100 PATCHes after the listing).

The engine runs in this process through `SyncEngine`, exactly as `rolo sync` does; the emulator runs in
another, so the two do not share one interpreter lock.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from typing import Any

from generate import BOOK_REGION
from registry import BIN, Row, RunContext, at_most, benchmark, fill_book
from timed import TimedAdapter

SIZE, QUICK = 10_000, 2_000
EDITS = 100
BOOK_ID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"  # the emulator's first book


class _Book:
    """A RelayBook emulator in its own process, a book, and the remote `bench` configured for them."""

    def __init__(self, ctx: RunContext, name: str, records: list[Any]) -> None:
        from rolo.core.config import load_config
        from rolo.core.plugins import new_plugin_manager
        from rolo.core.sync import remotes

        self.ctx = ctx
        self.server = subprocess.Popen([str(BIN / "rolo"), "emulate", "relaybook", "--port", "0", "--json"],
                                       env={**ctx.env, "ROLO_LOAD_PLUGINS": ""}, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True)
        info = json.loads(self.server.stdout.readline())  # type: ignore[union-attr]
        self.path = ctx.workdir / f"{name}.db"
        fill_book(self.path, records)
        config_path = ctx.workdir / f"{name}.toml"
        remote = remotes.Remote("bench", "relaybook", info["url"], token_env="BENCH_RELAYBOOK_KEY",
                                options={"book": BOOK_ID})
        remotes.add_remote(config_path, remote, replace=True)
        self.key = info["api_key"]
        self.config = load_config(config_path)
        self.pm = new_plugin_manager()

    def sync(self, label: str) -> tuple[float, float, int, Any]:
        """One sync; (seconds, of which in adapter calls, HTTP requests, report)."""
        from rolo.core.book import Book
        from rolo.core.sync import remotes
        from rolo.core.sync.engine import SyncEngine, SyncOptions

        os.environ["BENCH_RELAYBOOK_KEY"] = self.key
        adapter = TimedAdapter(remotes.open_adapter(remotes.get_remote(self.config, "bench"), self.pm))
        requests = [0]
        adapter.client.event_hooks["request"].append(lambda _: requests.__setitem__(0, requests[0] + 1))
        with Book(str(self.path), region=BOOK_REGION) as book:
            began = time.perf_counter()
            report = SyncEngine(book, "bench", adapter, SyncOptions(full=True), self.pm).run()  # type: ignore[arg-type]
            total = time.perf_counter() - began
        adapter.client.close()
        if report.exit_code != 0:
            raise RuntimeError(f"{label}: {report.as_dict()}")
        self.ctx.log(f"relaybook: {label}: {total:.2f} s, {requests[0]:,} requests, {adapter.calls} adapter calls "
                     f"taking {adapter.seconds:.2f} s")
        return total, adapter.seconds, requests[0], report

    def close(self) -> None:
        self.server.terminate()
        self.server.wait(10)


@benchmark("relaybook sync", scope="once")
def relaybook_sync(ctx: RunContext) -> list[Row]:
    """First push, no-op sync and a sync after 100 edits, of a 10,000-contact book with the RelayBook emulator."""
    from generate import ContactGenerator
    from rolo.core.book import Book

    size = QUICK if ctx.quick else SIZE
    ctx.log(f"relaybook: a book of {size:,} contacts")
    records = [g.record for g in ContactGenerator(seed=7).generate(size)]
    work = _Book(ctx, "relaybook", records)
    try:
        first, first_remote, first_requests, report = work.sync("first push")
        assert report.counts.get("remote_created") == size, report.counts
        noop, noop_http, noop_requests, report = work.sync("no-op")
        assert not report.counts, report.counts
        with Book(str(work.path), region=BOOK_REGION) as book, book.transaction() as tx:
            chosen = book.contacts()[:EDITS]
            tx.save_many([(dataclasses.replace(r, family_name=(r.family_name or "") + " Edited"), None)
                          for r in chosen])
        edited, edited_http, _, report = work.sync(f"{EDITS} edits")
        assert report.counts.get("remote_updated") == EDITS, report.counts
    finally:
        work.close()
    return [
        Row(f"RelayBook: first push of {size:,} contacts (1 POST each, no batch)", size / first, "contacts/s"),
        Row("  total", first, "s"),
        Row("  of which remote calls", first_remote, "s"),
        Row("  HTTP requests (POST, labels, stars, remembered labels)", first_requests, "requests"),
        Row(f"RelayBook: no-op sync of {size:,} linked contacts", noop, "s"),
        Row("  of which listing the remote (contacts and label members, 200 a page)", noop_http, "s"),
        Row("  HTTP requests", noop_requests, "requests"),
        Row("  engine time besides the listing", noop - noop_http, "s", at_most(1.0)),
        Row(f"RelayBook: sync after {EDITS} local edits", edited, "s"),
        Row("  of which remote calls (listing + 100 PATCH)", edited_http, "s"),
    ]
