"""The watcher's engine without an observer: `process`, `catch_up`, what goes where, the hook, the rules
for when a file is complete."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from rolo.core.hookspecs import hookimpl
from rolo.core.plugins import new_plugin_manager
from rolo.plugins.watch.outcome import STATE_NAME, unique_path
from rolo.plugins.watch.stability import Pending, is_candidate, looks_complete
from rolo.plugins.watch.watcher import DropFolderWatcher, format_event
from watchkit import BROKEN_CARD, Events, card


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "Drop"
    folder.mkdir()
    return folder


def watcher(book, drop, **options) -> tuple[DropFolderWatcher, Events]:
    events = Events()
    return DropFolderWatcher(book, drop, log=events, **options), events


class Recorder:
    """A plugin that records what the file_imported hook hears."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def file_imported(self, book, path, report):
        self.calls.append((path, report))


def test_file_imported_hook_hears_each_imported_file(book, drop):
    pm = new_plugin_manager()
    recorder = Recorder()
    pm.register(recorder)
    (drop / "a.vcf").write_text(card("Ada Lovelace") + BROKEN_CARD, encoding="utf-8")
    (drop / "notes.txt").write_text("not a card\n", encoding="utf-8")
    engine, _ = watcher(book, drop, pm=pm)
    engine.catch_up()
    ((path, report),) = recorder.calls  # the text file imported nothing: no call for it
    assert path == str(drop / "a.vcf")
    assert (report["created"], report["failed"]) == (1, 1)
    assert report == json.loads(json.dumps(report))  # as `rolo import --json` prints it


def test_a_failing_plugin_does_not_stop_the_import(book, drop):
    class Broken:
        @hookimpl
        def file_imported(self, book, path, report):
            raise RuntimeError("plugin bug")

    pm = new_plugin_manager()
    pm.register(Broken())
    (drop / "a.vcf").write_text(card("Ada Lovelace"), encoding="utf-8")
    engine, events = watcher(book, drop, pm=pm)
    (result,) = engine.catch_up()
    assert result.status == "imported"
    assert "plugin bug" in events.of("error")[0]["message"]


def test_keep_leaves_files_and_remembers_them_by_hash(book, drop):
    (drop / "a.vcf").write_text(card("Ada Lovelace", uid="ada-1"), encoding="utf-8")
    engine, _ = watcher(book, drop, after="keep")
    assert [r.status for r in engine.catch_up()] == ["imported"]
    assert (drop / "a.vcf").exists() and not (drop / "imported").exists()
    state = json.loads((drop / STATE_NAME).read_text())
    assert [v["name"] for v in state["files"].values()] == ["a.vcf"]
    again, _ = watcher(book, drop, after="keep")  # a new run remembers
    assert [r.status for r in again.catch_up()] == ["skipped"]
    (drop / "a.vcf").write_text(card("Ada Lovelace", uid="ada-1", note="changed"), encoding="utf-8")
    assert [(r.status, r.updated) for r in again.catch_up()] == [("imported", 1)]


def test_delete_removes_imported_files(book, drop):
    (drop / "a.vcf").write_text(card("Ada Lovelace"), encoding="utf-8")
    (drop / "b.vcf").write_text(BROKEN_CARD, encoding="utf-8")
    engine, _ = watcher(book, drop, after="delete")
    results = {r.path.name: r.status for r in engine.catch_up()}
    assert results == {"a.vcf": "imported", "b.vcf": "failed"}
    assert sorted(p.name for p in drop.rglob("*") if p.is_file()) == ["b.error.txt", "b.vcf"]  # in failed/


def test_a_file_whose_only_card_fails_goes_to_failed_whole(book, drop):
    (drop / "bob.vcf").write_text(BROKEN_CARD, encoding="utf-8")
    engine, events = watcher(book, drop)
    (result,) = engine.catch_up()
    assert result.status == "failed" and result.moved_to == drop / "failed" / "bob.vcf"
    assert result.reason == "card 1 (Broken Bob): line 4 'this line has no colon' cannot be parsed"
    error = (drop / "failed" / "bob.error.txt").read_text()
    assert error == f"bob.vcf was not imported: {result.reason}\n"
    assert format_event(events.of("failed")[0]).endswith(f"bob.vcf: {result.reason} -> failed/bob.vcf")


def test_a_file_none_of_whose_cards_can_be_read_lists_each(book, drop):
    (drop / "two.vcf").write_text(BROKEN_CARD + BROKEN_CARD.replace("Bob", "Bea"), encoding="utf-8")
    engine, _ = watcher(book, drop)
    (result,) = engine.catch_up()
    assert result.reason.startswith("none of its 2 cards could be imported (card 1 (Broken Bob): line 4")
    lines = (drop / "failed" / "two.error.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == ["card 1 (Broken Bob)", "card 2 (Broken Bea)"]


def test_empty_file_is_set_aside(book, drop):
    (drop / "empty.vcf").write_bytes(b"")
    engine, _ = watcher(book, drop, settle=0.3)
    (result,) = engine.catch_up()
    assert (result.status, result.reason) == ("failed", "it is empty")


def test_utf16_file_is_imported(book, drop):
    (drop / "u16.vcf").write_bytes(card("Zoë Ünal").encode("utf-16"))
    engine, _ = watcher(book, drop)
    assert [r.status for r in engine.catch_up()] == ["imported"]
    assert [r.formatted_name for r in book.contacts()] == ["Zoë Ünal"]


def test_names_taken_get_a_counter(book, drop):
    for _ in range(3):
        (drop / "same.vcf").write_text(card("Ada Lovelace"), encoding="utf-8")
        DropFolderWatcher(book, drop, log=Events()).process(drop / "same.vcf")
    day = next((drop / "imported").iterdir())
    assert sorted(p.name for p in day.iterdir()) == ["same-2.vcf", "same-3.vcf", "same.vcf"]
    (drop / "failed").mkdir()
    (drop / "failed" / "x.error.txt").write_text("")
    assert unique_path(drop / "failed", "x.vcf", ".error.txt").name == "x-2.vcf"


def test_process_reports_a_vanished_file_as_gone(book, drop):
    engine, _ = watcher(book, drop)
    assert engine.process(drop / "nothing.vcf").status == "gone"


def test_unreadable_file_is_retried_not_failed(book, drop, monkeypatch):
    import rolo.plugins.watch.watcher as module

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(module, "_fingerprint", denied)  # as root, chmod cannot deny a read
    (drop / "a.vcf").write_text(card("Ada Lovelace"), encoding="utf-8")
    engine, events = watcher(book, drop)
    (result,) = engine.catch_up()
    assert (result.status, (drop / "a.vcf").exists()) == ("retry", True)
    assert events.of("retry")[0]["reason"].startswith("Permission denied; trying again in 0.5 s")


def test_catch_up_waits_for_a_file_still_growing(book, drop):
    path = drop / "growing.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Late", encoding="utf-8")
    engine, _ = watcher(book, drop)
    import threading

    def finish() -> None:
        time.sleep(0.5)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(" Writer\r\nEND:VCARD\r\n")

    threading.Thread(target=finish).start()
    started = time.monotonic()
    (result,) = engine.catch_up()
    assert (result.status, result.created, result.failed) == ("imported", 1, 0)
    assert time.monotonic() - started >= 0.5
    assert [r.formatted_name for r in book.contacts()] == ["Late Writer"]


def test_a_drop_folder_holding_the_book_never_files_the_book_away(drop):
    from rolo.core.book import Book
    from rolo.core.vcard import parse_card

    with Book(str(drop / "book.db")) as book:
        book.save(parse_card(card("Old Friend")))
        (drop / "new.vcf").write_text(card("New Friend"), encoding="utf-8")
        engine, _ = watcher(book, drop)
        assert [r.path.name for r in engine.catch_up()] == ["new.vcf"]
        assert (drop / "book.db").exists() and not (drop / "failed").exists()
        assert sorted(r.formatted_name for r in book.contacts()) == ["New Friend", "Old Friend"]


def test_missing_folder_is_an_error_for_catch_up(book, tmp_path):
    from rolo.core.errors import UserError

    with pytest.raises(UserError, match="does not exist"):
        DropFolderWatcher(book, tmp_path / "nope", log=Events()).catch_up()


def test_after_must_be_known(book, drop):
    with pytest.raises(ValueError, match="after must be one of"):
        DropFolderWatcher(book, drop, after="archive")


@pytest.mark.parametrize(("name", "wanted"), [
    ("contact.vcf", True), ("Contact.VCF", True), ("notes.txt", True), ("a.vcf.part", False),
    ("a.vcf.crdownload", False), ("a.vcf.tmp", False), ("a.vcf~", False), (".a.vcf", False),
    (".rolo-watch.json", False), ("a.vcf.download", False),
], ids=lambda v: v if isinstance(v, str) else "")
def test_which_names_are_imported(name, wanted):
    assert is_candidate(name) is wanted


@pytest.mark.parametrize(("data", "complete"), [
    (b"BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n", True),
    (b"BEGIN:VCARD\r\nFN:A\r\n", False),
    (b"BEGIN:VC", False),
    (b"BEGIN:VCARD\nFN:A\nEND:VCARD\n\n\n", True),
    ("BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n".encode("utf-16"), True),
    ("BEGIN:VCARD\r\nFN:A\r\n".encode("utf-16"), False),
    (b"\xff\xd8\xff\xe0 a photo", True),
    (b"hello", True),
], ids=["whole", "no-end", "begin-cut", "trailing-blank", "utf16", "utf16-no-end", "photo", "text"])
def test_looks_complete(tmp_path, data, complete):
    path = tmp_path / "f"
    path.write_bytes(data)
    assert looks_complete(path, len(data)) is complete


def test_pending_waits_for_close_after_a_write(tmp_path):
    path = tmp_path / "a.vcf"
    path.write_text(card("Ada Lovelace"), encoding="utf-8")
    pending = Pending(quiet=0.05, settle=5)
    pending.note(path, "modified")
    time.sleep(0.1)
    assert pending.take() is None  # written to, not closed: wait, though it looks complete
    pending.note(path, "closed")
    time.sleep(0.1)
    assert pending.take() == (path, True)


def test_pending_sees_a_change_without_an_event(tmp_path):
    path = tmp_path / "a.vcf"
    path.write_text(card("Ada Lovelace"), encoding="utf-8")
    pending = Pending(quiet=0.05, settle=5, trust_close=False)
    pending.note(path, "created")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(card("Grace Hopper"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    time.sleep(0.1)
    assert pending.take() is None  # size changed since the event: quiet again
    time.sleep(0.1)
    assert pending.take() == (path, True)


def test_format_event_is_one_readable_line(tmp_path):
    event = {"time": "2026-11-23T15:42:36Z", "event": "imported", "folder": str(tmp_path),
             "file": str(tmp_path / "a.vcf"), "created": 2, "updated": 1, "unchanged": 0, "failed": 1,
             "moved_to": str(tmp_path / "imported" / "2026-11-23" / "a.vcf"),
             "failed_to": str(tmp_path / "failed" / "a.vcf")}
    line = format_event(event)
    assert line.endswith("imported a.vcf: 2 created, 1 updated, 0 unchanged, 1 failed -> "
                         "imported/2026-11-23/a.vcf (failed cards: failed/a.vcf)")
    assert "\n" not in line
