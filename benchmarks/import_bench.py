"""vCard import: `rolo import` of a generated file, beside vobject's bare parse of the same file.

The ratio (import rate / bare parse rate) is the figure the issue sets (≥ 0.66): importing means parsing,
validating, normalising phones, indexing and committing, so it can only approach the bare parse. Peak
memory is the import command's maximum RSS (a child process, so nothing else in this run counts).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import vobject
from registry import BIN, Row, SizeContext, at_least, at_most, benchmark
from rolo.core.vcard import export_card

ROLO = str(BIN / "rolo")
PYTHON = str(BIN / "python")


# Runs argv[2:], passing its output through, and writes its peak RSS (KiB; the larger of the command and
# the children it waited for, i.e. its parse worker) to argv[1].
_MEASURE = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


@benchmark("vcard import")
def vcard_import(ctx: SizeContext) -> list[Row]:
    """Write the size's contacts as one vCard 3.0 file, time vobject's parse, then `rolo import` it."""
    path = ctx.workdir / "cards.vcf"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for generated in ctx.generated:
            handle.write(export_card(generated.record, "3.0"))
    size_mb = path.stat().st_size / 1e6
    ctx.log(f"vcard import: {ctx.size:,} cards, {size_mb:.1f} MB; bare vobject parse")
    start = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as handle:
        parsed = sum(1 for _ in vobject.readComponents(handle))
    parse_rate = parsed / (time.perf_counter() - start)

    ctx.log("vcard import: rolo import")
    book, usage_file = ctx.workdir / "import.db", ctx.workdir / "maxrss.txt"
    # The book is created first (once in a book's life: ~0.8 s of migrations), so the rate is the import's.
    created = time.perf_counter()
    subprocess.run([ROLO, "--book", str(book), "init"], capture_output=True, env=ctx.env, check=True)
    creation = time.perf_counter() - created
    start = time.perf_counter()
    # Through a small launcher: a child forked straight from this process (which holds the generated
    # contacts) would report this process's size, since Linux keeps the high-water mark across exec.
    result = subprocess.run([PYTHON, "-c", _MEASURE, str(usage_file), ROLO, "--book", str(book), "import",
                             str(path), "--json"], capture_output=True, text=True, env=ctx.env, check=False)
    elapsed = time.perf_counter() - start
    peak_mb = int(usage_file.read_text()) / 1024
    report = json.loads(result.stdout)
    if result.returncode != 0 or report["created"] != ctx.size:
        raise RuntimeError(f"import failed: exit {result.returncode}, {report.get('failed')} failed")
    import_rate = ctx.size / elapsed
    rows = [
        Row("file size", size_mb, "MB"),
        Row("bare vobject parse rate", parse_rate, "cards/s"),
        Row("creating the empty book (first use, migrations)", creation, "s"),
        Row("rolo import rate (whole command, into the empty book)", import_rate, "cards/s"),
        Row("ratio import / bare parse", import_rate / parse_rate, "×", at_least(0.66)),
    ]
    rows.append(Row("rolo import peak memory (max RSS of the command or its parse worker)", peak_mb, "MB",
                    at_most(150)))
    start = time.perf_counter()
    again = subprocess.run([ROLO, "--book", str(book), "import", str(path), "--json"], capture_output=True,
                           text=True, env=ctx.env, check=True)
    if json.loads(again.stdout)["unchanged"] != ctx.size:
        raise RuntimeError("re-import changed something")
    rows.append(Row("re-import of the same file (all unchanged)", ctx.size / (time.perf_counter() - start),
                    "cards/s"))
    rows += _history(ctx, book)
    return rows


def _history(ctx: SizeContext, book: Path) -> list[Row]:
    """What the import's history costs in the book, and `rolo undo` of the whole import."""
    with sqlite3.connect(book) as db:
        changes, diff_bytes = db.execute("SELECT count(*), coalesce(sum(length(diff)), 0) FROM contactchange").fetchone()
    ctx.log("vcard import: rolo undo of the import")
    start = time.perf_counter()
    undone = subprocess.run([ROLO, "--book", str(book), "undo", "--json"], capture_output=True, text=True,
                            env=ctx.env, check=True)
    elapsed = time.perf_counter() - start
    if len(json.loads(undone.stdout)["reverted"]) != ctx.size:
        raise RuntimeError("undo of the import did not revert every contact")
    listed = subprocess.run([ROLO, "--book", str(book), "list", "--json"], capture_output=True, text=True,
                            env=ctx.env, check=True)
    if json.loads(listed.stdout):
        raise RuntimeError("the book is not empty after undoing the import")
    return [Row("history rows the import wrote (one per contact, no copy of it)", changes, "rows"),
            Row("of which field diffs", diff_bytes / 1e6, "MB"),
            Row("rolo undo of the whole import (the book empty again)", elapsed, "s")]
