"""Whole-command figures: `rolo` run as a user runs it, interpreter start included (wall clock)."""

from __future__ import annotations

import json
import time

from generate import BOOK_REGION
from registry import BIN, Row, RunContext, SizeContext, at_most, benchmark, median, percentile
from rolo.core.book import Book

ROLO = str(BIN / "rolo")
PYTHON = str(BIN / "python")


@benchmark("search command")
def search_command(ctx: SizeContext) -> list[Row]:
    """`rolo --book PATH search QUERY --json` over ~30 different queries."""
    path = str(ctx.ensure_book())
    count = 10 if ctx.quick else 30
    step = max(len(ctx.queries) // count, 1)
    queries = ctx.queries[::step][:count]  # the query list interleaves kinds, so every kind is here
    ctx.run([ROLO, "--book", path, "search", queries[0].text, "--json"])  # warm-up: page cache, .pyc files
    times = []
    for q in queries:
        elapsed, result = ctx.run([ROLO, "--book", path, "search", q.text, "--json"])
        json.loads(result.stdout)  # it printed JSON, not an error
        times.append(elapsed)
    return [
        # #9 set 0.25 s; #14 asks 0.15 s at a million contacts
        Row(f"rolo search --json p50 ({len(times)} queries)", median(times), "s",
            at_most(0.15 if ctx.size >= 1_000_000 else 0.25)),
        Row("rolo search --json p95", percentile(times, 95), "s"),
    ]


@benchmark("list command")
def list_command(ctx: SizeContext) -> list[Row]:
    """`rolo --book PATH list --json > /dev/null`, and its steps in-process: the JSON objects built by SQLite
    (what the command prints to a pipe) beside the Python path (ContactRecords, to_json, json.dumps)."""
    path = str(ctx.ensure_book())
    repeats = 3 if ctx.size <= 20_000 else 2
    ctx.run([ROLO, "--book", path, "list", "--json"], capture=False)  # warm-up (and any migration)
    times = [ctx.run([ROLO, "--book", path, "list", "--json"], capture=False)[0] for _ in range(repeats)]
    with Book(path, region=BOOK_REGION) as book:
        start = time.perf_counter()
        for _ in book.iter_contacts_json():
            pass
        built = time.perf_counter() - start
        start = time.perf_counter()
        records = book.contacts()
        loaded = time.perf_counter() - start
    start = time.perf_counter()
    for record in records:
        json.dumps(record.to_json(), ensure_ascii=False)
    dumped = time.perf_counter() - start
    return [
        Row(f"rolo list --json (median of {repeats})", median(times), "s",
            at_most(1.5) if ctx.size >= 100_000 else None),
        Row("  in-process: Book.iter_contacts_json() (SQLite builds the objects)", built, "s"),
        Row("  in-process, the Python path: Book.contacts()", loaded, "s"),
        Row("  in-process, the Python path: to_json() + json.dumps()", dumped, "s"),
    ]


@benchmark("startup", scope="once")
def startup(ctx: RunContext) -> list[Row]:
    """`rolo --version` against `python -c "import click"` (same interpreter): what rolo adds at start-up."""
    runs = 5 if ctx.quick else 15
    rolo_cmd, click_cmd = [ROLO, "--version"], [PYTHON, "-c", "import click"]
    ctx.run(rolo_cmd)  # warm-up
    ctx.run(click_cmd)
    rolo_times, click_times = [], []
    for _ in range(runs):  # interleaved, so drift in machine load hits both alike
        rolo_times.append(ctx.run(rolo_cmd)[0])
        click_times.append(ctx.run(click_cmd)[0])
    rolo_s, click_s = median(rolo_times), median(click_times)
    return [
        Row(f"rolo --version (median of {runs})", rolo_s, "s"),
        Row(f'python -c "import click" (median of {runs})', click_s, "s"),
        Row("ratio rolo --version / import click", rolo_s / click_s, "×", at_most(1.5)),
    ]


@benchmark("command start")
def command_start(ctx: SizeContext) -> list[Row]:
    """`rolo add`, `rolo show` and `rolo search` as whole commands on the book, each beside `python -c
    "import click"` (the floor of any click program), interleaved so machine load hits both alike."""
    path = str(ctx.ensure_book())
    runs = 5 if ctx.quick else 15
    someone = ctx.generated[len(ctx.generated) // 2].record
    ref = someone.emails[0].address if someone.emails else someone.uid
    commands = {
        "rolo add": lambda i: [ROLO, "--book", path, "add", "--name", f"Bench Person {i}",
                               "--email", f"bench{i}@example.org"],
        "rolo show": lambda i: [ROLO, "--book", path, "show", ref],
        "rolo search": lambda i: [ROLO, "--book", path, "search", someone.family_name or someone.formatted_name],
    }
    click_cmd = [PYTHON, "-c", "import click"]
    for make in commands.values():  # warm-up: page cache, .pyc files, the plugin index
        ctx.run(make(-1))
    times: dict[str, list[float]] = {name: [] for name in commands}
    click_times = []
    for i in range(runs):
        click_times.append(ctx.run(click_cmd)[0])
        for name, make in commands.items():
            times[name].append(ctx.run(make(i))[0])
    click_s = median(click_times)
    rows = [Row(f'python -c "import click" (median of {runs})', click_s, "s")]
    for name, values in times.items():
        rows.append(Row(f"{name} (median of {runs})", median(values), "s"))
        rows.append(Row(f"  ratio {name} / import click", median(values) / click_s, "×",
                        at_most(2.0) if name == "rolo add" else None))
    return rows
