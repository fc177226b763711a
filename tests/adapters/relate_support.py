"""Fixtures shared by the Relate adapter tests (the emulator, one per session and reset per test; clients;
the adapter) and `RelateSide`, Relate as its users change it, for the conformance scenarios.

Import the fixtures into a test module with `from relate_support import *  # noqa: F403`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters._http import HttpClient, RetryPolicy
from rolo.adapters.relate import RelateAdapter
from rolo.adapters.relate.client import RelateClient
from rolo.adapters.relate.emulator import RelateEmulator
from rolo.core.record import ContactRecord

__all__ = [
    "FAST",
    "RelateSide",
    "relate_adapter",
    "relate_client",
    "relate_emulator",
    "relate_http",
    "relate_httpx",
    "relate_server",
]

#: retries that keep tests fast: tiny backoff, a few attempts, server-asked waits up to 2 s honoured
FAST = RetryPolicy(
    attempts=4, max_time=10.0, backoff=0.01, backoff_max=0.05, jitter=0.01, max_server_wait=2.0
)


class RelateSide:
    """Relate as its users change it: through the emulator's store (its web app), not rolo's adapter."""

    def __init__(self, emulator: RelateEmulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.url = emulator.url
        self.api_key = emulator.api_key

    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        rid = self.store.create_contact(first_name=given, last_name=family, emails=[email] if email else [])[
            "id"
        ]
        if fields:
            self.edit(rid, **fields)
        return rid

    def edit(self, rid: str, **fields: Any) -> None:
        body: dict[str, Any] = {}
        names = {"given_name": "first_name", "family_name": "last_name", "title": "title"}
        for key, value in fields.items():
            if key in names:
                body[names[key]] = value
            elif key == "phones":
                body["phone_numbers"] = [p["number"] for p in value or []]
            elif key == "custom_fields":
                body["custom_fields"] = [{"name": n, "value": v} for n, v in value.items()]
        if "emails" in fields:
            wanted = [e["address"] for e in fields["emails"] or []]
            current = self.store.contact(rid)["emails"]
            self.store.update_contact(rid, emails=wanted)  # adds the new ones, then the old ones go
            gone = [a for a in current if a.casefold() not in {w.casefold() for w in wanted}]
            if gone:
                self.store.remove_emails(rid, gone)
        if body:
            self.store.update_contact(rid, **body)
        if "labels" in fields:  # as the adapter documents: one regular Contact list per label
            self.set_labels(rid, fields["labels"])

    def set_labels(self, rid: str, labels: list[str]) -> None:
        lists = {
            item["name"].casefold(): item["id"]
            for item in self.store.lists.values()
            if not item["process"] and item["entry_type"] == "Contact"
        }
        wanted = {label.casefold(): label for label in labels}
        for entry in list(self.store.entries.values()):
            if entry["entryable_id"] == rid and entry["list_id"] in lists.values():
                name = self.store.lists[entry["list_id"]]["name"].casefold()
                if name not in wanted:
                    self.store.delete_entry(entry["list_id"], entry["id"])
        held = {
            self.store.lists[e["list_id"]]["name"].casefold()
            for e in self.store.entries.values()
            if e["entryable_id"] == rid
        }
        for key, label in wanted.items():
            if key not in lists:
                lists[key] = self.store.create_list(name=label, process=False, entry_type="Contact")["id"]
            if key not in held:
                self.store.add_entry(lists[key], entryable_id=rid, entryable_type="Contact")

    def remove(self, rid: str) -> None:
        self.store.delete_contact(rid)

    def find_email(self, email: str) -> str:
        (found,) = [c["id"] for c in self.store.find_contacts(email=email)]
        return found

    def storm(self, status: int, every: int) -> None:
        self.emulator.fail_every(every, status)

    def calm(self) -> None:
        self.emulator.clear_faults()

    def slow(self, seconds: float) -> None:
        self.emulator.delay(seconds)

    def refusable(self) -> ContactRecord:
        # the book takes a contact with only a family name; Relate wants a first_name or an email
        return ContactRecord(uid="bad", formatted_name="Nobody", family_name="Nobody")


@pytest.fixture(scope="session")
def relate_server() -> Iterator[RelateEmulator]:
    """The session's Relate emulator on 127.0.0.1 (use `relate_emulator`, which resets it)."""
    with RelateEmulator() as emulator:
        yield emulator


@pytest.fixture
def relate_emulator(relate_server: RelateEmulator) -> Iterator[RelateEmulator]:
    """The Relate emulator, empty and without faults; fails the test if a route raised (an emulator bug)."""
    relate_server.reset()
    yield relate_server
    errors = list(relate_server.errors)
    relate_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def relate_httpx() -> Iterator[httpx.Client]:
    """A plain httpx client, as the engine would hand one (no base URL, no auth)."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def relate_http(relate_emulator: RelateEmulator, relate_httpx: httpx.Client) -> HttpClient:
    """The shared HTTP layer pointed at the emulator with its test key and fast retries."""
    return HttpClient(
        relate_httpx,
        base_url=relate_emulator.url,
        adapter="relate",
        token=relate_emulator.api_key,
        retry=FAST,
    )


@pytest.fixture
def relate_client(relate_http: HttpClient) -> RelateClient:
    """A RelateClient on the emulator."""
    return RelateClient(relate_http)


@pytest.fixture
def relate_adapter(relate_emulator: RelateEmulator, relate_httpx: httpx.Client) -> RelateAdapter:
    """The adapter on the emulator, with fast retries."""
    adapter = RelateAdapter(
        relate_httpx,
        url=relate_emulator.url,
        token=relate_emulator.api_key,
        options={"retry_attempts": "4", "retry_max_time": "10"},
    )
    adapter.http.retry = FAST
    adapter.creator.sleep = lambda seconds: None
    return adapter
