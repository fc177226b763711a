"""`rolo plugins`: what is loaded, from where, implementing which hooks."""

from __future__ import annotations

import click

from rolo.core.cli.output import console, print_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def plugins(as_json: bool) -> None:
    """List loaded plugins (built-in and third-party), where each comes from and the hooks it implements.

    Set ROLO_LOAD_PLUGINS to a comma list of entry-point names to load only those third-party plugins
    (empty: none); rolo's built-in plugins always load.

    \b
    Example:
      rolo plugins
      ROLO_LOAD_PLUGINS= rolo plugins --json
    """
    from rolo.core.plugins import describe, get_plugin_manager

    rows = describe(get_plugin_manager())
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("Plugin", "Module", "From", "Hooks"):
        table.add_column(column, overflow="fold")
    for row in rows:
        source = f"{row['distribution']}{' (built-in)' if row['builtin'] else ''}" if row["distribution"] else "?"
        table.add_row(str(row["name"]), str(row["module"]), source, ", ".join(row["hooks"]))  # type: ignore[arg-type]
    console().print(table if rows else "[dim]no plugins loaded[/dim]")
