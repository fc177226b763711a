"""Fixtures shared by the relatecrm adapter tests: the emulator (one per session, reset per test), clients, and
`RelateCrmSide`, the CRM as its users change it (for the conformance scenarios).

Import the fixtures into a test module with `from relatecrm_support import *  # noqa: F403`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters._http import HttpClient, RetryPolicy
from rolo.adapters.relatecrm import RelateCrmAdapter
from rolo.adapters.relatecrm.client import RelateCrmClient
from rolo.adapters.relatecrm.emulator import RelateCrmEmulator
from rolo.adapters.relatecrm.mapping import LABELS_KEY
from rolo.core.record import ContactRecord, EmailEntry

__all__ = [
    "FAST", "RelateCrmSide", "crm", "crm_adapter", "crm_client", "crm_http", "crm_httpx", "crm_server",
]

#: retries that keep tests fast: tiny backoff, a few attempts, server-asked waits up to 2 s honoured
FAST = RetryPolicy(attempts=4, max_time=10.0, backoff=0.01, backoff_max=0.05, jitter=0.01, max_server_wait=2.0)

_NAMES = {"given_name": "first_name", "family_name": "last_name", "title": "job_title"}


class RelateCrmSide:
    """relatecrm as its users change it: through the emulator's store (its web app), not rolo's adapter."""

    def __init__(self, emulator: RelateCrmEmulator) -> None:
        self.emulator = emulator
        self.url = emulator.url
        self.api_key = emulator.api_key

    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        return str(self.emulator.store.create_contact(first_name=given, last_name=family, email=email,
                                                      **self._body(fields))["id"])

    def _body(self, fields: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key in _NAMES:
                body[_NAMES[key]] = value
            elif key == "emails":
                body["email"] = value[0]["address"] if value else None
            elif key == "phones":
                body["phones"] = [{"number": p["number"], "type": p.get("type", "mobile")} for p in value]
            elif key == "custom_fields":
                body.update(value)
            elif key == "labels":  # as the adapter documents: a list in the reserved custom field
                body[LABELS_KEY] = list(value) or None
            else:
                body[key] = value
        return body

    def edit(self, rid: str, **fields: Any) -> None:
        self.emulator.store.update_contact(rid, **self._body(fields))

    def remove(self, rid: str) -> None:
        self.emulator.store.delete_contact(rid)

    def find_email(self, email: str) -> str:
        (found,) = [c["id"] for c in self.emulator.store.contacts() if (c["email"] or "").lower() == email.lower()]
        return str(found)

    def storm(self, status: int, every: int) -> None:
        self.emulator.fail_every(every, status)

    def calm(self) -> None:
        self.emulator.clear_faults()

    def slow(self, seconds: float) -> None:
        self.emulator.delay(seconds)

    def refusable(self) -> ContactRecord:
        # relatecrm wants local@domain.tld; the book takes any address with an @
        return ContactRecord(uid="bad", formatted_name="Bad Address", given_name="Bad", family_name="Address",
                             emails=[EmailEntry("bad@localhost", None, True)])


@pytest.fixture(scope="session")
def crm_server() -> Iterator[RelateCrmEmulator]:
    """The session's relatecrm emulator on 127.0.0.1 (use `crm`, which resets it)."""
    with RelateCrmEmulator() as emulator:
        yield emulator


@pytest.fixture
def crm(crm_server: RelateCrmEmulator) -> Iterator[RelateCrmEmulator]:
    """The relatecrm emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    crm_server.reset()
    yield crm_server
    errors = list(crm_server.errors)
    crm_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def crm_httpx() -> Iterator[httpx.Client]:
    """A plain httpx client, as the engine would hand one (no base URL, no auth)."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def crm_http(crm: RelateCrmEmulator, crm_httpx: httpx.Client) -> HttpClient:
    """The shared HTTP layer pointed at the emulator with its token and fast retries."""
    return HttpClient(crm_httpx, base_url=crm.url, adapter="relatecrm", token=crm.api_key,
                      headers={"Accept": "application/json"}, retry=FAST)


@pytest.fixture
def crm_client(crm_http: HttpClient) -> RelateCrmClient:
    """A RelateCrmClient on the emulator."""
    return RelateCrmClient(crm_http)


@pytest.fixture
def crm_adapter(crm: RelateCrmEmulator, crm_httpx: httpx.Client) -> RelateCrmAdapter:
    """The adapter on the emulator, with fast retries."""
    adapter = RelateCrmAdapter(crm_httpx, url=crm.url, token=crm.api_key,
                               options={"retry_attempts": "4", "retry_max_time": "10"})
    adapter.http.retry = FAST
    return adapter
