"""The plugin API: every hook documented and tested; a third-party adapter installed from a folder syncs."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO
from rolo.core import hookspecs
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.adapter import Adapter, Capabilities
from rolo.core.sync.remotes import adapter_classes

HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if hasattr(fn, "rolo_spec"))


def test_there_are_hooks():
    assert {"register_adapters", "register_commands", "before_push", "after_pull", "contact_changed"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented_for_plugin_authors(name):
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.splitlines()[0]) > 20, f"{name}: no summary line"
    assert "Args:" in doc, f"{name}: the docstring does not describe its arguments"
    for arg in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f"{arg}:" in doc, f"{name}: argument {arg} is not described"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    me = Path(__file__).resolve()
    tests = [p for p in (REPO / "tests").rglob("test_*.py") if p.resolve() != me]
    assert any(name in p.read_text(encoding="utf-8") for p in tests), f"no test mentions the {name} hook"


@pytest.mark.parametrize("method", ["list_changes", "get", "create", "update", "delete", "create_many", "find",
                                    "prepare", "remote_fields", "check", "emulator"])
def test_the_adapter_contract_is_documented(method):
    doc = inspect.getdoc(getattr(Adapter, method)) or ""
    assert len(doc) > 60 and ("Returns" in doc or "Raises" in doc or "Args" in doc), method


def test_capabilities_refuse_fields_the_book_does_not_have():
    with pytest.raises(ValueError, match="colour"):
        Capabilities(fields=frozenset({"given_name", "colour"}))
    with pytest.raises(ValueError, match="single"):
        Capabilities(fields=frozenset({"given_name"}), single=frozenset({"emails"}))


def test_built_in_adapters_register_through_entry_points_like_anyone():
    pm = new_plugin_manager()
    found = adapter_classes(pm)
    assert "relm" in found
    assert found["relm"].__module__ == "rolo.adapters.relm"


# -- a third-party adapter, installed from a folder ------------------------------------------------------------
TINY = '''
"""tinycrm: a toy remote kept in a JSON file (option `path`), to prove the plugin API from outside."""
import json
from pathlib import Path

import click

from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, RemoteRecord


class TinyAdapter(Adapter):
    """Records in a JSON file: {id: data}."""

    name = "tiny"
    options = {"path": "the JSON file holding the records"}
    capabilities = Capabilities(fields=frozenset({"given_name", "family_name", "emails", "labels"}))

    def _load(self):
        path = Path(self.option_values["path"])
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, records):
        Path(self.option_values["path"]).write_text(json.dumps(records, sort_keys=True))

    def list_changes(self, since):
        return Changes([RemoteRecord(k, v) for k, v in self._load().items()], None, None, complete=True)

    def get(self, remote_id):
        data = self._load().get(remote_id)
        return RemoteRecord(remote_id, data) if data is not None else None

    def create(self, data, *, idempotency_key):
        records = self._load()
        rid = f"t{len(records) + 1}"
        records[rid] = data
        self._save(records)
        return RemoteRecord(rid, data)

    def update(self, remote_id, data, *, changed, previous):
        records = self._load()
        records[remote_id] = data
        self._save(records)
        return RemoteRecord(remote_id, data)

    def delete(self, remote_id):
        records = self._load()
        records.pop(remote_id, None)
        self._save(records)


@hookimpl
def register_adapters(register):
    register(TinyAdapter)


@click.command("tiny-hello")
def hello():
    """Say hello from tinycrm.

    Example: rolo tiny-hello
    """
    click.echo("hello from tinycrm")


@hookimpl
def register_commands(cli):
    cli.add_command(hello)
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "rolo-tinycrm"
version = "0.1"

[project.entry-points.rolo]
tinycrm = "rolo_tinycrm"

[tool.setuptools]
py-modules = ["rolo_tinycrm"]
'''


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    """The toy package, pip-installed into a folder of its own (the venv is left alone)."""
    root = tmp_path_factory.mktemp("tinycrm")
    (root / "src").mkdir()
    (root / "src" / "pyproject.toml").write_text(PYPROJECT)
    (root / "src" / "rolo_tinycrm.py").write_text(textwrap.dedent(TINY))
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(root / "src")], check=True, timeout=300,
                   capture_output=True)
    return site


def _rolo(site: Path, home: Path, *args: str, load: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ROLO_LOAD_PLUGINS", "ROLO_BOOK", "ROLO_CONFIG")}
    env.update({"PYTHONPATH": str(site), "ROLO_HOME": str(home)})
    if load is not None:
        env["ROLO_LOAD_PLUGINS"] = load
    return subprocess.run([str(Path(sys.executable).parent / "rolo"), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_third_party_adapter_installed_from_a_folder_syncs(tiny_site, tmp_path, rolo_home):
    home = rolo_home
    store = tmp_path / "tiny.json"
    store.write_text(json.dumps({"t1": {"given_name": "Alan", "family_name": "Turing",
                                         "emails": [{"address": "alan@example.com"}], "labels": ["math"]}}))

    listed = json.loads(_rolo(tiny_site, home, "plugins", "--json").stdout)
    tiny = next(p for p in listed if p["name"] == "tinycrm")
    assert tiny["distribution"] == "rolo-tinycrm 0.1" and not tiny["builtin"]
    assert tiny["hooks"] == ["register_adapters", "register_commands"]
    assert _rolo(tiny_site, home, "tiny-hello").stdout.strip() == "hello from tinycrm"

    assert _rolo(tiny_site, home, "add", "--name", "Ada Lovelace", "--email", "ada@example.com").returncode == 0
    added = _rolo(tiny_site, home, "remote", "add", "toy", "--adapter", "tiny", "--url", "http://tiny.invalid",
                  "--option", f"path={store}")
    assert added.returncode == 0, added.stderr
    synced = _rolo(tiny_site, home, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["counts"] == {"local_created": 1, "remote_created": 1}
    records = json.loads(store.read_text())
    assert sorted(r["emails"][0]["address"] for r in records.values()) == ["ada@example.com", "alan@example.com"]
    shown = json.loads(_rolo(tiny_site, home, "show", "alan@example.com", "--json").stdout)
    assert shown["labels"] == ["math"]


def test_rolo_load_plugins_keeps_a_third_party_plugin_out(tiny_site, rolo_home):
    home = rolo_home
    names = [p["name"] for p in json.loads(_rolo(tiny_site, home, "plugins", "--json", load="").stdout)]
    assert "tinycrm" not in names and "relm" in names  # built-ins always load
    names = [p["name"] for p in json.loads(_rolo(tiny_site, home, "plugins", "--json", load="tinycrm").stdout)]
    assert "tinycrm" in names
    result = _rolo(tiny_site, home, "remote", "add", "toy", "--adapter", "tiny", "--url", "http://x", load="")
    assert result.returncode == 1 and "no adapter named 'tiny'" in result.stderr
