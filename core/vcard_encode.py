"""One kept content line, re-encoded for the vCard version it is written in (3.0 or 4.0).

rolo keeps what it does not model as the card's own lines (`ContactRecord.extras`). Those lines come from
2.1, 3.0 and 4.0 writers, and strict readers (vobject, ical.js, khard) refuse a 3.0/4.0 file that carries
2.1 syntax. `encode_line` writes one such line the way the target version spells it:

- quoted-printable and CHARSET: the value is decoded (rolo reads every file as Unicode) and written as
  UTF-8 text with 3.0/4.0 escaping; CHARSET, an unknown charset name included, is dropped;
- bare 2.1 parameters (`X-MS-TEL;VOICE;CALLBACK`) become `TYPE=VOICE,CALLBACK`; bare `BASE64` an ENCODING;
- inline binary data (PHOTO, LOGO, SOUND, KEY): `ENCODING=b` in 3.0, a `data:` URI in 4.0;
- an invalid group or property name (`X-messaging/gadu-All`, `X_FOO`, `FOO_BAR`) is written under a valid
  X- name (`X-messaging-gadu-All`, `X-FOO`, `X-FOO-BAR`), the original name in `X-ROLO-NAME`;
- a value invalid for the version goes where it is valid: a BDAY that is no date (`circa 1800`) as
  `BDAY;VALUE=text` in 4.0 and as `X-BDAY;X-ROLO-NAME=BDAY` in 3.0 (3.0 has no text BDAY); 4.0's
  ANNIVERSARY and DEATHDATE likewise; a 3.0 TZ that is no UTC offset gets `VALUE=text`; GEO is `lat;lon`
  in 3.0 and a `geo:` URI in 4.0; base64 data that does not decode is kept as written under an X- name,
  its ENCODING in `X-ROLO-ENCODING`, since any reader would fail to decode it.

`X-ROLO-NAME` and `X-ROLO-ENCODING` are read back by rolo (`original_name`), so a rolo export re-imported
gives the same book, and exporting it again in the other version writes the property under its own name
where that version allows it.

A line that needs none of this is returned as it was (spaces around its parameters trimmed). The importer
keeps such lines as 3.0 writes them (`encode_line(raw, "3.0")`, with `from_21` for a 2.1 card's commas),
so the book holds one spelling whatever the source's version. The shadow helpers (`as_shadow`,
`entry_shadow`, `is_shadow`, `unshadow`) mark the lines of modelled properties kept beside their values
(see rolo.core.vcard_export).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from rolo.core.vcard_repair import decode_base64, decode_quoted_printable, split_head, split_params

SHADOW = "X-ROLO-SHADOW"  # marks a modelled property's line kept as written (see rolo.core.vcard_export)
_SHADOW_PARAM = ";" + SHADOW + "=1"
ORIGINAL_NAME = "X-ROLO-NAME"  # the property name a line had before it was renamed to a valid X- name
ORIGINAL_ENCODING = "X-ROLO-ENCODING"  # its ENCODING, when its data does not decode

_VALID_NAME = re.compile(r"[A-Za-z0-9-]+")
_INVALID_CHARS = re.compile(r"[^A-Za-z0-9-]+")
_BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}
_DATES = {"BDAY", "ANNIVERSARY", "DEATHDATE"}  # date-and-or-time in 4.0; only BDAY exists in 3.0
# ISO 8601 as vCard writes dates and times, basic or extended: 1980-03-15, 19800315, --0315, ---15,
# 1980-03-15T10:30:00Z, T1030, 1953-10-15T23:10:00+01:00.
_DATE_OR_TIME = re.compile(
    r"(?:\d{4}(?:-?\d\d(?:-?\d\d)?)?|--\d\d(?:-?\d\d)?|---\d\d)?"
    r"(?:T\d\d(?::?\d\d(?::?\d\d(?:[.,]\d+)?)?)?(?:Z|[+-]\d\d(?::?\d\d)?)?)?")
_ISO = re.compile(r"(?:(\d{4})-?(\d\d)-?(\d\d)|--(\d\d)-?(\d\d)|---(\d\d))?"
                  r"(?:T(\d\d)(?::?(\d\d))?(?::?(\d\d))?([.,]\d+)?(Z|[+-]\d\d(?::?\d\d)?)?)?")
_UTC_OFFSET = re.compile(r"[+-]\d\d(?::?\d\d)?")
_GEO_URI = re.compile(r"geo:([+-]?\d+(?:\.\d+)?),([+-]?\d+(?:\.\d+)?)(?:[,;].*)?", re.IGNORECASE)
_GEO_PAIR = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*[;,]\s*([+-]?\d+(?:\.\d+)?)")
# Media types for the TYPE values 2.1 and 3.0 write on inline data.
MEDIA_TYPES = {"JPEG": "image/jpeg", "JPG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
               "BMP": "image/bmp", "TIFF": "image/tiff", "WEBP": "image/webp", "HEIC": "image/heic",
               "WAVE": "audio/wav", "WAV": "audio/wav", "MP3": "audio/mpeg", "MPEG": "audio/mpeg",
               "OGG": "audio/ogg", "AAC": "audio/aac", "X509": "application/pkix-cert",
               "PGP": "application/pgp-keys"}
_DATA_URI = re.compile(r"data:([\w.+-]+/[\w.+-]+)?;base64,", re.IGNORECASE)
_UNKNOWN_MEDIA = "application/octet-stream"


@dataclass
class _Line:
    """A content line taken apart: parameters keep their text as written until one of them is changed."""

    group: str | None
    name: str
    params: list[tuple[str, str]] = field(default_factory=list)  # (NAME as written, raw value text)
    value: str = ""

    def get(self, key: str) -> list[str]:
        return [v for k, raw in self.params if k.upper() == key for v in _param_values(raw)]

    def pop(self, key: str) -> list[str]:
        values = self.get(key)
        self.params = [(k, raw) for k, raw in self.params if k.upper() != key]
        return values

    def set(self, key: str, values: list[str]) -> None:
        self.pop(key)
        if values:
            self.params.append((key, ",".join(_quote(v) for v in values)))

    def text(self) -> str:
        head = (self.group + "." if self.group else "") + self.name
        return head + "".join(f";{k}={raw}" for k, raw in self.params) + ":" + self.value


def encode_line(raw: str, version: str, *, from_21: bool = False) -> str:
    """The kept line `raw` as vCard `version` (3.0 or 4.0) writes it (see the module docstring).

    `from_21`: the line comes from a 2.1 card, where a comma is a plain character (3.0 escapes it)."""
    line = _parse(raw)
    if line is None:
        return raw
    if from_21 and "," in line.value:
        line.value = re.sub(r"(?<!\\),", r"\\,", line.value)
    v4 = version == "4.0"
    qp, encoding, charset = False, None, None
    restored = line.pop(ORIGINAL_NAME)
    if restored:
        line.name = restored[0]
    if line.get(ORIGINAL_ENCODING):
        line.set("ENCODING", line.pop(ORIGINAL_ENCODING))
    for value in line.pop("ENCODING"):
        upper = value.upper()
        qp = qp or upper == "QUOTED-PRINTABLE"
        encoding = "b" if upper in ("B", "BASE64") else encoding
    if charsets := line.pop("CHARSET"):
        charset = charsets[0]
    if qp:  # decoded text: its commas and line breaks escaped (the 2.1 ones included)
        line.value = _escape_text(decode_quoted_printable(line.value, charset))
    upper = line.name.upper()
    renamed = False
    if encoding:
        renamed = not _encode_binary(line, v4)
    elif upper in _BINARY and not v4 and _DATA_URI.match(line.value):
        renamed = not _data_uri_as_base64(line)
    if upper in _DATES and not renamed:
        renamed = not _date_value(line, upper, v4)
    elif upper == "TZ" and not _UTC_OFFSET.fullmatch(line.value.strip()):  # an empty one too
        if v4 and [v.lower() for v in line.get("VALUE")] == ["text"]:
            line.pop("VALUE")  # text is 4.0's default: the same line as from a 3.0 card without it
        elif not v4 and not line.get("VALUE"):
            line.set("VALUE", ["text"])
    elif upper == "GEO":
        _geo_value(line, v4)
    if renamed or not _VALID_NAME.fullmatch(line.name):
        _rename(line, restored[0] if restored else line.name)
    if line.group and not _VALID_NAME.fullmatch(line.group):
        line.group = _INVALID_CHARS.sub("-", line.group).strip("-") or None
    line.params = [(_INVALID_CHARS.sub("-", k), raw) for k, raw in line.params]
    return line.text()


def as_shadow(raw: str) -> str:
    """The line marked as a shadow: `N;SORT-AS=x:...` -> `N;X-ROLO-SHADOW=1;SORT-AS=x:...`."""
    cut = min((i for i in (raw.find(";"), raw.find(":")) if i >= 0), default=len(raw))
    return raw[:cut] + _SHADOW_PARAM + raw[cut:]


def entry_shadow(raw: str, value: list[str | None]) -> str:
    """The shadow of an EMAIL/TEL/ADR/URL line: its group, parameters but TYPE and PREF=1 (the book keeps
    them as the entry's label and primary flag), and `value`, the entry's value (its components) as read,
    so the shadow holds only what the book does not and reads the same from any of rolo's exports."""
    line = _parse(raw)
    if line is None:
        return as_shadow(raw)
    line.value = ";".join(_escape_text(v or "").replace(";", "\\;") for v in value)
    kept = [(k, raw_value) for k, raw_value in line.params if k.upper() != "TYPE"
            and not (k.upper() == "PREF" and _param_values(raw_value) == ["1"])]
    line.params = [(k.upper(), ",".join(_quote(v) for v in _param_values(value))) for k, value in kept]
    return as_shadow(line.text())


def is_shadow(raw: str) -> bool:
    """Whether a kept line is a shadow (`as_shadow`)."""
    return _SHADOW_PARAM in raw and (parts := split_head(raw)) is not None and _SHADOW_PARAM in parts[0]


def unshadow(raw: str) -> str:
    """The shadow's line as written, without its mark."""
    return raw.replace(_SHADOW_PARAM, "", 1)


def iso_form(value: str, basic: bool) -> str:
    """A vCard date, date-time or time in ISO 8601 basic (4.0: 19531015T231000Z) or extended form (3.0:
    1953-10-15T23:10:00Z); anything else as it is."""
    match = _ISO.fullmatch(value.strip())
    if match is None:
        return value
    year, month, day, nomonth, noday, onlyday, hour, minute, second, fraction, zone = match.groups()
    dash, colon = ("", "") if basic else ("-", ":")
    if year:
        date = dash.join([year, month, day])
    elif nomonth:
        date = "--" + dash.join([nomonth, noday])
    else:
        date = "---" + onlyday if onlyday else ""
    time = ""
    if hour:
        time = "T" + colon.join(x for x in (hour, minute, second) if x) + (fraction or "")
        if zone and zone != "Z":
            zone = zone[:3] + (colon + zone[-2:] if len(zone.replace(":", "")) == 5 else "")
        time += zone or ""
    return date + time


def original_name(name: str, params: dict[str, list[str]]) -> str:
    """The property name a read line stands for: its X-ROLO-NAME when rolo renamed it on export."""
    restored = params.get(ORIGINAL_NAME)
    return restored[0].strip().upper() if restored and restored[0].strip() else name


# -- the pieces ------------------------------------------------------------------------------------------


def _parse(raw: str) -> _Line | None:
    parts = split_head(raw)
    if parts is None:
        return None
    head, value = parts
    segments = split_params(head)
    group, _, name = segments[0].strip().rpartition(".")
    line = _Line(group or None, name, [], value)
    types: list[str] = []
    for segment in segments[1:]:
        key, eq, rest = segment.strip().partition("=")
        if not eq:  # a bare 2.1 parameter: a type, or an encoding
            bare = key.strip().upper()
            if bare in ("QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"):
                line.params.append(("ENCODING", bare))
            elif bare:
                types.append(key.strip())
            continue
        line.params.append((key.strip(), rest.strip()))
    if types:
        line.params.append(("TYPE", ",".join(types)))
    return line


def _param_values(raw: str) -> list[str]:
    values, current, quoted = [], [], False
    for ch in raw:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            values.append("".join(current))
            current = []
        else:
            current.append(ch)
    values.append("".join(current))
    return [v.strip() for v in values if v.strip()]


def _quote(value: str) -> str:
    value = value.replace('"', "'")  # no escape for a double quote exists in 3.0
    return f'"{value}"' if re.search(r"[;:,]", value) else value  # quoted where vobject quotes too


def _escape_text(text: str) -> str:
    """Decoded text as a 3.0/4.0 value: backslash, line breaks and commas escaped; semicolons stay, since
    they may separate the components of a structured value (a 2.1 writer escapes a literal one itself)."""
    text = re.sub(r"\\(?!;)", r"\\\\", text)
    return text.replace("\r\n", "\n").replace("\n", "\\n").replace(",", "\\,")


def _encode_binary(line: _Line, v4: bool) -> bool:
    """Inline data as the version writes it; False when the data does not decode (the caller renames)."""
    value = line.value.strip()
    if uri := _DATA_URI.match(value):  # some 3.0 writers put a data: URI after ENCODING=b
        value = value[uri.end() :]
        if uri[1]:
            line.set("TYPE", [*line.get("TYPE"), uri[1]])
    data = decode_base64(value)
    if data is None:
        line.set(ORIGINAL_ENCODING, ["b"])
        return False
    payload = base64.b64encode(data).decode("ascii")
    types = line.get("TYPE")
    media = next((MEDIA_TYPES[t.upper()] for t in types if t.upper() in MEDIA_TYPES), None)
    media = media or next((t.lower() for t in types if "/" in t), None) or _sniff(data)
    rest = [t for t in types if t.upper() not in MEDIA_TYPES and "/" not in t]
    if v4:
        line.set("TYPE", rest)
        line.value = f"data:{media};base64,{payload}"
    else:  # the media type as 3.0's TYPE token, so a 4.0 export read back gives the same line
        line.set("TYPE", [*rest, _media_token(media)] if media != _UNKNOWN_MEDIA else rest)
        line.set("ENCODING", ["b"])
        line.value = payload
    return True


def _data_uri_as_base64(line: _Line) -> bool:
    """A 4.0 `data:` URI as 3.0's ENCODING=b with its media type as TYPE (JPEG for image/jpeg)."""
    match = _DATA_URI.match(line.value)
    if match is None or decode_base64(line.value[match.end() :]) is None:
        return True  # kept as the URI it is: 3.0 readers take a URI value too
    return _encode_binary(line, False)


def _media_token(media: str) -> str:
    """3.0's TYPE token for a media type: JPEG for image/jpeg."""
    media = media.lower()
    return next((k for k, v in MEDIA_TYPES.items() if v == media), media.rpartition("/")[2].upper())


def _date_value(line: _Line, name: str, v4: bool) -> bool:
    """A date property's value for the version; False when it has to go under an X- name."""
    value = line.value.strip()
    is_date = bool(value) and _DATE_OR_TIME.fullmatch(value) is not None
    text_value = [v.lower() for v in line.get("VALUE")] == ["text"]
    if is_date:
        line.value = iso_form(value, basic=v4)
    if v4:
        if not is_date and not text_value:
            line.set("VALUE", ["text"])
        return True
    if text_value and not is_date:
        line.pop("VALUE")  # the same line either way: 4.0 gets VALUE=text back
    # 3.0 has no text BDAY; ANNIVERSARY and DEATHDATE are X- properties to it, where any value will do.
    return is_date or not value or name != "BDAY"


def _geo_value(line: _Line, v4: bool) -> None:
    value = line.value.strip()
    if v4:
        if pair := _GEO_PAIR.fullmatch(value):
            line.value = f"geo:{pair[1]},{pair[2]}"
    elif pair := _GEO_URI.fullmatch(value) or _GEO_PAIR.fullmatch(value):
        line.value = f"{pair[1]};{pair[2]}"
        line.pop("VALUE")


def _rename(line: _Line, original: str) -> None:
    cleaned = _INVALID_CHARS.sub("-", original).strip("-") or "PROPERTY"
    line.name = cleaned if cleaned[:2].upper() == "X-" else "X-" + cleaned
    line.params.insert(0, (ORIGINAL_NAME, _quote(original)))


def _sniff(data: bytes) -> str:
    for magic, mime in ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                        (b"GIF8", "image/gif"), (b"BM", "image/bmp")):
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF":
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    return _UNKNOWN_MEDIA
