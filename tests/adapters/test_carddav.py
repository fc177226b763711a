"""The sync scenarios (AdapterConformance) for CardDAV, over HTTP against a real Radicale (through the fault
proxy, so storms and slowness are a real server's), plus CardDAV's own scenarios on the same plumbing."""

from __future__ import annotations

import pytest
from carddav_support import *  # noqa: F403
from rolo.adapters.conformance import AdapterConformance


class TestCardDav(AdapterConformance):
    @pytest.fixture
    def adapter_name(self) -> str:
        return "carddav"

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        # the storms fail every 2nd or 3rd request, so a retry or two suffices; a server down for good is
        # given up on after 3 s instead of a minute
        return {"retry_attempts": "6", "retry_max_time": "3", "retry_backoff": "0.01"}

    @pytest.fixture
    def remote_side(self, carddav_side: CardDavSide) -> CardDavSide:
        return carddav_side
