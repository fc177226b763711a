"""The command-line context: rolo's public API for commands, built-in and plugin ones alike.

A plugin adds commands through the `register_commands` hook (`rolo.core.hookspecs`); a command that needs the
book, the config or the plugin manager takes the `Env` with `pass_env`, exactly as rolo's own commands do:

    import click
    from rolo.core.cli.context import Env, pass_env

    @click.command()
    @click.argument("ref")
    @pass_env
    def greet(env: Env, ref: str) -> None:
        \"\"\"Greet a contact.\"\"\"
        click.echo(f"hello, {env.book.get(ref).formatted_name}")

What is stable (kept working across rolo releases, extended only with new attributes): this module's name,
`Env`, `pass_env`, and the `Env` attributes `book`, `config`, `plugin_manager`, `sync_api` and `debug`.
Anything else here (the fields holding the global options, `close`) is rolo's own and may change.
"""

from __future__ import annotations

import sqlite3
from contextvars import Token
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rolo.core.errors import RoloError
    import pluggy
    from rolo.core.book import Book
    from rolo.core.config import Config
    from rolo.core.sync.api import SyncAPI
    from rolo.core.history import ChangeContext

__all__ = ["Env", "pass_env"]

#: Built-in commands that only read the book. In them, reading a missing book is an error naming its path
#: (`rolo init` or any write creates it) instead of creating an empty book and reading nothing from it.
READ_COMMANDS = frozenset({
    "show", "list", "search", "email", "phone", "birthdays", "export", "dupes", "history", "trash", "conflicts",
    "label list", "field list", "note list", "remote list", "remote show", "remote test", "remote adapters",
    "plugins", "emulate", "doctor", "backup", "due", "dates",
})
#: Built-in commands that may write: they create a missing book, as every command did before issue 11 (as do
#: plugins' commands, which rolo cannot classify). tests/cli/test_book_safety.py checks every command is in one.
WRITE_COMMANDS = frozenset({
    "add", "edit", "rm", "restore", "trash empty", "label add", "label rm", "label rename", "field define",
    "field local",
    "field set", "field unset", "note add", "note edit", "note rm", "import", "merge", "remote add", "remote rm",
    "sync", "conflicts resolve", "daemon", "undo", "init", "log", "keep", "relate", "import-mail", "import-ics",
    "book copy",
})


@dataclass
class Env:
    """The command-line environment, shared by all commands (rolo's and plugins') through click's context object.

    Made once per `rolo` invocation from the global options (`--book`, `--config`, `--debug`); everything in it
    is opened lazily, on first use, so a command pays only for what it touches. Stable for plugin commands:

    - `book`: the `rolo.core.book.Book` chosen by `--book`, `$ROLO_BOOK`, the config or the default; closed
      when the command ends;
    - `config`: the loaded `rolo.core.config.Config` (rolo.toml; `config.section(NAME)` for a plugin's own
      table);
    - `plugin_manager`: the process's pluggy manager (`rolo.core.plugins.get_plugin_manager()`, the one the
      book calls hooks on), for calling hooks or finding what plugins registered;
    - `sync_api`: a `rolo.core.sync.api.SyncAPI` on that book, config and plugin manager (remotes, sync,
      conflicts);
    - `debug`: True under `--debug` (errors show their traceback).
    """

    book_option: str | None = None
    config_option: str | None = None
    debug: bool = False
    _opened: list[Book] = field(default_factory=list)
    _read_only: Token[bool] | None = None

    @cached_property
    def config(self) -> Config:
        """The loaded config: `--config`, else `$ROLO_CONFIG`, else rolo.toml in the user config folder."""
        from rolo.core.config import load_config

        return load_config(self.config_option)

    @cached_property
    def book(self) -> Book:
        """The book, opened on first use: `--book`, else `$ROLO_BOOK`, else the config's, else the default."""
        from rolo.core.book import Book

        if self._read_only is None and command_path() in READ_COMMANDS:
            from rolo.core.store.connection import refuse_creating_reads

            self._read_only = refuse_creating_reads()
        book = Book(self.book_location, region=self.config.default_region)
        book.context = self.change_context()
        self._opened.append(book)
        return book

    @cached_property
    def book_location(self) -> str:
        """Where the book is (a path or a `sqlite:///` URL): `--book`, `$ROLO_BOOK`, the config's, the default."""
        from rolo.core.config import resolve_book_location

        return resolve_book_location(self.book_option, self.config)

    @staticmethod
    def change_context() -> ChangeContext:
        """What this command's writes are in the history: one change set, made by a person, with the command
        line (secrets masked)."""
        from rolo.core.cli import ARGV_KEY
        from rolo.core.history import ChangeContext, command_line

        ctx = click.get_current_context(silent=True)
        argv = ctx.find_root().meta.get(ARGV_KEY, []) if ctx is not None else []
        return ChangeContext(command=command_line(argv))

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager: the process's one, which the book uses too."""
        from rolo.core.plugins import get_plugin_manager

        return get_plugin_manager()

    @cached_property
    def sync_api(self) -> SyncAPI:
        """The sync API (`rolo.core.sync.api.SyncAPI`) on this book, config and plugin manager."""
        from rolo.core.sync.api import SyncAPI

        return SyncAPI(self.book, self.config, self.plugin_manager)

    def close(self) -> None:
        """Close what the command opened (called by the root group when the command ends)."""
        for book in self._opened:
            book.close()
        if self._read_only is not None:
            from rolo.core.store.connection import allow_creating_reads

            allow_creating_reads(self._read_only)
            self._read_only = None

    def database_error(self, exc: sqlite3.DatabaseError) -> RoloError | None:
        """What the root group prints for a sqlite3 error that reached it: a damaged book (SQLITE_CORRUPT,
        SQLITE_NOTADB) names the book and its backups; a locked or unwritable file (OperationalError) says
        so; None for anything else (an IntegrityError...), a bug that shows its traceback."""
        from rolo.core.errors import RoloError
        from rolo.core.store.connection import book_path, damaged_error, is_corruption

        if is_corruption(exc):
            try:
                path = book_path(self.book_location)
            except Exception:  # noqa: BLE001 (the config or the location is what failed: say what we know)
                return RoloError(f"book: {exc}", hint="rolo doctor checks the book")
            return damaged_error(path, str(exc))
        if isinstance(exc, sqlite3.OperationalError):
            # the environment, not a bug: a locked or unwritable book file, a full disk
            return RoloError(f"book: {exc}", hint="--debug shows where")
        return None


def command_path() -> str:
    """The running command's words after `rolo` (`label list`), from click's current context."""
    ctx = click.get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


pass_env = click.make_pass_decorator(Env)
"""Decorate a click command to receive the `Env` as its first argument (see the module docstring)."""
