"""`rolo sync` against each emulator with faults on (5xx and 429 answers, dropped connections, a slow
remote), killed with SIGKILL at random moments, with fresh edits on both sides between runs; then the faults
stop, one more sync completes, and the book equals the remote: every person once on each side."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from chaoskit import Tally, assert_history_reads, inspect, kill_after, rolo, scaled, start

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))  # the remote sides of its tests
from relate_support import RelateSide  # noqa: E402
from relatecrm_support import RelateCrmSide  # noqa: E402
from relaybook_support import RelayBookSide  # noqa: E402
from rolo.adapters.conformance import REMOTE, TOKEN_ENV, AdapterConformance, person  # noqa: E402
from rolo.adapters.relate.emulator import RelateEmulator  # noqa: E402
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator  # noqa: E402
from rolo.adapters.relaybook.emulator import BOOK_ID, RelayBookEmulator  # noqa: E402
from rolo.adapters.relm.emulator import RelmEmulator  # noqa: E402
from rolo.core.book import Book  # noqa: E402
from test_relm import RelmSide  # noqa: E402

LOCAL, REMOTE_ONLY = scaled(60, 400), scaled(10, 60)
ROUNDS = scaled(3, 10)
# quick retries, so that a run gets through the storms between kills
RETRIES = {"retry_attempts": "8", "retry_max_time": "5", "retry_backoff": "0.02"}
ADAPTERS: dict[str, tuple[type, type, dict[str, str]]] = {
    "relm": (RelmEmulator, RelmSide, {}),
    "relate": (RelateEmulator, RelateSide, {}),
    "relatecrm": (RelateCrmEmulator, RelateCrmSide, {}),
    "relaybook": (RelayBookEmulator, RelayBookSide, {"book": BOOK_ID}),
}


def _fault(emulator: Any, rng: random.Random) -> str:
    """Turn on one kind of fault for the next run; its name."""
    emulator.clear_faults()
    emulator.delay(0.01)  # slow enough that a kill lands mid-run
    kind = rng.choice(["500", "503", "429", "drop"])
    if kind == "drop":
        emulator.drop_every(rng.randint(4, 7))
    elif kind == "500":
        emulator.fail_every(rng.randint(3, 6), 500)
    else:  # these answers carry Retry-After: 1, which the client honours: rarer, or the runs crawl
        emulator.fail_every(rng.randint(12, 20), int(kind))
    return kind


def _kill_mid_run(process: subprocess.Popen, emulator: Any, requests: int) -> bool:
    """SIGKILL the run once the remote has seen `requests` more requests (a random point of its progress,
    whatever the machine's speed), unless it ends first; True if it was killed."""
    target = emulator.request_count + requests
    deadline = time.monotonic() + 60
    while process.poll() is None and emulator.request_count < target and time.monotonic() < deadline:
        time.sleep(0.005)
    return kill_after(process, 0)


def _injected(emulator: Any) -> int:
    return sum(1 for entry in emulator.requests() if entry.status is None or entry.status in (429, 500, 503))


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_a_killed_sync_under_faults_leaves_book_and_remote_equal(adapter, tmp_path, rolo_home, monkeypatch):
    emulator_class, side_class, options = ADAPTERS[adapter]
    rng = random.Random(f"chaos-sync-{adapter}")
    book_path = tmp_path / "book.db"
    env = {**os.environ, TOKEN_ENV: ""}
    tally = Tally(f"sync {adapter}")
    with emulator_class() as emulator:
        side = side_class(emulator)
        env[TOKEN_ENV] = side.api_key
        monkeypatch.setenv(TOKEN_ENV, side.api_key)  # for the check that lists the remote
        added = rolo("remote", "add", REMOTE, "--adapter", adapter, "--url", side.url, "--token-env", TOKEN_ENV,
                     *(f"--option={k}={v}" for k, v in {**options, **RETRIES}.items()), book=book_path, env=env)
        assert added.returncode == 0, added.stderr
        with Book(str(book_path), region="US") as book:
            for i in range(LOCAL):
                book.add(person(f"l{i}", "Local", str(i), f"l{i}@example.com"))
        for i in range(REMOTE_ONLY):
            side.add("Remote", str(i), f"r{i}@example.com")
        expected = LOCAL + REMOTE_ONLY
        for round_ in range(ROUNDS):
            with Book(str(book_path), region="US") as book:  # fresh work on both sides before each run
                for j in range(5):
                    book.add(person(f"n{round_}-{j}", "New", f"{round_}-{j}", f"n{round_}-{j}@example.com"))
            side.add("Remote", f"x{round_}", f"x{round_}@example.com")
            expected += 6
            _fault(emulator, rng)
            tally.kills += _kill_mid_run(start("sync", "--json", book=book_path, env=env), emulator,
                                         rng.randint(1, 12))
            tally.rounds += 1
            # a run to the end with the faults still on may fail (exit 1, one line) or skip records (exit 3)
            unkilled = rolo("sync", book=book_path, env=env, timeout=300)
            assert unkilled.returncode in (0, 1, 3) and "Traceback" not in unkilled.stderr, unkilled.stderr
            inspect(book_path).assert_sound()
        tally.faults = _injected(emulator)
        emulator.clear_faults()
        final = rolo("sync", "--json", book=book_path, env=env, timeout=300)
        assert final.returncode == 0, final.stdout + final.stderr
        state = inspect(book_path)
        tally.inputs = expected
        tally.lost = max(0, expected - state.contacts)
        tally.duplicated = max(0, state.contacts - expected) + state.duplicate_uids
        state.assert_sound(expected=expected)
        assert_history_reads(book_path, env)
        with Book(str(book_path), region="US") as book:
            AdapterConformance().assert_in_step(book, rolo_home / "rolo.toml")
            assert book.sync_state.pending_count() == 0
    tally.record()
    assert tally.kills >= 1, "every sync ended before its kill: slow the remote down"
