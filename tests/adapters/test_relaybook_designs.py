"""RelayBook servers of either design of the endpoints the seeds leave open (label objects attached by id and
a bulk path under /api/v1/bulk/, or label names posted to the contact and the bulk path under
/api/v1/contacts/bulk/), over HTTP against the emulator: the adapter finds out which one it talks to and
remembers it, a sync against either converges, and a follow-up write that fails never undoes a create."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from relaybook_support import *
from relaybook_support import FAST, data
from rolo.adapters._emulator import ApiError, Request
from rolo.adapters.relaybook import RelayBookAdapter
from rolo.adapters.relaybook.client import BULK_PATHS
from rolo.adapters.relaybook.emulator import BOOK_ID, LABEL_NAMES, LABEL_OBJECTS, RelayBookEmulator
from rolo.adapters.relaybook.extras import BY_ID, BY_NAME
from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.fields import FieldDefinition
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import ContactRecord, EmailEntry
from rolo.core.sync import remotes
from rolo.core.sync.api import SyncAPI
from rolo.core.sync.engine import Report

REMOTE = "rb"
CONTACT = "DELETE /api/v1/contacts/{id}"


def adapter_on(emulator: RelayBookEmulator, client: httpx.Client) -> RelayBookAdapter:
    adapter = RelayBookAdapter(client, url=emulator.url, token=emulator.api_key, options={"book": BOOK_ID},
                               remote=REMOTE)
    adapter.http.retry = FAST
    return adapter


def refused(emulator: RelayBookEmulator) -> list[str]:
    """The requests answered 404 or 405 (the probes of endpoints a design lacks)."""
    return [f"{e.method} {e.path}" for e in emulator.log if e.status in (404, 405)]


@pytest.fixture(params=[LABEL_OBJECTS, LABEL_NAMES])
def emulator(request: pytest.FixtureRequest) -> RelayBookEmulator:
    """The emulator of each design, reset."""
    name = "relaybook_emulator" if request.param == LABEL_OBJECTS else "relaybook_names_emulator"
    found: RelayBookEmulator = request.getfixturevalue(name)
    return found


# -- the adapter finds out, and remembers ----------------------------------------------------------------------


@pytest.mark.parametrize(("design", "memo", "probes"), [
    (LABEL_OBJECTS, {"labels": BY_ID, "bulk_path": BULK_PATHS[0], "label_listing": True}, 0),
    # GET /api/v1/labels (the listing the adapter reads first) and the guessed bulk path
    (LABEL_NAMES, {"labels": BY_NAME, "bulk_path": BULK_PATHS[1], "label_listing": False}, 2),
], ids=[LABEL_OBJECTS, LABEL_NAMES])
def test_the_adapter_finds_the_design_once_and_remembers_it(
        request: pytest.FixtureRequest, relaybook_httpx: httpx.Client, design: str, memo: dict[str, Any],
        probes: int) -> None:
    emulator = request.getfixturevalue(
        "relaybook_emulator" if design == LABEL_OBJECTS else "relaybook_names_emulator")
    assert emulator.design == design
    adapter = adapter_on(emulator, relaybook_httpx)
    wanted = data(labels=["math", "Book Club"], custom_fields={"tier": "close"}, starred=True)
    record = adapter.create(wanted, idempotency_key="k1")

    stored = emulator.store.get(record.id)
    assert stored["custom_fields"] == {"tier": "close"} and stored["starred"] is True
    assert [x["name"] for x in emulator.store.labels_of(record.id)] == ["Book Club", "math"]
    assert record.data["labels"] == ["Book Club", "math"] and record.data["custom_fields"] == {"tier": "close"}
    assert record.version == adapter.get(record.id).version  # type: ignore[union-attr]  # complete
    assert adapter.extras.memo == memo and adapter.incomplete == []
    assert len(refused(emulator)) == probes

    # the next contact (and a change of labels) goes straight to the endpoints the server has
    emulator.log.clear()
    grace = adapter.create(data(given_name="Grace", emails=[], labels=["navy"], custom_fields={"tier": "x"}),
                           idempotency_key="k2")
    adapter.update(grace.id, data(given_name="Grace", emails=[], labels=["math"]),
                   changed=frozenset({"labels"}), previous=grace.data)
    assert refused(emulator) == []
    assert [x["name"] for x in emulator.store.labels_of(grace.id)] == ["math"]
    # a pull reads the labels whichever way the server offers them
    pulled = {r.data["given_name"]: r.data["labels"] for r in adapter.list_changes(None).records}
    assert pulled == {"Ada": ["Book Club", "math"], "Grace": ["math"]}


# -- whole syncs, as `rolo sync` runs them ---------------------------------------------------------------------


def configure(rolo_home: Path, emulator: RelayBookEmulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = rolo_home / "rolo.toml"
    path.write_text('default_region = "US"\n', encoding="utf-8")
    remotes.add_remote(path, remotes.Remote(REMOTE, "relaybook", emulator.url, token_env="RB_TEST_KEY",
                                            options={"book": BOOK_ID, "retry_attempts": "4",
                                                     "retry_max_time": "3"}, timeout=10))
    monkeypatch.setenv("RB_TEST_KEY", emulator.api_key)
    return path


def syncer(book: Book, config: Path):  # type: ignore[no-untyped-def]
    pm = new_plugin_manager()

    def run() -> Report:
        return SyncAPI(book, load_config(config), pm).sync_remote(REMOTE)

    return run


def test_what_a_run_found_out_is_kept_for_the_next_run(
        relaybook_names_emulator: RelayBookEmulator, book: Book, rolo_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = relaybook_names_emulator
    book.define_field(FieldDefinition("tier", "text"))
    book.add(person("u1", "Ada", "ada@example.com", labels=["math"], custom_fields={"tier": "close"}))
    sync = syncer(book, configure(rolo_home, emulator, monkeypatch))
    assert sync().counts == {"remote_created": 1}
    assert len(refused(emulator)) == 2  # the label listing and the guessed bulk path, once

    emulator.log.clear()
    book.add(person("u2", "Grace", "grace@example.com", labels=["navy"], custom_fields={"tier": "far"}))
    assert sync().counts == {"remote_created": 1}
    assert refused(emulator) == []  # a new adapter, and not one request to an endpoint the server lacks
    grace = next(c for c in emulator.store.contacts() if c["first_name"] == "Grace")
    assert grace["custom_fields"] == {"tier": "far"}
    assert [x["name"] for x in emulator.store.labels_of(grace["id"])] == ["navy"]


def person(uid: str, given: str, email: str, **extra: Any) -> ContactRecord:
    return ContactRecord(uid=uid, formatted_name=f"{given} Example", given_name=given, family_name="Example",
                         emails=[EmailEntry(email, None, True)], **extra)


def test_a_full_sync_against_either_design_converges_and_deletes_nothing(
        emulator: RelayBookEmulator, book: Book, rolo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book.define_field(FieldDefinition("tier", "text"))
    book.add(person("u1", "Ada", "ada@example.com", labels=["math", "Book Club"], custom_fields={"tier": "close"},
                    starred=True))
    book.add(person("u2", "Grace", "grace@example.com", labels=["navy"]))
    book.add(person("u3", "Alan", "alan@example.com"))
    joan = emulator.store.create_contact(first_name="Joan", last_name="Clarke",
                                         emails=[{"address": "joan@example.com", "label": "work"}])
    emulator.store.label_contact(joan["id"], "codebreakers")
    sync = syncer(book, configure(rolo_home, emulator, monkeypatch))

    first = sync()

    assert first.counts == {"remote_created": 3, "local_created": 1}, first.as_dict()
    assert first.status == "ok" and emulator.requests(CONTACT) == []  # no created contact is deleted
    by_email = {c["emails"][0]["address"]: c for c in emulator.store.contacts()}
    assert len(by_email) == 4
    labels = {email: [x["name"] for x in emulator.store.labels_of(c["id"])] for email, c in by_email.items()}
    assert labels == {"ada@example.com": ["Book Club", "math"], "grace@example.com": ["navy"],
                      "alan@example.com": [], "joan@example.com": ["codebreakers"]}
    assert by_email["ada@example.com"]["custom_fields"] == {"tier": "close"}
    assert by_email["ada@example.com"]["starred"] is True
    assert book.get("joan@example.com").labels == ["codebreakers"]

    assert sync().counts == {}  # converged: nothing to send, nothing to pull
    assert sync().counts == {}
    assert emulator.requests(CONTACT) == [] and len(emulator.store.contacts()) == 4


class RefusingEmulator(RelayBookEmulator):
    """A RelayBook that refuses label or custom-field writes while told to (a 422, as for a label limit)."""

    refuse: frozenset[str] = frozenset()

    def add_contact_labels(self, request: Request) -> dict[str, Any]:
        if "labels" in self.refuse:
            raise ApiError(422, "VALIDATION_ERROR", "labels: this book takes no more labels")
        return super().add_contact_labels(request)

    def bulk_custom_fields(self, request: Request) -> dict[str, Any]:
        if "bulk" in self.refuse:  # as a server without this route answers
            raise ApiError(404, "NOT_FOUND", f"no route for {request.path}")
        if "custom_fields" in self.refuse:
            raise ApiError(422, "VALIDATION_ERROR", "custom fields: this book takes no more fields")
        return super().bulk_custom_fields(request)


@pytest.fixture(scope="module")
def refusing_server() -> Any:
    with RefusingEmulator(design=LABEL_NAMES) as server:
        yield server


@pytest.fixture
def refusing(refusing_server: RefusingEmulator) -> Any:
    refusing_server.reset()
    refusing_server.refuse = frozenset()
    yield refusing_server
    errors = list(refusing_server.errors)
    refusing_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


def test_labels_refused_after_a_create_leave_it_linked_and_go_with_the_next_sync(
        refusing: RefusingEmulator, book: Book, rolo_home: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    book.add(person("u1", "Ada", "ada@example.com", labels=["math"]))
    sync = syncer(book, configure(rolo_home, refusing, monkeypatch))
    refusing.refuse = frozenset({"labels"})

    with caplog.at_level(logging.WARNING, logger="rolo.adapters.relaybook"):
        first = sync()

    assert first.counts == {"remote_created": 1} and first.status == "ok", first.as_dict()
    (ada,) = refusing.store.contacts()
    assert refusing.store.labels_of(ada["id"]) == [] and refusing.requests(CONTACT) == []
    assert "did not take labels math" in caplog.text and "Ada Example" in caplog.text
    # still refused: the labels are tried again and the contact reported; nothing is created twice or lost
    second = sync()
    assert second.counts.get("skipped") == 1 and len(refusing.store.contacts()) == 1
    assert book.get("ada@example.com").labels == ["math"]

    refusing.refuse = frozenset()
    assert sync().counts == {"remote_updated": 1}
    assert [x["name"] for x in refusing.store.labels_of(ada["id"])] == ["math"]
    assert sync().counts == {}
    assert [c["id"] for c in refusing.store.contacts()] == [ada["id"]]


def test_custom_fields_refused_after_a_create_go_with_the_next_sync(
        refusing: RefusingEmulator, book: Book, rolo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book.define_field(FieldDefinition("tier", "text"))
    book.add(person("u1", "Ada", "ada@example.com", custom_fields={"tier": "close"}))
    sync = syncer(book, configure(rolo_home, refusing, monkeypatch))
    refusing.refuse = frozenset({"custom_fields"})
    assert sync().counts == {"remote_created": 1}
    (ada,) = refusing.store.contacts()
    assert ada["custom_fields"] is None and book.get("ada@example.com").custom_fields == {"tier": "close"}

    refusing.refuse = frozenset()
    assert sync().counts == {"remote_updated": 1}
    assert refusing.store.get(ada["id"])["custom_fields"] == {"tier": "close"}
    assert sync().counts == {}  # converged: nothing sent twice
    assert book.get("ada@example.com").custom_fields == {"tier": "close"}


def test_a_server_with_neither_bulk_path_leaves_the_created_contact_linked_and_says_so(
        refusing: RefusingEmulator, relaybook_httpx: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    refusing.refuse = frozenset({"bulk"})
    adapter = adapter_on(refusing, relaybook_httpx)
    with caplog.at_level(logging.WARNING, logger="rolo.adapters.relaybook"):
        record = adapter.create(data(labels=["math"], custom_fields={"tier": "close"}), idempotency_key="k")
    assert [c["id"] for c in refusing.store.contacts()] == [record.id] and refusing.requests(CONTACT) == []
    assert [x["name"] for x in refusing.store.labels_of(record.id)] == ["math"]
    assert [e.path for e in refusing.log if "bulk" in e.path] == list(BULK_PATHS)  # both tried, once each
    assert adapter.incomplete[0]["custom_fields"] == ["tier"] and adapter.extras.memo["bulk_path"] is None
    assert "no bulk custom-field update at /api/v1/bulk/custom-fields or" in adapter.incomplete[0]["errors"][0]
    assert "did not take custom fields tier" in caplog.text
    assert record.data["custom_fields"] == {} and record.data["labels"] == ["math"] and record.version is None
