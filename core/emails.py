"""Email addresses: kept as written, matched case-insensitively, obviously bad ones refused."""

from __future__ import annotations

import re

from rolo.core.errors import ValidationError

# Deliberately permissive: one @, no spaces, a dotted domain. Real validation is the mail server's job;
# this only catches typos such as a missing @ or a pasted name.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")


def email_key(address: str) -> str:
    """The form addresses are compared in (mail providers treat addresses case-insensitively)."""
    return address.strip().lower()


def validate_email(address: str) -> str:
    """Return the address stripped, or raise ValidationError naming it."""
    value = address.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if not _EMAIL.match(value):
        raise ValidationError(f"{address!r} is not a valid email address")
    return value
