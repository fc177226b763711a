"""`rolo doctor`: check the book, the config and the remotes, and say what to do about each problem."""

from __future__ import annotations

import click

from rolo.core.cli.context import Env, pass_env

_MARK = {"ok": "ok", "note": "note", "problem": "PROBLEM"}


@click.command()
@click.option("--full", is_flag=True, help="SQLite's integrity_check instead of quick_check (several times slower).")
@click.option("--reindex", is_flag=True, help="Rebuild the search index from the contacts first.")
@click.option("--fix-phones", is_flag=True,
              help="First write numbers stored without a country code that default_region now reads in "
                   "international form (one change: rolo undo reverts it).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@click.pass_context
@pass_env
def doctor(env: Env, ctx: click.Context, full: bool, reindex: bool, fix_phones: bool, as_json: bool) -> None:
    """Check the book's integrity, schema and search index, every key of the config, and each remote's
    reachability and token; print each finding with what to do. Exit 0 when all is well, 1 otherwise.

    Nothing is changed (the book is not even created), except with --reindex or --fix-phones. Tokens are
    never shown. Phone numbers an import kept as written because they are impossible, and numbers without
    a country code, are listed under `phones`.

    \b
    Example:
      rolo doctor
      rolo doctor --full --json
      rolo doctor --fix-phones
    """
    from rolo.core.doctor import diagnose

    reindexed = None
    if reindex:
        from rolo.core.store.integrity import rebuild_index

        reindexed = rebuild_index(env.book_location)
        if not as_json:
            click.echo(f"rebuilt the search index: {reindexed} contacts")
    fixed = None
    if fix_phones:
        from rolo.core.phone_review import fix_phones as fix

        fixed = fix(env.book)
        if not as_json:
            for item in fixed:
                click.echo(f"{item.name} ({item.uid}): {item.before} -> {item.after} (read in {item.region})")
            click.echo(f"rewrote {len(fixed)} number{'' if len(fixed) == 1 else 's'} in international form")
    diagnosis = diagnose(env.book_option, env.config_option, full=full)
    if as_json:
        from rolo.core.cli.output import print_json

        extra = {"reindexed": reindexed} if reindex else {}
        if fixed is not None:
            extra["fixed_phones"] = [{"uid": f.uid, "name": f.name, "before": f.before, "after": f.after,
                                      "region": f.region} for f in fixed]
        print_json({**diagnosis.as_dict(), **extra})
    else:
        width = max(len(f.check) for f in diagnosis.findings)
        for finding in diagnosis.findings:
            click.echo(f"{_MARK[finding.status]:<8} {finding.check:<{width}}  {finding.message}")
            if finding.fix and finding.status != "ok":
                click.echo(f"{'':<8} {'':<{width}}  what to do: {finding.fix}")
        count = diagnosis.problems
        click.echo("all is well" if not count else f"{count} problem{'' if count == 1 else 's'}: see what to do above")
    if not diagnosis.ok:
        ctx.exit(1)
