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


class AdapterAuthError(AdapterError):
    """The remote refused the credentials (401/403): a missing, wrong or revoked token."""


class AdapterUnavailable(AdapterError):
    """The remote could not be reached or kept failing (network error, timeout, 429/5xx after retries)."""


class RemoteRejected(AdapterError):
    """The remote refused one request (a 4xx other than 401/403/429, or a 5xx): .status, .code (the API's error
    code, e.g. "validation_error"), and for a record-level refusal .remote_id when known."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 remote_id: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status
        self.code = code
        self.remote_id = remote_id


class SyncConflict(RoloError):
    """A field changed on both sides to different values: .contact_id, .field, .local, .remote."""

    def __init__(self, message: str, *, contact_id: int | None = None, field: str | None = None,
                 local: object = None, remote: object = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.contact_id = contact_id
        self.field = field
        self.local = local
        self.remote = remote
