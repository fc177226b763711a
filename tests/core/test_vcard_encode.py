"""rolo.core.vcard_encode: one kept line spelled as vCard 3.0 or 4.0 writes it."""

from __future__ import annotations

import base64

import pytest
from conftest import vcard_corpus
from rolo.core.vcard import iter_file
from rolo.core.vcard_encode import encode_line, iso_form

GIF = base64.b64encode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00,").decode()

CASES = [
    # (id, kept line, as 3.0 writes it, as 4.0 writes it)
    ("qp-utf8", "LABEL;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BChlweg 1=0D=0AUlm, BW",
     "LABEL:Mühlweg 1\\nUlm\\, BW", "LABEL:Mühlweg 1\\nUlm\\, BW"),
    ("qp-bare-unknown-charset", "X-EVOLUTION-FILE-AS;CHARSET=X-UNKNOWN;QUOTED-PRINTABLE:Doe=2C John",
     "X-EVOLUTION-FILE-AS:Doe\\, John", "X-EVOLUTION-FILE-AS:Doe\\, John"),
    ("bare-types", "X-MS-TEL;VOICE;CALLBACK:(111) 555-4444", "X-MS-TEL;TYPE=VOICE,CALLBACK:(111) 555-4444",
     "X-MS-TEL;TYPE=VOICE,CALLBACK:(111) 555-4444"),
    ("base64-21", f"LOGO;ENCODING=BASE64;GIF:{GIF}", f"LOGO;TYPE=GIF;ENCODING=b:{GIF}",
     f"LOGO:data:image/gif;base64,{GIF}"),
    ("data-uri-in-3.0", f"LOGO:data:image/gif;base64,{GIF}", f"LOGO;TYPE=GIF;ENCODING=b:{GIF}",
     f"LOGO:data:image/gif;base64,{GIF}"),
    ("undecodable", "PHOTO;ENCODING=b;TYPE=JPEG:abcde",
     "X-PHOTO;X-ROLO-NAME=PHOTO;TYPE=JPEG;X-ROLO-ENCODING=b:abcde",
     "X-PHOTO;X-ROLO-NAME=PHOTO;TYPE=JPEG;X-ROLO-ENCODING=b:abcde"),
    ("invalid-name", "X-messaging/aim-All:a", "X-messaging-aim-All;X-ROLO-NAME=X-messaging/aim-All:a",
     "X-messaging-aim-All;X-ROLO-NAME=X-messaging/aim-All:a"),
    ("underscores", "my_group.FOO_BAR:a", "my-group.X-FOO-BAR;X-ROLO-NAME=FOO_BAR:a",
     "my-group.X-FOO-BAR;X-ROLO-NAME=FOO_BAR:a"),
    ("bday-text", "BDAY:circa 1800", "X-BDAY;X-ROLO-NAME=BDAY:circa 1800", "BDAY;VALUE=text:circa 1800"),
    ("bday-renamed-back", "X-BDAY;X-ROLO-NAME=BDAY:circa 1800", "X-BDAY;X-ROLO-NAME=BDAY:circa 1800",
     "BDAY;VALUE=text:circa 1800"),
    ("anniversary", "ANNIVERSARY:20090808T1430-0500", "ANNIVERSARY:2009-08-08T14:30-05:00",
     "ANNIVERSARY:20090808T1430-0500"),
    ("anniversary-text", "ANNIVERSARY;VALUE=text:our first date", "ANNIVERSARY:our first date",
     "ANNIVERSARY;VALUE=text:our first date"),
    ("tz", "TZ:America/New_York", "TZ;VALUE=text:America/New_York", "TZ:America/New_York"),
    ("tz-offset", "TZ:-05:00", "TZ:-05:00", "TZ:-05:00"),
    ("tz-empty", "TZ:", "TZ;VALUE=text:", "TZ:"),  # ical.js refuses an empty 3.0 UTC offset
    ("geo", "GEO:geo:37.386013,-122.082932", "GEO:37.386013;-122.082932", "GEO:geo:37.386013,-122.082932"),
    ("untouched", "item1.X-ABDATE;type=pref:2000-01-01", "item1.X-ABDATE;type=pref:2000-01-01",
     "item1.X-ABDATE;type=pref:2000-01-01"),
]


@pytest.mark.parametrize("raw, v3, v4", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_encode_line(raw: str, v3: str, v4: str) -> None:
    assert encode_line(raw, "3.0") == v3
    assert encode_line(raw, "4.0") == v4
    # The 3.0 form is what the importer keeps: the 4.0 export of it is the same as of the original.
    assert encode_line(v3, "4.0") == v4 and encode_line(v4, "3.0") == v3


def test_iso_form_round_trips_between_basic_and_extended() -> None:
    for value in ("1953-10-15T23:10:00Z", "--03-15", "2009-08-08T14:30-05:00", "T10:30", "---15"):
        assert iso_form(iso_form(value, basic=True), basic=False) == value
    assert iso_form("circa 1800", basic=True) == "circa 1800"


@pytest.mark.skipif(not vcard_corpus(), reason="../shared/vcards is absent")
def test_every_kept_corpus_line_is_stable_in_both_versions() -> None:
    lines = {x for path in vcard_corpus() for r in iter_file(path) if r.record for x in r.record.extras}
    assert len(lines) > 200
    for line in lines:
        v3, v4 = encode_line(line, "3.0"), encode_line(line, "4.0")
        assert line == v3 or "X-ROLO-SHADOW" in line, f"the importer keeps lines as 3.0 writes them: {line!r}"
        assert (encode_line(v3, "3.0"), encode_line(v4, "4.0"), encode_line(v3, "4.0")) == (v3, v4, v4), line
