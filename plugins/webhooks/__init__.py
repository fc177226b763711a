"""Webhooks, a built-in plugin: remotes tell rolo when records change and the book pulls them at once.

It registers like any third-party plugin (`webhooks = "rolo.plugins.webhooks"` under
`[project.entry-points.rolo]`): `register_commands` adds `rolo serve-webhooks`, `register_services` offers
`rolo daemon` the `webhooks` service, which runs when some remote has a webhook secret
(`rolo remote add ... --webhook-secret-env VAR`). The port is `--port`, else `port` under `[webhooks]` in
rolo.toml, else 8790.

- `receiver.py`: verification (the adapter's `webhook_events`), the replay guard, and the pulls;
- `server.py`: the HTTP server on 127.0.0.1 (`POST /hooks/NAME`).

Verification and secrets are the core's (`rolo.core.sync.webhooks`); what an event means is the adapter's.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import click
from rolo.core.cli.context import Env, pass_env
from rolo.core.errors import UserError
from rolo.core.hookspecs import hookimpl

from rolo.plugins.webhooks.receiver import Receiver, endpoints
from rolo.plugins.webhooks.server import DEFAULT_PORT, WebhookServer

if TYPE_CHECKING:
    from rolo.core.config import Config
    from rolo.core.sync.service import ServiceContext

SERVICE = "webhooks"


@hookimpl
def register_services(register: Any) -> None:
    """Offer `rolo daemon` the `webhooks` service."""
    register(SERVICE, webhooks_service)


@hookimpl
def register_commands(cli: click.Group) -> None:
    """Add `rolo serve-webhooks`."""
    cli.add_command(serve_webhooks)


class WebhookService:
    """The receiver behind its server, as a `rolo.core.sync.service.Service`."""

    def __init__(self, server: WebhookServer) -> None:
        self.server = server

    def run(self, stop: threading.Event) -> None:
        self.server.serve_until(stop)


def configured_port(config: Config) -> int:
    """`port` under `[webhooks]` in rolo.toml, else 8790."""
    value = config.section("webhooks").get("port", DEFAULT_PORT)
    if not isinstance(value, int) or not 0 <= value <= 65535:
        raise UserError(f"[webhooks] port in {config.path} must be a port number, not {value!r}")
    return value


def start(api: Any, config: Config, log: Any, *, port: int | None = None,
          names: tuple[str, ...] = ()) -> WebhookServer | None:
    """A server for the remotes with a secret (or `names`); None when there are none and none were named."""
    found = endpoints(api, config, names)
    if not found:
        return None
    server = WebhookServer(Receiver(api, found, log), configured_port(config) if port is None else port)
    for name, endpoint in found.items():
        log(f"webhooks: {name} ({endpoint.adapter.name}) posts to {server.url}{endpoint.path}")
    return server


def webhooks_service(context: ServiceContext) -> WebhookService | None:
    """The `webhooks` service, or None when no remote has a webhook secret."""
    from rolo.core.sync.api import SyncAPI

    api = SyncAPI(context.book, context.config, context.plugin_manager)
    port = context.options.get("webhook_port")
    server = start(api, context.config, context.log, port=port)
    return WebhookService(server) if server else None


@click.command("serve-webhooks")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help=f"Port on 127.0.0.1 (0: any free port) [default: [webhooks] port in rolo.toml, else {DEFAULT_PORT}].")
@click.option("--remote", "names", multiple=True, metavar="NAME",
              help="Only this remote (repeatable) [default: every remote with a webhook secret].")
@pass_env
def serve_webhooks(env: Env, port: int | None, names: tuple[str, ...]) -> None:
    """Receive the remotes' webhooks on 127.0.0.1 and pull each changed contact at once, until interrupted.

    Each remote POSTs to http://127.0.0.1:PORT/hooks/NAME. A delivery is verified with the remote's signing
    secret (`rolo remote add NAME ... --webhook-secret-env VAR`, else the keyring entry rolo / NAME:webhook):
    a wrong or missing signature, one more than 5 minutes old, or a delivery received before is refused
    (401) and logged. The records an event names are then pulled as `rolo sync --pull` would (conflicts
    recorded, nothing pushed); the scheduled sync still runs (see `rolo daemon`, which includes this
    server when a remote has a secret). It listens on loopback only: a tunnel or reverse proxy brings the
    internet's deliveries to it. SIGTERM or Ctrl-C stop it.

    \b
    Example:
      export RELM_WHSEC=whsec_...
      rolo remote add work --adapter relm --token-env RELM_KEY --webhook-secret-env RELM_WHSEC --replace
      rolo serve-webhooks --port 8790
    """
    import signal

    from rolo.core.cli.sync_output import stamped

    server = start(env.sync_api, env.config, lambda line: stamped(line, True), port=port, names=names)
    if server is None:
        raise UserError("no remote has a webhook secret",
                        hint="rolo remote add NAME --adapter relm ... --webhook-secret-env VAR --replace")
    click.echo(f"listening on {server.url} (Ctrl-C stops)", err=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        WebhookService(server).run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
