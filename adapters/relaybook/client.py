"""A thin typed client for the RelayBook endpoints rolo uses, on the shared `HttpClient` (`rolo.adapters._http`).

One method per endpoint; bodies go out and come back as RelayBook's own JSON (`RelayBookContact`...),
untranslated: `mapping.py` turns them into the book's vocabulary. Answers are unwrapped from their ``data``
envelope. Lists are walked lazily with ``limit``/``offset`` (at most 200 a page; ``meta.total`` ends the
walk). Every request carries the ``X-Book-ID`` header of the book the client was made for.

    http = BookHttp(httpx_client, base_url=url, adapter="relaybook", token="rlb_...", book=BOOK_ID)
    client = RelayBookClient(http)
    contact = client.create_contact({"first_name": "Jane"})
    for contact in client.list_contacts():
        ...

Two groups of endpoints are not in the seed document, which only refers to their pages: books, labels and
contact labels ("Books & Labels"), and the bulk custom-field update ("Bulk Operations"). The client has a
method for each shape of them the emulator runs (`emulator.py`: label objects attached by id, or label
names posted to the contact; the bulk path under ``/api/v1/bulk/`` or ``/api/v1/contacts/bulk/``, `BULK_PATHS`).
The adapter uses them only through `extras.BookExtras`, which finds out which shape a server has.

Errors are the shared layer's, with one refinement (`BookHttp`): a 403 ``FORBIDDEN`` (the book is not one
the key's team has) and a 400 ``MISSING_BOOK`` are configuration errors, raised as `AdapterAuthError` with
a message saying to check ``--option book=``; neither is retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypedDict, cast
from urllib.parse import quote

import httpx
from rolo.adapters._http import HttpClient, parse_error_body
from rolo.core.errors import AdapterAuthError, AdapterError

PAGE_MAX = 200
BULK_MAX = 500
#: where the bulk custom-field update may be, the guess first (the seeds do not say: see the module docstring)
BULK_PATHS = ("/api/v1/bulk/custom-fields", "/api/v1/contacts/bulk/custom-fields")


class RelayBookContact(TypedDict, total=False):
    """A RelayBook contact, as the Contacts document's "Contact Object" describes it."""

    id: str
    book_id: str
    first_name: str
    last_name: str
    company: str
    job_title: str
    emails: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    custom_fields: dict[str, Any] | None
    notes: str
    photo_url: str | None
    starred: bool
    birthday: str | None
    website: str
    addresses: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    socials: list[dict[str, Any]]
    relationships: list[dict[str, Any]]
    created_by: str
    created_at: str
    updated_at: str


class RelayBookLabel(TypedDict, total=False):
    """A label of a book (designed: see the module docstring)."""

    id: str
    book_id: str
    name: str
    color: str


class BookHttp(HttpClient):
    """The shared HTTP layer with RelayBook's book header and its book errors.

    Args (besides `HttpClient`'s):
        book: the book's UUID, sent as `X-Book-ID` on every request (None: not sent; only the books
            listing works then).
        book_hint: the hint put on a book error (how to list the books the key reaches).
    """

    def __init__(self, client: httpx.Client, *, book: str | None, book_hint: str | None = None,
                 **kwargs: Any) -> None:
        headers = dict(kwargs.pop("headers", None) or {})
        if book:
            headers["X-Book-ID"] = book
        super().__init__(client, headers=headers, **kwargs)
        self.book = book
        self.book_hint = book_hint

    def _status_error(self, where: str, response: httpx.Response, **kwargs: Any) -> AdapterError:
        error = super()._status_error(where, response, **kwargs)
        status, code = response.status_code, parse_error_body(response).code
        if status == 403 or (status == 400 and code == "MISSING_BOOK"):
            said = "needs a book" if status == 400 else f"refuses book {self.book} for this key"
            return AdapterAuthError(
                f"{self.adapter}: RelayBook {said} ({status} {code or ''}".rstrip() + "); "
                "check --option book= (the UUID of a book the key's team has)",
                adapter=self.adapter, hint=self.book_hint,
            )
        return error


def _id(value: str) -> str:
    return quote(value, safe="")


def _data(body: Any) -> Any:
    """The `data` of an answer (a server answering the bare object is read as well)."""
    if isinstance(body, Mapping) and "data" in body:
        return body["data"]
    return body


class RelayBookClient:
    """The RelayBook endpoints rolo uses. Each method is one request, or one lazy walk through list pages."""

    def __init__(self, http: HttpClient, *, page_size: int = PAGE_MAX) -> None:
        self.http = http
        self.page_size = min(PAGE_MAX, max(1, page_size))

    def __repr__(self) -> str:
        return f"<RelayBookClient {self.http!r}>"

    def _walk(self, path: str) -> Iterator[Any]:
        return self.http.paginate_offset(path, limit=self.page_size, items="data", total="meta.total")

    # -- contacts (the seed document) -----------------------------------------------------------------------

    def list_contacts(self) -> Iterator[RelayBookContact]:
        """Every contact of the book, oldest first, walking all pages lazily."""
        return cast(Iterator[RelayBookContact], self._walk("/api/v1/contacts"))

    def contacts_page(self, offset: int, limit: int) -> tuple[list[RelayBookContact], int]:
        """One page of contacts and the book's total."""
        body = self.http.get("/api/v1/contacts", params={"offset": offset, "limit": min(limit, PAGE_MAX)})
        meta = body.get("meta") if isinstance(body, Mapping) else None
        items = cast(list[RelayBookContact], _data(body) or [])
        total = meta.get("total") if isinstance(meta, Mapping) else None
        return items, int(total) if isinstance(total, int) else offset + len(items)

    def get_contact(self, contact_id: str) -> RelayBookContact:
        """One contact; RemoteRejected(status=404) when there is none."""
        return cast(RelayBookContact, _data(self.http.get(f"/api/v1/contacts/{_id(contact_id)}")))

    def create_contact(self, body: Mapping[str, Any]) -> RelayBookContact:
        """Add a contact to the book. Not retried after it may have reached the server (RelayBook has no
        idempotency keys): the adapter checks before sending it again."""
        return cast(RelayBookContact, _data(self.http.post("/api/v1/contacts", json=dict(body))))

    def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> RelayBookContact:
        """Change the given fields (arrays are replaced whole, so send them complete). Safe to repeat."""
        path = f"/api/v1/contacts/{_id(contact_id)}"
        return cast(RelayBookContact, _data(self.http.patch(path, json=dict(body), idempotent=True)))

    def delete_contact(self, contact_id: str) -> None:
        """Delete a contact; RemoteRejected(status=404) when there is none."""
        self.http.delete(f"/api/v1/contacts/{_id(contact_id)}")

    # -- books and labels (designed: "Books & Labels" is not in the seeds) ----------------------------------

    def list_books(self) -> list[dict[str, Any]]:
        """The books the key's team has (`GET /api/v1/books`; needs no book header)."""
        return cast(list[dict[str, Any]], _data(self.http.get("/api/v1/books")) or [])

    def list_labels(self) -> Iterator[RelayBookLabel]:
        """The book's labels, walking all pages lazily."""
        return cast(Iterator[RelayBookLabel], self._walk("/api/v1/labels"))

    def create_label(self, name: str) -> RelayBookLabel:
        """Create a label in the book; RemoteRejected(status=409) when the name is taken. Names are unique in
        a book, so a create repeated after a lost answer is harmless (its 409 says the label is there)."""
        body = {"name": name}
        return cast(RelayBookLabel, _data(self.http.post("/api/v1/labels", json=body, idempotent=True)))

    def label_members(self, label_id: str) -> Iterator[str]:
        """The ids of the contacts that have a label, walking all pages lazily."""
        for member in self._walk(f"/api/v1/labels/{_id(label_id)}/contacts"):
            ident = (member.get("contact_id") or member.get("id")) if isinstance(member, Mapping) else member
            if ident:
                yield str(ident)

    def contact_labels(self, contact_id: str) -> list[RelayBookLabel | str]:
        """A contact's labels: label objects, or names on a server without label objects."""
        path = f"/api/v1/contacts/{_id(contact_id)}/labels"
        return cast(list[RelayBookLabel | str], _data(self.http.get(path)) or [])

    def add_labels(self, contact_id: str, label_ids: Iterable[str]) -> list[RelayBookLabel]:
        """Add labels (by id) to a contact (adding one it has changes nothing, so this is safe to repeat)."""
        path = f"/api/v1/contacts/{_id(contact_id)}/labels"
        body = {"label_ids": list(label_ids)}
        return cast(list[RelayBookLabel], _data(self.http.post(path, json=body, idempotent=True)) or [])

    def add_label_names(self, contact_id: str, names: Iterable[str]) -> list[RelayBookLabel | str]:
        """Add labels by name to a contact, on a server without label objects (safe to repeat)."""
        path = f"/api/v1/contacts/{_id(contact_id)}/labels"
        body = {"labels": list(names)}
        return cast(list[RelayBookLabel | str], _data(self.http.post(path, json=body, idempotent=True)) or [])

    def remove_label(self, contact_id: str, label: str) -> None:
        """Take a label (its id; its name on a server without label objects) off a contact;
        RemoteRejected(status=404) when it does not have it."""
        self.http.delete(f"/api/v1/contacts/{_id(contact_id)}/labels/{_id(label)}")

    # -- bulk (designed: "Bulk Operations" is not in the seeds) ---------------------------------------------

    def bulk_update_custom_fields(self, updates: Iterable[Mapping[str, Any]], *, path: str = BULK_PATHS[0]
                                  ) -> list[RelayBookContact]:
        """Set custom field values (`{contact_id, key, value}`, null removes), 500 a request, at `path` (one
        of `BULK_PATHS`); returns the contacts as they now stand. Setting values is safe to repeat."""
        items = [dict(u) for u in updates]
        stored: list[RelayBookContact] = []
        for start in range(0, len(items), BULK_MAX):
            body = {"updates": items[start : start + BULK_MAX]}
            answer = self.http.post(path, json=body, idempotent=True)
            stored += cast(list[RelayBookContact], _data(answer) or [])
        return stored
