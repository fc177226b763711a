"""Questions to the person at the terminal, answered the safe way when nobody is there."""

from __future__ import annotations

import click


def confirm(question: str) -> bool:
    """Ask yes or no (default no); no answer at all (standard input at its end, as in a script) is no,
    instead of click's `Aborted!`, so the command can say what it did not do in its own one-line error."""
    try:
        return click.confirm(question, default=False)
    except click.Abort:
        click.echo("")  # end the line the question left open
        return False
