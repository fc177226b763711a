"""Interactions from elsewhere (issue 13): `rolo import-mail` (mbox, Maildir) and `rolo import-ics`, built-in
plugins feeding `rolo.core.interactions_import` through the `register_interaction_sources` hook, which a
third-party source can use the same way. Real mailboxes and calendars written in tmp_path."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from rolo.core.book import Book
from rolo.core.hookspecs import hookimpl
from rolo.core.interactions_import import Interaction, import_interactions, sources
from rolo.core.plugins import new_plugin_manager


def _message(sender: str, to: str, subject: str, date: str, *, cc: str = "", msgid: str | None = None
             ) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Date"] = sender, to, subject, date
    if cc:
        message["Cc"] = cc
    if msgid:
        message["Message-ID"] = msgid
    message.set_content("body")
    return message


MESSAGES = [
    _message("Ada Lovelace <ada@example.com>", "me@example.org", "Notes on the engine",
             "Tue, 10 Nov 2026 09:00:00 +0100", msgid="<1@example.com>"),
    _message("me@example.org", "Alan Turing <ALAN@example.com>", "Re: Enigma", "Wed, 11 Nov 2026 10:00:00 +0000",
             cc="ada@example.com", msgid="<2@example.org>"),
    _message("stranger@elsewhere.example", "me@example.org", "=?utf-8?q?Caf=C3=A9_tomorrow?=",
             "Thu, 12 Nov 2026 08:00:00 +0000", msgid="<3@elsewhere.example>"),
    _message("ada@example.com", "me@example.org", "Dateless", "not a date", msgid="<4@example.com>"),
]


@pytest.fixture
def people(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("add", "--name", "Alan Turing", "--email", "alan@example.com")


def _mbox(path: Path) -> Path:
    box = mailbox.mbox(path)
    for message in MESSAGES:
        box.add(message)
    box.flush()
    box.close()
    return path


def test_mbox_sets_last_contacted_from_sent_and_received_mail(rolo, people, tmp_path):
    mbox = _mbox(tmp_path / "archive.mbox")
    result = rolo("import-mail", str(mbox), "--me", "me@example.org", ok=False)
    assert result.exit_code == 3  # the dateless message
    assert "archive.mbox message 4: no readable Date header" in result.stderr
    assert result.stdout.strip() == ("3 read; logged 3 on 2 contacts; 0 already logged; 1 failed; "
                                     "1 addresses of nobody in the book")
    ada = rolo.json("show", "ada@example.com")
    assert [(e["kind"], e["text"], e["at"]) for e in ada["log"]] == [
        ("email", "email: Notes on the engine", "2026-11-10T08:00:00Z"),
        ("email", "email to: Re: Enigma", "2026-11-11T10:00:00Z")]  # she was in Cc
    assert ada["last_contacted"] == "2026-11-11T10:00:00Z"
    assert rolo.json("show", "alan@example.com")["last_contacted"] == "2026-11-11T10:00:00Z"
    again = json.loads(rolo("import-mail", str(mbox), "--me", "me@example.org", "--json", ok=False).stdout)
    assert (again["logged"], again["already_logged"]) == (0, 3)
    assert again["unknown_addresses"] == [{"address": "stranger@elsewhere.example", "count": 1}]
    assert len(rolo.json("show", "ada@example.com")["log"]) == 2


def test_maildir_dry_run_since_and_bad_paths(rolo, people, tmp_path):
    folder = tmp_path / "INBOX"
    box = mailbox.Maildir(folder, create=True)
    for message in MESSAGES[:3]:
        box.add(message)
    dry = rolo.json("import-mail", str(folder), "--me", "me@example.org", "--dry-run")
    assert (dry["logged"], dry["dry_run"]) == (3, True)
    assert rolo.json("show", "ada@example.com")["log"] == []
    since = rolo.json("import-mail", str(folder), "--me", "me@example.org", "--since", "2026-11-11")
    assert since["logged"] == 2  # the 10 November message is older
    nothing = rolo("import-mail", str(tmp_path / "nope"), str(tmp_path), ok=False)
    assert nothing.exit_code == 3
    assert "nope: no such file or folder" in nothing.stderr and "no Maildir" in nothing.stderr


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//test//EN\r
BEGIN:VTIMEZONE\r
TZID:Europe/Paris\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:lunch-1@test\r
DTSTART;TZID=Europe/Paris:20261110T123000\r
SUMMARY:Lunch\r
LOCATION:Le Procope\r
ORGANIZER:mailto:me@example.org\r
ATTENDEE;CN=Ada:mailto:ada@example.com\r
ATTENDEE:mailto:nobody@elsewhere.example\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:offsite@test\r
DTSTART;VALUE=DATE:20261005\r
SUMMARY:Offsite\r
ATTENDEE:mailto:alan@example.com\r
ATTENDEE:mailto:ada@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly@test\r
DTSTART:20260105T090000Z\r
RRULE:FREQ=WEEKLY\r
SUMMARY:Standup\r
ATTENDEE:mailto:alan@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:future@test\r
DTSTART:{future}\r
SUMMARY:Next year\r
ATTENDEE:mailto:ada@example.com\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_ics_logs_past_meetings_with_attendees(rolo, people, tmp_path):
    calendar = tmp_path / "work.ics"
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y%m%dT%H%M%SZ")
    calendar.write_text(ICS.replace("{future}", future), encoding="utf-8")
    report = rolo.json("import-ics", str(calendar), "--me", "me@example.org")
    assert (report["read"], report["logged"], report["contacts"]) == (3, 4, 2)
    ada = rolo.json("show", "ada@example.com")
    assert [(e["kind"], e["text"], e["at"]) for e in ada["log"]] == [
        ("meeting", "meeting: Offsite", "2026-10-05T12:00:00Z"),  # all day: noon UTC
        ("meeting", "meeting: Lunch @ Le Procope", "2026-11-10T11:30:00Z")]  # 12:30 in Paris
    alan = rolo.json("show", "alan@example.com")
    assert [e["text"] for e in alan["log"]] == ["meeting: Standup", "meeting: Offsite"]  # weekly: once
    assert rolo.json("import-ics", str(calendar))["logged"] == 0
    bad = tmp_path / "bad.ics"
    bad.write_text("not a calendar", encoding="utf-8")
    assert "bad.ics: not a calendar file rolo can read" in rolo("import-ics", str(bad), ok=False).stderr


class CallLog:
    """A third-party source: a phone's call log, one line per call."""

    name = "calls"
    description = "a call log"

    def read(self, path: Path, options: dict) -> list[Interaction]:
        return [Interaction("2026-11-20T18:00:00Z", "call", ["alan@example.com"], "call: 12 min", "calls:1")]


class CallLogPlugin:
    @hookimpl
    def register_interaction_sources(self, register):
        register(CallLog())


def test_a_third_party_source_through_the_hook(rolo, people, book_path, tmp_path):
    pm = new_plugin_manager()
    pm.register(CallLogPlugin(), name="call-log")
    found = sources(pm)
    assert {"mail", "ics", "calls"} <= set(found)  # the built-ins register through their entry points too
    with Book(str(book_path)) as book:
        report = import_interactions(book, found["calls"].read(tmp_path, {}))
    assert report.logged == 1
    assert rolo.json("show", "alan@example.com")["last_contacted"] == "2026-11-20T18:00:00Z"
