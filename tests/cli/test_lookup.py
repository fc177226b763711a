"""`rolo email` / `rolo phone` in mutt's query format, and `rolo birthdays`."""

from __future__ import annotations

from datetime import date, timedelta


def test_email_query_format_for_mutt(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "work:ada@example.com", "--email", "ada@home.example")
    rolo("add", "--name", "Bob Brown", "--email", "bob@example.com")
    lines = rolo("email", "ada").stdout.splitlines()
    assert lines[0].startswith("rolo: 2 matches")
    assert lines[1:] == ["ada@example.com\tAda Lovelace\twork", "ada@home.example\tAda Lovelace\t"]
    assert rolo("email", "nobody").stdout.splitlines() == ["rolo: 0 matches for 'nobody'"]


def test_phone_query_format(rolo):
    rolo("add", "--name", "Ada Lovelace", "--phone", "mobile:+1 415 555 0100")
    assert rolo("phone", "lovelace").stdout.splitlines()[1:] == ["+1 415 555 0100\tAda Lovelace\tmobile"]


def test_birthdays_within_days_with_age(rolo):
    today = date.today()
    soon = today + timedelta(days=3)
    later = today + timedelta(days=60)
    rolo("add", "--name", "Soon Year", "--birthday", soon.replace(year=soon.year - 30).isoformat())
    rolo("add", "--name", "Soon NoYear", "--birthday", f"--{soon:%m-%d}")
    rolo("add", "--name", "Later", "--birthday", later.replace(year=2000).isoformat() if not (
        later.month == 2 and later.day == 29) else "2000-03-01")
    upcoming = rolo.json("birthdays", "--within", "7")
    assert [(b["formatted_name"], b["days"], b["age"]) for b in upcoming] == [
        ("Soon NoYear", 3, None), ("Soon Year", 3, 30)]
    assert len(rolo.json("birthdays", "--within", "90")) == 3
    assert "Soon Year" in rolo("birthdays").stdout


def test_email_and_phone_json_name_each_match(rolo):
    ada = rolo("add", "--name", "Ada Lovelace", "--email", "work:ada@example.com", "--email", "ada@home.example",
               "--phone", "mobile:+1 415 555 0100").stdout.strip()
    assert rolo.json("email", "ada") == [
        {"address": "ada@example.com", "label": "work", "primary": True, "name": "Ada Lovelace", "uid": ada},
        {"address": "ada@home.example", "label": None, "primary": False, "name": "Ada Lovelace", "uid": ada}]
    assert rolo.json("phone", "lovelace") == [
        {"number": "+1 415 555 0100", "e164": "+14155550100", "label": "mobile", "primary": True,
         "name": "Ada Lovelace", "uid": ada}]
    assert rolo.json("email", "nobody") == [] and rolo.json("phone", "nobody") == []
    assert "nothing to search for" in rolo.fails("email", "!!!", "--json")


def test_birthdays_within_0_lists_today_and_says_so_when_there_are_none(rolo):
    today = date.today()
    rolo("init")
    assert rolo("birthdays", "--within", "0").stdout.strip() == "no birthdays today"
    assert rolo("birthdays", "--within", "1").stdout.strip() == "no birthdays today or in the next 1 day"
    tomorrow = today + timedelta(days=1)
    rolo("add", "--name", "Tomorrow", "--birthday", f"--{tomorrow:%m-%d}")
    assert rolo.json("birthdays", "--within", "0") == []
    rolo("add", "--name", "Today", "--birthday", f"--{today:%m-%d}")
    assert [b["formatted_name"] for b in rolo.json("birthdays", "--within", "0")] == ["Today"]
    assert "(today)" in rolo("birthdays", "--within", "0").stdout
    assert "--within 0` lists only them" in " ".join(rolo("birthdays", "--help").stdout.split())
