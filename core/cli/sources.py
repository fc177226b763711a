"""Running an interaction source (`rolo.core.interactions_import`) from the command line, for `rolo
import-mail`, `rolo import-ics` and any plugin's command that reads a source: read every path, log what was
found, print the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rolo.core.cli.context import Env
from rolo.core.cli.output import print_json
from rolo.core.errors import UserError
from rolo.core.interactions_import import InteractionReport, import_interactions


def run_source(env: Env, source: Any, paths: tuple[Path, ...], options: dict[str, Any], me: tuple[str, ...],
               dry_run: bool, as_json: bool) -> InteractionReport:
    """Read each path with `source`, log what it found (all paths in one report); a path the source cannot
    read at all is one failure line, and the others go on. Exit status 3 when anything failed."""
    unreadable: list[dict[str, str]] = []

    def items() -> Any:
        for path in paths:
            try:
                yield from source.read(Path(path).expanduser(), options)
            except UserError as exc:
                unreadable.append({"where": str(path), "reason": str(exc).removeprefix(f"{path}: ")})
            except OSError as exc:
                unreadable.append({"where": str(path), "reason": exc.strerror or str(exc)})

    report = import_interactions(env.book, items(), me=me, dry_run=dry_run,
                                 progress=not as_json and sys.stderr.isatty())
    report.failures = unreadable + report.failures
    if as_json:
        print_json({**report.to_json(), "dry_run": dry_run})
    else:
        for failure in report.failures:
            click.echo(f"failed: {failure['where']}: {failure['reason']}", err=True)
        click.echo(report.summary(dry_run))
    if report.failures:
        sys.exit(3)
    return report

