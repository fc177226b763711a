"""What `rolo sync` and `rolo daemon` print of a run: the one-line summary, the dry run's plan, conflicts and
skipped records naming each contact (`Name <email>`), a progress bar, and the daemon's time-stamped lines."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from rolo.core.cli.output import console, print_json
from rolo.core.sync.api import SyncFailure

if TYPE_CHECKING:
    from rolo.core.sync.engine import Report


_LABELS = (("local_created", "created"), ("local_updated", "updated"), ("local_deleted", "deleted"))
_REMOTE = (("remote_created", "created"), ("remote_updated", "updated"), ("remote_deleted", "deleted"))


def summary(report: Report) -> str:
    """One line per remote: what changed on each side."""
    c = report.counts

    def side(pairs: tuple[tuple[str, str], ...]) -> str:
        parts = [f"{c[k]} {word}" for k, word in pairs if c.get(k)]
        return ", ".join(parts) or "no changes"

    line = f"{report.remote}: book {side(_LABELS)}; remote {side(_REMOTE)}"
    if c.get("linked"):
        line += f"; {c['linked']} matched by email"
    if c.get("conflicts"):
        line += f"; {c['conflicts']} conflicts (see rolo conflicts)"
    if report.skipped:
        line += f"; {len(report.skipped)} skipped"
    return line


def who(row: dict[str, Any]) -> str:
    """The contact a report row is about, as a person knows it: `Name <email>`, else its uid or remote id."""
    name, email = row.get("name"), row.get("email")
    if name and email and email != name:
        return f"{name} <{email}>"
    return str(name or email or row.get("uid") or row.get("remote_id") or "?")


def conflict_line(row: dict[str, Any], remote: str) -> str:
    """One conflict of a run on one line; a deletion on one side is said in words, not as the contact."""
    if row["field"] == "(deleted)":
        outcome = (f"kept the book's (created again in {remote})" if row["kept"] == "local"
                   else "deleted it from the book")
        return f"conflict {who(row)}: edited in the book, deleted in {remote}; {outcome}"
    return (f"conflict {who(row)}: {row['field']}: book {show_value(row['local'])}, {remote} "
            f"{show_value(row['remote_value'])}; kept {row['kept']}")


def print_plan(report: Report) -> None:
    out = console()
    titles = {"local_create": "create in the book", "local_update": "update in the book",
              "local_delete": "delete from the book", "remote_create": f"create in {report.remote}",
              "remote_update": f"update in {report.remote}", "remote_delete": f"delete from {report.remote}",
              "conflicts": "conflicts"}
    out.print(f"[bold]{report.remote}[/bold] (dry run, nothing changed)")
    empty = True
    for key, title in titles.items():
        rows = report.plan.get(key) or []
        if not rows:
            continue
        empty = False
        out.print(f"  {title}: {len(rows)}")
        for row in rows[:20]:
            detail = f" ({', '.join(row['fields'])})" if row.get("fields") else ""
            if key == "conflicts":
                field = "edited in the book, deleted remotely" if row["field"] == "(deleted)" else row["field"]
                detail = f" {field}: keeps {row['kept']}"
            out.print(f"    {who(row)}{detail}", markup=False, soft_wrap=True)  # one line each, however long
        if len(rows) > 20:
            out.print(f"    … {len(rows) - 20} more")
    if empty:
        out.print("  nothing to do")


class Progress:
    """A rich progress bar on stderr for long syncs (only on a terminal); `done()` clears it between remotes."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()

    def done(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        self.bar, self.tasks = None, {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < 200:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(console=console(stderr=True), transient=True)
            self.bar.start()
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task({"pull": "pulling", "push": "pushing"}.get(phase, phase),
                                                  total=total)
        self.bar.update(self.tasks[phase], completed=done, total=total)


def _echo(line: str, err: bool = False) -> None:
    click.echo(line, err=err)


def printer(as_json: bool, dry_run: bool, progress: Progress | None = None, *,
            each_json: bool = False, echo: Any = _echo) -> Any:
    """What to do with each remote's outcome as it comes: its summary (or plan) and its problems, or with
    `each_json` its JSON (for --every; a single run prints all of them at the end). `echo(line, err)` writes
    each text line (the daemon's stamps it with the time)."""

    def on_result(outcome: Report | SyncFailure) -> None:
        if progress is not None:
            progress.done()
        name = outcome.remote
        if as_json:
            if each_json:
                print_json(outcome.as_dict())
            return
        if isinstance(outcome, SyncFailure):
            echo(f"Error: {name}: {outcome.message.removeprefix(f'{name}: ')}", True)
            return
        if dry_run:
            print_plan(outcome)
        else:
            echo(summary(outcome))
            for row in outcome.conflicts[:20]:
                echo(conflict_line(row, name))
            if len(outcome.conflicts) > 20:
                echo(f"… {len(outcome.conflicts) - 20} more conflicts: rolo conflicts")
        for item in outcome.skipped:
            echo(f"skipped {who(item)}: {item['message']}", True)
        for item in outcome.errors:
            echo(f"Error: {name}: {item['message']}", True)

    return on_result


def show_value(value: Any) -> str:
    """A field's value on one line (a list joined, an email or phone entry as its address or number)."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("address") or value.get("number") or value)
    return str(value)


_STAMPED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def stamped(line: str, err: bool = False) -> None:
    """Write one daemon log line, after the local time (as `rolo watch` does) unless it starts with it."""
    if not _STAMPED.match(line):
        line = f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S} {line}"
    click.echo(line, err=err)
