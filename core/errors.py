"""rolo's error tree. The CLI prints a RoloError as one line; anything else is a bug and shows a traceback."""

from __future__ import annotations


class RoloError(Exception):
    """Base of every error rolo raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UserError(RoloError):
    """Bad input or configuration: the message alone tells the user what to fix."""


class NotFoundError(UserError):
    """A REF matched no contact (or a label, field... matched nothing)."""


class AmbiguousRefError(UserError):
    """A REF matched several contacts; .candidates lists them."""

    def __init__(self, message: str, *, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ValidationError(UserError):
    """A value does not fit its field (email, phone, custom field type, birthday...)."""


class BookError(RoloError):
    """The book file: cannot open, wrong schema version, corrupt."""


class VCardError(RoloError):
    """A card that cannot be read; .source names the file and card."""

    def __init__(self, message: str, *, source: str | None = None, card: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.card = card


class AdapterError(RoloError):
    """A remote adapter failed; .adapter names it."""

    def __init__(self, message: str, *, adapter: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.adapter = adapter
