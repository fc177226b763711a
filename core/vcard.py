"""vCard files in (2.1, 3.0, 4.0) and out (3.0, 4.0): bytes -> text -> cards -> ContactRecords, and back.

Reading: `decode_bytes` picks the encoding, `split_cards` cuts the text into cards with its own line scanner,
`parse_card` turns one card into a ContactRecord: `vcard_repair.logical_lines` unfolds and repairs the lines,
vobject's content-line parser (`vobject.base.parseLine`) splits each into group, name, params and value, and
this module maps the properties. `iter_file` does all of it for a file, one bad card never stopping the rest.

Why not `vobject.readOne`: it applies its vCard 3.0 behaviour to every card, and that behaviour keeps only
the text before the first unescaped comma of every plain text property (`FN:Doe, John` -> 'Doe'; NOTE,
TITLE and X- values likewise) and cuts 4.0 `data:` URIs at their comma. It also drops each property's source
line, which `extras` must keep verbatim. Its line parser has none of these problems, so it is used per line.

Writing is rolo.core.vcard_export (`export_card` here calls it); rolo.core.vcard_encode spells each kept
line for the version written. A line kept in extras that carries 2.1 syntax, an invalid name or a value
whose spelling depends on the version is stored as 3.0 writes it (`encode_line`); a modelled property that
says more than the book keeps (N's lists, SORT-AS, an itemN group shared with companions...) is kept as a
shadow beside its value (see rolo.core.vcard_export). A line rolo renamed on export (`X-ROLO-NAME`) is read
under its original name.

The notes log (`record.log`, dated entries) is written as one `X-ROLO-LOG` property per entry, its time in
`X-AT` and its source key, when it has one, in `X-SOURCE`:

    X-ROLO-LOG;X-AT="2026-12-03T08:00:00Z":Lunch\\; she is moving to Paris in May

and not as NOTE lines, because NOTE is already the card's own note (`record.notes`): a reader, rolo's own
included, joins every NOTE of a card into that one text, so log entries written as NOTE would come back
merged into `notes` (changing it, and the round trip of the card's real NOTE with it), without their times,
and added again on every re-import. An X- property keeps each entry apart with its time; other programs
keep X- properties they do not know (Apple, Google, DAVx5) or ignore them, so the log is not shown there
but is not lost. Reading one back gives a LogEntry whose source key is its X-SOURCE, else
`vcard:<time>:<sha256 of the text, 16 hex>`, so the importer adds it only once (see `log_source_key`).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import vobject  # type: ignore[import-untyped]
from rolo.core.values import book_time, normalize_birthday
from rolo.core.errors import ValidationError, VCardError
from rolo.core.fields import field_key
from rolo.core.labels import label_from_types, unwrap_apple
from rolo.core.relations import ANDROID_TYPES, NAMED_PROPERTIES, normal_kind
from rolo.core.record import (AddressEntry, ContactRecord, DateEntry, EmailEntry, LogEntry, PhoneEntry,
                              RelatedEntry, UrlEntry)
from rolo.core.vcard_encode import (ORIGINAL_ENCODING, ORIGINAL_NAME, as_shadow, encode_line, entry_shadow,
                                    original_name)
from rolo.core.vcard_repair import (
    LogicalLine,
    decode_base64,
    decode_quoted_printable,
    is_begin,
    is_end,
    iter_lines,
    logical_lines,
    parser_line,
    split_escaped,
    unescape,
)

log = logging.getLogger(__name__)

# Derived uids are uuid5(NAMESPACE, source_hash): the same card imported twice gets the same uid.
NAMESPACE = uuid.UUID("059ca87a-4df0-45bd-a4e3-df517f64210b")
SEGMENT_BYTES = 1 << 20
# Input limits, so that a hostile or broken file is refused card by card in bounded memory: a card (or a
# single line) over MAX_CARD_BYTES, or with more than MAX_CARD_PROPERTIES properties, is skipped unread with
# a reason. A real card with a large photo fits in 16 MB; 10,000 properties is more than any address book
# program writes (an Apple group card lists one property per member).
MAX_CARD_BYTES = 16 << 20
MAX_CARD_PROPERTIES = 10_000

_ANNIVERSARIES = ("ANNIVERSARY", "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-KADDRESSBOOK-X-ANNIVERSARY",
                  "X-MS-ANNIVERSARY")
_TEXT_FIELDS = {"UID": "uid", "FN": "formatted_name", "NICKNAME": "nickname", "TITLE": "title"}
_LOG_PROPERTY = "X-ROLO-LOG"  # one notes-log entry (see the module docstring)
# A hand-written X-AT time whose colons are not quoted (the parser would cut it at the first colon).
_UNQUOTED_AT = re.compile(r"(?:[A-Za-z0-9_-]+\.)?X-ROLO-LOG;X-AT=(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?"
                          r"(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?):", re.IGNORECASE)
_DROPPED = {"VERSION", "PRODID", "REV", "PROFILE"}  # PROFILE: RFC 2425's BEGIN; vobject rejects it on re-read
_STARRED_PROPERTY = "X-ROLO-STARRED"  # the contact is starred (no vCard property says so)
# Used properties whose line is also kept, as a shadow, when it says more than the book models
# (rolo.core.vcard_export); the parameters that only spell what the book does model:
_ENTRIES = {"EMAIL", "TEL", "ADR", "URL"}
_SHADOWED = {"N", "FN", "NICKNAME", "BDAY", "ORG", *_ENTRIES}
_SPELLING_PARAMS = {"ENCODING", "CHARSET", "VALUE"}  # and TYPE on an entry, which the book keeps as its label
_RECODED = {"BDAY", "ANNIVERSARY", "DEATHDATE", "TZ", "GEO", "PHOTO", "LOGO", "SOUND", "KEY"}
_BARE_ENCODINGS = {"BASE64", "B", "8BIT", "7BIT"}
_GROUP = re.compile(r"([A-Za-z0-9_-]+)\.")
_CHARSET = re.compile(rb"CHARSET\s*=\s*\"?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BYTE_FOLD = re.compile(rb"(?:\r*\n|\r)[ \t]")
_IMAGE_TYPES = {"JPEG": "image/jpeg", "JPG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
                "BMP": "image/bmp", "TIFF": "image/tiff", "WEBP": "image/webp", "HEIC": "image/heic"}
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"),
          (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"))


@dataclass
class CardResult:
    """One card of a file: the record, or the one-line reason it could not be read."""

    source: str  # file path (or "<stdin>")
    index: int  # 1-based card number within the file
    text: str  # the card's text as split (line ends normalised to LF)
    record: ContactRecord | None
    error: str | None
    source_hash: str  # card_hash(text), for idempotent import
    rev: str | None = None  # the card's REV in the book's time format (`parse_rev`), None if absent or unreadable
    uid_derived: bool = False  # the uid was made up for it (a CSV row): a new contact may be someone known


# -- reading files ---------------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> str:
    """Text from a vCard file's bytes; never raises.

    A BOM decides (UTF-8, UTF-16, UTF-32); else UTF-8; else UTF-8 after joining folded lines (some writers
    fold in the middle of a multi-byte character); else the CHARSET= the data declares (Shift_JIS, ...);
    else cp1252, else latin-1, which takes any bytes.
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace")
    if len(data) >= 2 and (data[0] == 0) != (data[1] == 0):  # "B\0E\0G\0..." UTF-16 without a BOM
        return data.decode("utf-16-be" if data[0] == 0 else "utf-16-le", "replace")
    candidates: list[tuple[bytes, str]] = [(data, "utf-8")]
    if b"\n " in data or b"\n\t" in data or b"\r " in data:
        candidates.append((_BYTE_FOLD.sub(b"", data), "utf-8"))
    for declared in dict.fromkeys(m.decode("ascii").lower() for m in _CHARSET.findall(data[:1_000_000])):
        candidates.append((data, declared))
        if declared in ("shift_jis", "sjis", "x-sjis", "shift-jis"):
            candidates.append((data, "cp932"))  # what Japanese phones really write
    candidates += [(data, "cp1252"), (data, "latin-1")]
    for raw, codec in candidates:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # unreachable: latin-1 decodes anything


def split_cards(text: str) -> Iterator[tuple[int, str]]:
    """(card number, card text) for each card, scanning line by line without vobject.

    Tolerates any case of BEGIN/END, blank lines, any line ends; a card nested in another becomes a card of
    its own (numbered in BEGIN order, the outer one first); non-blank lines outside any card are yielded as a
    "card" of their own, which parse_card then rejects; a card missing its END is yielded as it is.
    """
    number = 0
    stack: list[tuple[int, list[str]]] = []  # open cards, outermost first
    finished: list[tuple[int, str]] = []  # nested cards, held until their outer card ends
    loose: list[str] = []  # lines outside any card
    for line in iter_lines(text):
        starts = line[:1] not in (" ", "\t")  # folded continuations are never BEGIN or END
        if starts and is_begin(line):
            if not stack:
                if any(x.strip() for x in loose):
                    number += 1
                    yield number, _join(loose)
                loose = []
            number += 1
            stack.append((number, [line]))
        elif stack:
            stack[-1][1].append(line)
            if starts and is_end(line):
                done = stack.pop()
                finished.append((done[0], _join(done[1])))
                if not stack:
                    yield from sorted(finished)
                    finished = []
        else:
            loose.append(line)
            if starts and is_end(line):  # an END with no BEGIN closes a card that lost its BEGIN
                number += 1
                yield number, _join(loose)
                loose = []
    finished += [(n, _join(lines)) for n, lines in stack]
    yield from sorted(finished)
    if any(x.strip() for x in loose):
        yield number + 1, _join(loose)


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def derived_uid(digest: str) -> str:
    """The uid given to a card that has none: stable, so re-importing the card finds it again."""
    return str(uuid.uuid5(NAMESPACE, digest))


def card_hash(text: str) -> str:
    """sha256 hex of a card's text with line ends normalised (and outer blank lines dropped)."""
    normalised = "\n".join(iter_lines(text)).strip("\n")
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


_REV = re.compile(r"(\d{4})-?(\d\d)-?(\d\d)(?:[T ](\d\d):?(\d\d)(?::?(\d\d))?(?:[.,]\d+)?)?"
                  r"\s*(Z|[+-]\d\d(?::?\d\d)?)?", re.IGNORECASE)


def parse_rev(value: str) -> str | None:
    """A card's REV in the book's time format (`2026-12-03T10:10:10Z`), or `YYYY-MM-DD` when it is a date
    only; None when it is no date. Reads basic and extended ISO 8601 (`20261203T101010Z`, rolo's own 4.0
    export; `2026-12-03T10:10:10Z`, its 3.0 one), fractions and offsets; a time with no zone is taken as UTC."""
    match = _REV.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        if hour is None:
            return datetime(int(year), int(month), int(day)).strftime("%Y-%m-%d")
        offset = timedelta(0)
        if zone and zone.upper() != "Z":
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            offset = -offset if zone[0] == "-" else offset
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                          tzinfo=timezone(offset))
    except ValueError:
        return None
    return book_time(moment)


def iter_file(path: Path, field_names: Iterable[str] = (), *, workers: int = 0) -> Iterator[CardResult]:
    """Read, decode, split and parse every card of a file (`-` reads standard input).

    The file is read in segments of whole cards (about 1 MB each), so a file of any size is imported in
    flat memory. With `workers`, segments after the first are parsed in that many other processes while
    the caller stores what came before (an import then uses both cores). An unreadable file raises
    OSError; a bad card yields a CardResult with `error` and the others go on.
    """
    names = list(field_names)
    source = "<stdin>" if str(path) == "-" else str(path)
    handle = sys.stdin.buffer if source == "<stdin>" else open(path, "rb")  # noqa: SIM115
    try:
        segments = _segments(handle)
        offset = 0
        for results in _parse_segments(segments, source, names, workers):
            for result in results:
                result.index += offset
                yield result
            offset = results[-1].index if results else offset
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def _parse_segment(segment: bytes | _Refused, source: str, names: list[str]) -> list[CardResult]:
    """Every card of one segment, numbered from 1 within it."""
    if isinstance(segment, _Refused):
        text = decode_bytes(segment.head)
        return [CardResult(source, 1, text, None, segment.reason, card_hash(text))]
    return [_result(source, index, text, names) for index, text in split_cards(decode_bytes(segment))]


def _parse_segments(segments: Iterator[bytes | _Refused], source: str, names: list[str],
                    workers: int) -> Iterator[list[CardResult]]:
    first = next(segments, None)
    if first is None:
        return
    yield _parse_segment(first, source, names)
    following = next(segments, None)
    if following is None:  # a small file: not worth starting a process
        return
    if workers <= 0:
        yield _parse_segment(following, source, names)
        for segment in segments:
            yield _parse_segment(segment, source, names)
        return
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # fork starts in milliseconds but is unsafe once the process has other threads (a lock one of them
    # holds would stay locked in the child forever): then spawn, which starts a fresh interpreter (~0.5 s).
    # The child only parses bytes; it never touches the parent's SQLite connections.
    single_threaded = threading.active_count() == 1
    context = multiprocessing.get_context("fork" if single_threaded else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        pending = [pool.submit(_parse_segment, following, source, names)]
        for segment in segments:
            pending.append(pool.submit(_parse_segment, segment, source, names))
            if len(pending) > workers:  # bounded read-ahead keeps memory flat
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


def _exit_with_parent(parent: int) -> None:
    """In a parse worker: exit as soon as the importing process is gone. A killed `rolo import` (SIGKILL
    runs no cleanup) would otherwise leave its worker blocked on the task queue forever, holding its memory."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="rolo-parent-watch", daemon=True).start()


def _result(source: str, index: int, text: str, names: list[str]) -> CardResult:
    digest = card_hash(text)
    record, error, rev = None, None, None
    try:
        record, rev = _parse_with_rev(text, names, digest)
    except VCardError as exc:
        error = str(exc)
    except Exception as exc:  # a bug must not cost the user the rest of the file; the log keeps it
        log.exception("card %d of %s", index, source)
        error = f"cannot be read (internal error: {type(exc).__name__}: {exc})"
    return CardResult(source, index, text, record, error, digest, rev)


@dataclass
class _Refused:
    """A card `_segments` skipped unread because it is over a limit: its first bytes and why."""

    head: bytes
    reason: str


def _segments(handle: Any, size: int | None = None) -> Iterator[bytes | _Refused]:
    """The file's bytes cut after an outermost END:VCARD line once `size` bytes have gathered.

    Cutting only between whole cards keeps split_cards' view of each card intact; UTF-16 text (where a
    byte-level line split means nothing), and UTF-32, are decoded as read and cut as UTF-8; a file with CR-only line
    ends is one "line", read whole up to MAX_CARD_BYTES. A card over a limit (see MAX_CARD_BYTES) comes as a
    `_Refused` of its own, read without being held, so memory stays bounded whatever the file holds.
    """
    size = size or SEGMENT_BYTES
    head = handle.read(4)
    codec = None
    if head[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        codec = "utf-32"
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        codec = "utf-16"
    elif len(head) >= 2 and (head[0] == 0) != (head[1] == 0):  # "B\0E\0G\0..." UTF-16 without a BOM
        codec = "utf-16-be" if head[0] == 0 else "utf-16-le"
    if codec:
        handle, head = _Utf8Lines(handle, head, codec), b""
    parts: list[bytes] = []
    gathered = depth = 0
    card_start, card_bytes, card_props = 0, 0, 0  # the outermost card (or loose text) being gathered
    skipping: _Refused | None = None  # an oversized card whose rest is being read past
    for line, length in _lines(handle, head):
        start = line.lstrip(codecs.BOM_UTF8)[:11].upper()
        begins, ends = start.startswith(b"BEGIN:VCARD"), start.startswith(b"END:VCARD")
        if skipping is not None:
            depth += begins
            if ends and depth > 0:
                depth -= 1
                if depth == 0:
                    yield skipping
                    skipping = None
            continue
        if begins and depth == 0:
            card_start, card_bytes, card_props = len(parts), 0, 0
        depth += begins
        parts.append(line)
        gathered += len(line)
        card_bytes += length
        card_props += line[:1] not in (b" ", b"\t")
        reason = _over_limit(length, card_bytes, card_props)
        if reason is not None:
            if card_start:
                yield b"".join(parts[:card_start])
            refused = _Refused(b"".join(parts[card_start:])[:4096], reason)
            parts, gathered, card_start, card_bytes, card_props = [], 0, 0, 0, 0
            depth = max(0, depth - ends)
            if depth == 0:  # loose text, or the card ended on this very line
                yield refused
            else:
                skipping = refused
            continue
        if ends:
            depth = max(0, depth - 1)
            if depth == 0:
                card_start, card_bytes, card_props = len(parts), 0, 0
                if gathered >= size:
                    yield b"".join(parts)
                    parts, gathered, card_start = [], 0, 0
    if skipping is not None:  # the file ended inside an oversized card
        yield skipping
    elif any(parts):
        yield b"".join(parts)


class _Utf8Lines:
    """UTF-16 or UTF-32 text read a chunk at a time and handed out as UTF-8 lines (`readline(limit)` as a binary file
    has it, the limit in characters), so that it is cut into segments like any other file."""

    _EOL = re.compile(r"\r\n|\r|\n")

    def __init__(self, handle: Any, head: bytes, codec: str) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder(codec)("replace")
        self._text, self._pos, self._done = self._decoder.decode(head), 0, False

    def readline(self, limit: int) -> bytes:
        while True:
            match = self._EOL.search(self._text, self._pos)
            # a CR at the end of what is decoded may be the first half of a CRLF: decode more first
            if match and (match.end() < len(self._text) or match.group() != "\r" or self._done):
                end = match.end()
                break
            if len(self._text) - self._pos >= limit or self._done:
                end = len(self._text)
                break
            chunk = self._handle.read(1 << 16)
            self._text = self._text[self._pos:] + self._decoder.decode(chunk, final=not chunk)
            self._pos, self._done = 0, not chunk
        end = min(end, self._pos + limit)
        line, self._pos = self._text[self._pos:end], end
        return line.encode("utf-8", "surrogatepass")


def _lines(handle: Any, head: bytes) -> Iterator[tuple[bytes, int]]:
    """(line, its length) for each line of the file after `head` (its first bytes, already read). A line
    longer than MAX_CARD_BYTES is cut there and the rest of it read past, not kept."""
    limit = MAX_CARD_BYTES + 1
    line = head + handle.readline(limit)
    while line:
        length = len(line)
        if length >= limit and not line.endswith(b"\n"):
            while chunk := handle.readline(1 << 20):
                length += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            line = line[:limit]
        yield line, length
        line = handle.readline(limit)


def _over_limit(line_bytes: int, card_bytes: int, card_props: int) -> str | None:
    """Why a card being read is refused, or None while it is within the limits."""
    if line_bytes > MAX_CARD_BYTES:
        return f"refused: a line of {line_bytes:,} bytes (rolo reads cards of up to {MAX_CARD_BYTES >> 20} MB)"
    if card_bytes > MAX_CARD_BYTES:
        return f"refused: a card of more than {MAX_CARD_BYTES >> 20} MB"
    if card_props > MAX_CARD_PROPERTIES:
        return f"refused: a card of more than {MAX_CARD_PROPERTIES:,} properties"
    return None


# -- parsing one card ------------------------------------------------------------------------------------


@dataclass
class _Prop:
    """One content line as parsed: QP already decoded, vCard backslash escapes still in `value`."""

    raw: str  # the repaired logical line: what extras keep
    group: str | None
    name: str  # upper case
    params: dict[str, list[str]]  # upper-case names
    types: list[str] = field(default_factory=list)  # upper case; TYPE= values and 2.1 bare params
    value: str = ""
    # Kept in extras, the line is first re-encoded as 3.0 (rolo.core.vcard_encode): it carries 2.1 syntax, an
    # invalid name, or a value (BDAY, TZ, GEO...) whose spelling depends on the version.
    recode: bool = False

    @property
    def pref(self) -> bool:
        return "PREF" in self.types or "1" in self.params.get("PREF", [])


def parse_card(text: str, field_names: Iterable[str] = ()) -> ContactRecord:
    """One card's text as a ContactRecord; raise VCardError with a one-line reason if it cannot be read.

    `field_names` are the book's custom fields: an `X-<NAME>` property whose field_key matches one becomes
    custom_fields[name] (a list when repeated); other unmodelled properties are kept verbatim in extras.
    """
    return _parse(text, list(field_names), card_hash(text))


def _parse(text: str, field_names: list[str], digest: str) -> ContactRecord:
    return _parse_with_rev(text, field_names, digest)[0]


def _parse_with_rev(text: str, field_names: list[str], digest: str) -> tuple[ContactRecord, str | None]:
    lines = logical_lines(text)
    if not lines or not is_begin(lines[0].text):
        raise VCardError("no BEGIN:VCARD")
    end = next((i for i, line in enumerate(lines) if is_end(line.text)), None)
    if end is None:
        raise VCardError("END:VCARD missing")
    if end != len(lines) - 1:
        raise VCardError(f"line {lines[end + 1].number}: text after END:VCARD")
    for line in lines[1:end]:
        if is_begin(line.text):
            raise VCardError(f"line {line.number}: a card inside another (read files with split_cards)")
    mapper = _Mapper([_read_prop(line) for line in lines[1:end]], field_names)
    return mapper.record(digest), mapper.rev


def _read_prop(line: LogicalLine) -> _Prop:
    try:
        parsed = parser_line(line.text)
        name, params, value, group = vobject.base.parseLine(parsed, line.number)
    except vobject.base.ParseError:
        short = line.text if len(line.text) <= 60 else line.text[:57] + "..."
        raise VCardError(f"line {line.number} '{short}' cannot be parsed") from None
    prop = _Prop(line.text, group, name.upper(), {}, [], value)
    recode = (prop.name in _RECODED or parsed is not line.text or "_" in name
              or (group is not None and "_" in group))
    qp = False
    for pname, *values in params:
        key = pname.upper()
        if not values:  # 2.1 bare params: types, or an encoding
            recode = True
            if key == "QUOTED-PRINTABLE":
                qp = True
            elif key in _BARE_ENCODINGS:
                prop.params.setdefault("ENCODING", []).append(key)
            elif key != "TYPE":
                prop.types.append(key)
            continue
        for v in values:
            split = [x.strip() for x in v.split(",") if x.strip()] if key == "TYPE" else [v]
            prop.params.setdefault(key, []).extend(split)
            if key == "TYPE":
                prop.types += [x.upper() for x in split]
    if prop.params:
        recode = recode or "CHARSET" in prop.params or "ENCODING" in prop.params
        if ORIGINAL_NAME in prop.params:  # a line rolo renamed on export stands for its original
            prop.name, recode = original_name(prop.name, prop.params), True
            if ORIGINAL_ENCODING in prop.params:
                prop.params.setdefault("ENCODING", []).extend(prop.params[ORIGINAL_ENCODING])
    prop.recode = recode
    if qp or "QUOTED-PRINTABLE" in (e.upper() for e in prop.params.get("ENCODING", [])):
        charset = prop.params.get("CHARSET")
        prop.value = decode_quoted_printable(value, charset[0] if charset else None)
    return prop


def _place(a: AddressEntry) -> list[str | None]:
    """An address's seven ADR components."""
    return [a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country]


def _components(value: str, count: int) -> list[str | None]:
    """A structured value (N, ADR) as exactly `count` unescaped parts; extra parts join the last one."""
    parts = [unescape(p).strip() for p in split_escaped(value, ";")]
    parts += [""] * (count - len(parts))
    if len(parts) > count:
        parts[count - 1 :] = [";".join(p for p in parts[count - 1 :] if p)]
    return [p or None for p in parts]


def _apple_label(value: str) -> str | None:
    """An X-ABLabel: Apple's built-in `_$!<Other>!$_` as 'other'; a custom label as written."""
    text = unescape(value).strip()
    return unwrap_apple(text) if text else None


def _birthday(prop: _Prop) -> str | None:
    """YYYY-MM-DD or --MM-DD, or None when the value is not a date (it is then kept in extras)."""
    try:
        value = normalize_birthday(unescape(prop.value))
    except ValidationError:
        return None
    if value and not value.startswith("--"):
        omit = prop.params.get("X-APPLE-OMIT-YEAR", [])
        # Apple writes year 1604 with X-APPLE-OMIT-YEAR=1604 for "no year"; Thunderbird CardBook writes 1604.
        if value[:4] == "1604" or value[:4] in omit:
            value = "--" + value[5:]
    return value


def _sniff(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    return "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None


def _decode_photo(prop: _Prop) -> tuple[bytes, str | None] | None:
    """(bytes, mime type) of an inline photo, or None (a URI, or data that does not decode)."""
    value = prop.value.strip()
    if value[:5].lower() == "data:":  # 4.0, and some 3.0 writers (even with ENCODING=b)
        header, comma, payload = value.replace("\\,", ",").partition(",")
        if not comma:
            return None
        mime = header[5:].split(";")[0].strip().lower() or None
        data = decode_base64(payload) if header.lower().endswith(";base64") else unquote_to_bytes(payload)
        return (data, mime or _sniff(data)) if data else None
    encoded = any(e.upper() in ("B", "BASE64") for e in prop.params.get("ENCODING", []))
    if not encoded and ("VALUE" in prop.params or "://" in value):
        return None
    data = decode_base64(value)
    if not data or (not encoded and _sniff(data) is None):  # an unmarked value must look like an image
        return None
    declared = [t if "/" in t else _IMAGE_TYPES.get(t) for t in prop.types]
    mime = next((t.lower() for t in declared if t), None)
    return data, mime or _sniff(data)


class _Mapper:
    """Maps a card's properties to a ContactRecord; what it does not model goes to extras, in source order.

    Each handler returns False to keep the line in extras, anything else when it used (or dropped) it.
    """

    def __init__(self, props: list[_Prop], field_names: list[str]) -> None:
        self.props = props
        self.fields = {field_key(n): n for n in field_names}
        self.version = next((p.value.strip() for p in props if p.name == "VERSION"), "")
        groups = [p.group.upper() for p in props if p.group and p.name != "X-ABLABEL"]
        # Groups holding more than one property besides X-ABLabel: item2.ADR with item2.X-ABADR.
        self.shared_groups = {g for g in groups if groups.count(g) > 1} if len(groups) > 1 else set()
        typed = {p.group.upper() for p in props if p.group and (p.name in ("EMAIL", "TEL", "ADR", "URL")
                 or self.alone(p) and p.name == "X-ABRELATEDNAMES" and unescape(p.value).strip()
                 or self.alone(p) and p.name == "X-ABDATE" and _birthday(p) is not None and "T" not in p.value)}
        # An X-ABLabel labels the EMAIL/TEL/ADR/URL, related name or date of its group (those rolo reads);
        # one labelling anything else stays in extras.
        self.labels = {p.group.upper(): _apple_label(p.value) for p in props
                       if p.name == "X-ABLABEL" and p.group and p.group.upper() in typed}
        self.r = ContactRecord(uid="")
        self.taken: set[str] = set()  # single-valued properties already used
        self.notes: list[str] = []
        self.rev: str | None = None
        self.handlers: dict[str, Callable[[_Prop], bool | None]] = {
            **dict.fromkeys(_TEXT_FIELDS, self.text), "N": self.n, "ORG": self.org, "BDAY": self.bday,
            "KIND": self.kind, "X-ADDRESSBOOKSERVER-KIND": self.kind, "EMAIL": self.email, "TEL": self.tel,
            "ADR": self.adr, "URL": self.url, "CATEGORIES": self.categories, "NOTE": self.note,
            "PHOTO": self.photo, _LOG_PROPERTY: self.log_entry, _STARRED_PROPERTY: self.starred,
            "RELATED": self.related, "X-ABRELATEDNAMES": self.related_name, "X-ABDATE": self.abdate,
            **dict.fromkeys(_ANNIVERSARIES, self.anniversary), "X-ANDROID-CUSTOM": self.android,
            **dict.fromkeys(NAMED_PROPERTIES, self.named_relation),
        }

    def record(self, digest: str) -> ContactRecord:
        r = self.r
        shadows: list[str] = []
        for prop in self.props:
            consumed_label = prop.name == "X-ABLABEL" and (prop.group or "").upper() in self.labels
            if prop.name in _DROPPED or consumed_label:
                if prop.name == "REV" and self.rev is None:
                    self.rev = parse_rev(unescape(prop.value))
                continue
            used = self.handlers.get(prop.name, self.other)(prop)
            if used is False:
                r.extras.append(encode_line(prop.raw, "3.0") if prop.recode else prop.raw)
            elif used and prop.name in _SHADOWED and self.needs_shadow(prop):
                shadows.append(self.shadow(prop))
        # Shadows after the kept lines, sorted: the same list whatever order a writer put the properties in.
        r.extras += sorted(shadows)
        r.notes = "\n".join(self.notes) if self.notes else None
        r.uid = r.uid or derived_uid(digest)
        return r

    def shadow(self, p: _Prop) -> str:
        """The shadow kept for a used property (see rolo.core.vcard_export)."""
        v21 = self.version == "2.1"
        line = encode_line(p.raw, "3.0", from_21=v21) if p.recode or v21 else p.raw
        if p.name not in _ENTRIES:
            return as_shadow(line)
        r = self.r
        value = {"EMAIL": lambda: [r.emails[-1].address], "TEL": lambda: [r.phones[-1].number],
                 "URL": lambda: [r.urls[-1].url], "ADR": lambda: _place(r.addresses[-1])}[p.name]()
        return entry_shadow(line, value)

    def needs_shadow(self, p: _Prop) -> bool:
        """Whether a used property says more than the book keeps of it (see rolo.core.vcard_export)."""
        other = p.params.keys() - _SPELLING_PARAMS if p.params else set()
        if p.name in _ENTRIES:
            other.discard("TYPE")
        if other and (other != {"PREF"} or p.params["PREF"] != ["1"]):
            return True
        if p.group and p.group.upper() in self.shared_groups:
            return True
        if p.name == "BDAY":
            return "T" in p.value
        if p.name in ("N", "NICKNAME") and "," in p.value and self.version != "2.1":
            return any(len(split_escaped(part, ",")) > 1 for part in split_escaped(p.value, ";"))
        return False

    def label(self, prop: _Prop, default: str | None) -> str | None:
        return (self.labels.get(prop.group.upper()) if prop.group else None) or default

    def once(self, slot: str, text: str | None) -> bool | None:
        """Whether a single-valued property may be used: empty ones are dropped, later ones go to extras."""
        if not text:
            return None
        if slot in self.taken:
            return False
        self.taken.add(slot)
        return True

    def text(self, p: _Prop) -> bool | None:
        text = unescape(p.value).strip()
        if ok := self.once(p.name, text):
            setattr(self.r, _TEXT_FIELDS[p.name], text)
        return ok

    def n(self, p: _Prop) -> bool | None:
        parts = split_escaped(p.value, ";")
        parts += [""] * (5 - len(parts))
        if len(parts) > 5:  # a broken N with too many parts: they join the suffix rather than vanish
            parts[4:] = [";".join(x for x in parts[4:] if x)]
        # 3.0/4.0 components may be comma lists (several given names); 2.1 has no lists.
        pieces = [split_escaped(c, ",") if self.version != "2.1" else [c] for c in parts]
        names = [" ".join(x for x in (unescape(s).strip() for s in piece) if x) or None for piece in pieces]
        if ok := self.once("N", "".join(x or "" for x in names)):
            r = self.r
            r.family_name, r.given_name, r.additional_names, r.prefix, r.suffix = names
        return ok

    def org(self, p: _Prop) -> bool | None:
        parts = [unescape(c).strip() for c in split_escaped(p.value, ";")]
        if ok := self.once("ORG", "".join(parts)):
            self.r.organization = parts[0] or None
            self.r.department = "; ".join(x for x in parts[1:] if x) or None
        return ok

    def bday(self, p: _Prop) -> bool | None:
        if not p.value.strip():
            return None
        value = _birthday(p)
        if value is None:
            return False  # not a date ("circa 1800"): kept as written
        if ok := self.once("BDAY", value):
            self.r.birthday = value
        return ok

    def kind(self, p: _Prop) -> bool | None:
        text = unescape(p.value).strip().lower()
        if ok := self.once("KIND", text):
            self.r.kind = text
        return ok

    def email(self, p: _Prop) -> bool | None:
        address = unescape(p.value).strip()
        if address:
            label = self.label(p, label_from_types("emails", p.types))
            self.r.emails.append(EmailEntry(address, label, p.pref))
            return True

    def tel(self, p: _Prop) -> bool | None:
        number = unescape(p.value).strip()
        if number[:4].lower() == "tel:":  # 4.0 VALUE=uri
            number = number[4:]
        if number:
            label = self.label(p, label_from_types("phones", p.types))
            self.r.phones.append(PhoneEntry(number, None, label, p.pref))
            return True

    def adr(self, p: _Prop) -> bool | None:
        parts = _components(p.value, 7)
        if any(parts):
            label = self.label(p, label_from_types("addresses", p.types))
            box, ext, street, city, region, code, country = parts
            entry = AddressEntry(label, box, ext, street, city, region, code, country, p.pref)
            self.r.addresses.append(entry)
            return True

    def url(self, p: _Prop) -> bool | None:
        url = unescape(p.value).strip()
        if url:
            self.r.urls.append(UrlEntry(url, self.label(p, label_from_types("urls", p.types))))
            return True

    def categories(self, p: _Prop) -> None:
        for part in split_escaped(p.value, ","):
            name = unescape(part).strip()
            if name and name not in self.r.labels:
                self.r.labels.append(name)

    def note(self, p: _Prop) -> None:
        text = unescape(p.value)
        if text.strip():
            self.notes.append(text)

    def log_entry(self, p: _Prop) -> bool | None:
        """An X-ROLO-LOG line: one entry of the notes log (see the module docstring)."""
        at = next((v.strip() for v in p.params.get("X-AT", []) if v.strip()), None)
        text = unescape(p.value)
        if unquoted := _UNQUOTED_AT.match(p.raw):  # X-AT=2026-12-03T08:00:00Z:text, its colons not quoted
            at, text = unquoted.group(1), unescape(p.raw[unquoted.end() :])
        if at is None:
            return False  # no time: not one of ours, kept as written
        if text.strip():
            source = next((v.strip() for v in p.params.get("X-SOURCE", []) if v.strip()), None)
            kind = next((v.strip().lower() for v in p.params.get("X-KIND", []) if v.strip()), None)
            local = any(v.strip().lower() == "true" for v in p.params.get("X-LOCAL", []))
            self.r.log.append(LogEntry(at, text, source or log_source_key(at, text), kind=kind, local_only=local))
        return None

    def starred(self, p: _Prop) -> None:
        self.r.starred = unescape(p.value).strip().lower() in ("true", "1", "yes")

    def photo(self, p: _Prop) -> bool:
        photo = _decode_photo(p) if self.r.photo is None else None
        if photo is None:
            return False  # a URI, a second photo, or data that does not decode: kept as written
        self.r.photo, self.r.photo_type = photo
        return True

    # -- dates beside the birthday, and relationships (rolo.core.relations) ----------------------------
    def add_date(self, label: str, value: str) -> bool | None:
        # Apple's built-in labels, however spelled (`Anniversary`), read as the book's own
        entry = DateEntry(label.lower() if label.lower() in ("anniversary", "other") else label, value)
        if entry not in self.r.dates:
            self.r.dates.append(entry)
        return True

    def alone(self, p: _Prop) -> bool:
        """Whether a grouped property is the only one of its group besides an X-ABLabel."""
        return not p.group or p.group.upper() not in self.shared_groups

    def anniversary(self, p: _Prop) -> bool | None:
        """ANNIVERSARY (4.0) and the X- properties older writers use for it; a date with a time of day, or
        text, is kept as written (the book keeps days)."""
        if not p.value.strip():
            return None
        text = "TEXT" in (v.upper() for v in p.params.get("VALUE", []))
        value = _birthday(p) if not text and "T" not in p.value else None
        return False if value is None else self.add_date("anniversary", value)

    def abdate(self, p: _Prop) -> bool | None:
        """Apple's itemN.X-ABDATE, its kind in the group's X-ABLabel (`_$!<Anniversary>!$_`, or any text);
        one sharing its group with another property, or with a time of day, is kept as written."""
        value = _birthday(p) if self.alone(p) and "T" not in p.value else None
        if value is None:
            return False if p.value.strip() else None
        return self.add_date(self.label(p, None) or "other", value)

    def add_related(self, kind: str, uid: str | None, name: str | None) -> bool | None:
        entry = RelatedEntry(normal_kind(kind), uid or None, name or None)
        if entry.uid is None and entry.name is None:
            return None
        if entry not in self.r.related:
            self.r.related.append(entry)
        return True

    def related(self, p: _Prop) -> bool | None:
        """4.0 RELATED: a urn:uuid: (a contact's uid; rolo writes the name in X-ROLO-FN), or a name
        (VALUE=text, with rolo's X-ROLO-UID); its kind is rolo's X-ROLO-KIND, else the first TYPE. Another URI
        (http:, mailto:) is kept as written."""
        value = unescape(p.value).strip()
        kind = next((v for v in p.params.get("X-ROLO-KIND", []) if v.strip()), None)
        types = [t.lower().removeprefix("x-") for t in p.types if t.lower() != "pref"]
        if len(types) > 1 and kind is None:
            return False  # the book keeps one kind a link: several TYPEs stay as written
        kind = kind or (types[0] if types else "contact")
        uid = next((v.strip() for v in p.params.get("X-ROLO-UID", []) if v.strip()), None)
        declared = [v.upper() for v in p.params.get("VALUE", [])]
        if "TEXT" in declared or (":" not in value and "URI" not in declared):
            return self.add_related(kind, uid, value)
        if value.lower().startswith("urn:uuid:"):
            name = next((v.strip() for v in p.params.get("X-ROLO-FN", []) if v.strip()), None)
            return self.add_related(kind, value[len("urn:uuid:"):], name)
        return False

    def related_name(self, p: _Prop) -> bool | None:
        """Apple's itemN.X-ABRELATEDNAMES: a name, its kind the group's X-ABLabel (`_$!<Spouse>!$_`); one
        sharing its group with another property is kept as written."""
        if not self.alone(p):
            return False
        uid = next((v.strip() for v in p.params.get("X-ROLO-UID", []) if v.strip()), None)
        name = unescape(p.value).strip()
        return self.add_related(self.label(p, None) or "other", uid, None if name == uid else name)

    def named_relation(self, p: _Prop) -> bool | None:
        """X-SPOUSE, X-EVOLUTION-MANAGER...: one relation, by name (unless a custom field has that name)."""
        if field_key(p.name[2:]) in self.fields:
            return self.other(p)
        return self.add_related(NAMED_PROPERTIES[p.name], None, unescape(p.value).strip())

    def android(self, p: _Prop) -> bool | None:
        """Android's X-ANDROID-CUSTOM rows for events (anniversaries, custom dates) and relations."""
        parts = [unescape(x) for x in split_escaped(p.value, ";")] + [""] * 4
        kind, data, type_, label = parts[0].strip(), parts[1].strip(), parts[2].strip(), parts[3].strip()
        if kind == "vnd.android.cursor.item/contact_event" and type_ != "3":  # 3: the birthday, as BDAY
            value = _birthday(_Prop("", None, "X", {}, value=data)) if data else None
            if value is None:
                return False
            return self.add_date({"1": "anniversary", "2": "other"}.get(type_) or label or "other", value)
        if kind == "vnd.android.cursor.item/relation" and data:
            return self.add_related(ANDROID_TYPES.get(type_) or label or "other", None, data)
        return False

    def other(self, p: _Prop) -> bool | None:
        name = self.fields.get(field_key(p.name[2:])) if p.name.startswith("X-") else None
        if name is None:
            return False
        value = unescape(p.value).strip()
        if value:
            current = self.r.custom_fields.get(name)
            if current is None:
                self.r.custom_fields[name] = value
            else:
                self.r.custom_fields[name] = [*(current if isinstance(current, list) else [current]), value]
        return None


# -- writing (rolo.core.vcard_export) ---------------------------------------------------------------------


def export_card(record: ContactRecord, version: str = "3.0") -> str:
    """The record as a vCard 3.0 or 4.0 (see rolo.core.vcard_export.export_card)."""
    from rolo.core.vcard_export import export_card as export

    return export(record, version)


def log_source_key(at: str, text: str) -> str:
    """The source key of a notes-log entry read from a vCard with no X-SOURCE: `vcard:<time>:<hash>`, the
    same for the same entry in any file, so the unique (contact, source key) index stores it once."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"vcard:{at}:{digest}"
