"""The pieces of an import's three-way merge: REV parsing and comparison, and what a first import into
an empty book costs (no query per card, no copy of any card)."""

from __future__ import annotations

import sqlite3

import pytest
from rolo.core import importer
from rolo.core.import_merge import CAPS, compare_rev
from rolo.core.store import connection
from rolo.core.vcard import parse_card, parse_rev


@pytest.mark.parametrize(("text", "expected"), [
    ("20261203T101010Z", "2026-12-03T10:10:10Z"),
    ("2026-12-03T10:10:10Z", "2026-12-03T10:10:10Z"),
    ("2026-12-03T10:10:10.250Z", "2026-12-03T10:10:10Z"),
    ("2026-12-03T11:10:10+01:00", "2026-12-03T10:10:10Z"),
    ("20261203T051010-0500", "2026-12-03T10:10:10Z"),
    ("2026-12-03T10:10:10", "2026-12-03T10:10:10Z"),
    ("2026-12-03", "2026-12-03"),
    ("20261203", "2026-12-03"),
    ("2026-02-30T10:10:10Z", None),
    ("yesterday", None),
], ids=["4.0-basic", "3.0-extended", "fraction", "offset", "basic-offset", "no-zone", "date", "basic-date",
        "no-such-day", "not-a-date"])
def test_parse_rev(text, expected):
    assert parse_rev(text) == expected


def test_rev_is_read_and_still_not_kept_in_extras(tmp_path):
    path = tmp_path / "a.vcf"
    path.write_text("BEGIN:VCARD\nVERSION:4.0\nFN:Ada\nREV:20261203T101010Z\nEND:VCARD\n")
    from rolo.core.vcard import iter_file

    (result,) = iter_file(path)
    assert result.rev == "2026-12-03T10:10:10Z" and result.record.extras == []
    assert parse_card(path.read_text()).extras == []


@pytest.mark.parametrize(("rev", "updated_at", "expected"), [
    ("2026-12-03T10:10:09Z", "2026-12-03T10:10:10Z", "older"),
    ("2026-12-03T10:10:11Z", "2026-12-03T10:10:10Z", "newer"),
    ("2026-12-03T10:10:10Z", "2026-12-03T10:10:10Z", None),
    ("2026-12-02", "2026-12-03T10:10:10Z", "older"),
    ("2026-12-03", "2026-12-03T10:10:10Z", None),
    ("2026-12-04", "2026-12-03T10:10:10Z", "newer"),
    (None, "2026-12-03T10:10:10Z", None),
], ids=["older", "newer", "same", "older-day", "same-day", "newer-day", "no-rev"])
def test_compare_rev(rev, updated_at, expected):
    assert compare_rev(rev, updated_at) == expected


def test_the_merge_covers_every_field_of_the_book():
    assert {"photo", "photo_type", "extras", "custom_fields", "labels", "starred", "kind"} <= CAPS.fields


@pytest.mark.sqlite_only("traces the statements through sqlite3's trace callback")
def test_a_first_import_into_an_empty_book_looks_up_nothing_per_card(book, tmp_path, monkeypatch):
    cards = 1_200
    path = tmp_path / "many.vcf"
    path.write_text("".join(f"BEGIN:VCARD\nVERSION:3.0\nUID:u{i}\nFN:Person {i}\nEMAIL:p{i}@example.com\n"
                            "END:VCARD\n" for i in range(cards)))
    statements: list[str] = []
    opened = connection.write_connection

    def traced(location: str) -> sqlite3.Connection:
        conn = opened(location)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(connection, "write_connection", traced)
    report = importer.import_files(book, [path], batch_size=500)
    assert report.created == cards
    batches = -(-cards // 500)
    about_bases = [s for s in statements if "importbase" in s]
    # per batch: is there any base, the batch's bases (from the second on), one upsert statement per row
    assert len([s for s in about_bases if s.lstrip().upper().startswith("SELECT")]) <= 2 * batches
    assert len([s for s in about_bases if s.lstrip().upper().startswith("INSERT")]) == cards
    with sqlite3.connect(tmp_path / "book.db") as db:
        assert db.execute("SELECT count(*), count(fields) FROM importbase").fetchone() == (cards, 0)
