"""Meetings as interactions, a built-in plugin: `rolo import-ics` reads calendar files (.ics) and logs each
past event on the contacts among its attendees and organizer (kind `meeting`), which sets their "last
contacted".

It registers like any third-party plugin (`calendar = "rolo.plugins.calendar"` under
`[project.entry-points.rolo]`): `register_interaction_sources` offers the `ics` source, `register_commands`
adds the command. An event is logged once per contact, keyed by its UID (and RECURRENCE-ID for a changed
occurrence); a recurring event counts once, at its first occurrence (a weekly meeting is one interaction
here, not one a week); an event still to come is skipped (it has not happened). All-day events are at noon
UTC of their day; a time with TZID is converted to UTC; a floating time is taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.errors import UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.interactions_import import Interaction
from rolo.core.values import book_time


class IcsSource:
    """The past events of an .ics file as interactions with their attendees."""

    name = "ics"
    description = "calendar files (.ics): each past event, on its attendees and organizer"

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[Interaction]:
        from icalendar import Calendar

        if not path.is_file():
            raise UserError(f"{path}: no such file")
        try:
            calendar = Calendar.from_ical(path.read_bytes())
        except ValueError as exc:
            raise UserError(f"{path}: not a calendar file rolo can read ({exc})") from None
        now = options.get("now") or datetime.now(UTC)
        for n, event in enumerate(calendar.walk("VEVENT"), start=1):
            where = f"{path} event {n}"
            try:
                found = _interaction(event, where)
            except (ValueError, TypeError, KeyError) as exc:
                yield Interaction("", "meeting", [], "", "", where, f"unreadable ({exc})")
                continue
            if found is not None and found.at <= book_time(now):
                yield found


def _interaction(event: Any, where: str) -> Interaction | None:
    if "DTSTART" not in event:
        return Interaction("", "meeting", [], "", "", where, "no DTSTART")
    start = event.decoded("DTSTART")
    if isinstance(start, datetime):
        moment = start.astimezone(UTC) if start.tzinfo else start.replace(tzinfo=UTC)
    elif isinstance(start, date):
        moment = datetime.combine(start, time(12), tzinfo=UTC)
    else:
        return Interaction("", "meeting", [], "", "", where, f"DTSTART {start!r} is no date")
    people = [str(value) for name in ("ATTENDEE", "ORGANIZER")
              for value in _as_list(event.get(name))]
    addresses = [p[7:] if p.lower().startswith("mailto:") else p for p in people]
    addresses = [a for a in addresses if "@" in a]
    if not addresses:
        return None
    summary = " ".join(str(event.get("SUMMARY", "") or "(no title)").split())
    location = " ".join(str(event.get("LOCATION", "") or "").split())
    uid = str(event.get("UID", "") or f"{summary}@{moment.isoformat()}")
    recurrence = event.get("RECURRENCE-ID")
    key = f"ics:{uid}" + (f"#{recurrence.to_ical().decode()}" if recurrence is not None else "")
    text = f"meeting: {summary}" + (f" @ {location}" if location else "")
    return Interaction(book_time(moment), "meeting", addresses, text, key, where)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@hookimpl
def register_interaction_sources(register: Any) -> None:
    """Offer the `ics` source."""
    register(IcsSource())


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `rolo import-ics`."""
    cli.add_command(import_ics)


@click.command("import-ics")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--me", "me", multiple=True, metavar="ADDRESS", help="One of your own addresses (repeatable).")
@click.option("--dry-run", is_flag=True, help="Count what would be logged; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON only.")
@pass_env
def import_ics(env: Env, paths: tuple[Path, ...], me: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Log meetings as interactions: each past event of calendar files (.ics), on the contacts among its
    attendees and organizer (by email address), which sets their "last contacted".

    A recurring event counts once (its first occurrence); events still to come are skipped. People not in
    the book are counted, never added. Reading a calendar again adds nothing.

    \b
    Example:
      rolo import-ics ~/Downloads/work-calendar.ics --me ada@example.com
    """
    from rolo.core.cli.sources import run_source

    run_source(env, IcsSource(), paths, {"me": me}, me, dry_run, as_json)
