"""Birthdays and other dated events as occasions that come back every year: when each is next, how many
years it marks, and the calendar file (`.ics`) any calendar program subscribes to (`rolo birthdays --ics`,
`rolo dates --ics`).

A date without a year (`--MM-DD`) recurs all the same; 29 February falls on the 28th in common years in
listings, and the calendar's event recurs on the last day of February.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


@dataclass(frozen=True)
class Occasion:
    """One yearly date of a contact: `label` is `birthday`, `anniversary` or the event's own label."""

    uid: str
    name: str
    label: str
    value: str  # YYYY-MM-DD or --MM-DD

    @property
    def year(self) -> int | None:
        return None if self.value.startswith("--") else int(self.value[:4])

    def next_on(self, today: date) -> date:
        """The next day it falls on, today included."""
        month, day = int(self.value[-5:-3]), int(self.value[-2:])
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 29 February in a common year
                candidate = date(year, 2, 28)
            if candidate >= today:
                return candidate
        raise AssertionError("unreachable")

    def years_on(self, when: date) -> int | None:
        """The age turned, or the anniversary's number, on that day (None without a year)."""
        return when.year - self.year if self.year is not None else None

    def describe(self, today: date) -> str:
        """`Ada Lovelace turns 211`, `Ada & William: 10th anniversary`, `Ada Lovelace: first met`."""
        years = self.years_on(self.next_on(today))
        if self.label == "birthday":
            return f"{self.name} turns {years}" if years is not None else f"{self.name}'s birthday"
        if years is not None and years > 0:
            if self.label == "anniversary":
                return f"{self.name}: {_ordinal(years)} anniversary"
            return f"{self.name}: {self.label} ({years} year{'s' if years != 1 else ''})"
        return f"{self.name}: {self.label}"

    def to_json(self, today: date) -> dict[str, Any]:
        when = self.next_on(today)
        return {"uid": self.uid, "name": self.name, "label": self.label, "date": self.value,
                "next": when.isoformat(), "days": (when - today).days, "years": self.years_on(when)}


def upcoming(occasions: list[Occasion], today: date, within: int) -> list[Occasion]:
    """The occasions from today to `within` days ahead, soonest first (then by name)."""
    found = [o for o in occasions if (o.next_on(today) - today).days <= within]
    return sorted(found, key=lambda o: (o.next_on(today), o.name.casefold(), o.label))


def ics(occasions: list[Occasion], calendar_name: str, now: datetime | None = None) -> bytes:
    """An iCalendar file: one all-day, yearly-recurring event per occasion, whose UID stays the same from
    one writing to the next (so a subscribed calendar updates its events instead of doubling them)."""
    from icalendar import Calendar, Event, vRecur

    now = now or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//rolo//rolo dates//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name)
    # the same contact and label twice (two anniversaries) need two UIDs, numbered in the contact's own order
    # (not by date: a corrected date keeps its event's UID)
    seen: dict[tuple[str, str], int] = {}
    numbered = []
    for occasion in occasions:
        seen[(occasion.uid, occasion.label)] = seen.get((occasion.uid, occasion.label), 0) + 1
        numbered.append((occasion, seen[(occasion.uid, occasion.label)]))
    for occasion, nth in sorted(numbered, key=lambda x: (x[0].value[-5:], x[0].name.casefold(), x[0].label)):
        month, day = int(occasion.value[-5:-3]), int(occasion.value[-2:])
        # a date without its year starts in a leap year, so 29 February exists in it
        start = date(occasion.year or 2000, month, day)
        rule: dict[str, Any] = {"freq": "yearly"}
        if (month, day) == (2, 29):
            rule |= {"bymonth": 2, "bymonthday": -1}  # the last day of February: the 28th in common years
        event = Event()
        event.add("uid", _uid(occasion, nth))
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("rrule", vRecur(rule))
        event.add("summary", _summary(occasion))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [occasion.label])
        calendar.add_component(event)
    return calendar.to_ical()


def _summary(occasion: Occasion) -> str:
    if occasion.label == "birthday":
        return f"{occasion.name}'s birthday"
    return f"{occasion.name}: {occasion.label}"


def _uid(occasion: Occasion, nth: int) -> str:
    """Stable across writings: from the contact's uid and the label (and which one of that label it is)."""
    label = re.sub(r"[^a-z0-9]+", "-", occasion.label.casefold()).strip("-") or "date"
    digest = hashlib.sha1(f"{occasion.uid}\0{occasion.label.casefold()}\0{nth}".encode()).hexdigest()[:12]
    return f"{label}-{digest}@rolo"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
