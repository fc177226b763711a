"""`rolo backup`: a consistent copy of the book, safe while other rolo processes write to it."""

from __future__ import annotations

from pathlib import Path

import click

from rolo.core.cli.context import Env, pass_env


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def backup(env: Env, path: Path | None, as_json: bool) -> None:
    """Copy the book to PATH (a new file, or a folder) with SQLite's online backup API, and say where.

    Safe while `rolo watch`, a sync or another command writes: the copy is one consistent state of the
    book, checked with PRAGMA quick_check. Without PATH the copy goes beside the book as
    BOOK.backup-SCHEMA-TIME, the name migrations give theirs, so a damaged book's error names it. An existing
    file is never overwritten. To restore, copy a backup over the book while no rolo runs.

    \b
    Example:
      rolo backup
      rolo backup ~/Backups/ --json
    """
    made = env.book.backup(path)
    if as_json:
        from rolo.core.cli.output import print_json

        print_json({"book": str(made.book), "backup": str(made.backup), "bytes": made.bytes, "schema": made.schema})
    else:
        click.echo(f"backed up {made.book} to {made.backup} ({made.bytes / 1e6:.1f} MB)")
