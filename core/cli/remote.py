"""`rolo remote`: the remote CRMs the book syncs with (kept in the config file, tokens kept apart)."""

from __future__ import annotations

import sys

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json
from rolo.core.sync.api import POLICIES


@click.group()
def remote() -> None:
    """Configure the remote CRMs the book syncs with (see `rolo sync`).

    Remotes live in the config file (rolo.toml); their tokens never do: a token comes from the environment
    variable named by --token-env, or from the system keyring, or from tokens.toml (owner-only) beside the
    config.

    \b
    Example:
      rolo remote add work --adapter relm --url https://relmcrm.com --token-env RELM_KEY
      rolo remote list
    """


@remote.command("add")
@click.argument("name")
@click.option("--adapter", "adapter_name", required=True, help="Adapter name (see `rolo remote adapters`).")
@click.option("--url", help="The API's base URL [default: the adapter's].")
@click.option("--option", "option_values", multiple=True, metavar="KEY=VALUE", help="An adapter option (repeatable).")
@click.option("--token-env", metavar="VAR", help="Environment variable holding the token.")
@click.option("--token-stdin", is_flag=True,
              help="Read the token from standard input and store it in the keyring (or the owner-only token file).")
@click.option("--conflict", type=click.Choice(POLICIES), default="local", show_default=True,
              help="Default conflict policy for this remote.")
@click.option("--full-every", default=None, metavar="DURATION",
              help="For incremental remotes: list everything (to see deletions) at most this often, e.g. 1h; "
                   "0 = every sync [default: the adapter's: 1d for carddav, whose incremental listings report "
                   "deletions too; 0 for the others].")
@click.option("--replace", is_flag=True, help="Replace a remote of that name.")
@click.option("--webhook-secret-env", metavar="VAR",
              help="Environment variable holding the remote's webhook signing secret, for `rolo serve-webhooks` "
                   "(else the keyring's entry rolo / NAME:webhook is used).")
@pass_env
def add(env: Env, name: str, adapter_name: str, url: str | None, option_values: tuple[str, ...],
        token_env: str | None, token_stdin: bool, conflict: str, full_every: str | None, replace: bool,
        webhook_secret_env: str | None) -> None:
    """Add a remote: a name, the adapter that speaks its API, its URL and where its token is.

    \b
    Example:
      export RELM_KEY=sk_test_...
      rolo remote add work --adapter relm --url https://relmcrm.com --token-env RELM_KEY
      echo "$TOKEN" | rolo remote add home --adapter relm --url http://127.0.0.1:8765 --token-stdin
    """
    result = env.sync_api.add_remote(
        name, adapter_name, url=url, options=option_values, token_env=token_env, conflict=conflict,
        full_every=full_every, replace=replace, webhook_secret_env=webhook_secret_env,
        token=(lambda: sys.stdin.readline()) if token_stdin else None)
    added = result.remote
    click.echo(f"added remote {name} ({added.adapter}, {added.url}) to {result.config_path}")
    if result.token is None:
        hint = f" ({result.token_help})" if result.token_help else ""
        click.echo(f"no token given: set one with --token-env VAR or --token-stdin{hint}", err=True)
    else:
        click.echo(f"token: {result.token}")


@remote.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """List the configured remotes.

    \b
    Example:
      rolo remote list
      rolo remote list --json
    """
    rows = [r.as_dict() for r in env.sync_api.list_remotes()]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no remotes (add one with: rolo remote add NAME --adapter ADAPTER --url URL)")
        return
    for r in rows:
        click.echo(f"{r['name']}\t{r['adapter']}\t{r['url']}\ttoken: {r['token']}")


@remote.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def show(env: Env, name: str, as_json: bool) -> None:
    """Show a remote: its settings, what its adapter carries, and its sync state in the book.

    \b
    Example:
      rolo remote show work
    """
    data = env.sync_api.show_remote(name).as_dict()
    if as_json:
        print_json(data)
        return
    out = console()
    for key in ("name", "adapter", "url", "token", "conflict", "full_every", "timeout"):
        out.print(f"[bold]{key:<14}[/bold]{data[key]}", markup=True)
    if data.get("webhook_secret"):
        out.print(f"[bold]{'webhooks':<14}[/bold]secret from {data['webhook_secret']} (rolo serve-webhooks)")
    if data["options"]:
        out.print(f"[bold]{'options':<14}[/bold]" + ", ".join(f"{k}={v}" for k, v in data["options"].items()))
    if data.get("capabilities"):
        caps = data["capabilities"]
        out.print(f"[bold]{'carries':<14}[/bold]{', '.join(caps['fields'])}")
        flags = [k for k in ("deletes", "incremental", "batch", "idempotent_create", "lookup", "webhooks") if caps[k]]
        out.print(f"[bold]{'can':<14}[/bold]{', '.join(flags)}")
    out.print(f"[bold]{'linked':<14}[/bold]{data['linked']} contacts ({data['pending']} pending)")
    out.print(f"[bold]{'last sync':<14}[/bold]{data['state']['last_sync_at'] or 'never'}")
    out.print(f"[bold]{'conflicts':<14}[/bold]{data['open_conflicts']} open")
    for run in data["runs"]:
        counts = ", ".join(f"{k} {v}" for k, v in run["counts"].items()) or "no changes"
        out.print(f"  run {run['id']} {run['started_at']} {run['status']}: {counts}", markup=False)


@remote.command("rm")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask first.")
@pass_env
def rm(env: Env, name: str, yes: bool) -> None:
    """Remove a remote: its config, its stored token, and its sync state in the book (links, conflicts).

    Contacts stay in the book, and records stay in the remote.

    \b
    Example:
      rolo remote rm work --yes
    """
    def ask(links: int) -> bool:
        return click.confirm(f"forget the links of {links} contacts to remote {name}?", abort=True)

    env.sync_api.remove_remote(name, confirm=None if yes else ask)
    click.echo(f"removed remote {name}")


@remote.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def test(env: Env, name: str, as_json: bool) -> None:
    """Check that a remote answers and accepts its token (one cheap request; nothing is changed).

    \b
    Example:
      rolo remote test work
    """
    result = env.sync_api.test_remote(name)
    if as_json:
        print_json(result.as_dict())
        return
    details = ", ".join(f"{k}: {v}" for k, v in result.facts.items())
    click.echo(f"{name}: ok ({result.adapter} at {result.url}{'; ' + details if details else ''})")


@remote.command("adapters")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@pass_env
def adapters(env: Env, as_json: bool) -> None:
    """List the adapters the loaded plugins provide, with their options.

    \b
    Example:
      rolo remote adapters
    """
    rows = [info.as_dict() for info in env.sync_api.adapters()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        options = ", ".join(row["options"]) or "no options"
        click.echo(f"{row['name']}\t{row['module']}\t{options}")
