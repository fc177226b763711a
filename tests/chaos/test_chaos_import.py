"""`rolo import` killed with SIGKILL at random moments (while the book is created, mid-batch, between
batches), then run again: the book is whole, each card once, the history readable."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from chaoskit import SOAK, Tally, assert_history_reads, inspect, kill_after, rolo, scaled, start

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for benchmarks.generate
from benchmarks.generate import ContactGenerator  # noqa: E402
from rolo.core.vcard import export_card  # noqa: E402

CARDS = scaled(3000, 20_000)
ROUNDS = scaled(3, 8)
KILLS_PER_ROUND = 2


def _write_cards(path: Path, count: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for generated in ContactGenerator(seed=11).generate(count):
            handle.write(export_card(generated.record, "3.0"))


def test_a_killed_import_resumes_with_every_card_once(tmp_path):
    cards = tmp_path / "cards.vcf"
    _write_cards(cards, CARDS)
    rng = random.Random(20261203)
    # an import of CARDS takes about CARDS / 2,500 s plus a second to create the book: kill anywhere in it
    window = 1.0 + CARDS / 2500
    tally = Tally("import", inputs=CARDS * ROUNDS)
    for round_ in range(ROUNDS):
        book = tmp_path / f"book-{round_}.db"
        for _ in range(KILLS_PER_ROUND):
            process = start("import", str(cards), book=book)
            tally.kills += kill_after(process, rng.uniform(0.05, window))
        done = rolo("import", str(cards), "--json", book=book)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["failed"] == 0 and report["created"] + report["unchanged"] == CARDS, report
        state = inspect(book)
        tally.lost += max(0, CARDS - state.contacts)
        tally.duplicated += max(0, state.contacts - CARDS) + state.duplicate_uids
        state.assert_sound(expected=CARDS)
        assert_history_reads(book)
        tally.rounds += 1
    tally.record()
    assert tally.kills >= (ROUNDS if not SOAK else ROUNDS * KILLS_PER_ROUND // 2), "the imports ended before a kill"
