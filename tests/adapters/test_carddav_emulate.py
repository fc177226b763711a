"""`rolo emulate carddav`: a real Radicale started by rolo, used as the README says, and gone with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_emulator_serves_a_sync_and_stops_with_rolo(tmp_path: Path) -> None:
    # TMPDIR: the folder Radicale leaves behind when rolo is killed goes with tmp_path
    env = {**os.environ, "ROLO_HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    server = subprocess.Popen([str(BIN / "rolo"), "emulate", "carddav", "--port", "0", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        env["CARDDAV_TOKEN"] = info["api_key"]

        def rolo(*args: str) -> str:
            done = subprocess.run([str(BIN / "rolo"), *args], env=env, capture_output=True, text=True, timeout=60,
                                  check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        rolo("remote", "add", "phone", "--adapter", "carddav", "--url", info["url"], "--token-env", "CARDDAV_TOKEN")
        assert "addressbook: /rolo/contacts/" in rolo("remote", "test", "phone")
        rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
        assert rolo("sync", "phone").strip() == "phone: book no changes; remote 1 created"
        radicale = _children(server.pid)
        assert radicale and all(_alive(pid) for pid in radicale)
    finally:
        server.send_signal(signal.SIGKILL)  # no chance to clean up: Radicale must still go
        server.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in radicale) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in radicale), "Radicale outlived rolo emulate"


def test_kill_stops_the_emulator_as_ctrl_c_does_and_removes_its_data(tmp_path: Path) -> None:
    env = {**os.environ, "ROLO_HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    server = subprocess.Popen([str(BIN / "rolo"), "emulate", "carddav", "--port", "0", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        json.loads(server.stdout.readline())  # type: ignore[union-attr]  (up and serving)
        radicale = _children(server.pid)
        assert list(tmp_path.glob("rolo-radicale-*")), "Radicale's data folder is in TMPDIR while it runs"
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(20)
    assert code == 0, server.stderr.read()  # type: ignore[union-attr]
    assert not any(_alive(pid) for pid in radicale)
    assert not list(tmp_path.glob("rolo-radicale-*")), "SIGTERM left Radicale's data behind"
