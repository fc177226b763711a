"""The watcher as the `watch` service of `rolo daemon` (the `register_services` hook), and core's independence
from it: core finds the watcher only through the plugin manager."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from watchkit import DEADLINE, card, count, wait_for

from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.service import service_factories

STAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def test_the_watch_plugin_registers_its_service():
    factories = service_factories(new_plugin_manager())
    assert factories["watch"].__module__ == "rolo.plugins.watch"


def test_daemon_no_sync_imports_a_dropped_file_through_the_watch_service(tmp_path, rolo_home):
    book = tmp_path / "book.db"
    drop = tmp_path / "drop"  # created by the service
    env = {**os.environ, "ROLO_HOME": str(rolo_home)}
    daemon = subprocess.Popen([str(Path(sys.executable).parent / "rolo"), "--book", str(book), "daemon",
                               "--no-sync", "--folder", str(drop)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for(drop.is_dir, what="the watch service to create the folder")
        (drop / "ada.vcf").write_text(card("Ada Lovelace", uid="ada-1", email="ada@example.com"), encoding="utf-8")
        wait_for(lambda: count(book) == 1, what="the dropped card in the book")
        wait_for(lambda: list((drop / "imported").rglob("ada.vcf")), what="the file filed away")
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=DEADLINE * 2)
    assert daemon.returncode == 0, err
    lines = err.splitlines()
    watching = [line for line in lines if " watching " in line]
    imported = [line for line in lines if " imported ada.vcf: 1 created" in line]
    assert watching and STAMPED.match(watching[0]) and str(drop) in watching[0]
    assert imported and STAMPED.match(imported[0]) and "-> imported/" in imported[0]
    assert "syncing" not in err and out == ""
    assert all(STAMPED.match(line) for line in lines) and any(line.endswith(" stopping") for line in lines)


def test_daemon_no_watch_without_remotes_has_nothing_to_do(rolo):
    assert rolo.fails("daemon", "--no-watch").startswith("Error: nothing to do")


def test_daemon_refuses_a_bad_interval(rolo):
    assert "--every must be at least 1s" in rolo.fails("daemon", "--every", "0")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", ["rolo.plugins", "rolo.adapters"])
def test_core_never_imports_a_plugin_or_an_adapter(package):
    found = [f"{path.relative_to(REPO)}: {name}" for path in sorted((REPO / "core").rglob("*.py"))
             for name in _imports(path) if name == package or name.startswith(package + ".")]
    assert found == [], f"core imports {package} (find it through the plugin manager instead)"
