"""`rolo edit`: change a contact in $EDITOR, or with options for scripts."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.errors import UserError, ValidationError
from rolo.core.record import ContactRecord

# --set names -> ContactRecord attributes (other names are custom fields)
SETTABLE = {
    "name": "formatted_name", "formatted_name": "formatted_name", "fn": "formatted_name",
    "given": "given_name", "given_name": "given_name", "family": "family_name", "family_name": "family_name",
    "prefix": "prefix", "suffix": "suffix", "additional": "additional_names",
    "additional_names": "additional_names", "nickname": "nickname", "org": "organization",
    "organization": "organization", "department": "department", "title": "title", "birthday": "birthday",
    "notes": "notes", "note": "notes", "starred": "starred",
}


def _apply_options(record: ContactRecord, region: str, sets, add_emails, rm_emails, add_phones, rm_phones,
                   add_urls, rm_urls) -> ContactRecord:
    from rolo.core.cli.entries import email_entry, parse_assignments, phone_entry, url_entry
    from rolo.core.emails import email_key
    from rolo.core.phones import to_e164

    parts = ("prefix", "given_name", "additional_names", "family_name", "suffix")
    derived = record.formatted_name == " ".join(getattr(record, p) for p in parts if getattr(record, p))
    assignments = parse_assignments(sets, "--set")
    for name, value in assignments:
        attr = SETTABLE.get(name.lower())
        if attr == "starred":
            if value.lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise ValidationError("starred is yes or no")
            record.starred = value.lower() in ("yes", "true", "1")
        elif attr:
            setattr(record, attr, value.strip() or ("" if attr == "formatted_name" else None))
        elif value.strip():
            record.custom_fields[name] = value
        else:
            record.custom_fields = {k: v for k, v in record.custom_fields.items() if k.lower() != name.lower()}
    # A formatted name that was just the name parts follows them (`--set family=King` renames Ada Lovelace
    # to Ada King), unless this edit sets the formatted name itself.
    if derived and not any(SETTABLE.get(n.lower()) == "formatted_name" for n, _ in assignments):
        record.formatted_name = ""
    for address in rm_emails:
        kept = [e for e in record.emails if email_key(e.address) != email_key(address)]
        if len(kept) == len(record.emails):
            raise UserError(f"{record.display_name()} has no email {address!r}")
        record.emails = kept
    record.emails += [email_entry(e) for e in add_emails]
    for number in rm_phones:
        target = to_e164(number, region)
        kept = [p for p in record.phones if p.number != number and not (target and p.e164 == target)]
        if len(kept) == len(record.phones):
            raise UserError(f"{record.display_name()} has no phone {number!r}")
        record.phones = kept
    record.phones += [phone_entry(p) for p in add_phones]
    for url in rm_urls:
        kept = [u for u in record.urls if u.url != url]
        if len(kept) == len(record.urls):
            raise UserError(f"{record.display_name()} has no URL {url!r}")
        record.urls = kept
    record.urls += [url_entry(u) for u in add_urls]
    from rolo.core.cli.editform import require_identity

    require_identity(record)
    return record


@click.command()
@click.argument("ref", type=CONTACT_REF)
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Set a field (name, given, family, org, title, birthday, notes, starred... or a custom "
                   "field); an empty VALUE clears it. Repeatable.")
@click.option("--add-email", "add_emails", multiple=True, metavar="[LABEL:]ADDRESS", help="Add an email.")
@click.option("--rm-email", "rm_emails", multiple=True, metavar="ADDRESS", help="Remove an email.")
@click.option("--add-phone", "add_phones", multiple=True, metavar="[LABEL:]NUMBER", help="Add a phone.")
@click.option("--rm-phone", "rm_phones", multiple=True, metavar="NUMBER", help="Remove a phone (any format).")
@click.option("--add-url", "add_urls", multiple=True, metavar="[LABEL:]URL", help="Add a URL.")
@click.option("--rm-url", "rm_urls", multiple=True, metavar="URL", help="Remove a URL.")
@click.option("--add-date", "add_dates", multiple=True, metavar="LABEL=DATE",
              help='Add a dated event: "anniversary=2010-06-12", "first met=--05-04".')
@click.option("--rm-date", "rm_dates", multiple=True, metavar="LABEL", help="Remove the dates with this label.")
@click.option("--json", "as_json", is_flag=True, help="Print the edited contact as JSON.")
@pass_env
def edit(env: Env, ref: str, sets, add_emails, rm_emails, add_phones, rm_phones, add_urls, rm_urls, add_dates,
         rm_dates, as_json: bool) -> None:
    """Edit a contact in $EDITOR, or change it with options (for scripts).

    Without options, opens a readable form of the contact in $EDITOR; when the result is invalid you can
    edit again or abort, and nothing is half-written.

    \b
    Example:
      rolo edit ada@example.com
      rolo edit ada@example.com --set title="Countess" --add-email home:ada@home.example
    """
    from rolo.core.cli.output import print_json

    scripted = any((sets, add_emails, rm_emails, add_phones, rm_phones, add_urls, rm_urls, add_dates, rm_dates))
    if scripted:
        record = env.book.update(ref, lambda r: _apply_dates(_apply_options(
            r, env.book.region, sets, add_emails, rm_emails, add_phones, rm_phones, add_urls, rm_urls),
            add_dates, rm_dates))
    else:
        record = _edit_interactively(env, ref)
        if record is None:
            click.echo("no changes")
            return
    if as_json:
        print_json(record.to_json())
    else:
        click.echo(f"saved {record.display_name()} ({record.uid}, revision {record.revision})")


def _apply_dates(record: ContactRecord, add: tuple[str, ...], remove: tuple[str, ...]) -> ContactRecord:
    from rolo.core.cli.entries import date_entry

    for label in remove:
        kept = [d for d in record.dates if d.label.casefold() != " ".join(label.split()).casefold()]
        if len(kept) == len(record.dates):
            raise UserError(f"{record.display_name()} has no date labelled {label!r}")
        record.dates = kept
    record.dates = [*record.dates, *(date_entry(d) for d in add)]
    return record


def _edit_interactively(env: Env, ref: str) -> ContactRecord | None:
    from rolo.core.cli import editform

    original = env.book.get(ref)
    text = editform.render(original)
    while True:
        try:
            edited = click.edit(text, extension=".txt", require_save=True)
        except (OSError, UnicodeDecodeError) as exc:  # the editor deleted the file, or left it unreadable
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise UserError(f"edit abandoned, nothing changed (could not read the edited file: {reason})") from None
        if edited is None or edited == text:
            return None
        try:
            changed = editform.parse(edited, original)
            # saved by someone else meanwhile: their changes are merged in, a field both changed keeps
            # yours and theirs goes to `rolo conflicts` (rolo.core.edit_merge)
            saved = env.book.save_edit(original, changed)
            if saved.conflicts:
                fields = ", ".join(dict.fromkeys(c["field"] for c in saved.conflicts))
                click.echo(f"{original.display_name()} was changed while you edited it ({saved.conflicts[0]['remote_id']}):"
                           f" kept yours for {fields}; the other values are in rolo conflicts", err=True)
            return saved.record
        except ValidationError as exc:
            message = str(exc) + (f" (hint: {exc.hint})" if exc.hint else "")
            if not click.confirm(f"Error: {message}. Edit again?", default=True, err=True):
                raise UserError(f"edit abandoned, nothing changed ({message})") from None
            body = "".join(line + "\n" for line in edited.splitlines() if not line.startswith("# ERROR:"))
            if not any(line.strip() and not line.startswith("#") for line in body.splitlines()):
                body = text.split("\n", 1)[1] if text.startswith("# ERROR:") else text  # emptied: start over
            text = f"# ERROR: {message}\n{body}"
