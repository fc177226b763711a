"""`rolo label`: put labels on contacts, take them off, list and rename them."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.cli.output import console, print_json


@click.group()
def label() -> None:
    """Labels (tags, groups) on contacts; names are unique case-insensitively.

    \b
    Example:
      rolo label add ada@example.com friends "book club"
      rolo label list
    """


@label.command("add")
@click.argument("ref", type=CONTACT_REF)
@click.argument("labels", nargs=-1, required=True)
@pass_env
def label_add(env: Env, ref: str, labels: tuple[str, ...]) -> None:
    """Add labels to a contact.

    \b
    Example:
      rolo label add ada@example.com friends investors
    """
    def change(record):  # type: ignore[no-untyped-def]
        record.labels = [*record.labels, *labels]
        return record

    record = env.book.update(ref, change)
    click.echo(f"{record.display_name()}: {', '.join(record.labels)}")


@label.command("rm")
@click.argument("ref", type=CONTACT_REF)
@click.argument("labels", nargs=-1, required=True)
@pass_env
def label_rm(env: Env, ref: str, labels: tuple[str, ...]) -> None:
    """Remove labels from a contact (labels it does not carry are ignored).

    \b
    Example:
      rolo label rm ada@example.com investors
    """
    drop = {name.strip().casefold() for name in labels}

    def change(record):  # type: ignore[no-untyped-def]
        record.labels = [name for name in record.labels if name.casefold() not in drop]
        return record

    record = env.book.update(ref, change)
    click.echo(f"{record.display_name()}: {', '.join(record.labels) or '(no labels)'}")


@label.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def label_list(env: Env, as_json: bool) -> None:
    """List labels with how many contacts carry each.

    \b
    Example:
      rolo label list --json
    """
    labels = env.book.labels()
    if as_json:
        print_json([{"name": name, "count": count} for name, count in labels])
        return
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    table.add_column("Label")
    table.add_column("Contacts", justify="right")
    for name, count in labels:
        table.add_row(name, str(count))
    console().print(table if labels else "[dim]no labels[/dim]")


@label.command("rename")
@click.argument("old")
@click.argument("new")
@pass_env
def label_rename(env: Env, old: str, new: str) -> None:
    """Rename a label; renaming onto an existing label merges the two.

    \b
    Example:
      rolo label rename "bookclub" "Book Club"
    """
    count = env.book.rename_label(old, new)
    click.echo(f"renamed {old!r} to {new!r} ({count} contact{'s' if count != 1 else ''})")
