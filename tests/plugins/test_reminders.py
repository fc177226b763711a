"""`rolo daemon`'s `reminders` service (rolo.plugins.reminders, a built-in plugin) and the `contact_due` hook
(issue 13): overdue contacts are logged, and a third-party plugin hears of each, even when another fails."""

from __future__ import annotations

import threading
import time
from typing import Any

from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.hookspecs import hookimpl
from rolo.core.keep_in_touch import Due
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import ContactRecord
from rolo.core.sync.api import SyncAPI


class Notifier:
    """A third-party plugin that notifies of overdue contacts (here: remembers them)."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, int, str]] = []

    @hookimpl
    def contact_due(self, book: Book, contact: ContactRecord, due: Due) -> None:
        self.heard.append((contact.display_name(), due.overdue_days, due.source))


class Broken:
    @hookimpl
    def contact_due(self, book: Book, contact: ContactRecord, due: Due) -> None:
        raise RuntimeError("the notification server is down")


def _run(api: SyncAPI, until: Any, **options: Any) -> list[str]:
    lines: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=lambda: api.daemon(stop=stop, sync=False, skip=["watch"], log=lines.append,
                                                        options=options), daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not until() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(15)
    assert not thread.is_alive()
    return lines


def test_the_daemon_logs_overdue_contacts_and_calls_contact_due_daily(rolo, book_path, rolo_home):
    (rolo_home / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "family")
    rolo("add", "--name", "Alan Turing", "--email", "alan@example.com")
    rolo("add", "--name", "Grace Hopper", "--email", "grace@example.com", "--label", "family")
    rolo("keep", "--label", "family", "--every", "2w")
    rolo("keep", "alan@example.com", "--every", "30d")
    rolo("log", "ada@example.com", "--via", "call", "--at", "30d ago", "Called")
    rolo("log", "alan@example.com", "--via", "call", "--at", "40d ago", "Called")
    rolo("log", "grace@example.com", "--via", "call", "--at", "yesterday", "Called")  # not due
    notifier, broken = Notifier(), Broken()
    pm = new_plugin_manager()
    pm.register(broken, name="broken-notifier")
    pm.register(notifier, name="notifier")
    with Book(str(book_path)) as book:
        api = SyncAPI(book, load_config(), pm)
        # due_every: a look every 0.2 s instead of every day, so a second look happens within the test
        lines = _run(api, lambda: len(notifier.heard) >= 4, due_every=0.2)
    assert notifier.heard[:4] == [("Ada Lovelace", 16, "label family"), ("Alan Turing", 10, "own")] * 2
    assert "reminders: Ada Lovelace is overdue by 16 days (last contacted " in "\n".join(lines)
    assert any("plugin broken-notifier failed on Ada Lovelace: RuntimeError: the notification server is down"
               in line for line in lines)
    assert not any("Grace Hopper" in line for line in lines)


def test_a_book_without_cadences_runs_no_reminders(book_path, rolo, rolo_home):
    (rolo_home / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    with Book(str(book_path)) as book:
        api = SyncAPI(book, load_config(), new_plugin_manager())
        assert "reminders" in api.services()
        assert "nothing to do" in rolo.fails("daemon", "--no-watch", "--no-sync")
