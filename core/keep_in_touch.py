"""Interactions and keeping in touch: what `rolo log`, `rolo keep` and `rolo due` mean, free of the store.

An interaction is a notes-log entry with a kind (call, meeting, email, message, other); a contact's *last
contacted* is the time of its latest one. A cadence says how often to be in touch: a contact's own, else the
shortest of its labels'. A contact is due when its last contact (or, never contacted, the moment the cadence
began to apply to it) is a cadence ago; overdue by how many days past that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rolo.core.errors import UserError
from rolo.core.values import book_time

KINDS = ("call", "meeting", "email", "message", "other")
_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}
_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)
_AGO = re.compile(r"^\s*(\d+)\s*([dwmy])\s+ago\s*$", re.IGNORECASE)


def parse_every(text: str) -> int:
    """A cadence in days from `30d`, `2w`, `3m` (30 days each) or `1y` (365 days); UserError otherwise."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise UserError(f"{text!r} is not a duration: write a number and a unit, like 30d, 2w, 3m or 1y")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def describe_every(days: int) -> str:
    """`14d` -> `every 2 weeks`: the cadence as a person says it."""
    for unit, size in (("year", 365), ("month", 30), ("week", 7)):
        if days % size == 0:
            count = days // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return "every day" if days == 1 else f"every {days} days"


def parse_when(text: str | None, now: datetime | None = None) -> str:
    """When an interaction took place, in the book's time format: now (None), `today`, `yesterday`, `3d ago`,
    `2w ago`, a date (`2026-11-30`, noon UTC: the day is what counts) or a time (`2026-11-30T14:05`, UTC
    unless it says otherwise). A time in the future is refused: a log records what happened."""
    now = now or datetime.now(UTC)
    if text is None or text.strip().lower() in ("", "now"):
        return book_time(now)
    value = text.strip().lower()
    if value in ("today", "yesterday"):
        day = now.date() - timedelta(days=1 if value == "yesterday" else 0)
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) if value == "yesterday" else now
    elif match := _AGO.match(value):
        moment = now - timedelta(days=int(match.group(1)) * _UNITS[match.group(2)])
    else:
        try:
            parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UserError(f"--at {text!r} is not a date: write 2026-11-30, 2026-11-30T14:05, today, "
                            "yesterday or 3d ago") from None
        if len(text.strip()) == 10:  # a date alone: midday, so no time zone moves it to another day
            parsed = parsed.replace(hour=12)
        moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if moment > now + timedelta(minutes=1):
        raise UserError(f"--at {text!r} is in the future: rolo log records what happened")
    return book_time(moment)


def check_kind(kind: str) -> str:
    """The kind of an interaction, lower case; UserError naming the kinds otherwise."""
    value = kind.strip().lower()
    if value not in KINDS:
        raise UserError(f"{kind!r} is not a kind of interaction (one of {', '.join(KINDS)})")
    return value


@dataclass(frozen=True)
class Due:
    """A contact a cadence applies to and where it stands: `overdue_days` > 0 overdue, 0 due today, < 0 due
    in that many days. `source` is `own` or `label NAME`; `last_contacted` None: never."""

    uid: str
    name: str
    every_days: int
    source: str
    last_contacted: str | None
    due_on: date
    overdue_days: int

    def to_json(self) -> dict[str, Any]:
        return {"uid": self.uid, "name": self.name, "every_days": self.every_days, "source": self.source,
                "last_contacted": self.last_contacted, "due_on": self.due_on.isoformat(),
                "overdue_days": self.overdue_days}

    def describe(self) -> str:
        """`overdue by 12 days`, `due today`, `due in 3 days`."""
        if self.overdue_days > 0:
            return f"overdue by {_days(self.overdue_days)}"
        return "due today" if self.overdue_days == 0 else f"due in {_days(-self.overdue_days)}"


def due_on(every_days: int, last_contacted: str | None, since: str) -> date:
    """The day the next contact is due: a cadence after the last one, else after the cadence began."""
    start = last_contacted or since
    return _day(start) + timedelta(days=every_days)


def ago(at: str, today: date) -> str:
    """`today`, `yesterday`, `12 days ago` for a stored time."""
    days = (today - _day(at)).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def _day(at: str) -> date:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC).date()


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
