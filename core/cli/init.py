"""`rolo init`: create the book where rolo will look for it."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def init(env: Env, as_json: bool) -> None:
    """Create the book at its location (`--book`, `$ROLO_BOOK`, the config's `book`, or the default) and say
    where; a book already there is left as it is (an older one is upgraded, after a backup beside it).

    Read commands never create a book: on a missing one they say so. Any write (`rolo add`, `rolo import`...)
    creates it too.

    \b
    Example:
      rolo init
      rolo --book ~/contacts/book.db init --json
    """
    from rolo.core.store.connection import SCHEMA_HEAD

    path, created, upgraded_from = env.book.create()
    if as_json:
        from rolo.core.cli.output import print_json

        print_json({"book": str(path), "created": created, "schema": SCHEMA_HEAD, "upgraded_from": upgraded_from})
    elif created:
        click.echo(f"created book {path}")
    elif upgraded_from:
        click.echo(f"book {path} already exists; upgraded its schema from {upgraded_from} to {SCHEMA_HEAD} "
                   "(a backup of it is beside it)")
    else:
        click.echo(f"book {path} already exists")
