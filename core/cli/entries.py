"""Turning command-line values into contact entries: `[LABEL:]VALUE` forms, names, custom fields."""

from __future__ import annotations

import re

import click

from rolo.core.cli.context import Env
from rolo.core.emails import validate_email
from rolo.core.errors import UserError, ValidationError
from rolo.core.phones import looks_like_phone
from rolo.core.record import ContactRecord, DateEntry, EmailEntry, PhoneEntry, UrlEntry

_LABEL = re.compile(r"^([A-Za-z][\w -]{0,30}):(.+)$")
_URL_SCHEMES = {"http", "https", "ftp", "mailto", "tel", "xmpp", "sip", "skype"}


def split_label(value: str) -> tuple[str | None, str]:
    """`work:ada@example.com` -> ('work', 'ada@example.com'); a URL scheme is not a label."""
    match = _LABEL.match(value.strip())
    if match and match.group(1).lower() not in _URL_SCHEMES:
        return match.group(1).strip().lower(), match.group(2).strip()
    return None, value.strip()


def email_entry(value: str) -> EmailEntry:
    label, address = split_label(value)
    return EmailEntry(validate_email(address), label)


def phone_entry(value: str, *, check: bool = True) -> PhoneEntry:
    """A typed `[LABEL:]NUMBER`. With `check` (a number new to the contact), an impossible number is
    refused and one not valid in the config's default_region is kept with a warning on stderr (imports and
    syncs keep every number as written: `rolo doctor` lists the impossible ones)."""
    label, number = split_label(value)
    if not looks_like_phone(number):
        raise ValidationError(f"{value!r} is not a phone number")
    env = _command_env()
    if check and env is not None:
        from rolo.core.phones import IMPOSSIBLE, VALID, check_number

        found = check_number(number, env.config.default_region)
        if found.status == IMPOSSIBLE:
            raise ValidationError(found.message())
        if found.status != VALID:
            click.echo(f"warning: {found.message(str(env.config.path))}", err=True)
    return PhoneEntry(number, label=label)


def _command_env() -> Env | None:
    """The running command's Env (for default_region), or None outside a rolo command."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_object(Env) if ctx is not None else None


def url_entry(value: str) -> UrlEntry:
    label, url = split_label(value)
    if "://" not in url and not url.startswith(("mailto:", "tel:")):
        url = "https://" + url
    return UrlEntry(url, label)


def split_name(name: str) -> tuple[str | None, str | None]:
    """'Ada Lovelace' -> ('Ada', 'Lovelace'); 'Lovelace, Ada' -> ('Ada', 'Lovelace'); one word: given name."""
    name = " ".join(name.split())
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
        return given or None, family or None
    parts = name.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (name or None, None)


def parse_assignments(values: tuple[str, ...], what: str = "--field") -> list[tuple[str, str]]:
    """`NAME=VALUE` pairs, in order (a name may repeat for multi-value fields)."""
    pairs = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"{what} expects NAME=VALUE, got {item!r}")
        pairs.append((name.strip(), value))
    return pairs


def apply_fields(record: ContactRecord, pairs: list[tuple[str, str]]) -> None:
    """Set custom fields from NAME=VALUE pairs; a repeated name collects a list."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        record.custom_fields[name] = values if len(values) > 1 else values[0]


def date_entry(text: str) -> DateEntry:
    """`LABEL=DATE` (`first met=2019-05-04`, `anniversary=--06-15`) as a dated event; the date is checked when
    the contact is written."""
    label, sep, value = text.partition("=")
    if not sep or not label.strip() or not value.strip():
        raise UserError(f"--date {text!r}: write LABEL=DATE, e.g. \"first met=2019-05-04\"")
    return DateEntry(" ".join(label.split()), value.strip())
