"""Hypothesis strategies for vCard-ish input: the real cards of ../shared/vcards mutated (bytes inserted,
lines cut, doubled, swapped, folded, re-ended), and cards built from generated properties, parameters,
encodings, folding and junk bytes. Also the check every imported input must pass."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import strategies as st

SHARED_VCARDS = Path(__file__).resolve().parents[3] / "shared" / "vcards"
SOAK = os.environ.get("ROLO_SOAK") == "1"
EXAMPLES = 2000 if SOAK else 100


def _seeds() -> list[bytes]:
    files = sorted(SHARED_VCARDS.glob("*.vcf")) if SHARED_VCARDS.is_dir() else []
    small = [p.read_bytes() for p in files if p.stat().st_size < 64_000]
    return small or [b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nEND:VCARD\r\n"]


SEEDS = _seeds()

NAMES = ["FN", "N", "EMAIL", "TEL", "ADR", "ORG", "TITLE", "BDAY", "NOTE", "URL", "UID", "REV", "CATEGORIES",
         "NICKNAME", "PHOTO", "LABEL", "X-ROLO-LOG", "X-TIER", "X-ABLabel", "item1.EMAIL", "item1.X-ABLabel",
         "KIND", "MEMBER", "VERSION", "BEGIN", "END", "AGENT", "X-ANDROID-CUSTOM", "GEO", "TZ", "LOGO", "SOUND"]
PARAMS = ["TYPE=work", "TYPE=HOME,PREF", "TYPE=cell", "PREF=1", "ENCODING=QUOTED-PRINTABLE", "ENCODING=b",
          "ENCODING=BASE64", "CHARSET=UTF-8", "CHARSET=Shift_JIS", "CHARSET=bogus", "VALUE=uri", "VALUE=date",
          "X-AT=2026-12-03T08:44:14Z", 'X-AT="not a time"', "LANGUAGE=fr", "WORK", "INTERNET", "TYPE=",
          '"quoted;colon:"', "=", "TYPE=\"a,b\""]
LINE_ENDS = ["\r\n", "\n", "\r", "\r\r\n"]

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_junk = st.binary(max_size=24)


@st.composite
def properties(draw: st.DrawFn) -> bytes:
    """One content line: a name, parameters, a value; sometimes folded, sometimes junk."""
    name = draw(st.sampled_from(NAMES) | st.from_regex(r"[A-Za-z0-9.\-]{0,12}", fullmatch=True))
    params = draw(st.lists(st.sampled_from(PARAMS) | _text, max_size=3))
    value = draw(_text | st.sampled_from(["=0D=0A=C3=A9=", "2026-02-30", "--12-10", "19840619", ";;;;", "\\n\\,\\;",
                                          "TWFuIGlzIGRpc3Rpbmd1aXNoZWQ=", "data:image/png;base64,iVBOR", "a@b"]))
    line = ";".join([name, *params]) + ":" + value
    data = line.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and len(data) > 4:  # folded somewhere, perhaps inside a multi-byte character
        cut = draw(st.integers(1, len(data) - 1))
        data = data[:cut] + b"\r\n" + draw(st.sampled_from([b" ", b"\t", b""])) + data[cut:]
    if draw(st.integers(0, 9)) == 0:
        data += draw(_junk)
    return data


@st.composite
def built_cards(draw: st.DrawFn) -> bytes:
    """A file of generated cards (versions, line ends, BEGIN/END sometimes missing or nested)."""
    end = draw(st.sampled_from(LINE_ENDS)).encode()
    out = []
    for _ in range(draw(st.integers(1, 4))):
        lines = [b"BEGIN:VCARD"] if draw(st.integers(0, 9)) else []
        lines.append(b"VERSION:" + draw(st.sampled_from([b"2.1", b"3.0", b"4.0", b"5.0", b""])))
        lines += draw(st.lists(properties(), max_size=12))
        if draw(st.integers(0, 9)):
            lines.append(draw(st.sampled_from([b"END:VCARD", b"end:vcard", b"END:VCARD "])))
        out.append(end.join(lines) + end)
    return b"".join(out)


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A real card file with a few mutations."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "delete", "line", "double", "swap", "truncate", "ends", "prop",
                                     "nest", "recode", "card-again"]))
        at = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[at:at] = draw(_junk | st.sampled_from([b"\r\n ", b"\x00", b"\xff\xfe", b"BEGIN:VCARD\r\n",
                                                         b"END:VCARD\r\n", b"=\r\n", b";", b":"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "nest":  # cards inside cards, several deep
            depth = draw(st.integers(1, 40))
            data[at:at] = b"BEGIN:VCARD\r\n" * depth + draw(properties()) + b"\r\n" + b"END:VCARD\r\n" * draw(
                st.integers(0, depth))
        elif kind == "recode":  # the same text in another encoding, with or without a BOM
            codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "cp1252",
                                          "shift_jis"]))
            data = bytearray(bytes(data).decode("utf-8", "replace").encode(codec, "replace"))
        elif kind == "card-again":  # a card repeated later in the file, perhaps changed
            cards = bytes(data).split(b"END:VCARD")
            if len(cards) > 1:
                card = draw(st.sampled_from(cards[:-1])) + b"END:VCARD\r\n"
                if draw(st.booleans()):
                    card = card.replace(b"FN:", b"FN:Changed ", 1)
                data += b"\r\n" + card
        elif kind == "ends":
            data = bytearray(bytes(data).replace(b"\r\n", draw(st.sampled_from(LINE_ENDS)).encode()))
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if kind == "line":
                lines[i] = lines[i].swapcase()
            elif kind == "double":
                lines.insert(i, lines[i])
            elif kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(i, draw(properties()) + b"\r")
            data = bytearray(b"\n".join(lines))
    return bytes(data)


vcard_inputs = mutated_seeds() | built_cards()


def check_import(result: object, path: Path) -> dict:
    """Every input is imported or refused with a reason: exit 0 (all imported) or 3 (some refused), one
    line per refused card, never a traceback or an internal error; the report as JSON."""
    code, stdout, stderr = result.exit_code, result.stdout, result.stderr  # type: ignore[attr-defined]
    exception = getattr(result, "exception", None)
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert code in (0, 3), f"exit {code}: {stderr}"
    assert "Traceback" not in stdout + stderr
    report = json.loads(stdout)
    for failure in report["failures"]:
        assert failure["reason"] and "\n" not in failure["reason"], failure
        assert "internal error" not in failure["reason"], failure
        assert failure["file"] == str(path), failure
    assert (code == 3) == bool(report["failures"]), report
    return report
