"""A thin client for the Relate endpoints, on the shared `HttpClient` (`rolo.adapters._http`).

One method per endpoint; bodies go out and come back as Relate's own JSON, untranslated (`mapping.py` turns
them into the book's vocabulary). Every error is an `AdapterError` (the HTTP layer translates). Lists are
walked lazily through Relate's cursor pages: `first` (the page size, at most `PAGE_MAX`) and `after` (the
previous page's `pagination.end_cursor`), until `pagination.has_next_page` is false.

Relate has no idempotency keys, so no POST here is retried once it may have reached the server (the HTTP
layer retries it only after a 429 or a connection that was never made); the adapter decides what to do
after a failed create (see `RelateAdapter`). GET, PATCH and DELETE are retried: every PATCH rolo sends sets
values (adding an email already present changes nothing), and a DELETE of something gone is harmless.

Relate answers single objects bare (`GET /v1/lists/:id`) or wrapped (`{"data": {...}}` for a recording);
`_one` accepts either, for every endpoint.

    client = RelateClient(HttpClient(httpx_client, base_url=url, adapter="relate", token=key))
    contact = client.create_contact({"first_name": "Paul", "emails": ["paul@atreid.es"]})
    for contact in client.list_contacts(email="paul@atreid.es"):
        ...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from rolo.adapters._http import HttpClient
from rolo.core.errors import AdapterError

PAGE_MAX = 100
_MAX_PAGES = 1_000_000


def _id(value: str) -> str:
    return quote(str(value), safe="")


def _one(body: Any) -> dict[str, Any]:
    """A single object, bare or wrapped in `{"data": {...}}`."""
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping) and "id" not in body:
        return dict(body["data"])
    return dict(body or {})


@dataclass
class Walk:
    """The items of a paginated listing, and what its pages said about the total (see `pages`)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    """`pagination.total_count` of each page, when the remote gave it."""

    @property
    def steady(self) -> bool:
        """The total did not move during the walk and every item came once: nothing was created or deleted
        meanwhile (with offset cursors a deletion shifts later items back, and one would be missed)."""
        ids = [item.get("id") for item in self.items]
        if len(set(ids)) != len(ids):
            return False
        if not self.totals:
            return True
        return len(set(self.totals)) == 1 and self.totals[0] == len(ids)


class RelateClient:
    """The Relate endpoints. Each method is one request, or one lazy walk through list pages."""

    def __init__(self, http: HttpClient, *, page_size: int = PAGE_MAX) -> None:
        self.http = http
        self.page_size = max(1, min(PAGE_MAX, page_size))

    def __repr__(self) -> str:
        return f"<RelateClient {self.http!r}>"

    # -- paging --------------------------------------------------------------------------------------------

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every page body of a listing, following `pagination.end_cursor` while `has_next_page`."""
        query: dict[str, Any] = {k: v for k, v in (params or {}).items() if v is not None}
        query["first"] = max(1, min(PAGE_MAX, page_size or self.page_size))
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            body = self.http.get(path, params=query) or {}
            yield body
            pagination = body.get("pagination") if isinstance(body, Mapping) else None
            pagination = pagination if isinstance(pagination, Mapping) else {}
            cursor = pagination.get("end_cursor")
            if not pagination.get("has_next_page") or cursor in (None, ""):
                return
            if str(cursor) in seen:
                raise AdapterError(
                    f"{self.http.adapter}: pagination does not advance (cursor {cursor!r} came back twice)",
                    adapter=self.http.adapter,
                )
            seen.add(str(cursor))
            query["after"] = cursor

    def items(
        self, path: str, params: Mapping[str, Any] | None = None, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, lazily."""
        for body in self.pages(path, params, page_size):
            data = body.get("data") if isinstance(body, Mapping) else body
            yield from (dict(item) for item in data or [] if isinstance(item, Mapping))

    def walk(self, path: str, params: Mapping[str, Any] | None = None, page_size: int | None = None) -> Walk:
        """Every item of a listing, with each page's `total_count` (to tell whether the set moved)."""
        walk = Walk()
        for body in self.pages(path, params, page_size):
            data = body.get("data") if isinstance(body, Mapping) else body
            walk.items += [dict(item) for item in data or [] if isinstance(item, Mapping)]
            total = (body.get("pagination") or {}).get("total_count") if isinstance(body, Mapping) else None
            if isinstance(total, int):
                walk.totals.append(total)
        return walk

    # -- contacts ------------------------------------------------------------------------------------------

    def list_contacts(
        self, *, email: str | None = None, phone_number: str | None = None, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every contact, or those an email or phone number (any common format) finds."""
        return self.items("/v1/contacts", {"email": email, "phone_number": phone_number}, page_size)

    def walk_contacts(self, page_size: int | None = None) -> Walk:
        """Every contact, with the listing's totals (see `Walk.steady`)."""
        return self.walk("/v1/contacts", None, page_size)

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        """One contact; RemoteRejected(status=404) when there is none."""
        return _one(self.http.get(f"/v1/contacts/{_id(contact_id)}"))

    def create_contact(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a contact (`first_name` or one valid email required; `organization_id` may be "auto")."""
        return _one(self.http.post("/v1/contacts", json=dict(body)))

    def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH a contact (emails given are added; remove them with `delete_contact_emails`)."""
        return _one(self.http.patch(f"/v1/contacts/{_id(contact_id)}", json=dict(body), idempotent=True))

    def delete_contact_emails(self, contact_id: str, emails: list[str]) -> dict[str, Any]:
        """Remove email addresses from a contact; the contact as it now stands (when Relate says)."""
        return _one(
            self.http.request_json(
                "DELETE", f"/v1/contacts/{_id(contact_id)}/emails", json={"emails": list(emails)}
            )
        )

    def delete_contact(self, contact_id: str) -> None:
        """Delete a contact; RemoteRejected(status=404) when there is none."""
        self.http.delete(f"/v1/contacts/{_id(contact_id)}")

    # -- organizations -------------------------------------------------------------------------------------

    def list_organizations(self, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every organization."""
        return self.items("/v1/organizations", None, page_size)

    def get_organization(self, organization_id: str) -> dict[str, Any]:
        """One organization."""
        return _one(self.http.get(f"/v1/organizations/{_id(organization_id)}"))

    def create_organization(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create an organization (`name` or one valid domain required)."""
        return _one(self.http.post("/v1/organizations", json=dict(body)))

    def update_organization(self, organization_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH an organization (domains given are added)."""
        return _one(
            self.http.patch(f"/v1/organizations/{_id(organization_id)}", json=dict(body), idempotent=True)
        )

    def delete_organization_domains(self, organization_id: str, domains: list[str]) -> dict[str, Any]:
        """Remove domains from an organization."""
        return _one(
            self.http.request_json(
                "DELETE", f"/v1/organizations/{_id(organization_id)}/domains", json={"domains": list(domains)}
            )
        )

    def delete_organization(self, organization_id: str) -> None:
        """Delete an organization."""
        self.http.delete(f"/v1/organizations/{_id(organization_id)}")

    # -- notes ---------------------------------------------------------------------------------------------

    def list_notes(self, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every note."""
        return self.items("/v1/notes", None, page_size)

    def get_note(self, note_id: str) -> dict[str, Any]:
        """One note."""
        return _one(self.http.get(f"/v1/notes/{_id(note_id)}"))

    def create_note(self, organization_id: str, body: str, *, deal_id: str | None = None) -> dict[str, Any]:
        """Create a note on an organization (optionally on one of its deals)."""
        payload: dict[str, Any] = {"organization_id": organization_id, "body": body}
        if deal_id is not None:
            payload["deal_id"] = deal_id
        return _one(self.http.post("/v1/notes", json=payload))

    def update_note(self, note_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH a note (`body` and `deal_id` only)."""
        return _one(self.http.patch(f"/v1/notes/{_id(note_id)}", json=dict(body), idempotent=True))

    def delete_note(self, note_id: str) -> None:
        """Delete a note."""
        self.http.delete(f"/v1/notes/{_id(note_id)}")

    # -- custom fields -------------------------------------------------------------------------------------

    def list_custom_fields(self, page_size: int | None = None) -> list[dict[str, Any]]:
        """Every custom field definition, of every model."""
        return list(self.items("/v1/custom_fields", None, page_size))

    def get_custom_field(self, field_id: str) -> dict[str, Any]:
        """One custom field definition."""
        return _one(self.http.get(f"/v1/custom_fields/{_id(field_id)}"))

    def create_custom_field(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Define a custom field (`name`, `model`, `data_type`, `options`, `accepts_multiple_values`)."""
        return _one(self.http.post("/v1/custom_fields", json=dict(body)))

    def update_custom_field(self, field_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH a custom field (`name` and `options` only)."""
        return _one(self.http.patch(f"/v1/custom_fields/{_id(field_id)}", json=dict(body), idempotent=True))

    def delete_custom_field(self, field_id: str) -> None:
        """Delete a custom field definition."""
        self.http.delete(f"/v1/custom_fields/{_id(field_id)}")

    # -- lists, processes and entries ----------------------------------------------------------------------

    def list_lists(self, page_size: int | None = None) -> list[dict[str, Any]]:
        """Every list and process."""
        return list(self.items("/v1/lists", None, page_size))

    def get_list(self, list_id: str) -> dict[str, Any]:
        """One list or process."""
        return _one(self.http.get(f"/v1/lists/{_id(list_id)}"))

    def create_list(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a list (`process: false`) or a process."""
        return _one(self.http.post("/v1/lists", json=dict(body)))

    def update_list(self, list_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH a list or process."""
        return _one(self.http.patch(f"/v1/lists/{_id(list_id)}", json=dict(body), idempotent=True))

    def delete_list(self, list_id: str) -> None:
        """Delete a list or process (and its entries)."""
        self.http.delete(f"/v1/lists/{_id(list_id)}")

    def list_entries(self, list_id: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every entry of a list or process."""
        return self.items(f"/v1/lists/{_id(list_id)}/entries", None, page_size)

    def get_entry(self, list_id: str, entry_id: str) -> dict[str, Any]:
        """One entry."""
        return _one(self.http.get(f"/v1/lists/{_id(list_id)}/entries/{_id(entry_id)}"))

    def create_entry(self, list_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Add an entry (`entryable_id`, `entryable_type`...) to a list or process."""
        return _one(self.http.post(f"/v1/lists/{_id(list_id)}/entries", json=dict(body)))

    def update_entry(self, list_id: str, entry_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH an entry."""
        return _one(
            self.http.patch(
                f"/v1/lists/{_id(list_id)}/entries/{_id(entry_id)}", json=dict(body), idempotent=True
            )
        )

    def delete_entry(self, list_id: str, entry_id: str) -> None:
        """Remove an entry."""
        self.http.delete(f"/v1/lists/{_id(list_id)}/entries/{_id(entry_id)}")

    # -- calendar events and recordings (read-only) --------------------------------------------------------

    def list_calendar_events(
        self,
        *,
        updated_after: float | None = None,
        starts_after: float | None = None,
        starts_before: float | None = None,
        contact_id: str | None = None,
        organization_id: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Meetings with a completed recording, newest start first; times are unix seconds."""
        params = {
            "updated_after": _seconds(updated_after),
            "starts_after": _seconds(starts_after),
            "starts_before": _seconds(starts_before),
            "contact_id": contact_id,
            "organization_id": organization_id,
        }
        return self.items("/v1/calendar_events", params, page_size)

    def get_calendar_event(self, event_id: str) -> dict[str, Any]:
        """One meeting, with its recordings' summary info."""
        return _one(self.http.get(f"/v1/calendar_events/{_id(event_id)}"))

    def get_recording(self, recording_id: str) -> dict[str, Any]:
        """One recording: `summary` and `transcript` once its status is done (null before)."""
        return _one(self.http.get(f"/v1/recordings/{_id(recording_id)}"))


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)
