"""RelateClient over real HTTP against the Relate emulator: every method, paging, envelopes, retries, errors."""

from __future__ import annotations

import httpx
import pytest
from relate_support import *
from relate_support import FAST
from rolo.adapters._http import HttpClient
from rolo.adapters.relate.client import RelateClient, Walk, _one
from rolo.adapters.relate.emulator import RelateEmulator
from rolo.core.errors import AdapterAuthError, AdapterError, AdapterUnavailable, RemoteRejected

# -- contacts ------------------------------------------------------------------------------------------------


def test_contact_crud(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    made = relate_client.create_contact(
        {"first_name": "Paul", "last_name": "Atreides", "emails": ["paul@atreid.es"]}
    )
    assert made["first_name"] == "Paul" and made["emails"] == ["paul@atreid.es"]
    assert relate_client.get_contact(made["id"])["last_name"] == "Atreides"
    changed = relate_client.update_contact(made["id"], {"emails": ["usul@arrak.is"], "title": "Duke"})
    assert changed["emails"] == ["paul@atreid.es", "usul@arrak.is"] and changed["title"] == "Duke"
    assert relate_client.delete_contact_emails(made["id"], ["paul@atreid.es"])["emails"] == ["usul@arrak.is"]
    relate_client.delete_contact(made["id"])
    with pytest.raises(RemoteRejected) as caught:
        relate_client.get_contact(made["id"])
    assert (caught.value.status, caught.value.code) == (404, "not_found")


def test_lookups_by_email_and_phone(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    paul = relate_emulator.store.create_contact(
        first_name="Paul", emails=["Paul@atreid.es"], phone_numbers=["+82 10-1234-5678"]
    )
    relate_emulator.store.create_contact(first_name="Other", emails=["other@atreid.es"])
    assert [c["id"] for c in relate_client.list_contacts(email="paul@ATREID.es")] == [paul["id"]]
    for typed in ("+821012345678", "01012345678", "010-1234-5678"):
        assert [c["id"] for c in relate_client.list_contacts(phone_number=typed)] == [paul["id"]]
    assert "phone_number=010-1234-5678" in relate_emulator.requests("GET /v1/contacts")[-1].query


def test_list_walks_every_page_with_first_and_after(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    for i in range(230):
        relate_emulator.store.create_contact(first_name=f"P{i:03d}")
    walk = relate_client.walk_contacts()
    assert [c["first_name"] for c in walk.items] == [f"P{i:03d}" for i in range(230)]
    assert walk.totals == [230, 230, 230] and walk.steady
    pages = relate_emulator.requests("GET /v1/contacts")
    assert len(pages) == 3 and pages[0].query == "first=100"
    assert pages[1].query == "first=100&after=100" and pages[2].query == "first=100&after=200"


def test_a_small_page_size(relate_http: HttpClient, relate_emulator: RelateEmulator) -> None:
    for i in range(7):
        relate_emulator.store.create_contact(first_name=f"P{i}")
    client = RelateClient(relate_http, page_size=3)
    assert len(list(client.list_contacts())) == 7
    assert len(relate_emulator.requests("GET /v1/contacts")) == 3


def test_a_walk_that_moved_is_not_steady() -> None:
    assert Walk([{"id": "a"}, {"id": "b"}], [2, 2]).steady
    assert not Walk([{"id": "a"}, {"id": "b"}], [3, 2]).steady  # a deletion during the walk
    assert not Walk([{"id": "a"}, {"id": "a"}], [2, 2]).steady  # an item twice
    assert not Walk([{"id": "a"}], [2, 2]).steady  # fewer than the total
    assert Walk([{"id": "a"}], []).steady  # a remote that gives no totals


class _LoopingRelate(RelateEmulator):
    """A broken server whose contact listing always points back at the same page."""

    def list_contacts(self, request):
        return {"data": [{"id": "AAAAAA"}], "pagination": {"end_cursor": 1, "has_next_page": True}}


def test_a_cursor_that_comes_back_is_an_error(relate_httpx: httpx.Client) -> None:
    with _LoopingRelate() as looping:
        http = HttpClient(
            relate_httpx, base_url=looping.url, adapter="relate", token=looping.api_key, retry=FAST
        )
        with pytest.raises(AdapterError, match="pagination does not advance"):
            list(RelateClient(http).list_contacts())
        assert len(looping.requests("GET /v1/contacts")) == 2


def test_single_objects_bare_or_wrapped() -> None:
    assert _one({"id": "a", "name": "x"}) == {"id": "a", "name": "x"}
    assert _one({"data": {"id": "a"}}) == {"id": "a"}
    assert _one(None) == {}


# -- organizations, notes, custom fields ---------------------------------------------------------------------


def test_organization_methods(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    org = relate_client.create_organization({"name": "Relate", "domains": ["relate.so", "relate.kr"]})
    assert relate_client.get_organization(org["id"])["domains"] == ["relate.so", "relate.kr"]
    assert relate_client.update_organization(org["id"], {"name": "Relate Inc"})["name"] == "Relate Inc"
    assert relate_client.delete_organization_domains(org["id"], ["relate.kr"])["domains"] == ["relate.so"]
    assert [o["id"] for o in relate_client.list_organizations()] == [org["id"]]
    relate_client.delete_organization(org["id"])
    assert list(relate_client.list_organizations()) == []


def test_note_methods(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    org = relate_client.create_organization({"name": "Relate"})
    deal = relate_emulator.store.create_deal()
    note = relate_client.create_note(org["id"], "this is a note", deal_id=deal)
    assert note["deal_id"] == deal and relate_client.get_note(note["id"])["body"] == "this is a note"
    assert relate_client.update_note(note["id"], {"body": "edited"})["body"] == "edited"
    assert [n["id"] for n in relate_client.list_notes()] == [note["id"]]
    relate_client.delete_note(note["id"])
    assert list(relate_client.list_notes()) == []
    with pytest.raises(RemoteRejected) as caught:
        relate_client.create_note(org["id"], "  ")
    assert (caught.value.status, caught.value.code) == (422, "validation_error")


def test_custom_field_methods(relate_client: RelateClient) -> None:
    field = relate_client.create_custom_field(
        {
            "name": "field",
            "model": "contact",
            "data_type": "select",
            "options": ["one", "two"],
            "accepts_multiple_values": False,
        }
    )
    assert relate_client.get_custom_field(field["id"])["options"] == ["one", "two"]
    changed = relate_client.update_custom_field(
        field["id"], {"name": "field2", "options": ["one", "two", "three"]}
    )
    assert changed["name"] == "field2" and changed["options"] == ["one", "two", "three"]
    assert [f["id"] for f in relate_client.list_custom_fields()] == [field["id"]]
    relate_client.delete_custom_field(field["id"])
    assert relate_client.list_custom_fields() == []


# -- lists and entries ---------------------------------------------------------------------------------------


def test_list_and_entry_methods(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    paul = relate_emulator.store.create_contact(first_name="Paul")
    made = relate_client.create_list({"name": "Friends", "process": False, "entry_type": "Contact"})
    assert relate_client.get_list(made["id"])["entry_type"] == "Contact"
    assert relate_client.update_list(made["id"], {"name": "Good friends"})["name"] == "Good friends"
    assert [item["id"] for item in relate_client.list_lists()] == [made["id"]]
    entry = relate_client.create_entry(made["id"], {"entryable_id": paul["id"], "entryable_type": "Contact"})
    assert relate_client.get_entry(made["id"], entry["id"])["entryable_id"] == paul["id"]
    assert (
        relate_client.update_entry(made["id"], entry["id"], {"contact_id": paul["id"]})["contact_id"]
        == paul["id"]
    )
    assert [e["id"] for e in relate_client.list_entries(made["id"])] == [entry["id"]]
    relate_client.delete_entry(made["id"], entry["id"])
    assert list(relate_client.list_entries(made["id"])) == []
    relate_client.delete_list(made["id"])
    assert relate_client.list_lists() == []


# -- meetings ------------------------------------------------------------------------------------------------


def test_calendar_events_and_recordings(relate_client: RelateClient, relate_emulator: RelateEmulator) -> None:
    meeting = relate_emulator.store.add_meeting(
        "Sample Meeting",
        "2026-05-16T11:00:00.000+09:00",
        "2026-05-16T12:00:00.000+09:00",
        attendees=["alice@example.com"],
    )
    (listed,) = relate_client.list_calendar_events()
    assert listed["id"] == meeting["id"]
    assert relate_client.get_calendar_event(meeting["id"])["title"] == "Sample Meeting"  # unwrapped from data
    recording = relate_client.get_recording(meeting["recordings"][0]["id"])
    assert recording["summary"]["action_items"] and recording["calendar_event_id"] == meeting["id"]
    assert list(relate_client.list_calendar_events(updated_after=4102444800.0)) == []  # 2100-01-01
    query = relate_emulator.requests("GET /v1/calendar_events")[-1].query
    assert "updated_after=4102444800" in query


# -- retries and errors --------------------------------------------------------------------------------------


def test_reads_and_patches_ride_out_a_500_storm(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    paul = relate_emulator.store.create_contact(first_name="Paul")
    relate_emulator.fail_every(2, 500)
    assert relate_client.get_contact(paul["id"])["id"] == paul["id"]
    assert relate_client.update_contact(paul["id"], {"title": "Duke"})["title"] == "Duke"
    relate_client.delete_contact(paul["id"])


def test_a_create_is_not_repeated_after_a_500(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    relate_emulator.fail_every(1, 500)
    with pytest.raises(RemoteRejected) as caught:
        relate_client.create_contact({"first_name": "Paul"})
    assert caught.value.status == 500
    assert len(relate_emulator.requests("POST /v1/contacts")) == 1  # the adapter decides what comes next


def test_a_create_is_repeated_after_a_429(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    relate_emulator.fail_every(2, 429)
    relate_client.list_lists()  # the next request is the one refused
    assert relate_client.create_contact({"first_name": "Paul"})["first_name"] == "Paul"
    assert [e.status for e in relate_emulator.requests("POST /v1/contacts")] == [429, 201]


def test_503_that_never_stops_is_unavailable(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    relate_emulator.fail_every(1, 503)
    with pytest.raises(AdapterUnavailable):
        relate_client.list_lists()


def test_dropped_connections_on_reads_are_retried(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    relate_emulator.store.create_contact(first_name="Paul")
    relate_emulator.drop_every(2)
    relate_client.list_lists()
    assert len(list(relate_client.list_contacts())) == 1


def test_a_refused_key_is_an_auth_error_without_the_key(
    relate_emulator: RelateEmulator, relate_httpx: httpx.Client
) -> None:
    http = HttpClient(
        relate_httpx,
        base_url=relate_emulator.url,
        adapter="relate",
        token="secret-key-123456",
        retry=FAST,
        auth_hint="make a key",
    )
    with pytest.raises(AdapterAuthError) as caught:
        RelateClient(http).list_lists()
    assert "secret-key-123456" not in str(caught.value) and caught.value.hint == "make a key"
    assert "401 unauthorized" in str(caught.value)


def test_the_client_reaches_every_endpoint(
    relate_client: RelateClient, relate_emulator: RelateEmulator
) -> None:
    """Every route of the emulator is one client method (and each works)."""
    store = relate_emulator.store
    org = relate_client.create_organization({"name": "Relate", "domains": ["relate.so", "relate.kr"]})
    relate_client.get_organization(org["id"])
    list(relate_client.list_organizations())
    relate_client.update_organization(org["id"], {"name": "Relate Inc"})
    relate_client.delete_organization_domains(org["id"], ["relate.kr"])
    paul = relate_client.create_contact({"first_name": "Paul", "emails": ["p@relate.so", "q@relate.so"]})
    list(relate_client.list_contacts())
    relate_client.get_contact(paul["id"])
    relate_client.update_contact(paul["id"], {"last_name": "Atreides"})
    relate_client.delete_contact_emails(paul["id"], ["q@relate.so"])
    note = relate_client.create_note(org["id"], "n")
    list(relate_client.list_notes())
    relate_client.get_note(note["id"])
    relate_client.update_note(note["id"], {"body": "m"})
    relate_client.delete_note(note["id"])
    field = relate_client.create_custom_field({"name": "f", "model": "contact"})
    relate_client.list_custom_fields()
    relate_client.get_custom_field(field["id"])
    relate_client.update_custom_field(field["id"], {"name": "g"})
    relate_client.delete_custom_field(field["id"])
    made = relate_client.create_list({"name": "L", "process": False, "entry_type": "Contact"})
    relate_client.list_lists()
    relate_client.get_list(made["id"])
    relate_client.update_list(made["id"], {"name": "M"})
    entry = relate_client.create_entry(made["id"], {"entryable_id": paul["id"], "entryable_type": "Contact"})
    list(relate_client.list_entries(made["id"]))
    relate_client.get_entry(made["id"], entry["id"])
    relate_client.update_entry(made["id"], entry["id"], {})
    relate_client.delete_entry(made["id"], entry["id"])
    relate_client.delete_list(made["id"])
    meeting = store.add_meeting("M", "2026-05-16T11:00:00.000+09:00", attendees=["p@relate.so"])
    list(relate_client.list_calendar_events())
    relate_client.get_calendar_event(meeting["id"])
    relate_client.get_recording(meeting["recordings"][0]["id"])
    relate_client.delete_contact(paul["id"])
    relate_client.delete_organization(org["id"])
    assert relate_emulator.unused_routes() == []
