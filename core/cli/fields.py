"""`rolo field`: typed custom fields, defined once and set per contact."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.cli.output import console, print_json
from rolo.core.fields import FIELD_TYPES


@click.group()
def field() -> None:
    """Custom fields: define a typed field once, then set it on contacts.

    Types: text, textarea, number, date (YYYY-MM-DD), datetime (ISO 8601), bool, select (one of its
    --option values), url. A value of the wrong type is refused and nothing is written.

    \b
    Example:
      rolo field define tier --type select --option close --option friend
      rolo field set ada@example.com tier close
    """


@field.command("define")
@click.argument("name")
@click.option("--type", "type_", type=click.Choice(FIELD_TYPES), required=True, help="The value type.")
@click.option("--option", "options", multiple=True, help="An allowed value (select fields); repeatable.")
@click.option("--multiple", is_flag=True, help="The field holds several values.")
@click.option("--local", "local_only", is_flag=True,
              help="Private: never sent to a remote nor exported unless asked (--include-private).")
@pass_env
def field_define(env: Env, name: str, type_: str, options: tuple[str, ...], multiple: bool,
                 local_only: bool) -> None:
    """Define a custom field.

    \b
    Example:
      rolo field define met_at --type text
      rolo field define languages --type select --option en --option fr --multiple
      rolo field define salary --type number --local
    """
    from rolo.core.fields import FieldDefinition

    definition = env.book.define_field(FieldDefinition(name, type_, list(options), multiple, local_only))
    extra = (", multiple" if multiple else "") + (", private: kept in this book" if local_only else "")
    click.echo(f"defined {definition.name} ({definition.type}{extra})")


@field.command("local")
@click.argument("name")
@click.option("--off", is_flag=True, help="Make it an ordinary field again (synced and exported).")
@pass_env
def field_local(env: Env, name: str, off: bool) -> None:
    """Make a custom field private: its values stay in this book, never sent to a remote nor exported unless
    asked (`rolo export --include-private`, `rolo sync --include-private`). Values already sent to a remote
    stay there; rolo neither sends nor pulls the field from now on.

    \b
    Example:
      rolo field local salary
      rolo field local salary --off
    """
    definition = env.book.set_field_private(name, not off)
    state = "private: kept in this book" if definition.local_only else "synced and exported again"
    click.echo(f"{definition.name}: {state}")


@field.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def field_list(env: Env, as_json: bool) -> None:
    """List custom field definitions.

    \b
    Example:
      rolo field list --json
    """
    definitions = env.book.field_definitions()
    if as_json:
        print_json([d.as_dict() for d in definitions])
        return
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for column in ("Field", "Type", "Options", "Multiple", "Private"):
        table.add_column(column)
    for d in definitions:
        table.add_row(d.name, d.type, ", ".join(d.options), "yes" if d.multiple else "", "yes" if d.local_only else "")
    console().print(table if definitions else "[dim]no custom fields defined[/dim]")


@field.command("set")
@click.argument("ref", type=CONTACT_REF)
@click.argument("name")
@click.argument("values", nargs=-1, required=True)
@pass_env
def field_set(env: Env, ref: str, name: str, values: tuple[str, ...]) -> None:
    """Set a custom field on a contact (several VALUES for a multiple field).

    \b
    Example:
      rolo field set ada@example.com tier close
      rolo field set ada@example.com languages en fr
    """
    from rolo.core.errors import UserError

    if any(not v.strip() for v in values):
        raise UserError(f"field {name}: empty value (use 'rolo field unset' to clear it)")

    def change(record):  # type: ignore[no-untyped-def]
        record.custom_fields[name] = list(values) if len(values) > 1 else values[0]
        return record

    record = env.book.update(ref, change)
    shown = {k.casefold(): v for k, v in record.custom_fields.items()}.get(name.casefold())
    click.echo(f"{record.display_name()}: {name} = {shown}")


@field.command("unset")
@click.argument("ref", type=CONTACT_REF)
@click.argument("name")
@pass_env
def field_unset(env: Env, ref: str, name: str) -> None:
    """Remove a custom field's value from a contact.

    \b
    Example:
      rolo field unset ada@example.com tier
    """
    from rolo.core.errors import NotFoundError
    from rolo.core.fields import field_key

    defined = {field_key(d.name): d.name for d in env.book.field_definitions()}
    if field_key(name) not in defined:
        raise NotFoundError(f"no custom field named {name!r}", hint="rolo field list shows the fields")
    had: list[bool] = []

    def change(record):  # type: ignore[no-untyped-def]
        kept = {k: v for k, v in record.custom_fields.items() if field_key(k) != field_key(name)}
        had.append(len(kept) != len(record.custom_fields))
        record.custom_fields = kept
        return record

    record = env.book.update(ref, change)
    if had and had[0]:
        click.echo(f"{record.display_name()}: {defined[field_key(name)]} unset")
    else:
        click.echo(f"{record.display_name()}: {defined[field_key(name)]} was not set (nothing changed)")
