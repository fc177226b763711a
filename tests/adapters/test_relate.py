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
