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
@click.option("--preview", is_flag=True,
              help="Show what would be created, updated (field by field) and flagged as a likely duplicate; "
                   "write nothing.")
@click.option("--format", "csv_format", type=click.Choice(["google", "outlook", "linkedin", "csv"]),
              help="A CSV file's exporter [default: recognised by its header row].")
@click.option("--map", "csv_map", multiple=True, metavar="COLUMN=FIELD",
              help="Read a CSV column as a field (name, given, family, email, phone, org, title, birthday, "
                   "notes, url, label... or a custom field); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON only.")
@pass_env
def import_(env: Env, paths: tuple[str, ...], overwrite: bool, preview: bool, csv_format: str | None,
            csv_map: tuple[str, ...], as_json: bool) -> None:
    """Import vCard files (2.1, 3.0, 4.0) and CSV files, or folders of .vcf/.vcard/.csv files.

    CSV exports of Google Contacts, Outlook and LinkedIn (Connections.csv) are recognised by their header;
    any other CSV is read through --map COLUMN=FIELD. A CSV row's contact is matched on re-import by its
    first email (else its name and phone), so importing it again updates rather than doubles.

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

    if csv_map:  # a mistyped --map is the command's error, before any file is read
        from rolo.core.csv_import import parse_mapping

        parse_mapping(csv_map, [d.name for d in env.book.field_definitions()])
    files = collect_files(paths)
    csv_options = {"csv_format": csv_format, "csv_map": csv_map}
    if preview:
        _preview(env, files, overwrite, csv_options, as_json)
        return
    total = sum(f.stat().st_size for f in files)
    show_progress = not as_json and sys.stderr.isatty() and total > 256_000
    if show_progress:
        from rich.progress import Progress

        with Progress(transient=True, console=None) as progress:
            task = progress.add_task("importing", total=total)
            report = import_files(env.book, files, parse_workers=CLI_PARSE_WORKERS, overwrite=overwrite,
                                  on_card=lambda r: progress.advance(task, len(r.text)), **csv_options)
    else:
        report = import_files(env.book, files, parse_workers=CLI_PARSE_WORKERS, overwrite=overwrite,
                              **csv_options)
    if as_json:
        print_json(report.to_json())
    else:
        _say_failures(report)
        click.echo(report.summary())
    if report.failed:
        sys.exit(3)


def _say_failures(report: object) -> None:
    from rolo.core.importer import place

    for note in report.notes:  # type: ignore[attr-defined]
        click.echo(f"note: {note}", err=True)
    for failure in report.failures:  # type: ignore[attr-defined]
        click.echo(f"failed: {place(failure['file'], failure['card'])}: {failure['reason']}", err=True)


def _preview(env: Env, files: list[Path], overwrite: bool, csv_options: dict, as_json: bool) -> None:
    """`rolo import --preview`: the import run in a transaction that is rolled back (nothing written)."""
    from rolo.core.import_preview import ImportPreview
    from rolo.core.importer import import_files, place

    preview = ImportPreview()
    report = import_files(env.book, files, overwrite=overwrite, preview=preview, **csv_options)
    if as_json:
        print_json({"created": preview.created, "updated": preview.updated, "unchanged": report.unchanged,
                    "likely_duplicates": report.duplicates, "failures": report.failures, "notes": report.notes})
        return
    for line in preview.lines():
        click.echo(line)
    for dup in report.duplicates:
        known = ", ".join(f"{env.book.get(uid).display_name()} ({uid})" for uid in dup["matches"])
        click.echo(f"likely duplicate: {dup['formatted_name']} ({place(dup['file'], dup['card'])}) may be {known}")
    _say_failures(report)
    click.echo("preview, nothing written: " + report.summary().replace(" (", "; ", 1).replace(": rolo dupes)", ""))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["vcf", "vdir", "json", "csv"]), default="vcf",
              show_default=True, help="One vCard file, a vdir folder (one UID.vcf each), JSON or CSV.")
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True)
@click.option("--label", help="Only contacts with this label.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="File (or folder for vdir) to write; default: standard output.")
@click.option("--include-private", is_flag=True,
              help="Include private values: custom fields defined --local and notes logged --local.")
@pass_env
def export(env: Env, fmt: str, vcard_version: str, label: str | None, output: Path | None,
           include_private: bool) -> None:
    """Export contacts as vCard, a vdir, JSON or CSV.

    Private values (custom fields defined with --local, notes-log entries logged with --local, the whole
    notes log when the config says private_notes_log = true) are left out unless --include-private; how many
    were left out is said on stderr.

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
    if not include_private:
        private = [d.name for d in env.book.field_definitions() if d.local_only]
        records, left_out = exporter.without_private(records, private, whole_log=env.config.private_notes_log)
        if left_out:
            click.echo(f"left out {left_out} private value{'s' if left_out != 1 else ''} "
                       "(--include-private to export them)", err=True)
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
