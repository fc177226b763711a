"""The book under concurrent load: `rolo watch` (a real watchdog observer) importing drops, `rolo sync
--every` against a Relm emulator whose users keep adding people, and CLI writes from two threads (add, edit
--set, note add, label add, field set), all on one book for a bounded time (60 s under `make soak`). No
output ever says "database is locked", every command acknowledged succeeded, and every acknowledged write is
in the book afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from chaoskit import ROLO, Tally, inspect, locked_in, rolo, scaled

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))
from rolo.adapters.conformance import TOKEN_ENV  # noqa: E402
from rolo.adapters.relm.emulator import RelmEmulator  # noqa: E402
from rolo.core.book import Book  # noqa: E402

SECONDS = scaled(12, 60)


class _Writer(threading.Thread):
    """CLI writes in a loop, each acknowledged one remembered: (kind, uid, value)."""

    def __init__(self, name: str, book: Path, env: dict[str, str], until: float) -> None:
        super().__init__(daemon=True)
        self.prefix, self.book, self.env, self.until = name, book, env, until
        self.acknowledged: list[tuple[str, str, str]] = []
        self.outputs: list[str] = []
        self.failures: list[str] = []

    def _rolo(self, *args: str) -> str | None:
        done = rolo(*args, book=self.book, env=self.env, timeout=120)
        self.outputs.append(done.stdout + done.stderr)
        if done.returncode != 0:
            self.failures.append(f"rolo {' '.join(args)} -> {done.returncode}: {done.stderr.strip()}")
            return None
        return done.stdout.strip()

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.until:
            n += 1
            email = f"{self.prefix}{n}@example.com"
            uid = self._rolo("add", "--name", f"Writer {self.prefix} {n}", "--email", email)
            if uid is None:
                continue
            self.acknowledged.append(("add", uid, email))
            if self._rolo("edit", uid, "--set", f"title=Title {n}") is not None:
                self.acknowledged.append(("title", uid, f"Title {n}"))
            if self._rolo("note", "add", uid, f"note {self.prefix} {n}") is not None:
                self.acknowledged.append(("note", uid, f"note {self.prefix} {n}"))
            if self._rolo("label", "add", uid, f"team-{self.prefix}") is not None:
                self.acknowledged.append(("label", uid, f"team-{self.prefix}"))
            if self._rolo("field", "set", uid, "tier", "close") is not None:
                self.acknowledged.append(("field", uid, "close"))


def _card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Drop {uid}\r\nEMAIL:{uid}@example.com\r\nEND:VCARD\r\n"


def test_watcher_sync_and_cli_writes_at_once_lose_nothing_and_never_lock(tmp_path):
    book, drop = tmp_path / "book.db", tmp_path / "Drop"
    drop.mkdir()
    tally = Tally("concurrency")
    with RelmEmulator() as relm:
        env = {**os.environ, TOKEN_ENV: relm.api_key}
        for args in (("init",), ("field", "define", "tier", "--type", "select", "--option", "close"),
                     ("remote", "add", "crm", "--adapter", "relm", "--url", relm.url, "--token-env", TOKEN_ENV)):
            assert rolo(*args, book=book, env=env).returncode == 0
        logs = [tmp_path / "watch.log", tmp_path / "sync.log"]
        services = [subprocess.Popen([ROLO, "--book", str(book), *args], env=env, stdout=log.open("w"),
                                     stderr=subprocess.STDOUT)
                    for args, log in ((("watch", str(drop), "--json"), logs[0]), (("sync", "--every", "2s"), logs[1]))]
        until = time.monotonic() + SECONDS
        writers = [_Writer(name, book, env, until) for name in ("a", "b")]
        for writer in writers:
            writer.start()
        dropped, remote_added = [], []
        while time.monotonic() < until:
            uid = f"drop-{len(dropped)}"
            (drop / f"{uid}.vcf").write_text(_card(uid), encoding="utf-8", newline="")
            dropped.append(uid)
            if len(dropped) % 5 == 0:  # someone adds a person in the CRM: the next sync pulls it in
                email = f"crm{len(remote_added)}@example.com"
                relm.store.create_contact(first_name="Crm", last_name=str(len(remote_added)), email=email)
                remote_added.append(email)
            time.sleep(0.1)
        for writer in writers:
            writer.join(120)
        # the last drops and a last sync: wait until the watcher has them, then stop the services as Ctrl-C does
        deadline = time.monotonic() + 60
        while any(drop.glob("*.vcf")) and time.monotonic() < deadline:
            time.sleep(0.1)
        for service in services:
            service.send_signal(signal.SIGINT)
            service.wait(60)
        final = rolo("sync", book=book, env=env, timeout=120)
        syncs = logs[1].read_text().count("crm:")
        outputs = [log.read_text() for log in logs] + [final.stdout + final.stderr]
        outputs += [text for writer in writers for text in writer.outputs]

    tally.rounds, tally.inputs = 1, len(dropped) + sum(len(w.acknowledged) for w in writers) + len(remote_added)
    tally.locked = locked_in(outputs)
    tally.note = f"{SECONDS} s: {len(dropped)} drops, {syncs} syncs, {len(remote_added)} pulled, CLI writes"
    assert tally.locked == 0, [text for text in outputs if "locked" in text.lower()][:3]
    assert not [text for text in outputs if "Traceback" in text]
    assert final.returncode == 0, final.stderr
    failures = [f for writer in writers for f in writer.failures]
    assert not failures, failures[:5]
    inspect(book).assert_sound()

    lost = []
    with Book(str(book), region="US") as opened:
        for writer in writers:
            latest: dict[tuple[str, str], str] = {}
            for kind, uid, value in writer.acknowledged:
                latest[(kind, uid)] = value
            for (kind, uid), value in latest.items():
                contact = opened.get(uid)
                found = {"add": lambda: contact.emails[0].address == value,
                         "title": lambda: contact.title == value,
                         "note": lambda: value in [e["body"] for e in opened.notes_log(uid)],
                         "label": lambda: value in contact.labels,
                         "field": lambda: contact.custom_fields.get("tier") == value}[kind]()
                if not found:
                    lost.append((kind, uid, value))
        for uid in dropped:
            if not opened.search(f"email:{uid}@example.com"):
                lost.append(("drop", uid, ""))
        for email in remote_added:
            if not opened.search(f"email:{email}"):
                lost.append(("pulled", email, ""))
        synced = json.loads(rolo("remote", "show", "crm", "--json", book=book, env=env).stdout)
    tally.lost = len(lost)
    tally.record()
    assert not lost, lost[:10]
    assert sum(len(w.acknowledged) for w in writers) > 20 and len(dropped) > 20, "too little load to mean much"
    assert synced and syncs >= 2, f"the periodic sync ran {syncs} times"
