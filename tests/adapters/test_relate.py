"""The sync scenarios (AdapterConformance) for Relate, over HTTP against the Relate emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rolo.adapters.conformance import AdapterConformance
from relate_support import RelateSide
from rolo.adapters.relate.emulator import RelateEmulator


@pytest.fixture(scope="module")
def relate_emulator_module() -> Iterator[RelateEmulator]:
    with RelateEmulator() as emulator:
        yield emulator


class TestRelate(AdapterConformance):
    @pytest.fixture
    def adapter_name(self) -> str:
        return "relate"

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        # the storms fail every 2nd or 3rd request, so one retry each suffices; a remote down for good is
        # given up on after 3 s instead of a minute
        return {"retry_attempts": "6", "retry_max_time": "3", "retry_backoff": "0.05"}

    @pytest.fixture
    def remote_side(self, relate_emulator_module: RelateEmulator) -> Iterator[RelateSide]:
        relate_emulator_module.reset()
        yield RelateSide(relate_emulator_module)
        errors = list(relate_emulator_module.errors)
        relate_emulator_module.reset()
        assert not errors, "the emulator raised:\n" + "\n".join(errors)

    def test_meetings_land_in_the_notes_log_once(self, book, remote_side, sync):
        """Relate's finished, recorded meetings go to the attendees' notes logs: date, title, summary, actions."""
        from rolo.adapters.conformance import person

        book.add(person("u1", "Alice", "Able", "alice@example.com"))
        book.add(person("u2", "Bob", "Baker", "BOB@example.com"))
        store = remote_side.emulator.store
        store.add_meeting("Quarterly review", "2026-05-16T11:00:00.000+09:00", "2026-05-16T12:00:00.000+09:00",
                          attendees=["alice@example.com", "bob@example.com", "stranger@example.com"],
                          summary={"summary": "Numbers are up.", "action_items": ["Alice: send the deck"]})
        store.add_meeting("Not recorded yet", "2026-05-17T11:00:00.000+09:00", attendees=["alice@example.com"],
                          recording="processing")

        assert sync().counts.get("notes_added") == 2
        (entry,) = book.notes_log("alice@example.com")
        assert entry["created_at"] == "2026-05-16T02:00:00Z"
        assert "Quarterly review" in entry["body"] and "Numbers are up." in entry["body"]
        assert "Alice: send the deck" in entry["body"]
        assert sorted(c.uid for c in book.search("quarterly")) == ["u1", "u2"]  # the log is searchable

        assert "notes_added" not in sync().counts  # seen again: nothing twice
        store.add_meeting("Follow-up", "2026-05-20T09:00:00.000+09:00", attendees=["bob@example.com"],
                          summary={"summary": "Agreed.", "action_items": []})
        assert sync().counts.get("notes_added") == 1
        assert len(book.notes_log("bob@example.com")) == 2 and len(book.notes_log("alice@example.com")) == 1
