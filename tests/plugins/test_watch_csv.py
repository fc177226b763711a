"""The drop folder takes CSV exports (issue 13): a Google, Outlook or LinkedIn export saved there is imported
as `rolo import` would; a CSV of no known export is set aside with the reason, like a bad card. A real
watchdog observer on a real folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO
from watchkit import contacts, running, wait_for

CSV = REPO / "tests" / "data" / "csv"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "Drop"
    folder.mkdir()
    return folder


def test_a_linkedin_export_dropped_is_imported(book_path, drop):
    with running(book_path, drop) as (_, events):
        shutil.copy(CSV / "Connections.csv", drop / "Connections.csv")
        wait_for(lambda: events.of("imported"), what="the import")
    (event,) = events.of("imported")
    assert (event["created"], event["failed"]) == (2, 0)
    assert contacts(book_path) == ["Dorothy Vaughan", "Katherine Johnson"]
    assert not (drop / "Connections.csv").exists()


def test_an_unknown_csv_is_set_aside_with_the_reason(book_path, drop):
    with running(book_path, drop) as (_, events):
        shutil.copy(CSV / "club_members.csv", drop / "club_members.csv")
        wait_for(lambda: events.of("failed"), what="the file set aside")
    (event,) = events.of("failed")
    assert "not a Google, Outlook or LinkedIn export" in event["reason"]
    assert contacts(book_path) == []
    assert [p.name for p in (drop / "failed").rglob("club_members.csv")]
