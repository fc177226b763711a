"""The `register_services` hook and the daemon that runs what plugins register (SyncAPI.daemon).

A third-party-style plugin object is registered on a fresh plugin manager, as a plugin from another
distribution would be through its entry point; the daemon runs it in a thread next to the built-in `watch`
service and the periodic sync.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from harness import person
from memory_adapter import MemoryAdapter, MemoryPlugin, MemoryRemote
from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.errors import UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.api import DaemonReport, SyncAPI
from rolo.core.sync.engine import Report
from rolo.core.sync.service import Service, ServiceContext, service_factories

DEADLINE = 15.0


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


class Heartbeat:
    """A service as a plugin author writes one: logs, writes to its own book, waits for `stop`."""

    started: list[ServiceContext] = []

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        Heartbeat.started.append(context)

    def run(self, stop: threading.Event) -> None:
        self.context.book.add(person("hb-1", "Heart Beat", "beat@example.com"))
        self.context.log(f"beat ({self.context.options.get('colour')})")
        while not stop.wait(0.05):
            pass


class Broken:
    """A service whose run fails at once."""

    def __init__(self, context: ServiceContext) -> None:
        pass

    def run(self, stop: threading.Event) -> None:
        raise UserError("the broken service broke")


class HeartbeatPlugin:
    """A third-party plugin offering services through the hook."""

    def __init__(self, **factories: Any) -> None:
        self.factories = factories or {"heartbeat": Heartbeat}

    @hookimpl
    def register_services(self, register: Callable[[str, Any], None]) -> None:
        for name, factory in self.factories.items():
            register(name, factory)


@pytest.fixture
def config(rolo_home):
    (rolo_home / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
    return load_config()


@pytest.fixture
def pm():
    Heartbeat.started.clear()
    return new_plugin_manager()


class Daemon:
    """SyncAPI.daemon in a thread, with its log lines and sync outcomes collected."""

    def __init__(self, api: SyncAPI, **options: Any) -> None:
        self.stop = threading.Event()
        self.lines: list[str] = []
        self.outcomes: list[Any] = []
        self.report: DaemonReport | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.report = api.daemon(stop=self.stop, log=self.lines.append, on_result=self.outcomes.append,
                                         **options)
            except BaseException as exc:  # noqa: BLE001 (handed to the test)
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finish(self) -> DaemonReport:
        self.stop.set()
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "the daemon did not stop"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


@pytest.fixture
def run_daemon() -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(api: SyncAPI, **options: Any) -> Daemon:
        daemon = Daemon(api, **options)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop.set()
        daemon.thread.join(DEADLINE)


def test_a_third_party_service_runs_with_its_own_book_and_the_daemon_options(book, book_path, config, pm,
                                                                             run_daemon):
    pm.register(HeartbeatPlugin(), name="heartbeat-plugin")
    api = SyncAPI(book, config, pm)
    assert sorted(api.services()) == ["heartbeat", "reminders", "watch", "webhooks"]  # built-ins come through entry points

    daemon = run_daemon(api, sync=False, skip=["watch"], options={"colour": "blue"}, every="5m")
    wait_for(lambda: "beat (blue)" in daemon.lines, "the service's log line")
    with Book(str(book_path)) as reader:
        assert reader.get("beat@example.com").formatted_name == "Heart Beat"
    report = daemon.finish()

    (context,) = Heartbeat.started
    assert context.name == "heartbeat" and context.plugin_manager is pm and context.config is config
    assert context.book is not book and context.book.location == book.location
    assert context.options == {"colour": "blue", "every": 300.0}
    assert isinstance(report, DaemonReport) and report.services == ["heartbeat"] and report.sync is None
    assert report.exit_code == 0 and report.as_dict() == {"services": ["heartbeat"], "sync": None, "errors": {}}
    assert daemon.lines[-1] == "stopping"


def test_a_failing_service_is_reported_and_the_others_go_on(book, config, pm, run_daemon):
    pm.register(HeartbeatPlugin(heartbeat=Heartbeat, broken=Broken), name="heartbeat-plugin")
    daemon = run_daemon(SyncAPI(book, config, pm), sync=False, skip=["watch"])
    wait_for(lambda: "Error: broken: the broken service broke" in daemon.lines, "the failure to be logged")
    wait_for(lambda: any(line.startswith("beat") for line in daemon.lines), "the heartbeat")
    assert daemon.thread.is_alive()  # the heartbeat still runs
    report = daemon.finish()
    assert report.errors == {"broken": "the broken service broke"} and report.exit_code == 1


def test_a_factory_may_stay_out_and_nothing_to_run_is_an_error(book, config, pm):
    pm.register(HeartbeatPlugin(quiet=lambda context: None), name="quiet-plugin")
    api = SyncAPI(book, config, pm)
    with pytest.raises(UserError, match="nothing to do"):
        api.daemon(stop=threading.Event(), sync=False, skip=["watch"])
    with pytest.raises(UserError, match="nothing to do"):
        api.daemon(stop=threading.Event(), skip=["watch", "quiet"])  # no remotes configured either


def test_the_daemon_syncs_every_remote_beside_the_services(book, config, pm, run_daemon, rolo_home):
    MemoryAdapter.REMOTES["mem"] = MemoryRemote(name="mem")
    try:
        pm.register(MemoryPlugin(), name="memory-test")
        pm.register(HeartbeatPlugin(), name="heartbeat-plugin")
        api = SyncAPI(book, config, pm)
        api.add_remote("mem", "memory", url="memory://mem")
        book.add(person("u1", "Ada Lovelace", "ada@example.com"))
        daemon = run_daemon(api, every="1h", skip=["watch"])
        wait_for(lambda: daemon.outcomes, "a sync")
        report = daemon.finish()
    finally:
        MemoryAdapter.REMOTES.pop("mem", None)
    (outcome,) = daemon.outcomes
    assert isinstance(outcome, Report) and outcome.counts["remote_created"] >= 1
    assert "syncing mem every 1h" in daemon.lines
    assert report.services == ["heartbeat"] and report.sync is not None and report.sync.runs == {"mem": 1}


@pytest.mark.parametrize(("factories", "message"), [
    ({"sync": Heartbeat}, "a plugin registered a service named 'sync'"),
    ({"Bad Name": Heartbeat}, "a plugin registered a service named 'Bad Name'"),
    ({"hb": "not callable"}, "is not a factory"),
], ids=["reserved-name", "bad-name", "not-callable"])
def test_bad_registrations_are_refused(pm, factories, message):
    pm.register(HeartbeatPlugin(**factories), name="bad-plugin")
    with pytest.raises(UserError, match=message):
        service_factories(pm)


def test_two_plugins_cannot_register_one_name(pm):
    pm.register(HeartbeatPlugin(), name="one")
    pm.register(HeartbeatPlugin(heartbeat=Broken), name="two")
    with pytest.raises(UserError, match="two plugins register a service named 'heartbeat'"):
        service_factories(pm)


def test_a_service_is_anything_with_run():
    assert isinstance(Heartbeat.__new__(Heartbeat), Service)
    assert not isinstance(object(), Service)
