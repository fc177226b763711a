"""`rolo note`: a dated log per contact (calls, meetings, things to remember)."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json


@click.group()
def note() -> None:
    """A dated notes log per contact.

    \b
    Example:
      rolo note add ada@example.com "Lunch; she is moving to Paris in May"
      rolo note list ada@example.com
    """


@note.command("add")
@click.argument("ref")
@click.argument("text", nargs=-1, required=True)
@pass_env
def note_add(env: Env, ref: str, text: tuple[str, ...]) -> None:
    """Add a note to a contact's log (now, in UTC).

    \b
    Example:
      rolo note add ada@example.com "Called about the conference"
    """
    entry = env.book.add_note(ref, " ".join(text))
    click.echo(f"noted at {entry['created_at']}")


@note.command("list")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def note_list(env: Env, ref: str, as_json: bool) -> None:
    """List a contact's notes, oldest first.

    \b
    Example:
      rolo note list ada@example.com --json
    """
    entries = env.book.notes_log(ref)
    if as_json:
        print_json(entries)
        return
    out = console()
    for entry in entries:
        out.print(f"[bold]{entry['created_at']}[/bold]  {entry['body']}")
    if not entries:
        out.print("[dim]no notes[/dim]")
