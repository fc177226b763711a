"""`rolo daemon` as a service manager runs it (issue 11): a real process with a real watchdog observer on a
real drop folder and a periodic sync against the Relm emulator on 127.0.0.1; every line it writes starts
with the local time, and each file the drop folder imports is logged."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROLO = Path(sys.executable).parent / "rolo"
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:drop-1\r\nFN:Dropped Person\r\nN:Person;Dropped;;;\r\n" \
       "EMAIL:dropped@example.com\r\nEND:VCARD\r\n"


def _wait_for(path: Path, pattern: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if re.search(pattern, text, re.M):
            return text
        assert time.monotonic() < deadline, f"no {pattern!r} in {path.name}:\n{text}"
        time.sleep(0.05)


def test_daemon_stamps_every_line_and_logs_each_drop_folder_import(rolo, relm, rolo_home, tmp_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    drop = tmp_path / "Drop"
    drop.mkdir()
    out, err = tmp_path / "daemon.out", tmp_path / "daemon.err"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ROLO_")}, "ROLO_HOME": str(rolo_home),
           "ROLO_BOOK": str(rolo.book_path)}
    with out.open("w") as stdout, err.open("w") as stderr:
        daemon = subprocess.Popen([str(ROLO), "daemon", "--folder", str(drop), "--every", "1s"], stdout=stdout,
                                  stderr=stderr, env=env)
        try:
            _wait_for(err, r"watching ")
            _wait_for(out, r"^.*work: book no changes; remote 1 created$")
            (drop / "dropped.vcf.part").write_text(CARD, encoding="utf-8")
            (drop / "dropped.vcf.part").rename(drop / "dropped.vcf")  # as a browser finishes a download
            _wait_for(err, r"imported dropped\.vcf: 1 created")
            _wait_for(out, r"remote 1 created\n(.*\n)*.*work: book no changes; remote 1 created$")
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
    assert code == 0
    lines = out.read_text().splitlines() + err.read_text().splitlines()
    assert lines and all(STAMP.match(line) for line in lines), "\n".join(lines)
    assert any(line.endswith("syncing work every 1s") for line in lines)
    assert any(line.endswith("stopping") for line in lines)
    assert "Dropped Person" in [c["formatted_name"] for c in rolo.json("list")]
    assert {c["email"] for c in relm.store.contacts()} == {"ada@example.com", "dropped@example.com"}
