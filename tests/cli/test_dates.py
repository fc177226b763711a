"""Anniversaries and other dated events beside birthdays: `rolo add --anniversary/--date`, `rolo edit
--add-date/--rm-date`, vendors' forms read from real cards, `rolo dates`, and `--ics` calendars (issue 13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import SHARED_VCARDS, Rolo
from icalendar import Calendar


def _in(days: int, year: int | None = None) -> str:
    when = date.today() + timedelta(days=days)
    return f"{year}-{when:%m-%d}" if year else f"--{when:%m-%d}"


@pytest.fixture
def dated(rolo):
    ada = rolo("add", "--name", "Ada Lovelace", "--birthday", _in(3, 1990), "--anniversary", _in(10, 2015),
               "--date", f"first met={_in(40)}").stdout.strip()
    bob = rolo("add", "--name", "Bob Smith", "--date", f"Graduation={_in(0, 2020)}").stdout.strip()
    return {"ada": ada, "bob": bob}


def test_dates_lists_birthdays_and_other_dates_soonest_first_with_the_years(rolo, dated):
    def years(days: int, since: int) -> int:
        return (date.today() + timedelta(days=days)).year - since

    assert [(d["name"], d["label"], d["days"], d["years"]) for d in rolo.json("dates")] == [
        ("Bob Smith", "Graduation", 0, years(0, 2020)),
        ("Ada Lovelace", "birthday", 3, years(3, 1990)),
        ("Ada Lovelace", "anniversary", 10, years(10, 2015)),
    ]  # first met is 40 days away: beyond the default 30
    assert [d["label"] for d in rolo.json("dates", "--within", "60")][-1] == "first met"
    assert [d["label"] for d in rolo.json("dates", "--within", "0")] == ["Graduation"]
    assert [d["name"] for d in rolo.json("dates", "--within", "366", "--label", "ANNIVERSARY")] == ["Ada Lovelace"]
    text = rolo("dates").stdout
    assert "Ada Lovelace: " in text and "anniversary  (in 10 days)" in text and "(today)" in text
    assert "no date is labelled 'nope'" in rolo.fails("dates", "--label", "nope")


def test_show_and_edit_dates_and_bad_input(rolo, dated):
    shown = rolo.json("show", dated["ada"])
    assert shown["dates"] == [{"label": "anniversary", "value": _in(10, 2015)}, {"label": "first met",
                                                                               "value": _in(40)}]
    assert f"Date      {_in(10, 2015)} (anniversary)" in rolo("show", dated["ada"]).stdout
    rolo("edit", dated["ada"], "--rm-date", "First Met", "--add-date", "wedding=2015-06-12")
    assert [d["label"] for d in rolo.json("show", dated["ada"])["dates"]] == ["anniversary", "wedding"]
    assert "write LABEL=DATE" in rolo.fails("add", "--name", "X", "--date", "bogus")
    assert "wedding '2015-02-30' is not a valid date" in rolo.fails("edit", dated["ada"], "--add-date",
                                                                    "wedding=2015-02-30")
    assert "has no date labelled 'nope'" in rolo.fails("edit", dated["ada"], "--rm-date", "nope")
    assert [d["label"] for d in rolo.json("show", dated["ada"])["dates"]] == ["anniversary", "wedding"]


def _events(data: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(data)
    return {str(e["summary"]): {"uid": str(e["uid"]), "start": e.decoded("dtstart"),
                                "rule": dict(e["rrule"]), "categories": e["categories"]}
            for e in calendar.walk("VEVENT")}


def test_ics_calendar_of_dates_and_of_birthdays(rolo, dated, tmp_path):
    target = tmp_path / "rolo.ics"
    result = rolo("dates", "--ics", str(target))
    assert f"wrote 4 events to {target}" in result.stderr
    events = _events(target.read_bytes())
    assert set(events) == {"Ada Lovelace's birthday", "Ada Lovelace: anniversary", "Ada Lovelace: first met",
                           "Bob Smith: Graduation"}
    anniversary = events["Ada Lovelace: anniversary"]
    assert anniversary["start"] == date.fromisoformat(_in(10, 2015))
    assert anniversary["rule"] == {"FREQ": ["YEARLY"]}
    assert events["Ada Lovelace: first met"]["start"].year == 2000  # no year: a leap year, so 29 Feb exists
    # written again after a change: the same UIDs, so subscribed calendars update instead of doubling
    rolo("edit", dated["ada"], "--rm-date", "anniversary", "--add-date", f"anniversary={_in(11, 2015)}")
    rolo("dates", "--ics", str(target))
    again = _events(target.read_bytes())
    assert {k: v["uid"] for k, v in again.items()} == {k: v["uid"] for k, v in events.items()}
    assert again["Ada Lovelace: anniversary"]["start"] == date.fromisoformat(_in(11, 2015))
    birthdays = _events(rolo("birthdays", "--ics", "-").stdout_bytes)
    assert list(birthdays) == ["Ada Lovelace's birthday"]
    assert "is a folder" in rolo.fails("dates", "--ics", str(tmp_path))
    assert "cannot write there" in rolo.fails("birthdays", "--ics", str(tmp_path / "no" / "such.ics"))


def test_a_29_february_date_recurs_on_the_last_day_of_february(rolo):
    rolo("add", "--name", "Leap Day", "--birthday", "2000-02-29")
    (event,) = _events(rolo("birthdays", "--ics", "-").stdout_bytes).values()
    assert event["rule"] == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}


@pytest.mark.parametrize(("card", "expected"), [
    ("ez-vcard__John_Doe_EVOLUTION.vcf", ("anniversary", "1980-03-22")),
    ("kcontacts__vcard5.vcf", ("anniversary", "1982-07-07")),
    ("aosp-vcard__v21_x_android_custom_after_photo.vcf", ("anniversary", "1999-07-10")),
    ("syncevolution__Google-Gmail.vcf", ("anniversary", "1971-01-01")),
])
def test_vendor_dates_are_read_from_real_cards(rolo, card, expected):
    rolo("import", str(SHARED_VCARDS / card))
    found = {(d["label"], d["value"]) for c in rolo.json("list") for d in c["dates"]}
    assert expected in found


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_anniversaries_and_dates_round_trip_through_export_and_import(rolo, dated, tmp_path, version):
    before = rolo.json("show", dated["ada"])["dates"]
    exported = tmp_path / "all.vcf"
    rolo("export", "--vcard-version", version, "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert ("ANNIVERSARY:2015" in text) if version == "4.0" else ("_$!<Anniversary>!$_" in text)
    fresh = Rolo(tmp_path / "fresh.db")
    fresh("import", str(exported))
    assert fresh.json("show", dated["ada"])["dates"] == before
    assert "0 created, 0 updated" in rolo("import", str(exported)).stdout
