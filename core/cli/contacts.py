"""Commands on contacts: add, show, list, search, rm."""

from __future__ import annotations

import sys

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.entries import apply_fields, email_entry, parse_assignments, phone_entry, split_name, url_entry
from rolo.core.cli.output import contact_detail, contact_table, print_json, print_json_list, print_json_texts
from rolo.core.cli.prompts import confirm
from rolo.core.cli.refs import CONTACT_REF, resolve_contacts
from rolo.core.errors import UserError

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON only.")


@click.command()
@click.option("--name", help='Full name, e.g. "Ada Lovelace" (split into given and family unless given).')
@click.option("--given", help="Given (first) name.")
@click.option("--family", help="Family (last) name.")
@click.option("--nickname", help="Nickname.")
@click.option("--email", "emails", multiple=True, metavar="[LABEL:]ADDRESS", help="Email; repeatable.")
@click.option("--phone", "phones", multiple=True, metavar="[LABEL:]NUMBER", help="Phone, any format; repeatable.")
@click.option("--url", "urls", multiple=True, metavar="[LABEL:]URL", help="Website or profile; repeatable.")
@click.option("--label", "labels", multiple=True, help="Label; repeatable.")
@click.option("--field", "fields", multiple=True, metavar="NAME=VALUE", help="Custom field value; repeatable.")
@click.option("--org", help="Organization.")
@click.option("--title", help="Job title.")
@click.option("--birthday", metavar="YYYY-MM-DD|--MM-DD", help="Birthday, with or without the year.")
@click.option("--anniversary", metavar="YYYY-MM-DD|--MM-DD", help="Anniversary, with or without the year.")
@click.option("--date", "dates", multiple=True, metavar="LABEL=DATE",
              help='Another dated event, e.g. --date "first met=2019-05-04"; repeatable.')
@click.option("--note", help="Notes text.")
@click.option("--star", is_flag=True, help="Mark as starred (favourite).")
@click.option("--uid", help="Use this uid instead of a new random one.")
@json_option
@pass_env
def add(env: Env, name, given, family, nickname, emails, phones, urls, labels, fields, org, title, birthday,
        anniversary, dates, note, star, uid, as_json) -> None:
    """Add a contact and print its uid.

    Emails, phones and URLs take an optional label before a colon: `work:ada@example.com`.

    \b
    Example:
      rolo add --name "Ada Lovelace" --email work:ada@example.com \\
               --phone mobile:+44 20 7946 0123 --label math --field met_at="Royal Society"
    """
    from rolo.core.book import new_uid
    from rolo.core.cli.entries import date_entry
    from rolo.core.record import ContactRecord, DateEntry

    # a blank value names nobody: `--name "  "` alone would make a contact with no name at all
    name, given, family, org = (v if v and v.strip() else None for v in (name, given, family, org))
    if not (name or given or family or org or emails):
        raise click.UsageError("give at least --name, --given/--family, --org or --email (not blank)")
    if name and not (given or family):
        given, family = split_name(name)
    record = ContactRecord(
        uid=uid or new_uid(), formatted_name=" ".join(name.split()) if name else "", given_name=given,
        family_name=family, nickname=nickname, organization=org, title=title, birthday=birthday, notes=note,
        starred=star, emails=[email_entry(e) for e in emails], phones=[phone_entry(p) for p in phones],
        urls=[url_entry(u) for u in urls], labels=list(labels),
        dates=([DateEntry("anniversary", anniversary)] if anniversary else []) + [date_entry(d) for d in dates],
    )
    if record.emails:
        record.emails[0].primary = True
    if record.phones:
        record.phones[0].primary = True
    apply_fields(record, parse_assignments(fields))
    saved = env.book.add(record)
    if as_json:
        print_json(saved.to_json())
    else:
        click.echo(saved.uid)


@click.command()
@click.argument("ref", type=CONTACT_REF)
@json_option
@click.option("--vcard", "as_vcard", is_flag=True, help="Print the contact as a vCard.")
@click.option("--vcard-version", type=click.Choice(["3.0", "4.0"]), default="3.0", show_default=True,
              help="vCard version for --vcard.")
@click.option("--history", "with_history", is_flag=True,
              help="Show the contact's changes instead, newest first (as `rolo history REF`).")
@pass_env
def show(env: Env, ref: str, as_json: bool, as_vcard: bool, vcard_version: str, with_history: bool) -> None:
    """Show one contact: everything rolo knows about it, with the latest entries of its notes log
    (`--json`: all of them, as `log`).

    REF is a uid, a uid prefix (6+ characters), an email or a phone number; failing those, a name or any
    search term: one match is shown, several are a numbered list to choose from on a terminal (an error
    listing them, exit 2, in a script).

    \b
    Example:
      rolo show ada@example.com
      rolo show "Ada Lovelace"
      rolo show 3f2a9c --json
      rolo show ada@example.com --history
    """
    if as_json and as_vcard:
        raise click.UsageError("choose one of --json and --vcard")
    if not as_vcard and _given(click.get_current_context(), "vcard_version"):  # else silently ignored
        raise click.UsageError("--vcard-version goes with --vcard")
    if with_history:
        if as_vcard:
            raise click.UsageError("choose one of --history and --vcard")
        from rolo.core.cli.history import print_history

        entries = env.book.history(ref, limit=None, changes=None)
        print_json(entries) if as_json else print_history(entries, one_contact=True)
        return
    from rolo.core.exporter import contact_with_log

    if as_vcard:
        from rolo.core.vcard import export_card

        (record,) = env.book.with_log([env.book.get(ref)])
        click.echo(export_card(record, vcard_version), nl=False)
        return
    record, own, by = env.book.relations(ref)
    (record,) = env.book.with_log([record])
    if as_json:  # the JSON contact object plus its notes log and the links to it: list/search objects lack them
        print_json({**contact_with_log(record), "related_by": by})
    else:
        from rolo.core.cli.relations import relation_lines

        contact_detail(record, relation_lines(own, by))


@click.command("list")
@click.option("--label", help="Only contacts with this label.")
@click.option("--sort", type=click.Choice(["name", "updated", "contacted"]), default="name", show_default=True,
              help="By family/given name; most recently updated first; or contacted: longest out of touch "
                   "first (by the latest `rolo log` entry), those never contacted before everyone.")
@json_option
@pass_env
def list_(env: Env, label: str | None, sort: str, as_json: bool) -> None:
    """List contacts.

    A --label no contact has is an error (a typo would otherwise list nothing, silently).

    \b
    Example:
      rolo list --label friends
      rolo list --sort updated --json
    """
    if label is not None and label.casefold() not in {n.casefold() for n, _ in env.book.labels()}:
        from rolo.core.errors import NotFoundError

        raise NotFoundError(f"no label named {label!r}", hint="rolo label list shows the labels")
    if as_json and not sys.stdout.isatty():  # a pipe: compact objects, built by SQLite (a large book is fast)
        print_json_texts(env.book.iter_contacts_json(label=label, sort=sort))
    elif as_json:
        print_json_list(r.to_json() for r in env.book.iter_contacts(label=label, sort=sort))
    else:
        contact_table(env.book.contacts(label=label, sort=sort))


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most N results.")
@json_option
@pass_env
def search(env: Env, query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Search contacts; best matches first.

    Words match the start of any word of a contact (names, nickname, organization, title, emails, phone
    digits, notes, labels, custom fields) and all must match. Restrict a word with `email:`, `phone:`,
    `org:`, `name:`, `title:`, `nick:`, `note:`, `label:` or a custom field's name. A phone number in any
    format finds the contact.

    \b
    Example:
      rolo search ada
      rolo search org:northwind label:investors
      rolo search 010-1234-5678
    """
    text = " ".join(query)
    if ":" in text:  # a mistyped qualifier (`emial:`) would quietly search for the words
        from rolo.core.search import unknown_qualifiers

        for key, close in unknown_qualifiers(text, (d.name for d in env.book.field_definitions())):
            meant = f"did you mean {close}:?" if close else "rolo search --help lists the qualifiers"
            click.echo(f"note: {key}: is neither a qualifier nor a custom field, so it was searched as plain "
                       f"words ({meant})", err=True)
    records = env.book.search(text, limit=limit)
    if as_json:
        print_json([r.to_json() for r in records])
    else:
        contact_table(records)


@click.command()
@click.argument("refs", metavar="REF [REF...]", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_env
def rm(env: Env, refs: tuple[str, ...], yes: bool) -> None:
    """Move contacts to the trash (syncs still delete them remotely), all in one change (`rolo undo`
    brings them all back).

    Each REF is a uid, uid prefix, email, phone, or a name or search term naming one contact (several
    matches: choose on a terminal, an error in a script). All or nothing: when any REF names no contact,
    every such REF is listed and nothing is deleted. Asks once for all of them unless --yes. `rolo trash`
    lists the trash, `rolo restore REF` brings a contact back.

    \b
    Example:
      rolo rm ada@example.com --yes
      rolo rm 3f2a9c 8a1a13 bob@example.com
      rolo rm "Jon Smith" "Jonathan Smith"
    """
    records = resolve_contacts(env, refs)
    names = ", ".join(f"{r.display_name()} ({r.uid})" for r in records)
    if not yes and not confirm(f"Move to the trash: {names}?"):
        raise UserError("not deleted", hint=None if sys.stdin.isatty() else "--yes deletes without asking")
    for record in env.book.delete_many([r.uid for r in records]):
        click.echo(f"deleted {record.display_name()} ({record.uid})")


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the option was typed on the command line (not its default)."""
    return ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE

