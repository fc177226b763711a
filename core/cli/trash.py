"""The trash: `rolo trash` lists deleted contacts, `rolo restore` brings one back, `rolo trash empty` purges."""

from __future__ import annotations

import sys

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.prompts import confirm
from rolo.core.errors import UserError


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def trash(ctx: click.Context, as_json: bool) -> None:
    """List the contacts in the trash, most recently deleted first.

    `rolo rm` moves contacts here; they stay until `rolo trash empty` purges them, so a sync can still
    delete them on remotes and `rolo restore` can bring them back.

    \b
    Example:
      rolo trash
      rolo trash --json
      rolo trash empty --older-than 30d
    """
    if ctx.invoked_subcommand is not None:
        return
    env = ctx.find_object(Env)
    assert env is not None  # the root group always sets it
    trashed = env.book.trash()
    if as_json:
        from rolo.core.cli.output import print_json

        print_json([{k: t[k] for k in ("uid", "formatted_name", "deleted_at", "emails")} for t in trashed])
        return
    for item in trashed:
        click.echo(f"{item['deleted_at']}  {item['formatted_name'] or '(no name)'}  {item['uid']}")
    click.echo(f"{len(trashed)} contact{'' if len(trashed) == 1 else 's'} in the trash")


@trash.command()
@click.option("--older-than", "older_than", metavar="DURATION",
              help="Only contacts deleted longer ago than this (30d, 12h, 15m) [default: all].")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_env
def empty(env: Env, older_than: str | None, yes: bool) -> None:
    """Purge contacts from the trash for good.

    A contact a sync has not deleted on a remote yet is kept (run `rolo sync` first), so no remote
    record is left behind.

    \b
    Example:
      rolo trash empty --older-than 30d --yes
    """
    from rolo.core.sync.remotes import parse_duration

    seconds = parse_duration(older_than) if older_than is not None else None
    count, kept = env.book.empty_trash(seconds, dry_run=True)
    if count and not yes and not confirm(f"Purge {count} contact{'' if count == 1 else 's'} from the trash for good?"):
        raise UserError("nothing purged", hint=None if sys.stdin.isatty() else "--yes purges without asking")
    purged, kept = env.book.empty_trash(seconds) if count else (0, kept)
    click.echo(f"purged {purged} contact{'' if purged == 1 else 's'}")
    for remote, n in kept.items():
        click.echo(f"kept {n} not yet deleted on {remote}: run rolo sync first")


@click.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the restored contact as JSON.")
@pass_env
def restore(env: Env, ref: str, as_json: bool) -> None:
    """Bring a contact back from the trash.

    REF is its uid, a uid prefix of 6+ characters or an email address; failing those, its name (or words
    starting its name or email) among the contacts in the trash: one match is restored, several are a
    numbered list to choose from on a terminal (an error listing them, exit 2, in a script). The next sync
    sends it to remotes again (re-creating it where it was already deleted).

    \b
    Example:
      rolo restore ada@example.com
      rolo restore "Ada Lovelace"
    """
    from rolo.core.errors import NotFoundError

    try:
        record = env.book.restore(ref)
    except NotFoundError:
        uid = _trashed_by_name(env, ref)
        if uid is None:
            raise  # the same error as before names were looked at
        record = env.book.restore(uid)
    if as_json:
        from rolo.core.cli.output import print_json

        print_json(record.to_json())
    else:
        click.echo(f"restored {record.display_name()} ({record.uid}, revision {record.revision})")


def _trashed_by_name(env: Env, ref: str) -> str | None:
    """The uid of the contact in the trash whose name (or email) REF names (asked, or an error, when several
    are); None when none is. A whole-name match wins over words starting names, as for live contacts."""
    from rolo.core.cli.refs import pick, same_name, words_match

    trashed = env.book.trash()
    whole = [t for t in trashed if same_name(t["formatted_name"] or "", ref)]
    found = whole if len(whole) == 1 else [
        t for t in trashed if words_match(ref, " ".join([t["formatted_name"] or "", *t["emails"]]))]
    if not found:
        return None
    if len(found) == 1:
        return str(found[0]["uid"])
    lines = ["  ".join(p for p in (t["formatted_name"], (t["emails"] or [""])[0], t["uid"]) if p) for t in found]
    return str(found[pick(ref, lines)]["uid"])
