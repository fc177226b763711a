"""CardDAV (RFC 6352): two-way sync with the address book of a phone, through Nextcloud, iCloud, Fastmail,
Google, Radicale, Baïkal or any other CardDAV server.

- `dav.py`: the WebDAV/CardDAV XML (ElementTree): request bodies and multistatus answers;
- `client.py`: `CardDavClient`, one method per request (discovery, PROPFIND, sync-collection, multiget,
  GET, PUT, DELETE with etags), on the shared `rolo.adapters._http` (retries, error translation, secrets
  scrubbed), with basic or bearer auth;
- `mapping.py`: card ↔ the book's JSON contact object, on rolo's own vCard reader and writer;
- `emulator.py`: `RadicaleServer`, a real Radicale started on 127.0.0.1 (`rolo emulate carddav`, the tests);
- this module: `CardDavAdapter`, registered as `carddav`.

How the adapter uses CardDAV:

- **Which address book.** `--option addressbook=PATH` (a path or URL of the collection); without it the
  adapter discovers (RFC 6764 `/.well-known/carddav`, `current-user-principal`, `addressbook-home-set`) and
  takes the only address book found, or asks the user to choose (`rolo remote test` lists them). A base URL
  that is itself an address book is used as is. What was found is remembered between runs.
- **Auth.** Basic by default: `--option username=NAME` and the password as the remote's token, or a token
  `user:password`; `--option auth=bearer` sends the token as a bearer token. TLS is verified (the engine's
  client; rolo never turns it off).
- **Pull.** With a bookmark, an RFC 6578 `sync-collection` REPORT from the stored sync-token lists the cards
  changed and removed since; without one (or on a server without sync-collection, or one that forgot the
  token) a complete listing (sync-collection from scratch, else PROPFIND Depth 1 with getetag). Changed
  cards are fetched with `addressbook-multiget`, `MULTIGET` hrefs a request, several requests at once. A
  record's id is its href, its version its etag.
- **Push.** A create PUTs a new card with `If-None-Match: *` at an href derived from the create's
  idempotency key, so a create replayed after a crash meets its own card (412, the same content: done).
  Creates go `workers` at a time (`create_many`). An update starts from the server's current card (the one
  this run listed, else a GET), refuses to write over a card that changed since the engine last saw it,
  writes in the carried fields, and PUTs it with `If-Match: <etag>`. A 412 (the card changed on the server
  meanwhile) is never overwritten: the record is reported as refused (`conflict`) and the next sync, which
  lists the change, merges it three-way. A delete sends `If-Match` too; a card already gone is done.
- **Custom fields** are X- properties (`mapping.py`); which ones, and their types, are the book's field
  definitions, which `prepare` keeps on the address book as rolo's own WebDAV property
  (`urn:x-rolo:carddav` `custom-fields`, JSON) and every run reads back, so another rolo syncing the same
  address book reads them alike. A server that keeps no dead properties has them remembered locally.
- **vCard version.** 3.0, unless the address book says it takes only 4.0 (`supported-address-data`), or
  `--option vcard_version=4.0`.
- **A card rolo cannot read** (a broken card from another program) is logged and left alone; while one is
  there, a complete listing does not delete anything locally (it cannot tell what that card is).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast
from urllib.parse import urlsplit

from rolo.adapters._http import RETRY_OPTION_HELP, retry_option
from rolo.adapters.carddav.client import AddressBook, CardDavClient, InvalidSyncToken, card_href, dav_http
from rolo.adapters.carddav.dav import CUSTOM_FIELDS, DISPLAYNAME, SUPPORTED_ADDRESS_DATA, SYNC_COLLECTION, SYNC_TOKEN
from rolo.adapters.carddav.records import LazyRecord, SeenCards
from rolo.adapters.carddav.mapping import CARRIED_FIELDS, card_uid, fields_digest, same_data, to_book, to_card
from rolo.core.errors import RemoteRejected, UserError, VCardError
from rolo.core.fields import FieldDefinition, field_key
from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord

if TYPE_CHECKING:
    import httpx

__all__ = ["CardDavAdapter", "register_adapters"]

log = logging.getLogger("rolo.adapters.carddav")

MULTIGET = 100  # hrefs per addressbook-multiget
WORKERS = 8  # requests in flight at once (creates, multigets)
_T = TypeVar("_T")
_R = TypeVar("_R")


class CardDavAdapter(Adapter):
    """Syncs a book with one CardDAV address book."""

    name = "carddav"
    options: ClassVar[Mapping[str, str]] = {
        "addressbook": "the address book's path or URL (default: the only one found; `rolo remote test` lists them)",
        "username": "the user name for basic auth (else give the token as user:password)",
        "auth": "basic (default) or bearer",
        "vcard_version": "3.0 or 4.0 (default: what the address book prefers, else 3.0)",
        "workers": f"requests in flight at once, 1-32 (default {WORKERS})",
        **RETRY_OPTION_HELP,
    }
    capabilities = Capabilities(fields=CARRIED_FIELDS, deletes=True, incremental=True, batch=True,
                                batch_size=200, idempotent_create=True, lookup=False)
    default_url = None
    # sync-collection reports removed cards too: the daily complete listing only catches what a server
    # forgot (an expired token is answered by a complete listing at once, whatever this says)
    default_full_every = "1d"
    token_help = ("the account's password (for iCloud an app-specific password from appleid.apple.com, for "
                  "Fastmail an app password), as user:password or with --option username=NAME")

    def __init__(self, client: httpx.Client, *, url: str, token: str | None,
                 options: Mapping[str, str] | None = None, remote: str = "") -> None:
        super().__init__(client, url=url, token=token, options=options, remote=remote)
        values = self.option_values
        auth = (values.get("auth") or "basic").strip().lower()
        if auth not in ("basic", "bearer"):
            raise UserError(f"{self.remote}: option auth must be basic or bearer (got {auth!r})")
        if not token:
            raise UserError(f"{self.remote}: a CardDAV password or token is needed", hint=self.token_help)
        if not url:
            raise UserError(f"{self.remote}: a CardDAV server needs --url (e.g. https://contacts.icloud.com)")
        self.vcard_version = (values.get("vcard_version") or "").strip() or None
        if self.vcard_version not in (None, "3.0", "4.0"):
            raise UserError(f"{self.remote}: option vcard_version must be 3.0 or 4.0")
        try:
            self.workers = max(1, min(32, int(values.get("workers") or WORKERS)))
        except ValueError:
            raise UserError(f"{self.remote}: option workers must be a number") from None
        chosen = (values.get("addressbook") or "").strip()
        self.chosen = _collection_path(chosen, url) if chosen else None
        try:
            self.http = dav_http(client, base_url=url, token=token, auth=auth,
                                 username=(values.get("username") or "").strip() or None,
                                 retry=retry_option(values, self.remote), auth_hint=self.token_help)
        except UserError as err:
            raise UserError(f"{self.remote}: {err}") from None
        self.dav = CardDavClient(self.http, urlsplit(url).path or "/")
        self.book: AddressBook | None = None
        self.sync_collection: bool | None = None  # None: not tried yet
        self.fields: dict[str, FieldDefinition] = {}
        self._cards: dict[str, tuple[str | None, str]] = {}  # href -> (etag, text) read or written this run
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._seen_before = SeenCards()  # cards (href, etag) earlier runs saw (from the memo)
        self._seen_now = SeenCards()  # cards this run listed or wrote
        self._listed_all = False  # this run listed the address book completely
        self._listed: dict[str, str] = {}  # href -> etag of every card this run's listing named
        self._pending: list[LazyRecord] = []
        self._fields_read = False  # the address book's custom-fields property read this run
        self._fields_on_server = False  # the server keeps it

    def __repr__(self) -> str:
        return f"<CardDavAdapter {self.remote} {self.http!r}>"

    # -- memory between runs -------------------------------------------------------------------------------
    def remembered(self) -> dict[str, Any]:
        """The address book found, whether it has sync-collection, and the book's custom fields."""
        memo: dict[str, Any] = {"fields": {k: d.as_dict() for k, d in sorted(self.fields.items())}}
        if self.book is not None:
            memo["addressbook"] = self.book.as_dict()
        if self.sync_collection is not None:
            memo["sync_collection"] = self.sync_collection
        # a complete listing names every card there is: what it did not see is gone
        memo["seen"] = (self._seen_now if self._listed_all else self._seen_before | self._seen_now).pack()
        return memo

    def recall(self, memo: Mapping[str, Any]) -> None:
        found = memo.get("addressbook")
        if isinstance(found, Mapping) and isinstance(found.get("href"), str):
            if self.chosen in (None, found["href"]):
                self.book = AddressBook(found["href"], found.get("name"), tuple(found.get("versions") or ()))
        if isinstance(memo.get("seen"), str):
            self._seen_before = SeenCards(memo["seen"])
        if isinstance(memo.get("sync_collection"), bool):
            self.sync_collection = memo["sync_collection"]
        for value in (memo.get("fields") or {}).values():
            try:
                definition = FieldDefinition(value["name"], value["type"], list(value.get("options") or []),
                                             bool(value.get("multiple")))
            except (KeyError, TypeError):
                continue
            self.fields.setdefault(field_key(definition.name), definition)

    def prepare(self, fields: list[FieldDefinition]) -> None:
        """Keep the book's field definitions on the address book (rolo's `custom-fields` property), so that
        every rolo reading it knows which X- properties are fields and of which type; remembered too, for a
        server that keeps no such property."""
        book = self._ready()
        wanted = {**self.fields, **{field_key(d.name): d for d in fields}}
        if wanted == self.fields and self._fields_on_server:
            return
        self.fields = wanted
        text = json.dumps([d.as_dict() for _, d in sorted(wanted.items())], sort_keys=True)
        self._fields_on_server = self.dav.set_property(book.href, CUSTOM_FIELDS, text)
        if not self._fields_on_server:
            log.info("%s: the server keeps no custom properties; field types are remembered locally", self.remote)

    def remote_fields(self) -> list[FieldDefinition]:
        """The field definitions kept on the address book (and remembered)."""
        self._ready()
        return list(self.fields.values())

    # -- the address book ----------------------------------------------------------------------------------
    def addressbook(self) -> AddressBook:
        """The address book this remote syncs (chosen, remembered, else the only one discovered)."""
        if self.book is not None:
            return self.book
        if self.chosen is not None:
            self.book = AddressBook(self.chosen)
            return self.book
        books = self.dav.discover()
        if len(books) == 1:
            self.book = books[0]
            return self.book
        if not books:
            raise UserError(f"{self.remote}: no address book found at {self.url}",
                            hint="check the URL (the server's address, or the address book's own URL)")
        raise UserError(f"{self.remote}: {len(books)} address books found ({_listed(books)}); choose one",
                        hint=f"rolo remote add {self.remote} --replace ... --option addressbook=PATH")

    def _ready(self) -> AddressBook:
        """The address book, with the field definitions kept on it read once per run."""
        book = self.addressbook()
        if self._fields_read:
            return book
        self._fields_read = True
        own = self.dav.collection_facts(book.href)
        if not book.versions:
            found = own.props.get(SUPPORTED_ADDRESS_DATA)
            versions = tuple(str(x.get("version")) for x in (found if found is not None else []) if x.get("version"))
            self.book = book = AddressBook(book.href, book.name or own.text(DISPLAYNAME), versions)
        reports = own.reports()
        if reports is not None and SYNC_COLLECTION not in reports:
            self.sync_collection = False  # the server says it has no RFC 6578 report
        text = own.text(CUSTOM_FIELDS)
        if text:
            self._fields_on_server = True
            for item in _json_list(text):
                try:
                    definition = FieldDefinition(str(item["name"]), str(item["type"]),
                                                 [str(o) for o in item.get("options") or []], bool(item.get("multiple")))
                except (KeyError, TypeError, AttributeError):
                    continue
                self.fields[field_key(definition.name)] = definition
        return book

    @property
    def version(self) -> str:
        """The vCard version written: the option, else 4.0 when the book takes only 4.0, else 3.0."""
        if self.vcard_version:
            return self.vcard_version
        versions = self.book.versions if self.book is not None else ()
        return "4.0" if versions and "3.0" not in versions and "4.0" in versions else "3.0"

    # -- reading -------------------------------------------------------------------------------------------
    def _record(self, href: str, etag: str | None, text: str) -> RemoteRecord:
        with self._lock:
            self._cards[href] = (etag, text)
            self._seen_now.add(href, etag)
        data = to_book(text, self.fields, self.capabilities)
        return RemoteRecord(id=href, data=data, version=self._version(etag))

    def _version(self, etag: str | None) -> str | None:
        if etag is None:
            return None
        digest = fields_digest(self.fields)
        return f"{etag}#{digest}" if digest else etag

    def list_changes(self, since: str | None) -> Changes:
        """Changes since the bookmark (sync-collection), or every card (see the module docstring)."""
        book = self._ready()
        mark = _bookmark(since)
        digest = fields_digest(self.fields)
        token = mark.get("token") if mark.get("book") == book.href and mark.get("fields") == digest else None
        changed: dict[str, str]
        removed: list[str] = []
        new_token: str | None = None
        complete = True
        if self.sync_collection is not False:
            try:
                changed, removed, new_token = self.dav.sync_collection(book.href, token)
                complete = token is None
                self.sync_collection = True
            except InvalidSyncToken:
                log.info("%s: the server forgot the sync-token; listing everything", self.remote)
                changed, removed, new_token = self.dav.sync_collection(book.href, None)
            except RemoteRejected as err:
                if err.status not in (400, 403, 404, 405, 415, 501):
                    raise
                self.sync_collection = False
        if self.sync_collection is False:
            changed, new_token = self.dav.list_etags(book.href), None
        self._listed.update(changed)
        # cards seen before with the same etag come lazily (`records.py`): the engine rarely reads them
        known = {h: e for h, e in changed.items() if (h, e) in self._seen_before}
        records, unreadable = self._fetch(book, {h: e for h, e in changed.items() if h not in known})
        records += [LazyRecord(h, self._version(e), self._load_pending) for h, e in sorted(known.items())]
        with self._lock:
            for href, etag in known.items():
                self._seen_now.add(href, etag)
        self._listed_all = complete and not unreadable
        self._pending = [r for r in records if isinstance(r, LazyRecord)]
        if unreadable and complete:
            complete = False  # a card rolo cannot read is not a deleted one: delete nothing this run
        bookmark = None
        if new_token:
            bookmark = json.dumps({"book": book.href, "token": new_token, "fields": digest}, sort_keys=True)
        return Changes(records=records, deleted=None if complete else removed, bookmark=bookmark,
                       complete=complete)

    def _fetch(self, book: AddressBook, etags: Mapping[str, str]) -> tuple[list[RemoteRecord], list[str]]:
        """The cards of these hrefs (multiget, in batches, several at once); and the hrefs it could not read."""
        hrefs = sorted(etags)
        batches = [hrefs[i : i + MULTIGET] for i in range(0, len(hrefs), MULTIGET)]
        records: list[RemoteRecord] = []
        unreadable: list[str] = []
        for cards in self._map(lambda batch: self.dav.multiget(book.href, batch), batches):
            for href, etag, text in cards:
                try:
                    records.append(self._record(href, etag or etags.get(href), text))
                except VCardError as err:
                    log.warning("%s: card %s cannot be read (%s); left alone", self.remote, href, err)
                    unreadable.append(href)
        return records, unreadable

    def _load_pending(self, _first: LazyRecord) -> None:
        """Fetch every lazy record not yet loaded, in one batch (see `records.py`)."""
        pending = {r.id: r for r in self._pending if r.loaded is None}
        self._pending = []
        etags = {href: (r.version or "").split("#")[0] for href, r in pending.items()}
        records, unreadable = self._fetch(self.addressbook(), etags)
        for record in records:
            pending[record.id].loaded = record.data
        missing = sorted(set(pending) - {r.id for r in records})
        if missing:
            raise RemoteRejected(f"{self.remote}: card {missing[0]} cannot be read back from the server"
                                 f"{' (' + str(len(missing)) + ' cards)' if len(missing) > 1 else ''}; sync again",
                                 adapter=self.name, status=0, code="unreadable")

    def get(self, remote_id: str) -> RemoteRecord | None:
        """One card by href, or None when it is gone."""
        self._ready()
        found = self.dav.get(remote_id)
        if found is None:
            return None
        etag, text = found
        return self._record(remote_id, etag, text)

    # -- writing -------------------------------------------------------------------------------------------
    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """PUT a new card with If-None-Match: *, at an href of its own (see the module docstring)."""
        book = self._ready()
        uid = card_uid(idempotency_key)
        href = card_href(book.href, uid)
        text = to_card(data, base=None, uid=uid, version=self.version, fields=self.fields)
        try:
            etag = self.dav.put(href, text, create=True)
        except RemoteRejected as err:
            if err.status != 412:
                raise
            there = self.get(href)  # a replayed create: the card is there already
            if there is not None and same_data(there.data, data, self.capabilities):
                return there
            raise RemoteRejected(f"{self.remote}: a different card already exists at {href}", adapter=self.name,
                                 status=412, code="exists") from None
        return self._written(href, etag, text)

    def create_many(self, items: list[tuple[dict[str, Any], str]]) -> list[RemoteRecord | RemoteRejected]:
        """`create` for each item, `workers` at a time (CardDAV has no bulk write)."""

        def one(item: tuple[dict[str, Any], str]) -> RemoteRecord | RemoteRejected:
            try:
                return self.create(item[0], idempotency_key=item[1])
            except RemoteRejected as err:
                return err

        return self._map(one, items)

    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        """The server's current card with the carried fields written in, PUT with If-Match."""
        self._ready()
        with self._lock:
            current = self._cards.get(remote_id)
        if current is None:
            current = self.dav.get(remote_id)
            if current is None:
                raise RemoteRejected(f"{self.remote}: card {remote_id} is gone from the server",
                                     adapter=self.name, status=404, code="gone")
        etag, base = current
        if previous is not None:
            try:
                now = to_book(base, self.fields, self.capabilities)
            except VCardError:
                now = None
            if now is None or not same_data(now, previous, self.capabilities):
                raise self._conflict(remote_id)
        text = to_card(data, base=base, uid="", version=self.version, fields=self.fields)
        try:
            new_etag = self.dav.put(remote_id, text, etag=etag)
        except RemoteRejected as err:
            if err.status != 412:
                raise
            # our own PUT, retried after a lost answer, is not a conflict; another client's write is (and
            # the etag this run saw stays, so that a delete of the card is refused the same way)
            found = self.dav.get(remote_id)
            if found is not None and _holds(found[1], data, self.fields, self.capabilities):
                return self._record(remote_id, *found)
            raise self._conflict(remote_id) from None
        return self._written(remote_id, new_etag, text)

    def _conflict(self, href: str) -> RemoteRejected:
        return RemoteRejected(f"{self.remote}: card {href} changed on the server since it was listed; not "
                              "overwritten (the next sync merges it)", adapter=self.name, status=412,
                              code="conflict")

    def _written(self, href: str, etag: str | None, text: str) -> RemoteRecord:
        """The record as written (the server may have no etag for us: then the next listing gives one)."""
        record = self._record(href, etag, text)
        if etag is None:
            with self._lock:
                self._cards.pop(href, None)
        return record

    def delete(self, remote_id: str) -> None:
        """DELETE with If-Match (the etag this run saw, else the current one); a card gone is done."""
        self._ready()
        with self._lock:
            current = self._cards.get(remote_id)
        # the etag the engine decided on: read or listed this run; else (unchanged since the sync-token, so
        # not listed) the card's current one
        etag = current[0] if current else self._listed.get(remote_id)
        if etag is None:
            found = self.dav.get(remote_id)
            if found is None:
                return
            etag = found[0]
        try:
            self.dav.delete(remote_id, etag)
        except RemoteRejected as err:
            if err.status != 412:
                raise
            raise self._conflict(remote_id) from None

    # -- checks --------------------------------------------------------------------------------------------
    def check(self) -> dict[str, Any]:
        """The credentials work; the address books found, the one synced and its size."""
        books = [] if self.chosen else self.dav.discover()
        facts: dict[str, Any] = {}
        if books:
            facts["addressbooks"] = _listed(books)
        if self.chosen is None and len(books) != 1:
            self.addressbook()  # raises with the list
        book = self.addressbook()
        own = self.dav.collection_facts(book.href, SYNC_TOKEN)
        if not own.is_addressbook():
            raise UserError(f"{self.remote}: {book.href} is not an address book",
                            hint="rolo remote test on the server's URL without --option addressbook lists them")
        facts.update(addressbook=book.href, name=own.text(DISPLAYNAME),
                     cards=len(self.dav.list_etags(book.href)), vcard=self.version,
                     sync_collection="yes" if own.text("{DAV:}sync-token") else "no")
        return facts

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """Radicale on 127.0.0.1 (a temporary folder, user `rolo`, address book `contacts`); needs radicale."""
        from rolo.adapters.carddav.emulator import RadicaleServer

        server = RadicaleServer(port)
        server.make_addressbook("contacts", "Contacts")
        return cast("Emulator", server)

    # -- concurrency ---------------------------------------------------------------------------------------
    def _map(self, fn: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
        """fn over items, `workers` at a time, results in order (the first error is raised)."""
        work = list(items)
        if self.workers == 1 or len(work) <= 1:
            return [fn(item) for item in work]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="rolo-carddav")
        return list(self._pool.map(fn, work))

    def __del__(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)


def _bookmark(since: str | None) -> dict[str, Any]:
    if not since:
        return {}
    try:
        mark = json.loads(since)
    except ValueError:
        return {}
    return mark if isinstance(mark, dict) else {}


def _holds(text: str, data: Mapping[str, Any], fields: Mapping[str, FieldDefinition], caps: Capabilities) -> bool:
    """A card's text holds `data` (and can be read at all)."""
    try:
        return same_data(to_book(text, fields, caps), data, caps)
    except VCardError:
        return False


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _collection_path(value: str, url: str) -> str:
    """The address book option as a path on the remote's server, or a URL when it is on another host."""
    parts = urlsplit(value)
    path = "/" + (parts.path if "://" in value else value).strip("/") + "/"
    if "://" in value and parts.netloc != urlsplit(url).netloc:
        return f"{parts.scheme}://{parts.netloc}{path}"
    return path


def _listed(books: list[AddressBook]) -> str:
    return ", ".join(f"{b.href}" + (f" ({b.name})" if b.name else "") for b in books)


@hookimpl
def register_adapters(register: Any) -> None:
    """Make the CardDAV adapter known as `carddav`."""
    register(CardDavAdapter)
