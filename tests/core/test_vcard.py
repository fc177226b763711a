"""rolo.core.vcard: real-world files from ../shared/vcards, and focused cases written here.

The corpus is read in place (it is under its projects' licences); tests that need it skip when it is absent.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import uuid
from pathlib import Path

import pytest
import vobject  # type: ignore[import-untyped]
from rolo.core.errors import VCardError
from rolo.core.record import (AddressEntry, ContactRecord, DateEntry, EmailEntry, PhoneEntry, RelatedEntry,
                              UrlEntry)
from rolo.core.vcard import (
    NAMESPACE,
    card_hash,
    decode_bytes,
    export_card,
    iter_file,
    parse_card,
    split_cards,
)
from rolo.core.vcard_repair import fold_line, logical_lines

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "vcards"
CORPUS_FILES = sorted(CORPUS.glob("*.vcf")) if CORPUS.is_dir() else []
NO_CORPUS = pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS} is absent"), id="no-corpus")
corpus = pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in CORPUS_FILES] or [NO_CORPUS])
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} is absent")

# The only corpus cards that cannot be read, and why. Every other card of every file must import.
CORPUS_ERRORS = {
    "eds__7.vcf": {1: "no BEGIN:VCARD"},
    "eds__8.vcf": {1: "END:VCARD missing"},
    "khard__unparsable.vcf": {1: "END:VCARD missing"},
}


def card(*lines: str, version: str | None = "3.0", nl: str = "\r\n") -> str:
    """A card's text from its content lines (BEGIN, VERSION and END added)."""
    head = ["BEGIN:VCARD"] + ([f"VERSION:{version}"] if version else [])
    return nl.join([*head, *lines, "END:VCARD"]) + nl


def roundtrip_view(record: ContactRecord) -> dict:
    """What export_card promises to carry: everything but the book's bookkeeping."""
    data = dataclasses.asdict(record)
    for key in ("starred", "created_at", "updated_at", "revision", "id"):
        data.pop(key)
    data["formatted_name"] = record.display_name()
    return data


# -- the corpus --------------------------------------------------------------------------------------------


@corpus
def test_corpus_file_reads_every_card_or_says_why(path: Path) -> None:
    results = list(iter_file(path))
    assert results
    assert [r.index for r in results] == list(range(1, len(results) + 1))
    errors = {}
    for r in results:
        assert (r.record is None) != (r.error is None)
        assert r.source == str(path) and r.source_hash == card_hash(r.text)
        if r.record is not None:
            assert r.record.display_name() or r.record.uid
        else:
            assert r.error and "\n" not in r.error and "internal error" not in r.error
            errors[r.index] = r.error
    assert errors == CORPUS_ERRORS.get(path.name, {})


@corpus
def test_corpus_cards_survive_export_and_reimport(path: Path) -> None:
    for r in iter_file(path):
        if r.record is None:
            continue
        for version in ("3.0", "4.0"):
            text = export_card(r.record, version)
            assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
            back = parse_card(text)
            assert roundtrip_view(back) == roundtrip_view(r.record), (r.index, version)
            assert export_card(back, version) == text


@needs_corpus
@pytest.mark.parametrize("name", ["eds__7.vcf", "eds__8.vcf", "khard__unparsable.vcf"])
def test_broken_corpus_card_fails_but_good_cards_around_it_import(name: str, tmp_path: Path) -> None:
    good = (CORPUS / "ez-vcard__gmail-list.vcf").read_bytes()
    bad = (CORPUS / name).read_bytes()
    # A broken card between good ones (the missing-END ones last, where a missing END can be noticed).
    data = good + b"\r\n" + bad if name != "eds__7.vcf" else good + b"\r\n" + bad + b"\r\n" + good
    results = list(iter_file(_write(tmp_path, data)))
    failed = [r for r in results if r.record is None]
    assert len(failed) == 1 and failed[0].error == CORPUS_ERRORS[name][1]
    assert sum(r.record is not None for r in results) == (6 if name == "eds__7.vcf" else 3)


@needs_corpus
def test_radicale_cards_without_n_and_fn_still_import() -> None:
    # Radicale rejects a card with neither N nor FN; rolo keeps it (Android exports email-only contacts
    # the same way): the name shown falls back to the email.
    results = list(iter_file(CORPUS / "radicale__broken-vcards2.vcf"))
    assert [r.record.display_name() for r in results if r.record] == [
        "Test Example", "test-misses-N-or-FN@example1.com"]


@needs_corpus
def test_shift_jis_card_reads_as_japanese() -> None:
    [result] = iter_file(CORPUS / "aosp-vcard__v21_japanese_2.vcf")
    record = result.record
    assert record.formatted_name == "安藤 ロイド 1"
    assert (record.family_name, record.given_name) == ("安藤", "ロイド1")
    assert record.notes == "メモ"  # Shift_JIS inside quoted-printable
    assert record.addresses[0].extended == "東京都渋谷区桜丘町26-1セルリアンタワー6階"
    assert record.addresses[0].postal_code == "150-8512"


@needs_corpus
def test_nokia_quoted_printable_umlauts() -> None:
    [result] = iter_file(CORPUS / "eds__12.vcf")
    record = result.record
    assert record.formatted_name == "Michael Brüning"
    assert (record.family_name, record.given_name) == ("Brüning", "Michael")
    assert record.addresses[0].street == "Münsterplatz 21"
    assert record.addresses[0].region == "Baden-Württemberg"


@needs_corpus
def test_nested_cards_are_separate_cards() -> None:
    results = list(iter_file(CORPUS / "aosp-vcard__v21_nest.vcf"))
    assert [(r.index, r.record.family_name) for r in results] == [(1, "parent"), (2, "nest1"), (3, "nest2")]
    assert [p.number for p in results[0].record.phones] == ["1"]


# -- decode_bytes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, expected", [
    pytest.param("\ufeffBEGIN:VCARD\r\nFN:Jörg\r\n".encode(), "BEGIN:VCARD\r\nFN:Jörg\r\n", id="utf8-bom"),
    pytest.param("BEGIN:VCARD\nFN:Jörg\n".encode(), "BEGIN:VCARD\nFN:Jörg\n", id="utf8"),
    pytest.param("BEGIN:VCARD\nFN:Jörg\n".encode("utf-16"), "BEGIN:VCARD\nFN:Jörg\n", id="utf16-bom"),
    pytest.param(b"\xfe\xff" + "FN:J\u00f6rg".encode("utf-16-be"), "FN:Jörg", id="utf16be-bom"),
    pytest.param("FN:Jörg\n".encode("utf-16-le"), "FN:Jörg\n", id="utf16le-no-bom"),
    pytest.param("N;CHARSET=SHIFT_JIS:山田\n".encode("shift_jis"), "N;CHARSET=SHIFT_JIS:山田\n",
                 id="shift-jis"),
    pytest.param("FN;CHARSET=ISO-8859-1:Müller\n".encode("latin-1"), "FN;CHARSET=ISO-8859-1:Müller\n",
                 id="declared-latin1"),
    pytest.param(b"NOTE:\x93quoted\x94\n", "NOTE:\u201cquoted\u201d\n", id="cp1252-fallback"),
    pytest.param(b"NOTE:\x81\x8d\n", "NOTE:\x81\x8d\n", id="latin1-last-resort"),
    # kcontacts: a fold in the middle of a UTF-8 character; only the unfolded bytes are UTF-8.
    pytest.param(b"FN:ab\xce\r\n \xb2cd\r\n", "FN:ab\u03b2cd\r\n", id="fold-inside-utf8-char"),
])
def test_decode_bytes(data: bytes, expected: str) -> None:
    assert decode_bytes(data) == expected


def test_decode_bytes_never_raises() -> None:
    rng = random.Random(7)
    for size in (0, 1, 2, 3, 17, 1000):
        for _ in range(50):
            assert isinstance(decode_bytes(bytes(rng.randrange(256) for _ in range(size))), str)


# -- split_cards -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nl", ["\r\n", "\n", "\r", "\r\r\n"], ids=["crlf", "lf", "cr", "cr-cr-lf"])
def test_split_cards_any_line_end(nl: str) -> None:
    lines = ["", "begin:vcard", "FN:One", "end:vcard", "", "", "BEGIN:VCARD", "FN:Two", "END:VCARD", ""]
    text = nl.join(lines)
    assert list(split_cards(text)) == [
        (1, "begin:vcard\nFN:One\nend:vcard\n"), (2, "BEGIN:VCARD\nFN:Two\nEND:VCARD\n")]


def test_split_cards_keeps_a_bare_cr_inside_a_value() -> None:
    # Thunderbird writes a CR inside X- values; in a file with LF line ends it is not a line end.
    [(_, text)] = split_cards("BEGIN:VCARD\r\nX-A:one\rtwo\r\nEND:VCARD\r\n")
    assert "X-A:one\rtwo\n" in text


def test_split_cards_nested_card_becomes_its_own_card() -> None:
    text = "BEGIN:VCARD\nN:outer\nBEGIN:VCARD\nN:inner\nEND:VCARD\nTEL:1\nEND:VCARD\n"
    assert list(split_cards(text)) == [
        (1, "BEGIN:VCARD\nN:outer\nTEL:1\nEND:VCARD\n"), (2, "BEGIN:VCARD\nN:inner\nEND:VCARD\n")]


def test_split_cards_garbage_between_cards_is_a_card_of_its_own() -> None:
    text = "BEGIN:VCARD\nFN:A\nEND:VCARD\n  \nsome junk\nmore\nBEGIN:VCARD\nFN:B\nEND:VCARD\n\n\t\n"
    cards = list(split_cards(text))
    assert [n for n, _ in cards] == [1, 2, 3]
    assert cards[1][1] == "  \nsome junk\nmore\n"
    with pytest.raises(VCardError, match="no BEGIN:VCARD"):
        parse_card(cards[1][1])


def test_split_cards_missing_end_and_missing_begin() -> None:
    text = "VERSION:3.0\nFN:No begin\nEND:VCARD\nBEGIN:VCARD\nFN:Fine\nEND:VCARD\nBEGIN:VCARD\nFN:No end\n"
    cards = list(split_cards(text))
    assert [c.splitlines()[1] for _, c in cards] == ["FN:No begin", "FN:Fine", "FN:No end"]
    errors = []
    for _, text in cards:
        try:
            parse_card(text)
            errors.append(None)
        except VCardError as exc:
            errors.append(str(exc))
    assert errors == ["no BEGIN:VCARD", None, "END:VCARD missing"]


def test_split_cards_ignores_begin_in_a_folded_line() -> None:
    text = "BEGIN:VCARD\nNOTE:see\n BEGIN:VCARD\nEND:VCARD\n"
    assert len(list(split_cards(text))) == 1


# -- iter_file -------------------------------------------------------------------------------------------


def _write(tmp_path: Path, data: bytes | str, name: str = "cards.vcf") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_iter_file_one_bad_card_never_stops_the_others(tmp_path: Path) -> None:
    text = card("FN:Ann") + card("FN:Bob", "TEL;;x") + "junk\r\n" + card("FN:Cy")
    results = list(iter_file(_write(tmp_path, text), ["met_at"]))
    assert [(r.index, r.record.formatted_name if r.record else r.error) for r in results] == [
        (1, "Ann"), (2, "line 4 'TEL;;x' cannot be parsed"), (3, "no BEGIN:VCARD"), (4, "Cy")]


def test_iter_file_same_card_same_hash_and_uid_whatever_the_line_ends(tmp_path: Path) -> None:
    [lf] = iter_file(_write(tmp_path, card("FN:Ann", nl="\n"), "a.vcf"))
    [crlf] = iter_file(_write(tmp_path, card("FN:Ann", nl="\r\n"), "b.vcf"))
    [cr] = iter_file(_write(tmp_path, card("FN:Ann", nl="\r"), "c.vcf"))
    assert lf.source_hash == crlf.source_hash == cr.source_hash
    assert lf.record.uid == crlf.record.uid == cr.record.uid


def test_iter_file_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        list(iter_file(tmp_path / "nope.vcf"))


# -- parse_card: structure and repairs ----------------------------------------------------------------------


@pytest.mark.parametrize("text, reason", [
    ("FN:Ann\r\nEND:VCARD\r\n", "no BEGIN:VCARD"),
    ("BEGIN:VCARD\r\nFN:Ann\r\n", "END:VCARD missing"),
    (card("FN:Ann", "TEL;;x"), "line 4 'TEL;;x' cannot be parsed"),
    (card("FN:Ann", "this line has no colon"), "line 4 'this line has no colon' cannot be parsed"),
    (card("FN:Ann") + "FN:Bob\r\n", "line 5: text after END:VCARD"),
], ids=["no-begin", "no-end", "bad-params", "no-colon", "after-end"])
def test_parse_card_errors_are_one_line_reasons(text: str, reason: str) -> None:
    with pytest.raises(VCardError) as caught:
        parse_card(text)
    assert str(caught.value) == reason


def test_comment_lines_are_dropped_but_a_qp_continuation_starting_with_hash_is_not() -> None:
    record = parse_card(card(
        "FN:Call", "# a comment", "NOTE;ENCODING=QUOTED-PRINTABLE:sharp ->=", "#<- sharp", "# another",
        version="2.1"))
    assert record.notes == "sharp ->#<- sharp"
    assert record.extras == []


def test_a_soft_break_right_before_end_does_not_swallow_the_end() -> None:
    record = parse_card(card("FN:X", "NOTE;ENCODING=QUOTED-PRINTABLE:abc=", version="2.1"))
    assert record.notes == "abc"


def test_empty_params_are_removed() -> None:
    record = parse_card(card("FN:X", "NOPARAM;:a", "TAIL;PARAM=value;:b", "MIDDLE;P=v;;P2=w:c"))
    assert record.extras == ["NOPARAM:a", "TAIL;PARAM=value:b", "MIDDLE;P=v;P2=w:c"]


def test_bare_21_type_list_and_a_lone_fn_without_colon() -> None:
    record = parse_card(card("FN", "ORG:Ximian", "TEL;FAX,WORK:123", "TEL;WORK;VOICE:456", version=None))
    assert record.formatted_name == "" and record.display_name() == "Ximian"
    assert [(p.number, p.label) for p in record.phones] == [("123", "work fax"), ("456", "work")]


def test_folding_with_tab_inside_params_and_value() -> None:
    text = "BEGIN:vCard\nVERSION:3.0\nFN:Ralf\nTEL;TYPE=VOICE,M\n\tSG,WORK:+1-919\n -676\nEND:vCard\n"
    record = parse_card(text)
    assert [(p.number, p.label) for p in record.phones] == [("+1-919-676", "work")]


def test_quoted_printable_soft_breaks_with_utf8_umlauts() -> None:
    # Soft breaks anywhere, even between the two bytes of one character, and a dangling one before a blank.
    record = parse_card(card(
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=", "M=C3=BCller;J=C3=", "=B6rg",
        "FN;CHARSET=UTF-8;QUOTED-PRINTABLE:J=C3=B6rg M=C3=BCller",
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Gr=C3=BC=C3=9Fe=0D=0Aaus =", "K=C3=B6ln=", "",
        "LABEL;ENCODING=QUOTED-PRINTABLE:a=0D=0A=", "b",
        version="2.1"))
    assert (record.family_name, record.given_name) == ("Müller", "Jörg")
    assert record.formatted_name == "Jörg Müller"
    assert record.notes == "Grüße\naus Köln"
    # kept decoded, as 3.0 writes it (rolo.core.vcard_encode): a 3.0 or 4.0 export carries no 2.1 syntax
    assert record.extras == ["LABEL:a\\nb"]


def test_quoted_printable_in_a_declared_charset() -> None:
    text = card("N;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=8ER=93c;=91=BE=98Y", version="2.1")
    assert parse_card(text).family_name == "山田" and parse_card(text).given_name == "太郎"


def test_fn_with_an_unescaped_comma_is_kept_whole() -> None:
    # vobject.readOne would give 'Doe' here, and cut NOTE and X- values the same way.
    record = parse_card(card("FN:Doe, John", "NOTE:Met at a conference, nice", "X-A:1,2"))
    assert record.formatted_name == "Doe, John"
    assert record.notes == "Met at a conference, nice"
    assert record.extras == ["X-A:1,2"]


def test_escapes_and_structured_values() -> None:
    record = parse_card(card(
        r"N:Doe;John;Richter,James;Mr.;Sr.", r"FN:Mr. John Doe\, Sr.",
        r"ORG:ABC\, Inc.;North\; Division;Sales", r"NOTE:one\ntwo\\three", r"URL:http\://example.com/a\,b",
        "CATEGORIES:friends, work ,,family\\,close"))
    assert record.additional_names == "Richter James"
    assert record.formatted_name == "Mr. John Doe, Sr."
    assert (record.organization, record.department) == ("ABC, Inc.", "North; Division; Sales")
    assert record.notes == "one\ntwo\\three"
    assert record.urls == [UrlEntry("http://example.com/a,b")]
    assert record.labels == ["friends", "work", "family,close"]


def test_email_labels_and_primary() -> None:
    record = parse_card(card(
        "EMAIL;TYPE=INTERNET;TYPE=HOME:a@x", "EMAIL;TYPE=INTERNET,PREF:b@x", "EMAIL;PREF=1;TYPE=work:c@x",
        "EMAIL;HOME;INTERNET:d@x", "EMAIL:", "EMAIL;TYPE=other:e@x"))
    assert record.emails == [EmailEntry("a@x", "home"), EmailEntry("b@x", None, True),
                             EmailEntry("c@x", "work", True), EmailEntry("d@x", "home"),
                             EmailEntry("e@x", "other")]


def test_phone_labels_and_tel_uri() -> None:
    record = parse_card(card(
        "TEL;TYPE=CELL;TYPE=VOICE;TYPE=pref:1", "TEL;TYPE=HOME,FAX:2", "TEL;TYPE=VOICE:3", "TEL;PAGER:4",
        "TEL;VALUE=uri;TYPE=\"work,voice\";PREF=1:tel:+1-418-656-9254", version="4.0"))
    assert [(p.number, p.label, p.primary) for p in record.phones] == [
        ("1", "mobile", True), ("2", "home fax", False), ("3", None, False), ("4", "pager", False),
        ("+1-418-656-9254", "work", True)]


def test_several_types_make_one_label_and_all_go_back_as_types() -> None:
    # TEL;TYPE=FAX,WORK is a work fax, not any fax: the label keeps every type, home/work first (as Apple
    # and Google show them), and the export writes each one back.
    record = parse_card(card(
        "TEL;TYPE=FAX,WORK:1", "TEL;CELL;HOME:2", 'TEL;VALUE=uri;TYPE="work,cell,voice,video,text":tel:3',
        "EMAIL;TYPE=home,work:a@x", "ADR;TYPE=POSTAL,HOME,WORK:;;1 Main St;;;;", version="4.0"))
    assert [p.label for p in record.phones] == ["work fax", "home mobile", "work mobile video text"]
    assert (record.emails[0].label, record.addresses[0].label) == ("home work", "home work")
    v3 = [line.text for line in logical_lines(export_card(record, "3.0"))]
    assert {"TEL;TYPE=work,fax:1", "TEL;TYPE=home,cell:2", "TEL;TYPE=work,cell,video,text:3",
            "EMAIL;TYPE=home,work:a@x", "ADR;TYPE=home,work:;;1 Main St;;;;"} <= set(v3)
    for version in ("3.0", "4.0"):
        assert roundtrip_view(parse_card(export_card(record, version))) == roundtrip_view(record)


def test_a_label_of_several_words_is_types_only_when_every_word_is_one() -> None:
    phones = [PhoneEntry("1", None, "summer house"), PhoneEntry("2", None, "work x-car"),
              PhoneEntry("3", None, "work voice")]
    record = ContactRecord(uid="u1", formatted_name="A", phones=phones)
    unfolded = [line.text for line in logical_lines(export_card(record))]
    assert "item1.TEL:1" in unfolded and "item1.X-ABLABEL:summer house" in unfolded
    assert "TEL;TYPE=work,x-car:2" in unfolded
    assert "item2.TEL:3" in unfolded and "item2.X-ABLABEL:work voice" in unfolded  # voice would not read back
    assert [p.label for p in parse_card(export_card(record)).phones] == [p.label for p in phones]


def test_n_with_more_than_five_parts_keeps_the_surplus_in_the_suffix() -> None:
    # AOSP's v21_backslash.vcf has seven parts; the sixth used to vanish.
    record = parse_card(card("N:Doe;John;;Mr.;Jr.;PhD;", "FN:John Doe", version="2.1"))
    assert (record.family_name, record.given_name, record.prefix) == ("Doe", "John", "Mr.")
    assert record.suffix == "Jr.;PhD"
    for version in ("3.0", "4.0"):
        assert parse_card(export_card(record, version)).suffix == "Jr.;PhD"


def test_a_bare_cr_inside_a_value_becomes_an_escaped_line_break() -> None:
    # Thunderbird writes one inside X- values. Kept raw it would end the line for a reader that ends lines at
    # any CR (vobject), which then rejects the whole export.
    record = parse_card(card("FN:A", "X-CUSTOM3;VALUE=TEXT:custom\r3", "NOTE:a\rb", version="4.0"))
    assert record.extras == ["X-CUSTOM3;VALUE=TEXT:custom\\n3"] and record.notes == "a\nb"
    for version in ("3.0", "4.0"):
        [component] = vobject.readComponents(export_card(record, version))
        assert component.contents["x-custom3"][0].value == "custom\n3"


def test_apple_labels() -> None:
    record = parse_card(card(
        "item1.X-ABLabel:_$!<Other>!$_", "item1.EMAIL;type=INTERNET;type=pref:a@x",
        "item2.TEL;type=CELL:555", "item2.X-ABLabel:Zoom",
        "item3.URL;type=pref:http\\://example.com", "item3.X-ABLabel:_$!<HomePage>!$_",
        "item4.ADR:;;1 Main St;Town;;;", "item4.X-ABLABEL:Cabin",
        "item5.X-ABDATE:1975-03-01", "item5.X-ABLabel:_$!<Anniversary>!$_"))
    assert record.emails == [EmailEntry("a@x", "other", True)]
    assert [(p.number, p.label) for p in record.phones] == [("555", "Zoom")]
    assert record.urls == [UrlEntry("http://example.com", "homepage")]
    assert record.addresses[0].label == "Cabin"
    assert record.dates == [DateEntry("anniversary", "1975-03-01")]  # the date's label is used: no extras
    assert record.extras == []


def test_address_parts() -> None:
    record = parse_card(card(
        "ADR;TYPE=WORK,POSTAL,PARCEL,PREF:PO 1;Suite 2;1 Main St\\nFloor 3;Town;ST;12345;Land"))
    assert record.addresses == [AddressEntry("work", "PO 1", "Suite 2", "1 Main St\nFloor 3", "Town", "ST",
                                             "12345", "Land", primary=True)]


@pytest.mark.parametrize("line, birthday", [
    ("BDAY:19800315", "1980-03-15"),
    ("BDAY:1980-03-15", "1980-03-15"),
    ("BDAY;VALUE=date:1980-03-15T00:00:00Z", "1980-03-15"),
    ("BDAY:1996-04-15T201243+04:00", "1996-04-15"),
    ("BDAY:--0315", "--03-15"),
    ("BDAY:--03-15", "--03-15"),
    ("BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-15", "--03-15"),
    ("BDAY:16040101", "--01-01"),  # Thunderbird CardBook's "no year"
])
def test_birthday_forms(line: str, birthday: str) -> None:
    assert parse_card(card(line)).birthday == birthday


def test_unparseable_birthday_is_kept_in_extras() -> None:
    record = parse_card(card("BDAY;VALUE=text:circa 1800", "FN:Old", version="4.0"))
    # kept as 3.0 can write it (3.0 has no text BDAY); a 4.0 export writes BDAY;VALUE=text again
    assert record.birthday is None and record.extras == ["X-BDAY;X-ROLO-NAME=BDAY:circa 1800"]
    assert "\r\nBDAY;VALUE=text:circa 1800\r\n" in export_card(record, "4.0")


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(255, -1, -1)) * 2


@pytest.mark.parametrize("line, photo, mime", [
    (f"PHOTO:data:image/png;base64,{base64.b64encode(PNG).decode()}", PNG, "image/png"),
    (f"PHOTO:data:image/png;base64\\,{base64.b64encode(PNG).decode()}", PNG, "image/png"),  # khard
    (f"PHOTO;ENCODING=b;TYPE=JPEG:{base64.b64encode(JPEG).decode()}", JPEG, "image/jpeg"),
    (f"PHOTO;ENCODING=BASE64;JPEG:{base64.b64encode(JPEG).decode()}", JPEG, "image/jpeg"),
    (f"PHOTO;BASE64:{base64.b64encode(PNG).decode()}", PNG, "image/png"),  # no type: sniffed
    (f"PHOTO;ENCODING=b;TYPE=png:data:image/png;base64,{base64.b64encode(PNG).decode()}", PNG, "image/png"),
    (f"PHOTO:{base64.b64encode(JPEG).decode()}", JPEG, "image/jpeg"),  # Thunderbird: no ENCODING at all
], ids=["v4-data-uri", "escaped-comma", "v3", "v21-bare-type", "apple-bare-base64", "v3-data-uri",
        "unmarked"])
def test_photo_bytes_intact(line: str, photo: bytes, mime: str) -> None:
    text = card(fold_line(line).rstrip("\r\n"), version="4.0" if "data:" in line else "3.0")
    record = parse_card(text)
    assert record.photo == photo and record.photo_type == mime and record.extras == []


@pytest.mark.parametrize("line, kept", [
    ("PHOTO;VALUE=uri:http://example.com/me.jpg", "PHOTO;VALUE=uri:http://example.com/me.jpg"),
    ("PHOTO:https://example.com/me.jpg", "PHOTO:https://example.com/me.jpg"),
    # data no reader could decode: under an X- name, its name and encoding recorded (rolo.core.vcard_encode)
    ("PHOTO;ENCODING=BASE64;TYPE=JPEG:qgEPAAIAAAAHAAAA:ASDF==",
     "X-PHOTO;X-ROLO-NAME=PHOTO;TYPE=JPEG;X-ROLO-ENCODING=b:qgEPAAIAAAAHAAAA:ASDF=="),
])
def test_photo_that_is_a_uri_or_does_not_decode_stays_in_extras(line: str, kept: str) -> None:
    record = parse_card(card(line))
    assert record.photo is None and record.extras == [kept]
    assert parse_card(export_card(record)).extras == [kept]


def test_derived_uid_is_stable_and_a_card_uid_wins() -> None:
    text = card("FN:Ann", "EMAIL:ann@x")
    uid = parse_card(text).uid
    assert uid == str(uuid.uuid5(NAMESPACE, card_hash(text)))
    assert parse_card(text.replace("\r\n", "\n")).uid == uid
    assert parse_card(card("FN:Ann", "EMAIL:ann@y")).uid != uid
    assert parse_card(card("FN:Ann", "UID: abc-1 ")).uid == "abc-1"


def test_custom_fields_from_x_properties() -> None:
    text = card("FN:Ann", "X-MET-AT:PyCon\\, 2024", "item1.X-met_at:EuroPython", "X-SHOE-SIZE:42",
                "X-OTHER:o")
    record = parse_card(text, ["met_at", "shoe_size"])
    assert record.custom_fields == {"met_at": ["PyCon, 2024", "EuroPython"], "shoe_size": "42"}
    assert record.extras == ["X-OTHER:o"]
    assert parse_card(text).extras == ["X-MET-AT:PyCon\\, 2024", "item1.X-met_at:EuroPython",
                                       "X-SHOE-SIZE:42", "X-OTHER:o"]


def test_kind() -> None:
    assert parse_card(card("FN:X")).kind == "individual"
    assert parse_card(card("KIND:Group", "FN:X", version="4.0")).kind == "group"
    assert parse_card(card("X-ADDRESSBOOKSERVER-KIND:org", "FN:X")).kind == "org"


def test_extras_keep_everything_else_verbatim_in_order() -> None:
    record = parse_card(card(
        "PRODID:-//x//y", "FN:Ann", "FN;LANGUAGE=ja:アン", "REV:2024-01-01T00:00:00Z",
        "item1.IMPP;X-SERVICE-TYPE=Skype:skype:ann", "GEO:geo:1,2", "X-SOCIALPROFILE;type=twitter:https://x.com/ann",
        "ROLE:Boss", "LABEL;TYPE=HOME:1 Main St"))
    assert record.formatted_name == "Ann"
    assert record.extras == [
        "FN;LANGUAGE=ja:アン", "item1.IMPP;X-SERVICE-TYPE=Skype:skype:ann", "GEO:1;2",  # GEO as 3.0 writes it
        "X-SOCIALPROFILE;type=twitter:https://x.com/ann", "ROLE:Boss", "LABEL;TYPE=HOME:1 Main St"]


# -- export_card ---------------------------------------------------------------------------------------------


def rich_record() -> ContactRecord:
    return ContactRecord(
        uid="5b7c6a0e-0000-4000-8000-000000000001", formatted_name="Dr. Jöhn Q. Public, III", prefix="Dr.",
        given_name="Jöhn", additional_names="Quinlan Q", family_name="Public", suffix="III", nickname="JQ",
        organization="Acme, Inc.", department="Sales; EMEA", title="Director, R&D", birthday="--03-15",
        emails=[EmailEntry("john@example.com", "work", True), EmailEntry("j@home.example", "home"),
                EmailEntry("zoom@example.com", "Zoom"), EmailEntry("plain@example.com")],
        phones=[PhoneEntry("+1 555 0100", None, "mobile", True), PhoneEntry("+1 555 0101", None, "fax"),
                PhoneEntry("+1 555 0102", None, "home"), PhoneEntry("+1 555 0103", None, "Assistant"),
                PhoneEntry("+1 555 0104")],
        addresses=[AddressEntry("home", None, "Apt 4", "1 Main St\nBack door", "Springfield", "IL", "62701",
                                "USA", primary=True),
                   AddressEntry("Summer house", street="Strandvägen 1", locality="Stockholm",
                                country="Sverige")],
        urls=[UrlEntry("https://example.com/a,b;c", "homepage"), UrlEntry("https://blog.example.com", "Blog"),
              UrlEntry("https://example.org")],
        labels=["friends", "work, old", "Ünïcode"], custom_fields={"met_at": ["PyCon", "EuroPython, 2024"],
                                                                  "shoe_size": "42"},
        notes="Line one\nLine two; with, punctuation \\ and ümlauts " + "long " * 40,
        kind="individual", photo=PNG, photo_type="image/png",
        dates=[DateEntry("anniversary", "1975-03-01"), DateEntry("First day at NASA", "--05-01"),
               DateEntry("anniversary", "2001-06-02")],
        related=[RelatedEntry("spouse", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "Jane Doe, Jr."),
                 RelatedEntry("mother", None, "Ann; Smith"), RelatedEntry("best man", "u-22", "Bob"),
                 RelatedEntry("friend", "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF7", None)],
        extras=["IMPP;X-SERVICE-TYPE=Skype:skype:john", "X-LONG;X-P=\"a:b\":" + "ü" * 100,
                "LABEL:" + "ü" * 30],
        updated_at="2024-05-06T07:08:09Z",
    )


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_export_then_parse_gives_the_same_record(version: str) -> None:
    record = rich_record()
    text = export_card(record, version)
    assert f"VERSION:{version}\r\n" in text
    back = parse_card(text, ["met_at", "shoe_size"])
    assert roundtrip_view(back) == roundtrip_view(record)
    assert back.updated_at is None  # REV is written, but not read back: the book owns updated_at


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_export_of_a_group_and_a_year_less_birthday(version: str) -> None:
    record = ContactRecord(uid="g1", formatted_name="Family", kind="group", birthday="--02-29")
    back = parse_card(export_card(record, version))
    assert (back.kind, back.birthday) == ("group", "--02-29")


def test_export_lines_are_crlf_folded_at_75_octets_and_extras_verbatim() -> None:
    record = rich_record()
    for version in ("3.0", "4.0"):
        text = export_card(record, version)
        assert text.startswith("BEGIN:VCARD\r\n") and text.endswith("END:VCARD\r\n")
        assert "\n" not in text.replace("\r\n", "")
        assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
        unfolded = [line.text for line in logical_lines(text)]
        for extra in record.extras:
            assert extra in unfolded
        assert unfolded[-1 - len(record.extras) : -1] == record.extras


def test_export_structured_values_are_not_split_per_character() -> None:
    record = ContactRecord(uid="u1", formatted_name="John Doe", given_name="John", family_name="Doe",
                           organization="Acme, Inc.", department="Sales", labels=["friends", "work"])
    unfolded = [line.text for line in logical_lines(export_card(record))]
    assert "N:Doe;John;;;" in unfolded
    assert "ORG:Acme\\, Inc.;Sales" in unfolded
    assert "CATEGORIES:friends,work" in unfolded


def test_export_type_params_and_preference() -> None:
    record = ContactRecord(uid="u1", formatted_name="A", emails=[EmailEntry("a@x", "home", True)],
                           phones=[PhoneEntry("1", None, "mobile", True)])
    v3 = [line.text for line in logical_lines(export_card(record, "3.0"))]
    v4 = [line.text for line in logical_lines(export_card(record, "4.0"))]
    assert "EMAIL;TYPE=home,pref:a@x" in v3 and "TEL;TYPE=cell,pref:1" in v3
    assert "EMAIL;PREF=1;TYPE=home:a@x" in v4 and "TEL;PREF=1;TYPE=cell:1" in v4


def test_export_photo_forms() -> None:
    record = ContactRecord(uid="u1", formatted_name="A", photo=JPEG, photo_type="image/jpeg")
    v3 = [line.text for line in logical_lines(export_card(record, "3.0"))]
    v4 = [line.text for line in logical_lines(export_card(record, "4.0"))]
    assert f"PHOTO;ENCODING=b;TYPE=JPEG:{base64.b64encode(JPEG).decode()}" in v3
    assert f"PHOTO:data:image/jpeg;base64,{base64.b64encode(JPEG).decode()}" in v4


def test_custom_labels_get_groups_that_extras_do_not_use() -> None:
    record = ContactRecord(uid="u1", formatted_name="A", emails=[EmailEntry("a@x", "Zoom")],
                           extras=["item1.X-ABDATE:2000-01-01", "item1.X-ABLabel:Wedding"])
    unfolded = [line.text for line in logical_lines(export_card(record))]
    assert "item2.EMAIL:a@x" in unfolded and "item2.X-ABLABEL:Zoom" in unfolded


def test_export_rejects_other_versions() -> None:
    with pytest.raises(ValueError):
        export_card(rich_record(), "2.1")


def test_fold_line_never_ends_a_qp_line_on_a_soft_break() -> None:
    line = "NOTE;ENCODING=QUOTED-PRINTABLE:" + "=C3=BC" * 40
    for physical in fold_line(line).split("\r\n"):
        assert not physical.endswith("=") and len(physical) <= 75
    assert [x.text for x in logical_lines(fold_line(line))] == [line]
