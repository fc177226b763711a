"""rolo's core: the book, its storage, vCard, search, sync engine, plugin API and CLI."""

__version__ = "0.1.0"
