"""A reference vCard reader for the round-trip tests, written from the RFCs and independent of rolo's reader.

It reads bytes the way RFC 6350 (4.0), RFC 2426/2425 (3.0) and the vCard 2.1 specification describe, plus
the few liberties every mainstream reader takes (vobject, ez-vcard, Android), and nothing else:

- lines end at LF, CR LF or CR CR LF; a file without any LF ends lines at CR;
- a line starting with a space or a TAB continues the previous one (unfolding happens on bytes, so a fold
  inside a multi-byte character is harmless);
- 2.1 quoted-printable soft line breaks: a QP value ending in `=` continues on the next line, whatever that
  line starts with, unless it is blank or END:VCARD;
- 2.1 base64 data may continue on unindented lines, until a blank line or a line that is not base64;
- `#` comment lines and lines without a colon are skipped (they carry no property);
- `group.NAME;params:value`, the colon found outside double quotes; parameters are split at `;` outside
  double quotes, `TYPE` values also at `,` (quoted or not: RFC 6350 writes `TYPE="work,voice"`); a bare 2.1
  parameter is a type, or an encoding (`QUOTED-PRINTABLE`, `BASE64`, `B`, `8BIT`, `7BIT`);
- values: QUOTED-PRINTABLE and BASE64/`ENCODING=b` are decoded; text bytes are decoded in the CHARSET the
  property declares (default UTF-8); `data:` URIs in PHOTO/LOGO/SOUND/KEY are decoded to bytes;
- text unescaping: `\\n` `\\N` -> newline, `\\,` `\\;` `\\\\`, and `\\:` `\\"` (Google and Apple escape
  colons and quotes) -> the character; any other backslash stays. Structured values (N, ADR, ORG) are split
  at unescaped `;`, list values (CATEGORIES, and N components outside 2.1) at unescaped `,`.

`read_cards(data)` gives every card (nested cards are cards of their own, as 2.1 AGENT allows), and
`card_items(card)` the card as a multiset of comparable `Item`s: what a careful reader would store.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]+=*")
_BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}
TYPED = ("EMAIL", "TEL", "ADR", "URL")
# Read and compared, but not data: the card's frame and the format's own version.
STRUCTURAL = {"BEGIN", "END", "VERSION"}


@dataclass
class Property:
    """One content line as read: name upper case, parameter names upper case, value decoded."""

    line: int  # the physical line (1-based, in the file) the property starts on
    group: str | None
    name: str
    params: list[tuple[str, list[str]]]
    value: str | bytes  # text still escaped; bytes when the value was base64 or a data: URI
    bare: list[str] = field(default_factory=list)  # 2.1 bare params that are not encodings

    def param(self, name: str) -> list[str]:
        """Every value of one parameter, in order."""
        return [v for key, values in self.params if key == name for v in values]


@dataclass
class Card:
    """One vCard: its properties in order, and whether its END:VCARD was seen."""

    line: int
    props: list[Property] = field(default_factory=list)
    complete: bool = False

    @property
    def version(self) -> str:
        return next((str(p.value).strip() for p in self.props if p.name == "VERSION"), "")


@dataclass(frozen=True)
class Item:
    """One property as a careful reader stores it: what the round trip must keep.

    `types` is the lower-case TYPE set (2.1 bare types included, `pref` folded in from PREF=1), `label` the
    X-ABLabel of the property's group, `value` text, bytes, or a tuple for structured values.
    `version` (not compared) is the version of the card the item comes from.
    """

    name: str
    types: frozenset[str]
    value: Any
    label: str | None = None
    version: str = field(default="", compare=False)


# -- lines ---------------------------------------------------------------------------------------------------


def _physical_lines(data: bytes) -> list[bytes]:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            data = data.decode(codec).encode("utf-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\n" in data:
        return [line.rstrip(b"\r") for line in data.split(b"\n")]
    return data.split(b"\r")


def _split_outside_quotes(text: bytes, sep: bytes, limit: int = -1) -> list[bytes]:
    parts, start, quoted = [], 0, False
    for i in range(len(text)):
        ch = text[i : i + 1]
        if ch == b'"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
            if len(parts) == limit:
                break
    parts.append(text[start:])
    return parts


def _head(line: bytes) -> bytes | None:
    parts = _split_outside_quotes(line, b":", 1)
    return parts[0] if len(parts) == 2 else None


def _head_params(head: bytes) -> list[bytes]:
    return [p.strip().upper() for p in _split_outside_quotes(head, b";")[1:]]


def _is_qp(line: bytes) -> bool:
    head = _head(line)
    return head is not None and any(p in (b"QUOTED-PRINTABLE", b"ENCODING=QUOTED-PRINTABLE")
                                    for p in _head_params(head))


def _is_base64(line: bytes) -> bool:
    head = _head(line)
    return head is not None and any(p in (b"BASE64", b"B", b"ENCODING=BASE64", b"ENCODING=B")
                                    for p in _head_params(head))


def _is_end(line: bytes) -> bool:
    return re.fullmatch(rb"\s*END\s*:\s*VCARD\s*", line, re.IGNORECASE) is not None


def logical_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(physical line number, unfolded content line) for every line that may hold a property."""
    out: list[list] = []
    current: list | None = None
    soft_break = False
    for number, line in enumerate(_physical_lines(data), 1):
        if soft_break and current is not None and line.strip() and not _is_end(line):
            current[1] = current[1][:-1] + line
            soft_break = current[1].endswith(b"=")
            continue
        soft_break = False
        if not line.strip():
            current = None
            continue
        if line[:1] in (b" ", b"\t") and current is not None:
            current[1] += line[1:]
            soft_break = current[1].endswith(b"=") and _is_qp(current[1])
            continue
        if current is not None and _BASE64_LINE.fullmatch(line.strip()) and _is_base64(current[1]):
            current[1] += line.strip()
            continue
        if line.lstrip().startswith(b"#"):
            current = None
            continue
        current = [number, line.lstrip()]
        out.append(current)
        soft_break = line.endswith(b"=") and _is_qp(line)
    return [(n, text[:-1] if text.endswith(b"=") and _is_qp(text) else text) for n, text in out]


# -- properties ----------------------------------------------------------------------------------------------


def _decode_text(raw: bytes, charset: str | None) -> str:
    tried = [charset] if charset else []
    if charset and charset.lower().replace("-", "_") in ("shift_jis", "sjis", "x_sjis"):
        tried.append("cp932")
    for codec in [*tried, "utf-8", "cp1252"]:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("latin-1")


def _unquote_param(value: str, caret: bool) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if caret:  # RFC 6868, 4.0 only
        value = re.sub(r"\^(.)", lambda m: {"n": "\n", "N": "\n", "^": "^", "'": '"'}.get(m[1], m[0]), value)
    return value


def _b64(text: str) -> bytes | None:
    compact = re.sub(r"\s+", "", text)
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True) if compact else None
    except (binascii.Error, ValueError):
        return None


def read_property(number: int, line: bytes, version: str) -> Property | None:
    """One content line as a Property, or None when it has no colon (not a property)."""
    parts = _split_outside_quotes(line, b":", 1)
    if len(parts) != 2:
        return None
    head, raw = parts
    segments = _split_outside_quotes(head, b";")
    name = segments[0].decode("utf-8", "replace").strip()
    group, dot, bare_name = name.partition(".")
    group, name = (group, bare_name) if dot else (None, name)
    params: list[tuple[str, list[str]]] = []
    bare: list[str] = []
    for segment in segments[1:]:
        text = segment.decode("utf-8", "replace").strip()
        if not text:
            continue
        key, eq, value = text.partition("=")
        key = key.strip().upper()
        if not eq:  # 2.1 bare parameter, possibly a comma list (TEL;FAX,WORK)
            for token in (t.strip().upper() for t in key.split(",") if t.strip()):
                (params.append(("ENCODING", [token])) if token in _ENCODINGS else bare.append(token))
            continue
        if key == "TYPE":  # a list, quoted or not
            pieces = _split_outside_quotes(value.encode("utf-8"), b",")
            unquoted = [_unquote_param(piece.decode("utf-8"), version == "4.0") for piece in pieces]
            values = [t.strip() for piece in unquoted for t in piece.split(",") if t.strip()]
        else:
            values = [_unquote_param(value, version == "4.0")]
        params.append((key, values))
    prop = Property(number, group, name.upper(), params, "", bare)
    encoding = {e.upper() for e in prop.param("ENCODING")}
    charset = (prop.param("CHARSET") or [None])[0]
    if "QUOTED-PRINTABLE" in encoding:
        prop.value = _decode_text(quopri.decodestring(raw), charset)
    elif encoding & {"B", "BASE64"}:
        decoded = _b64(raw.decode("ascii", "replace"))
        prop.value = decoded if decoded is not None else raw.decode("utf-8", "replace")
    else:
        prop.value = _decode_text(raw, charset)
    if prop.name in _BINARY and isinstance(prop.value, str) and prop.value[:5].lower() == "data:":
        header, comma, payload = prop.value.replace("\\,", ",").partition(",")
        if comma and header.lower().endswith(";base64") and (data := _b64(payload)) is not None:
            prop.value = data
    return prop


def read_cards(data: bytes) -> list[Card]:
    """Every card of a file's bytes, in BEGIN order; a card inside another is a card of its own; a card
    still open at the end of the file is returned with complete=False. Lines outside cards are dropped."""
    cards: list[Card] = []
    stack: list[Card] = []
    for number, line in logical_lines(data):
        head = _head(line)
        if head is not None and head.strip().upper() in (b"BEGIN", b"END"):
            value = line.split(b":", 1)[1].strip().upper()
            if value == b"VCARD" and head.strip().upper() == b"BEGIN":
                stack.append(Card(number))
                cards.append(stack[-1])
            elif value == b"VCARD" and stack:
                stack.pop().complete = True
            continue
        if stack:
            prop = read_property(number, line, stack[-1].version)
            if prop is not None:
                stack[-1].props.append(prop)
    return cards


# -- values --------------------------------------------------------------------------------------------------


def unescape(text: str) -> str:
    """RFC 6350 3.4 text unescaping (plus `\\:` and `\\"`); any other backslash is kept."""
    return re.sub(r'\\([nN,;\\:"])', lambda m: "\n" if m[1] in "nN" else m[1], text)


def split_unescaped(text: str, sep: str) -> list[str]:
    """Split at `sep` not preceded by an escaping backslash; escapes stay for `unescape`."""
    parts, current, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == sep:
            parts.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    return [*parts, current]


def _types(prop: Property) -> frozenset[str]:
    types = {t.strip().lower() for t in prop.param("TYPE") + prop.bare if t.strip()}
    if "1" in (p.strip() for p in prop.param("PREF")):
        types.add("pref")
    return frozenset(types)


def _labels(card: Card) -> dict[str, str]:
    """X-ABLabel text by group (upper case), for groups that hold something else to label."""
    groups = Counter(p.group.upper() for p in card.props if p.group and p.name != "X-ABLABEL")
    return {p.group.upper(): unescape(str(p.value)).strip() for p in card.props
            if p.name == "X-ABLABEL" and p.group and groups[p.group.upper()]}


def _empty(value: Any) -> bool:
    if isinstance(value, bytes):
        return not value
    if isinstance(value, tuple):
        return all(_empty(v) for v in value)
    return not str(value).strip()


def card_items(card: Card) -> list[Item]:
    """The card as comparable items. Properties with an empty value carry nothing and give no item; an
    X-ABLabel becomes the `label` of the properties of its group."""
    version = card.version
    labels = _labels(card)
    items: list[Item] = []
    for prop in card.props:
        if prop.name in STRUCTURAL or (prop.name == "X-ABLABEL" and (prop.group or "").upper() in labels):
            continue
        label = labels.get(prop.group.upper()) if prop.group else None
        raw = prop.value
        value: Any
        types: frozenset[str] = frozenset()
        if isinstance(raw, bytes):
            value = raw
        elif prop.name == "N":
            components = split_unescaped(raw, ";")
            components += [""] * (5 - len(components))
            value = tuple(
                tuple(unescape(x) for x in (split_unescaped(c, ",") if version != "2.1" else [c]))
                for c in components)
        elif prop.name in ("ADR", "ORG"):
            value = tuple(unescape(c) for c in split_unescaped(raw, ";"))
            if prop.name == "ADR":
                value += ("",) * (7 - len(value))
        elif prop.name == "CATEGORIES":
            for name in split_unescaped(raw, ","):
                if unescape(name).strip():
                    items.append(Item("CATEGORIES", frozenset(), unescape(name), label, version))
            continue
        else:
            value = unescape(raw)
        if prop.name in TYPED or prop.name == "RELATED":  # RELATED's TYPE is the kind of the relation
            types = _types(prop)
        if not _empty(value):
            items.append(Item(prop.name, types, value, label, version))
    return items
