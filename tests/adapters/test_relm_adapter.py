"""RelmAdapter against the emulator: what is Relm-specific beyond the shared adapter contract (bookmarks,
companies renamed behind rolo's back, batch refusals, lookups, registration)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from relm_support import *
from relm_support import FAST
from rolo.adapters.relm import RelmAdapter
from rolo.adapters.relm.emulator import RelmEmulator
from rolo.core.errors import AdapterAuthError, RemoteRejected, UserError
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.http import make_client
from rolo.core.sync.remotes import adapter_classes


def data(email: str | None = None, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "given_name": "Ada", "family_name": "Lovelace",
        "emails": [{"address": email, "label": None, "primary": True}] if email else [],
        "phones": [], "organization": None, "labels": [], "custom_fields": {},
    }
    base.update(changes)
    return base


# -- pulls ---------------------------------------------------------------------------------------------------


def test_a_full_listing_is_complete(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    for i in range(5):
        relm_emulator.store.create_contact(email=f"p{i}@example.com")
    changes = relm_adapter.list_changes(None)
    assert changes.complete and changes.deleted is None and changes.bookmark
    assert sorted(r.data["emails"][0]["address"] for r in changes.records) == [f"p{i}@example.com" for i in range(5)]


def test_an_incremental_pull_lists_only_what_changed(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    a = relm_emulator.store.create_contact(email="a@example.com")
    b = relm_emulator.store.create_contact(email="b@example.com")
    first = relm_adapter.list_changes(None)
    versions = {r.id: r.version for r in first.records}
    relm_emulator.store.update_contact(b["id"], first_name="Bee")
    later = relm_adapter.list_changes(first.bookmark)
    assert not later.complete and later.deleted is None
    changed = {r.id: r for r in later.records}
    assert changed[b["id"]].data["given_name"] == "Bee" and changed[b["id"]].version != versions[b["id"]]
    # a record changed within a second of the previous walk may come again, unchanged (harmless)
    if a["id"] in changed:
        assert changed[a["id"]].version == versions[a["id"]]
    assert "filter%5Bupdated_at%5D%5Bgt%5D=" in relm_emulator.requests("GET /v1/contacts")[-1].query
    assert later.bookmark >= first.bookmark


def test_the_bookmark_never_passes_the_latest_change_seen(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    made = [relm_emulator.store.create_contact(email=f"p{i}@example.com") for i in range(3)]
    changes = relm_adapter.list_changes(None)
    assert changes.bookmark <= max(c["updated_at"] for c in made)


def test_nothing_changed_keeps_the_bookmark(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.create_contact(email="a@example.com")
    bookmark = relm_adapter.list_changes(None).bookmark
    relm_adapter.list_changes(bookmark)  # may repeat records of the last second
    again = relm_adapter.list_changes(bookmark)
    assert again.bookmark >= bookmark


def test_a_foreign_bookmark_lists_everything(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.create_contact(email="a@example.com")
    assert relm_adapter.list_changes("page-7").complete


def test_a_renamed_company_brings_its_contacts_in_an_incremental_pull(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    acme = relm_emulator.store.create_company(name="Acme")
    ada = relm_emulator.store.create_contact(email="ada@acme.test", company_id=acme["id"])
    first = relm_adapter.list_changes(None)
    (before,) = first.records
    assert before.data["organization"] == "Acme"
    relm_emulator.store.update("company", acme["id"], {"name": "Acme Global"})
    fresh = RelmAdapter(relm_adapter.client, url=relm_emulator.url, token=relm_emulator.api_key)
    later = fresh.list_changes(first.bookmark)
    (after,) = [r for r in later.records if r.id == ada["id"]]
    assert after.data["organization"] == "Acme Global"
    assert after.version != before.version


def test_a_remote_deletion_shows_in_a_full_listing_only(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    a = relm_emulator.store.create_contact(email="a@example.com")
    relm_emulator.store.create_contact(email="b@example.com")
    bookmark = relm_adapter.list_changes(None).bookmark
    relm_emulator.store.delete_contact(a["id"])
    assert relm_adapter.list_changes(bookmark).deleted is None
    assert a["id"] not in {r.id for r in relm_adapter.list_changes(None).records}


def test_get_of_a_missing_contact_is_none(relm_adapter: RelmAdapter) -> None:
    assert relm_adapter.get("con_nothere") is None


# -- pushes --------------------------------------------------------------------------------------------------


def test_create_replayed_with_the_same_key_creates_once(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    first = relm_adapter.create(data("ada@example.com", organization="Acme"), idempotency_key="rolo-u1-r1")
    again = relm_adapter.create(data("ada@example.com", organization="Acme"), idempotency_key="rolo-u1-r1")
    assert first.id == again.id
    assert len(relm_emulator.store.contacts()) == 1 and len(relm_emulator.store.records("company")) == 1


def test_update_patches_only_changed_keys(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    record = relm_adapter.create(data("ada@example.com"), idempotency_key="k1")
    relm_emulator.store.update_contact(record.id, first_name="Augusta")  # changed in Relm meanwhile
    updated = relm_adapter.update(record.id, data("ada@example.com", family_name="King"),
                                  changed=frozenset({"family_name"}), previous=record.data)
    assert (updated.data["given_name"], updated.data["family_name"]) == ("Augusta", "King")


def test_update_of_a_missing_contact_is_a_404(relm_adapter: RelmAdapter) -> None:
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.update("con_gone", data(), changed=frozenset({"given_name"}), previous=None)
    assert caught.value.status == 404


def test_delete_twice_is_fine(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    record = relm_adapter.create(data("ada@example.com"), idempotency_key="k1")
    relm_adapter.delete(record.id)
    relm_adapter.delete(record.id)
    assert relm_emulator.store.contacts() == []


def test_a_duplicate_email_is_refused(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    relm_emulator.store.create_contact(email="ada@example.com")
    with pytest.raises(RemoteRejected) as caught:
        relm_adapter.create(data("ADA@example.com"), idempotency_key="dup")
    assert (caught.value.status, caught.value.code) == (409, "duplicate_record")


def test_create_many_reports_the_refused_contact_and_stores_the_others(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    items = [(data("a@example.com"), "ka"), (data("not-an-email"), "kb"), (data("c@example.com"), "kc")]
    results = relm_adapter.create_many(items)
    assert isinstance(results[1], RemoteRejected) and results[1].code == "validation_error"
    assert "contact 1" in str(results[1])
    stored = sorted(c["email"] for c in relm_emulator.store.contacts())
    assert stored == ["a@example.com", "c@example.com"]
    assert [r.data["emails"][0]["address"] for r in (results[0], results[2])] == ["a@example.com", "c@example.com"]
    assert len(relm_emulator.requests("POST /v1/contacts/batch")) == 2


def test_create_many_upserts_on_email_and_replays_harmlessly(
    relm_adapter: RelmAdapter, relm_emulator: RelmEmulator
) -> None:
    existing = relm_emulator.store.create_contact(email="a@example.com", first_name="Old")
    items = [(data(f"{x}@example.com", labels=["batch"]), f"k{x}") for x in "abc"]
    first = relm_adapter.create_many(items)
    again = relm_adapter.create_many(items)
    assert [r.id for r in first] == [r.id for r in again]
    assert first[0].id == existing["id"] and first[0].data["given_name"] == "Ada"
    assert len(relm_emulator.store.contacts()) == 3
    assert all(r.data["labels"] == ["batch"] for r in first)


def test_find_by_email_then_phone(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    ada = relm_emulator.store.create_contact(email="Ada@Example.com")
    bob = relm_emulator.store.create_contact(phone="+1 555 0100")
    assert relm_adapter.find(data("ada@example.com")).id == ada["id"]
    phone = [{"number": "+1 555 0100", "e164": None, "label": None, "primary": True}]
    assert relm_adapter.find(data("zed@example.com", phones=phone)).id == bob["id"]
    assert relm_adapter.find(data("zed@example.com")) is None


# -- setup, errors, registration -----------------------------------------------------------------------------


def test_check_reports_the_api_without_the_key(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    facts = relm_adapter.check()
    assert facts == {"api_version": "2026-07-01", "rate_limit": "1000", "rate_limit_remaining": "999",
                     "key_mode": "test"}
    assert relm_emulator.api_key not in json.dumps(facts)


@pytest.mark.parametrize("token", [None, "", "pk_live_abc123456789"], ids=["none", "empty", "wrong-prefix"])
def test_a_missing_or_malformed_key_is_a_user_error(relm_httpx: httpx.Client, token: str | None) -> None:
    with pytest.raises(UserError) as caught:
        RelmAdapter(relm_httpx, url="https://relmcrm.com", token=token)
    assert "pk_live_abc" not in str(caught.value) and caught.value.hint


def test_bad_options_are_user_errors(relm_httpx: httpx.Client) -> None:
    with pytest.raises(UserError, match="page_size"):
        RelmAdapter(relm_httpx, url="https://relmcrm.com", token="sk_test_x", options={"page_size": "500"})


def test_a_refused_key_is_an_auth_error_with_a_hint(relm_emulator: RelmEmulator, relm_httpx: httpx.Client) -> None:
    adapter = RelmAdapter(relm_httpx, url=relm_emulator.url, token="sk_live_notakey00000000")
    with pytest.raises(AdapterAuthError) as caught:
        adapter.list_changes(None)
    assert "sk_live_notakey" not in str(caught.value) and "API Keys" in (caught.value.hint or "")


def test_works_on_the_client_the_engine_makes(relm_emulator: RelmEmulator) -> None:
    with make_client(relm_emulator.url, timeout=5) as client:
        adapter = RelmAdapter(client, url=relm_emulator.url, token=relm_emulator.api_key)
        adapter.http.retry = FAST
        relm_emulator.fail_every(2, 503)
        created = adapter.create(data("ada@example.com"), idempotency_key="eng-1")
        assert adapter.get(created.id).data["emails"][0]["address"] == "ada@example.com"


def test_the_emulator_classmethod_serves_relm() -> None:
    emulator = RelmAdapter.emulator(0)
    try:
        answer = httpx.get(f"{emulator.url}/v1/contacts", headers={"Authorization": f"Bearer {emulator.api_key}"})
        assert answer.status_code == 200 and answer.json()["object"] == "list"
    finally:
        emulator.stop()


def test_relm_is_a_built_in_plugin_registering_the_adapter() -> None:
    pm = new_plugin_manager()
    assert adapter_classes(pm)["relm"] is RelmAdapter
    from rolo.core.plugins import describe

    (row,) = [r for r in describe(pm) if r["name"] == "relm"]
    assert row["builtin"] and row["hooks"] == ["register_adapters"] and row["module"] == "rolo.adapters.relm"


def test_an_empty_workspace_still_gives_a_bookmark(relm_adapter: RelmAdapter, relm_emulator: RelmEmulator) -> None:
    first = relm_adapter.list_changes(None)
    assert first.records == [] and first.bookmark
    made = relm_emulator.store.create_contact(email="new@example.com")
    assert [r.id for r in relm_adapter.list_changes(first.bookmark).records] == [made["id"]]
