"""Lookups for other programs and reminders: `rolo email`, `rolo phone` (mutt/aerc query_command format)
and `rolo birthdays`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json


def _matches(env: Env, query: str, kind: str) -> list[dict[str, Any]]:
    """Each email (or phone) of the contacts matching QUERY, best contacts first, as a JSON object."""
    rows: list[dict[str, Any]] = []
    for record in env.book.search(query, limit=None):
        for entry in record.emails if kind == "email" else record.phones:
            value = ({"address": entry.address} if kind == "email"  # type: ignore[union-attr]
                     else {"number": entry.number, "e164": entry.e164})  # type: ignore[union-attr]
            rows.append({**value, "label": entry.label, "primary": entry.primary, "name": record.display_name(),
                         "uid": record.uid})
    return rows


def _print_query(rows: list[dict[str, Any]], query: str, kind: str, as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    # mutt and aerc skip the first line (a status message) and read VALUE<TAB>NAME<TAB>EXTRA after it.
    click.echo(f"rolo: {len(rows)} match{'es' if len(rows) != 1 else ''} for {query!r}")
    for row in rows:
        line = (row["address"] if kind == "email" else row["number"], row["name"], row["label"] or "")
        click.echo("\t".join(v.replace("\t", " ") for v in line))


json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print a JSON list instead: one object per match, with the contact's name and uid.")


@click.command()
@click.argument("query", nargs=-1, required=True)
@json_option
@pass_env
def email(env: Env, query: tuple[str, ...], as_json: bool) -> None:
    """Email addresses of matching contacts, in mutt's and aerc's query_command format.

    One header line, then ADDRESS<TAB>NAME<TAB>LABEL per address. With --json, a list of
    {"address", "label", "primary", "name", "uid"} objects.

    \b
    Example:
      rolo email ada
      rolo email northwind --json
      # ~/.muttrc: set query_command = "rolo email %s"
    """
    text = " ".join(query)
    _print_query(_matches(env, text, "email"), text, "email", as_json)


@click.command()
@click.argument("query", nargs=-1, required=True)
@json_option
@pass_env
def phone(env: Env, query: tuple[str, ...], as_json: bool) -> None:
    """Phone numbers of matching contacts: one header line, then NUMBER<TAB>NAME<TAB>LABEL.

    With --json, a list of {"number", "e164", "label", "primary", "name", "uid"} objects.

    \b
    Example:
      rolo phone lovelace
      rolo phone lovelace --json
    """
    text = " ".join(query)
    _print_query(_matches(env, text, "phone"), text, "phone", as_json)


def _next_birthday(birthday: str, today: date) -> date:
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year: celebrate on the 28th
            candidate = date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable")


@click.command()
@click.option("--within", "days", default=30, show_default=True, type=click.IntRange(0, 366),
              help="Birthdays from today to DAYS days ahead (0: today's only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.option("--ics", "ics_path", metavar="FILE",
              help="Write every birthday to FILE as a calendar (.ics, yearly all-day events; - for standard "
                   "output) instead of listing the upcoming ones.")
@pass_env
def birthdays(env: Env, days: int, as_json: bool, ics_path: str | None) -> None:
    """Upcoming birthdays, soonest first, with the age they turn when the year is known.

    Today's birthdays are always included: `--within 0` lists only them, `--within 7` today's and the next
    seven days'. A 29 February birthday is on the 28th in other years. `--ics FILE` writes them all as a
    calendar any calendar program subscribes to (rewrite it as often as you like: its events keep their
    UIDs); `rolo dates` does the same with anniversaries and other dates too.

    \b
    Example:
      rolo birthdays --within 14
      rolo birthdays --within 0 --json
      rolo birthdays --ics ~/Calendars/birthdays.ics
    """
    if ics_path is not None:
        from rolo.core.cli.dates import write_ics

        write_ics(env.book.occasions(dates=False), "Birthdays (rolo)", ics_path)
        return
    today = date.today()
    limit = today + timedelta(days=days)
    upcoming = []
    for uid, name, birthday in env.book.birthdays():
        when = _next_birthday(birthday, today)
        if when <= limit:
            age = when.year - int(birthday[:4]) if not birthday.startswith("--") else None
            upcoming.append({"uid": uid, "formatted_name": name, "birthday": birthday,
                             "next": when.isoformat(), "days": (when - today).days, "age": age})
    upcoming.sort(key=lambda b: (b["days"], b["formatted_name"].casefold()))
    if as_json:
        print_json(upcoming)
        return
    out = console()
    for b in upcoming:
        when = "today" if b["days"] == 0 else f"in {b['days']} day{'s' if b['days'] != 1 else ''}"
        age = f", turns {b['age']}" if b["age"] is not None else ""
        out.print(f"{b['next']}  [bold]{b['formatted_name']}[/bold]  ({when}{age})")
    if not upcoming:
        ahead = f" or in the next {days} day{'s' if days != 1 else ''}" if days else ""
        out.print(f"[dim]no birthdays today{ahead}[/dim]")
