"""A thin CardDAV client on the shared HTTP layer (`rolo.adapters._http.HttpClient`): discovery, listing,
fetching and writing cards. It speaks hrefs, etags and card text; `mapping.py` turns cards into the book's
vocabulary and the adapter (`__init__.py`) decides what to send.

    http = dav_http(httpx_client, base_url=url, token="user:password")   # basic; auth="bearer" for a token
    client = CardDavClient(http, start=urlsplit(url).path)
    books = client.discover()                       # RFC 6764 well-known, principal, addressbook-home-set
    etags = client.list_etags(books[0].href)        # PROPFIND Depth 1: {href: etag}
    changed, removed, token = client.sync_collection(books[0].href, token=None)   # RFC 6578
    for href, etag, text in client.multiget(books[0].href, hrefs): ...            # RFC 6352
    etag = client.put(href, text, create=True)      # If-None-Match: *; update: etag="..." (If-Match)
    client.delete(href, etag)

Every method is one request (discovery a few). A 412 (precondition failed: the card changed or exists)
is raised as `RemoteRejected(status=412)`; the adapter decides what it means. Redirects are followed only
during discovery (`/.well-known/carddav` is a redirect by design), never for writes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from rolo.adapters._http import HttpClient, RetryPolicy, redact_url
from rolo.adapters.carddav import dav
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RemoteRejected, UserError

ADAPTER = "carddav"
XML = {"Content-Type": "application/xml; charset=utf-8"}
VCARD = "text/vcard; charset=utf-8"
WELL_KNOWN = "/.well-known/carddav"
_REDIRECTS = 5
_SYNC_PAGES = 1000  # sync-collection answers cut short (507) followed at most


@dataclass(frozen=True)
class AddressBook:
    """An address book found by discovery."""

    href: str  # an absolute path ending in "/"
    name: str | None = None
    versions: tuple[str, ...] = ()  # vCard versions the server says it takes (supported-address-data)

    def as_dict(self) -> dict[str, Any]:
        return {"href": self.href, "name": self.name, "versions": list(self.versions)}


class InvalidSyncToken(RemoteRejected):
    """The server no longer knows the sync-token (RFC 6578 `valid-sync-token`): list from scratch."""


def credentials(token: str | None, *, auth: str, username: str | None) -> tuple[dict[str, str], list[str]]:
    """The Authorization header for a token and the strings to scrub from messages.

    Basic auth takes `username` and the token as the password, or a token `user:password` (RFC 7617's own
    form) when no username is configured; bearer sends the token as is."""
    if not token:
        return {}, []
    if auth == "bearer":
        return {"Authorization": f"Bearer {token}"}, [token]
    if username:
        user, password = username, token
    elif ":" in token:
        user, password = token.split(":", 1)
    else:
        raise UserError("basic auth needs a user name: add --option username=NAME, or give the "
                        "token as user:password")
    blob = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {blob}"}, [password, blob, token]


def dav_http(client: httpx.Client, *, base_url: str, token: str | None, auth: str = "basic",
             username: str | None = None, retry: RetryPolicy | None = None, auth_hint: str | None = None
             ) -> HttpClient:
    """The shared HTTP layer with CardDAV's auth (basic or bearer), the secrets scrubbed from messages, on the
    server's origin (every path the client sends is absolute)."""
    headers, secrets = credentials(token, auth=auth, username=username)
    return HttpClient(client, base_url=origin(base_url), adapter=ADAPTER, token=None, auth_scheme=None,
                      headers=headers, retry=retry, secrets=secrets, auth_hint=auth_hint)


def origin(url: str) -> str:
    """scheme://host[:port] of a URL (a URL without a scheme is left for the HTTP layer to refuse)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url


def card_href(collection: str, name: str) -> str:
    """The href of a new card `name`.vcf in a collection (the name percent-encoded)."""
    return collection.rstrip("/") + "/" + quote(name, safe="") + ".vcf"


class CardDavClient:
    """The CardDAV requests rolo makes. Paths are absolute paths on the server (`/user/contacts/`)."""

    def __init__(self, http: HttpClient, start: str = "/") -> None:
        self.http = http
        self.start = start or "/"  # where discovery begins: the path of the URL the user gave

    def __repr__(self) -> str:
        return f"<CardDavClient {self.http!r}>"

    # -- plumbing ------------------------------------------------------------------------------------------
    def _multistatus(self, method: str, path: str, body: bytes, depth: str) -> dav.Multistatus:
        response = self.http.request(method, path, content=body, headers={**XML, "Depth": depth}, idempotent=True)
        if response.status_code != 207:
            raise RemoteRejected(f"{ADAPTER}: {method} {redact_url(self.http.url(path))} -> "
                                 f"{response.status_code}, not a multistatus (is this a CardDAV server?)",
                                 adapter=ADAPTER, status=response.status_code, code="not_dav")
        try:
            answer = dav.parse_multistatus(response.content)
        except dav.DavParseError as exc:
            raise RemoteRejected(f"{ADAPTER}: {method} {redact_url(self.http.url(path))}: {exc}",
                                 adapter=ADAPTER, status=response.status_code, code="invalid_xml") from None
        if "://" in path:  # an address book on another host: its members' hrefs are paths there
            for r in answer.responses:
                r.href = origin(path) + r.href
        return answer

    def _reachable(self, href: str) -> str | None:
        """Where a discovered href leads: a path on this server, a URL on a host of the same domain (iCloud's
        pNN-contacts.icloud.com beside contacts.icloud.com), or None for any other host (the credentials are
        not sent there)."""
        if "://" not in href:
            return href
        here, there = urlsplit(self.http.base_url), urlsplit(href)
        if there.netloc == here.netloc:
            return there.path or "/"
        return href if _same_domain(here.hostname or "", there.hostname or "") else None

    def propfind(self, path: str, *props: str, depth: str = "0") -> dav.Multistatus:
        """PROPFIND these properties (ElementTree tags) at `path`."""
        return self._multistatus("PROPFIND", path, dav.propfind_body(*props), depth)

    # -- discovery (RFC 6764, RFC 6352 section 7) ----------------------------------------------------------
    def discover(self) -> list[AddressBook]:
        """The address books the credentials reach: the base URL itself when it is one, else through the
        current user's principal and its addressbook-home-set (from the base URL, else from
        `/.well-known/carddav`)."""
        base = self.start
        try:
            found = self.propfind(base, dav.RESOURCETYPE, dav.DISPLAYNAME, dav.SUPPORTED_ADDRESS_DATA,
                                  dav.CURRENT_USER_PRINCIPAL, dav.ADDRESSBOOK_HOME_SET).responses
        except RemoteRejected as err:
            if err.code != "redirect" and err.status not in (404, 405, 501):
                raise
            found = []  # the URL is a redirect (a well-known URL) or no DAV resource: try the well-known one
        here = found[0] if found else dav.DavResponse(base)
        if here.is_addressbook():
            return [_book(here)]
        homes = self._places(here, dav.ADDRESSBOOK_HOME_SET)
        principals = self._places(here, dav.CURRENT_USER_PRINCIPAL)
        if not homes and not principals:
            context = self._well_known()
            if context is not None:
                answer = self.propfind(context, dav.CURRENT_USER_PRINCIPAL).responses
                principals = self._places(answer[0], dav.CURRENT_USER_PRINCIPAL) if answer else []
        for principal in principals[:1]:
            answer = self.propfind(principal, dav.ADDRESSBOOK_HOME_SET).responses
            homes = self._places(answer[0], dav.ADDRESSBOOK_HOME_SET) if answer else []
        books: list[AddressBook] = []
        for home in homes:
            listing = self.propfind(home, dav.RESOURCETYPE, dav.DISPLAYNAME, dav.SUPPORTED_ADDRESS_DATA, depth="1")
            books += [_book(r) for r in listing.responses if r.is_addressbook()]
        return books

    def _places(self, response: dav.DavResponse, name: str) -> list[str]:
        return [place for href in response.hrefs(name) if (place := self._reachable(href)) is not None]

    def _well_known(self) -> str | None:
        """Where `/.well-known/carddav` leads (a path), following its redirects; None when it leads nowhere."""
        url = urljoin(self.http.base_url + "/", WELL_KNOWN)
        headers = {**self.http._headers, **XML, "Depth": "0"}  # noqa: SLF001 (the auth the layer holds)
        for _ in range(_REDIRECTS):
            try:
                response = self.http.client.request("PROPFIND", url, headers=headers,
                                                    content=dav.propfind_body(dav.CURRENT_USER_PRINCIPAL))
            except httpx.HTTPError as exc:
                raise AdapterUnavailable(f"{ADAPTER}: PROPFIND {redact_url(url)} failed: {type(exc).__name__}",
                                         adapter=ADAPTER) from None
            if response.status_code in (401, 403):
                raise AdapterAuthError(f"{ADAPTER}: {redact_url(url)} -> {response.status_code}: the server "
                                       "refuses these credentials", adapter=ADAPTER, hint=self.http.auth_hint)
            if response.is_redirect and response.headers.get("location"):
                target = urljoin(url, response.headers["location"])
                if urlsplit(target).netloc != urlsplit(url).netloc:
                    return None  # another host: the user gives that URL instead (the credentials stay here)
                url = target
                continue
            return urlsplit(url).path if response.status_code == 207 else None
        return None

    # -- listing -------------------------------------------------------------------------------------------
    def list_etags(self, collection: str) -> dict[str, str]:
        """Every card of a collection with its etag (PROPFIND Depth 1)."""
        listing = self.propfind(collection, dav.GETETAG, dav.RESOURCETYPE, depth="1")
        return {r.href: etag for r in listing.responses
                if (etag := r.text(dav.GETETAG)) and r.href.rstrip("/") != collection.rstrip("/")
                and not r.href.endswith("/")}

    def collection_facts(self, collection: str, *more: str) -> dav.DavResponse:
        """The collection's own properties: name, vCard versions, reports, rolo's custom fields (and `more`).
        Not its sync-token or ctag unless asked: a server may compute those over every card."""
        answer = self.propfind(collection, dav.DISPLAYNAME, dav.RESOURCETYPE, dav.SUPPORTED_ADDRESS_DATA,
                               dav.SUPPORTED_REPORT_SET, dav.CUSTOM_FIELDS, *more)
        if not answer.responses:
            raise RemoteRejected(f"{ADAPTER}: {collection} answered nothing", adapter=ADAPTER, status=404)
        return answer.responses[0]

    def set_property(self, collection: str, name: str, text: str) -> bool:
        """PROPPATCH one property of a collection; whether the server took it (many keep dead properties,
        some refuse them)."""
        try:
            answer = self._multistatus("PROPPATCH", collection, dav.proppatch_body(name, text), "0")
        except RemoteRejected:
            return False
        return any(name in r.props for r in answer.responses)

    def sync_collection(self, collection: str, token: str | None
                        ) -> tuple[dict[str, str], list[str], str | None]:
        """RFC 6578: (changed cards with their etags, removed hrefs, the new token) since `token` (None: all).
        A server that cuts its answer short (the collection's own response a 507, RFC 6578 3.6) is asked
        again from the token it gave, until it has said everything.

        Raises:
            InvalidSyncToken: the server no longer knows `token`.
        """
        changed: dict[str, str] = {}
        removed: list[str] = []
        for _ in range(_SYNC_PAGES):
            try:
                answer = self._multistatus("REPORT", collection, dav.sync_collection_body(token), "0")
            except (RemoteRejected, AdapterAuthError) as err:
                # the valid-sync-token precondition fails with a 403 (RFC 6578 3.2), which the shared layer
                # reads as an auth error: a real one fails the complete listing that follows all the same
                status = err.status if isinstance(err, RemoteRejected) else 403
                if token and status in (403, 409, 412):
                    raise InvalidSyncToken(str(err), adapter=ADAPTER, status=status, code="sync_token") from None
                raise
            truncated = False
            for r in answer.responses:
                if r.href.rstrip("/") == collection.rstrip("/") or r.href.endswith("/"):
                    truncated = truncated or r.status == 507
                    continue
                if r.status == 404:
                    removed.append(r.href)
                    changed.pop(r.href, None)
                elif etag := r.text(dav.GETETAG):
                    changed[r.href] = etag
            if not truncated:
                return changed, removed, answer.sync_token
            if not answer.sync_token or answer.sync_token == token:
                break  # cut short with no way on: never pass part of a listing off as all of it
            token = answer.sync_token
        raise RemoteRejected(f"{ADAPTER}: {collection} kept cutting its sync-collection answer short",
                             adapter=ADAPTER, status=507, code="truncated")

    def multiget(self, collection: str, hrefs: Iterable[str]) -> list[tuple[str, str | None, str]]:
        """(href, etag, card text) of these cards, in one addressbook-multiget REPORT; a card gone since is
        left out."""
        answer = self._multistatus("REPORT", collection, dav.multiget_body(_quoted(h) for h in hrefs), "1")
        cards = []
        for r in answer.responses:
            element = r.props.get(dav.ADDRESS_DATA)
            if element is not None and element.text:
                cards.append((r.href, r.text(dav.GETETAG), element.text))
        return cards

    # -- one card ------------------------------------------------------------------------------------------
    def get(self, href: str) -> tuple[str | None, str] | None:
        """(etag, card text) of one card, or None when there is none."""
        try:
            response = self.http.request("GET", _quoted(href), headers={"Accept": VCARD})
        except RemoteRejected as err:
            if err.status in (404, 410):
                return None
            raise
        return response.headers.get("etag"), response.text

    def put(self, href: str, text: str, *, etag: str | None = None, create: bool = False) -> str | None:
        """Write a card: `create` with If-None-Match: * (never over another), else with If-Match: `etag`.
        Returns the new etag when the server says it (else None).

        Raises:
            RemoteRejected(status=412): the card exists (create) or changed since `etag` (update).
        """
        headers = {"Content-Type": VCARD}
        if create:
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        response = self.http.request("PUT", _quoted(href), content=text.encode("utf-8"), headers=headers)
        return response.headers.get("etag")

    def delete(self, href: str, etag: str | None) -> None:
        """Delete a card (If-Match: `etag` when given); one already gone is not an error.

        Raises:
            RemoteRejected(status=412): the card changed since `etag`.
        """
        headers = {"If-Match": etag} if etag else {}
        try:
            self.http.request("DELETE", _quoted(href), headers=headers)
        except RemoteRejected as err:
            if err.status not in (404, 410):
                raise


def _book(response: dav.DavResponse) -> AddressBook:
    versions: list[str] = []
    element = response.props.get(dav.SUPPORTED_ADDRESS_DATA)
    for item in element if element is not None else []:
        if item.get("content-type", "text/vcard").lower() == "text/vcard" and item.get("version"):
            versions.append(str(item.get("version")))
    href = response.href if response.href.endswith("/") else response.href + "/"
    return AddressBook(href, response.text(dav.DISPLAYNAME), tuple(versions))


def _quoted(href: str) -> str:
    """A decoded path (or URL) as it goes on the wire (the path percent-encoded, slashes kept)."""
    if "://" in href:
        parts = urlsplit(href)
        return f"{parts.scheme}://{parts.netloc}{_quoted(parts.path)}"
    return quote(href, safe="/@:+,;=~!$&'()*")


def _same_domain(here: str, there: str) -> bool:
    """Whether a discovered host may be given the credentials: the same host, one under it, or one beside it
    under its parent domain (`p42-contacts.icloud.com` for `contacts.icloud.com`; not `evil.co.uk` for
    `dav.example.co.uk`, whose parent `example.co.uk` it is not under). IP addresses only when equal."""
    here, there = here.lower(), there.lower()
    if here == there:
        return True
    if not here or not there or here.replace(".", "").isdigit() or there.replace(".", "").isdigit():
        return False
    parent = here.split(".", 1)[1] if "." in here else ""
    return there.endswith("." + here) or ("." in parent and there.endswith("." + parent))
