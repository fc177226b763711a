"""`rolo dupes` and `rolo merge`: find likely duplicates and fold them into one contact."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.cli.output import console, contact_detail, print_json
from rolo.core.errors import UserError


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def dupes(env: Env, as_json: bool) -> None:
    """Groups of likely duplicates, most certain first.

    Two contacts match when they share an email address or a phone number (in any format), unless their
    names clearly differ (a shared office address or switchboard number), or when their names are very
    similar and they share an organization or an email domain. A group holds contacts that all match each
    other, never a chain: a contact matching two others that do not match each other is in two groups.

    \b
    Example:
      rolo dupes
      rolo merge KEEP_UID OTHER_UID --dry-run
    """
    groups = env.book.duplicates()
    if as_json:
        print_json([g.to_json() for g in groups])
        return
    out = console()
    for number, group in enumerate(groups, 1):
        out.print(f"[bold]{number}.[/bold] score {group.score:.2f}: {'; '.join(group.reasons)}")
        for contact in group.contacts:
            out.print(f"   {contact['uid']}  {contact['formatted_name']}")
    out.print(f"[dim]{len(groups)} group{'s' if len(groups) != 1 else ''} of likely duplicates[/dim]")


@click.command()
@click.argument("keep", type=CONTACT_REF)
@click.argument("others", nargs=-1, required=True, type=CONTACT_REF)
@click.option("--dry-run", is_flag=True, help="Show the merged contact without changing anything.")
@click.option("--json", "as_json", is_flag=True, help="Print the merged contact as JSON.")
@click.option("--yes", is_flag=True, help="Merge without asking when a sync will delete remote records.")
@click.option("--no-backup", is_flag=True, help="Do not copy the book first (rolo undo still reverts a merge).")
@pass_env
def merge(env: Env, keep: str, others: tuple[str, ...], dry_run: bool, as_json: bool, yes: bool,
          no_backup: bool) -> None:
    """Merge OTHERS into KEEP: one contact with the union of their emails, phones, addresses, URLs, labels
    and custom fields; where single values differ KEEP wins and the other value goes to the notes log. The
    others are deleted (tombstoned) and their uids become aliases of KEEP: `rolo show` and `rolo import`
    of a card with such a uid reach KEEP, and the card only adds to it.

    KEEP takes over the others' remote records where it has none on that remote, so the next sync updates
    that record. Where KEEP has a record of its own there, the next sync deletes the other's: rolo says
    which and asks first (--yes does not ask; without a yes nothing is merged).

    The kept contact holds each number once (compared in E.164 form) and each email once (any case), with
    the label of a copy that had one. Before merging, rolo copies the book beside it as `rolo backup` does
    (BOOK.backup-SCHEMA-TIME-merge) and says where; the 3 newest of these copies are kept, older ones
    deleted (copies made by `rolo backup` are never deleted); --no-backup skips the copy.

    \b
    Example:
      rolo merge jon.smith@example.com dd468ec4 --dry-run
      rolo merge jon.smith@example.com dd468ec4
    """
    deletions = env.book.merge_remote_deletions(keep, list(others))
    lines = [d.message() for d in deletions]
    if deletions and not dry_run and not yes:
        for line in lines:
            click.echo(line, err=True)
        if not click.confirm("Merge anyway?", default=False, err=True):
            raise UserError("nothing merged", hint="rerun with --yes to merge and let the next sync delete them")
    made = None
    ids = [env.book.resolve(ref) for ref in (keep, *others)]
    # a PostgreSQL book is the server's to back up (pg_dump); the merge is one transaction, and undoable
    if not dry_run and not no_backup and len(set(ids)) == len(ids) and not env.book.on_server:
        made = env.book.backup(before_merge=True)
        if not as_json:
            click.echo(f"backed up the book to {made.backup}")
    merged, log, absorbed = env.book.merge(keep, list(others), dry_run=dry_run, delete_remote=bool(deletions))
    if as_json:
        print_json({"dry_run": dry_run, "contact": merged.to_json(), "log": log,
                    "merged": [o.uid for o in absorbed], "backup": str(made.backup) if made else None,
                    "remote_deletions": [{"uid": d.uid, "remote": d.remote, "remote_id": d.remote_id}
                                         for d in deletions]})
        return
    contact_detail(merged)
    for line in log:
        click.echo(f"  notes log: {line}")
    verb = "would merge" if dry_run else "merged"
    click.echo(f"{verb} {len(absorbed)} contact{'s' if len(absorbed) != 1 else ''} into {merged.uid}")
    for line in lines:
        click.echo(line)
