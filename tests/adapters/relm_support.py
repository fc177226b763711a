"""Fixtures shared by the Relm adapter tests: the emulator (one per session, reset per test) and clients.

Import the fixtures into a test module with `from relm_support import *  # noqa: F403`.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from rolo.adapters._http import HttpClient, RetryPolicy
from rolo.adapters.relm import RelmAdapter
from rolo.adapters.relm.client import RelmClient
from rolo.adapters.relm.emulator import RelmEmulator

__all__ = ["FAST", "relm_adapter", "relm_client", "relm_emulator", "relm_http", "relm_httpx", "relm_server"]

#: retries that keep tests fast: tiny backoff, a few attempts, server-asked waits up to 2 s honoured
FAST = RetryPolicy(attempts=4, max_time=10.0, backoff=0.01, backoff_max=0.05, jitter=0.01, max_server_wait=2.0)


@pytest.fixture(scope="session")
def relm_server() -> Iterator[RelmEmulator]:
    """The session's Relm emulator on 127.0.0.1 (use `relm_emulator`, which resets it)."""
    with RelmEmulator() as emulator:
        yield emulator


@pytest.fixture
def relm_emulator(relm_server: RelmEmulator) -> Iterator[RelmEmulator]:
    """The Relm emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    relm_server.reset()
    yield relm_server
    errors = list(relm_server.errors)
    relm_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def relm_httpx() -> Iterator[httpx.Client]:
    """A plain httpx client, as the engine would hand one (no base URL, no auth)."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def relm_http(relm_emulator: RelmEmulator, relm_httpx: httpx.Client) -> HttpClient:
    """The shared HTTP layer pointed at the emulator with its test key and fast retries."""
    return HttpClient(relm_httpx, base_url=relm_emulator.url, adapter="relm", token=relm_emulator.api_key,
                      retry=FAST)


@pytest.fixture
def relm_client(relm_http: HttpClient) -> RelmClient:
    """A RelmClient on the emulator."""
    return RelmClient(relm_http)


@pytest.fixture
def relm_adapter(relm_emulator: RelmEmulator, relm_httpx: httpx.Client) -> RelmAdapter:
    """The adapter on the emulator, with fast retries."""
    adapter = RelmAdapter(relm_httpx, url=relm_emulator.url, token=relm_emulator.api_key,
                          options={"retry_attempts": "4", "retry_max_time": "10"})
    adapter.http.retry = FAST
    return adapter
