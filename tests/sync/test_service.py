"""Schedules (`rolo sync --every`, `rolo daemon`) and the daemon running the watcher and sync together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from rolo.core.sync.remotes import parse_duration
from rolo.core.sync.service import Schedule, run_schedule


def test_durations():
    assert [parse_duration(t) for t in ("90", "30s", "15m", "1h", "1d", "0")] == [90, 30, 900, 3600, 86400, 0]


def test_a_failing_remote_backs_off_and_the_others_keep_their_pace():
    schedule = Schedule(every=60, max_backoff=600)
    assert schedule.due(["a", "b"], 0) == ["a", "b"]
    assert schedule.done("a", True, 0) == 60
    assert [schedule.done("b", False, 0), schedule.done("b", False, 0), schedule.done("b", False, 0),
            schedule.done("b", False, 0)] == [120, 240, 480, 600]
    assert schedule.done("b", True, 0) == 60  # back to the normal pace after a success


def test_run_schedule_runs_each_remote_until_stopped():
    calls: list[str] = []
    stop = threading.Event()

    def run_one(name: str) -> bool:
        calls.append(name)
        if len(calls) >= 5:
            stop.set()
        return name != "down"

    thread = threading.Thread(target=run_schedule, args=(["up", "down"], 0.05, run_one, stop))
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and calls.count("up") >= calls.count("down") >= 1


def test_the_daemon_imports_dropped_files_and_syncs_them_until_sigterm(tmp_path, rolo_home):
    from rolo.adapters.relm.emulator import RelmEmulator

    drop = tmp_path / "drop"
    drop.mkdir()
    with RelmEmulator() as relm:
        (rolo_home / "rolo.toml").write_text(
            f'[remotes.crm]\nadapter = "relm"\nurl = "{relm.url}"\ntoken_env = "RELM_KEY"\n', encoding="utf-8")
        env = {**os.environ, "ROLO_HOME": str(rolo_home), "RELM_KEY": relm.api_key}
        daemon = subprocess.Popen([str(Path(sys.executable).parent / "rolo"), "daemon", "--every", "1s",
                                   "--folder", str(drop)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)
            (drop / "ada.vcf").write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\n"
                                          "N:Lovelace;Ada;;;\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n")
            client = httpx.Client(base_url=relm.url, headers={"Authorization": f"Bearer {relm.api_key}"})
            deadline = time.monotonic() + 20
            found: list = []
            while time.monotonic() < deadline and not found:
                found = [c for c in client.get("/v1/contacts").json()["data"] if c["email"] == "ada@example.com"]
                time.sleep(0.2)
            assert found and found[0]["last_name"] == "Lovelace"
        finally:
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, err
        assert "crm: book no changes; remote 1 created" in out and "stopping" in err
