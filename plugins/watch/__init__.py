"""The drop-folder watcher, a built-in plugin: `rolo watch` imports every vCard saved into a folder.

It registers like any third-party plugin (`watch = "rolo.plugins.watch"` under `[project.entry-points.rolo]`)
and uses only the plugin API: `register_commands` adds the command (on the documented command-line context,
`rolo.core.cli.context`), `register_services` offers the watcher to `rolo daemon` as the `watch` service,
and each imported file is announced through the `file_imported` hook. The engine is
`rolo.plugins.watch.watcher.DropFolderWatcher`.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.errors import UserError
from rolo.core.hookspecs import hookimpl


if TYPE_CHECKING:
    from rolo.core.sync.service import ServiceContext
    from rolo.plugins.watch.watcher import DropFolderWatcher

SERVICE = "watch"


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `rolo watch`."""
    cli.add_command(watch)


@hookimpl
def register_services(register: Any) -> None:
    """Offer the watcher to `rolo daemon` as the `watch` service (`--no-watch` leaves it out)."""
    register(SERVICE, watch_service)


def watch_service(context: ServiceContext) -> DropFolderWatcher:
    """The `watch` service: the daemon's `folder` option (`--folder`), else the folder `rolo watch` uses
    (created if missing); each file is logged with its time, as `rolo watch` logs it."""
    from rolo.plugins.watch.watcher import DropFolderWatcher, default_folder, format_event

    folder = context.options.get("folder")
    target = Path(str(folder)).expanduser() if folder else default_folder(context.config)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"drop folder {target}: {exc.strerror or exc}") from None

    def log(event: dict[str, Any]) -> None:
        context.log(format_event(event))

    return DropFolderWatcher(context.book, target, pm=context.plugin_manager, log=log)


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Import what is in the folder now, then exit (for cron).")
@click.option("--poll", is_flag=True, help="Poll instead of inotify (network and FUSE file systems).")
@click.option("--keep", is_flag=True, help="Leave imported files in place; remember them by content hash.")
@click.option("--delete", is_flag=True, help="Delete imported files instead of moving them to imported/.")
@click.option("--json", "as_json", is_flag=True, help="Log JSON lines to standard output.")
@pass_env
def watch(env: Env, folder: Path | None, once: bool, poll: bool, keep: bool, delete: bool, as_json: bool) -> None:
    """Import every vCard saved into a drop folder, as it arrives.

    FOLDER defaults to the config's `[watch] folder`, else `Drop` in the user data folder (created if
    missing). Files already there are imported first, then new ones once they are complete (temporary
    names such as .part, .crdownload, .tmp, ~ and dot-files wait until renamed). Each imported file moves
    to FOLDER/imported/YYYY-MM-DD/; cards that failed go to FOLDER/failed/ with a .error.txt naming each
    card and why. Dropping a file again changes nothing. One line is logged per file (stderr, or JSON
    lines on stdout with --json). Ctrl-C or SIGTERM finish the current file and exit 0; with --once the
    exit status is 3 when some cards failed.

    \b
    Example:
      rolo watch                      # watch ~/.local/share/rolo/Drop until Ctrl-C
      rolo watch ~/Downloads/cards --keep --json
      rolo watch ~/Drop --once        # from cron
    """
    from rolo.plugins.watch.watcher import DropFolderWatcher, default_folder, format_event

    if keep and delete:
        raise click.UsageError("--keep and --delete cannot be used together")
    if folder is None:
        folder = default_folder(env.config)
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.expanduser().is_dir():
        raise UserError(f"{folder}: no such folder", hint="create it, or leave FOLDER out for the default")

    stop = threading.Event()

    def log(event: dict[str, Any]) -> None:
        try:
            if as_json:
                sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                suffix = "; Ctrl-C to stop" if event["event"] == "watching" else ""
                click.echo(format_event(event) + suffix, err=True)
        except BrokenPipeError:
            # the reader went away (`rolo watch --json | head -3`): finish the current file and stop, as a
            # pipeline expects; later lines go nowhere (/dev/null, so Python's exit flush is quiet too)
            os.dup2(os.open(os.devnull, os.O_WRONLY), (sys.stdout if as_json else sys.stderr).fileno())
            stop.set()

    watcher = DropFolderWatcher(env.book, folder, poll=poll, after="keep" if keep else "delete" if delete else "move",
                                log=log)
    if once:
        results = watcher.catch_up()
        if any(r.failed or r.status == "failed" for r in results):
            sys.exit(3)
        return

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()  # safe here: the watcher only polls stop.is_set(), it never waits holding its lock
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        watcher.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
