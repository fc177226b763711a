"""A thin typed client for the Relm endpoints rolo uses, on the shared `HttpClient` (`rolo.adapters._http`).

One method per endpoint; bodies go out and come back as Relm's own JSON (`RelmContact`, `RelmCompany`...),
untranslated: `mapping.py` turns them into the book's vocabulary. Every error is an `AdapterError` (the
HTTP layer translates), lists are walked lazily through Relm's cursor pages (`{object: "list", data,
has_more, next_cursor}`, at most 200 a page), and every POST carries the `Idempotency-Key` the caller
passes: this client derives none, since only the caller knows what makes two calls "the same".

    client = RelmClient(HttpClient(httpx_client, base_url=url, adapter="relm", token="sk_test_..."))
    contact = client.create_contact({"email": "ada@example.com"}, idempotency_key="create-ada")
    for contact in client.list_contacts(filters={"updated_at": {"gt": "2026-01-01T00:00:00Z"}}):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypedDict, cast
from urllib.parse import quote

from rolo.adapters._http import HttpClient

PAGE_MAX = 200
BATCH_MAX = 500
FIELD_TYPES = ("text", "number", "date", "bool", "select")
FILTER_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "ilike", "in")


class RelmContact(TypedDict, total=False):
    """A Relm contact (`con_…`)."""

    id: str
    object: str
    email: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    company_id: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class RelmCompany(TypedDict, total=False):
    """A Relm company (`cmp_…`)."""

    id: str
    object: str
    name: str | None
    domain: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class RelmField(TypedDict, total=False):
    """A custom field definition on a Relm object (`/v1/schema/fields`)."""

    id: str
    object_type: str
    key: str
    label: str
    type: str  # text | number | date | bool | select
    required: bool
    options: dict[str, Any]


class RelmAssociation(TypedDict, total=False):
    """A polymorphic edge between two Relm records."""

    id: str
    from_type: str
    from_id: str
    to_type: str
    to_id: str
    label: str | None


def filter_params(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Relm's `filter[field][op]=value` query parameters from `{"field": value}` or `{"field": {op: value}}`.

    A plain value means `eq` (sent as `filter[field]=value`); a list value for `in` is comma-joined.
    """
    params: dict[str, Any] = {}
    for name, condition in (filters or {}).items():
        if isinstance(condition, Mapping):
            for op, value in condition.items():
                if op not in FILTER_OPS:
                    raise ValueError(f"unknown Relm filter operator {op!r} (one of {', '.join(FILTER_OPS)})")
                params[f"filter[{name}][{op}]"] = value
        else:
            params[f"filter[{name}]"] = condition
    return params


def _id(value: str) -> str:
    return quote(value, safe="")


class RelmClient:
    """The Relm endpoints rolo uses. Each method is one request, or one lazy walk through list pages."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def __repr__(self) -> str:
        return f"<RelmClient {self.http!r}>"

    def _list(self, path: str, params: Mapping[str, Any], limit: int | None) -> Iterator[Any]:
        size = min(PAGE_MAX, limit or PAGE_MAX)
        return self.http.paginate_cursor(path, params=params, limit=size)

    def _post(self, path: str, body: Any, idempotency_key: str) -> Any:
        if not idempotency_key:
            raise ValueError("every Relm POST needs an Idempotency-Key")
        return self.http.post(path, json=body, headers={"Idempotency-Key": idempotency_key})

    # -- contacts ------------------------------------------------------------------------------------------

    def list_contacts(
        self, *, filters: Mapping[str, Any] | None = None, email: str | None = None, page_size: int | None = None
    ) -> Iterator[RelmContact]:
        """Every contact matching the filters (`{"updated_at": {"gt": ts}}`), walking all pages lazily."""
        params = filter_params(filters)
        if email is not None:
            params["email"] = email
        return cast(Iterator[RelmContact], self._list("/v1/contacts", params, page_size))

    def get_contact(self, contact_id: str) -> RelmContact:
        """One contact; RemoteRejected(status=404) when there is none."""
        return cast(RelmContact, self.http.get(f"/v1/contacts/{_id(contact_id)}"))

    def create_contact(self, body: Mapping[str, Any], *, idempotency_key: str) -> RelmContact:
        """Create a contact (POST with the given Idempotency-Key)."""
        return cast(RelmContact, self._post("/v1/contacts", dict(body), idempotency_key))

    def update_contact(self, contact_id: str, body: Mapping[str, Any]) -> RelmContact:
        """Change the given keys of a contact (PATCH; absent keys keep their value, null clears)."""
        return cast(
            RelmContact,
            self.http.patch(f"/v1/contacts/{_id(contact_id)}", json=dict(body), idempotent=True),
        )

    def delete_contact(self, contact_id: str) -> None:
        """Delete a contact; RemoteRejected(status=404) when there is none."""
        self.http.delete(f"/v1/contacts/{_id(contact_id)}")

    def batch_contacts(
        self,
        contacts: Iterable[Mapping[str, Any]],
        *,
        idempotency_key: str,
        dedup_on: Iterable[str] | None = ("email",),
    ) -> dict[str, Any]:
        """Bulk create/upsert up to 500 contacts (`POST /v1/contacts/batch`), upserting on `dedup_on`.

        Returns Relm's response body as is (its `data` holds the stored contacts, in order).
        """
        items = [dict(c) for c in contacts]
        if len(items) > BATCH_MAX:
            raise ValueError(f"a Relm batch takes at most {BATCH_MAX} contacts (got {len(items)})")
        body: dict[str, Any] = {"contacts": items}
        if dedup_on:
            body["dedup_on"] = list(dedup_on)
        return cast(dict[str, Any], self._post("/v1/contacts/batch", body, idempotency_key))

    # -- companies -----------------------------------------------------------------------------------------

    def list_companies(
        self, *, filters: Mapping[str, Any] | None = None, page_size: int | None = None
    ) -> Iterator[RelmCompany]:
        """Every company matching the filters, walking all pages lazily."""
        return cast(Iterator[RelmCompany], self._list("/v1/companies", filter_params(filters), page_size))

    def get_company(self, company_id: str) -> RelmCompany:
        """One company; RemoteRejected(status=404) when there is none."""
        return cast(RelmCompany, self.http.get(f"/v1/companies/{_id(company_id)}"))

    def create_company(self, body: Mapping[str, Any], *, idempotency_key: str) -> RelmCompany:
        """Create a company (`name`, `domain`, `metadata`)."""
        return cast(RelmCompany, self._post("/v1/companies", dict(body), idempotency_key))

    def update_company(self, company_id: str, body: Mapping[str, Any]) -> RelmCompany:
        """Change the given keys of a company."""
        return cast(
            RelmCompany,
            self.http.patch(f"/v1/companies/{_id(company_id)}", json=dict(body), idempotent=True),
        )

    def delete_company(self, company_id: str) -> None:
        """Delete a company."""
        self.http.delete(f"/v1/companies/{_id(company_id)}")

    # -- schema --------------------------------------------------------------------------------------------

    def list_fields(self, object_type: str | None = "contact") -> list[RelmField]:
        """The custom fields defined on `object_type` (all objects when None), every page."""
        params = {"object_type": object_type} if object_type else {}
        return list(cast(Iterator[RelmField], self._list("/v1/schema/fields", params, None)))

    def create_field(self, body: Mapping[str, Any], *, idempotency_key: str) -> RelmField:
        """Define a custom field (`object_type`, `key`, `label`, `type`, `required`, `options`)."""
        return cast(RelmField, self._post("/v1/schema/fields", dict(body), idempotency_key))

    def delete_field(self, field_id: str) -> None:
        """Remove a custom field definition."""
        self.http.delete(f"/v1/schema/fields/{_id(field_id)}")

    # -- associations --------------------------------------------------------------------------------------

    def list_associations(
        self,
        *,
        from_type: str | None = None,
        from_id: str | None = None,
        to_type: str | None = None,
        to_id: str | None = None,
    ) -> Iterator[RelmAssociation]:
        """Every edge matching the given ends, walking all pages lazily."""
        params = {"from_type": from_type, "from_id": from_id, "to_type": to_type, "to_id": to_id}
        return cast(
            Iterator[RelmAssociation],
            self._list("/v1/associations", {k: v for k, v in params.items() if v is not None}, None),
        )

    def create_association(
        self,
        from_type: str,
        from_id: str,
        to_type: str,
        to_id: str,
        *,
        label: str | None = None,
        idempotency_key: str,
    ) -> RelmAssociation:
        """Link two records."""
        body = {"from_type": from_type, "from_id": from_id, "to_type": to_type, "to_id": to_id}
        if label is not None:
            body["label"] = label
        return cast(RelmAssociation, self._post("/v1/associations", body, idempotency_key))

    def delete_association(self, association_id: str) -> None:
        """Unlink (delete one edge)."""
        self.http.delete(f"/v1/associations/{_id(association_id)}")

    # -- search --------------------------------------------------------------------------------------------

    def search(self, q: str, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Records of every kind matching all words of `q` (`GET /v1/search`), each with its `object`,
        walking all pages lazily."""
        return cast(Iterator[dict[str, Any]], self._list("/v1/search", {"q": q}, page_size))
