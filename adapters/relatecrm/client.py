"""A thin client for the relatecrm endpoints rolo uses, on the shared `HttpClient` (`rolo.adapters._http`).

One method per endpoint; bodies go out and come back as relatecrm's own JSON, untranslated (`mapping.py`
turns them into the book's vocabulary). Every error is an `AdapterError` (the HTTP layer translates).

    client = RelateCrmClient(HttpClient(httpx_client, base_url=url, adapter="relatecrm", token=token))
    contact = client.create_contact({"first_name": "Ada", "email": "ada@example.com"})
    for contact in client.list_contacts(order="id|desc"):
        ...

Lists are walked page by page (`page`, `per_page` at most 100, Laravel's `{data, links, meta}`). Page
numbers are offsets, so a record deleted during a walk shifts the later ones up and one of them would be
skipped; a complete listing that skipped a live record would make the engine delete it from the book. So
every walk watches `meta.total`: with the order the adapter uses (newest first: creations land before the
walk's position and only repeat records), a skip needs a net deletion, which lowers the total; when the
total drops between two pages the walk raises `ListingChanged` and the caller starts again.

POSTs carry no idempotency key (the document has none), so the HTTP layer retries them only when the
server cannot have acted (a 429, a connection never made); `create_once` tries again after other failures
and then removes the copies earlier tries may have stored. PUT, DELETE and the association sync are safe
to repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from rolo.adapters._http import HttpClient, dig, walk_pages
from rolo.core.errors import AdapterError, AdapterUnavailable, RemoteRejected

__all__ = ["PAGE_MAX", "ListingChanged", "RelateCrmClient"]

PAGE_MAX = 100
RELATIONS = ("companies", "deals", "activities")
# created_at and the Date header are whole seconds, and may come from two servers' clocks
_CLOCK_MARGIN = timedelta(seconds=2)


class ListingChanged(AdapterError):
    """The remote's total fell during a page walk: a record may have been skipped; walk again."""


def _one(body: Any) -> dict[str, Any]:
    """A single resource, unwrapped from `{"data": {...}}` when the server wraps resources."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get("data"), dict):
        return cast(dict[str, Any], body["data"])
    if not isinstance(body, dict):
        raise AdapterError("relatecrm: expected a JSON object, got something else", adapter="relatecrm")
    return body


def _many(body: Any) -> list[dict[str, Any]]:
    """A bare array of resources, or one wrapped in `{"data": [...]}`."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        body = body["data"]
    if not isinstance(body, list):
        raise AdapterError("relatecrm: expected a JSON array, got something else", adapter="relatecrm")
    return [item for item in body if isinstance(item, dict)]


def _created_since(records: list[dict[str, Any]], since: datetime) -> list[dict[str, Any]]:
    """The records created at or after `since`, oldest first."""
    found = []
    for record in records:
        try:
            created = datetime.fromisoformat(str(record.get("created_at")))
        except ValueError:
            continue
        if created.tzinfo is not None and created >= since:
            found.append(record)
    return sorted(found, key=lambda r: (str(r.get("created_at")), str(r.get("id"))))


def _joined(value: str | Iterable[str] | None) -> str | None:
    """`select`, `order`, `search_fields` take `;`-separated lists."""
    if value is None or isinstance(value, str):
        return value
    return ";".join(value)


class RelateCrmClient:
    """The relatecrm endpoints rolo uses. Each method is one request, or one lazy walk through list pages."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"<RelateCrmClient {self.http!r}>"

    def pause(self, attempt: int) -> None:
        """Wait before trying a non-repeatable request again (the retry policy's backoff for `attempt`)."""
        time.sleep(self.http.retry.backoff_for(attempt))

    def create_once(
        self,
        send: Callable[[], dict[str, Any]],
        lookup: Callable[[], list[dict[str, Any]]],
        delete: Callable[[dict[str, Any]], None],
    ) -> dict[str, Any]:
        """POST a record safely although relatecrm has no idempotency keys.

        After an answer that leaves open whether the record was stored (a 5xx, a timeout, a dropped
        connection), `send` is tried again at once (as a retry with a key would be), up to the retry policy's
        attempts. When a later try succeeds, the records `lookup` finds that were created since the first
        failure (by their `created_at`, against the server's clock) and are not the one just made are
        earlier tries that were stored after all: `delete` removes them. When a later try is refused with a
        422 (a unique email already taken by an earlier try), or the last try fails too, the earliest such
        record is the result (the others are deleted); with none, the error is raised.

        Args:
            send: makes the POST and returns the created record.
            lookup: the records that look like the one being created (same email, or same name and numbers).
            delete: deletes one of them.
        """
        attempts = max(1, self.http.retry.attempts)
        since: datetime | None = None
        failure: AdapterError | None = None
        for attempt in range(1, attempts + 1):
            try:
                created = send()
            except RemoteRejected as err:
                if since is not None and err.status == 422:
                    kept = self._keep_first(lookup(), since, delete)
                    if kept is not None:
                        return kept
                if (err.status or 0) < 500:
                    raise
                failure = err
            except AdapterUnavailable as err:
                failure = err
            else:
                if since is not None:
                    for twin in _created_since(lookup(), since):
                        if twin.get("id") != created.get("id"):
                            delete(twin)
                return created
            if since is None:
                since = (self.http.server_time() or datetime.now(UTC)) - _CLOCK_MARGIN
            if attempt < attempts:
                self.pause(attempt)
        assert failure is not None and since is not None
        kept = self._keep_first(lookup(), since, delete)
        if kept is not None:
            return kept
        raise failure

    @staticmethod
    def _keep_first(records: list[dict[str, Any]], since: datetime,
                    delete: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """The earliest of the records created since `since` (the others deleted), or None."""
        twins = _created_since(records, since)
        for twin in twins[1:]:
            delete(twin)
        return twins[0] if twins else None

    def _walk(self, path: str, params: Mapping[str, Any], per_page: int) -> Iterator[dict[str, Any]]:
        totals: list[int] = []

        def fetch(query: dict[str, Any]) -> Any:
            body = self.http.get(path, params=query)
            total = dig(body, "meta.total")
            if isinstance(total, int) and not isinstance(total, bool):
                if totals and total < totals[-1]:
                    raise ListingChanged(
                        f"relatecrm: {path} lost records while rolo listed it ({totals[-1]} then {total})",
                        adapter="relatecrm",
                    )
                totals.append(total)
            return body

        return cast(Iterator[dict[str, Any]], walk_pages(
            fetch, params={k: v for k, v in params.items() if v is not None}, items="data",
            per_page=min(PAGE_MAX, max(1, per_page)), last_page="meta.last_page", total="meta.total",
            adapter="relatecrm",
        ))

    @staticmethod
    def _query(order: str | Iterable[str] | None, select: str | Iterable[str] | None, q: str | None,
               search_fields: str | Iterable[str] | None, search_match: str | None) -> dict[str, Any]:
        return {"order": _joined(order), "select": _joined(select), "q": q,
                "search_fields": _joined(search_fields), "search_match": search_match}

    # -- contacts ------------------------------------------------------------------------------------------

    def list_contacts(
        self, *, order: str | Iterable[str] | None = None, select: str | Iterable[str] | None = None,
        q: str | None = None, search_fields: str | Iterable[str] | None = None, search_match: str | None = None,
        per_page: int = PAGE_MAX,
    ) -> Iterator[dict[str, Any]]:
        """Every contact (matching `q`), in `order`, walking the pages lazily; raises `ListingChanged`."""
        return self._walk("/api/contacts", self._query(order, select, q, search_fields, search_match), per_page)

    def search_contacts(
        self, q: str, *, search_fields: str | Iterable[str] | None = None, search_match: str | None = None,
        take: int | None = None, order: str | Iterable[str] | None = None,
        select: str | Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The contacts matching `q` (`GET /api/contacts/search`, no pagination), at most `take`."""
        params = {**self._query(order, select, q, search_fields, search_match), "take": take}
        return _many(self.http.get("/api/contacts/search", params=params))

    def get_contact(self, contact_id: int | str, *, select: str | Iterable[str] | None = None) -> dict[str, Any]:
        """One contact; RemoteRejected(status=404) when there is none."""
        return _one(self.http.get(f"/api/contacts/{int(contact_id)}", params={"select": _joined(select)}))

    def create_contact(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a contact (one POST: not repeated once it may have reached the server)."""
        return _one(self.http.post("/api/contacts", json=dict(body)))

    def update_contact(self, contact_id: int | str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a contact (PUT: `first_name` required; every attribute left out is cleared)."""
        return _one(self.http.put(f"/api/contacts/{int(contact_id)}", json=dict(body)))

    def delete_contact(self, contact_id: int | str) -> None:
        """Delete a contact; RemoteRejected(status=404) when there is none."""
        self.http.delete(f"/api/contacts/{int(contact_id)}")

    # -- associations --------------------------------------------------------------------------------------

    @staticmethod
    def _resources(companies: Iterable[int] | None, deals: Iterable[int] | None,
                   activities: Iterable[int] | None) -> dict[str, list[int]]:
        body = {name: [int(i) for i in ids] for name, ids in zip(RELATIONS, (companies, deals, activities),
                                                                 strict=True) if ids is not None}
        if not body:
            raise ValueError("give at least one of companies, deals, activities")
        return body

    def attach(self, contact_id: int | str, *, companies: Iterable[int] | None = None,
               deals: Iterable[int] | None = None, activities: Iterable[int] | None = None) -> dict[str, Any]:
        """Attach companies, deals or activities to a contact (PUT); the contact as it now is."""
        body = self._resources(companies, deals, activities)
        return _one(self.http.put(f"/api/associations/contacts/{int(contact_id)}", json=body))

    def detach(self, contact_id: int | str, *, companies: Iterable[int] | None = None,
               deals: Iterable[int] | None = None, activities: Iterable[int] | None = None) -> dict[str, Any]:
        """Detach companies, deals or activities from a contact (DELETE with a body)."""
        body = self._resources(companies, deals, activities)
        return _one(self.http.delete(f"/api/associations/contacts/{int(contact_id)}", json=body))

    def sync(self, contact_id: int | str, *, companies: Iterable[int] | None = None,
             deals: Iterable[int] | None = None, activities: Iterable[int] | None = None) -> dict[str, Any]:
        """Make a contact's companies (deals, activities) exactly the lists given (POST; safe to repeat)."""
        body = self._resources(companies, deals, activities)
        return _one(self.http.post(f"/api/associations/contacts/{int(contact_id)}", json=body, idempotent=True))

    # -- companies -----------------------------------------------------------------------------------------

    def list_companies(
        self, *, order: str | Iterable[str] | None = None, select: str | Iterable[str] | None = None,
        q: str | None = None, search_fields: str | Iterable[str] | None = None, search_match: str | None = None,
        per_page: int = PAGE_MAX,
    ) -> Iterator[dict[str, Any]]:
        """Every company (matching `q`), walking the pages lazily."""
        return self._walk("/api/companies", self._query(order, select, q, search_fields, search_match), per_page)

    def get_company(self, company_id: int | str) -> dict[str, Any]:
        """One company, with the ids of its contacts."""
        return _one(self.http.get(f"/api/companies/{int(company_id)}"))

    def create_company(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a company (`name`, `domain`; one POST)."""
        return _one(self.http.post("/api/companies", json=dict(body)))

    def update_company(self, company_id: int | str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a company (PUT: `name` required)."""
        return _one(self.http.put(f"/api/companies/{int(company_id)}", json=dict(body)))

    def delete_company(self, company_id: int | str) -> None:
        """Delete a company."""
        self.http.delete(f"/api/companies/{int(company_id)}")
