"""Every real-world card survives `rolo import` then `rolo export`, property by property.

For each file of ../shared/vcards: import it with the real CLI into a fresh book, export the book as one
vCard file in 3.0 and in 4.0, read the ORIGINAL and both EXPORTS with the reference reader in
tests/core/vcard_reference.py (independent of rolo's own reader), and compare the cards as multisets of
items: N, FN, NICKNAME, ORG, TITLE, BDAY, NOTE, CATEGORIES (a set of labels), EMAIL/TEL/ADR/URL with their
type sets (case-insensitive, `pref` folded), PHOTO (decoded bytes) and every other property (name and
value). An original item must come back exactly, or changed only by one of the named normalisations in
`EXCEPTIONS`, each tested on its own below; anything else is LOST, and the suite allows none.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import pytest
import vobject  # type: ignore[import-untyped]
from conftest import SHARED_VCARDS, Rolo, vcard_corpus
from rolo.core.relations import ANDROID_TYPES, APPLE_LABELS, NAMED_PROPERTIES, normal_kind, rfc_type
from vcard_reference import TYPED, Card, Item, card_items, read_cards

VERSIONS = ("3.0", "4.0")
# The only cards rolo refuses, and why (tests/core/test_vcard.py checks the same from the reader's side).
REFUSED = {
    "eds__7.vcf": "no BEGIN:VCARD",
    "eds__8.vcf": "END:VCARD missing",
    "khard__unparsable.vcf": "END:VCARD missing",
}


# -- the named normalisations ------------------------------------------------------------------------------


class Context(NamedTuple):
    """What a normalisation may look at besides the item: the export's version and the whole original card."""

    version: str
    card: tuple[Item, ...]


class Normalisation(NamedTuple):
    """A legitimate change between original and export.

    `rewrite(item, context)` returns the item as the export is expected to hold it, None when the export is
    expected not to hold it at all, or the item itself (unchanged) when the normalisation does not apply.
    `shared`: several original items may come back as one export item (NOTEs joined into one).
    """

    rewrite: Callable[[Item, Context], Item | None]
    why: str
    shared: bool = False


def _drop_types(item: Item, drop: dict[str, set[str]]) -> Item:
    gone = item.types & drop.get(item.name, set())
    return replace(item, types=item.types - gone) if gone else item


_TOKEN = re.compile(r"[a-z0-9-]+")
_APPLE_LABEL = re.compile(r"_\$!<(.*)>!\$_")


def _label_as_type(item: Item, _: Context) -> Item:
    if item.name not in TYPED or not item.label:
        return item
    match = _APPLE_LABEL.fullmatch(item.label)
    words = (match[1].lower() if match else item.label).split(" ")
    if not all(_TOKEN.fullmatch(w) for w in words):
        return item
    kinds = {"cell" if item.name == "TEL" and w == "mobile" else w for w in words}
    return replace(item, types=item.types | kinds, label=None)


def _type_as_label(item: Item, _: Context) -> Item:
    odd = [t for t in item.types if not _TOKEN.fullmatch(t)]
    if item.name not in TYPED or item.label or len(odd) != 1:
        return item
    return replace(item, types=item.types - {odd[0]}, label=odd[0])


def _label_wins(item: Item, _: Context) -> Item:
    if item.name not in TYPED or not item.label or not item.types - {"pref"}:
        return item
    return replace(item, types=item.types & {"pref"})


def _tel_uri(item: Item, _: Context) -> Item:
    if item.name == "TEL" and isinstance(item.value, str) and item.value[:4].lower() == "tel:":
        return replace(item, value=item.value[4:])
    return item


def _join_extra_components(item: Item, _: Context) -> Item:
    size = {"N": 5, "ADR": 7}.get(item.name)
    if size is None or len(item.value) <= size:
        return item
    head, tail = item.value[: size - 1], item.value[size - 1 :]
    if item.name == "N":  # components are lists; 2.1's are one item each
        return replace(item, value=(*head, (";".join(x for c in tail for x in c if x),)))
    return replace(item, value=(*head, ";".join(x for x in tail if x)))


def _drop_empty_org_units(item: Item, _: Context) -> Item:
    if item.name != "ORG" or all(item.value[1:]):
        return item
    return replace(item, value=(item.value[0], *(u for u in item.value[1:] if u)))


def _map_text(item: Item, change: Callable[[str], str]) -> Item:
    def walk(value: object) -> object:
        if isinstance(value, str):
            return change(value)
        if isinstance(value, tuple):
            return tuple(walk(v) for v in value)
        return value

    return replace(item, value=walk(item.value))


def _trim(item: Item, _: Context) -> Item:
    return item if item.name == "NOTE" else _map_text(item, str.strip)


def _lf(item: Item, _: Context) -> Item:
    return _map_text(item, lambda text: text.replace("\r\n", "\n").replace("\r", "\n"))


def _join_notes(item: Item, context: Context) -> Item:
    notes = [i.value for i in context.card if i.name == "NOTE"]
    if item.name != "NOTE" or len(notes) < 2:
        return item
    return replace(item, value="\n".join(notes))


_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})|--(\d{2})-?(\d{2})")


_TIME = re.compile(r"T(\d\d)(?::?(\d\d))?(?::?(\d\d))?(Z|[+-]\d\d(?::?\d\d)?)?")


def _bday_form(item: Item, context: Context) -> Item:
    if item.name not in ("BDAY", "ANNIVERSARY", "DEATHDATE") or not isinstance(item.value, str):
        return item
    day, _, time = item.value.partition("T")
    match = _DATE.fullmatch(day)
    clock = _TIME.fullmatch("T" + time) if time else None
    if match is None or (time and clock is None):
        return item
    year, month, day = match[1], match[2] or match[4], match[3] or match[5]
    sep, colon = ("", "") if context.version == "4.0" else ("-", ":")
    value = f"{year}{sep}{month}{sep}{day}" if year else f"--{month}{sep}{day}"
    if clock:
        hour, minute, second, zone = clock.groups()
        value += "T" + colon.join(x for x in (hour, minute, second) if x)
        if zone and zone != "Z":
            digits = zone[1:].replace(":", "")
            zone = zone[0] + digits[:2] + (colon + digits[2:] if digits[2:] else "")
        value += zone or ""
    return replace(item, value=value)


def _bday_1604(item: Item, _: Context) -> Item:
    match = _DATE.fullmatch(item.value) if item.name == "BDAY" else None
    if match is None or match[1] != "1604":
        return item
    return replace(item, value=f"--{match[2]}-{match[3]}")


def _kind_name(item: Item, context: Context) -> Item:
    if item.name not in ("KIND", "X-ADDRESSBOOKSERVER-KIND"):
        return item
    return replace(item, name="KIND" if context.version == "4.0" else "X-ADDRESSBOOKSERVER-KIND",
                   value=item.value.strip().lower())


def _omit(name: str, value: str | None = None) -> Callable[[Item, Context], Item | None]:
    def rewrite(item: Item, _: Context) -> Item | None:
        matches = item.name == name and (value is None or str(item.value).strip().lower() == value)
        return None if matches else item

    return rewrite


def _decode_unmarked_photo(item: Item, _: Context) -> Item:
    if item.name != "PHOTO" or not isinstance(item.value, str):
        return item
    try:
        data = base64.b64decode(re.sub(r"\s+", "", item.value), validate=True)
    except ValueError:
        return item
    return replace(item, value=data) if data[:3] == b"\xff\xd8\xff" or data[:4] == b"\x89PNG" else item


_VALID_NAME = re.compile(r"[A-Z0-9-]+")
_GEO = re.compile(r"(?:geo:)?([+-]?[\d.]+)[,;]([+-]?[\d.]+)", re.IGNORECASE)


def _x_name(item: Item, _: Context) -> Item:
    if _VALID_NAME.fullmatch(item.name):
        return item
    cleaned = re.sub(r"[^A-Z0-9-]+", "-", item.name).strip("-")
    return replace(item, name=cleaned if cleaned.startswith("X-") else "X-" + cleaned)


def _undecodable_as_x(item: Item, _: Context) -> Item:
    if item.name not in ("PHOTO", "LOGO", "SOUND", "KEY") or not isinstance(item.value, str) \
            or not re.fullmatch(r"[A-Za-z0-9+/=:\s]+", item.value) or "://" in item.value:
        return item
    return replace(item, name="X-" + item.name)


def _geo_form(item: Item, context: Context) -> Item:
    match = _GEO.fullmatch(item.value) if item.name == "GEO" and isinstance(item.value, str) else None
    if match is None:
        return item
    lat, lon = match.groups()
    return replace(item, value=f"geo:{lat},{lon}" if context.version == "4.0" else f"{lat};{lon}")


def _broken_utf8(item: Item, _: Context) -> Item:
    def fix(text: str) -> str:
        try:
            fixed = text.encode("cp1252").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return text
        # mojibake only when real characters come out of it, not only replacement characters
        return fixed if any(not c.isascii() and c != "\ufffd" for c in fixed) else text

    return _map_text(item, fix)


_ANNIVERSARY_NAMES = {"ANNIVERSARY", "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-KADDRESSBOOK-X-ANNIVERSARY",
                      "X-MS-ANNIVERSARY"}
_DAY = re.compile(r"(?:(\d{4})|--)-?(\d{2})-?(\d{2})")


def _apple(label: str, built_in: frozenset[str]) -> str:
    return f"_$!<{label.title()}>!$_" if label.lower() in built_in else label


def _unwrapped(label: str | None) -> str | None:
    match = _APPLE_LABEL.fullmatch(label or "")
    return match[1].lower() if match else label


def _modelled_date(item: Item) -> tuple[str, str] | None:
    """(label, YYYY-MM-DD or --MM-DD) of a date the book models, None for any other item."""
    value = item.value if isinstance(item.value, str) else ""
    if item.name == "X-ANDROID-CUSTOM" and value.startswith("vnd.android.cursor.item/contact_event;"):
        parts = value.split(";") + [""] * 4
        if parts[2] == "3":
            return None
        label, value = {"1": "anniversary", "2": "other"}.get(parts[2]) or parts[3] or "other", parts[1]
    elif item.name in _ANNIVERSARY_NAMES:
        label = "anniversary"
    elif item.name == "X-ABDATE":
        label = _unwrapped(item.label) or "other"
    else:
        return None
    match = _DAY.fullmatch(value.strip())
    if match is None:
        return None
    year = None if match[1] in (None, "1604") else match[1]
    return label, f"{year}-{match[2]}-{match[3]}" if year else f"--{match[2]}-{match[3]}"


def _dates_for_version(item: Item, context: Context) -> Item:
    found = _modelled_date(item)
    if found is None:
        return item
    label, value = found
    if context.version == "4.0" and label.lower() == "anniversary":
        first = next(d for i in context.card if (d := _modelled_date(i)) and d[0].lower() == "anniversary")
        if first == found:
            return Item("ANNIVERSARY", frozenset(), value.replace("-", "") if value[0] != "-" else
                        "--" + value[2:].replace("-", ""))
    return Item("X-ABDATE", frozenset(), value, _apple(label, frozenset({"anniversary", "other"})))


def _modelled_relation(item: Item) -> tuple[str, str] | None:
    """(kind, name or urn:uuid: value) of a relationship the book models, None for any other item."""
    value = item.value.strip() if isinstance(item.value, str) else ""
    if not value:
        return None
    if item.name == "RELATED" and len(item.types - {"pref"}) <= 1:
        kind = next(iter(item.types - {"pref"}), "contact")
        return kind.removeprefix("x-"), value
    if item.name == "X-ABRELATEDNAMES":
        return normal_kind(_unwrapped(item.label) or "other"), value
    if item.name in NAMED_PROPERTIES:
        return NAMED_PROPERTIES[item.name], value
    if item.name == "X-ANDROID-CUSTOM" and value.startswith("vnd.android.cursor.item/relation;"):
        parts = value.split(";") + [""] * 4
        return normal_kind(ANDROID_TYPES.get(parts[2]) or parts[3] or "other"), parts[1]
    return None


def _relations_for_version(item: Item, context: Context) -> Item:
    found = _modelled_relation(item)
    if found is None:
        return item
    kind, value = found
    if context.version == "4.0":
        return Item("RELATED", frozenset({rfc_type(kind)}), value)
    return Item("X-ABRELATEDNAMES", frozenset(), value.removeprefix("urn:uuid:"), _apple(kind, APPLE_LABELS))


# The legitimate differences between an original card and rolo's export of it, by name; every other
# difference is a lost property. One property may need up to three, applied in this order.
EXCEPTIONS: dict[str, Normalisation] = {
    "default type omitted": Normalisation(
        lambda item, _: _drop_types(item, {"EMAIL": {"internet"}, "TEL": {"voice"}}),
        "RFC 2426 makes INTERNET the default EMAIL type and VOICE the default TEL type: they say nothing"),
    "type dropped by vCard 4.0": Normalisation(
        lambda item, _: _drop_types(item, {"ADR": {"postal", "parcel", "dom", "intl"}, "TEL": {"msg"},
                                           "EMAIL": {"x400"}}),
        "RFC 6350 removed these delivery and capability types; the book keeps where and what, not how"),
    "URL pref dropped": Normalisation(
        lambda item, _: _drop_types(item, {"URL": {"pref"}}),
        "the book has no preferred website (UrlEntry has no primary flag)"),
    "X-ABLabel wins over TYPE": Normalisation(
        _label_wins,
        "a typed entry with its own X-ABLabel keeps the label, which Apple and Google show instead of TYPE"),
    "label written as TYPE": Normalisation(
        _label_as_type,
        "a label that is a token (Apple's _$!<HomePage>!$_ read as 'homepage') goes back as TYPE=homepage"),
    "type written as X-ABLabel": Normalisation(
        _type_as_label,
        "a TYPE value that is no token ('Both work and home', non-ASCII) can only go back as an X-ABLabel"),
    "TEL uri written as text": Normalisation(
        _tel_uri,
        "4.0 TEL;VALUE=uri:tel:+1... is stored as the number and exported as text, which 3.0 and 4.0 allow"),
    "extra components joined into the last": Normalisation(
        _join_extra_components,
        "a broken N/ADR with too many parts keeps the surplus in the last part, joined by ';'"),
    "empty ORG units dropped": Normalisation(
        _drop_empty_org_units,
        "ORG:Acme;;Sales and ORG:Acme; carry no unit in the empty places"),
    "NOTEs joined into one": Normalisation(
        _join_notes, "the book has one notes field: several NOTEs come back as one, joined by line breaks",
        shared=True),
    "surrounding whitespace trimmed": Normalisation(
        _trim, "values other than NOTE are stored stripped (QP exports often end a value with =20)"),
    "line breaks stored as LF": Normalisation(
        _lf, "a QP =0D=0A, or Thunderbird's bare CR, is a line break like 3.0's \\n: the book keeps LF"),
    "BDAY year 1604 means no year": Normalisation(
        _bday_1604, "Apple and Thunderbird CardBook write year 1604 for a birthday without a year"),
    "BDAY in the export version's ISO form": Normalisation(
        _bday_form, "dates and times (BDAY, ANNIVERSARY, DEATHDATE) are written 1980-03-15 / --03-15 / "
        "T10:30:00+01:00 in 3.0 and 19800315 / --0315 / T103000+0100 in 4.0"),
    "KIND spelled for the version": Normalisation(
        _kind_name, "4.0 KIND is X-ADDRESSBOOKSERVER-KIND in 3.0 (Apple's spelling), and the reverse"),
    "KIND individual omitted": Normalisation(
        _omit("KIND", "individual"), "individual is the default KIND; writing it says nothing"),
    "REV rewritten": Normalisation(
        _omit("REV"), "REV is when the book last changed the contact: the export writes the book's own"),
    "PRODID dropped": Normalisation(
        _omit("PRODID"), "PRODID names the program that wrote the file, which rolo now is"),
    "PROFILE dropped": Normalisation(
        _omit("PROFILE"), "PROFILE:VCard is an RFC 2425 directory header, not contact data"),
    "invalid name written as an X- name": Normalisation(
        _x_name, "a name no reader accepts (X-messaging/aim-All) is written X-messaging-aim-All, the original "
        "in X-ROLO-NAME"),
    "undecodable data written under an X- name": Normalisation(
        _undecodable_as_x, "base64 that does not decode is kept as written, as X-PHOTO (original name in "
        "X-ROLO-NAME), which no reader tries to decode"),
    "GEO written for the version": Normalisation(
        _geo_form, "GEO is lat;lon in 3.0 and a geo: URI in 4.0"),
    "broken UTF-8 of a QP value decoded as UTF-8": Normalisation(
        _broken_utf8, "a quoted-printable UTF-8 value cut inside a character is decoded as UTF-8 with one "
        "replacement character, not as cp1252 mojibake"),
    "dates written as the version writes them": Normalisation(
        _dates_for_version, "an anniversary or custom date (ANNIVERSARY, X-ANNIVERSARY, Evolution's, KDE's, "
        "Outlook's, Apple's X-ABDATE, Android's contact_event) is written as 4.0's ANNIVERSARY (the first "
        "anniversary) or Apple's itemN.X-ABDATE with its X-ABLabel (3.0 has no ANNIVERSARY); the same date "
        "twice is written once", shared=True),
    "relationships written as the version writes them": Normalisation(
        _relations_for_version, "a relationship (RELATED, Apple's X-ABRELATEDNAMES, X-SPOUSE and its kin, "
        "Android's relation rows) is written as 4.0's RELATED (the nearest RFC 6350 TYPE, rolo's kind in "
        "X-ROLO-KIND) or 3.0's Apple itemN.X-ABRELATEDNAMES with its X-ABLabel", shared=True),
    "unmarked base64 PHOTO decoded": Normalisation(
        _decode_unmarked_photo, "Thunderbird writes a JPEG's base64 without ENCODING=b; the export marks it"),
}


# -- comparing ---------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """The outcome of comparing one original card with its export in one version."""

    compared: int = 0
    normalised: list[tuple[Item, tuple[str, ...]]] = field(default_factory=list)
    lost: list[Item] = field(default_factory=list)


def _dedupe_categories(items: list[Item]) -> list[Item]:
    seen: set[Item] = set()
    out = []
    for item in items:
        if item.name == "CATEGORIES":
            if item in seen:
                continue
            seen.add(item)
        out.append(item)
    return out


def compare(original: list[Item], exported: list[Item], version: str) -> Comparison:
    """Match every original item with an export item: exactly first, then through the fewest normalisations
    (each of which must apply: one that leaves the item unchanged is not counted)."""
    original, exported = _dedupe_categories(original), _dedupe_categories(exported)
    result = Comparison(compared=len(original))
    pool = Counter(exported)
    present = set(exported)
    pending = []
    for item in original:
        if pool[item] > 0:
            pool[item] -= 1
        else:
            pending.append(item)
    context = Context(version, tuple(original))
    names = list(EXCEPTIONS)
    for item in pending:
        found = _normalised_match(item, context, names, pool, present)
        if found is None:
            result.lost.append(item)
        else:
            result.normalised.append((item, found))
    return result


def _normalised_match(item: Item, context: Context, names: list[str], pool: Counter, present: set[Item]
                      ) -> tuple[str, ...] | None:
    for size in range(1, 4):
        for combo in itertools.combinations(names, size):
            current: Item | None = item
            for name in combo:
                rewritten = None if current is None else EXCEPTIONS[name].rewrite(current, context)
                if current is None or rewritten == current:
                    break  # does not apply (or nothing left to rewrite): not this combination
                current = rewritten
            else:
                if current is None:
                    return combo
                if pool[current] > 0:
                    pool[current] -= 1
                    return combo
                if current in present and any(EXCEPTIONS[n].shared for n in combo):
                    return combo
    return None


def pair_cards(originals: list[Card], exported: list[Card]) -> list[tuple[Card, Card | None]]:
    """Each original card with its exported card: by UID when the original has one, else the exported card
    sharing the most items (rolo derives a UID for a card without one)."""
    def uid(card: Card) -> str | None:
        return next((str(p.value).strip() for p in card.props if p.name == "UID" and str(p.value).strip()),
                    None)

    left = list(exported)
    pairs: list[tuple[Card, Card | None]] = []
    for card in sorted(originals, key=lambda c: uid(c) is None):
        match = next((e for e in left if uid(card) is not None and uid(e) == uid(card)), None)
        if match is None and left:
            items = Counter(card_items(card))
            match = max(left, key=lambda e: sum((items & Counter(card_items(e))).values()))
        if match is not None:
            left.remove(match)
        pairs.append((card, match))
    return pairs


# -- running the corpus ------------------------------------------------------------------------------------

# Parameters rolo does not carry on the properties it models; reported, not compared (the issue compares
# values and types). Parameters that only spell encoding, charset, value type, type or preference are not
# counted.
_SPELLING_PARAMS = {"TYPE", "PREF", "ENCODING", "CHARSET", "VALUE"}


@dataclass
class FileResult:
    """One corpus file after the round trip."""

    name: str
    cards: int = 0
    compared: int = 0
    lost: list[str] = field(default_factory=list)  # one readable line per lost property and version
    normalised: dict[str, set[tuple[int, Item]]] = field(default_factory=dict)  # exception -> (card, item)
    params_dropped: Counter = field(default_factory=Counter)  # "N;SORT-AS" -> properties
    vobject_errors: dict[str, str] = field(default_factory=dict)  # version -> error


def _show(item: Item) -> str:
    value = f"<{len(item.value)} bytes>" if isinstance(item.value, bytes) else repr(item.value)
    types = f";TYPE={','.join(sorted(item.types))}" if item.types else ""
    label = f" (X-ABLabel {item.label!r})" if item.label else ""
    return f"{item.name}{types}:{value[:120]}{label}"


def round_trip(path: Path, rolo: Rolo) -> FileResult:
    """Import one corpus file into rolo's empty book, export the book in 3.0 and 4.0, and compare."""
    result = FileResult(path.name)
    run = rolo("import", str(path), "--json", ok=False)
    report = json.loads(run.stdout)
    originals = [c for c in read_cards(path.read_bytes()) if c.complete]
    refused = REFUSED.get(path.name)
    if refused:
        assert run.exit_code == 3 and [f["reason"] for f in report["failures"]] == [refused], report
    else:
        assert run.exit_code == 0 and report["failed"] == 0, report
    assert report["created"] == len(originals), report
    result.cards = len(originals)
    dropped: set[tuple[int, int, str]] = set()
    for version in VERSIONS:
        text = rolo("export", "--format", "vcf", "--vcard-version", version).stdout_bytes
        try:
            components = list(vobject.readComponents(text.decode("utf-8")))
            assert len(components) == len(originals)
        except (vobject.base.ParseError, ValueError) as exc:  # ValueError: binascii's, on bad base64
            result.vobject_errors[version] = f"{type(exc).__name__}: {exc}"
        exported = read_cards(text)
        assert len(exported) == len(originals) and all(c.complete for c in exported)
        for index, (card, back) in enumerate(pair_cards(originals, exported)):
            assert back is not None
            comparison = compare(card_items(card), card_items(back), version)
            result.lost += [f"{version}, card at line {card.line}: {_show(item)}" for item in comparison.lost]
            for item, names in comparison.normalised:
                for name in names:
                    result.normalised.setdefault(name, set()).add((index, item))
            if version == VERSIONS[0]:
                result.compared += comparison.compared
            kept = {(p.name, key, tuple(values)) for p in back.props for key, values in p.params}
            for number, prop in enumerate(card.props):
                for key, values in prop.params:
                    if key not in _SPELLING_PARAMS and (prop.name, key, tuple(values)) not in kept:
                        dropped.add((index, number, f"{prop.name};{key}"))
    result.params_dropped = Counter(name for _, _, name in dropped)
    return result


# -- the corpus ----------------------------------------------------------------------------------------------

NO_CORPUS = pytest.param(None, marks=pytest.mark.skip(reason=f"{SHARED_VCARDS} is absent"), id="no-corpus")
needs_corpus = pytest.mark.skipif(not SHARED_VCARDS.is_dir(), reason=f"{SHARED_VCARDS} is absent")
_RESULTS: dict[str, FileResult] = {}  # this process's results, for the summary


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in vcard_corpus()] or [NO_CORPUS])
def test_corpus_file_round_trips_without_loss(path: Path, rolo: Rolo) -> None:
    result = _RESULTS[path.name] = round_trip(path, rolo)
    assert not result.lost, "lost in the round trip:\n" + "\n".join(result.lost)
    assert result.vobject_errors == {}  # tests/cli/test_vcard_strict_readers.py checks more strictly


@needs_corpus
def test_corpus_round_trip_summary(tmp_path: Path) -> None:
    """The whole corpus in one line (`pytest -s` shows it); runs the files this process has not run yet."""
    results = [_RESULTS.get(p.name) or round_trip(p, Rolo(tmp_path / f"{p.name}.db")) for p in vcard_corpus()]
    cards = sum(r.cards for r in results)
    compared = sum(r.compared for r in results)
    lost = sum(len(r.lost) for r in results)
    kinds = Counter({name: sum(len(r.normalised.get(name, ())) for r in results) for name in EXCEPTIONS})
    normalised = sum(len(set().union(*r.normalised.values())) for r in results if r.normalised)
    params = sum((r.params_dropped for r in results), Counter())
    print(f"\nround trip: {len(results)} files, {cards} cards, {compared} properties compared, {lost} lost, "
          f"{normalised} normalised")
    print("  normalised by kind: " + ", ".join(f"{name} {n}" for name, n in kinds.most_common()))
    print("  refused on import: " + ", ".join(f"{name} ({reason})" for name, reason in REFUSED.items()))
    print("  parameters not carried (not compared): "
          + (", ".join(f"{name} {n}" for name, n in sorted(params.items())) or "none"))
    assert lost == 0
    unused = [name for name, n in kinds.items() if n == 0]
    assert not unused, f"exceptions no corpus card needs any more (remove them): {unused}"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in vcard_corpus()] or [NO_CORPUS])
def test_reference_reader_finds_the_cards_sources_tsv_lists(path: Path) -> None:
    rows = (SHARED_VCARDS / "SOURCES.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    listed = {cols[0]: int(cols[header.index("cards")]) for cols in (r.split("\t") for r in rows[1:])}
    cards = read_cards(path.read_bytes())
    assert len(cards) == listed[path.name]
    assert [c for c in cards if not c.complete] == ([] if path.name not in REFUSED else cards)


# -- each normalisation applies where it says, and nowhere else ------------------------------------------

UNCHANGED = object()


def item(name: str, value: object, *types: str, label: str | None = None) -> Item:
    return Item(name, frozenset(types), value, label)


JPEG = b"\xff\xd8\xff\xe0" + bytes(range(64))
EMPTY_ADR = ("",) * 7
NOTES = (item("NOTE", "one"), item("NOTE", "two"))
EXTRA, PHOTO = "extra components joined into the last", "unmarked base64 PHOTO decoded"
DATES, RELATIONS = "dates written as the version writes them", "relationships written as the version writes them"
EXCEPTION_CASES = [
    ("default type omitted", item("EMAIL", "a@x", "internet", "home"), "3.0", item("EMAIL", "a@x", "home")),
    ("default type omitted", item("TEL", "1", "voice", "cell"), "4.0", item("TEL", "1", "cell")),
    ("default type omitted", item("TEL", "1", "internet"), "3.0", UNCHANGED),
    ("default type omitted", item("ADR", EMPTY_ADR, "voice"), "3.0", UNCHANGED),
    ("type dropped by vCard 4.0", item("ADR", ("x",), "postal", "parcel", "work"), "3.0",
     item("ADR", ("x",), "work")),
    ("type dropped by vCard 4.0", item("TEL", "1", "msg", "work"), "4.0", item("TEL", "1", "work")),
    ("type dropped by vCard 4.0", item("TEL", "1", "postal"), "3.0", UNCHANGED),
    ("URL pref dropped", item("URL", "http://x", "pref", "home"), "3.0", item("URL", "http://x", "home")),
    ("URL pref dropped", item("EMAIL", "a@x", "pref"), "3.0", UNCHANGED),
    ("X-ABLabel wins over TYPE", item("TEL", "1", "home", "pref", "x-useless", label="Useless"), "3.0",
     item("TEL", "1", "pref", label="Useless")),
    ("X-ABLabel wins over TYPE", item("TEL", "1", "home"), "3.0", UNCHANGED),
    ("X-ABLabel wins over TYPE", item("TEL", "1", "pref", label="Useless"), "3.0", UNCHANGED),
    ("label written as TYPE", item("URL", "http://x", label="_$!<HomePage>!$_"), "3.0",
     item("URL", "http://x", "homepage")),
    ("label written as TYPE", item("TEL", "1", "pref", label="work mobile"), "4.0",
     item("TEL", "1", "pref", "work", "cell")),
    ("label written as TYPE", item("EMAIL", "a@x", label="custom-label"), "3.0",
     item("EMAIL", "a@x", "custom-label")),
    ("label written as TYPE", item("EMAIL", "a@x", label="Custom Label"), "3.0", UNCHANGED),
    ("label written as TYPE", item("X-ABDATE", "2000-01-01", label="anniversary"), "3.0", UNCHANGED),
    ("type written as X-ABLabel", item("ADR", ("x",), "both work and home", "postal"), "3.0",
     item("ADR", ("x",), "postal", label="both work and home")),
    ("type written as X-ABLabel", item("TEL", "1", "费"), "3.0", item("TEL", "1", label="费")),
    ("type written as X-ABLabel", item("TEL", "1", "work"), "3.0", UNCHANGED),
    ("type written as X-ABLabel", item("TEL", "1", "a b", label="Mine"), "3.0", UNCHANGED),
    ("TEL uri written as text", item("TEL", "tel:+1-555", "cell"), "3.0", item("TEL", "+1-555", "cell")),
    ("TEL uri written as text", item("TEL", "+1-555"), "4.0", UNCHANGED),
    ("TEL uri written as text", item("URL", "tel:+1-555"), "4.0", UNCHANGED),
    (EXTRA, item("N", (("",), ("A",), ("",), ("D",), ("E",), ("F",), ("",))), "3.0",
     item("N", (("",), ("A",), ("",), ("D",), ("E;F",)))),
    (EXTRA, item("ADR", ("", "", "1 Main", "Town", "", "1", "X", "Y")), "3.0",
     item("ADR", ("", "", "1 Main", "Town", "", "1", "X;Y"))),
    (EXTRA, item("N", (("D",), ("J",), ("",), ("",), ("",))), "3.0", UNCHANGED),
    (EXTRA, item("ORG", tuple("abcdefgh")), "3.0", UNCHANGED),
    ("empty ORG units dropped", item("ORG", ("Acme", "", "Sales", "")), "3.0",
     item("ORG", ("Acme", "Sales"))),
    ("empty ORG units dropped", item("ORG", ("", "Sales")), "3.0", UNCHANGED),
    ("empty ORG units dropped", item("ADR", ("", "", "x", "", "", "", "")), "3.0", UNCHANGED),
    ("NOTEs joined into one", NOTES[1], "3.0", item("NOTE", "one\ntwo")),
    ("NOTEs joined into one", item("NOTE", "alone"), "3.0", UNCHANGED),
    ("surrounding whitespace trimmed", item("FN", " Ann "), "3.0", item("FN", "Ann")),
    ("surrounding whitespace trimmed", item("N", (("Doe ",), ("",))), "3.0", item("N", (("Doe",), ("",)))),
    ("surrounding whitespace trimmed", item("NOTE", " as written "), "3.0", UNCHANGED),
    ("line breaks stored as LF", item("NOTE", "a\r\nb\rc"), "3.0", item("NOTE", "a\nb\nc")),
    ("line breaks stored as LF", item("ADR", ("", "a\r\nb")), "3.0", item("ADR", ("", "a\nb"))),
    ("line breaks stored as LF", item("NOTE", "a\nb"), "3.0", UNCHANGED),
    ("BDAY year 1604 means no year", item("BDAY", "16040101"), "3.0", item("BDAY", "--01-01")),
    ("BDAY year 1604 means no year", item("BDAY", "1980-01-01"), "3.0", UNCHANGED),
    ("BDAY in the export version's ISO form", item("BDAY", "19800315"), "3.0", item("BDAY", "1980-03-15")),
    ("BDAY in the export version's ISO form", item("BDAY", "1980-03-15"), "4.0", item("BDAY", "19800315")),
    ("BDAY in the export version's ISO form", item("BDAY", "--03-15"), "4.0", item("BDAY", "--0315")),
    ("BDAY in the export version's ISO form", item("BDAY", "1980-03-15"), "3.0", UNCHANGED),
    ("BDAY in the export version's ISO form", item("BDAY", "circa 1800"), "4.0", UNCHANGED),
    ("BDAY in the export version's ISO form", item("ANNIVERSARY", "20090808"), "3.0",
     item("ANNIVERSARY", "2009-08-08")),
    ("BDAY in the export version's ISO form", item("BDAY", "1996-04-15T201243+04:00"), "4.0",
     item("BDAY", "19960415T201243+0400")),
    ("BDAY in the export version's ISO form", item("ANNIVERSARY", "20090808T1430-0500"), "3.0",
     item("ANNIVERSARY", "2009-08-08T14:30-05:00")),
    ("BDAY in the export version's ISO form", item("X-ABDATE", "20090808"), "3.0", UNCHANGED),
    ("KIND spelled for the version", item("KIND", "Group"), "3.0", item("X-ADDRESSBOOKSERVER-KIND", "group")),
    ("KIND spelled for the version", item("X-ADDRESSBOOKSERVER-KIND", "org"), "4.0", item("KIND", "org")),
    ("KIND spelled for the version", item("KIND", "group"), "4.0", UNCHANGED),
    ("KIND individual omitted", item("KIND", "Individual"), "4.0", None),
    ("KIND individual omitted", item("KIND", "group"), "4.0", UNCHANGED),
    ("REV rewritten", item("REV", "2012-03-05T13:32:54Z"), "3.0", None),
    ("REV rewritten", item("X-EVOLUTION-ANNIVERSARY", "2012-03-05"), "3.0", UNCHANGED),
    ("PRODID dropped", item("PRODID", "-//Apple Inc.//iOS 5.0.1//EN"), "3.0", None),
    ("PRODID dropped", item("UID", "u1"), "3.0", UNCHANGED),
    ("PROFILE dropped", item("PROFILE", "VCard"), "4.0", None),
    ("PROFILE dropped", item("SOURCE", "Whatever"), "4.0", UNCHANGED),
    ("invalid name written as an X- name", item("X-MESSAGING/AIM-ALL", "a"), "3.0",
     item("X-MESSAGING-AIM-ALL", "a")),
    ("invalid name written as an X- name", item("FOO_BAR", "a"), "4.0", item("X-FOO-BAR", "a")),
    ("invalid name written as an X- name", item("X-AIM", "a"), "3.0", UNCHANGED),
    ("undecodable data written under an X- name", item("PHOTO", "/9j/4AAQ="), "3.0",
     item("X-PHOTO", "/9j/4AAQ=")),
    ("undecodable data written under an X- name", item("PHOTO", "http://x/a.jpg"), "3.0", UNCHANGED),
    ("GEO written for the version", item("GEO", "geo:1.5,-2"), "3.0", item("GEO", "1.5;-2")),
    ("GEO written for the version", item("GEO", "1.5,-2"), "4.0", item("GEO", "geo:1.5,-2")),
    ("GEO written for the version", item("GEO", "somewhere"), "4.0", UNCHANGED),
    ("broken UTF-8 of a QP value decoded as UTF-8", item("ORG", ("Ã‘Ã",)), "3.0",
     item("ORG", ("Ñ\ufffd",))),
    ("broken UTF-8 of a QP value decoded as UTF-8", item("ORG", ("Ñ",)), "3.0", UNCHANGED),
    (PHOTO, item("PHOTO", base64.b64encode(JPEG).decode()), "3.0", item("PHOTO", JPEG)),
    (PHOTO, item("PHOTO", "http://example.com/me.jpg"), "3.0", UNCHANGED),
    (PHOTO, item("PHOTO", base64.b64encode(b"no image").decode()), "3.0", UNCHANGED),
    (PHOTO, item("LOGO", base64.b64encode(JPEG).decode()), "3.0", UNCHANGED),
    (DATES, item("X-EVOLUTION-ANNIVERSARY", "2006-01-09"), "4.0", item("ANNIVERSARY", "20060109")),
    (DATES, item("ANNIVERSARY", "20091010"), "3.0",
     item("X-ABDATE", "2009-10-10", label="_$!<Anniversary>!$_")),
    (DATES, item("X-ABDATE", "1604-05-01", label="First day"), "4.0", item("X-ABDATE", "--05-01", label="First day")),
    (DATES, item("X-ANDROID-CUSTOM", "vnd.android.cursor.item/contact_event;1999-07-10;2;;"), "3.0",
     item("X-ABDATE", "1999-07-10", label="_$!<Other>!$_")),
    (DATES, item("ANNIVERSARY", "20090808T1430-0500"), "3.0", UNCHANGED),  # a time of day: kept as written
    (DATES, item("BDAY", "1980-03-15"), "3.0", UNCHANGED),
    (RELATIONS, item("X-EVOLUTION-SPOUSE", "Maria"), "4.0", item("RELATED", "Maria", "spouse")),
    (RELATIONS, item("X-ABRELATEDNAMES", "Ann", label="_$!<Mother>!$_"), "4.0", item("RELATED", "Ann", "parent")),
    (RELATIONS, item("X-ABRELATEDNAMES", "Ann", label="best man"), "4.0", item("RELATED", "Ann", "contact")),
    (RELATIONS, item("RELATED", "urn:uuid:B8767877-b4a1-4c70-9acc-505d3819e519", "spouse"), "3.0",
     item("X-ABRELATEDNAMES", "B8767877-b4a1-4c70-9acc-505d3819e519", label="_$!<Spouse>!$_")),
    (RELATIONS, item("RELATED", "Child Tester", "child"), "3.0",
     item("X-ABRELATEDNAMES", "Child Tester", label="_$!<Child>!$_")),
    (RELATIONS, item("RELATED", "Ägidius", "co-worker", "crush"), "3.0", UNCHANGED),  # two kinds: kept
    (RELATIONS, item("X-SPOUSES", "Maria"), "3.0", UNCHANGED),
]


@pytest.mark.parametrize("name, original, version, expected", EXCEPTION_CASES,
                         ids=[f"{c[0]}-{'unchanged' if c[3] is UNCHANGED else 'applies'}-{i}"
                              for i, c in enumerate(EXCEPTION_CASES)])
def test_exception_applies_only_where_stated(name: str, original: Item, version: str,
                                             expected: object) -> None:
    card = NOTES if original in NOTES else (original,)
    rewritten = EXCEPTIONS[name].rewrite(original, Context(version, card))
    assert rewritten == (original if expected is UNCHANGED else expected)


def test_every_exception_is_justified_and_tested_both_ways() -> None:
    for name, normalisation in EXCEPTIONS.items():
        assert normalisation.why.strip(), name
        outcomes = {case[3] is UNCHANGED for case in EXCEPTION_CASES if case[0] == name}
        assert outcomes == {True, False}, f"{name}: needs a case where it applies and one where it does not"


# -- the comparison: exact first, then normalised, else lost ---------------------------------------------


def test_compare_prefers_exact_matches_and_reports_the_rest_as_lost() -> None:
    original = [item("TEL", "1", "cell"), item("TEL", "1", "cell", "voice"), item("EMAIL", "a@x", "work")]
    result = compare(original, [item("TEL", "1", "cell")], "3.0")
    # The exact TEL takes the only export TEL; the VOICE one would need it too, and the EMAIL is gone.
    assert result.compared == 3 and result.normalised == []
    assert result.lost == [item("TEL", "1", "cell", "voice"), item("EMAIL", "a@x", "work")]


def test_compare_chains_normalisations_that_each_apply() -> None:
    original = [item("TEL", "tel:+1-418", "pref", "voice", "work"), item("BDAY", "1955-07-19T00:00:00Z")]
    exported = [item("TEL", "+1-418", "pref", "work"), item("BDAY", "19550719T000000Z")]
    result = compare(original, exported, "4.0")
    assert result.lost == []
    assert dict(result.normalised) == {
        original[0]: ("default type omitted", "TEL uri written as text"),
        original[1]: ("BDAY in the export version's ISO form",),
    }


def test_compare_lets_only_shared_normalisations_reuse_an_export_item() -> None:
    notes = compare([*NOTES], [item("NOTE", "one\ntwo")], "3.0")
    assert notes.lost == [] and len(notes.normalised) == 2
    tels = compare([item("TEL", "1", "voice"), item("TEL", "1", "voice")], [item("TEL", "1")], "3.0")
    assert len(tels.lost) == 1


def test_compare_treats_categories_as_a_set() -> None:
    original = [item("CATEGORIES", "a"), item("CATEGORIES", "a"), item("CATEGORIES", "b")]
    assert compare(original, [item("CATEGORIES", "b"), item("CATEGORIES", "a")], "3.0").lost == []
    assert compare(original, [item("CATEGORIES", "a")], "3.0").lost == [item("CATEGORIES", "b")]


# -- the reference reader ----------------------------------------------------------------------------------


def vcard(version: str, *lines: str, nl: str = "\n") -> str:
    """A card's text from its content lines."""
    return nl.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""])


def items_of(text: bytes | str) -> list[Item]:
    [card] = read_cards(text.encode() if isinstance(text, str) else text)
    return [replace(i, version="") for i in card_items(card)]


def test_reference_unfolds_bytes_so_a_fold_inside_a_utf8_character_is_harmless() -> None:
    text = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:ab\xce\r\n \xb2cd\r\nEND:VCARD\r\n"
    assert items_of(text) == [item("FN", "ab\u03b2cd")]


@pytest.mark.parametrize("nl", ["\r\n", "\n", "\r\r\n", "\r"], ids=["crlf", "lf", "cr-cr-lf", "cr"])
def test_reference_line_ends_and_tab_folding(nl: str) -> None:
    text = vcard("3.0", "TEL;TYPE=VOICE,M", "\tSG,WORK:+1-919", " -676", nl=nl)
    assert items_of(text) == [item("TEL", "+1-919-676", "voice", "msg", "work")]


def test_reference_keeps_a_bare_cr_inside_a_value_of_a_file_with_lf() -> None:
    assert items_of(vcard("4.0", "X-A:one\rtwo", nl="\r\n")) == [item("X-A", "one\rtwo")]


def test_reference_quoted_printable_soft_breaks_and_charsets() -> None:
    text = vcard("2.1", "# a comment", "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=", "M=C3=BCller;J=C3=",
                 "=B6rg", "NOTE;QUOTED-PRINTABLE:sharp ->=", "#<- sharp=0D=0Anext",
                 "LABEL;QUOTED-PRINTABLE:dangling=", "", "X-A;ENCODING=QUOTED-PRINTABLE:abc=")
    assert items_of(text) == [item("N", (("Müller",), ("Jörg",), ("",), ("",), ("",))),
                              item("NOTE", "sharp ->#<- sharp\r\nnext"), item("LABEL", "dangling"),
                              item("X-A", "abc")]
    shift_jis = vcard("2.1", "N;CHARSET=SHIFT_JIS:山田;太郎").encode("shift_jis")
    assert items_of(shift_jis) == [item("N", (("山田",), ("太郎",), ("",), ("",), ("",)))]


def test_reference_base64_unindented_21_data_and_data_uris() -> None:
    data = base64.b64encode(JPEG).decode()
    text = vcard("2.1", f"PHOTO;ENCODING=BASE64;JPEG:{data[:40]}", data[40:], "", f"LOGO;BASE64:{data}",
                 "KEY;ENCODING=b:not base64!")
    assert items_of(text) == [item("PHOTO", JPEG), item("LOGO", JPEG), item("KEY", "not base64!")]
    assert items_of(vcard("4.0", f"PHOTO:data:image/jpeg;base64\\,{data}")) == [item("PHOTO", JPEG)]


def test_reference_parameters() -> None:
    text = vcard("4.0", 'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1', "TEL;PREF=2;TYPE=CELL:2",
                 'ADR;LABEL="a;b:c";TYPE=home:;;1 Main;Town;;;', "EMAIL;;TYPE=HOME;:a@x", "X-P;X-Q=a^'b^':v")
    assert items_of(text)[:4] == [item("TEL", "tel:+1", "work", "voice", "pref"), item("TEL", "2", "cell"),
                                  item("ADR", ("", "", "1 Main", "Town", "", "", ""), "home"),
                                  item("EMAIL", "a@x", "home")]
    [card] = read_cards(text.encode())
    assert card.props[-1].param("X-Q") == ['a"b"']  # RFC 6868 carets, in 4.0
    assert items_of(vcard("2.1", "TEL;FAX,WORK;PREF:1")) == [item("TEL", "1", "fax", "work", "pref")]


def test_reference_escapes_structured_and_list_values() -> None:
    text = vcard("3.0", r"N:Doe;John;Richter,James;Mr.;Sr.", r"FN:Doe\, John \"JD\"",
                 r"ORG:ABC\, Inc.;North\; Division", r"URL:http\://x", r"NOTE:a\nb\\c\d",
                 r"CATEGORIES:a,b\,c, d", "EMAIL:")
    assert items_of(text) == [
        item("N", (("Doe",), ("John",), ("Richter", "James"), ("Mr.",), ("Sr.",))),
        item("FN", 'Doe, John "JD"'), item("ORG", ("ABC, Inc.", "North; Division")), item("URL", "http://x"),
        item("NOTE", "a\nb\\c\\d"), item("CATEGORIES", "a"), item("CATEGORIES", "b,c"),
        item("CATEGORIES", " d")]
    assert items_of(vcard("2.1", "N:Doe;A,B")) == [item("N", (("Doe",), ("A,B",), ("",), ("",), ("",)))]


def test_reference_x_ablabel_labels_its_group() -> None:
    text = vcard("3.0", "item1.EMAIL;type=INTERNET:a@x", "item1.X-ABLabel:_$!<Other>!$_",
                 "item2.X-ABDATE:2000-01-01", "item2.X-ABLabel:Wedding", "item3.X-ABLabel:alone")
    assert items_of(text) == [item("EMAIL", "a@x", "internet", label="_$!<Other>!$_"),
                              item("X-ABDATE", "2000-01-01", label="Wedding"), item("X-ABLABEL", "alone")]


def test_reference_nested_and_unterminated_cards() -> None:
    text = b"BEGIN:VCARD\nN:outer\nBEGIN:VCARD\nN:inner\nEND:VCARD\nTEL:1\nEND:VCARD\nBEGIN:VCARD\nFN:open\n"
    assert [(c.complete, [p.name for p in c.props]) for c in read_cards(text)] == [
        (True, ["N", "TEL"]), (True, ["N"]), (False, ["FN"])]
    assert read_cards(b"VERSION:3.0\nFN:no begin\nEND:VCARD\n") == []
