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

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.config import Config
    from rolo.core.sync.api import SyncAPI
    from rolo.core.history import ChangeContext

__all__ = ["Env", "pass_env"]


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

    @cached_property
    def config(self) -> Config:
        """The loaded config: `--config`, else `$ROLO_CONFIG`, else rolo.toml in the user config folder."""
        from rolo.core.config import load_config

        return load_config(self.config_option)

    @cached_property
    def book(self) -> Book:
        """The book, opened on first use: `--book`, else `$ROLO_BOOK`, else the config's, else the default."""
        from rolo.core.book import Book
        from rolo.core.config import resolve_book_location

        book = Book(resolve_book_location(self.book_option, self.config), region=self.config.default_region)
        book.context = self.change_context()
        self._opened.append(book)
        return book

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


pass_env = click.make_pass_decorator(Env)
"""Decorate a click command to receive the `Env` as its first argument (see the module docstring)."""
