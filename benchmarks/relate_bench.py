"""Sync with Relate, against the Relate emulator running in its own process (`rolo emulate relate`), as a user
would.

- first push: a book of 10,000 contacts synced to an empty workspace. Relate has no batch create and no
  idempotency key, so it is one POST per contact, plus one POST per label the contact carries (labels are
  list entries), plus one POST per organization and label list met for the first time. The generated
  contacts carry the generator's organizations, titles, phones and labels as they come; the book's region is
  US and the emulator's workspace KR (as in Relate's document), so the remote is configured with
  `phone_region=US`, as a user with national US numbers would;
- no-op sync: the same, nothing changed on either side. Relate cannot filter contacts by change, so the engine
  lists every record (100 pages of 100) and every label list's entries; the figure the target applies to is
  the rest, the engine's own time;
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


@benchmark("relate sync", scope="once")
def relate_sync(ctx: RunContext) -> list[Row]:
    """First push, no-op sync and a sync after 100 edits, of a 10,000-contact book with the Relate emulator."""
    from generate import ContactGenerator
    from rolo.core.book import Book
    from rolo.core.config import load_config
    from rolo.core.plugins import new_plugin_manager
    from rolo.core.sync import remotes
    from rolo.core.sync.engine import SyncEngine, SyncOptions

    size = QUICK if ctx.quick else SIZE
    env = {**ctx.env, "ROLO_LOAD_PLUGINS": ""}
    server = subprocess.Popen(
        [str(BIN / "rolo"), "emulate", "relate", "--port", "0", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        path = ctx.workdir / "relate-book.db"
        ctx.log(f"relate sync: filling a book of {size:,} contacts")
        records = [g.record for g in ContactGenerator(seed=7).generate(size)]
        fill_book(path, records)
        config_path = ctx.workdir / "relate.toml"
        remote = remotes.Remote(
            "bench",
            "relate",
            info["url"],
            token_env="BENCH_RELATE_KEY",
            options={"phone_region": BOOK_REGION},
        )
        remotes.add_remote(config_path, remote, replace=True)
        os.environ["BENCH_RELATE_KEY"] = info["api_key"]
        config = load_config(config_path)
        pm = new_plugin_manager()

        def run(label: str) -> tuple[float, float, Any]:
            adapter = TimedAdapter(remotes.open_adapter(remotes.get_remote(config, "bench"), pm))
            with Book(str(path), region=BOOK_REGION) as book:
                began = time.perf_counter()
                report = SyncEngine(book, "bench", adapter, SyncOptions(full=True), pm).run()  # type: ignore[arg-type]
                total = time.perf_counter() - began
            adapter.client.close()
            if report.exit_code != 0:
                raise RuntimeError(f"{label}: {report.as_dict()}")
            ctx.log(
                f"relate sync: {label}: {total:.2f} s, {adapter.calls} adapter calls taking {adapter.seconds:.2f} s"
            )
            return total, adapter.seconds, report

        first, _, report = run("first push")
        assert report.counts.get("remote_created") == size, report.counts
        noop, noop_http, report = run("no-op")
        assert not report.counts, report.counts
        with Book(str(path), region=BOOK_REGION) as book, book.transaction() as tx:
            chosen = book.contacts()[:EDITS]
            tx.save_many(
                [
                    (dataclasses.replace(r, family_name=(r.family_name or "") + " Edited"), None)
                    for r in chosen
                ]
            )
        edited, edited_http, report = run(f"{EDITS} edits")
        assert report.counts.get("remote_updated") == EDITS, report.counts
    finally:
        server.terminate()
        server.wait(10)
    return [
        Row(f"first push of {size:,} contacts (a POST each, plus label entries)", size / first, "contacts/s"),
        Row("  total", first, "s"),
        Row(f"no-op sync of {size:,} linked contacts", noop, "s"),
        Row("  of which listing the remote (HTTP, 100 a page, and label entries)", noop_http, "s"),
        Row("  engine time besides the listing", noop - noop_http, "s", at_most(1.0)),
        Row(f"sync after {EDITS} local edits", edited, "s"),
        Row("  of which remote calls (listing + 100 PATCH)", edited_http, "s"),
    ]
