"""rolo.core.sync.api.SyncAPI: the Python API beneath `rolo remote`, `rolo sync` and `rolo conflicts`.

Every method returns a dataclass whose `as_dict()` is what the command prints with --json; every argument is
checked here, once (the CLI only parses and prints). Against MemoryAdapter, through a real config file.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator

import pytest
from harness import person, remote_person
from memory_adapter import MemoryAdapter, MemoryPlugin, MemoryRemote
from rolo.core.config import load_config
from rolo.core.errors import AdapterUnavailable, NotFoundError, UserError
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.api import (
    AdapterInfo,
    Conflict,
    RemoteAdded,
    RemoteInfo,
    RemoteRemoved,
    RemoteTestResult,
    Resolution,
    ScheduleReport,
    SyncAPI,
    SyncFailure,
    SyncResult,
    parse_options,
)
from rolo.core.sync.engine import Report
from rolo.core.sync.remotes import Remote


@pytest.fixture
def remotes_() -> Iterator[dict[str, MemoryRemote]]:
    made = {name: MemoryRemote(name=name) for name in ("mem", "other")}
    MemoryAdapter.REMOTES.update(made)
    yield made
    for name in made:
        MemoryAdapter.REMOTES.pop(name, None)


@pytest.fixture
def pm():
    pm = new_plugin_manager()
    pm.register(MemoryPlugin(), name="memory-test")
    return pm


@pytest.fixture
def api(book, rolo_home, pm, remotes_) -> SyncAPI:
    (rolo_home / "rolo.toml").write_text('default_region = "US"\n', encoding="utf-8")
    return SyncAPI(book, load_config(), pm)


def _add(api: SyncAPI, name: str = "mem", **extra) -> RemoteAdded:
    return api.add_remote(name, "memory", url=f"memory://{name}", **extra)


def test_adapters_are_listed_as_dataclasses(api):
    found = {info.name: info for info in api.adapters()}
    assert isinstance(found["memory"], AdapterInfo) and found["memory"].module == MemoryAdapter.__module__
    assert "relm" in found  # the built-ins come through the same entry points
    data = json.loads(found["memory"].to_json())
    assert data["options"] == dict(MemoryAdapter.options) and data["capabilities"]["batch"] is True


def test_add_list_show_test_and_remove_a_remote(api, book, rolo_home):
    added = _add(api, options=["remote=mem"], conflict="remote")
    assert isinstance(added, RemoteAdded) and added.token is None and added.config_path == rolo_home / "rolo.toml"
    assert added.as_dict()["remote"]["options"] == {"remote": "mem"}
    # the config is reloaded: the new remote is usable at once
    (listed,) = api.list_remotes()
    assert isinstance(listed, Remote) and (listed.name, listed.conflict) == ("mem", "remote")

    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    api.sync()
    info = api.show_remote("mem")
    assert isinstance(info, RemoteInfo) and info.linked == 1 and info.adapter_error is None
    data = info.as_dict()
    assert (data["name"], data["linked"], data["pending"], data["open_conflicts"]) == ("mem", 1, 0, 0)
    assert data["capabilities"]["batch"] is True and data["runs"][0]["status"] == "ok"

    tested = api.test_remote("mem")
    assert isinstance(tested, RemoteTestResult) and tested.facts == {"records": 1}
    assert tested.as_dict() == {"remote": "mem", "ok": True, "records": 1}

    asked: list[int] = []
    kept = api.remove_remote("mem", confirm=lambda links: asked.append(links) or False)
    assert isinstance(kept, RemoteRemoved) and not kept.removed and asked == [1]
    assert [r.name for r in api.list_remotes()] == ["mem"]
    removed = api.remove_remote("mem", confirm=lambda links: True)
    assert removed.as_dict() == {"name": "mem", "links": 1, "removed": True}
    assert api.list_remotes() == []
    with pytest.raises(UserError, match="no remote named 'mem'"):
        api.show_remote("mem")


def test_show_reports_a_missing_adapter_instead_of_failing(api, rolo_home):
    _add(api)
    with (rolo_home / "rolo.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[remotes.gone]\nadapter = "uninstalled"\nurl = "http://x"\n')
    api = SyncAPI(api.book, load_config(), api.plugin_manager)
    data = api.show_remote("gone").as_dict()
    assert data["capabilities"] is None and "no adapter named 'uninstalled'" in data["adapter_error"]
    assert "adapter_options" not in data


def test_a_token_is_read_only_once_everything_else_is_valid(api, rolo_home, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    read: list[str] = []

    def token() -> str:
        read.append("read")
        return "secret-token\n"

    with pytest.raises(UserError, match="no option colour"):
        _add(api, options={"colour": "red"}, token=token)
    assert read == []
    added = _add(api, token=token)
    assert read == ["read"] and added.token == f"file {rolo_home / 'tokens.toml'}"
    assert "secret-token" not in (rolo_home / "rolo.toml").read_text()


INVALID = [
    ("bad-name", dict(name="9lives"), "invalid remote name"),
    ("option-without-equals", dict(options=["colour"]), "--option 'colour': use KEY=VALUE"),
    ("unknown-option", dict(options=["colour=red"]), "adapter memory has no option colour (options: remote)"),
    ("no-url", dict(url=None), "adapter memory needs --url"),
    ("token-env-and-token", dict(token_env="KEY", token="x"), "give --token-env or --token-stdin, not both"),
    ("empty-token", dict(token="  \n"), "the token is empty"),
    ("bad-duration", dict(full_every="soon"), "invalid duration 'soon'"),
    ("bad-policy", dict(conflict="mine"), "conflict policy must be one of local, remote, newest"),
    ("unknown-adapter", dict(adapter="nope"), "no adapter named 'nope'"),
]


@pytest.mark.parametrize(("case", "change", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_add_remote_refuses_bad_input_and_writes_nothing(api, rolo_home, case, change, message):
    before = (rolo_home / "rolo.toml").read_text()
    arguments = {"name": "mem", "adapter": "memory", "url": "memory://mem", **change}
    with pytest.raises(UserError) as caught:
        api.add_remote(arguments.pop("name"), arguments.pop("adapter"), **arguments)
    assert message in str(caught.value)
    assert (rolo_home / "rolo.toml").read_text() == before


def test_parse_options_takes_a_mapping_or_key_value_texts():
    assert parse_options(["a=1", " b = two=2 "]) == {"a": "1", "b": "two=2"}
    assert parse_options({"a": 1}) == {"a": "1"} and parse_options(None) == {}


def test_sync_returns_a_report_per_remote_and_a_failure_for_the_one_that_failed(api, book, remotes_):
    _add(api, "mem")
    _add(api, "other")
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    remotes_["other"].fail_on("list", error=AdapterUnavailable("remote down", adapter="memory"))
    heard: list[str] = []

    result = api.sync(on_result=lambda outcome: heard.append(outcome.remote))

    assert isinstance(result, SyncResult) and heard == ["mem", "other"]
    report, failure = result.outcomes
    assert isinstance(report, Report) and report.counts == {"remote_created": 1}
    assert isinstance(failure, SyncFailure) and failure.message == "remote down"
    assert result.exit_code == 1
    assert [item["status"] for item in result.as_dict()] == ["ok", "failed"]  # type: ignore[index]

    one = api.sync(["mem"])
    assert one.exit_code == 0 and one.as_dict()["remote"] == "mem"  # type: ignore[call-overload]
    remotes_["other"].fail_on("list")  # each fault is one-shot
    with pytest.raises(AdapterUnavailable):
        api.sync(["other"], raise_errors=True)


def test_sync_options_are_checked_before_any_remote_is_touched(api, remotes_):
    _add(api)
    with pytest.raises(UserError, match="unknown sync mode 'sideways'"):
        api.sync(mode="sideways")
    with pytest.raises(UserError, match="conflict policy must be one of"):
        api.sync(policy="mine")
    with pytest.raises(UserError, match="no remote named 'nope'"):
        api.sync(["mem", "nope"])
    assert remotes_["mem"].calls == []


def test_no_remotes_is_an_error_with_a_hint(api):
    with pytest.raises(UserError, match="no remotes configured") as caught:
        api.sync()
    assert "rolo remote add" in (caught.value.hint or "")


def test_pull_only_and_dry_run_pass_through(api, book, remotes_):
    _add(api)
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    remotes_["mem"].add(remote_person("Alan Turing", "alan@example.com"))
    plan = api.sync_remote("mem", dry_run=True)
    assert plan.dry_run and len(plan.plan["remote_create"]) == 1 and len(book.contacts()) == 1
    pulled = api.sync_remote("mem", mode="pull")
    assert pulled.counts == {"local_created": 1} and len(remotes_["mem"].records) == 1


def test_conflicts_and_their_resolution_are_dataclasses(api, book, remotes_):
    _add(api)
    book.add(person("u1", "Ada Lovelace", "ada@example.com"))
    api.sync()
    book.update("ada@example.com", lambda c: dataclasses.replace(c, family_name="King"))
    remotes_["mem"].edit(remotes_["mem"].by_email("ada@example.com")[0], family_name="Byron")
    api.sync()

    (conflict,) = api.conflicts()
    assert isinstance(conflict, Conflict) and (conflict.field, conflict.local, conflict.remote_value) == (
        "family_name", "King", "Byron")
    assert list(conflict.as_dict())[:4] == ["id", "remote", "contact_id", "uid"]
    with pytest.raises(UserError, match="--take must be local, remote or both"):
        api.resolve_conflict(conflict.id, "mine")
    with pytest.raises(NotFoundError):
        api.resolve_conflict(999, "local")

    resolution = api.resolve_conflict(conflict.id, "remote")
    assert isinstance(resolution, Resolution)
    assert resolution.as_dict() == {"id": conflict.id, "take": "remote", "outcome": (
        "set family_name to the remote value; the next sync sends it to mem")}
    assert api.conflicts() == [] and api.conflicts(include_resolved=True)[0].resolution == "remote"
    assert book.get("ada@example.com").family_name == "Byron"


def test_sync_every_runs_until_stopped_and_refuses_short_intervals(api, book):
    _add(api)
    with pytest.raises(UserError, match="--every must be at least 1s"):
        api.sync_every("0.5s", stop=threading.Event())
    stop = threading.Event()
    heard: list[object] = []

    def on_result(outcome: object) -> None:
        heard.append(outcome)
        stop.set()

    report = api.sync_every("1h", stop=stop, on_result=on_result)
    assert isinstance(report, ScheduleReport) and report.runs == {"mem": 1} and report.failures == {}
    assert report.as_dict()["every"] == 3600 and isinstance(heard[0], Report)


def test_the_plugin_manager_defaults_to_the_books(book, rolo_home):
    from rolo.core.plugins import get_plugin_manager

    api = SyncAPI(book, load_config())
    assert api.plugin_manager is book.plugin_manager is get_plugin_manager()
