"""Writing vCards: a ContactRecord as vCard 3.0 or 4.0 (`export_card`; `rolo.core.vcard` reads them).

The card is built with vobject (it escapes values and params); PHOTO and the kept `extras` lines are added
after it, each kept line re-encoded for the version (`rolo.core.vcard_encode`), and every line is folded at
75 octets here (vobject folds by characters, not octets).

Shadows. The book models a property's value, not every way a card can spell it: N's components are one
string each ("Richter James" for `Richter,James`), a NICKNAME list is one text, a BDAY is a date, and
parameters such as SORT-AS, LANGUAGE, ALTID, ADR's LABEL or a PREF other than 1, and a group shared with
companion lines (`item2.ADR` with `item2.X-ABADR`), have no field. When a card's N, FN, NICKNAME, BDAY,
ORG, EMAIL, TEL, ADR or URL carries any of these, the importer keeps its line as written (as 3.0 spells it) in
extras, marked `X-ROLO-SHADOW=1`. The export writes a shadow instead of the line it would build, as long as
the book's value is still the one the shadow gives (for EMAIL/TEL/ADR/URL: its group and parameters on the
entry whose value it gives, TYPE and PREF from the book's label and primary flag); a shadow whose value the
book no longer has (edited since) is not written, and never written as a line of its own.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import vobject  # type: ignore[import-untyped]
from rolo.core.errors import VCardError
from rolo.core.labels import types_for_label
from rolo.core.record import ContactRecord
from rolo.core.relations import APPLE_LABELS, rfc_type
from rolo.core.vcard import (_GROUP, _LOG_PROPERTY, _STARRED_PROPERTY, _Mapper, _Prop, _read_prop, _sniff,
                             log_source_key)
from rolo.core.vcard_encode import SHADOW, encode_line, is_shadow, iso_form, unshadow
from rolo.core.vcard_repair import LogicalLine, fold_line
from vobject.vcard import Address, Name  # type: ignore[import-untyped]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_APPLE_DATE_LABELS = frozenset({"anniversary", "other"})
# Parameters the book carries itself on EMAIL/TEL/ADR/URL (TYPE and PREF=1 as label and primary flag).
_SPELLING = {"TYPE", "ENCODING", "CHARSET", "VALUE", SHADOW}


def export_card(record: ContactRecord, version: str = "3.0") -> str:
    """The record as a vCard 3.0 or 4.0, CRLF line ends, folded at 75 octets.

    Labels that a TYPE parameter reads back unchanged are written as TYPE (`rolo.core.labels`: `home`, `work`;
    phones `mobile` as CELL, `fax` as FAX; several known types as a list, `work fax` as TYPE=work,fax); any
    other label as an Apple-style `itemN.X-ABLabel`, which Apple, Google and DAVx5 read and parse_card reads
    back. The notes log, when the record carries it (`Book.with_log`), as X-ROLO-LOG lines (see
    rolo.core.vcard); a starred contact gets `X-ROLO-STARRED:true`. Kept lines are written back re-encoded
    for the version (rolo.core.vcard_encode), shadows where the book's value is still theirs (see the module
    docstring). Not written: the row id, revision, created_at, e164.
    """
    if version not in ("3.0", "4.0"):
        raise ValueError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    v4 = version == "4.0"
    shadows = _Shadows(record.extras)
    written: list[str] = []  # shadows written instead of the line vobject would build
    card = vobject.vCard()
    card.add("version").value = version
    card.add("uid").value = record.uid
    name = record.display_name()
    if not shadows.take_single("FN", lambda r: r.formatted_name == name, written):
        card.add("fn").value = name
    parts = (record.family_name, record.given_name, record.additional_names, record.prefix, record.suffix)
    if not shadows.take_single("N", lambda r: (r.family_name, r.given_name, r.additional_names, r.prefix,
                                               r.suffix) == parts, written):
        # Name, Address and list values: a plain string would be serialised one character per component.
        card.add("n").value = Name(family=record.family_name or "", given=record.given_name or "",
                                   additional=record.additional_names or "", prefix=record.prefix or "",
                                   suffix=record.suffix or "")
    if record.nickname and not shadows.take_single("NICKNAME", lambda r: r.nickname == record.nickname,
                                                   written):
        card.add("nickname").value = record.nickname
    for field_name, value in (("title", record.title), ("note", record.notes)):
        if value:
            card.add(field_name).value = value
    org = (record.organization, record.department)
    if (record.organization or record.department) and not shadows.take_single(
            "ORG", lambda r: (r.organization, r.department) == org, written):
        departments = record.department.split("; ") if record.department else []
        card.add("org").value = [record.organization or "", *departments]
    if record.birthday and not shadows.take_single("BDAY", lambda r: r.birthday == record.birthday, written):
        card.add("bday").value = iso_form(record.birthday, basic=v4)  # 19800315 in 4.0, 1980-03-15 in 3.0
    if record.kind and record.kind != "individual":
        card.add("kind" if v4 else "x-addressbookserver-kind").value = record.kind
    groups = _Groups(record.extras)
    for e in record.emails:
        shadow = shadows.take_entry("EMAIL", lambda r, e=e: bool(r.emails)
                                    and r.emails[0].address == e.address)
        _add_typed(card, "email", e.address, e.label, e.primary, "emails", v4, groups, shadow)
    for p in record.phones:
        shadow = shadows.take_entry("TEL", lambda r, p=p: bool(r.phones) and r.phones[0].number == p.number)
        _add_typed(card, "tel", p.number, p.label, p.primary, "phones", v4, groups, shadow)
    for a in record.addresses:
        if not a.is_empty():
            value = Address(box=a.po_box or "", extended=a.extended or "", street=a.street or "",
                            city=a.locality or "", region=a.region or "", code=a.postal_code or "",
                            country=a.country or "")
            shadow = shadows.take_entry("ADR", lambda r, a=a: bool(r.addresses) and _place(r.addresses[0])
                                        == _place(a))
            _add_typed(card, "adr", value, a.label, a.primary, "addresses", v4, groups, shadow)
    for u in record.urls:
        shadow = shadows.take_entry("URL", lambda r, u=u: bool(r.urls) and r.urls[0].url == u.url)
        _add_typed(card, "url", u.url, u.label, False, "urls", v4, groups, shadow)
    _add_dates(card, record, v4, groups)
    _add_related(card, record, v4, groups)
    if record.labels:
        card.add("categories").value = list(record.labels)
    for fname, fvalue in record.custom_fields.items():
        for item in fvalue if isinstance(fvalue, list) else [fvalue]:
            if item is not None and item != "":
                text = ("true" if item else "false") if isinstance(item, bool) else str(item)
                card.add("x-" + fname.upper().replace("_", "-")).value = text
    if record.starred:
        card.add(_STARRED_PROPERTY.lower()).value = "true"
    for entry in record.log:
        line = card.add(_LOG_PROPERTY.lower())
        line.value = entry.text
        line.params["X-AT"] = [entry.at]
        if entry.source and entry.source != log_source_key(entry.at, entry.text):  # else derived on read
            line.params["X-SOURCE"] = [entry.source]
        if entry.kind:  # an interaction (rolo log --via): read back as one, so it still sets last contacted
            line.params["X-KIND"] = [entry.kind]
        if entry.local_only:  # only in an export asked for private values (--include-private)
            line.params["X-LOCAL"] = ["true"]
    if record.updated_at:
        card.add("rev").value = re.sub(r"[-:]", "", record.updated_at) if v4 else record.updated_at
    # vobject folds by characters where it should count octets (a CJK line comes out too long): have it
    # write unfolded lines, and fold every line here.
    lines = card.serialize(validate=False, lineLength=1_000_000_000).split("\r\n")
    assert lines[-2:] == ["END:VCARD", ""], "vobject always closes the card"
    # Kept lines spelled for the version (2.1 syntax, invalid names); shadows are not lines of their own.
    kept = [encode_line(x, version) for x in [*written, *(x for x in record.extras if not is_shadow(x))]]
    lines[-2:-1] = ([_photo_line(record, v4)] if record.photo else []) + kept + ["END:VCARD"]
    return "".join(fold_line(x) for x in lines[:-1])


def _place(a: Any) -> tuple:
    return (a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country)


@dataclass
class _Shadow:
    """A shadow line (its mark removed), its property as read, and what the importer makes of it alone."""

    line: str
    prop: _Prop
    record: ContactRecord
    used: bool = False


class _Shadows:
    """The record's shadows, each written at most once, for the value it gives."""

    def __init__(self, extras: list[str]) -> None:
        self.items: list[_Shadow] = []
        for raw in extras:
            if not is_shadow(raw):
                continue
            line = unshadow(raw)
            try:
                prop = _read_prop(LogicalLine(0, line))
                alone = _Mapper([prop], []).record("shadow")
            except VCardError:
                continue  # not readable: nothing to write it for
            self.items.append(_Shadow(line, prop, alone))

    def _take(self, name: str, matches: Callable[[ContactRecord], bool]) -> _Shadow | None:
        for shadow in self.items:
            if not shadow.used and shadow.prop.name == name and matches(shadow.record):
                shadow.used = True
                return shadow
        return None

    def take_single(self, name: str, matches: Callable[[ContactRecord], bool], written: list[str]) -> bool:
        """Whether a shadow of N/FN/NICKNAME/BDAY gives the book's value; it is then added to `written`."""
        shadow = self._take(name, matches) if self.items else None
        if shadow is not None:
            written.append(shadow.line)
        return shadow is not None

    def take_entry(self, name: str, matches: Callable[[ContactRecord], bool]) -> _Prop | None:
        """The shadow of the EMAIL/TEL/ADR/URL entry whose value it gives, if any."""
        shadow = self._take(name, matches) if self.items else None
        return shadow.prop if shadow else None


class _Groups:
    """Fresh `itemN` group names that no kept extras line already uses."""

    def __init__(self, extras: list[str]) -> None:
        self.used = {m.group(1).lower() for x in extras if (m := _GROUP.match(x))}
        self.n = 0

    def next(self) -> str:
        while True:
            self.n += 1
            if f"item{self.n}" not in self.used:
                return f"item{self.n}"


def _add_typed(card: Any, name: str, value: object, label: str | None, primary: bool, kind: str, v4: bool,
               groups: _Groups, shadow: _Prop | None = None) -> None:
    """Add EMAIL/TEL/ADR/URL (`kind` its list field: emails...) with TYPE from the label
    (`rolo.core.labels.types_for_label`), or an itemN.X-ABLabel when TYPE can't carry it; with the group and
    the other parameters of its shadow, when it has one."""
    types = types_for_label(kind, label)
    ab_label = bool(label and not types)  # a label no TYPE carries
    group = shadow.group if shadow and shadow.group else None  # kept with its companions (item2.X-ABADR)
    group = group or (groups.next() if ab_label else None)
    line = card.add(name, group=group)
    line.value = value
    for key, values in (shadow.params.items() if shadow else ()):
        if key not in _SPELLING and not (key == "PREF" and values == ["1"]):
            line.params[key] = values
    if primary:
        if v4:
            line.params["PREF"] = ["1"]
        else:
            types.append("pref")
    if types:
        line.params["TYPE"] = types
    if ab_label:
        card.add("x-ablabel", group=group).value = label


def _apple_wrapped(label: str, built_in: frozenset[str]) -> str:
    """An X-ABLabel value: Apple's built-in spelling (`_$!<Anniversary>!$_`) for its own labels."""
    return f"_$!<{label.title()}>!$_" if label.lower() in built_in else label


def _add_dates(card: Any, record: ContactRecord, v4: bool, groups: _Groups) -> None:
    """Dates beside the birthday: in 4.0 the first anniversary as ANNIVERSARY, every other date (and in 3.0,
    which has no ANNIVERSARY, every date) as Apple's itemN.X-ABDATE with its label in X-ABLabel."""
    anniversary_written = False
    for entry in record.dates:
        if v4 and not anniversary_written and entry.label.lower() == "anniversary":
            card.add("anniversary").value = iso_form(entry.value, basic=True)
            anniversary_written = True
            continue
        group = groups.next()
        card.add("x-abdate", group=group).value = iso_form(entry.value, basic=False)
        card.add("x-ablabel", group=group).value = _apple_wrapped(entry.label, _APPLE_DATE_LABELS)


def _add_related(card: Any, record: ContactRecord, v4: bool, groups: _Groups) -> None:
    """Relationships (rolo.core.relations): in 4.0 RELATED, a urn:uuid: where the other person's uid is a
    UUID (their name in X-ROLO-FN), else their name (VALUE=text, the uid in X-ROLO-UID), TYPE the RFC 6350
    type nearest the kind and
    X-ROLO-KIND the kind where it is not one; in 3.0 Apple's itemN.X-ABRELATEDNAMES with an X-ABLabel."""
    for entry in record.related:
        uid = entry.uid.removeprefix("urn:uuid:") if entry.uid else None
        name = entry.name or uid or ""
        if v4:
            line = card.add("related")
            kind = rfc_type(entry.kind)
            line.params["TYPE"] = [kind]
            if kind != entry.kind:
                line.params["X-ROLO-KIND"] = [entry.kind]
            if uid and _UUID.fullmatch(uid):
                line.value = f"urn:uuid:{uid}"
                if entry.name:  # for a reader whose book lacks that contact
                    line.params["X-ROLO-FN"] = [entry.name]
            else:
                line.value = name
                line.params["VALUE"] = ["text"]
                if uid:
                    line.params["X-ROLO-UID"] = [uid]
            continue
        group = groups.next()
        line = card.add("x-abrelatednames", group=group)
        line.value = name
        if uid:
            line.params["X-ROLO-UID"] = [uid]
        card.add("x-ablabel", group=group).value = _apple_wrapped(entry.kind, APPLE_LABELS)


def _photo_line(record: ContactRecord, v4: bool) -> str:
    data = base64.b64encode(record.photo or b"").decode("ascii")
    mime = record.photo_type or _sniff(record.photo or b"")
    if v4:
        return f"PHOTO:data:{mime or 'application/octet-stream'};base64,{data}"
    subtype = mime.split("/")[-1].upper() if mime else ""
    return f"PHOTO;ENCODING=b;TYPE={subtype}:{data}" if subtype else f"PHOTO;ENCODING=b:{data}"
