"""`rolo remote`: the remote CRMs the book syncs with (kept in the config file, tokens kept apart)."""

from __future__ import annotations

import sys

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.cli.output import console, print_json
from rolo.core.errors import UserError


def _pm() -> object:
    from rolo.core.plugins import get_plugin_manager

    return get_plugin_manager()


def _options(values: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--option {value!r}: use KEY=VALUE")
        options[key.strip()] = rest.strip()
    return options


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
@click.option("--conflict", type=click.Choice(["local", "remote", "newest"]), default="local", show_default=True,
              help="Default conflict policy for this remote.")
@click.option("--full-every", default="0", metavar="DURATION",
              help="For incremental remotes: list everything (to see deletions) at most this often, e.g. 1h; "
                   "0 = every sync.")
@click.option("--replace", is_flag=True, help="Replace a remote of that name.")
@pass_env
def add(env: Env, name: str, adapter_name: str, url: str | None, option_values: tuple[str, ...],
        token_env: str | None, token_stdin: bool, conflict: str, full_every: str, replace: bool) -> None:
    """Add a remote: a name, the adapter that speaks its API, its URL and where its token is.

    \b
    Example:
      export RELM_KEY=sk_test_...
      rolo remote add work --adapter relm --url https://relmcrm.com --token-env RELM_KEY
      echo "$TOKEN" | rolo remote add home --adapter relm --url http://127.0.0.1:8765 --token-stdin
    """
    from rolo.core.sync import remotes

    remotes.validate_name(name)
    remotes.parse_duration(full_every)
    cls = remotes.adapter_class(_pm(), adapter_name)  # type: ignore[arg-type]
    options = _options(option_values)
    unknown = set(options) - set(cls.options)
    if unknown:
        known = ", ".join(sorted(cls.options)) or "none"
        raise UserError(f"adapter {cls.name} has no option {', '.join(sorted(unknown))} (options: {known})")
    url = url or cls.default_url
    if not url:
        raise UserError(f"adapter {cls.name} needs --url")
    if token_env and token_stdin:
        raise UserError("give --token-env or --token-stdin, not both")
    config = remotes.Remote(name=name, adapter=cls.name, url=url, token_env=token_env, conflict=conflict,
                            full_every=full_every, options=options)
    remotes.add_remote(env.config.path, config, replace=replace)
    where = f"env {token_env}" if token_env else None
    if token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            raise UserError("no token on standard input")
        where = remotes.store_token(name, token)
    click.echo(f"added remote {name} ({cls.name}, {url}) to {env.config.path}")
    if where is None:
        hint = f" ({cls.token_help})" if cls.token_help else ""
        click.echo(f"no token given: set one with --token-env VAR or --token-stdin{hint}", err=True)
    else:
        click.echo(f"token: {where}")


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
    from rolo.core.sync import remotes

    found = remotes.remotes(env.config)
    if as_json:
        print_json([r.as_dict() for r in found.values()])
        return
    if not found:
        click.echo("no remotes (add one with: rolo remote add NAME --adapter ADAPTER --url URL)")
        return
    for r in found.values():
        click.echo(f"{r.name}\t{r.adapter}\t{r.url}\ttoken: {remotes.token_source(r)}")


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
    from rolo.core.store import sync_state as state
    from rolo.core.sync import remotes

    config = remotes.get_remote(env.config, name)
    data = config.as_dict()
    try:
        cls = remotes.adapter_class(_pm(), config.adapter)  # type: ignore[arg-type]
        data["capabilities"] = cls.capabilities.as_dict()
        data["adapter_options"] = dict(cls.options)
    except UserError as exc:
        data["capabilities"] = None
        data["adapter_error"] = str(exc)
    db = env.book.db
    counts = state.link_counts(db, name)
    data["linked"], data["pending"] = counts["linked"], counts["pending"]
    data["state"] = state.remote_state(db, name)
    data["open_conflicts"] = len(state.conflicts(db, remote=name))
    data["runs"] = state.runs(db, name, limit=5)
    if as_json:
        print_json(data)
        return
    out = console()
    for key in ("name", "adapter", "url", "token", "conflict", "full_every", "timeout"):
        out.print(f"[bold]{key:<14}[/bold]{data[key]}", markup=True)
    if data["options"]:
        out.print(f"[bold]{'options':<14}[/bold]" + ", ".join(f"{k}={v}" for k, v in data["options"].items()))
    if data.get("capabilities"):
        caps = data["capabilities"]
        out.print(f"[bold]{'carries':<14}[/bold]{', '.join(caps['fields'])}")
        flags = [k for k in ("deletes", "incremental", "batch", "idempotent_create", "lookup") if caps[k]]
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
    from rolo.core.store import sync_state as state
    from rolo.core.sync import remotes

    remotes.get_remote(env.config, name)
    linked = state.link_counts(env.book.db, name)["links"]
    if linked and not yes:
        click.confirm(f"forget the links of {linked} contacts to remote {name}?", abort=True)
    remotes.remove_remote(env.config.path, name)
    remotes.forget_token(name)
    with env.book.transaction() as tx:
        state.forget_remote(tx.dbapi, name)
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
    from rolo.core.sync import remotes

    config = remotes.get_remote(env.config, name)
    adapter = remotes.open_adapter(config, _pm())  # type: ignore[arg-type]
    if adapter.token is None and config.token_env:
        raise UserError(f"no token for remote {name}: ${config.token_env} is not set")
    try:
        facts = adapter.check()
    finally:
        adapter.client.close()
    if as_json:
        print_json({"remote": name, "ok": True, **facts})
        return
    details = ", ".join(f"{k}: {v}" for k, v in facts.items())
    click.echo(f"{name}: ok ({config.adapter} at {config.url}{'; ' + details if details else ''})")


@remote.command("adapters")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def adapters(as_json: bool) -> None:
    """List the adapters the loaded plugins provide, with their options.

    \b
    Example:
      rolo remote adapters
    """
    from rolo.core.sync import remotes

    found = remotes.adapter_classes(_pm())  # type: ignore[arg-type]
    rows = [{"name": n, "module": c.__module__, "default_url": c.default_url, "options": dict(c.options),
             "capabilities": c.capabilities.as_dict()} for n, c in sorted(found.items())]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        options = ", ".join(row["options"]) or "no options"  # type: ignore[arg-type]
        click.echo(f"{row['name']}\t{row['module']}\t{options}")
