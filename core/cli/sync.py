"""`rolo sync`, `rolo conflicts`, `rolo daemon`, `rolo emulate`: two-way sync with remote CRMs (what they print
of a run: sync_output.py)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json
from rolo.core.cli.sync_output import Progress, printer, show_value, stamped
from rolo.core.sync.api import POLICIES, TAKES


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--dry-run", is_flag=True, help="Print the plan (creates, updates, deletes, conflicts per side); "
              "change nothing.")
@click.option("--pull-only", is_flag=True, help="Only bring remote changes into the book.")
@click.option("--push-only", is_flag=True, help="Only send book changes to the remote.")
@click.option("--conflict", "policy", type=click.Choice(POLICIES),
              help="Who wins a field changed on both sides [default: the remote's `conflict`, else local].")
@click.option("--force-delete", is_flag=True, help="Propagate a mass deletion the guard refused.")
@click.option("--full", is_flag=True, help="List the remote completely even where it can list incrementally.")
@click.option("--every", metavar="DURATION", help="Repeat every DURATION (e.g. 15m) until interrupted.")
@click.option("--include-private", is_flag=True,
              help="Send private custom fields too (rolo field define --local), with the contacts this sync "
                   "sends; by default they stay in the book.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON only.")
@pass_env
def sync(env: Env, names: tuple[str, ...], dry_run: bool, pull_only: bool, push_only: bool, policy: str | None,
         force_delete: bool, full: bool, every: str | None, include_private: bool, as_json: bool) -> None:
    """Sync the book with remotes (all configured ones, or those named), both ways.

    A field changed on one side flows to the other; a field changed on both sides to different values is a
    conflict, settled by the policy and logged (`rolo conflicts`). New contacts and deletions flow both
    ways; fields the remote cannot carry are never cleared in the book. A remote that suddenly lost most of
    its records is refused (--force-delete to go ahead). A sync that was interrupted resumes without
    duplicates.

    Exit status: 0 everything synced, 1 an error (nothing more was synced for that remote), 3 some records
    were skipped (refused by the remote or the book; the others synced).

    \b
    Example:
      rolo sync
      rolo sync work --dry-run
      rolo sync work --conflict remote --json
      rolo sync --every 15m
    """
    if pull_only and push_only:  # both would sync nothing: say so rather than let the last one win
        raise click.UsageError("choose one of --pull-only and --push-only (neither syncs both ways)")
    mode = "pull" if pull_only else "push" if push_only else "both"
    with Progress(not as_json and sys.stderr.isatty()) as progress:
        options = {"mode": mode, "dry_run": dry_run, "force_delete": force_delete,
                   "full": True if full else None, "policy": policy, "progress": progress,
                   "include_private": include_private}
        on_result = printer(as_json, dry_run, progress, each_json=bool(every))
        if not every:
            result = env.sync_api.sync(names, on_result=on_result, raise_errors=env.debug, **options)
            if as_json:
                print_json(result.as_dict())
            if result.exit_code:
                sys.exit(result.exit_code)
            return
        stop = threading.Event()
        try:
            env.sync_api.sync_every(every, names, stop=stop, on_result=on_result, raise_errors=env.debug,
                                    **options)
        except KeyboardInterrupt:
            stop.set()
            click.echo("stopped", err=True)


@click.group(invoke_without_command=True)
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved conflicts.")
@click.option("--remote", "remote_name", metavar="NAME",
              help="Only this remote's (`import`: imported cards'); a name that is no remote is an error.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
def conflicts(ctx: click.Context, include_resolved: bool, remote_name: str | None, as_json: bool) -> None:
    """List the conflicts sync settled: a field changed on both sides, the value kept and the one that lost.

    Conflicts of imported cards (a field changed in the book and in the file since it was last imported)
    are listed too, remote `import`. Settle one differently with `rolo conflicts resolve ID --take
    local|remote|both` (`both` only for a remote's).

    \b
    Example:
      rolo conflicts
      rolo conflicts resolve 3 --take remote
    """
    if ctx.invoked_subcommand is not None:
        return
    env = ctx.find_object(Env)
    rows = [c.as_dict() for c in env.sync_api.conflicts(  # type: ignore[union-attr]
        remote=remote_name, include_resolved=include_resolved)]
    if not rows and remote_name is not None:
        _check_remote_name(env, remote_name)  # a typo must not read as "no conflicts"
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no conflicts")
        return
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("ID", "Remote", "Contact", "Field", "Book value", "Remote value", "Kept"):
        table.add_column(column, overflow="fold", no_wrap=column in ("ID", "Field", "Kept"))
    for r in rows:
        kept = r["kept"] + (f" → {r['resolution']}" if r["resolution"] else "")
        if r["field"] == "(deleted)":  # one side deleted the contact: say so, not the whole contact
            book_value, remote_value = ("edited", "deleted") if r["local"] is not None else ("deleted", "edited")
        else:
            book_value, remote_value = show_value(r["local"]), show_value(r["remote_value"])
        table.add_row(str(r["id"]), _remote(r), r["name"] or r["uid"], r["field"], book_value, remote_value, kept)
    console().print(table)


def _check_remote_name(env: Any, name: str) -> None:
    """UserError when NAME is neither a configured remote nor `import` (imported cards' conflicts)."""
    from rolo.core.import_merge import REMOTE
    from rolo.core.sync.remotes import get_remote

    if name != REMOTE:
        get_remote(env.config, name)


def _remote(row: dict[str, Any]) -> str:
    """The remote, or for an imported card's conflict the file (or drop folder) it came from."""
    from rolo.core.import_merge import REMOTE

    if row["remote"] == REMOTE and row["remote_id"]:
        source = row["remote_id"].rsplit("#", 1)[0].removeprefix("folder:")
        return f"import {source.rstrip('/').rsplit('/', 1)[-1]}"
    return str(row["remote"])


@conflicts.command("resolve")
@click.argument("conflict_id", type=int)
@click.option("--take", type=click.Choice(TAKES), required=True,
              help="Keep the book's value, the remote's, or both (the remote version becomes a second, linked "
                   "contact to merge by hand).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def resolve(env: Env, conflict_id: int, take: str, as_json: bool) -> None:
    """Settle a logged conflict; the next sync carries the choice to the remote.

    \b
    Example:
      rolo conflicts resolve 3 --take remote
      rolo conflicts resolve 4 --take both
    """
    result = env.sync_api.resolve_conflict(conflict_id, take)
    if as_json:
        print_json(result.as_dict())
    else:
        click.echo(f"conflict {conflict_id}: {result.outcome}")


@click.command()
@click.option("--every", default="15m", show_default=True, metavar="DURATION", help="How often to sync each remote.")
@click.option("--folder", type=click.Path(file_okay=False), help="Drop folder to watch [default: as `rolo watch`].")
@click.option("--no-watch", is_flag=True, help="Only sync; do not watch a drop folder.")
@click.option("--no-sync", is_flag=True, help="Only watch; do not sync.")
@pass_env
def daemon(env: Env, every: str, folder: str | None, no_watch: bool, no_sync: bool) -> None:
    """Run the drop-folder watcher and the periodic sync of every remote together, until interrupted.

    Besides the watcher (the `watch` service), it runs every service plugins register: `reminders` when a
    contact has a cadence (`rolo keep`), `webhooks` (as `rolo serve-webhooks`) when a remote has a webhook
    secret. A remote that fails
    is retried later with a growing backoff (up to an hour); the others go on. Every line it prints starts
    with the local time, as `rolo watch` logs: each file the drop folder imports (or fails), each sync's
    one-line summary with its conflicts (stdout) and its skipped records and errors (stderr). SIGTERM or
    Ctrl-C stop it (exit 0; 1 when a service failed).

    \b
    Example:
      rolo daemon --every 15m
      rolo daemon --no-watch --every 5m
      rolo daemon --no-sync --folder ~/Drop
    """
    import signal

    stop = threading.Event()
    # SIGTERM (a service manager stopping us) ends the services like Ctrl-C: the file or sync in progress
    # finishes its current step, then they return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    report = None
    try:
        report = env.sync_api.daemon(stop=stop, every=every, sync=not no_sync, skip=["watch"] if no_watch else [],
                                     options={"folder": folder}, log=lambda line: stamped(line, True),
                                     on_result=printer(False, False, echo=stamped))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if report is not None and report.exit_code:
        sys.exit(report.exit_code)


@click.command()
@click.argument("adapter_name", metavar="ADAPTER")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--json", "as_json", is_flag=True, help="Print the URL and key as JSON.")
@pass_env
def emulate(env: Env, adapter_name: str, port: int, as_json: bool) -> None:
    """Run an adapter's emulator on 127.0.0.1, to try a remote with no account; Ctrl-C stops it.

    It prints its URL and a test key; the data lives in memory and is gone when it stops.

    \b
    Example:
      rolo emulate relm --port 8765
      export RELM_KEY=...   # the key it printed
      rolo remote add try --adapter relm --url http://127.0.0.1:8765 --token-env RELM_KEY
    """
    emulator = env.sync_api.start_emulator(adapter_name, port)
    if as_json:
        print_json(emulator.as_dict())
    else:
        click.echo(f"{adapter_name} emulator at {emulator.url}")
        click.echo(f"api key: {emulator.api_key}")
        for name, value in emulator.extra.items():
            click.echo(f"{name.replace('_', ' ')}: {value}")
        click.echo("Ctrl-C to stop")
    sys.stdout.flush()
    stop = threading.Event()
    # `kill` (SIGTERM) stops it as Ctrl-C does: the emulator's data (Radicale's folder) is removed too
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
