"""Mail as interactions, a built-in plugin: `rolo import-mail` reads mbox files and Maildir folders and logs
each message on the contacts it was exchanged with (kind `email`), which sets their "last contacted".

It registers like any third-party plugin (`mail = "rolo.plugins.mail"` under `[project.entry-points.rolo]`):
`register_interaction_sources` offers the `mail` source to `rolo.core.interactions_import`, and
`register_commands` adds the command. A message From one of your addresses (`--me`) was sent to its To and
Cc; any other was received from its From. Each message is logged once per contact, keyed by its Message-ID
(else a digest of its Date, From and Subject), so reading the same mailbox again adds nothing.
"""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from email.policy import default as email_policy
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.errors import UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.interactions_import import Interaction
from rolo.core.values import book_time


class MailSource:
    """Messages of an mbox file or a Maildir folder as interactions."""

    name = "mail"
    description = "mbox files and Maildir folders: each message, on the people it was exchanged with"

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[Interaction]:
        me = {a.casefold() for a in options.get("me") or ()}
        since: datetime | None = options.get("since")
        box = _open(path)
        for n, key in enumerate(box.iterkeys(), start=1):
            where = f"{path} message {n}"
            try:
                message = box.get_message(key)
                found = _interaction(message, me, where)
            except Exception as exc:  # a message the mail parser cannot read: named, the rest goes on
                yield Interaction("", "email", [], "", "", where, f"unreadable ({type(exc).__name__}: {exc})")
                continue
            if found is None or (since and found.at < book_time(since)):
                continue
            yield found


def _open(path: Path) -> mailbox.Mailbox:
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise UserError(f"{path}: a folder that is no Maildir (no cur/ or new/ in it)")
        return mailbox.Maildir(path, factory=None, create=False)
    if not path.is_file():
        raise UserError(f"{path}: no such file or folder")
    with open(path, "rb") as handle:
        if not handle.read(5).startswith(b"From "):
            raise UserError(f"{path}: not an mbox file (it does not start with a 'From ' line)")
    return mailbox.mbox(path, create=False)


def _interaction(message: Any, me: set[str], where: str) -> Interaction | None:
    import email

    parsed = email.message_from_bytes(message.as_bytes(), policy=email_policy)
    subject = " ".join(str(parsed.get("Subject", "") or "(no subject)").split())
    senders = [a for _, a in getaddresses([str(v) for v in parsed.get_all("From", [])]) if a]
    recipients = [a for _, a in getaddresses([str(v) for field in ("To", "Cc")
                                              for v in parsed.get_all(field, [])]) if a]
    try:
        sent_at = parsedate_to_datetime(str(parsed["Date"]))
    except (TypeError, ValueError):
        return Interaction("", "email", [], "", "", where, "no readable Date header")
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    sent = bool(senders) and senders[0].casefold() in me
    others = recipients if sent else senders
    if not others:
        return None
    key = str(parsed.get("Message-ID", "") or "").strip()
    if not key:
        key = hashlib.sha1(f"{parsed['Date']}\0{','.join(senders)}\0{subject}".encode()).hexdigest()
    text = f"email to: {subject}" if sent else f"email: {subject}"
    return Interaction(book_time(sent_at), "email", others, text, f"mail:{key}", where)


@hookimpl
def register_interaction_sources(register: Any) -> None:
    """Offer the `mail` source."""
    register(MailSource())


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `rolo import-mail`."""
    cli.add_command(import_mail)


@click.command("import-mail")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--me", "me", multiple=True, metavar="ADDRESS",
              help="One of your own addresses (repeatable): mail from it was sent, to its To and Cc.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only messages from this day on.")
@click.option("--dry-run", is_flag=True, help="Count what would be logged; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON only.")
@pass_env
def import_mail(env: Env, paths: tuple[Path, ...], me: tuple[str, ...], since: str | None, dry_run: bool,
               as_json: bool) -> None:
    """Log mail as interactions: each message of mbox files or Maildir folders, on the contacts it was
    exchanged with (by email address), which sets their "last contacted" (`rolo show`, `rolo due`).

    Messages from one of your --me addresses count as sent to their To and Cc; others as received from
    their From. People not in the book are counted, never added. Reading a mailbox again adds nothing.

    \b
    Example:
      rolo import-mail ~/Mail/INBOX ~/Mail/Sent --me ada@example.com
      rolo import-mail archive.mbox --since 2026-01-01 --dry-run
    """
    from rolo.core.cli.sources import run_source

    run_source(env, MailSource(), paths, {"me": me, "since": _day(since)}, me, dry_run, as_json)


def _day(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)", param_hint="--since") from None
