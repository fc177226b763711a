"""The line layer under rolo.core.vcard: pre-parse repairs, lenient value decoding, and folding.

`logical_lines` turns a card's text into the logical content lines vobject's line parser can read. Real
exporters write things vobject 0.9.9 rejects or misreads (../shared/vcards/SOURCES.tsv lists them); each
repair is small and named after the trap it avoids:

- line ends: CR LF, LF, CR alone (old Mac), CR CR LF (a DOS conversion applied twice), mixed;
- folding (RFC 2425: a line starting with a space or TAB continues the previous one), also inside params;
- quoted-printable soft line breaks (2.1: a QP value ending in `=` continues on the next line, which may
  start with anything, even `#`), and a dangling soft break before a blank line;
- 2.1 base64 data continued on lines that are not indented;
- `#` comment lines (AOSP test files) are dropped;
- empty parameters (`NOPARAM;:`, `PARAM=value;;PARAM2=x`) are removed, whitespace around params trimmed;
- bare 2.1 type lists (`TEL;FAX,WORK`) become separate bare params (vobject keeps only the first);
- a known property with no colon at all (`FN` alone) becomes an empty property;
- a property name with characters vobject rejects (`X-messaging/twitter-All`) is parsed under a cleaned
  name; the stored line keeps the original;
- a bare CR inside a value (Thunderbird) becomes the escaped line break `\\n`.

The value decoders are lenient where exporters are sloppy (a QP value in a charset, a base64 photo with one
`=` too many) and strict where leniency would invent data (base64 with stray characters is not base64).
`fold_line` is the writing side of `logical_lines`.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass

_BEGIN = re.compile(r"BEGIN\s*:\s*VCARD", re.IGNORECASE)
_END = re.compile(r"END\s*:\s*VCARD", re.IGNORECASE)
_NAME = re.compile(r"(?:[A-Za-z0-9_-]+\.)?[A-Za-z0-9_-]+")
_BAD_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]")
_BASE64_DATA = re.compile(r"[A-Za-z0-9+/]+=*")
_BASE64_PARAM = re.compile(r";\s*(?:ENCODING\s*=\s*)?(?:B|BASE64)\s*(?=;|$)", re.IGNORECASE)
_ESCAPES = {"n": "\n", "N": "\n", "\\": "\\", ";": ";", ",": ",", ":": ":", '"': '"'}
# Properties that may stand alone without a colon (read as empty); anything else without one is an error.
_KNOWN = frozenset((
    "ADR", "AGENT", "ANNIVERSARY", "BDAY", "CALADRURI", "CALURI", "CATEGORIES", "CLASS", "EMAIL", "FBURL",
    "FN", "GENDER", "GEO", "IMPP", "KEY", "KIND", "LABEL", "LANG", "LOGO", "MAILER", "MEMBER", "N", "NAME",
    "NICKNAME", "NOTE", "ORG", "PHOTO", "PRODID", "RELATED", "REV", "ROLE", "SORT-STRING", "SOUND", "SOURCE",
    "TEL", "TITLE", "TZ", "UID", "URL", "VERSION",
))


@dataclass(frozen=True)
class LogicalLine:
    """One unfolded, repaired content line and the physical line (1-based, in the card) it starts on."""

    number: int
    text: str


def iter_lines(text: str) -> Iterator[str]:
    """The physical lines of a text, without their line ends, one at a time.

    When the text has any LF, lines end at LF and trailing CRs are dropped (CR LF and CR CR LF); a CR in the
    middle of a line stays, as Thunderbird writes one inside values. A text without LF is split at CR.
    """
    text = text.removeprefix("\ufeff")
    sep = "\n" if "\n" in text else "\r"
    start, size = 0, len(text)
    while start < size:
        end = text.find(sep, start)
        if end < 0:
            end = size
        yield text[start:end].rstrip("\r")
        start = end + 1


def is_begin(line: str) -> bool:
    """True for a `BEGIN:VCARD` line, in any case."""
    return _BEGIN.fullmatch(line.strip()) is not None


def is_end(line: str) -> bool:
    """True for an `END:VCARD` line, in any case."""
    return _END.fullmatch(line.strip()) is not None


def split_head(line: str) -> tuple[str, str] | None:
    """`(group.NAME;params, value)` split at the first colon outside double quotes; None without a colon."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[:i], line[i + 1 :]
    i = line.find(":")  # unbalanced quotes: the first colon is the best guess
    return (line[:i], line[i + 1 :]) if i >= 0 else None


def split_params(head: str) -> list[str]:
    """The head split at semicolons outside double quotes: [group.NAME, param, param...]."""
    parts, start, quoted = [], 0, False
    for i, ch in enumerate(head):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            parts.append(head[start:i])
            start = i + 1
    parts.append(head[start:])
    return parts


def is_quoted_printable(line: str) -> bool:
    """True when the line's parameters say its value is quoted-printable (2.1 writes it bare, too)."""
    parts = split_head(line)
    head = parts[0] if parts else line
    return "QUOTED-PRINTABLE" in head.upper()


def _is_base64(line: str) -> bool:
    parts = split_head(line)
    return parts is not None and _BASE64_PARAM.search(parts[0]) is not None


def repair_line(line: str) -> str:
    """The line with empty params removed, bare type lists split, a lone known name given a colon and a bare
    CR in the value written as the line break escape."""
    parts = split_head(line)
    if parts is None:
        name = line.strip()
        bare = name.rsplit(".", 1)[-1].upper()
        if _NAME.fullmatch(name) and (bare in _KNOWN or bare.startswith("X-")):
            return name + ":"
        return line
    head, value = parts
    # No content line may hold a CR (RFC 6350 3.2); Thunderbird writes one inside X- values, and a reader that
    # ends lines at any CR (vobject) would cut the line there. It is a line break: 3.0's escaped \n.
    cr_free = value.replace("\r", "\\n")
    segments = split_params(head)
    fixed = [segments[0].strip()]
    for segment in segments[1:]:
        segment = segment.strip()
        if not segment:
            continue
        if "=" not in segment and "," in segment and '"' not in segment:
            fixed += [s.strip() for s in segment.split(",") if s.strip()]
        else:
            fixed.append(segment)
    repaired = ";".join(fixed)
    return line if repaired == head and cr_free == value else f"{repaired}:{cr_free}"


def parser_line(line: str) -> str:
    """The line as handed to vobject: a property name vobject's grammar rejects is cleaned ('/' -> '-')."""
    parts = split_head(line)
    if parts is None:
        return line
    head, value = parts
    segments = split_params(head)
    if _NAME.fullmatch(segments[0]):
        return line
    segments[0] = _BAD_NAME_CHARS.sub("-", segments[0])
    return ";".join(segments) + ":" + value


def logical_lines(text: str) -> list[LogicalLine]:
    """The card's logical content lines: unfolded, QP soft breaks joined, comments and blank lines dropped,
    each line repaired (see the module docstring)."""
    lines: list[list] = []  # [number, text]
    current: list | None = None  # the line still open for continuation
    qp_pending = False  # the open line is quoted-printable and ends with a soft break
    for number, line in enumerate(iter_lines(text), 1):
        if qp_pending and current is not None:
            if line.strip() and not is_end(line):  # a card's END is never QP data, even after a soft break
                # A soft break joins the next line whatever it starts with (space, '#', '=').
                current[1] = current[1][:-1] + line
                qp_pending = current[1].endswith("=")
                continue
            qp_pending = False
        if not line.strip():
            current = None  # a blank line ends a value (2.1 base64 and QP rely on it)
            continue
        if line[0] in " \t":
            if current is not None:
                current[1] += line[1:]
                qp_pending = current[1].endswith("=") and is_quoted_printable(current[1])
                continue
            line = line.lstrip()  # a continuation with nothing to continue: read it as a line
        elif current is not None and ":" not in line and _BASE64_DATA.fullmatch(line) \
                and _is_base64(current[1]):
            current[1] += line  # 2.1 base64 data may continue on unindented lines
            continue
        if line.startswith("#"):
            current = None
            continue
        current = [number, line]
        lines.append(current)
        qp_pending = line.endswith("=") and is_quoted_printable(line)
    result = []
    for number, line in lines:
        if line.endswith("=") and is_quoted_printable(line):
            line = line[:-1]  # a soft break before a blank line or the end: nothing follows it
        result.append(LogicalLine(number, repair_line(line)))
    return result


# -- lenient value decoding, and folding for writing ------------------------------------------------------


def unescape(text: str) -> str:
    """Undo vCard backslash escapes (\\n \\, \\; \\\\, and \\: \\" that Google and Apple write)."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def split_escaped(text: str, sep: str) -> list[str]:
    """Split at unescaped `sep`, leaving escapes in place (unescape each part afterwards)."""
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def decode_quoted_printable(value: str, charset: str | None) -> str:
    """Decode a quoted-printable value whose bytes are in `charset` (none given: UTF-8, else cp1252)."""
    codec = None
    if charset:
        with contextlib.suppress(LookupError):  # an unknown charset name: guess as if none was given
            codec = codecs.lookup(charset).name
    try:
        raw = value.encode(codec or "utf-8")  # raw 8-bit text inside a QP value goes back to its bytes
    except UnicodeEncodeError:
        raw = value.encode("utf-8")
    # Line breaks come as =0D=0A (Outlook, Nokia) or =0A; the book keeps LF, as 3.0's \n gives.
    data = quopri.decodestring(raw).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for attempt in [codec] if codec else ["utf-8", "cp1252"]:
        try:
            return data.decode(attempt)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", "replace")  # broken exports cut characters in half


def decode_base64(text: str) -> bytes | None:
    """Strict base64 (whitespace ignored, padding repaired), or None when the text is not base64."""
    data = re.sub(r"\s+", "", text).rstrip("=")  # padding carries no data; BlackBerry writes one too many
    if not data or len(data) % 4 == 1:
        return None
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def fold_line(line: str, limit: int = 75) -> str:
    """One content line folded to at most `limit` octets per line (never inside a UTF-8 character, nor,
    in a quoted-printable value, right after '=' where a reader would see a soft line break), with CRLF."""
    if len(line.encode("utf-8", "surrogatepass")) <= limit:
        return line + "\r\n"
    qp = is_quoted_printable(line)
    if line.isascii() and not qp:  # the common case, and photos: one octet per character
        rest = [line[i : i + limit - 1] for i in range(limit, len(line), limit - 1)]
        return "\r\n ".join([line[:limit], *rest]) + "\r\n"
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8", "surrogatepass"))
        if size + n > limit:
            carry = ""
            if qp:  # keep "=XX" escapes whole so no physical line ends with '='
                cut = current.rfind("=", max(0, len(current) - 2))
                if cut > 0:
                    current, carry = current[:cut], current[cut:]
            out.append(current)
            current, size = " " + carry, 1 + len(carry)
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out) + "\r\n"
