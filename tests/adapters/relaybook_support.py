"""Fixtures shared by the RelayBook adapter tests: the emulator (one per session, reset per test; another of
the label-names design, `relaybook_names_emulator`), clients, and `RelayBookSide`, the conformance suite's
`RemoteSide` for RelayBook.

Import the fixtures into a test module with `from relaybook_support import *  # noqa: F403`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from rolo.adapters._http import RetryPolicy
from rolo.adapters.relaybook import RelayBookAdapter
from rolo.adapters.relaybook.client import BookHttp, RelayBookClient
from rolo.adapters.relaybook.emulator import BOOK_ID, LABEL_NAMES, RelayBookEmulator
from rolo.core.record import ContactRecord, EmailEntry

__all__ = [
    "FAST", "data", "RelayBookSide", "relaybook_adapter", "relaybook_client", "relaybook_emulator", "relaybook_http",
    "relaybook_httpx", "relaybook_names_emulator", "relaybook_names_server", "relaybook_server",
]

def data(**changes: Any) -> dict[str, Any]:
    """A contact in the adapter's vocabulary (book JSON keys), Ada unless `changes` say otherwise."""
    base: dict[str, Any] = {
        "given_name": "Ada", "family_name": "Lovelace", "organization": None, "title": None, "birthday": None,
        "emails": [{"address": "ada@example.com", "label": "work", "primary": True}],
        "phones": [], "addresses": [], "urls": [], "labels": [], "custom_fields": {}, "notes": None,
        "starred": False,
    }
    base.update(changes)
    return base


#: retries that keep tests fast: tiny backoff, a few attempts, server-asked waits up to 2 s honoured
FAST = RetryPolicy(attempts=4, max_time=10.0, backoff=0.01, backoff_max=0.05, jitter=0.01, max_server_wait=2.0)


@pytest.fixture(scope="session")
def relaybook_server() -> Iterator[RelayBookEmulator]:
    """The session's RelayBook emulator on 127.0.0.1 (use `relaybook_emulator`, which resets it)."""
    with RelayBookEmulator() as emulator:
        yield emulator


@pytest.fixture
def relaybook_emulator(relaybook_server: RelayBookEmulator) -> Iterator[RelayBookEmulator]:
    """The emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    relaybook_server.reset()
    yield relaybook_server
    errors = list(relaybook_server.errors)
    relaybook_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def relaybook_names_server() -> Iterator[RelayBookEmulator]:
    """The session's emulator of the label-names design (use `relaybook_names_emulator`, which resets it)."""
    with RelayBookEmulator(design=LABEL_NAMES) as emulator:
        yield emulator


@pytest.fixture
def relaybook_names_emulator(relaybook_names_server: RelayBookEmulator) -> Iterator[RelayBookEmulator]:
    """The label-names emulator, empty and without faults; fails the test if a route raised."""
    relaybook_names_server.reset()
    yield relaybook_names_server
    errors = list(relaybook_names_server.errors)
    relaybook_names_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def relaybook_httpx() -> Iterator[httpx.Client]:
    """A plain httpx client, as the engine would hand one."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def relaybook_http(relaybook_emulator: RelayBookEmulator, relaybook_httpx: httpx.Client) -> BookHttp:
    """The HTTP layer pointed at the emulator's first book, with its test key and fast retries."""
    return BookHttp(relaybook_httpx, base_url=relaybook_emulator.url, adapter="relaybook",
                    token=relaybook_emulator.api_key, book=BOOK_ID, retry=FAST)


@pytest.fixture
def relaybook_client(relaybook_http: BookHttp) -> RelayBookClient:
    """A RelayBookClient on the emulator's first book."""
    return RelayBookClient(relaybook_http)


@pytest.fixture
def relaybook_adapter(relaybook_emulator: RelayBookEmulator, relaybook_httpx: httpx.Client) -> RelayBookAdapter:
    """The adapter on the emulator's first book, with fast retries."""
    adapter = RelayBookAdapter(relaybook_httpx, url=relaybook_emulator.url, token=relaybook_emulator.api_key,
                               options={"book": BOOK_ID}, remote="rb")
    adapter.http.retry = FAST
    return adapter


class RelayBookSide:
    """RelayBook as its users change it: through the emulator's store (its web app), not rolo's adapter."""

    NAMES: ClassVar[dict[str, str]] = {"given_name": "first_name", "family_name": "last_name", "organization": "company",
             "title": "job_title", "notes": "notes", "birthday": "birthday", "starred": "starred"}

    def __init__(self, emulator: RelayBookEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.url = emulator.url
        self.api_key = emulator.api_key

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key in self.NAMES:
                body[self.NAMES[key]] = value
            elif key == "emails":
                body["emails"] = [{"address": e["address"], "label": e.get("label") or "other",
                                   "primary": bool(e.get("primary"))} for e in value]
            elif key == "phones":
                body["phones"] = [{"number": p["number"], "label": p.get("label") or "other",
                                   "primary": bool(p.get("primary"))} for p in value]
        return body

    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        body = self._fields(fields)
        body.update(first_name=given, last_name=family or "")
        if email:
            body["emails"] = [{"address": email, "label": "work", "primary": True}]
        contact = self.store.create_contact(**body, custom_fields=fields.get("custom_fields"))
        if fields.get("labels"):
            self.store.label_contact(contact["id"], *fields["labels"])
        return str(contact["id"])

    def edit(self, rid: str, **fields: Any) -> None:
        body = self._fields(fields)
        if body:
            self.store.update(rid, body)
        if fields.get("custom_fields"):
            self.store.set_custom_fields(rid, fields["custom_fields"])
        if "labels" in fields:
            have = {label["name"].casefold(): label["name"] for label in self.store.labels_of(rid)}
            want = {name.casefold(): name for name in fields["labels"]}
            missing = [want[k] for k in want.keys() - have.keys()]
            if missing:
                self.store.label_contact(rid, *missing)
            extra = [have[k] for k in have.keys() - want.keys()]
            if extra:
                self.store.unlabel_contact(rid, *extra)

    def remove(self, rid: str) -> None:
        self.store.delete_contact(rid)

    def find_email(self, email: str) -> str:
        (found,) = [c["id"] for c in self.store.contacts()
                    if any(e["address"].lower() == email.lower() for e in c["emails"])]
        return str(found)

    def storm(self, status: int, every: int) -> None:
        self.emulator.fail_every(every, status)

    def calm(self) -> None:
        self.emulator.clear_faults()

    def slow(self, seconds: float) -> None:
        self.emulator.delay(seconds)

    def refusable(self) -> ContactRecord:
        # RelayBook wants a first name, last name or company; the book is content with an email
        return ContactRecord(uid="nameless", emails=[EmailEntry("nameless@example.com", None, True)])
