"""Relm (relmcrm.com): the adapter for Relm's REST API, and `emulator.py`, the in-process server that behaves as
Relm's API document says (used by the adapter's tests and the demo).

- `client.py`: one method per Relm endpoint rolo uses (`RelmClient`), on the shared `rolo.adapters._http`;
- `mapping.py`: Relm contact ↔ the book's JSON contact object, with every choice documented (what is carried,
  companies, custom fields, labels in the `rolo_labels` field, what Relm cannot carry);
- this module: `RelmAdapter`, and the `register_adapters` hook that makes it known as `relm`.

How the adapter uses Relm:

- **Pull.** A complete listing walks `GET /v1/contacts` (200 a page). An incremental one asks for
  `filter[updated_at][gt]=<bookmark>` (Relm's timestamps grow strictly across the workspace), plus the
  contacts of companies changed since the bookmark (a renamed company changes their organization without
  touching them). The bookmark is the latest `updated_at` seen, but never later than the server's clock
  (`Date`) when the walk began, less two seconds: a record changed during the walk lands after it, so the
  next pull sees it (a record changed just before may come twice, which the engine skips by version). Relm cannot list deletions, so an incremental pull says `deleted=None` and the engine
  finds deletions with a complete listing. A record's version is its `updated_at`, plus its company's when
  it has one.
- **Push.** Creates send the engine's key as `Idempotency-Key` (Relm replays the first answer), updates
  PATCH only the changed keys, deletes treat a 404 as done. `create_many` uses `POST /v1/contacts/batch`
  with `dedup_on: ["email"]` (500 a call); Relm refuses a whole batch for one bad contact, so the contact
  its error names (`contacts[N].…`) is reported as refused and the rest is sent again.
- **Lookup.** `find` looks a contact up by email (Relm compares emails without case), then by phone.
- Missing companies and custom field definitions are created on demand (see `mapping.py`).
- **Webhooks.** `webhook_events` checks `relm-signature` (`t=…,v1=…`, HMAC-SHA256 keyed by the endpoint's
  `whsec_…` secret over `t.body`) and names the contact of a `contact.created|updated|deleted` event. Other
  events are acknowledged and ignored: a renamed company reaches its contacts with the next scheduled sync.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rolo.adapters._http import RETRY_OPTION_HELP, HttpClient, page_size_option, retry_option
from rolo.adapters.relm.client import BATCH_MAX, PAGE_MAX, RelmClient, RelmContact
from rolo.adapters.relm.mapping import (
    CARRIED_FIELDS,
    SINGLE_FIELDS,
    Companies,
    FieldSchema,
    to_book,
    to_relm,
    version_of,
)
from rolo.core.errors import RemoteRejected, UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord
from rolo.core.sync.webhooks import WebhookEvent, contact_event, json_body, verify_signature

if TYPE_CHECKING:
    import httpx
    from rolo.core.fields import FieldDefinition

__all__ = ["RelmAdapter", "register_adapters"]

API_VERSION = "2026-07-01"
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
_BATCH_INDEX = re.compile(r"contacts\[(\d+)\]")
_MARGIN = timedelta(seconds=2)


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


class RelmAdapter(Adapter):
    """Syncs a book with a Relm workspace (contacts, their companies, custom fields and labels)."""

    name = "relm"
    options: ClassVar[Mapping[str, str]] = {
        "page_size": f"contacts per list page, 1-{PAGE_MAX} (default {PAGE_MAX})",
        "api_version": f"the Relm-Version header to send (default {API_VERSION})",
        **RETRY_OPTION_HELP,
    }
    capabilities = Capabilities(
        fields=CARRIED_FIELDS,
        single=SINGLE_FIELDS,
        deletes=True,
        incremental=True,
        batch=True,
        batch_size=BATCH_MAX,
        idempotent_create=True,
        lookup=True,
        webhooks=True,
    )
    default_url = "https://relmcrm.com"
    token_help = "create an API key (sk_live_… or sk_test_…) on Relm's API Keys page"

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
        if not token:
            raise UserError(f"{self.remote}: a Relm API key is needed", hint=self.token_help)
        if not token.startswith(("sk_live_", "sk_test_")):
            raise UserError(f"{self.remote}: a Relm API key starts with sk_live_ or sk_test_", hint=self.token_help)
        values = self.option_values
        self.page_size = page_size_option(values, self.remote, PAGE_MAX)
        retry = retry_option(values, self.remote)
        self.http = HttpClient(
            client,
            base_url=url or self.default_url or "",
            adapter=self.name,
            token=token,
            headers={"Relm-Version": values.get("api_version") or API_VERSION, "Accept": "application/json"},
            retry=retry,
            auth_hint=self.token_help,
        )
        self.relm = RelmClient(self.http)
        self.companies = Companies(self.relm)
        self.schema = FieldSchema(self.relm)

    def __repr__(self) -> str:
        return f"<RelmAdapter {self.remote} {self.http!r}>"

    # -- reading -------------------------------------------------------------------------------------------

    def _record(self, contact: RelmContact) -> RemoteRecord:
        company_id = contact.get("company_id")
        name = self.companies.name_for(company_id)
        version = version_of(contact)
        company = self.companies.get(company_id)
        if version is not None and company is not None and company.get("updated_at"):
            version = f"{version}+{company['updated_at']}"
        data = to_book(contact, company_name=name, schema=self.schema.fields)
        return RemoteRecord(id=contact["id"], data=data, version=version)

    def list_changes(self, since: str | None) -> Changes:
        """Every contact (since None), or those changed after the bookmark `since`; see the module docstring."""
        after = _instant(since) if since else None
        if since and after is None:
            since, after = None, None  # a bookmark this adapter did not write: list everything
        self.schema.fields  # noqa: B018 -- list the schema and companies before the walk starts
        self.companies.load()
        filters = {"updated_at": {"gt": _stamp(after)}} if after else None
        records: dict[str, RemoteRecord] = {}
        latest = after
        walk_started: datetime | None = None
        for contact in self.relm.list_contacts(filters=filters, page_size=self.page_size):
            if walk_started is None:
                walk_started = self.http.server_time()
            records[contact["id"]] = self._record(contact)
            latest = _later(latest, _instant(contact.get("updated_at")))
        if walk_started is None:  # nothing listed: the one page's answer still tells the server's time
            walk_started = self.http.server_time()
        if after is not None:
            changed = [c["id"] for c in self.companies.changed_since(after)]
            for start in range(0, len(changed), 50):
                ids = changed[start : start + 50]
                for contact in self.relm.list_contacts(
                    filters={"company_id": {"in": ",".join(ids)}}, page_size=self.page_size
                ):
                    records.setdefault(contact["id"], self._record(contact))
        # A change made after the first page was served has a later updated_at than that page's Date; the
        # margin covers the Date header's whole seconds and clock skew between Relm's servers.
        horizon = walk_started - _MARGIN if walk_started is not None else None
        if latest is None or (after is not None and latest == after):
            bookmark = horizon
        elif horizon is None:
            bookmark = latest
        else:
            bookmark = min(latest, horizon)
        if after is not None:
            bookmark = max(bookmark or after, after)  # never move back past what was already asked for
        return Changes(
            records=list(records.values()),
            deleted=None,
            bookmark=_stamp(bookmark) if bookmark is not None else None,
            complete=after is None,
        )

    @classmethod
    def webhook_events(cls, headers: Mapping[str, str], body: bytes, secret: str, *,
                       options: Mapping[str, str], now: float | None = None) -> list[WebhookEvent]:
        verify_signature(headers.get("relm-signature"), body, secret, now=now, name="relm-signature")
        event = json_body(body)
        data = event.get("data")
        return contact_event(event, data.get("object") if isinstance(data, dict) else None)

    def get(self, remote_id: str) -> RemoteRecord | None:
        """One contact, or None when Relm has none with this id."""
        try:
            contact = self.relm.get_contact(remote_id)
        except RemoteRejected as err:
            if err.status == 404:
                return None
            raise
        return self._record(contact)

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """The contact with the same email (without case), else the same phone, or None."""
        email = _primary(data.get("emails"), "address")
        if email:
            for contact in self.relm.list_contacts(email=email, page_size=1):
                return self._record(contact)
        phone = _primary(data.get("phones"), "number")
        if phone:
            for contact in self.relm.list_contacts(filters={"phone": phone}, page_size=1):
                return self._record(contact)
        return None

    # -- writing -------------------------------------------------------------------------------------------

    def _body(self, data: Mapping[str, Any], *, keys: Iterable[str] | None = None,
              previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = to_relm(data, schema=self.schema.fields, keys=keys, previous=previous)
        if "metadata" in body:
            self.schema.ensure(body["metadata"])
        if keys is None or "organization" in set(keys):
            body["company_id"] = self.companies.id_for(
                data.get("organization"), email=_primary(data.get("emails"), "address")
            )
        return body

    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """Create a contact; a replay with the same key and data returns the contact created first."""
        body = self._body(data)
        return self._record(self.relm.create_contact(body, idempotency_key=idempotency_key))

    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        """PATCH the changed keys of a contact."""
        body = self._body(data, keys=changed, previous=previous)
        if not body:
            contact = self.relm.get_contact(remote_id)
        else:
            contact = self.relm.update_contact(remote_id, body)
        return self._record(contact)

    def delete(self, remote_id: str) -> None:
        """Delete a contact; one already gone is not an error."""
        try:
            self.relm.delete_contact(remote_id)
        except RemoteRejected as err:
            if err.status != 404:
                raise

    def create_many(self, items: list[tuple[dict[str, Any], str]]) -> list[RemoteRecord | RemoteRejected]:
        """Create (or upsert on email) up to 500 contacts in one batch call; see the module docstring."""
        if len(items) > BATCH_MAX:
            raise ValueError(f"at most {BATCH_MAX} items per batch")
        results: list[RemoteRecord | RemoteRejected | None] = [None] * len(items)
        bodies: dict[int, dict[str, Any]] = {}
        for index, (data, _key) in enumerate(items):
            try:
                bodies[index] = self._body(data)
            except RemoteRejected as err:  # its company could not be created
                results[index] = err
        pending = sorted(bodies)
        while pending:
            digest = hashlib.sha256("\n".join(items[i][1] for i in pending).encode()).hexdigest()[:40]
            try:
                answer = self.relm.batch_contacts(
                    [bodies[i] for i in pending], idempotency_key=f"rolo-batch-{digest}"
                )
            except RemoteRejected as err:
                # Relm refuses the whole batch for one contact and names it: `contacts[N].field: …`
                found = _BATCH_INDEX.search(str(err))
                if found is None or int(found[1]) >= len(pending) or err.status not in (400, 409, 422):
                    raise
                index = pending.pop(int(found[1]))
                results[index] = RemoteRejected(
                    str(err).replace(found[0], f"contact {index}", 1), adapter=self.name,
                    status=err.status, code=err.code,
                )
                continue
            stored = answer.get("data") or []
            if len(stored) != len(pending):
                raise RemoteRejected(
                    f"{self.name}: the batch answer holds {len(stored)} contacts for {len(pending)} sent",
                    adapter=self.name, status=200, code="bad_batch_answer",
                )
            for index, contact in zip(pending, stored, strict=True):
                results[index] = self._record(contact)
            pending = []
        return [r if r is not None else RemoteRejected("relm: not sent", adapter=self.name) for r in results]

    # -- schema and checks ---------------------------------------------------------------------------------

    def prepare(self, fields: list[FieldDefinition]) -> None:
        """Define the book's custom fields and the `rolo_labels` field in Relm where missing."""
        self.schema.prepare(fields, labels=True)

    def remote_fields(self) -> list[FieldDefinition]:
        """Relm's contact custom fields as book definitions (lists and types as `mapping.py` says)."""
        return self.schema.definitions()

    def check(self) -> dict[str, Any]:
        """One cheap request: the key works and the API answers; facts about the workspace's API."""
        self.http.get("/v1/contacts", params={"limit": 1})
        headers: Mapping[str, str] = self.http.last_headers or {}
        return {
            "api_version": headers.get("relm-version"),
            "rate_limit": headers.get("x-ratelimit-limit"),
            "rate_limit_remaining": headers.get("x-ratelimit-remaining"),
            "key_mode": "live" if (self.token or "").startswith("sk_live_") else "test",
        }

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """A running Relm emulator (`RelmEmulator`) on 127.0.0.1: `url`, `api_key`, `stop()`."""
        from rolo.adapters.relm.emulator import serve

        # RelmEmulator's url and api_key are read-only properties, which the protocol's plain attributes
        # do not admit for mypy; it has them all the same
        return cast("Emulator", serve(port))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _primary(entries: Any, key: str) -> str | None:
    if not entries:
        return None
    chosen = next((e for e in entries if isinstance(e, Mapping) and e.get("primary")), entries[0])
    value = chosen.get(key) if isinstance(chosen, Mapping) else chosen
    return str(value).strip() or None if value is not None else None


@hookimpl
def register_adapters(register: Any) -> None:
    """Make the Relm adapter known as `relm`."""
    register(RelmAdapter)

