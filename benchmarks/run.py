"""Run rolo's benchmarks: print a table of figures and write them to `.bench/results.json`.

    python benchmarks/run.py                       # books of 10,000 and 100,000 contacts (`make bench`)
    python benchmarks/run.py --quick               # 2,000 contacts, fewer repeats: a smoke test
    python benchmarks/run.py --sizes 5k --only insert,search --profile insert
    python benchmarks/run.py --scale               # 1,000,000 contacts (#14): `make bench-scale`, ~1 hour

Each book size gets a fresh temporary folder, deleted afterwards. Progress goes to stderr, the table to
stdout. Sections live in the modules named in SECTION_MODULES (see `registry.py` to add one).
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import os
import platform
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry import BENCHMARKS, BIN, REPO, Benchmark, Row, RunContext, SizeContext, format_value

SECTION_MODULES = ["book_bench", "cli_bench", "import_bench", "watch_bench", "sync_bench", "relaybook_bench", "relatecrm_bench", "relate_bench", "carddav_bench", "postgres_bench"]
DEFAULT_SIZES = [10_000, 100_000]
QUICK_SIZE = 2_000
# --scale: the sections whose figures the scale issue (#14) names, at a million contacts
SCALE_SIZE = 1_000_000
SCALE_SECTIONS = ["insert", "search", "search command", "list command", "vcard import", "sync"]
RESULTS = REPO / ".bench" / "results.json"


def _size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_sizes = ",".join(map(str, DEFAULT_SIZES))
    parser.add_argument("--sizes", type=lambda s: [_size(x) for x in s.split(",") if x.strip()],
                        help=f"book sizes, comma-separated (default: {default_sizes}; 10k and 1m work too)")
    parser.add_argument("--quick", action="store_true",
                        help=f"only {QUICK_SIZE:,} contacts and fewer repeats (a smoke test)")
    parser.add_argument("--scale", action="store_true",
                        help=f"{SCALE_SIZE:,} contacts, the scale sections only ({', '.join(SCALE_SECTIONS)}), "
                             f"the sync too at that size (about an hour)")
    parser.add_argument("--sync-size", type=_size, default=None,
                        help="contacts in the sync section's book (default 10,000; --scale: the scale size)")
    parser.add_argument("--only", type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
                        help="run only these sections (comma-separated names)")
    parser.add_argument("--profile", metavar="SECTION",
                        help="run this section under cProfile: top functions to stderr, stats to .bench/")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help=f"JSON results file (default: {RESULTS.relative_to(REPO)})")
    args = parser.parse_args(argv)
    if args.scale:
        args.sizes = args.sizes or [SCALE_SIZE]
        args.only = args.only or SCALE_SECTIONS
        args.sync_size = args.sync_size or max(args.sizes)
    if args.sizes is None:
        args.sizes = [QUICK_SIZE] if args.quick else DEFAULT_SIZES
    return args


def _call(bench: Benchmark, ctx: RunContext, profile: bool, label: str) -> list[Row]:
    if not profile:
        return bench.fn(ctx)
    profiler = cProfile.Profile()
    rows = profiler.runcall(bench.fn, ctx)
    out = RESULTS.parent / f"profile-{bench.name.replace(' ', '-')}-{label}.prof"
    out.parent.mkdir(exist_ok=True)
    profiler.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
    print(text.getvalue(), file=sys.stderr)
    print(f"  profile written to {out} (figures of a profiled section are inflated)", file=sys.stderr)
    return rows


def run(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """Run the selected sections; (result rows, names of sections that failed)."""
    if not (BIN / "rolo").exists():
        raise SystemExit(f"no rolo beside {sys.executable}: run this with the project's .venv/bin/python")
    for module in SECTION_MODULES:
        importlib.import_module(module)
    selected = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    unknown = set(args.only or ()) - {b.name for b in BENCHMARKS}
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(b.name for b in BENCHMARKS)}")
    results: list[dict[str, Any]] = []
    failed: list[str] = []

    def record(bench: Benchmark, ctx: RunContext, size: int | None) -> None:
        label = f"{size:,}" if size else "once"
        print(f"[{label}] {bench.name}", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            rows = _call(bench, ctx, args.profile == bench.name, str(size or "once"))
        except Exception:  # noqa: BLE001 -- one broken section must not lose the others' figures
            traceback.print_exc()
            failed.append(f"{bench.name} [{label}]")
            return
        print(f"  done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
        for row in rows:
            results.append({
                "section": bench.name, "size": size, "name": row.name, "value": row.value, "unit": row.unit,
                "target": None if row.target is None else {
                    "limit": row.target.limit, "higher_is_better": row.target.higher_is_better},
                "met": None if row.target is None else row.target.met(row.value),
                "_target_text": "" if row.target is None else str(row.target),
            })

    per_size = [b for b in selected if b.scope == "size"]
    for size in args.sizes if per_size else []:
        with tempfile.TemporaryDirectory(prefix=f"rolo-bench-{size}-") as tmp:
            sized = SizeContext(quick=args.quick, workdir=Path(tmp), size=size)
            began = time.perf_counter()
            sized.generated  # noqa: B018 -- generate up front, so no section's timing includes it
            print(f"[{size:,}] generated {size:,} contacts and {len(sized.queries)} queries in "
                  f"{time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
            for bench in per_size:
                record(bench, sized, size)
    once = [b for b in selected if b.scope == "once"]
    if once:
        with tempfile.TemporaryDirectory(prefix="rolo-bench-once-") as tmp:
            ctx = RunContext(quick=args.quick, workdir=Path(tmp), sync_size=args.sync_size)
            for bench in once:
                record(bench, ctx, None)
    return results, failed


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a plain-text table, one block per section."""
    header = ("section", "size", "figure", "value", "unit", "target", "")
    lines: list[tuple[str, ...]] = []
    previous = None
    for r in results:
        key = (r["section"], r["size"])
        if previous is not None and key != previous:
            lines.append(("",) * len(header))
        lines.append((
            r["section"] if key != previous else "",
            (f"{r['size']:,}" if r["size"] else "—") if key != previous else "",
            r["name"], format_value(r["value"]), r["unit"], r["_target_text"],
            "" if r["met"] is None else ("ok" if r["met"] else "MISSED"),
        ))
        previous = key
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    right = {3}  # values align right

    def fmt(cells: tuple[str, ...]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)]).rstrip()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "cpus": os.cpu_count(), "commit": commit}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results, failed = run(args)
    elapsed = time.perf_counter() - began
    info = machine()
    print()
    print(f"rolo benchmarks  {started}  Python {info['python']}, SQLite {info['sqlite']}, "
          f"{info['cpus']} CPUs, commit {info['commit'] or '?'}  ({elapsed:.0f} s)")
    print(table(results) if results else "(no figures)")
    missed = [r for r in results if r["met"] is False]
    if missed:
        print(f"\n{len(missed)} figure(s) missed their target.")
    if failed:
        print(f"\nFailed sections: {', '.join(failed)} (tracebacks above, on stderr)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "started_at": started, "seconds": round(elapsed, 1), "quick": args.quick, "sizes": args.sizes,
        "machine": info, "failed": failed,
        "results": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
    }
    args.output.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nWritten to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
