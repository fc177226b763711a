"""`rolo log`, `rolo keep`, `rolo due`: interactions, and keeping in touch (`rolo.core.keep_in_touch`)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.errors import UserError
from rolo.core.keep_in_touch import KINDS, ago, describe_every, parse_every, parse_when


@click.command()
@click.argument("ref", type=CONTACT_REF)
@click.argument("text", nargs=-1, required=True)
@click.option("--via", "kind", type=click.Choice(KINDS, case_sensitive=False), default="other", show_default=True,
              help="How you were in touch.")
@click.option("--at", "when", metavar="WHEN",
              help="When: 2026-11-30, 2026-11-30T14:05 (UTC), today, yesterday, 3d ago, 2w ago [default: now].")
@click.option("--local", "local_only", is_flag=True, help="Keep the entry off remotes and exports (private).")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@pass_env
def log(env: Env, ref: str, text: tuple[str, ...], kind: str, when: str | None, local_only: bool,
        as_json: bool) -> None:
    """Record an interaction with a contact: a call, a meeting, an email, a message.

    It goes into the contact's notes log with its kind (`rolo note list`), and the latest one is the
    contact's "last contacted" (`rolo show`, `rolo list --sort contacted`, `rolo due`). `rolo undo` takes
    it back.

    \b
    Example:
      rolo log ada@example.com --via call "Talked about the Paris move"
      rolo log "Alan Turing" --via meeting --at yesterday "Lunch at the club"
      rolo log bob@example.com --via email --at 2026-11-02 "Sent the draft"
    """
    entry = env.book.log_interaction(ref, " ".join(text), kind, parse_when(when), local_only=local_only)
    if as_json:
        print_json(entry)
        return
    click.echo(f"logged {entry['kind']} with {entry['name']} at {entry['at']}")


@click.command()
@click.argument("ref", type=CONTACT_REF, required=False)
@click.option("--label", help="Set the cadence of everyone carrying this label.")
@click.option("--every", metavar="DURATION", help="How often: 30d, 2w, 3m (30 days each), 1y.")
@click.option("--off", is_flag=True, help="Remove the cadence of REF or --label.")
@click.option("--json", "as_json", is_flag=True, help="With no REF nor --label: the cadences as JSON.")
@pass_env
def keep(env: Env, ref: str | None, label: str | None, every: str | None, off: bool, as_json: bool) -> None:
    """Keep in touch: how often to be in touch with a contact, or with everyone carrying a label.

    A contact's own cadence wins over its labels'; among its labels the shortest applies. `rolo due` lists
    who is overdue. With no REF nor --label, lists the cadences set.

    \b
    Example:
      rolo keep ada@example.com --every 30d
      rolo keep --label family --every 2w
      rolo keep ada@example.com --off
      rolo keep --json
    """
    if ref is None and label is None:
        if every or off:
            raise click.UsageError("name a contact (REF) or a --label")
        _list_cadences(env, as_json)
        return
    if ref is not None and label is not None:
        raise click.UsageError("name a contact (REF) or a --label, not both")
    if off == bool(every):
        raise click.UsageError("give --every DURATION, or --off")
    days = None if off else parse_every(every or "")
    target, before = env.book.keep_in_touch(days, ref=ref, label=label)
    if off:
        if before is None:
            raise UserError(f"{target} has no cadence of its own", hint="rolo keep lists the cadences")
        click.echo(f"no longer keeping in touch with {target} (was {describe_every(before)})")
    else:
        was = f" (was {describe_every(before)})" if before is not None and before != days else ""
        click.echo(f"keeping in touch with {target} {describe_every(days)}{was}")  # type: ignore[arg-type]


def _list_cadences(env: Env, as_json: bool) -> None:
    found = env.book.cadences()
    if as_json:
        print_json([{"label": c.label, "uid": c.uid, "name": c.name, "every_days": c.every_days, "since": c.since}
                    for c in found])
        return
    if not found:
        click.echo("no cadences: rolo keep REF --every 30d, or rolo keep --label family --every 2w")
        return
    for c in found:
        who = f"label {c.label}" if c.label else f"{c.name or c.uid} ({c.uid})"
        click.echo(f"{who}: {describe_every(c.every_days)} (since {c.since[:10]})")


@click.command()
@click.option("--within", metavar="DURATION", help="Also those due within this time: 7d, 2w.")
@click.option("--label", help="Only contacts carrying this label.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def due(env: Env, within: str | None, label: str | None, as_json: bool) -> None:
    """Who is overdue for contact, most overdue first, by how much, and since when.

    Someone is due a cadence (`rolo keep`) after their last interaction (`rolo log`); someone never
    contacted, a cadence after it began to apply to them.

    \b
    Example:
      rolo due
      rolo due --within 7d --label family
      rolo due --json
    """
    if label is not None and label.casefold() not in {n.casefold() for n, _ in env.book.labels()}:
        from rolo.core.errors import NotFoundError

        raise NotFoundError(f"no label named {label!r}", hint="rolo label list shows the labels")
    today = datetime.now(UTC).date()
    dues = env.book.due(today, within=parse_every(within) if within else 0, label=label)
    if as_json:
        print_json([d.to_json() for d in dues])
        return
    if not dues:
        click.echo("nobody is due" + (f" within {within}" if within else "") + ": all caught up")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("Name", "Due", "Last contacted", "Cadence"):
        table.add_column(column)
    for d in dues:
        style = "red" if d.overdue_days > 0 else ""
        last = f"{d.last_contacted[:10]} ({ago(d.last_contacted, today)})" if d.last_contacted else "never"
        source = "" if d.source == "own" else f", {d.source}"
        table.add_row(escape(d.name), f"[{style}]{d.describe()}[/{style}]" if style else d.describe(), last,
                      describe_every(d.every_days) + source)
    console().print(table)
