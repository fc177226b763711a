"""`rolo book`: the book as a whole: `rolo book copy` moves it between files and PostgreSQL databases."""

from __future__ import annotations

import sys

import click

from rolo.core.cli.context import Env, pass_env


@click.group()
def book() -> None:
    """The book as a whole (see also `rolo init`, `rolo backup`, `rolo doctor`).

    A book is a file (a path, or sqlite:///PATH) or a PostgreSQL database (postgresql://USER@HOST/DATABASE,
    its password in ~/.pgpass or $PGPASSWORD), for a book several people or machines write at once.

    \b
    Example:
      rolo book copy ~/.local/share/rolo/book.db postgresql://ada@db.home/rolo
    """


@book.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DEST")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON only.")
@pass_env
def copy(env: Env, source: str, destination: str, as_json: bool) -> None:
    """Copy the book at SRC into a new book at DEST, with nothing lost: every contact, the history, the
    trash, notes, custom fields, import bases and the sync state, row for row.

    Either may be a file or a PostgreSQL database; DEST is created (or migrated) and must hold no contact.
    The copy is one transaction: interrupted, DEST is left as it was. SRC is read as one consistent state
    while others may go on writing to it. Then point rolo at DEST (--book, $ROLO_BOOK, or `book` in
    rolo.toml).

    \b
    Example:
      createdb rolo
      rolo book copy ~/.local/share/rolo/book.db postgresql://ada@db.home/rolo
      rolo book copy postgresql://ada@db.home/rolo ~/book-copy.db
    """
    from rolo.core.store.copy import copy_book

    last = [""]

    def progress(table: str, rows: int) -> None:
        if not as_json and sys.stderr.isatty() and (table != last[0] or rows % 10_000 == 0):
            last[0] = table
            click.echo(f"\r{table}: {rows:,} rows", nl=False, err=True)

    report = copy_book(source, destination, progress=progress)
    if not as_json and sys.stderr.isatty():
        click.echo("\r" + " " * 40 + "\r", nl=False, err=True)
    if as_json:
        from rolo.core.cli.output import print_json

        print_json(report.as_dict())
        return
    others = sum(n for t, n in report.rows.items() if t != "contact")
    click.echo(f"copied {report.contacts:,} contact{'s' * (report.contacts != 1)} and {others:,} other rows "
               f"from {report.source} to {report.destination}")
