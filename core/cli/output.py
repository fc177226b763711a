"""Printing: JSON for scripts (`--json` prints only JSON), rich tables and panels for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from rolo.core.record import ContactRecord


def print_json(data: Any) -> None:
    """Write JSON to stdout: indented for a terminal; for a pipe, a list is written one compact object per
    line as it goes (json's indenting encoder is pure Python and several times slower at 100k contacts)."""
    if sys.stdout.isatty() or not isinstance(data, list):
        click.echo(json.dumps(data, ensure_ascii=False, indent=2 if sys.stdout.isatty() else None))
        return
    if not data:
        click.echo("[]")
        return
    click.echo("[")
    last = len(data) - 1
    for index, item in enumerate(data):
        click.echo(json.dumps(item, ensure_ascii=False) + ("," if index < last else ""))
    click.echo("]")


def print_json_list(items: Iterable[Any]) -> None:
    """Write a JSON list as its items come (a whole book need not be in memory at once): one compact
    object per line for a pipe, indented objects for a terminal."""
    indent = 2 if sys.stdout.isatty() else None
    first = True
    with _closing(items) as each:
        for item in each:
            text = json.dumps(item, ensure_ascii=False, indent=indent)
            click.echo(("[\n" if first else ",\n") + text, nl=False)
            first = False
    click.echo("[]" if first else "\n]")


def print_json_texts(texts: Iterable[str]) -> None:
    """Write a JSON list whose items are already JSON texts, one per line, as they come."""
    out = sys.stdout
    first = True
    with _closing(texts) as each:
        for text in each:
            out.write(("[\n" if first else ",\n") + text)
            first = False
    out.write("[]\n" if first else "\n]\n")
    out.flush()


@contextmanager
def _closing(items: Iterable[Any]) -> Iterator[Iterator[Any]]:
    """Iterate, and close a generator when the writing stops early (a reader that went away: `| head`), so
    the book read it holds ends while the book is still open, not at exit."""
    iterator = iter(items)
    try:
        yield iterator
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _labelled(value: str, label: str | None) -> str:
    return f"{value} ({label})" if label else value


def contact_table(records: Iterable[ContactRecord], *, title: str | None = None) -> None:
    """A table of contacts: name, first email, first phone, organization, labels, uid."""
    from rich.table import Table

    table = Table(title=title, show_edge=False, header_style="bold", expand=True)
    # Phone and UID never wrap (a REF must stay copyable); the rest share the width by ratio.
    table.add_column("Name", ratio=3)
    table.add_column("Email", overflow="fold", ratio=4)
    table.add_column("Phone", no_wrap=True)
    table.add_column("Organization", ratio=2)
    table.add_column("Labels", ratio=2)
    table.add_column("UID", no_wrap=True, min_width=8)
    count = 0
    for r in records:
        count += 1
        table.add_row(
            ("★ " if r.starred else "") + r.display_name(),
            r.emails[0].address if r.emails else "",
            r.phones[0].number if r.phones else "",
            r.organization or "",
            ", ".join(r.labels),
            short_uid(r.uid),
        )
    out = console()
    if count:
        out.print(table)
    out.print(f"[dim]{count} contact{'s' if count != 1 else ''}[/dim]")


def short_uid(uid: str) -> str:
    """The first 8 characters of a uid (a valid REF prefix once 'urn:uuid:' is dropped)."""
    return uid.removeprefix("urn:uuid:")[:8]


LATEST_NOTES = 5  # notes-log entries `rolo show` prints


def contact_detail(r: ContactRecord, relations: list[str] | None = None) -> None:
    """Everything about one contact, for people; the newest LATEST_NOTES entries of its notes log, when
    `r.log` is filled in (`Book.with_log`); its relationships both ways, when given (one line each)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()

    def row(key: str, value: str | None) -> None:
        if value:
            grid.add_row(key, value)

    names = " ".join(p for p in (r.prefix, r.given_name, r.additional_names, r.family_name, r.suffix) if p)
    row("Name", names if names and names != r.display_name() else None)
    row("Nickname", r.nickname)
    row("Organization", "; ".join(p for p in (r.organization, r.department) if p))
    row("Title", r.title)
    row("Birthday", r.birthday)
    for e in r.emails:
        row("Email", _labelled(e.address, e.label) + (" *" if e.primary else ""))
    for p in r.phones:
        shown = p.number if not p.e164 or p.e164 == p.number else f"{p.number}  [dim]{p.e164}[/dim]"
        row("Phone", _labelled(shown, p.label) + (" *" if p.primary else ""))
    for a in r.addresses:
        parts = [a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country]
        row("Address", _labelled(", ".join(p for p in parts if p), a.label))
    for u in r.urls:
        row("URL", _labelled(u.url, u.label))
    for d in r.dates:
        row("Date", f"{d.value} ({d.label})")
    from rich.markup import escape as _escape

    for line in relations if relations is not None else [f"{x.kind}: {x.name or x.uid}" for x in r.related]:
        row("Related", _escape(line))
    row("Labels", ", ".join(r.labels))
    for name, value in r.custom_fields.items():
        row(name, ", ".join(map(str, value)) if isinstance(value, list) else str(value).lower()
            if isinstance(value, bool) else str(value))
    row("Notes", r.notes)
    if r.last_contacted:
        from datetime import UTC, datetime

        from rolo.core.keep_in_touch import ago

        kind = next((e.kind for e in reversed(r.log) if e.kind and e.at == r.last_contacted), None)
        row("Last contacted", f"{r.last_contacted[:10]}, {ago(r.last_contacted, datetime.now(UTC).date())}"
            + (f" ({kind})" if kind else ""))
    if r.log:
        from rich.markup import escape

        latest = r.log[-LATEST_NOTES:][::-1]  # newest first
        for entry in latest:
            kind = f"[{entry.kind}] " if entry.kind else ""
            row("Log", f"{entry.at}  {escape(kind)}{escape(entry.text)}  [dim]#{entry.id}[/dim]")
        if len(r.log) > len(latest):
            row("", f"[dim]… {len(r.log) - len(latest)} more: rolo note list {escape(r.uid)}[/dim]")
    row("UID", r.uid)
    row("Updated", f"{r.updated_at} (revision {r.revision})")
    out = console()
    out.print(f"[bold]{'★ ' if r.starred else ''}{r.display_name()}[/bold]")
    out.print(grid)


def warn(message: str) -> None:
    """One line on stderr, for things that did not stop the command."""
    click.echo(message, err=True)


def is_tty() -> bool:
    return sys.stdout.isatty()
