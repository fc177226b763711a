"""Fuzzing `rolo import` (issue 11): every vCard-ish input is imported or refused card by card with a reason,
never a traceback or an internal error, and the book stays consistent. Each crasher found is kept in
regressions/ and replayed here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzzkit import EXAMPLES, SOAK, check_import, vcard_inputs
from hypothesis import HealthCheck, given, settings

from rolo.core.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chaos"))
from chaoskit import Tally  # noqa: E402

REGRESSIONS = Path(__file__).parent / "regressions"
TALLY = Tally("fuzzed vCard input")


def _import(book: Path, path: Path, data: bytes, *, again: bool = False) -> dict:
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["--book", str(book), "import", str(path), "--json"])
    report = check_import(result, path)
    if not again:
        TALLY.inputs += 1
        TALLY.faults += report["failed"]
    return report


@pytest.fixture(scope="module")
def fuzz_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One book for every example (creating a book per example would be most of the time)."""
    book = tmp_path_factory.mktemp("fuzz") / "book.db"
    assert CliRunner().invoke(cli, ["--book", str(book), "init"]).exit_code == 0
    yield book
    TALLY.rounds = 1
    TALLY.note = "refused: cards with a reason"
    TALLY.record()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not SOAK, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=vcard_inputs)
def test_every_input_is_imported_or_refused_with_a_reason(fuzz_book, tmp_path, data):
    _import(fuzz_book, tmp_path / "fuzzed.vcf", data)
    again = _import(fuzz_book, tmp_path / "fuzzed.vcf", data, again=True)  # the same file again: no change
    assert (again["created"], again["updated"]) == (0, 0), again
    db = sqlite3.connect(fuzz_book)
    try:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM (SELECT uid FROM contact GROUP BY uid HAVING count(*) > 1)"
                          ).fetchone()[0] == 0
    finally:
        db.close()


@pytest.mark.parametrize("case", sorted(REGRESSIONS.glob("*.vcf")), ids=lambda p: p.stem)
def test_a_former_crasher_is_imported_or_refused_with_a_reason(case, tmp_path):
    book = tmp_path / "book.db"
    report = _import(book, tmp_path / case.name, case.read_bytes())
    assert report["created"] + report["failed"] >= 1, report  # it was read as something
    again = _import(book, tmp_path / case.name, case.read_bytes(), again=True)
    assert (again["created"], again["updated"], again["failed"]) == (0, 0, report["failed"]), again
