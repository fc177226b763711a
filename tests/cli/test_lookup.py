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
