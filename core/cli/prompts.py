"""Questions to the person at the terminal, answered the safe way when nobody is there."""

from __future__ import annotations

import sys

import click

from rolo.core.errors import UserError


def interactive() -> bool:
    """Whether a person can answer a question: stdin, stdout and stderr (where it is drawn) are terminals."""
    return all(stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr))


def choose(title: str, lines: list[str], *, cancelled: str) -> int:
    """A numbered picker on stderr: TITLE, one numbered line per choice, then the question; the index chosen.
    Enter or q is UserError(CANCELLED) (exit 1) so the command writes nothing; a wrong number asks again."""
    click.echo(title, err=True)
    for number, line in enumerate(lines, 1):
        click.echo(f"  {number:>2}  {line}", err=True)
    while True:
        answer = click.prompt(f"Which one? [1-{len(lines)}, Enter or q: none]", default="", show_default=False,
                              err=True).strip()
        if answer.lower() in ("", "q", "quit"):
            raise UserError(cancelled)
        if answer.isdigit() and 1 <= int(answer) <= len(lines):
            return int(answer) - 1
        click.echo(f"type a number from 1 to {len(lines)}, or Enter to cancel", err=True)


def confirm(question: str) -> bool:
    """Ask yes or no (default no); no answer at all (standard input at its end, as in a script) is no,
    instead of click's `Aborted!`, so the command can say what it did not do in its own one-line error."""
    try:
        return click.confirm(question, default=False)
    except click.Abort:
        click.echo("")  # end the line the question left open
        return False
