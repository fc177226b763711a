"""The `rolo` command line. Commands live in the modules of this package and load only when invoked, so
`rolo --version` and read commands start fast (importing SQLAlchemy alone costs ~0.3 s)."""

from __future__ import annotations

import importlib
import sqlite3
import sys
from typing import Any

import click

from rolo.core import __version__
from rolo.core.cli.context import Env
from rolo.core.errors import RoloError

ARGV_KEY = "rolo.argv"  # click Context.meta key: the command line's arguments, for the history

# command name -> "module:attribute" under rolo.core.cli
COMMANDS = {
    "add": "contacts:add",
    "show": "contacts:show",
    "list": "contacts:list_",
    "search": "contacts:search",
    "edit": "editing:edit",
    "rm": "contacts:rm",
    "trash": "trash:trash",
    "restore": "trash:restore",
    "label": "labels:label",
    "field": "fields:field",
    "note": "notes:note",
    "log": "crm:log",
    "keep": "crm:keep",
    "due": "crm:due",
    "relate": "relations:relate",
    "email": "lookup:email",
    "phone": "lookup:phone",
    "birthdays": "lookup:birthdays",
    "dates": "dates:dates",
    "import": "transfer:import_",
    "export": "transfer:export",
    "dupes": "dupes:dupes",
    "merge": "dupes:merge",
    "plugins": "plugins:plugins",
    "remote": "remote:remote",
    "sync": "sync:sync",
    "conflicts": "sync:conflicts",
    "daemon": "sync:daemon",
    "emulate": "sync:emulate",
    "history": "history:history",
    "undo": "history:undo",
    "init": "init:init",
    "doctor": "doctor:doctor",
    "backup": "backup:backup",
    "book": "book:book",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use; errors become one `Error:` line.

    Built-in commands come from COMMANDS; plugins add theirs through the `register_commands` hook, which
    is only called when a name is not built in (or for --help), so built-in commands start fast.
    """

    _plugin_commands: dict[str, click.Command] | None = None

    def plugin_commands(self) -> dict[str, click.Command]:
        if self._plugin_commands is None:
            from rolo.core.plugins import get_plugin_manager

            collector = click.Group()
            get_plugin_manager().hook.register_commands(cli=collector)
            self._plugin_commands = {n: c for n, c in collector.commands.items() if n not in COMMANDS}
        return self._plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.plugin_commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return self.plugin_commands().get(name)
        module, attr = target.split(":")
        return getattr(importlib.import_module(f"rolo.core.cli.{module}"), attr)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        argv = list(args)  # before parsing consumes them: the command line the history records
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta.setdefault(ARGV_KEY, argv)
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (RoloError, sqlite3.DatabaseError) as exc:
            env = ctx.find_object(Env)
            if env is not None and env.debug:
                raise
            if isinstance(exc, sqlite3.DatabaseError):
                # a damaged book, or the environment (a locked or unwritable file, a full disk); else a bug
                known = (env or Env()).database_error(exc)
                if known is None:
                    raise
                exc = known
            message = str(exc)
            if exc.hint:
                message += f" (hint: {exc.hint})"
            error = click.ClickException(message)
            error.exit_code = exc.exit_code
            raise error from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--book", "book", metavar="PATH|URL", envvar="ROLO_BOOK",
              help="The book file, or a URL: sqlite:////abs/book.db (with three slashes the path is relative) "
                   "[env ROLO_BOOK; default: the user data dir's book.db].")
@click.option("--config", "config", metavar="FILE", envvar="ROLO_CONFIG", type=click.Path(dir_okay=False),
              help="Config file [env ROLO_CONFIG; default: rolo.toml in the user config dir].")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="rolo")
@click.pass_context
def cli(ctx: click.Context, book: str | None, config: str | None, debug: bool) -> None:
    """rolo: an offline-first contact book in one local file.

    Contacts are named by a REF: a uid, a unique uid prefix (6+ characters), an email address, or a phone
    number in any format; failing those, a name or any search term (several matches: choose from a list on
    a terminal, an error listing them in a script).

    \b
    Example:
      rolo add --name "Ada Lovelace" --email ada@example.com --label math
      rolo search ada
      rolo show ada@example.com
    """
    ctx.obj = Env(book_option=book, config_option=config, debug=debug)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="rolo")
    except BrokenPipeError:
        # the reader went away (`rolo list --json | head -3`): not an error of rolo's. Python would print a
        # traceback when it flushes stdout at exit, so stdout is pointed at /dev/null first.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, as a shell reports a command a pipe closed on


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
