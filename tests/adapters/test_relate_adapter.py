"""RelateAdapter against the emulator: what is Relate-specific beyond the shared adapter contract (listings that
move, creates whose answer is lost, emails through PATCH and DELETE, organizations, custom fields, labels as
lists, lookups, meetings, registration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from relate_support import *
from relate_support import FAST
from rolo.adapters._emulator import ApiError, Request, Response
from rolo.adapters.relate import RelateAdapter
from rolo.adapters.relate.emulator import RelateEmulator
from rolo.core.errors import AdapterAuthError, RemoteRejected, UserError
from rolo.core.fields import FieldDefinition
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync.http import make_client
from rolo.core.sync.remotes import adapter_classes


class LossyRelate(RelateEmulator):
    """Relate whose answers can be lost after the work is done (`lose[route] = n`: the next n successful
    answers of that route become 500s), or refused before it (`refuse[route] = n`: 422s)."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: dict[str, int] = {}
        self.refuse: dict[str, int] = {}

    def reset_state(self) -> None:
        super().reset_state()
        self.lose, self.refuse = {}, {}

    def dispatch(self, request: Request, handler: Callable[[Request], Any]) -> Response:
        label = request.route or ""
        if self.refuse.get(label):
            self.refuse[label] -= 1
            return self.error_response(ApiError(422, "validation_error", "refused on purpose"))
        response = super().dispatch(request, handler)
        if self.lose.get(label) and response.status < 300:
            self.lose[label] -= 1
            return self.error_response(ApiError(500, "internal_error", "the answer was lost"))
        return response


@pytest.fixture(scope="module")
def lossy_server() -> Iterator[LossyRelate]:
    with LossyRelate() as emulator:
        yield emulator


@pytest.fixture
def lossy(lossy_server: LossyRelate) -> Iterator[LossyRelate]:
    lossy_server.reset()
    yield lossy_server
    errors = list(lossy_server.errors)
    lossy_server.reset()
    assert not errors, "the emulator raised:\n" + "\n".join(errors)


@pytest.fixture
def adapter(lossy: LossyRelate, relate_httpx: httpx.Client) -> RelateAdapter:
    made = RelateAdapter(relate_httpx, url=lossy.url, token=lossy.api_key)
    made.http.retry = FAST
    made.creator.sleep = lambda seconds: None
    return made


def fresh(adapter: RelateAdapter) -> RelateAdapter:
    """A new adapter on the same remote (a new sync run: nothing cached)."""
    made = RelateAdapter(adapter.client, url=adapter.url, token=adapter.token)
    made.http.retry = FAST
    return made


def data(email: str | None = "ada@example.com", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "title": None,
        "emails": [{"address": email, "label": None, "primary": True}] if email else [],
        "phones": [],
        "organization": None,
        "labels": [],
        "custom_fields": {},
    }
    base.update(changes)
    return base


def emails(*addresses: str) -> list[dict[str, Any]]:
    return [{"address": a, "label": None, "primary": i == 0} for i, a in enumerate(addresses)]


# -- pulls ---------------------------------------------------------------------------------------------------


def test_a_listing_reads_every_carried_field(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    store = lossy.store
    org = store.create_organization(name="House Atreides", domains=["atreid.es"])
    store.define_field(name="House", model="contact")
    store.define_field(name="Score", model="contact", data_type="number")
    store.define_field(
        name="VIP",
        model="contact",
        data_type="select",
        options=["true", "false"],
        accepts_multiple_values=False,
    )
    store.define_field(
        name="Met at",
        model="contact",
        data_type="select",
        options=["Arrakis", "Caladan"],
        accepts_multiple_values=True,
    )
    paul = store.create_contact(
        first_name="Paul",
        last_name="Atreides",
        title="Duke",
        emails=["paul@atreid.es"],
        phone_numbers=["010-1234-5678"],
        organization_id=org["id"],
        custom_fields=[
            {"name": "House", "value": "Atreides"},
            {"name": "Score", "value": 9.0},
            {"name": "VIP", "value": "true"},
            {"name": "Met at", "value": ["Arrakis"]},
        ],
    )
    friends = store.create_list(name="Friends", process=False, entry_type="Contact")
    store.add_entry(friends["id"], entryable_id=paul["id"], entryable_type="Contact")
    same_name = store.create_list(name="friends", process=False, entry_type="Contact")
    store.add_entry(same_name["id"], entryable_id=paul["id"], entryable_type="Contact")
    archived = store.create_list(name="Old", process=False, entry_type="Contact")
    store.add_entry(archived["id"], entryable_id=paul["id"], entryable_type="Contact")
    store.lists[archived["id"]]["archived_at"] = "2026-01-01T00:00:00.000Z"  # archived in Relate's web app
    deals = store.create_list(
        name="Deals",
        process=True,
        entry_type="Contact",
        identifier="DEAL",
        duplicates_allowed=True,
        statuses=[{"name": "Open", "type": "active"}],
    )
    store.add_entry(
        deals["id"],
        entryable_id=paul["id"],
        entryable_type="Contact",
        status="Open",
        one_time_value_cents=0,
        recurring_value_cents=0,
        recurring_value_period="monthly",
    )
    nameless = store.create_contact(emails=["x@spice.org"], organization_id="auto")

    changes = adapter.list_changes(None)

    assert changes.complete and changes.deleted is None and changes.bookmark is None
    records = {r.id: r for r in changes.records}
    assert records[paul["id"]].data == {
        "given_name": "Paul",
        "family_name": "Atreides",
        "title": "Duke",
        "emails": [{"address": "paul@atreid.es", "label": None, "primary": None}],
        "phones": [{"number": "+821012345678", "label": None, "primary": None}],
        "organization": "House Atreides",
        "custom_fields": {"House": "Atreides", "Score": 9, "VIP": True, "Met_at": ["Arrakis"]},
        "labels": ["Friends"],
    }
    assert records[paul["id"]].updated_at == paul["updated_at"] and records[paul["id"]].version
    assert records[nameless["id"]].data["organization"] == "spice.org"  # a nameless organization: its domain


def test_labels_and_organization_names_change_the_version(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    org = lossy.store.create_organization(name="Atreides")
    paul = lossy.store.create_contact(first_name="Paul", organization_id=org["id"])
    before = adapter.list_changes(None).records[0].version
    friends = lossy.store.create_list(name="Friends", process=False, entry_type="Contact")
    lossy.store.add_entry(friends["id"], entryable_id=paul["id"], entryable_type="Contact")
    with_label = fresh(adapter).list_changes(None).records[0]
    assert (
        with_label.version != before and lossy.store.contact(paul["id"])["updated_at"] == paul["updated_at"]
    )
    lossy.store.update_organization(org["id"], name="House Atreides")
    renamed = fresh(adapter).list_changes(None).records[0]
    assert renamed.data["organization"] == "House Atreides" and renamed.version != with_label.version


def _moving(adapter: RelateAdapter, lossy: LossyRelate, deletions: int) -> None:
    """Delete the first contact after the first page of each of the next `deletions` contact walks."""
    original = adapter.relate.pages
    left = [deletions]

    def pages(path: str, params: Any = None, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        for index, body in enumerate(original(path, params, page_size)):
            yield body
            if path == "/v1/contacts" and index == 0 and left[0] > 0 and not (params or {}).get("email"):
                left[0] -= 1
                lossy.store.delete_contact(next(iter(lossy.store.contacts)))

    adapter.relate.pages = pages  # type: ignore[method-assign]


def test_a_listing_that_moved_is_walked_again(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    for i in range(5):
        lossy.store.create_contact(first_name=f"P{i}")
    adapter.relate.page_size = 2
    _moving(adapter, lossy, deletions=1)
    changes = adapter.list_changes(None)
    assert changes.complete
    assert sorted(r.data["given_name"] for r in changes.records) == ["P1", "P2", "P3", "P4"]


def test_a_listing_that_keeps_moving_is_incomplete(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    for i in range(8):
        lossy.store.create_contact(first_name=f"P{i}")
    adapter.relate.page_size = 2
    _moving(adapter, lossy, deletions=3)
    changes = adapter.list_changes(None)
    assert not changes.complete  # so the engine deletes nothing it did not see this time


def test_get_of_a_missing_contact_is_none(adapter: RelateAdapter) -> None:
    assert adapter.get("NOPE00") is None


# -- creates -------------------------------------------------------------------------------------------------


def test_create_sends_everything_and_reads_it_back(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    adapter.prepare(
        [
            FieldDefinition("tier", "select", ["close", "friend"]),
            FieldDefinition("vip", "bool"),
            FieldDefinition("score", "number"),
            FieldDefinition("met_at", "text"),
        ]
    )
    sent = data(
        title="Countess",
        phones=[{"number": "+44 20 7946 0123", "label": "work", "primary": True}],
        organization="Analytical Engines",
        labels=["math", "Book Club"],
        custom_fields={"tier": "close", "vip": True, "score": 9, "met_at": "Royal Society"},
        emails=emails("ada@engines.co.uk", "ada@gmail.com"),
    )
    made = adapter.create(sent, idempotency_key="ignored")
    assert made.data["labels"] == ["Book Club", "math"] and made.version
    assert (
        made.data["custom_fields"] == sent["custom_fields"]
        and made.data["organization"] == "Analytical Engines"
    )
    assert [e["address"] for e in made.data["emails"]] == ["ada@engines.co.uk", "ada@gmail.com"]
    assert made.data["phones"][0]["number"] == "+442079460123"
    (org,) = lossy.store.organizations.values()
    assert org["domains"] == ["engines.co.uk"]  # the company domain of the first email
    assert sorted(item["name"] for item in lossy.store.lists.values()) == ["Book Club", "math"]
    assert fresh(adapter).get(made.id).data == made.data  # what a later run reads


def test_organizations_are_reused_by_name_and_get_no_free_mail_domain(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    existing = lossy.store.create_organization(name="Acme", domains=["acme.com"])
    first = adapter.create(data("a@gmail.com", organization="ACME "), idempotency_key="k")
    assert lossy.store.contact(first.id)["organization_id"] == existing["id"]
    adapter.create(data("b@gmail.com", given_name="B", organization="Freelance"), idempotency_key="k")
    adapter.create(data("c@acme.com", given_name="C", organization="Acme Labs"), idempotency_key="k")
    by_name = {o["name"]: o for o in lossy.store.organizations.values()}
    assert by_name["Freelance"]["domains"] == []  # gmail.com is nobody's company
    assert by_name["Acme Labs"]["domains"] == []  # acme.com belongs to Acme


@pytest.mark.parametrize("email", ["ada@example.com", None], ids=["with-email", "without-email"])
def test_a_create_whose_answer_was_lost_is_made_once(
    adapter: RelateAdapter, lossy: LossyRelate, email: str | None
) -> None:
    lossy.store.create_contact(first_name="Someone", last_name="Else")
    lossy.lose["POST /v1/contacts"] = 1
    made = adapter.create(data(email), idempotency_key="k")
    mine = [c for c in lossy.store.contacts.values() if c["first_name"] == "Ada"]
    assert [c["id"] for c in mine] == [made.id]  # the twin the lost answer left was deleted
    assert len(lossy.requests("POST /v1/contacts")) == 2
    assert len(lossy.requests("DELETE /v1/contacts/{id}")) == 1


def test_a_create_whose_answers_were_all_lost_keeps_the_first(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    lossy.lose["POST /v1/contacts"] = 99
    made = adapter.create(data(), idempotency_key="k")
    assert list(lossy.store.contacts) == [made.id]
    assert len(lossy.requests("POST /v1/contacts")) == FAST.attempts


def test_a_create_the_remote_refuses_is_rejected_once(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    with pytest.raises(RemoteRejected) as caught:
        adapter.create(data(None, given_name=None, family_name="Nobody"), idempotency_key="k")
    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert len(lossy.requests("POST /v1/contacts")) == 1 and not lossy.store.contacts


def test_a_lost_entry_answer_leaves_one_entry(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    lossy.lose["POST /v1/lists/{list_id}/entries"] = 1
    made = adapter.create(data(labels=["math"]), idempotency_key="k")
    assert made.data["labels"] == ["math"]
    assert len(lossy.store.entries) == 1


def test_a_label_that_cannot_be_added_does_not_fail_the_create(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    lossy.refuse["POST /v1/lists/{list_id}/entries"] = 1
    made = adapter.create(data(labels=["math"]), idempotency_key="k")
    assert made.data["labels"] == [] and made.version is None  # the next run compares it and adds the label
    assert list(lossy.store.contacts) == [made.id]


def test_phone_region_sends_e164(lossy: LossyRelate, relate_httpx: httpx.Client) -> None:
    adapter = RelateAdapter(relate_httpx, url=lossy.url, token=lossy.api_key, options={"phone_region": "us"})
    made = adapter.create(
        data(phones=[{"number": "(415) 555-0123", "label": None, "primary": True}]), idempotency_key="k"
    )
    assert made.data["phones"][0]["number"] == "+14155550123"  # not read as a Korean number


# -- updates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "before", "after"),
    [
        ("Ada", ["a@x.org", "b@x.org"], ["b@x.org", "a@x.org"]),
        ("Ada", ["a@x.org", "b@x.org"], ["a@x.org", "b@x.org", "c@x.org"]),
        ("Ada", ["a@x.org", "b@x.org"], []),
        (None, ["a@x.org"], ["c@x.org", "a@x.org", "b@x.org"]),
        (None, ["a@x.org", "b@x.org"], ["c@x.org"]),
        (None, ["a@x.org", "b@x.org"], ["b@x.org"]),
        (None, ["a@x.org", "b@x.org", "c@x.org"], ["a@x.org", "c@x.org"]),
    ],
    ids=[
        "reorder",
        "append",
        "remove-all",
        "no-name-insert",
        "no-name-replace",
        "no-name-keep-second",
        "remove-middle",
    ],
)
def test_emails_end_exactly_as_the_book_has_them(
    adapter: RelateAdapter, lossy: LossyRelate, first: str | None, before: list[str], after: list[str]
) -> None:
    rid = lossy.store.create_contact(first_name=first, emails=before)["id"]
    current = adapter.get(rid)
    assert current is not None
    updated = adapter.update(
        rid, {**current.data, "emails": emails(*after)}, changed=frozenset({"emails"}), previous=current.data
    )
    assert lossy.store.contact(rid)["emails"] == after
    assert [e["address"] for e in updated.data["emails"]] == after
    assert len(lossy.requests("DELETE /v1/contacts/{id}/emails")) <= 1


def test_setting_a_first_name_while_replacing_every_email(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    rid = lossy.store.create_contact(emails=["a@x.org"])["id"]
    current = adapter.get(rid)
    assert current is not None
    adapter.update(
        rid,
        {**current.data, "given_name": "Ada", "emails": []},
        changed=frozenset({"given_name", "emails"}),
        previous=current.data,
    )
    assert lossy.store.contact(rid)["first_name"] == "Ada" and lossy.store.contact(rid)["emails"] == []


def test_removing_the_last_email_of_a_nameless_contact_is_refused(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    rid = lossy.store.create_contact(emails=["a@x.org"])["id"]
    current = adapter.get(rid)
    assert current is not None
    with pytest.raises(RemoteRejected) as caught:
        adapter.update(
            rid, {**current.data, "emails": []}, changed=frozenset({"emails"}), previous=current.data
        )
    assert caught.value.status == 422 and lossy.store.contact(rid)["emails"] == ["a@x.org"]


def test_update_patches_names_title_phones_organization(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    made = adapter.create(data(organization="Old Co", title="Countess"), idempotency_key="k")
    changed = {
        **made.data,
        "family_name": None,
        "title": "Analyst",
        "organization": "New Co",
        "phones": [{"number": "+44 20 7946 0123", "label": None, "primary": True}],
    }
    updated = adapter.update(
        made.id,
        changed,
        changed=frozenset({"family_name", "title", "organization", "phones"}),
        previous=made.data,
    )
    assert updated.data == {
        **changed,
        "phones": [{"number": "+442079460123", "label": None, "primary": None}],
    }
    cleared = adapter.update(
        made.id,
        {**updated.data, "organization": None},
        changed=frozenset({"organization"}),
        previous=updated.data,
    )
    assert cleared.data["organization"] is None
    assert sorted(o["name"] for o in lossy.store.organizations.values()) == [
        "New Co",
        "Old Co",
    ]  # never deleted


def test_update_sets_and_clears_custom_fields(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    adapter.prepare(
        [
            FieldDefinition("tier", "select", ["close"]),
            FieldDefinition("vip", "bool"),
            FieldDefinition("tags", "text", [], True),
            FieldDefinition("met_at", "text"),
        ]
    )
    made = adapter.create(
        data(custom_fields={"tier": "close", "vip": False, "met_at": "Royal Society"}), idempotency_key="k"
    )
    assert made.data["custom_fields"] == {"tier": "close", "vip": False, "met_at": "Royal Society"}
    wanted = {"tier": "friend", "vip": True, "tags": ["a", "b"]}
    updated = adapter.update(
        made.id,
        {**made.data, "custom_fields": wanted},
        changed=frozenset({"custom_fields"}),
        previous=made.data,
    )
    assert updated.data["custom_fields"] == wanted  # met_at cleared
    fields = {f["name"]: f for f in lossy.store.fields.values()}
    assert fields["tier"]["options"] == ["close", "friend"]  # the option the book's value needed was added
    assert fields["tags"]["data_type"] == "select" and fields["tags"]["accepts_multiple_values"]
    assert fields["tags"]["options"] == ["a", "b"]  # defined on first use, from its values


def test_update_adds_and_removes_labels(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    made = adapter.create(data(labels=["math", "poetry"]), idempotency_key="k")
    updated = adapter.update(
        made.id, {**made.data, "labels": ["Math", "chess"]}, changed=frozenset({"labels"}), previous=made.data
    )
    assert updated.data["labels"] == [
        "chess",
        "math",
    ]  # "Math" is the list "math" (names compare without case)
    held = sorted(lossy.store.lists[e["list_id"]]["name"] for e in lossy.store.entries.values())
    assert held == ["chess", "math"] and len(lossy.store.lists) == 3  # lists are never deleted
    assert fresh(adapter).get(made.id).data["labels"] == ["chess", "math"]


def test_update_of_a_missing_contact_is_a_404(adapter: RelateAdapter) -> None:
    with pytest.raises(RemoteRejected) as caught:
        adapter.update("NOPE00", data(), changed=frozenset({"given_name"}), previous=None)
    assert caught.value.status == 404


def test_delete_twice_is_fine(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    made = adapter.create(data(labels=["math"]), idempotency_key="k")
    adapter.delete(made.id)
    adapter.delete(made.id)
    assert not lossy.store.contacts and not lossy.store.entries


# -- lookups -------------------------------------------------------------------------------------------------


def test_find_by_email_prefers_the_same_names_and_the_newest(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    lossy.store.create_contact(first_name="Other", emails=["ada@example.com"])
    older = lossy.store.create_contact(first_name="Ada", last_name="Lovelace", emails=["ADA@example.com"])
    newer = lossy.store.create_contact(first_name="Ada", last_name="Lovelace", emails=["ada@example.com"])
    found = adapter.find(data())
    assert found is not None and found.id == newer["id"] != older["id"]
    assert found.version is None  # the resumed pair is compared on the next listing
    assert adapter.find(data("nobody@example.com")) is None


def test_find_by_phone_in_another_format(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    paul = lossy.store.create_contact(first_name="Paul", phone_numbers=["+82 10-1234-5678"])
    found = adapter.find(
        data(
            None,
            given_name="Paul",
            family_name=None,
            phones=[{"number": "010-1234-5678", "label": None, "primary": True}],
        )
    )
    assert found is not None and found.id == paul["id"]
    assert "phone_number=010-1234-5678" in lossy.requests("GET /v1/contacts")[-1].query


def test_find_without_email_or_phone_reads_the_listing(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    lossy.store.create_contact(first_name="Ada", emails=["a@x.org"])  # holds an email the sent record had not
    nameless = lossy.store.create_contact(first_name="Ada", last_name="Lovelace")
    found = adapter.find(data(None))
    assert found is not None and found.id == nameless["id"]


# -- schema --------------------------------------------------------------------------------------------------


def test_prepare_defines_fields_with_relate_types(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    adapter.prepare(
        [
            FieldDefinition("tier", "select", ["close", "friend"]),
            FieldDefinition("vip", "bool"),
            FieldDefinition("score", "number"),
            FieldDefinition("bio", "textarea"),
            FieldDefinition("site", "url"),
            FieldDefinition("met", "date"),
            FieldDefinition("seen", "datetime"),
            FieldDefinition("tags", "text", [], True),
            FieldDefinition("sports", "select", ["ski", "run"], True),
        ]
    )
    got = {
        f["name"]: (f["data_type"], f["options"], f["accepts_multiple_values"])
        for f in lossy.store.fields.values()
    }
    assert got == {
        "tier": ("select", ["close", "friend"], False),
        "vip": ("select", ["true", "false"], False),
        "score": ("number", None, False),
        "bio": ("textarea", None, False),
        "site": ("url", None, False),
        "met": ("date", None, False),
        "seen": ("datetime", None, False),
        "sports": ("select", ["ski", "run"], True),
    }  # tags waits for its first values
    adapter.prepare([FieldDefinition("tier", "select", ["close", "friend", "family"])])
    assert next(f for f in lossy.store.fields.values() if f["name"] == "tier")["options"][-1] == "family"
    assert {d.name: d.type for d in fresh(adapter).remote_fields()} == {
        "tier": "select",
        "vip": "bool",
        "score": "number",
        "bio": "textarea",
        "site": "url",
        "met": "date",
        "seen": "datetime",
        "sports": "select",
    }


def test_an_incompatible_field_is_refused_before_anything_changes(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    lossy.store.define_field(name="Score", model="contact", data_type="date")
    with pytest.raises(RemoteRejected) as caught:
        adapter.prepare([FieldDefinition("tier", "text"), FieldDefinition("score", "number")])
    assert caught.value.code == "incompatible_field" and "'score'" in str(caught.value)
    assert len(lossy.store.fields) == 1


def test_existing_compatible_fields_are_reused(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    lossy.store.define_field(name="Met at", model="contact", data_type="textarea")
    adapter.prepare([FieldDefinition("met_at", "text")])
    assert len(lossy.store.fields) == 1
    made = adapter.create(data(custom_fields={"met_at": "Royal Society"}), idempotency_key="k")
    assert made.data["custom_fields"] == {"Met_at": "Royal Society"}


# -- meetings ------------------------------------------------------------------------------------------------


def test_pull_activity_gives_one_entry_per_attendee_once_per_meeting(
    adapter: RelateAdapter, lossy: LossyRelate
) -> None:
    meeting = lossy.store.add_meeting(
        "Sample Meeting",
        "2026-05-16T11:00:00.000+09:00",
        "2026-05-16T12:00:00.000+09:00",
        attendees=["alice@example.com", "bob@example.com", "ALICE@example.com"],
        summary={"summary": "A short summary.", "action_items": ["Owner A: task 1", "Owner B: task 2"]},
    )
    lossy.store.add_meeting(
        "Unfinished", "2026-05-17T11:00:00.000+09:00", attendees=["alice@example.com"], recording="processing"
    )
    entries = adapter.pull_activity(None)
    assert [(e[0], e[1], e[3]) for e in entries] == [
        ("alice@example.com", "2026-05-16T02:00:00.000Z", f"relate-meeting-{meeting['id']}"),
        ("bob@example.com", "2026-05-16T02:00:00.000Z", f"relate-meeting-{meeting['id']}"),
    ]
    assert entries[0][2] == (
        "Meeting: Sample Meeting (2026-05-16T11:00:00.000+09:00 – 2026-05-16T12:00:00.000+09:00)\n"
        "Summary: A short summary.\nAction items:\n- Owner A: task 1\n- Owner B: task 2"
    )
    assert len(lossy.requests("GET /v1/recordings/{id}")) == 1


def test_pull_activity_since_asks_for_updated_meetings(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    lossy.store.add_meeting("Old", "2026-05-16T11:00:00.000+09:00", attendees=["a@example.com"])
    assert adapter.pull_activity("2100-01-01T00:00:00Z") == []
    query = lossy.requests("GET /v1/calendar_events")[-1].query
    assert f"updated_after={4102444800 - 300}" in query  # five minutes before, for clock skew
    assert len(adapter.pull_activity("2000-01-01T00:00:00Z")) == 1


# -- configuration and plumbing ------------------------------------------------------------------------------


def test_check_reports_the_workspace_without_the_key(adapter: RelateAdapter, lossy: LossyRelate) -> None:
    lossy.store.create_contact(first_name="Paul")
    facts = adapter.check()
    assert facts["contacts"] == 1 and lossy.api_key not in json.dumps(facts)


@pytest.mark.parametrize(
    ("token", "options", "message"),
    [
        (None, {}, "API key is needed"),
        ("k", {"page_size": "0"}, "page_size"),
        ("k", {"page_size": "many"}, "page_size"),
        ("k", {"phone_region": "USA"}, "phone_region"),
        ("k", {"retry_attempts": "x"}, "retry"),
    ],
    ids=["no-token", "page-size-0", "page-size-word", "region", "retry"],
)
def test_bad_configuration_is_a_user_error(
    relate_httpx: httpx.Client, token: str | None, options: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        RelateAdapter(relate_httpx, url="http://127.0.0.1:9", token=token, options=options)


def test_a_refused_key_is_an_auth_error_with_a_hint(lossy: LossyRelate, relate_httpx: httpx.Client) -> None:
    adapter = RelateAdapter(relate_httpx, url=lossy.url, token="wrong-key")
    with pytest.raises(AdapterAuthError) as caught:
        adapter.list_changes(None)
    assert caught.value.hint == RelateAdapter.token_help and "wrong-key" not in str(caught.value)


def test_works_on_the_client_the_engine_makes(lossy: LossyRelate) -> None:
    lossy.store.create_contact(first_name="Paul")
    with make_client(lossy.url, timeout=5) as client:
        adapter = RelateAdapter(client, url=lossy.url, token=lossy.api_key)
        assert [r.data["given_name"] for r in adapter.list_changes(None).records] == ["Paul"]


def test_the_emulator_classmethod_serves_relate() -> None:
    emulator = RelateAdapter.emulator(0)
    try:
        answer = httpx.get(
            f"{emulator.url}/v1/contacts", headers={"Authorization": f"Bearer {emulator.api_key}"}
        )
        assert answer.status_code == 200
    finally:
        emulator.stop()


def test_rolo_emulate_relate_serves_it(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "rolo"), "emulate", "relate", "--json"]
    env = {**os.environ, "ROLO_HOME": str(tmp_path)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        answer = httpx.get(
            f"{info['url']}/v1/contacts", headers={"Authorization": f"Bearer {info['api_key']}"}
        )
        assert info["adapter"] == "relate" and answer.status_code == 200
    finally:
        process.terminate()
        process.wait(10)


def test_relate_is_a_built_in_plugin_registering_the_adapter() -> None:
    classes = adapter_classes(new_plugin_manager())
    assert classes["relate"] is RelateAdapter
    caps = RelateAdapter.capabilities
    assert caps.lookup and not caps.idempotent_create and not caps.incremental and caps.labels
    assert caps.custom_fields and caps.organizations and not caps.notes
