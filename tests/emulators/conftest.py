"""Emulator fixtures: one server per test session (per xdist worker), its state reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from rolo.adapters.relm.emulator import RelmEmulator


@pytest.fixture(scope="session")
def relm_server() -> Iterator[RelmEmulator]:
    """The session's Relm emulator on 127.0.0.1; use `relm`, which resets it, in tests."""
    with RelmEmulator() as emulator:
        yield emulator


@pytest.fixture
def relm(relm_server: RelmEmulator) -> Iterator[RelmEmulator]:
    """The Relm emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    relm_server.reset()
    yield relm_server
    errors = list(relm_server.errors)
    relm_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def client(relm: RelmEmulator) -> Iterator[httpx.Client]:
    """An httpx client for the Relm emulator, authenticated with its test key."""
    with httpx.Client(
        base_url=relm.url, headers={"Authorization": f"Bearer {relm.api_key}"}, timeout=10
    ) as http:
        yield http
