"""Small values shared by the book and its store: the book's time format, new uids, and the normal forms of
a birthday and of a contact's place in a listing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from rolo.core.errors import ValidationError
from rolo.core.record import ContactRecord

_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})$")


def book_time(moment: datetime) -> str:
    """An aware instant as the book stores times: ISO 8601 UTC, seconds, with `Z` (text order is time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> str:
    """The current time as stored in the book."""
    return book_time(datetime.now(UTC))


def new_uid() -> str:
    """A fresh contact uid (a random UUID, as most exporters use)."""
    return str(uuid.uuid4())


def normalize_birthday(value: str | None, what: str = "birthday") -> str | None:
    """`YYYY-MM-DD` or `--MM-DD` (year unknown) from the forms people and vCards write; None stays None.
    `what` names the value in the error (a birthday, an anniversary...)."""
    if value is None or not value.strip():
        return None
    text = value.strip().split("T", 1)[0]
    match = _BIRTHDAY.match(text)
    if not match:
        raise ValidationError(f"{what} {value!r} is not a date (use YYYY-MM-DD, or --MM-DD without a year)")
    year, month, day = match.groups()
    try:
        date(int(year) if year else 2000, int(month), int(day))  # 2000: a leap year accepts --02-29
    except ValueError:
        raise ValidationError(f"{what} {value!r} is not a valid date") from None
    return f"{year}-{month}-{day}" if year else f"--{month}-{day}"


def sort_key(record: ContactRecord) -> str:
    """Contacts list by family name, then given name, else by whatever name they show."""
    parts = [record.family_name, record.given_name] if record.family_name else [record.display_name()]
    return " ".join(p for p in parts if p).casefold()
