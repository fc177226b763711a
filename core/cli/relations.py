"""`rolo relate`: typed links between people (rolo.core.relations), shown both ways by `rolo show`."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import print_json
from rolo.core.cli.refs import CONTACT_REF
from rolo.core.errors import UserError
from rolo.core.relations import KINDS


@click.command()
@click.argument("ref", type=CONTACT_REF)
@click.argument("kind", required=False)
@click.argument("other", type=CONTACT_REF, required=False)
@click.option("--name", help="The other person by name, for someone not in the book.")
@click.option("--remove", is_flag=True, help="Remove the link instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def relate(env: Env, ref: str, kind: str | None, other: str | None, name: str | None, remove: bool,
           as_json: bool) -> None:
    """Link two people: `rolo relate A KIND B` records that B is A's KIND.

    KIND is spouse, partner, child, parent, sibling, friend, colleague, manager, assistant, or any other
    word (`godmother`), kept as written. The link is kept on A and shown on both: `rolo show A` lists "spouse:
    B", `rolo show B` lists A with the other side's word (A is B's spouse; for `parent`, B's child; for a
    word rolo does not know, "their godmother"). B is a contact (REF), or --name for someone not in the book.
    With only A, lists A's links both ways. Exports write them as vCard RELATED (4.0) or Apple's
    X-ABRELATEDNAMES (3.0). `rolo undo` takes a change back.

    \b
    Example:
      rolo relate ada@example.com spouse "William King"
      rolo relate ada@example.com parent --name "Anne Isabella Milbanke"
      rolo relate ada@example.com --remove spouse "William King"
      rolo relate ada@example.com --json
    """
    if kind is None:
        if other or name or remove:
            raise click.UsageError("give the KIND of relationship: " + ", ".join(KINDS) + ", or any word")
        _list(env, ref, as_json)
        return
    record, link, changed = env.book.relate(ref, kind, other, name=name, remove=remove)
    who = f"{link.name} is {record.display_name()}'s {link.kind}"
    if as_json:
        print_json({"uid": record.uid, "name": record.display_name(), "kind": link.kind, "other_uid": link.uid,
                    "other_name": link.name, "removed" if remove else "added": changed})
        return
    if remove:
        if not changed:
            raise UserError(f"{who}: no such link to remove", hint=f"rolo relate {record.uid} lists the links")
        click.echo(f"removed: {who}")
    else:
        click.echo(f"{who}" + ("" if changed else " (already linked)"))


def _list(env: Env, ref: str, as_json: bool) -> None:
    record, own, by = env.book.relations(ref)
    if as_json:
        print_json({"uid": record.uid, "name": record.display_name(), "related": own, "related_by": by})
        return
    if not own and not by:
        click.echo(f"{record.display_name()} has no relationships (rolo relate --help)")
        return
    for line in relation_lines(own, by):
        click.echo(line)


def relation_lines(own: list[dict], by: list[dict]) -> list[str]:
    """One line per link, both ways, as `rolo show` and `rolo relate A` print them."""
    lines = []
    for r in own:
        mark = " (in the trash)" if r["trashed"] else ("" if r["in_book"] or not r["uid"] else " (not in the book)")
        lines.append(f"{r['kind']}: {r['name']}{mark}")
    said = {(r["kind"].casefold(), (r["name"] or "").casefold()) for r in own}
    for r in by:  # the other side's link, unless this card already says the same by name
        if (r["as"].casefold(), r["name"].casefold()) not in said:
            lines.append(f"{r['as']}: {r['name']} (on their card: {r['kind']})")
    return lines
