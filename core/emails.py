"""Email addresses: kept as written, matched case-insensitively, obviously bad ones refused."""

from __future__ import annotations

import re

from rolo.core.errors import ValidationError

# Deliberately permissive: one @, no spaces, a dotted domain. Real validation is the mail server's job;
# this only catches typos such as a missing @ or a pasted name.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]{2,}$")


# Mail providers whose addresses strangers share: such a domain says nothing about an organization (it is
# no company's domain) nor about two people being one.
FREE_MAIL_DOMAINS = frozenset({
    "163.com", "aol.com", "daum.net", "fastmail.com", "free.fr", "gmail.com", "gmx.com", "gmx.de", "gmx.net",
    "googlemail.com", "hanmail.net", "hey.com", "hotmail.com", "icloud.com", "kakao.com", "live.com",
    "mac.com", "mail.com", "mail.ru", "me.com", "msn.com", "naver.com", "orange.fr", "outlook.com",
    "proton.me", "protonmail.com", "qq.com", "web.de", "yahoo.co.jp", "yahoo.co.uk", "yahoo.com",
    "yandex.com", "yandex.ru", "ymail.com", "zoho.com",
})


def is_free_mail(domain: str) -> bool:
    """True for a public mail provider's domain (gmail.com...), which belongs to no organization."""
    return domain.strip().lower() in FREE_MAIL_DOMAINS


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
