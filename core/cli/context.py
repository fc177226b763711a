"""What every command needs: the config and the book, opened lazily from the global options."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rolo.core.book import Book
    from rolo.core.config import Config


@dataclass
class Env:
    """The command-line environment, shared by all commands through click's context object."""

    book_option: str | None = None
    config_option: str | None = None
    debug: bool = False
    _opened: list[Book] = field(default_factory=list)

    @cached_property
    def config(self) -> Config:
        from rolo.core.config import load_config

        return load_config(self.config_option)

    @cached_property
    def book(self) -> Book:
        from rolo.core.book import Book
        from rolo.core.config import resolve_book_location

        book = Book(resolve_book_location(self.book_option, self.config), region=self.config.default_region)
        self._opened.append(book)
        return book

    def close(self) -> None:
        for book in self._opened:
            book.close()


pass_env = click.make_pass_decorator(Env)
