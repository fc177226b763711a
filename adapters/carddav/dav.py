"""WebDAV and CardDAV XML: the request bodies rolo sends and the multistatus answers it reads.

Built with the standard library's ElementTree; answers parsed with defusedxml's (a server's answer is
data, never trusted: a DTD, entity or external reference in it is refused). Only what the adapter needs:

- `propfind_body(*props)`: a PROPFIND asking for the given properties (`DAV:getetag`, `DAV:sync-token`...);
- `sync_collection_body(token)`: an RFC 6578 `sync-collection` REPORT (an empty token: everything);
- `multiget_body(hrefs)`: an RFC 6352 `addressbook-multiget` REPORT asking for etags and card bodies;
- `proppatch_body(prop, text)`: a PROPPATCH setting one (dead) property, such as rolo's `CUSTOM_FIELDS`;
- `parse_multistatus(xml)`: every `response` as a `DavResponse` (href, status, properties that answered 200),
  plus the `sync-token` a sync-collection answer carries.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

DAV = "DAV:"
CARD = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
ROLO = "urn:x-rolo:carddav"  # rolo's own dead properties on an address book
_NAMESPACES = {"d": DAV, "card": CARD, "cs": CS, "rolo": ROLO}
for _prefix, _uri in _NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


def tag(namespace: str, name: str) -> str:
    """An ElementTree tag: `{DAV:}getetag`."""
    return f"{{{namespace}}}{name}"


GETETAG = tag(DAV, "getetag")
SYNC_TOKEN = tag(DAV, "sync-token")
RESOURCETYPE = tag(DAV, "resourcetype")
DISPLAYNAME = tag(DAV, "displayname")
CURRENT_USER_PRINCIPAL = tag(DAV, "current-user-principal")
SUPPORTED_REPORT_SET = tag(DAV, "supported-report-set")
ADDRESSBOOK_HOME_SET = tag(CARD, "addressbook-home-set")
ADDRESS_DATA = tag(CARD, "address-data")
SUPPORTED_ADDRESS_DATA = tag(CARD, "supported-address-data")
ADDRESSBOOK = tag(CARD, "addressbook")
GETCTAG = tag(CS, "getctag")
SYNC_COLLECTION = tag(DAV, "sync-collection")
#: the book's custom field definitions (JSON), kept on the address book so every rolo reading it types the
#: X- properties alike
CUSTOM_FIELDS = tag(ROLO, "custom-fields")


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def propfind_body(*props: str) -> bytes:
    """A PROPFIND body asking for these properties (ElementTree tags)."""
    root = ET.Element(tag(DAV, "propfind"))
    prop = ET.SubElement(root, tag(DAV, "prop"))
    for name in props:
        ET.SubElement(prop, name)
    return _xml(root)


def proppatch_body(name: str, text: str) -> bytes:
    """A PROPPATCH body setting one property to a text value."""
    root = ET.Element(tag(DAV, "propertyupdate"))
    prop = ET.SubElement(ET.SubElement(root, tag(DAV, "set")), tag(DAV, "prop"))
    ET.SubElement(prop, name).text = text
    return _xml(root)


def sync_collection_body(token: str | None) -> bytes:
    """An RFC 6578 sync-collection REPORT from `token` (None or "": the initial sync) asking for etags."""
    root = ET.Element(tag(DAV, "sync-collection"))
    ET.SubElement(root, tag(DAV, "sync-token")).text = token or ""
    ET.SubElement(root, tag(DAV, "sync-level")).text = "1"
    prop = ET.SubElement(root, tag(DAV, "prop"))
    ET.SubElement(prop, GETETAG)
    return _xml(root)


def multiget_body(hrefs: Iterable[str]) -> bytes:
    """An RFC 6352 addressbook-multiget REPORT for these card hrefs, asking for etag and card."""
    root = ET.Element(tag(CARD, "addressbook-multiget"))
    prop = ET.SubElement(root, tag(DAV, "prop"))
    ET.SubElement(prop, GETETAG)
    ET.SubElement(prop, ADDRESS_DATA)
    for href in hrefs:
        ET.SubElement(root, tag(DAV, "href")).text = href
    return _xml(root)


@dataclass
class DavResponse:
    """One `response` of a multistatus: its href (a path, percent-decoded), its own status when it has one
    (a deleted member of a sync-collection answer: 404), and the properties the server answered with 200."""

    href: str
    status: int | None = None
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """The text of a property (None when absent or empty)."""
        element = self.props.get(name)
        if element is None:
            return None
        return (element.text or "").strip() or None

    def hrefs(self, name: str) -> list[str]:
        """The hrefs inside a property (current-user-principal, addressbook-home-set)."""
        element = self.props.get(name)
        if element is None:
            return []
        return [target(h.text) for h in element.iter(tag(DAV, "href")) if h.text and h.text.strip()]

    def reports(self) -> set[str] | None:
        """The REPORTs the resource says it supports (tags), or None when it does not say."""
        element = self.props.get(SUPPORTED_REPORT_SET)
        if element is None:
            return None
        return {child.tag for report in element.iter(tag(DAV, "report")) for child in report}

    def is_addressbook(self) -> bool:
        """Its resourcetype says it is an address book."""
        element = self.props.get(RESOURCETYPE)
        return element is not None and element.find(ADDRESSBOOK) is not None


@dataclass
class Multistatus:
    """A parsed 207 answer."""

    responses: list[DavResponse]
    sync_token: str | None = None


def normal_href(href: str) -> str:
    """An href as a percent-decoded absolute path (a server may answer with full URLs or encoded paths)."""
    text = href.strip()
    if "://" in text:
        text = urlsplit(text).path
    return unquote(text)


def target(href: str) -> str:
    """An href that points elsewhere (a principal, a home set): a percent-decoded path, or a full URL
    (`scheme://host/decoded-path`) when the server names another place (iCloud's homes live on a host of
    their own)."""
    text = href.strip()
    if "://" not in text:
        return unquote(text)
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}"


def _status_code(element: ET.Element | None) -> int | None:
    """The code of a `status` element ("HTTP/1.1 404 Not Found" -> 404)."""
    if element is None or not element.text:
        return None
    parts = element.text.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


class DavParseError(ValueError):
    """A body that is not a WebDAV multistatus."""


def parse_multistatus(body: bytes | str) -> Multistatus:
    """Every response of a multistatus answer; raise DavParseError when the body is not one."""
    try:
        root = safe_xml.fromstring(body)
    except ET.ParseError as exc:
        raise DavParseError(f"not XML ({exc})") from None
    except DefusedXmlException as exc:
        raise DavParseError(f"refused ({type(exc).__name__})") from None
    if root.tag != tag(DAV, "multistatus"):
        raise DavParseError(f"not a multistatus but {root.tag}")
    responses = []
    for item in root.findall(tag(DAV, "response")):
        href = item.find(tag(DAV, "href"))
        if href is None or not href.text:
            continue
        response = DavResponse(normal_href(href.text), _status_code(item.find(tag(DAV, "status"))))
        for propstat in item.findall(tag(DAV, "propstat")):
            if _status_code(propstat.find(tag(DAV, "status"))) != 200:
                continue
            prop = propstat.find(tag(DAV, "prop"))
            for element in prop if prop is not None else []:
                response.props[element.tag] = element
        responses.append(response)
    token = root.find(tag(DAV, "sync-token"))
    return Multistatus(responses, (token.text or "").strip() or None if token is not None else None)
