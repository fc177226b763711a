"""Lookups for other programs and reminders: `rolo email`, `rolo phone` (mutt/aerc query_command format)
and `rolo birthdays`."""

from __future__ import annotations

from datetime import date, timedelta

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json


def _query_lines(env: Env, query: str, kind: str) -> list[tuple[str, str, str]]:
    rows = []
    for record in env.book.search(query, limit=None):
        entries = record.emails if kind == "email" else record.phones
        for entry in entries:
            value = entry.address if kind == "email" else entry.number  # type: ignore[union-attr]
            rows.append((value, record.display_name(), entry.label or ""))
    return rows


def _print_query(rows: list[tuple[str, str, str]], query: str) -> None:
    # mutt and aerc skip the first line (a status message) and read VALUE<TAB>NAME<TAB>EXTRA after it.
    click.echo(f"rolo: {len(rows)} match{'es' if len(rows) != 1 else ''} for {query!r}")
    for row in rows:
        click.echo("\t".join(v.replace("\t", " ") for v in row))


@click.command()
@click.argument("query", nargs=-1, required=True)
@pass_env
def email(env: Env, query: tuple[str, ...]) -> None:
    """Email addresses of matching contacts, in mutt's and aerc's query_command format.

    One header line, then ADDRESS<TAB>NAME<TAB>LABEL per address.

    \b
    Example:
      rolo email ada
      # ~/.muttrc: set query_command = "rolo email %s"
    """
    text = " ".join(query)
    _print_query(_query_lines(env, text, "email"), text)


@click.command()
@click.argument("query", nargs=-1, required=True)
@pass_env
def phone(env: Env, query: tuple[str, ...]) -> None:
    """Phone numbers of matching contacts: one header line, then NUMBER<TAB>NAME<TAB>LABEL.

    \b
    Example:
      rolo phone lovelace
    """
    text = " ".join(query)
    _print_query(_query_lines(env, text, "phone"), text)


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
              help="Birthdays in the next DAYS days (0: today only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def birthdays(env: Env, days: int, as_json: bool) -> None:
    """Upcoming birthdays, soonest first, with the age they turn when the year is known.

    \b
    Example:
      rolo birthdays --within 14
    """
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
        out.print(f"[dim]no birthdays in the next {days} days[/dim]")
