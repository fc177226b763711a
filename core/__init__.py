"""rolo's core: the book, its storage, vCard, search, sync engine, plugin API and CLI.

`from rolo.core import Book` is the library's entry point. It is loaded on first use (PEP 562), so that
importing rolo.core, which every command and plugin does, stays as cheap as this file.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing; type checkers take it as True
if TYPE_CHECKING:
    from rolo.core.book import Book

__version__ = "0.1.0"
__all__ = ["Book", "__version__"]


def __getattr__(name: str) -> object:
    if name == "Book":
        from rolo.core.book import Book

        globals()["Book"] = Book  # later lookups skip this function
        return Book
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"Book"})
