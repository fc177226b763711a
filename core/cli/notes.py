"""`rolo note`: a dated log per contact (calls, meetings, things to remember)."""

from __future__ import annotations

import sys

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.cli.output import console, print_json
from rolo.core.errors import UserError


@click.group()
def note() -> None:
    """A dated notes log per contact.

    \b
    Example:
      rolo note add ada@example.com "Lunch; she is moving to Paris in May"
      rolo note list ada@example.com
      rolo note edit 12 "Lunch; she moves to Paris in June"
      rolo note rm 12 --yes
    """


def _text(words: tuple[str, ...]) -> str:
    """The note text: the words given, or standard input for a lone `-`; empty text is refused."""
    if words == ("-",):
        text = sys.stdin.read().strip()
    else:
        text = " ".join(words)
    if not text.strip():
        raise UserError("note text is empty")
    return text


@note.command("add")
@click.argument("ref", type=CONTACT_REF)
@click.argument("text", nargs=-1, required=True)
@click.option("--local", "local_only", is_flag=True,
              help="Private: left out of exports unless --include-private (the log never goes to remotes).")
@pass_env
def note_add(env: Env, ref: str, text: tuple[str, ...], local_only: bool) -> None:
    """Add a note to a contact's log (now, in UTC); `-` reads the text from standard input.

    \b
    Example:
      rolo note add ada@example.com "Called about the conference"
      pbpaste | rolo note add ada@example.com -
    """
    entry = env.book.add_note(ref, _text(text), local_only=local_only)
    click.echo(f"noted at {entry['created_at']}")


@note.command("list")
@click.argument("ref", type=CONTACT_REF)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def note_list(env: Env, ref: str, as_json: bool) -> None:
    """List a contact's notes, oldest first, each with its id (for `rolo note edit` and `rolo note rm`),
    an interaction's kind and "(private)" for an entry kept out of exports (`rolo note add --local`).

    \b
    Example:
      rolo note list ada@example.com --json
    """
    entries = env.book.notes_log(ref)
    if as_json:
        print_json(entries)
        return
    from rich.markup import escape

    out = console()
    for entry in entries:
        marks = (entry["kind"], "private" if entry["local_only"] else None)
        tags = "".join(f"  [dim]({mark})[/dim]" for mark in marks if mark)
        head = f"[dim]#{entry['id']}[/dim]  [bold]{entry['created_at']}[/bold]{tags}"
        out.print(f"{head}  {escape(entry['body'])}")
    if not entries:
        out.print("[dim]no notes[/dim]")


@note.command("edit")
@click.argument("note_id", metavar="ID", type=int)
@click.argument("text", nargs=-1, required=True)
@pass_env
def note_edit(env: Env, note_id: int, text: tuple[str, ...]) -> None:
    """Change the text of a note (its time stays); `-` reads the text from standard input.

    Search finds the new text and no longer the old. `rolo note list REF` shows the ids.

    \b
    Example:
      rolo note edit 12 "Lunch; she moves to Paris in June"
    """
    entry = env.book.edit_note(note_id, _text(text))
    click.echo(f"edited note {entry['id']} ({entry['at']}) of {entry['uid']}")


@note.command("rm")
@click.argument("note_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_env
def note_rm(env: Env, note_id: int, yes: bool) -> None:
    """Remove a note from a contact's log. `rolo note list REF` shows the ids.

    \b
    Example:
      rolo note rm 12 --yes
    """
    if not yes:
        entry = env.book.note(note_id)
        short = entry["text"] if len(entry["text"]) <= 60 else entry["text"][:57] + "..."
        if not click.confirm(f"Remove note {note_id} of {entry['name']} ({entry['at']}: {short!r})?",
                             default=False):
            raise UserError("not removed")
    removed = env.book.remove_note(note_id)
    click.echo(f"removed note {removed['id']} ({removed['at']}) of {removed['uid']}")
