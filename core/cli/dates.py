"""`rolo dates`: birthdays, anniversaries and every other dated event, upcoming or as a calendar file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json
from rolo.core.errors import UserError


@click.command()
@click.option("--within", "days", default=30, show_default=True, type=click.IntRange(0, 366),
              help="Dates from today to DAYS days ahead (0: today's only).")
@click.option("--label", help="Only dates with this label (birthday, anniversary, or an event's own label).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--ics", "ics_path", metavar="FILE",
              help="Write every date to FILE as a calendar (.ics, yearly all-day events; - for standard "
                   "output) instead of listing the upcoming ones.")
@pass_env
def dates(env: Env, days: int, label: str | None, as_json: bool, ics_path: str | None) -> None:
    """Upcoming birthdays, anniversaries and other dated events, soonest first, with the years they mark.

    A contact's dates come from `rolo add --anniversary/--date`, `rolo edit --add-date` and imported cards
    (vCard ANNIVERSARY, Apple's and Android's custom dates). `--ics FILE` writes them all as a calendar any
    calendar program subscribes to: one yearly all-day event each, whose UID stays the same each time the
    file is written, so the calendar updates instead of doubling.

    \b
    Example:
      rolo dates --within 60
      rolo dates --label anniversary --json
      rolo dates --ics ~/Calendars/rolo.ics
    """
    occasions = env.book.occasions()
    if label is not None:
        occasions = [o for o in occasions if o.label.casefold() == label.strip().casefold()]
        if not occasions:
            raise UserError(f"no date is labelled {label!r}", hint="rolo dates --within 366 lists them all")
    if ics_path is not None:
        write_ics(occasions, "Dates (rolo)", ics_path)
        return
    from rolo.core.occasions import upcoming

    today = date.today()
    found = upcoming(occasions, today, days)
    if as_json:
        print_json([o.to_json(today) for o in found])
        return
    from rich.markup import escape

    out = console()
    for o in found:
        when = o.next_on(today)
        left = (when - today).days
        soon = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        out.print(f"{when.isoformat()}  [bold]{escape(o.describe(today))}[/bold]  ({soon})")
    if not found:
        ahead = f" or in the next {days} day{'s' if days != 1 else ''}" if days else ""
        out.print(f"[dim]no dates today{ahead}[/dim]")


def write_ics(occasions: list, calendar_name: str, target: str) -> None:
    """Write the calendar to `target` (- : standard output) whole or not at all, and say how many events."""
    import os
    import sys
    import tempfile

    from rolo.core.occasions import ics

    data = ics(occasions, calendar_name)
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(target).expanduser()
    if path.is_dir():
        raise UserError(f"--ics {target}: is a folder; name a file, e.g. {path / 'rolo.ics'}")
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"--ics {target}: cannot write there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)  # a calendar program reading it never sees half a file
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"--ics {target}: cannot write there ({exc.strerror or exc})") from None
    count = len(occasions)
    click.echo(f"wrote {count} event{'s' if count != 1 else ''} to {path}", err=True)
