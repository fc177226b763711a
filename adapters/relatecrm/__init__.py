"""relatecrm: the adapter for a self-hosted CRM's REST API (`/api/contacts`, page-based), and `emulator.py`,
the in-process server that behaves as the API's document says (used by the adapter's tests and the demo).

- `client.py`: one method per endpoint rolo uses (`RelateCrmClient`), on the shared `rolo.adapters._http`;
- `mapping.py`: relatecrm contact ↔ the book's JSON contact object, with every choice documented (what is
  carried, names, phone types, countries, companies, custom fields, labels in `rolo_labels`);
- `countries.py`: the ISO 3166-1 table behind `country_id`;
- this module: `RelateCrmAdapter`, and the `register_adapters` hook that makes it known as `relatecrm`.

Configure it with the installation's URL (the API lives under `/api`) and a personal access token:
`rolo remote add crm --adapter relatecrm --url https://crm.example.com --token-env RELATECRM_TOKEN`.

How the adapter uses relatecrm:

- **Pull.** A complete listing walks `GET /api/contacts?order=id|desc` (100 a page; id order, so records
  edited during the walk do not move, and newest first, so records created during it only repeat ones already
  seen). A walk during which the total falls (a deletion could have shifted a record past the walk) starts
  again, up to three times (`client.py`). The document has no filter on change time, but `order` sorts by any
  field: an incremental listing walks `order=updated_at|desc` and stops at the first record older than the
  bookmark (the latest `updated_at` seen; records of the bookmark's own second come again, and the engine
  skips them by version). It also fetches the contacts of companies changed since the bookmark (a renamed
  company changes their organization without touching them); the bookmark is the later of the latest
  contact and the latest company change. relatecrm cannot list deletions, so an
  incremental pull says `deleted=None`, and the engine finds deletions in complete listings (`full_every`).
- **Push.** Creates POST the contact with its company in `companies`. relatecrm has no idempotency keys:
  after an answer that leaves open whether the contact was stored (a 5xx, a timeout, a dropped
  connection), the POST is sent again, and once one succeeds, copies that earlier tries stored after all
  (found as `find` finds them, created since the first failure) are deleted; a unique email refused
  because an earlier try took it links that earlier contact instead (`RelateCrmClient.create_once`). Updates PUT the whole record (the API's PUT clears every attribute it is not given): every
  carried field, plus the owner (`user_id`) and source the contact already has, then change the company
  association if the organization changed (attach, detach or sync; see `mapping.py`). Deletes treat a 404
  as done.
- **Lookup** (`find`, for a create a killed sync may have sent): the search endpoint with `take`: by email
  (`search_fields=email:=`; emails are unique in relatecrm), else by the first phone number, else by exact
  first and last name (`search_match=and`), each candidate checked against what was sent (names, email,
  numbers).
- `prepare` refuses book custom fields whose names relatecrm cannot hold (see `mapping.py`); there is
  nothing to create, since relatecrm takes any extra key as a custom field. There is no definitions endpoint,
  so `remote_fields` is not offered and the engine types pulled fields from their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rolo.adapters._http import RETRY_OPTION_HELP, HttpClient, dig, page_size_option, retry_option
from rolo.adapters.relatecrm.client import PAGE_MAX, ListingChanged, RelateCrmClient
from rolo.adapters.relatecrm.mapping import (
    CARRIED_FIELDS,
    ENTRY_LABELS,
    SINGLE_FIELDS,
    Companies,
    clean,
    primary,
    reserved,
    same_record,
    to_book,
    to_remote,
    version_of,
)
from rolo.core.errors import AdapterUnavailable, RemoteRejected, UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord

if TYPE_CHECKING:
    import httpx
    from rolo.core.fields import FieldDefinition

__all__ = ["RelateCrmAdapter", "register_adapters"]

LISTING_TRIES = 3
LOOKUP_TAKE = 5


def _instant(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class RelateCrmAdapter(Adapter):
    """Syncs a book with a relatecrm installation (contacts, their companies, custom fields and labels)."""

    name = "relatecrm"
    options: ClassVar[Mapping[str, str]] = {
        "page_size": f"contacts per list page, 1-{PAGE_MAX} (default {PAGE_MAX})",
        **RETRY_OPTION_HELP,
    }
    capabilities = Capabilities(
        fields=CARRIED_FIELDS,
        single=SINGLE_FIELDS,
        deletes=True,
        incremental=True,
        batch=False,
        idempotent_create=False,
        lookup=True,
        entry_labels=ENTRY_LABELS,
    )
    default_url = None
    token_help = ("create a personal access token in relatecrm (your profile's Personal Access Tokens page); "
                  "it looks like 1|…")

    def __init__(
        self,
        client: httpx.Client,
        *,
        url: str,
        token: str | None,
        options: Mapping[str, str] | None = None,
        remote: str = "",
    ) -> None:
        super().__init__(client, url=url, token=token, options=options, remote=remote)
        if not url:
            raise UserError(f"{self.name}: relatecrm is self-hosted: give the installation's URL (--url)")
        if not token:
            raise UserError(f"{self.name}: a relatecrm access token is needed", hint=self.token_help)
        values = self.option_values
        self.page_size = page_size_option(values, self.name, PAGE_MAX)
        retry = retry_option(values, self.name)
        base = url.rstrip("/")
        base = base.removesuffix("/api")  # the API's paths start with /api
        self.http = HttpClient(client, base_url=base, adapter=self.name, token=token,
                               headers={"Accept": "application/json"}, retry=retry, auth_hint=self.token_help)
        self.api = RelateCrmClient(self.http)
        self.companies = Companies(self.api)
        self._raw: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"<RelateCrmAdapter {self.remote} {self.http!r}>"

    # -- reading -------------------------------------------------------------------------------------------

    def _record(self, contact: Mapping[str, Any]) -> RemoteRecord:
        companies = contact.get("companies") or []
        name = self.companies.name_for(companies[0]) if companies else None
        data = to_book(contact, company_name=name)
        ident = str(contact["id"])
        self._raw[ident] = dict(contact)
        stamp = contact.get("updated_at")
        return RemoteRecord(id=ident, data=data, version=version_of(data),
                            updated_at=str(stamp) if stamp else None)

    def _walk(self, after: datetime | None) -> tuple[dict[str, RemoteRecord], str | None]:
        records: dict[str, RemoteRecord] = {}
        latest: tuple[datetime, str] | None = None
        order = "updated_at|desc" if after else "id|desc"
        for contact in self.api.list_contacts(order=order, per_page=self.page_size):
            moment = _instant(contact.get("updated_at"))
            if after is not None and moment is not None and moment < after:
                break  # newest first: every record from here on is older than the bookmark
            record = self._record(contact)
            records[record.id] = record
            if moment is not None and (latest is None or moment > latest[0]):
                latest = (moment, str(contact["updated_at"]))
        return records, latest[1] if latest else None

    def list_changes(self, since: str | None) -> Changes:
        """Every contact (since None), or those changed at or after the bookmark; see the module docstring."""
        after = _instant(since)
        if after is None:
            since = None  # no bookmark, or one this adapter did not write: list everything
        self.companies.load()
        for attempt in range(1, LISTING_TRIES + 1):
            try:
                records, latest = self._walk(after)
                break
            except ListingChanged as err:
                if attempt == LISTING_TRIES:
                    raise AdapterUnavailable(f"{err} {LISTING_TRIES} times; try again later",
                                             adapter=self.name) from None
        if since is not None:
            for company_id in self.companies.changed_since(since):
                try:
                    company = self.api.get_company(company_id)
                except RemoteRejected as err:
                    if err.status == 404:
                        continue
                    raise
                for contact_id in company.get("contacts") or []:
                    if str(contact_id) not in records:
                        found = self.get(str(contact_id))
                        if found is not None:
                            records[found.id] = found
        # The companies were listed before the walk, so every change after the later of the two stamps is
        # newer than the walk and comes next time; the walk stops at records older than the bookmark, so
        # neither stamp is before it.
        stamps = [(moment, text) for text in (latest, since, self.companies.latest())
                  if (moment := _instant(text)) is not None]
        bookmark = max(stamps)[1] if stamps else None
        return Changes(records=list(records.values()), deleted=None, bookmark=bookmark, complete=since is None)

    def get(self, remote_id: str) -> RemoteRecord | None:
        """One contact, or None when relatecrm has none with this id."""
        try:
            contact = self.api.get_contact(remote_id)
        except RemoteRejected as err:
            if err.status == 404:
                return None
            raise
        except ValueError:  # not an integer id: not one of relatecrm's
            return None
        return self._record(contact)

    def _candidates(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The remote contacts that are `data` as rolo would have sent it, newest first: the one with its email
        (emails are unique, so it is taken as it is), else those with its first phone number, else those
        with its exact name (the stand-in when it has none), these checked against `data` (names, numbers)."""
        email = primary(data.get("emails"))
        address = clean(email.get("address")) if email else None
        if address:
            return self.api.search_contacts(address, search_fields="email:=", take=1)
        numbers = [clean(p.get("number")) for p in data.get("phones") or []]
        number = next((n for n in numbers if n), None)
        if number:
            candidates = self.api.search_contacts(number, search_fields="phones.number:=", take=LOOKUP_TAKE,
                                                  order="id|desc")
        else:
            names = {k: data.get(k) for k in ("given_name", "family_name", "organization", "emails", "phones")}
            body = to_remote(names)  # the first_name rolo sends, a stand-in included
            first, last = body["first_name"], body["last_name"]
            if any(";" in str(v) for v in (first, last) if v):
                return []  # cannot be written in q's field:value;field:value form
            query = f"first_name:{first}" + (f";last_name:{last}" if last else "")
            fields = "first_name:=" + (";last_name:=" if last else "")
            candidates = self.api.search_contacts(query, search_fields=fields, search_match="and",
                                                  take=LOOKUP_TAKE, order="id|desc")
        return [c for c in candidates if same_record(to_book(c, company_name=None), data)]

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """The contact with the email of `data`, else its phone number, else its exact name, or None."""
        for contact in self._candidates(data):
            return self._record(contact)
        return None

    # -- writing -------------------------------------------------------------------------------------------

    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """Create a contact (relatecrm has no idempotency keys: see the module docstring)."""
        body = to_remote(data)
        company = self.companies.id_for(data.get("organization"))
        if company is not None:
            body["companies"] = [company]
        try:
            contact = self.api.create_once(
                lambda: self.api.create_contact(body),
                lambda: self._candidates(data),
                lambda twin: self.api.delete_contact(twin["id"]),
            )
        except RemoteRejected as err:
            raise _explained(err, body.get("email")) from None
        return self._record(contact)

    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        """PUT the whole contact (plus what the book does not carry), then its company if it changed."""
        current = self._raw.get(remote_id) or self.api.get_contact(remote_id)
        body = to_remote(data, current=current)
        try:
            contact = self.api.update_contact(remote_id, body)
        except RemoteRejected as err:
            raise _explained(err, body.get("email")) from None
        contact = self._associate(remote_id, contact, data.get("organization"))
        return self._record(contact)

    def _associate(self, remote_id: str, contact: dict[str, Any], organization: Any) -> dict[str, Any]:
        """Make the contact's first company the organization's (see "Companies" in `mapping.py`)."""
        ids = [c.get("id") if isinstance(c, Mapping) else c for c in contact.get("companies") or []]
        current = [int(c) for c in ids if c is not None]
        first = current[0] if current else None
        name = clean(organization)
        if name and first is not None and " ".join((self.companies.name_for(first) or "").split()).casefold() \
                == " ".join(name.split()).casefold():
            return contact
        wanted = self.companies.id_for(name)
        if wanted == first:
            return contact
        if wanted is None:
            return self.api.detach(remote_id, companies=[first] if first is not None else [])
        if not current:
            return self.api.attach(remote_id, companies=[wanted])
        others = [c for c in current[1:] if c != wanted]
        return self.api.sync(remote_id, companies=[wanted, *others])

    def delete(self, remote_id: str) -> None:
        """Delete a contact; one already gone is not an error."""
        try:
            self.api.delete_contact(remote_id)
        except RemoteRejected as err:
            if err.status != 404:
                raise
        self._raw.pop(remote_id, None)

    # -- schema and checks ---------------------------------------------------------------------------------

    def prepare(self, fields: list[FieldDefinition]) -> None:
        """Refuse book custom fields relatecrm cannot hold under their names (nothing to create)."""
        problems = [p for p in (reserved(d) for d in fields) if p]
        if problems:
            raise RemoteRejected(f"{self.name}: " + "; ".join(problems), adapter=self.name, code="reserved_field")

    def check(self) -> dict[str, Any]:
        """One cheap request: the token works and the API answers; how many contacts, and the rate limit."""
        body = self.http.get("/api/contacts", params={"per_page": 1, "select": "id"})
        headers: Mapping[str, str] = self.http.last_headers or {}
        return {
            "contacts": dig(body, "meta.total"),
            "rate_limit": headers.get("x-ratelimit-limit"),
            "rate_limit_remaining": headers.get("x-ratelimit-remaining"),
        }

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """A running relatecrm emulator (`RelateCrmEmulator`) on 127.0.0.1: `url`, `api_key`, `stop()`."""
        from rolo.adapters.relatecrm.emulator import serve

        # the emulator's url and api_key are read-only properties, which the protocol's plain attributes do
        # not admit for mypy; it has them all the same
        return cast("Emulator", serve(port))


def _explained(err: RemoteRejected, email: Any) -> RemoteRejected:
    """A refusal, with what to do when it is relatecrm's unique email rule."""
    if err.status != 422 or "email has already been taken" not in str(err):
        return err
    return RemoteRejected(
        f"{err} (relatecrm keeps emails unique and another contact there has {email}; if both are one person, "
        "`rolo dupes` finds them in the book)", adapter=err.adapter, status=err.status, code=err.code,
        remote_id=err.remote_id,
    )


@hookimpl
def register_adapters(register: Any) -> None:
    """Make the relatecrm adapter known as `relatecrm`."""
    register(RelateCrmAdapter)
