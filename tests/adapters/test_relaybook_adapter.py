"""RelayBookAdapter against the emulator: what is RelayBook-specific beyond the shared conformance suite (the
book option and `check`, labels and custom fields through the designed endpoints, creates whose answer is
lost, `find`, partial PATCHes with complete arrays, registration and `rolo emulate`)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from relaybook_support import *
from relaybook_support import FAST, data
from rolo.adapters.relaybook import RelayBookAdapter
from rolo.adapters.relaybook.emulator import BOOK_ID, OTHER_TEAM_BOOK_ID, SECOND_BOOK_ID, RelayBookEmulator
from rolo.adapters.relaybook.mapping import ENTRY_LABELS_KEY
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected, UserError
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.merge import same
from rolo.core.sync.remotes import adapter_classes


def adapter_for(emulator: RelayBookEmulator, client: httpx.Client, **options: str) -> RelayBookAdapter:
    adapter = RelayBookAdapter(client, url=emulator.url, token=emulator.api_key, options=options, remote="rb")
    adapter.http.retry = FAST
    return adapter


def routes(emulator: RelayBookEmulator) -> list[str]:
    return [f"{e.route} {e.status}" for e in emulator.log]


# -- registration, options, check ---------------------------------------------------------------------------


def test_registered_through_the_entry_point() -> None:
    cls = adapter_classes(new_plugin_manager())["relaybook"]
    assert cls is RelayBookAdapter and "book" in cls.options
    caps = cls.capabilities
    assert caps.lookup and caps.deletes and not caps.idempotent_create and not caps.incremental
    assert {"labels", "custom_fields", "urls", "addresses", "birthday", "starred", "notes"} <= caps.fields


@pytest.mark.parametrize(("token", "options", "words"), [
    (None, {}, "API key"),
    ("rlb_x", {"book": "my-book"}, "UUID"),
    ("rlb_x", {"book": BOOK_ID, "page_size": "500"}, "page_size"),
    ("rlb_x", {"book": BOOK_ID, "page_size": "many"}, "page_size"),
    ("rlb_x", {"book": BOOK_ID, "retry_attempts": "often"}, "retry"),
])
def test_bad_settings_are_user_errors(token: str | None, options: dict[str, str], words: str) -> None:
    with httpx.Client() as client, pytest.raises(UserError) as caught:
        RelayBookAdapter(client, url="http://127.0.0.1:9", token=token, options=options, remote="rb")
    assert words in str(caught.value)


def test_without_a_book_nothing_syncs_and_check_lists_the_books(relaybook_emulator: RelayBookEmulator,
                                                                relaybook_httpx: httpx.Client) -> None:
    adapter = adapter_for(relaybook_emulator, relaybook_httpx)
    with pytest.raises(UserError) as caught:
        adapter.list_changes(None)
    assert "--option book=" in str(caught.value) and "rolo remote test rb" in (caught.value.hint or "")
    with pytest.raises(UserError) as caught:
        adapter.check()
    assert f"{BOOK_ID} (Contacts)" in str(caught.value) and f"{SECOND_BOOK_ID} (Team)" in str(caught.value)
    assert "--token-env VAR --option book=UUID" in (caught.value.hint or "")


def test_check_reports_the_book(relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator) -> None:
    relaybook_emulator.store.create_contact(first_name="Jane")
    facts = relaybook_adapter.check()
    assert facts["book"] == BOOK_ID and facts["book_name"] == "Contacts" and facts["contacts"] == 1
    assert facts["books"] == f"{BOOK_ID} (Contacts), {SECOND_BOOK_ID} (Team)"
    assert "rlb_" not in json.dumps(facts)


def test_check_refuses_a_book_the_key_cannot_reach(relaybook_emulator: RelayBookEmulator,
                                                   relaybook_httpx: httpx.Client) -> None:
    adapter = adapter_for(relaybook_emulator, relaybook_httpx, book=OTHER_TEAM_BOOK_ID)
    with pytest.raises(AdapterAuthError) as caught:
        adapter.check()
    assert "--option book=" in str(caught.value) and f"{BOOK_ID} (Contacts)" in str(caught.value)


def test_check_without_a_books_listing_says_where_to_find_the_id(relaybook_emulator: RelayBookEmulator,
                                                                 relaybook_httpx: httpx.Client) -> None:
    relaybook_emulator.fail_every(1, 404)  # as a RelayBook without GET /api/v1/books would answer
    with pytest.raises(UserError) as caught:
        adapter_for(relaybook_emulator, relaybook_httpx).check()
    assert "web app" in str(caught.value)


def test_a_wrong_book_fails_at_once_as_a_configuration_error(relaybook_emulator: RelayBookEmulator,
                                                             relaybook_httpx: httpx.Client) -> None:
    adapter = adapter_for(relaybook_emulator, relaybook_httpx, book=OTHER_TEAM_BOOK_ID)
    with pytest.raises(AdapterAuthError) as caught:
        adapter.list_changes(None)
    assert "check --option book=" in str(caught.value)
    assert relaybook_emulator.request_count == 1  # never retried


def test_a_wrong_key_is_an_auth_error(relaybook_emulator: RelayBookEmulator, relaybook_httpx: httpx.Client) -> None:
    adapter = RelayBookAdapter(relaybook_httpx, url=relaybook_emulator.url, token="rlb_revoked",
                               options={"book": BOOK_ID})
    with pytest.raises(AdapterAuthError) as caught:
        adapter.check()
    assert "401" in str(caught.value) and "API keys" in (caught.value.hint or "")


# -- pulls ------------------------------------------------------------------------------------------------------


def test_a_listing_reads_labels_and_custom_fields(relaybook_adapter: RelayBookAdapter,
                                                  relaybook_emulator: RelayBookEmulator) -> None:
    store = relaybook_emulator.store
    jane = store.create_contact(first_name="Jane", custom_fields={"tier": "close", ENTRY_LABELS_KEY: "{}"})
    store.label_contact(jane["id"], "vip", "friends")
    store.create_contact(first_name="Marcus")
    store.create_contact(SECOND_BOOK_ID, first_name="Not in this book")
    changes = relaybook_adapter.list_changes(None)
    assert changes.complete and changes.deleted is None and changes.bookmark is None
    by_name = {r.data["given_name"]: r for r in changes.records}
    assert set(by_name) == {"Jane", "Marcus"}
    assert by_name["Jane"].data["labels"] == ["friends", "vip"]
    assert by_name["Jane"].data["custom_fields"] == {"tier": "close"}
    assert by_name["Jane"].updated_at == jane["updated_at"]
    before = by_name["Jane"].version
    store.label_contact(jane["id"], "poetry")
    assert relaybook_adapter.get(jane["id"]).version != before  # type: ignore[union-attr]


def test_get_gives_none_for_a_missing_contact(relaybook_adapter: RelayBookAdapter) -> None:
    assert relaybook_adapter.get("00000000-0000-4000-8000-000000000000") is None


# -- creates ---------------------------------------------------------------------------------------------------


def test_a_plain_create_is_one_request(relaybook_adapter: RelayBookAdapter,
                                       relaybook_emulator: RelayBookEmulator) -> None:
    record = relaybook_adapter.create(data(), idempotency_key="k1")
    assert routes(relaybook_emulator) == ["POST /api/v1/contacts 201"]
    assert record.data["emails"] == [{"address": "ada@example.com", "label": "work", "primary": True}]


def test_a_create_then_stars_labels_and_fills_custom_fields(relaybook_adapter: RelayBookAdapter,
                                                            relaybook_emulator: RelayBookEmulator) -> None:
    wanted = data(starred=True, labels=["math", "Book Club"], custom_fields={"tier": "close", "score": 9},
                  phones=[{"number": "+44 20 7946 0123", "e164": None, "label": "home", "primary": True}])
    record = relaybook_adapter.create(wanted, idempotency_key="k1")
    stored = relaybook_emulator.store.get(record.id)
    assert stored["starred"] is True and stored["phones"][0]["label"] == "other"
    assert stored["custom_fields"] == {"tier": "close", "score": 9}  # no memo of the book's labels
    assert [x["name"] for x in relaybook_emulator.store.labels_of(record.id)] == ["Book Club", "math"]
    for key in ("starred", "labels", "custom_fields"):
        assert record.data[key] == (sorted(wanted[key], key=str.casefold) if key == "labels" else wanted[key])
    # RelayBook's "other" reads as no label, which the engine takes as the book's "home" (and keeps it)
    assert record.data["phones"] == [{**wanted["phones"][0], "label": None}]
    assert same("phones", wanted["phones"], record.data["phones"], RelayBookAdapter.capabilities)
    assert record.version == relaybook_adapter.get(record.id).version  # type: ignore[union-attr]


def test_a_create_whose_follow_up_is_refused_keeps_the_contact_and_reports_it(
        relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator,
        caplog: pytest.LogCaptureFixture) -> None:
    # the custom-field write is refused (422): the labels and the star still go, the contact stays
    wanted = data(custom_fields={"odd": {"a": 1}, "tier": "close"}, labels=["math"], starred=True)
    with caplog.at_level(logging.WARNING, logger="rolo.adapters.relaybook"):
        record = relaybook_adapter.create(wanted, idempotency_key="k1")
    (stored,) = relaybook_emulator.store.contacts()
    assert record.id == stored["id"] and stored["starred"] is True and stored["custom_fields"] is None
    assert [x["name"] for x in relaybook_emulator.store.labels_of(record.id)] == ["math"]
    assert record.data["custom_fields"] == {} and record.data["labels"] == ["math"] and record.data["starred"]
    assert record.version is None  # the engine compares the pair next run
    assert relaybook_adapter.incomplete == [{"id": record.id, "custom_fields": ["odd", "tier"],
                                             "errors": [relaybook_adapter.incomplete[0]["errors"][0]]}]
    assert "422" in relaybook_adapter.incomplete[0]["errors"][0]
    assert "did not take custom fields odd, tier" in caplog.text and "Ada Lovelace" in caplog.text
    assert not relaybook_emulator.requests("DELETE /api/v1/contacts/{id}")


def test_a_reserved_custom_field_is_refused_before_anything_is_sent(relaybook_adapter: RelayBookAdapter,
                                                                    relaybook_emulator: RelayBookEmulator) -> None:
    with pytest.raises(RemoteRejected) as caught:
        relaybook_adapter.create(data(custom_fields={"rolo_entry_labels": "x"}), idempotency_key="k1")
    assert caught.value.code == "reserved_field" and relaybook_emulator.request_count == 0


def test_a_create_answered_500_is_sent_again(relaybook_adapter: RelayBookAdapter,
                                             relaybook_emulator: RelayBookEmulator) -> None:
    relaybook_emulator.fail_every(2)  # the listing passes, the POST fails, its retry passes
    relaybook_adapter.list_changes(None)
    record = relaybook_adapter.create(data(), idempotency_key="k1")
    assert [c["id"] for c in relaybook_emulator.store.contacts()] == [record.id]
    assert len(relaybook_emulator.requests("POST /api/v1/contacts")) == 2


@pytest.mark.parametrize("reached", [True, False], ids=["created-before-the-answer-was-lost", "not-created"])
def test_a_create_whose_answer_is_lost_is_looked_for_before_sending_again(
    relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator, monkeypatch: pytest.MonkeyPatch,
    reached: bool,
) -> None:
    relaybook_emulator.store.create_contact(first_name="Ada", last_name="Lovelace")  # a look-alike, no email
    relaybook_adapter.list_changes(None)
    real = relaybook_adapter.relaybook.create_contact
    sent: list[dict[str, Any]] = []

    def answer_lost_once(body: dict[str, Any]) -> Any:
        sent.append(body)
        if len(sent) == 1:
            if reached:
                real(body)
            raise AdapterUnavailable("relaybook: POST /api/v1/contacts timed out", adapter="relaybook")
        return real(body)

    monkeypatch.setattr(relaybook_adapter.relaybook, "create_contact", answer_lost_once)
    record = relaybook_adapter.create(data(), idempotency_key="k1")
    assert len(sent) == (1 if reached else 2)
    contacts = relaybook_emulator.store.contacts()
    assert len(contacts) == 2 and contacts[-1]["id"] == record.id


def test_a_lost_create_does_not_take_a_contact_the_run_already_knows(
    relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator, monkeypatch: pytest.MonkeyPatch,
) -> None:
    twin = relaybook_emulator.store.create_contact(
        first_name="Ada", last_name="Lovelace", emails=[{"address": "ada@example.com", "label": "work",
                                                         "primary": True}])
    relaybook_adapter.list_changes(None)
    real = relaybook_adapter.relaybook.create_contact
    calls = iter([AdapterUnavailable("lost", adapter="relaybook"), None])

    def flaky(body: dict[str, Any]) -> Any:
        failure = next(calls)
        if failure is not None:
            raise failure
        return real(body)

    monkeypatch.setattr(relaybook_adapter.relaybook, "create_contact", flaky)
    record = relaybook_adapter.create(data(), idempotency_key="k1")
    assert record.id != twin["id"] and len(relaybook_emulator.store.contacts()) == 2


# -- find ------------------------------------------------------------------------------------------------------


def test_find_completes_a_create_killed_before_its_labels(relaybook_adapter: RelayBookAdapter,
                                                         relaybook_emulator: RelayBookEmulator) -> None:
    store = relaybook_emulator.store
    store.create_contact(first_name="Ada", last_name="Lovelace",
                         emails=[{"address": "ada@example.com", "label": "work", "primary": True}])
    newest = store.create_contact(first_name="Ada", last_name="Lovelace",
                                  emails=[{"address": "ADA@example.com", "label": "work", "primary": True}])
    wanted = data(labels=["math"], custom_fields={"tier": "close"}, starred=True)
    found = relaybook_adapter.find(wanted)
    assert found is not None and found.id == newest["id"]
    assert found.data["labels"] == ["math"] and found.data["custom_fields"] == {"tier": "close"}
    assert store.get(newest["id"])["starred"] is True
    assert relaybook_adapter.find(data(given_name="Grace")) is None


# -- updates and deletes ----------------------------------------------------------------------------------------


def test_a_patch_sends_only_the_changed_keys_with_complete_arrays(relaybook_adapter: RelayBookAdapter,
                                                                  relaybook_emulator: RelayBookEmulator) -> None:
    phones = [{"number": f"+1 555 010{i}", "label": "mobile", "primary": i == 0} for i in range(3)]
    made = relaybook_adapter.create(data(phones=phones), idempotency_key="k1")
    changed = data(given_name="Augusta", emails=[], phones=[*phones[:2], {**phones[2], "number": "+1 555 0199"}])
    record = relaybook_adapter.update(made.id, changed, changed=frozenset({"given_name", "phones"}),
                                      previous=made.data)
    stored = relaybook_emulator.store.get(made.id)
    assert stored["first_name"] == "Augusta"
    assert stored["emails"] == [{"address": "ada@example.com", "label": "work", "primary": True}]  # not sent
    assert [p["number"] for p in stored["phones"]] == ["+1 555 0100", "+1 555 0101", "+1 555 0199"]
    assert record.data["given_name"] == "Augusta" and len(record.data["phones"]) == 3


def test_updating_labels_and_custom_fields(relaybook_adapter: RelayBookAdapter,
                                           relaybook_emulator: RelayBookEmulator) -> None:
    made = relaybook_adapter.create(data(labels=["a", "b"], custom_fields={"x": 1, "y": "two"}),
                                    idempotency_key="k1")
    relaybook_emulator.log.clear()
    record = relaybook_adapter.update(made.id, data(labels=["b", "c"], custom_fields={"y": "three"}),
                                      changed=frozenset({"labels", "custom_fields"}), previous=made.data)
    assert record.data["labels"] == ["b", "c"] and record.data["custom_fields"] == {"y": "three"}
    assert [x["name"] for x in relaybook_emulator.store.labels_of(made.id)] == ["b", "c"]
    assert relaybook_emulator.store.get(made.id)["custom_fields"] == {"y": "three"}
    assert "PATCH /api/v1/contacts/{id} 200" not in routes(relaybook_emulator)  # nothing for PATCH to carry
    relaybook_emulator.log.clear()
    again = relaybook_adapter.update(made.id, data(labels=["c"], custom_fields={"y": "three"}),
                                     changed=frozenset({"labels"}), previous=None)
    assert again.data["labels"] == ["c"]
    assert "GET /api/v1/contacts/{id}/labels 200" in routes(relaybook_emulator)  # no previous: asked


def test_an_entry_label_memo_left_by_an_older_rolo_is_ignored_then_removed(
        relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator) -> None:
    home = {"number": "+1 555 0100", "label": "home", "primary": True}
    made = relaybook_adapter.create(data(phones=[home]), idempotency_key="k1")
    relaybook_emulator.store.set_custom_fields(made.id, {ENTRY_LABELS_KEY: '{"phones":{"+15550100":"home"}}'})
    assert relaybook_adapter.get(made.id).data["custom_fields"] == {}  # type: ignore[union-attr]
    mobile = {"number": "+1 555 0100", "label": "mobile", "primary": True}
    record = relaybook_adapter.update(made.id, data(phones=[mobile]), changed=frozenset({"phones"}),
                                      previous=made.data)
    assert relaybook_emulator.store.get(made.id)["custom_fields"] is None  # the memo is gone
    assert record.data["phones"][0]["label"] == "mobile"


def test_updating_a_contact_deleted_remotely_is_a_404(relaybook_adapter: RelayBookAdapter,
                                                      relaybook_emulator: RelayBookEmulator) -> None:
    made = relaybook_adapter.create(data(), idempotency_key="k1")
    relaybook_emulator.store.delete_contact(made.id)
    with pytest.raises(RemoteRejected) as caught:
        relaybook_adapter.update(made.id, data(given_name="X"), changed=frozenset({"given_name"}),
                                 previous=made.data)
    assert caught.value.status == 404


def test_deleting_twice_is_fine(relaybook_adapter: RelayBookAdapter, relaybook_emulator: RelayBookEmulator) -> None:
    made = relaybook_adapter.create(data(), idempotency_key="k1")
    relaybook_adapter.delete(made.id)
    relaybook_adapter.delete(made.id)
    assert relaybook_emulator.store.contacts() == []


# -- rolo emulate -------------------------------------------------------------------------------------------------


def test_rolo_emulate_serves_relaybook(tmp_path: Path) -> None:
    rolo = Path(sys.executable).parent / "rolo"
    process = subprocess.Popen([str(rolo), "emulate", "relaybook", "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        assert info["adapter"] == "relaybook" and info["api_key"].startswith("rlb_")
        books = httpx.get(f"{info['url']}/api/v1/books", headers={"Authorization": f"Bearer {info['api_key']}"})
        assert books.json()["data"][0]["id"] == BOOK_ID
    finally:
        process.terminate()
        process.wait(10)
