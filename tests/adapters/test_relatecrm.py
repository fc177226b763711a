"""The sync scenarios (AdapterConformance) for relatecrm, over HTTP against the relatecrm emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rolo.adapters.conformance import AdapterConformance
from relatecrm_support import RelateCrmSide
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator


@pytest.fixture(scope="module")
def relatecrm_emulator_module() -> Iterator[RelateCrmEmulator]:
    with RelateCrmEmulator() as emulator:
        yield emulator


class TestRelateCrm(AdapterConformance):
    @pytest.fixture
    def adapter_name(self) -> str:
        return "relatecrm"

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        # the storms fail every 2nd or 3rd request, so a few tries each suffice; a remote down for good is
        # given up on after 3 s instead of a minute
        return {"retry_attempts": "6", "retry_max_time": "3", "retry_backoff": "0.05"}

    @pytest.fixture
    def remote_side(self, relatecrm_emulator_module: RelateCrmEmulator) -> Iterator[RelateCrmSide]:
        relatecrm_emulator_module.reset()
        yield RelateCrmSide(relatecrm_emulator_module)
        errors = list(relatecrm_emulator_module.errors)
        relatecrm_emulator_module.reset()
        assert not errors, "the emulator raised:\n" + "\n".join(errors)
