"""The drop folder with a real watchdog Observer on real temporary folders: the ways files arrive."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import SHARED_VCARDS
from watchkit import BROKEN_CARD, card, contacts, count, running, slow_write, wait_for


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "Drop"
    folder.mkdir()
    return folder


def imported_files(drop: Path) -> list[str]:
    return sorted(p.name for p in (drop / "imported").rglob("*") if p.is_file()) if (drop / "imported").exists() else []


def test_chunked_slow_write_is_imported_whole_after_the_close(book_path, drop):
    text = card("Ada Lovelace", email="ada@example.com") + card("Grace Hopper") + card("Alan Turing", note="last")
    with running(book_path, drop) as (_, events):
        # 6 chunks with pauses longer than the quiet period: a card ends in the middle of the writes
        closed = slow_write(drop / "people.vcf", text, chunks=6, pause=0.35)
        assert not events.of("imported"), "imported before the writer closed the file"
        wait_for(lambda: events.of("imported"), what="the import")
        assert time.monotonic() >= closed
    (event,) = events.of("imported")
    assert (event["created"], event["failed"]) == (3, 0)
    assert contacts(book_path) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert not (drop / "failed").exists()
    assert imported_files(drop) == ["people.vcf"]


def test_cp_of_a_real_export_is_imported(book_path, drop):
    source = SHARED_VCARDS / "ez-vcard__John_Doe_IPHONE.vcf"
    if not source.exists():
        pytest.skip("no shared vCard corpus")
    with running(book_path, drop) as (_, events):
        subprocess.run(["cp", str(source), str(drop)], check=True)
        wait_for(lambda: events.of("imported"), what="the import")
    assert events.of("imported")[0]["created"] == 1
    assert imported_files(drop) == [source.name]
    assert not (drop / source.name).exists()


def test_atomic_mv_from_outside_is_imported(book_path, drop, tmp_path):
    outside = tmp_path / "outside.vcf"
    outside.write_text(card("Katherine Johnson", uid="kj-1"), encoding="utf-8")
    with running(book_path, drop) as (_, events):
        subprocess.run(["mv", str(outside), str(drop / "kj.vcf")], check=True)
        wait_for(lambda: events.of("imported"), what="the import")
    assert contacts(book_path) == ["Katherine Johnson"]


def test_browser_part_file_waits_for_its_rename(book_path, drop):
    with running(book_path, drop) as (_, events):
        part = drop / "contact.vcf.part"
        slow_write(part, card("Hedy Lamarr") + card("Mary Jackson"), chunks=4, pause=0.3)
        time.sleep(0.4)  # longer than the quiet period: a .part file is never taken
        assert not events.of("imported") and part.exists()
        part.rename(drop / "contact.vcf")
        wait_for(lambda: events.of("imported"), what="the import")
    assert events.files() == ["contact.vcf"]
    assert contacts(book_path) == ["Hedy Lamarr", "Mary Jackson"]


def test_firefox_placeholder_then_part_renamed_over_it(book_path, drop):
    with running(book_path, drop) as (_, events):
        (drop / "contact.vcf").write_bytes(b"")  # Firefox: an empty file under the final name at once
        part = drop / "contact.vcf.part"
        slow_write(part, card("Dorothy Vaughan"), chunks=3, pause=0.3)
        part.replace(drop / "contact.vcf")
        wait_for(lambda: events.of("imported"), what="the import")
        time.sleep(0.3)
    assert events.files() == ["contact.vcf"] and not events.of("failed")
    assert not (drop / "failed").exists()
    assert contacts(book_path) == ["Dorothy Vaughan"]


@pytest.mark.parametrize("name", [".hidden.vcf", "download.crdownload", "x.vcf.tmp", "x.vcf~", "x.vcf.part"],
                         ids=["dot-file", "crdownload", "tmp", "tilde", "part"])
def test_temporary_names_are_left_alone(book_path, drop, name):
    with running(book_path, drop) as (_, events):
        (drop / name).write_text(card("Temp Person"), encoding="utf-8")
        (drop / "sentinel.vcf").write_text(card("Sentinel Person"), encoding="utf-8")
        wait_for(lambda: events.of("imported"), what="the sentinel")
        time.sleep(0.3)
    assert events.files() == ["sentinel.vcf"]
    assert (drop / name).exists()
    assert contacts(book_path) == ["Sentinel Person"]


@pytest.mark.slow
def test_a_thousand_files_dropped_at_once(book_path, drop):
    with running(book_path, drop) as (_, events):
        for n in range(1000):
            (drop / f"c{n:04}.vcf").write_text(card(f"Person Number{n:04}", uid=f"uid-{n}"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 1000, timeout=60, what="1,000 imports")
    assert count(book_path) == 1000
    assert not [p for p in drop.iterdir() if p.is_file()]
    assert len(imported_files(drop)) == 1000
    assert not events.of("failed") and not events.of("retry")


def test_dropping_the_same_file_again_changes_nothing(book_path, drop, tmp_path):
    text = card("Ada Lovelace", email="ada@example.com")  # no UID: the uid derives from the content
    with running(book_path, drop) as (_, events):
        (drop / "ada.vcf").write_text(text, encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 1, what="the first import")
        (drop / "ada.vcf").write_text(text, encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 2, what="the second import")
    first, second = events.of("imported")
    assert (first["created"], second["created"], second["unchanged"]) == (1, 0, 1)
    assert count(book_path) == 1
    assert imported_files(drop) == ["ada-2.vcf", "ada.vcf"]  # the second one's name got a counter


def test_two_files_with_the_same_contact_together_make_one_contact(book_path, drop, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    for name, text in (("a.vcf", card("Ada Lovelace")), ("b.vcf", card("Ada Lovelace")),
                       ("c.vcf", card("Grace Hopper", uid="g-1")), ("d.vcf", card("Grace Hopper", uid="g-1",
                                                                                    note="Navy"))):
        (staging / name).write_text(text, encoding="utf-8")
    with running(book_path, drop) as (_, events):
        for path in sorted(staging.iterdir()):
            os.rename(path, drop / path.name)
        wait_for(lambda: len(events.of("imported")) == 4, what="four imports")
    assert contacts(book_path) == ["Ada Lovelace", "Grace Hopper"]
    statuses = {e["file"].rsplit("/", 1)[-1]: (e["created"], e["updated"], e["unchanged"]) for e in events.of("imported")}
    assert sorted(statuses.values()) == [(0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 0, 0)]


def test_a_bad_file_among_good_ones(book_path, drop):
    with running(book_path, drop) as (_, events):
        (drop / "good1.vcf").write_text(card("Good One"), encoding="utf-8")
        (drop / "mixed.vcf").write_text(card("Mixed Fine") + BROKEN_CARD + "BEGIN:VCARD\r\nFN:Half\r\n",
                                        encoding="utf-8")
        (drop / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
        (drop / "good2.vcf").write_text(card("Good Two"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 3 and events.of("failed"), what="all four files")
        (drop / "later.vcf").write_text(card("Later Person"), encoding="utf-8")  # still watching
        wait_for(lambda: len(events.of("imported")) == 4, what="a file after the bad ones")
    assert contacts(book_path) == ["Good One", "Good Two", "Later Person", "Mixed Fine"]
    mixed = next(e for e in events.of("imported") if e["file"].endswith("mixed.vcf"))
    assert (mixed["created"], mixed["failed"]) == (1, 2)
    failed = sorted(p.name for p in (drop / "failed").iterdir())
    assert failed == ["mixed.error.txt", "mixed.vcf", "photo.error.txt", "photo.jpg"]
    error = (drop / "failed" / "mixed.error.txt").read_text()
    assert "card 2 (Broken Bob): line 4 'this line has no colon' cannot be parsed" in error
    assert "card 3 (Half): END:VCARD missing" in error
    set_aside = (drop / "failed" / "mixed.vcf").read_text()
    assert "Broken Bob" in set_aside and "Half" in set_aside and "Mixed Fine" not in set_aside
    assert "not a vCard file" in (drop / "failed" / "photo.error.txt").read_text()
    assert "not a vCard file" in events.of("failed")[0]["reason"]


def test_folder_deleted_and_recreated(book_path, drop):
    with running(book_path, drop) as (_, events):
        (drop / "one.vcf").write_text(card("First Person"), encoding="utf-8")
        wait_for(lambda: events.of("imported"), what="the first import")
        shutil.rmtree(drop)
        wait_for(lambda: events.of("folder-missing"), what="the folder to be missed")
        drop.mkdir()
        wait_for(lambda: events.of("folder-back"), what="the folder to come back")
        (drop / "two.vcf").write_text(card("Second Person"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 2, what="an import in the new folder")
    assert contacts(book_path) == ["First Person", "Second Person"]


def test_folder_replaced_between_looks_is_watched_again(book_path, drop, tmp_path):
    with running(book_path, drop) as (_, events):
        shutil.rmtree(drop)
        drop.mkdir()  # at once: the watcher may never see it missing, only a new folder
        (drop / "file.vcf").write_text(card("Quick Person"), encoding="utf-8")
        wait_for(lambda: events.of("imported"), what="an import in the replaced folder")
    assert contacts(book_path) == ["Quick Person"]


def test_polling_observer_imports_too(book_path, drop, tmp_path):
    outside = tmp_path / "p.vcf"
    outside.write_text(card("Polly Poller"), encoding="utf-8")
    with running(book_path, drop, poll=True) as (_, events):
        os.rename(outside, drop / "p.vcf")
        wait_for(lambda: events.of("imported"), what="the import by polling")
    assert contacts(book_path) == ["Polly Poller"]


def test_files_already_there_are_imported_first(book_path, drop):
    for n in range(3):
        (drop / f"old{n}.vcf").write_text(card(f"Old Person{n}"), encoding="utf-8")
    with running(book_path, drop) as (_, events):
        wait_for(lambda: len(events.of("imported")) == 3, what="the catch-up")
        (drop / "new.vcf").write_text(card("New Person"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 4, what="the new file")
    assert events.files() == ["old0.vcf", "old1.vcf", "old2.vcf", "new.vcf"]


def test_an_error_that_passes_is_reported_and_retried(book_path, drop, monkeypatch):
    from rolo.core import importer

    real = importer.import_files
    calls = []

    def full_disk_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "import_files", full_disk_once)
    with running(book_path, drop) as (_, events):
        (drop / "a.vcf").write_text(card("Patient Person"), encoding="utf-8")
        wait_for(lambda: events.of("imported"), what="the import after the retry")
    (retry,) = events.of("retry")
    assert retry["reason"].startswith("No space left on device; trying again in")
    assert contacts(book_path) == ["Patient Person"]


def test_the_book_stays_usable_from_other_processes(book_path, drop):
    rolo = str(Path(sys.executable).parent / "rolo")
    adds: list[subprocess.CompletedProcess[str]] = []

    def add_people() -> None:
        for n in range(4):
            adds.append(subprocess.run([rolo, "--book", str(book_path), "add", "--name", f"Added Person{n}"],
                                       capture_output=True, text=True, check=False))

    with running(book_path, drop) as (_, events):
        adder = threading.Thread(target=add_people)
        adder.start()
        for n in range(40):
            (drop / f"d{n}.vcf").write_text(card(f"Dropped Person{n}"), encoding="utf-8")
            time.sleep(0.01)
        adder.join(timeout=60)
        wait_for(lambda: len(events.of("imported")) == 40, what="40 imports")
        found = subprocess.run([rolo, "--book", str(book_path), "search", "Dropped", "--json"],
                               capture_output=True, text=True, check=False)
    assert all(a.returncode == 0 for a in adds), [a.stderr for a in adds]
    assert count(book_path) == 44
    assert found.returncode == 0 and found.stdout.count('"uid"') == 40


def test_each_dropped_file_is_a_change_of_its_own_that_undo_reverts(book_path, drop, rolo):
    with running(book_path, drop) as (_, events):
        (drop / "ada.vcf").write_text(card("Ada Lovelace", email="ada@example.com"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 1, what="the first import")
        (drop / "grace.vcf").write_text(card("Grace Hopper", email="grace@example.com"), encoding="utf-8")
        wait_for(lambda: len(events.of("imported")) == 2, what="the second import")
    grace, ada = rolo.json("history")
    assert (ada["command"], ada["source"], ada["ops"]) == ("watch", str(drop / "ada.vcf"), {"created": 1})
    assert grace["source"] == str(drop / "grace.vcf")

    rolo("undo", str(ada["id"]))
    assert contacts(book_path) == ["Grace Hopper"]
