"""Fixtures shared by the CardDAV adapter tests: one real Radicale per test session (htpasswd auth, storage in
a temp folder, 127.0.0.1), a fresh address book per test, a small real HTTP proxy in front of it for faults
(429/5xx storms, slowness), and `CardDavSide`, the conformance suite's `RemoteSide`: it changes cards the
way another CardDAV client (a phone) would, with plain HTTP requests to Radicale, never through rolo.

Import the fixtures into a test module with `from carddav_support import *  # noqa: F403`.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import xml.etree.ElementTree as ET

import httpx
import pytest
import vobject
from rolo.adapters.carddav.emulator import RadicaleServer
from rolo.core.record import ContactRecord, EmailEntry

__all__ = ["CardDavSide", "FaultProxy", "addressbook", "carddav_side", "fault_proxy", "radicale"]

_NO_SYNC = re.compile(rb"<(?:\w+:)?sync-token>[^<]*</(?:\w+:)?sync-token>"
                      rb"|<(?:\w+:)?supported-report><(?:\w+:)?report><(?:\w+:)?sync-collection ?/>"
                      rb"</(?:\w+:)?report></(?:\w+:)?supported-report>")
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


# Each test module that imports these fixtures gets its own copy of them, so a session fixture alone would
# start one Radicale per module: the servers are kept here, one per process, and stopped at session end.
_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> RadicaleServer:
    """The session's Radicale (one process for every CardDAV test of this worker)."""
    if "radicale" not in _SHARED:
        server = RadicaleServer(folder=tmp_path_factory.mktemp("radicale"), max_card_bytes=100_000)
        _SHARED["radicale"] = server
        request.addfinalizer(server.stop)
    return _SHARED["radicale"]  # type: ignore[no-any-return]


@pytest.fixture
def addressbook(radicale: RadicaleServer) -> str:
    """A fresh, empty address book of user rolo for this test: its href."""
    return radicale.make_addressbook("t" + uuid.uuid4().hex[:12])


class FaultProxy(http.server.ThreadingHTTPServer):
    """A real HTTP proxy on 127.0.0.1 in front of Radicale that can answer every n-th request with an error
    (a 429 with Retry-After, a 5xx) or delay every answer: what a busy or failing server does."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream.rstrip("/")
        self.client = httpx.Client(timeout=60)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"
        self.lock = threading.Lock()
        self.calm()
        self.thread = threading.Thread(target=self.serve_forever, name="carddav-fault-proxy", daemon=True)
        self.thread.start()

    def storm(self, status: int, every: int) -> None:
        with self.lock:
            self.status, self.every, self.count = status, every, 0

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def calm(self) -> None:
        with self.lock:
            self.status, self.every, self.count, self.delay = 0, 0, 0, 0.0
            self.no_sync_collection = False  # True: behave as a server without RFC 6578
            self.cut_sync_collection = False  # True: cut sync-collection answers short (507), no way on
            self.home_elsewhere = ""  # an origin (http://host:port) the proxy says the address books live on
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) answered

    def fault(self) -> int:
        """The error status to answer this request with, or 0 to pass it on."""
        with self.lock:
            self.count += 1
            return self.status if self.every and self.count % self.every == 0 else 0

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.client.close()


def _cut_short(content: bytes, path: str, request: bytes) -> bytes:
    """A sync-collection answer with only its first card, a 507 for the collection itself (RFC 6578 3.6),
    and the token it was asked from: a server that cannot say the rest."""
    asked = re.search(rb"<(?:\w+:)?sync-token>([^<]*)<", request)
    first = re.search(rb"<(?:\w+:)?response>.*?</(?:\w+:)?response>", content, re.S)
    token = asked.group(1) if asked else b""
    return (b'<?xml version="1.0"?><multistatus xmlns="DAV:">' + (first.group(0) if first else b"")
            + b"<response><href>" + path.encode() + b"</href><status>HTTP/1.1 507 Insufficient Storage</status>"
            + b"</response><sync-token>" + token + b"</sync-token></multistatus>")


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass

    def _forward(self) -> None:
        proxy = self.server
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if proxy.delay:
            time.sleep(proxy.delay)
        status = proxy.fault()
        if status:
            self._answer(status, {"Retry-After": "0"} if status in (429, 503) else {}, b"")
            proxy.requests.append((self.command, self.path, status))
            return
        if proxy.no_sync_collection and self.command == "REPORT" and b"sync-collection" in body:
            self._answer(501, {}, b"")  # a server without RFC 6578
            proxy.requests.append((self.command, self.path, 501))
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        try:
            response = proxy.client.request(self.command, proxy.upstream + self.path, headers=headers, content=body)
        except httpx.HTTPError:
            self._answer(502, {}, b"")
            return
        proxy.requests.append((self.command, self.path, response.status_code))
        content = response.content
        if proxy.cut_sync_collection and self.command == "REPORT" and b"sync-collection" in body:
            content = _cut_short(content, self.path, body)
        if proxy.home_elsewhere and self.command == "PROPFIND":  # the home set on another host (iCloud's way)
            content = re.sub(rb"(<(?:\w+:)?addressbook-home-set><(?:\w+:)?href>)(/[^<]*)",
                             lambda m: m.group(1) + proxy.home_elsewhere.encode() + m.group(2), content)
        if proxy.no_sync_collection and self.command == "PROPFIND":
            content = _NO_SYNC.sub(b"", content)  # nor the sync-token property, nor the report listed
        self._answer(response.status_code,
                     {k: v for k, v in response.headers.items() if k.lower() not in _HOP}, content)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCOL = do_OPTIONS = do_HEAD = _forward


@pytest.fixture(scope="session")
def fault_proxy(radicale: RadicaleServer, request: pytest.FixtureRequest) -> FaultProxy:
    """The session's fault proxy in front of Radicale (use through `carddav_side`, which calms it)."""
    if "proxy" not in _SHARED:
        proxy = FaultProxy(radicale.url)
        _SHARED["proxy"] = proxy
        request.addfinalizer(proxy.close)
    return _SHARED["proxy"]  # type: ignore[no-any-return]


class CardDavSide:
    """The address book as another CardDAV client changes it: plain GET/PUT/DELETE on Radicale's cards, with
    cards written as a phone would (vobject), and the proxy's fault switches. `url` is the address book's
    URL through the proxy; `api_key` the user:password token."""

    def __init__(self, radicale: RadicaleServer, proxy: FaultProxy, href: str) -> None:
        self.radicale = radicale
        self.proxy = proxy
        self.href = href
        self.url = proxy.url.rstrip("/") + href
        self.api_key = radicale.api_key
        self.http = httpx.Client(base_url=radicale.url, auth=radicale.auth(), timeout=30)

    # -- reading ---------------------------------------------------------------------------------------------
    def hrefs(self) -> list[str]:
        body = ('<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>')
        answer = self.http.request("PROPFIND", self.href, headers={"Depth": "1"}, content=body)
        root = ET.fromstring(answer.content)
        found = [h.text or "" for h in root.iter("{DAV:}href")]
        return [h for h in found if h.endswith(".vcf")]

    def card(self, href: str) -> vobject.base.Component:
        response = self.http.get(href)
        response.raise_for_status()
        return vobject.readOne(response.text)

    def text(self, href: str) -> str:
        return self.http.get(href).text

    def put_text(self, href: str, text: str) -> None:
        self.http.put(href, content=text.encode(), headers={"Content-Type": "text/vcard"}).raise_for_status()

    # -- RemoteSide ------------------------------------------------------------------------------------------
    def add(self, given: str, family: str | None, email: str | None, **fields: Any) -> str:
        uid = str(uuid.uuid4())
        card = vobject.vCard()
        card.add("uid").value = uid
        card.add("n").value = vobject.vcard.Name(family=family or "", given=given)
        card.add("fn").value = " ".join(p for p in (given, family) if p)
        if email:
            line = card.add("email")
            line.value = email
            line.type_param = "INTERNET"
        href = f"{self.href}{uid}.vcf"
        self.put_text(href, card.serialize())
        if fields:
            self.edit(href, **fields)
        return href

    def edit(self, rid: str, **fields: Any) -> None:
        card = self.card(rid)
        if "given_name" in fields or "family_name" in fields:
            name = card.n.value
            name.given = fields.get("given_name", name.given)
            name.family = fields.get("family_name", name.family)
            card.fn.value = " ".join(p for p in (name.given, name.family) if p)
        if "organization" in fields:
            for old in list(card.contents.get("org", [])):
                card.remove(old)
            card.add("org").value = [fields["organization"]]
        if "labels" in fields:
            for old in list(card.contents.get("categories", [])):
                card.remove(old)
            if fields["labels"]:
                card.add("categories").value = list(fields["labels"])
        for name, value in (fields.get("custom_fields") or {}).items():
            key = "x-" + name.replace("_", "-")
            for old in list(card.contents.get(key, [])):
                card.remove(old)
            if value not in (None, ""):
                card.add(key).value = str(value)
        self.put_text(rid, card.serialize())

    def remove(self, rid: str) -> None:
        self.http.delete(rid).raise_for_status()

    def find_email(self, email: str) -> str:
        found = [h for h in self.hrefs()
                 if any(e.value.lower() == email.lower() for e in self.card(h).contents.get("email", []))]
        (href,) = found
        return href

    def storm(self, status: int, every: int) -> None:
        self.proxy.storm(status, every)

    def calm(self) -> None:
        self.proxy.calm()

    def slow(self, seconds: float) -> None:
        self.proxy.slow(seconds)

    def refusable(self) -> ContactRecord:
        # the session's Radicale refuses cards over 100 kB (max_resource_size); the book takes a long note
        return ContactRecord(uid="too-big", given_name="Huge", family_name="Note",
                             emails=[EmailEntry("huge@example.com", None, True)], notes="x" * 200_000)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def carddav_side(radicale: RadicaleServer, fault_proxy: FaultProxy, addressbook: str) -> Iterator[CardDavSide]:
    """A CardDavSide on a fresh address book, with every fault switch off."""
    fault_proxy.calm()
    side = CardDavSide(radicale, fault_proxy, addressbook)
    yield side
    fault_proxy.calm()
    side.close()
