"""What a card says beyond the book's fields survives import -> export -> import (issue 11).

Each case is a small card as some program writes it. It is imported into a book, exported as 3.0 and as 4.0,
and each export is imported into a fresh book and exported again: the lines named by the case must be in
the first export, and the second export must be the first one again (nothing drifts on a second trip).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Rolo


def card(version: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", "UID:kept-1", *lines, "END:VCARD", ""])


def unfolded(text: str) -> list[str]:
    """The export's content lines, unfolded, without REV (each book has its own)."""
    return [x for x in re.sub(r"\r\n[ \t]", "", text).split("\r\n") if x and not x.startswith("REV:")]


def export(rolo: Rolo, version: str) -> str:
    target = rolo.book_path.with_name(f"{rolo.book_path.stem}-export-{version}.vcf")
    rolo("export", "--format", "vcf", "--vcard-version", version, "-o", str(target))
    return target.read_bytes().decode("utf-8")


def round_trip(tmp_path: Path, rolo: Rolo, text: str, version: str) -> list[str]:
    """The lines of the first export in `version`; asserts that a second trip changes nothing."""
    source = tmp_path / "card.vcf"
    source.write_text(text, encoding="utf-8", newline="")
    rolo("import", str(source))
    first = export(rolo, version)
    again = tmp_path / f"again-{version}.vcf"
    again.write_text(first, encoding="utf-8", newline="")
    second_book = Rolo(tmp_path / f"second-{version}.db")
    second_book("import", str(again))
    assert unfolded(export(second_book, version)) == unfolded(first)
    return unfolded(first)


CASES = [
    # (id, source card, lines the 3.0 export holds, lines the 4.0 export holds)
    ("adr-label-param",
     card("4.0", "FN:Ann", 'ADR;TYPE=home;LABEL="1 Main St\\nSpringfield":;;1 Main St;Springfield;;;'),
     ["ADR;LABEL=1 Main St\\nSpringfield;TYPE=home:;;1 Main St;Springfield;;;"],
     ["ADR;LABEL=1 Main St\\nSpringfield;TYPE=home:;;1 Main St;Springfield;;;"]),
    ("nickname-list", card("3.0", "FN:Ann", "NICKNAME:Nick1,Nick2"), ["NICKNAME:Nick1,Nick2"],
     ["NICKNAME:Nick1,Nick2"]),
    ("n-lists", card("3.0", "FN:James Doe", "N:Doe;John;Richter,James;Mr.;Sr."),
     ["N:Doe;John;Richter,James;Mr.;Sr."], ["N:Doe;John;Richter,James;Mr.;Sr."]),
    ("bday-date-time", card("3.0", "FN:Ann", "BDAY:1953-10-15T23:10:00Z"), ["BDAY:1953-10-15T23:10:00Z"],
     ["BDAY:19531015T231000Z"]),
    ("itemn-group-with-companion",
     card("3.0", "FN:Ann", "item2.ADR;TYPE=home:;;1 Main St;Springfield;;;", "item2.X-ABADR:us"),
     ["item2.ADR;TYPE=home:;;1 Main St;Springfield;;;", "item2.X-ABADR:us"],
     ["item2.ADR;TYPE=home:;;1 Main St;Springfield;;;", "item2.X-ABADR:us"]),
    ("sort-as-and-language",
     card("4.0", 'FN;LANGUAGE=en:Jim van Doe', 'N;SORT-AS="Doe,Jim";LANGUAGE=en:van Doe;Jim;;;'),
     ["FN;LANGUAGE=en:Jim van Doe", 'N;SORT-AS="Doe,Jim";LANGUAGE=en:van Doe;Jim;;;'],
     ["FN;LANGUAGE=en:Jim van Doe", 'N;SORT-AS="Doe,Jim";LANGUAGE=en:van Doe;Jim;;;']),
    ("org-sort-as", card("4.0", "FN:Ann", 'ORG;SORT-AS="Acme";TYPE=work:The Acme;Sales'),
     ['ORG;SORT-AS="Acme";TYPE=work:The Acme;Sales'], ['ORG;SORT-AS="Acme";TYPE=work:The Acme;Sales']),
    ("pref-2", card("4.0", "FN:Ann", "TEL;TYPE=cell;PREF=1:+1 555 0100", "TEL;TYPE=home;PREF=2:+1 555 0101"),
     ["TEL;TYPE=cell,pref:+1 555 0100", "TEL;PREF=2;TYPE=home:+1 555 0101"],
     ["TEL;PREF=1;TYPE=cell:+1 555 0100", "TEL;PREF=2;TYPE=home:+1 555 0101"]),
    ("qp-label-of-adr",
     card("2.1", "FN:Ann", "ADR;HOME:;;1 Main St;Springfield;;;",
          "LABEL;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:1 M=C3=BChlweg=0D=0ASpringfield, IL"),
     ["LABEL;TYPE=HOME:1 Mühlweg\\nSpringfield\\, IL"], ["LABEL;TYPE=HOME:1 Mühlweg\\nSpringfield\\, IL"]),
    ("bare-21-params", card("2.1", "FN:Ann", "X-MS-TEL;VOICE;CALLBACK:(111) 555-4444"),
     ["X-MS-TEL;TYPE=VOICE,CALLBACK:(111) 555-4444"], ["X-MS-TEL;TYPE=VOICE,CALLBACK:(111) 555-4444"]),
    ("invalid-name", card("3.0", "FN:Ann", "X-messaging/gadu-All:12345", "X_FOO:bar"),
     ["X-messaging-gadu-All;X-ROLO-NAME=X-messaging/gadu-All:12345", "X-FOO;X-ROLO-NAME=X_FOO:bar"],
     ["X-messaging-gadu-All;X-ROLO-NAME=X-messaging/gadu-All:12345", "X-FOO;X-ROLO-NAME=X_FOO:bar"]),
    ("bday-not-a-date", card("3.0", "FN:Ann", "BDAY:circa 1800"), ["X-BDAY;X-ROLO-NAME=BDAY:circa 1800"],
     ["BDAY;VALUE=text:circa 1800"]),
    ("photo-2.1-base64", card("2.1", "FN:Ann", "LOGO;ENCODING=BASE64;GIF:R0lGODlhAQABAAAAACw="),
     ["LOGO;TYPE=GIF;ENCODING=b:R0lGODlhAQABAAAAACw="], ["LOGO:data:image/gif;base64,R0lGODlhAQABAAAAACw="]),
]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("source, in_v3, in_v4", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_kept_detail_survives_the_round_trip(source: str, in_v3: list[str], in_v4: list[str], version: str,
                                             rolo: Rolo, tmp_path: Path) -> None:
    lines = round_trip(tmp_path, rolo, source, version)
    for expected in in_v3 if version == "3.0" else in_v4:
        assert expected in lines, f"{expected!r} not in the {version} export:\n" + "\n".join(lines)


def test_starred_is_written_and_read_back(rolo: Rolo, tmp_path: Path) -> None:
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--star")
    lines = unfolded(export(rolo, "4.0"))
    assert "X-ROLO-STARRED:true" in lines
    again = tmp_path / "again.vcf"
    again.write_text(export(rolo, "3.0"), encoding="utf-8", newline="")
    second = Rolo(tmp_path / "second.db")
    second("import", str(again))
    assert [c["starred"] for c in second.json("list")] == [True]


def test_an_edited_value_is_written_as_edited_not_as_the_card_had_it(rolo: Rolo, tmp_path: Path) -> None:
    source = tmp_path / "card.vcf"
    source.write_text(card("4.0", "FN:James Doe",
                           'N;SORT-AS="Doe,James";LANGUAGE=en:Doe;John;Richter,James;;',
                           "NICKNAME:Nick1,Nick2", "item2.ADR;TYPE=home:;;1 Main St;Springfield;;;",
                           "item2.X-ABADR:us"), encoding="utf-8")
    rolo("import", str(source))
    rolo("edit", "kept-1", "--set", "family=Smith", "--set", "nickname=Jim")
    lines = unfolded(export(rolo, "4.0"))
    assert "N:Smith;John;Richter James;;" in lines  # the book's N: the card's SORT-AS was for Doe
    assert not any(x.startswith(("N;", "NICKNAME:Nick1")) for x in lines)
    assert "NICKNAME:Jim" in lines
    assert "item2.ADR;TYPE=home:;;1 Main St;Springfield;;;" in lines  # unchanged: kept as it was
    assert not any("X-ROLO-SHADOW" in x for x in lines)
