"""`rolo import` and `rolo export`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import print_json


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--overwrite", is_flag=True,
              help="Each card replaces its contact, edits made in rolo included (no merge).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON only.")
@pass_env
def import_(env: Env, paths: tuple[str, ...], overwrite: bool, as_json: bool) -> None:
    """Import vCard files (2.1, 3.0, 4.0), or folders of .vcf/.vcard files.

    Contacts are matched by UID: importing the same file again changes nothing. A changed card brings only
    the fields it changed since it was last imported from that file; edits made in rolo stay, a field
    changed on both sides is a conflict the book wins (rolo conflicts), and a card older (REV) than the
    contact's last change is skipped as stale. --overwrite replaces contacts with the cards instead. A card
    that cannot be read is reported with its file and number, and the others are imported. Exit status: 0
    when every card was imported, 3 when some failed.

    \b
    Example:
      rolo import ~/Downloads/contacts.vcf
      rolo import ~/exports/ --json
      rolo import old-phone.vcf --overwrite
    """
    from rolo.core.importer import CLI_PARSE_WORKERS, collect_files, import_files

    files = collect_files(paths)
    total = sum(f.stat().st_size for f in files)
    show_progress = not as_json and sys.stderr.isatty() and total > 256_000
    if show_progress:
        from rich.progress import Progress

        with Progress(transient=True, console=None) as progress:
            task = progress.add_task("importing", total=total)
            report = import_files(env.book, files, parse_workers=CLI_PARSE_WORKERS, overwrite=overwrite,
                                  on_card=lambda r: progress.advance(task, len(r.text)))
    else:
        report = import_files(env.book, files, parse_workers=CLI_PARSE_WORKERS, overwrite=overwrite)
    if as_json:
        print_json(report.to_json())
    else:
        for failure in report.failures:
            where = f"{failure['file']}" + (f" card {failure['card']}" if failure["card"] else "")
            click.echo(f"failed: {where}: {failure['reason']}", err=True)
        click.echo(report.summary())
    if report.failed:
        sys.exit(3)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["vcf", "vdir", "json", "csv"]), default="vcf",
              show_default=True, help="One vCard file, a vdir folder (one UID.vcf each), JSON or CSV.")
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True)
@click.option("--label", help="Only contacts with this label.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="File (or folder for vdir) to write; default: standard output.")
@pass_env
def export(env: Env, fmt: str, vcard_version: str, label: str | None, output: Path | None) -> None:
    """Export contacts as vCard, a vdir, JSON or CSV.

    \b
    Example:
      rolo export -o contacts.vcf
      rolo export --format vdir -o ~/.contacts/rolo --vcard-version 4.0
      rolo export --format csv --label friends > friends.csv
    """
    from rolo.core import exporter
    from rolo.core.errors import NotFoundError

    records = env.book.with_log(env.book.contacts(label=label))  # every format carries the notes log
    if label is not None and not records and label.casefold() not in {n.casefold() for n, _ in env.book.labels()}:
        raise NotFoundError(f"no label named {label!r}", hint="rolo label list shows the labels")
    if fmt == "vdir":
        if output is None:
            raise click.UsageError("--format vdir needs -o FOLDER")
        count = exporter.export_vdir(records, output, vcard_version)
        click.echo(f"exported {count} contacts to {output}", err=True)
        return
    text = exporter.render(records, fmt, vcard_version)
    if output is None:
        click.echo(text, nl=False)
    else:
        exporter.write_file(output, text)
        click.echo(f"exported {len(records)} contacts to {output}", err=True)
