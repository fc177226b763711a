"""RelayBook (app.relaybook.io): the adapter for the RelayBook API v1, and `emulator.py`, the in-process server
that behaves as RelayBook's Contacts document says (used by the adapter's tests and the demo).

- `client.py`: one method per RelayBook endpoint rolo uses (`RelayBookClient`), on the shared
  `rolo.adapters._http`, with the book header and book errors (`BookHttp`);
- `mapping.py`: RelayBook contact ↔ the book's JSON contact object, with every choice documented (label
  vocabularies and how a pull never degrades a label, websites and socials, birthdays without a year);
- `extras.py`: `BookExtras`, the one place that uses the endpoints the seed document only refers to (labels,
  the bulk custom-field update), which tries the plausible shapes of each and remembers the one the server
  took;
- this module: `RelayBookAdapter`, and the `register_adapters` hook that makes it known as `relaybook`.

How the adapter uses RelayBook:

- **The book.** RelayBook keeps contacts in books; the remote's `book` option (a UUID) is sent as `X-Book-ID`
  on every request. Without it nothing but `rolo remote test` works, and that lists the books the key can
  reach (`GET /api/v1/books`). A book the key's team does not have is a 403 `FORBIDDEN`, reported as a
  configuration error (`AdapterAuthError`: "check --option book=") and never retried.
- **Pull.** The document has no filter on change time, so every pull is a complete listing:
  `GET /api/v1/contacts` 200 a page (offset pagination), plus the book's labels and their members (one walk
  per label), or each contact's labels where the server has no label objects (`extras.py`). RelayBook
  cannot list deletions; the engine finds them by absence. A record's version is a digest of its book data.
- **Push.** A create POSTs the fields the create endpoint takes, then PATCHes `starred` when set (create does
  not take it), then writes custom fields and labels (`BookExtras`). RelayBook has no idempotency keys, so
  the shared HTTP layer never repeats a create that may have reached it. The adapter does, in two cases: a
  500, which RelayBook documents as a database error (nothing was written), is sent again; a create whose
  answer was lost (a timeout, a dropped connection, a 502/503/504 from a proxy) is first looked for at the
  end of the listing, where RelayBook puts new contacts (a contact this run has not seen, holding exactly
  what was sent), and sent again only when it is not there. An update PATCHes the changed keys (arrays
  always complete, as PATCH replaces them whole), then labels and custom fields when they changed. A delete
  of a contact already gone is done.
- **A follow-up that fails never undoes a create.** Once the POST has made the contact, a refused (or
  unanswered) star, custom-field or label write is reported, not raised: the create returns the contact as
  RelayBook now holds it, so the engine links it, and the adapter logs a warning naming what was not set
  (also kept in `incomplete`). The record is returned without a version, so the next run compares the pair
  instead of skipping it, and with the keys not set in `RemoteRecord.unset`, which the engine remembers as
  RelayBook holds them: the next run sends the star, custom fields and labels again as local changes.
  (Earlier versions deleted the new contact and reported the create refused: a server with other label or
  bulk endpoints then had every contact created and deleted on every run.)
- **Lookup.** `find` (used when a killed sync resumes) finds the newest contact holding exactly what a
  create would send (names, company, title, emails, phones) and finishes its follow-up writes: a create
  killed between the POST and the labels is completed rather than duplicated.
- **Webhooks.** The document says creates, updates and deletes fire `contact.*` events but its Webhooks page
  is not in the seeds; `webhook_events` takes what the emulator was designed to send (its docstring, 13):
  Relm's `t=…,v1=…` scheme under `relaybook-signature`, a `book_id` (events of other books are ignored) and
  the contact (or its `id`) in `data`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rolo.adapters._http import RETRY_OPTION_HELP, page_size_option, retry_option
from rolo.adapters.relaybook.client import PAGE_MAX, BookHttp, RelayBookClient, RelayBookContact
from rolo.adapters.relaybook.extras import BookExtras
from rolo.adapters.relaybook.mapping import (
    CARRIED_FIELDS,
    ENTRY_LABELS,
    LIST_KEYS,
    custom_field_changes,
    identity,
    to_book,
    to_relaybook,
    version_of,
)
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected, UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord
from rolo.core.sync.webhooks import WebhookEvent, contact_event, json_body, verify_signature

if TYPE_CHECKING:
    import httpx

__all__ = ["RelayBookAdapter", "register_adapters"]

log = logging.getLogger("rolo.adapters.relaybook")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: how far back from the end of the listing a lost create is looked for
_TAIL = 50


class RelayBookAdapter(Adapter):
    """Syncs a book with one RelayBook book (contacts, their labels and custom fields)."""

    name = "relaybook"
    options: ClassVar[Mapping[str, str]] = {
        "book": "the UUID of the RelayBook book to sync (required; `rolo remote test` lists the books)",
        "page_size": f"contacts per list page, 1-{PAGE_MAX} (default {PAGE_MAX})",
        **RETRY_OPTION_HELP,
    }
    capabilities = Capabilities(fields=CARRIED_FIELDS, deletes=True, incremental=False, batch=False,
                                idempotent_create=False, lookup=True, entry_labels=ENTRY_LABELS, webhooks=True)
    default_url = "https://app.relaybook.io"
    token_help = "create an API key (rlb_…) in RelayBook under Settings → API keys"

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
            raise UserError(f"{self.remote}: a RelayBook API key is needed", hint=self.token_help)
        values = self.option_values
        self.book = (values.get("book") or "").strip() or None
        if self.book is not None and not _UUID.fullmatch(self.book):
            raise UserError(f"{self.remote}: option book must be a book's UUID (got {self.book!r})",
                            hint=self.books_hint)
        page_size = page_size_option(values, self.remote, PAGE_MAX)
        retry = retry_option(values, self.remote)
        self.http = BookHttp(
            client,
            base_url=url or self.default_url or "",
            adapter=self.name,
            token=token,
            book=self.book,
            book_hint=self.books_hint,
            headers={"Accept": "application/json"},
            retry=retry,
            auth_hint=self.token_help,
        )
        self.relaybook = RelayBookClient(self.http, page_size=page_size)
        self.extras = BookExtras(self.relaybook)
        self._known: set[str] = set()  # contact ids seen or created in this run
        self._index: list[RelayBookContact] | None = None  # the full listing, for `find`
        self._count: int | None = None  # the book's size, from this run's listing and writes
        #: creates whose follow-up writes were not all taken: {id, starred?, custom_fields?, labels?, errors}
        self.incomplete: list[dict[str, Any]] = []

    @property
    def books_hint(self) -> str:
        """How to find a book's id."""
        return f"`rolo remote test {self.remote}` lists the books this key can reach"

    def __repr__(self) -> str:
        return f"<RelayBookAdapter {self.remote} book={self.book} {self.http!r}>"

    def _need_book(self) -> None:
        if self.book is None:
            raise UserError(f"{self.remote}: no RelayBook book chosen; add --option book=UUID",
                            hint=self.books_hint)

    # -- reading -------------------------------------------------------------------------------------------

    def _record(self, contact: Mapping[str, Any], labels: list[str]) -> RemoteRecord:
        self._known.add(str(contact["id"]))
        data = to_book(contact, labels)
        return RemoteRecord(id=str(contact["id"]), data=data, version=version_of(data),
                            updated_at=contact.get("updated_at"))

    def list_changes(self, since: str | None) -> Changes:
        """Every contact of the book with its labels (RelayBook cannot filter by change: always complete)."""
        self._need_book()
        labels = self.extras.labels_by_contact()
        records = []
        for contact in self.relaybook.list_contacts():
            if labels is None or isinstance(contact.get("labels"), list):
                names = self.extras.labels_of(contact)  # from the contact, or one request
            else:
                names = labels.get(contact["id"], [])
            records.append(self._record(contact, names))
        self._count = len(records)
        return Changes(records=records, deleted=None, bookmark=None, complete=True)

    @classmethod
    def webhook_events(cls, headers: Mapping[str, str], body: bytes, secret: str, *,
                       options: Mapping[str, str], now: float | None = None) -> list[WebhookEvent]:
        verify_signature(headers.get("relaybook-signature"), body, secret, now=now, name="relaybook-signature")
        event = json_body(body)
        if event.get("book_id") != (options.get("book") or "").strip():  # another book of the team
            return []
        return contact_event(event, event.get("data"))

    def get(self, remote_id: str) -> RemoteRecord | None:
        """One contact, or None when the book has none with this id."""
        self._need_book()
        try:
            contact = self.relaybook.get_contact(remote_id)
        except RemoteRejected as err:
            if err.status == 404:
                return None
            raise
        return self._record(contact, self.extras.labels_of(contact))

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """The newest contact holding exactly what `create(data)` would send, with its labels and custom
        fields completed (see the module docstring), or None."""
        self._need_book()
        wanted = identity(to_relaybook(data, create=True))
        if self._index is None:
            self._index = list(self.relaybook.list_contacts())
            self._count = len(self._index)
        for contact in reversed(self._index):
            if identity(contact) == wanted:
                return self._finish(contact, data, labels=self.extras.labels_of(contact))
        return None

    # -- writing -------------------------------------------------------------------------------------------

    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """Create a contact, then star it and give it its labels and custom fields. RelayBook has no
        idempotency keys: `idempotency_key` is not sent (a lost create is looked for instead)."""
        self._need_book()
        custom_field_changes(data.get("custom_fields") or {}, {})  # a reserved name is refused before the POST
        body = to_relaybook(data, create=True)
        contact = self._post_contact(body)
        self._known.add(str(contact["id"]))
        # from here on the contact exists: whatever fails next is reported, never undone (module docstring)
        return self._finish(contact, data, labels=[])

    def _post_contact(self, body: dict[str, Any]) -> RelayBookContact:
        """POST a new contact, sending it again after a 500 (RelayBook documents its 500 as a database
        error: nothing was written) and, after a lost answer, only when the contact is not there already."""
        policy = self.http.retry
        began = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                contact = self.relaybook.create_contact(body)
            except RemoteRejected as err:
                if err.status != 500:
                    raise
                failure: Exception = err
            except AdapterUnavailable as err:
                # a timeout, a dropped connection, a 502/503/504 from a proxy: it may have been created
                found = self._created_meanwhile(body)
                if found is not None:
                    return found
                failure = err
            else:
                if self._count is not None:
                    self._count += 1
                return contact
            wait = policy.backoff_for(attempt)
            if attempt >= policy.attempts or time.monotonic() - began + wait > policy.max_time:
                raise failure
            time.sleep(wait)

    def _created_meanwhile(self, body: Mapping[str, Any]) -> RelayBookContact | None:
        """A contact this run has not seen, at the end of the listing (where RelayBook puts new ones), with
        exactly what `body` holds."""
        total = self._count
        if total is None:
            _, total = self.relaybook.contacts_page(0, 1)
        tail, _ = self.relaybook.contacts_page(max(0, total - _TAIL), PAGE_MAX)
        wanted = identity(body)
        for contact in reversed(tail):
            if str(contact.get("id")) not in self._known and identity(contact) == wanted:
                return contact
        return None

    def _finish(self, contact: Mapping[str, Any], data: Mapping[str, Any], *, labels: list[str]) -> RemoteRecord:
        """After a create: star the contact, then write its custom fields and labels where they differ.

        Each of the three is tried whatever became of the others; a refused or unanswered one is reported
        (`incomplete`, a warning) and the contact returned as RelayBook holds it, without a version, so that
        the engine links it and compares it again next run (see the module docstring)."""
        contact_id = str(contact["id"])
        unset: dict[str, Any] = {}
        errors: list[str] = []
        if bool(data.get("starred")) != bool(contact.get("starred")):
            try:
                contact = self.relaybook.update_contact(contact_id, {"starred": bool(data.get("starred"))})
            except (RemoteRejected, AdapterUnavailable) as err:
                unset["starred"] = bool(data.get("starred"))
                errors.append(f"star: {err}")
        wanted_fields = data.get("custom_fields") or {}
        try:
            contact = self.extras.set_custom_fields(contact, wanted_fields)
        except (RemoteRejected, AdapterUnavailable) as err:
            try:
                changes = self.extras.custom_field_changes(contact, wanted_fields)
            except RemoteRejected:  # a reserved name (a create refuses it before its POST)
                changes = dict(wanted_fields)
            unset["custom_fields"] = sorted(k for k, v in changes.items() if v is not None)
            errors.append(f"custom fields: {err}")
        wanted_labels = list(data.get("labels") or [])
        try:
            labels = self.extras.set_labels(contact_id, wanted_labels, labels)
        except (RemoteRejected, AdapterUnavailable) as err:
            have = {n.casefold() for n in labels}
            unset["labels"] = sorted((n for n in wanted_labels if n.casefold() not in have), key=str.casefold)
            errors.append(f"labels: {err}")
        record = self._record(contact, labels)
        unset = {k: v for k, v in unset.items() if k == "starred" or v}  # not e.g. an old memo's removal
        if unset:
            record.version = None  # the engine compares the pair next run instead of skipping it
            record.unset = frozenset(unset)  # ... and sees these as local changes to send again
            self._report_unset(contact, unset, errors)
        return record

    def _report_unset(self, contact: Mapping[str, Any], unset: dict[str, Any], errors: list[str]) -> None:
        """Say which follow-up writes of a created contact RelayBook did not take."""
        self.incomplete.append({"id": str(contact["id"]), **unset, "errors": errors})
        name = " ".join(str(contact.get(k) or "") for k in ("first_name", "last_name")).strip() or \
            str(contact.get("company") or "")
        what: list[str] = []
        if "starred" in unset:
            what.append("its star")
        if unset.get("custom_fields"):
            what.append("custom fields " + ", ".join(unset["custom_fields"]))
        if unset.get("labels"):
            what.append("labels " + ", ".join(unset["labels"]))
        log.warning("%s: contact %s (%s) was created, but RelayBook did not take %s (%s); the next sync sends "
                    "them again", self.remote, contact["id"], name, " and ".join(what), "; ".join(errors))

    def remembered(self) -> dict[str, Any]:
        """Which label and bulk designs the server has, once known (kept by the engine between runs)."""
        return {k: v for k, v in self.extras.memo.items() if v is not None}

    def recall(self, memo: Mapping[str, Any]) -> None:
        self.extras.recall(memo)

    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        """PATCH the changed keys (arrays whole), then the labels and custom fields that changed."""
        self._need_book()
        body = to_relaybook(data, keys=changed)
        contact: Mapping[str, Any] | None = None
        if body:
            contact = self.relaybook.update_contact(remote_id, body)
        if contact is None:  # only labels or custom fields changed: read what the record is now
            contact = self.relaybook.get_contact(remote_id)
        if "custom_fields" in changed or any(k in changed for k in LIST_KEYS):
            values = (data.get("custom_fields") or {}) if "custom_fields" in changed else None
            contact = self.extras.set_custom_fields(contact, values)
        if previous is not None and "labels" in previous:
            current = list(previous.get("labels") or [])
        else:
            current = self.extras.labels_of(contact)
        labels = current
        if "labels" in changed:
            labels = self.extras.set_labels(remote_id, data.get("labels") or [], current)
        return self._record(contact, labels)

    def delete(self, remote_id: str) -> None:
        """Delete a contact; one already gone is not an error."""
        self._need_book()
        try:
            self.relaybook.delete_contact(remote_id)
        except RemoteRejected as err:
            if err.status != 404:
                raise
            return
        if self._count is not None:
            self._count -= 1

    # -- checks --------------------------------------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        """The key works, the book is one it reaches; facts: the book, its size, the books the key reaches."""
        try:
            books: list[dict[str, Any]] | None = self.relaybook.list_books()
        except RemoteRejected as err:
            if err.status not in (404, 405):
                raise
            books = None  # a RelayBook without the books listing: say where else to look
        listed = ", ".join(f"{b.get('id')} ({b.get('name')})" for b in books or [])
        where = (f"books this key reaches: {listed}" if books
                 else "open the book in RelayBook's web app: its id is the UUID in the address")
        if self.book is None:
            raise UserError(
                f"{self.remote}: no RelayBook book chosen; {where}",
                hint=f"rolo remote add {self.remote} --replace --adapter relaybook --url {self.url} "
                     f"--token-env VAR --option book=UUID (or book = \"UUID\" under "
                     f"[remotes.{self.remote}.options] in rolo.toml)",
            )
        if books is not None and self.book.lower() not in {str(b.get("id")).lower() for b in books}:
            raise AdapterAuthError(f"{self.remote}: this key cannot reach book {self.book}; check --option "
                                   f"book= ({where})", adapter=self.name)
        _, total = self.relaybook.contacts_page(0, 1)
        name = next((b.get("name") for b in books or [] if str(b.get("id")).lower() == self.book.lower()), None)
        facts: dict[str, Any] = {"book": self.book, "book_name": name, "contacts": total}
        if books is not None:
            facts["books"] = listed
        return facts

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """A running RelayBook emulator on 127.0.0.1: `url`, `api_key`, `book_id`, `stop()`."""
        from rolo.adapters.relaybook.emulator import serve

        # url and api_key are read-only properties, which the protocol's plain attributes do not admit for
        # mypy; the emulator has them all the same
        return cast("Emulator", serve(port))


@hookimpl
def register_adapters(register: Any) -> None:
    """Make the RelayBook adapter known as `relaybook`."""
    register(RelayBookAdapter)
