"""`rolo history` lists what changed the book; `rolo undo` reverts a change (see rolo.core.history)."""

from __future__ import annotations

from typing import Any

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.cli.output import print_json

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON only.")

_ACTIONS = {"deleted": "moved to the trash", "restored": "restored from the trash", "note": "notes log"}
EXIT_CONFLICTS = 3
SHOWN = 10  # contacts an undo lists by name  # as `rolo import` with failed cards: something was left undone


@click.command()
@click.argument("ref", type=CONTACT_REF, required=False)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many changes to list, newest first.")
@click.option("--all", "show_all", is_flag=True, help="List every change (no --limit).")
@json_option
@pass_env
def history(env: Env, ref: str | None, limit: int, show_all: bool, as_json: bool) -> None:
    """List the changes made to the book, newest first, or to one contact (REF).

    Every write is a change: a command, a dropped file, a sync run (one change per run), a merge, an
    undo. Each shows when, what made it and, per contact, the fields before and after. Undo one with
    `rolo undo ID`.

    \b
    Example:
      rolo history
      rolo history ada@example.com --json
    """
    # per change: every change of one contact; of the whole book the first few (20 in JSON)
    entries = env.book.history(ref, limit=None if show_all else limit,
                               changes=None if ref else 20 if as_json else 5)
    if as_json:
        print_json(entries)
        return
    print_history(entries, one_contact=ref is not None)


def print_history(entries: list[dict[str, Any]], *, one_contact: bool) -> None:
    """The history as text: a heading line per change, then its contact changes (indented)."""
    from rolo.core.history.report import change_lines, summary

    if not entries:
        click.echo("no changes recorded")
        return
    for entry in entries:
        made = entry["command"] or "(a library call)"
        extra = [entry["actor"]] if entry["actor"] != "person" else []
        if entry["source"]:
            extra.append(entry["source"])
        if entry["undoes"]:
            extra.append(f"undoes {entry['undoes']}")
        if entry["undone_by"]:
            extra.append(f"undone by {entry['undone_by']}")
        if entry.get("author"):
            extra.append(f"by {entry['author']}")
        tail = f"  ({'; '.join(extra)})" if extra else ""
        click.echo(f"{entry['id']:>5}  {entry['at']}  {made}{tail}")
        if not one_contact:
            click.echo(f"       {summary(entry)}")
        for change in entry["changes"]:
            lines = change_lines(change)
            prefix = "" if one_contact else f"{change['name'] or change['uid']}: "
            for line in lines:
                click.echo(f"       {prefix}{line}")
        if entry["more_changes"]:
            click.echo(f"       … and {entry['more_changes']} more (rolo history REF shows one contact's)")


@click.command()
@click.argument("change_id", required=False, type=int)
@click.option("--dry-run", is_flag=True, help="Show what would be reverted; change nothing.")
@json_option
@pass_env
def undo(env: Env, change_id: int | None, dry_run: bool, as_json: bool) -> None:
    """Revert a change (CHANGE_ID from `rolo history`; default: the last change a person made that is
    not undone yet, so repeated undos walk back; changes made by a sync are undone only by id).

    The undo is a change of its own: `rolo undo ID_OF_THE_UNDO` redoes. A field changed again since is
    a conflict: reported, and left as it is now. A contact the change created goes to the trash. The
    reverted values reach remotes on the next sync, like any edit. Exit status 3 when conflicts were
    left.

    \b
    Example:
      rolo undo --dry-run
      rolo undo 42
    """
    report = env.book.undo(change_id, dry_run=dry_run)
    if as_json:
        print_json(report.as_dict())
    else:
        verb = "would revert" if dry_run else "reverted"
        for item in report.reverted[:SHOWN]:
            what = _ACTIONS.get(item["action"]) or ", ".join(item["fields"])
            click.echo(f"{verb}: {item['name'] or item['uid']}: {what}")
        if len(report.reverted) > SHOWN:
            click.echo(f"{verb}: … and {len(report.reverted) - SHOWN} more contacts (--json lists them all)")
        for item in report.conflicts:
            click.echo(f"conflict: {item['name'] or item['uid']}: {item['field']}: {item['reason']}")
        if dry_run:
            click.echo(f"dry run: change {report.target} not undone")
        elif report.changeset_id is not None:
            click.echo(f"undid change {report.target} as change {report.changeset_id} "
                       f"(rolo undo {report.changeset_id} redoes it)")
        else:
            click.echo(f"change {report.target}: nothing left to undo")
    if report.conflicts:
        raise SystemExit(EXIT_CONFLICTS)
