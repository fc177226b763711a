"""AdapterConformance: the sync scenarios every adapter must pass, over real HTTP against its emulator.

Shipped with rolo (`rolo.adapters.conformance`, needs pytest) so that a third-party adapter's author runs
exactly the suite the built-in adapters pass. Like vdirsyncer's storage tests, the scenarios are written
once and each adapter's test module subclasses the class and supplies the fixtures below (rolo's own are in
`tests/adapters/test_relm.py` and its siblings):

    from rolo.adapters.conformance import AdapterConformance

    class TestMyCrm(AdapterConformance):
        @pytest.fixture
        def adapter_name(self): return "mycrm"          # the adapter's registered name

        @pytest.fixture
        def remote_side(self): ...                       # a RemoteSide on your emulator, reset per test

- `remote_side`: a `RemoteSide` for the adapter's emulator, reset for each test: its `url`, an `api_key`, and
  ways to change the remote "as a user would" (in the remote's own API or store, not through the adapter),
  and fault switches;
- `adapter_name` and `adapter_options`: how `rolo remote add` configures it.

The engine runs exactly as `rolo sync` runs it (`rolo.core.sync.api.SyncAPI.sync_remote` on a config file), so
these tests cover the remote config, the token from the environment and the HTTP client as well.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Protocol

import pytest
from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.errors import AdapterUnavailable
from rolo.core.fields import FieldDefinition
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import AddressEntry, ContactRecord, EmailEntry, UrlEntry
from rolo.core.sync import remotes
from rolo.core.sync.api import SyncAPI
from rolo.core.sync.engine import Report
from rolo.core.sync.merge import project, same

TOKEN_ENV = "ROLO_TEST_REMOTE_TOKEN"
REMOTE = "crm"


class RemoteSide(Protocol):
    """The remote as its users (and its operators' fault switches) act on it."""

    url: str
    api_key: str

    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        """Create a record as a user would type it; `fields` in book vocabulary (e.g. custom_fields)."""

    def edit(self, rid: str, **fields: Any) -> None:
        """Change a record's fields (book vocabulary: given_name, family_name, emails, custom_fields...)."""

    def remove(self, rid: str) -> None:
        """Delete a record."""

    def find_email(self, email: str) -> str:
        """The id of the record with this email."""

    def storm(self, status: int, every: int) -> None:
        """Answer every `every`th request with `status` (429 with Retry-After, or 5xx) until `calm`."""

    def calm(self) -> None:
        """Clear every fault switch."""

    def slow(self, seconds: float) -> None:
        """Delay every answer."""

    def refusable(self) -> ContactRecord:
        """A contact the book accepts and the remote refuses (a validation error)."""


def person(uid: str, given: str, family: str | None, email: str | None, **extra: Any) -> ContactRecord:
    return ContactRecord(uid=uid, formatted_name=" ".join(p for p in (given, family) if p), given_name=given,
                         family_name=family, emails=[EmailEntry(email, None, True)] if email else [], **extra)


class AdapterConformance:
    """The scenarios. Subclass with the fixtures `remote_side`, `adapter_name` and `adapter_options`."""

    # -- plumbing ---------------------------------------------------------------------------------------------
    # The book and home fixtures are defined here too, so the suite runs outside rolo's own test tree.
    @pytest.fixture
    def rolo_home(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        monkeypatch.setenv("ROLO_HOME", str(home))
        return home

    @pytest.fixture
    def book_path(self, tmp_path: Path) -> Path:
        return tmp_path / "book.db"

    @pytest.fixture
    def book(self, book_path: Path, rolo_home: Path):  # type: ignore[no-untyped-def]
        with Book(str(book_path), region="US") as opened:
            yield opened

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        return {}

    @pytest.fixture
    def config_file(self, rolo_home: Path, remote_side: RemoteSide, adapter_name: str,
                    adapter_options: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
        """rolo.toml with the remote `crm` on the emulator; the token in the environment."""
        path = rolo_home / "rolo.toml"
        path.write_text('default_region = "US"\n', encoding="utf-8")
        remotes.add_remote(path, remotes.Remote(REMOTE, adapter_name, remote_side.url, token_env=TOKEN_ENV,
                                                options=dict(adapter_options), timeout=10))
        monkeypatch.setenv(TOKEN_ENV, remote_side.api_key)
        return path

    @pytest.fixture
    def sync(self, book: Book, config_file: Path):
        pm = new_plugin_manager()

        def run(**options: Any) -> Report:
            return SyncAPI(book, load_config(config_file), pm).sync_remote(REMOTE, **options)

        return run

    def remote_records(self, config_file: Path) -> list[dict[str, Any]]:
        """Every remote record, read back through a fresh adapter (book vocabulary)."""
        config = load_config(config_file)
        adapter = remotes.open_adapter(remotes.get_remote(config, REMOTE), new_plugin_manager())
        try:
            return [r.data for r in adapter.list_changes(None).records]
        finally:
            adapter.client.close()

    def assert_in_step(self, book: Book, config_file: Path) -> None:
        """Book and remote hold the same people, field for field (what the remote carries), once each."""
        config = load_config(config_file)
        caps = remotes.adapter_class(new_plugin_manager(), remotes.get_remote(config, REMOTE).adapter).capabilities
        local = {_key(d): d for d in (project(r.to_json(), caps) for r in book.contacts())}
        remote = self.remote_records(config_file)
        assert len(local) == len(book.contacts()), "two local contacts look alike"
        keys = [_key(d) for d in remote]
        assert len(set(keys)) == len(keys), f"duplicates remotely: {sorted(keys)}"
        assert set(keys) == set(local), (sorted(set(keys) ^ set(local)))
        for data in remote:
            mine = local[_key(data)]
            for name in caps.fields:
                assert same(name, mine.get(name), data.get(name), caps), (name, mine.get(name), data.get(name))

    # -- scenarios --------------------------------------------------------------------------------------------
    def test_first_sync_both_ways(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com", organization="Analytical Engines"))
        book.add(person("u2", "Grace", "Hopper", "grace@example.com"))
        book.add(person("u3", "Nomail", "Person", None))
        remote_side.add("Alan", "Turing", "alan@example.com")
        remote_side.add("Grace", "Hopper", "GRACE@example.com")

        report = sync()

        assert report.exit_code == 0, report.as_dict()
        assert report.counts.get("local_created") == 1 and report.counts.get("remote_created") == 2
        assert report.counts.get("linked") == 1
        self.assert_in_step(book, config_file)
        assert sync().counts == {}  # and a no-op after

    def test_fields_the_remote_cannot_carry_are_left_untouched_locally(self, book, remote_side, sync, config_file):
        config = load_config(config_file)
        caps = remotes.adapter_class(new_plugin_manager(), remotes.get_remote(config, REMOTE).adapter).capabilities
        local_only = {
            "nickname": "Enchantress", "department": "Engines", "title": "Countess", "birthday": "1815-12-10",
            "notes": "Wrote the first program", "starred": True,
            "addresses": [AddressEntry(label="home", street="12 St James's Square", locality="London",
                                       country="United Kingdom")],
            "urls": [UrlEntry("https://ada.example", "website")],
        }
        uncarried = {k: v for k, v in local_only.items() if k not in caps.fields}
        if not uncarried:
            pytest.skip("the adapter carries every field this scenario checks")
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com", **uncarried))
        sync()
        remote_side.edit(remote_side.find_email("ada@example.com"), family_name="King")  # a change it carries

        report = sync()

        assert report.exit_code == 0, report.as_dict()
        ada = book.get("ada@example.com")
        assert ada.family_name == "King"
        for name, value in uncarried.items():
            assert getattr(ada, name) == value, name
        self.assert_in_step(book, config_file)

    def test_edits_on_each_side(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
        alan = remote_side.add("Alan", "Turing", "alan@example.com")
        sync()
        book.update("ada@example.com", lambda c: dataclasses.replace(c, family_name="King", organization="Babbage & Co"))
        remote_side.edit(alan, family_name="Turing-Smith")

        report = sync()

        assert report.counts == {"local_updated": 1, "remote_updated": 1}, report.as_dict()
        assert book.get("alan@example.com").family_name == "Turing-Smith"
        self.assert_in_step(book, config_file)

    @pytest.mark.parametrize("policy", ["local", "remote", "newest"])
    def test_conflicting_edits_under_each_policy(self, book, remote_side, sync, config_file, policy):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
        sync()
        rid = remote_side.find_email("ada@example.com")
        book.update("ada@example.com", lambda c: dataclasses.replace(c, family_name="Local"))
        time.sleep(0.01)
        remote_side.edit(rid, family_name="Remote")

        report = sync(policy=policy)

        (conflict,) = report.conflicts
        assert conflict["field"] == "family_name"
        kept = conflict["kept"]
        assert kept == policy if policy != "newest" else kept in ("local", "remote")
        assert book.get("ada@example.com").family_name == ("Local" if kept == "local" else "Remote")
        (logged,) = book.sync_state.conflicts()
        assert {logged["local"], logged["remote_value"]} == {"Local", "Remote"}
        self.assert_in_step(book, config_file)

    def test_deletions_each_way(self, book, remote_side, sync, config_file):
        for i in range(4):
            book.add(person(f"u{i}", "Person", str(i), f"p{i}@example.com"))
        alan = remote_side.add("Alan", "Turing", "alan@example.com")
        sync()
        book.delete("p1@example.com")
        remote_side.remove(alan)
        remote_side.remove(remote_side.find_email("p2@example.com"))

        report = sync()

        assert report.counts == {"local_deleted": 2, "remote_deleted": 1}, report.as_dict()
        assert sorted(c.emails[0].address for c in book.contacts()) == ["p0@example.com", "p3@example.com"]
        self.assert_in_step(book, config_file)

    def test_custom_fields_and_labels_round_trip(self, book, remote_side, sync, config_file):
        book.define_field(FieldDefinition("tier", "select", ["close", "friend"]))
        book.define_field(FieldDefinition("met_at", "text"))
        book.define_field(FieldDefinition("score", "number"))
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com", labels=["math", "Book Club"],
                        custom_fields={"tier": "close", "met_at": "Royal Society", "score": 9}))
        sync()
        rid = remote_side.find_email("ada@example.com")
        remote_side.edit(rid, custom_fields={"tier": "friend"}, labels=["math", "Book Club", "poetry"])

        sync()

        ada = book.get("ada@example.com")
        assert ada.custom_fields == {"tier": "friend", "met_at": "Royal Society", "score": 9}
        assert ada.labels == ["Book Club", "math", "poetry"]
        self.assert_in_step(book, config_file)
        book.update("ada@example.com", lambda c: dataclasses.replace(c, labels=["math"], custom_fields={"score": 10}))
        sync()
        self.assert_in_step(book, config_file)
        assert sync().counts == {}

    def test_a_contact_the_remote_rejects_is_skipped_and_reported(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
        book.add(remote_side.refusable())
        book.add(person("u3", "Grace", "Hopper", "grace@example.com"))

        report = sync()

        assert report.exit_code == 3 and len(report.skipped) == 1, report.as_dict()
        assert report.counts.get("remote_created") == 2
        assert len(self.remote_records(config_file)) == 2

    @pytest.mark.parametrize(("status", "every"), [(429, 2), (500, 2), (503, 3)], ids=["429", "500", "503"])
    def test_storms_of_faults_are_ridden_out(self, book, remote_side, sync, config_file, status, every):
        for i in range(10):
            book.add(person(f"u{i}", "Person", str(i), f"p{i}@example.com" if i % 2 else None))
        remote_side.add("Alan", "Turing", "alan@example.com")
        remote_side.storm(status, every)
        report = sync()
        remote_side.calm()
        assert report.exit_code == 0, report.as_dict()
        self.assert_in_step(book, config_file)

    def test_a_remote_that_stays_down_fails_the_run_and_loses_nothing(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
        remote_side.storm(503, 1)
        with pytest.raises(AdapterUnavailable):
            sync()
        remote_side.calm()
        assert sync().exit_code == 0
        self.assert_in_step(book, config_file)

    @pytest.mark.parametrize("seed", [4242, 7], ids=lambda s: f"seed-{s}")
    def test_a_sync_killed_at_random_points_resumes_with_nothing_lost_or_doubled(
        self, book, book_path, remote_side, config_file, rolo_home, seed
    ):
        rng = random.Random(seed)
        for i in range(150):
            book.add(person(f"u{i}", "Local", str(i), f"l{i}@example.com" if i % 3 else None))
        for i in range(20):
            remote_side.add("Remote", str(i), f"r{i}@example.com")
        book.close()
        remote_side.slow(0.02)
        env = {**os.environ, "ROLO_HOME": str(rolo_home), TOKEN_ENV: remote_side.api_key}
        command = [str(Path(sys.executable).parent / "rolo"), "--book", str(book_path), "sync", "--json"]
        kills, expected = 0, 150 + 20 - 1
        for round_ in range(8):
            # Fresh work on both sides before every run, so that each run has something to be killed in
            # (otherwise the first complete run leaves nothing but quick no-op syncs).
            with Book(str(book_path)) as b:
                for j in range(8):
                    b.add(person(f"n{round_}-{j}", "New", f"{round_}-{j}", f"n{round_}-{j}@example.com"))
                if round_ == 3:  # both sides change between interrupted runs
                    b.update("l1@example.com", lambda c: dataclasses.replace(c, family_name="Edited"))
                    b.delete("l2@example.com")
            remote_side.add("Remote", f"x{round_}", f"x{round_}@example.com")
            expected += 9
            if round_ == 3:
                remote_side.edit(remote_side.find_email("r1@example.com"), family_name="Edited")
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.4, 1.6))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(30)
        # every fault off and a fresh rate-limit window: the killed runs may have spent most of the remote's
        # allowance (Relm's emulator allows 1,000 requests a minute), and this run must finish
        remote_side.calm()
        assert kills >= 3, "the syncs finished before they could be killed: slow the remote down"
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert final.returncode == 0, final.stdout + final.stderr
        with Book(str(book_path)) as b:
            assert len(b.contacts()) == expected
            self.assert_in_step(b, config_file)
            assert b.get("r1@example.com").family_name == "Edited"
            assert b.sync_state.pending_count() == 0


def _key(data: dict[str, Any]) -> str:
    emails = data.get("emails") or []
    if emails and emails[0].get("address"):
        return str(emails[0]["address"]).casefold()
    return f"{data.get('given_name')} {data.get('family_name')}"
