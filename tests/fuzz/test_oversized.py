"""Oversized input is refused card by card with a reason, in bounded memory, and the rest of the file still
imports: a 100 MB line (in a card, and outside any), a card of a million properties. Peak memory is measured
as the operating system counts it for the `rolo import` process and its parse-ahead child."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chaos"))
from chaoskit import Tally  # noqa: E402

ROLO = str(Path(sys.executable).parent / "rolo")
PEAK_LIMIT_MB = 150  # the import's memory target (README, Performance)
# Runs a command and reports its exit status, output and the peak RSS of its process tree (KB on Linux).
LAUNCHER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _good(n: int) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good {n}\r\nEMAIL:good{n}@example.com\r\nEND:VCARD\r\n"


def _long_line_in_a_card(out: IO[str]) -> None:
    out.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge Line\r\nNOTE:")
    for _ in range(100):
        out.write("x" * (1 << 20))
    out.write("\r\nEND:VCARD\r\n")


def _long_loose_line(out: IO[str]) -> None:
    for _ in range(100):
        out.write("junk " * (1 << 18))
    out.write("\r\n")


def _million_properties(out: IO[str]) -> None:
    out.write("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many Properties\r\n")
    for i in range(1_000_000):
        out.write(f"EMAIL:p{i}@example.com\r\n")
    out.write("END:VCARD\r\n")


CASES: dict[str, tuple[Callable[[IO[str]], None], str]] = {
    "100 MB line in a card": (_long_line_in_a_card, "refused: a line of 104,857,"),
    "100 MB line outside any card": (_long_loose_line, "refused: a line of 131,072,"),
    "a card of 1,000,000 properties": (_million_properties, "refused: a card of more than 10,000 properties"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_oversized_card_is_refused_in_bounded_memory_and_the_rest_imports(case, tmp_path):
    write, reason = CASES[case]
    cards = tmp_path / "big.vcf"
    with open(cards, "w", encoding="utf-8", newline="") as out:
        out.write(_good(1))
        write(out)
        out.write(_good(2))
    done = subprocess.run([sys.executable, "-c", LAUNCHER, ROLO, "--book", str(tmp_path / "book.db"), "import",
                           str(cards)], capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(done.stdout)
    assert "Traceback" not in result["stderr"], result["stderr"]
    assert result["code"] == 3, result  # 3: some cards failed
    (failed,) = [line for line in result["stderr"].splitlines() if line.strip()]
    assert failed.startswith(f"failed: {cards} card 2: {reason}"), failed
    assert result["stdout"].startswith("2 created, 0 updated, 0 unchanged, 1 failed"), result["stdout"]
    peak = result["peak_kb"] / 1024
    Tally("oversized input", rounds=1, inputs=1, faults=1, note=f"{case}: peak {peak:.0f} MB").record()
    assert peak < PEAK_LIMIT_MB, f"peak {peak:.0f} MB"
