"""What happens to a webhook delivery, without the HTTP: verify it, refuse a replay, queue the records it
names, and pull them into the book from one worker thread (`Receiver.run`).

Pulls are coalesced: events that arrive while a pull runs are pulled together by the next one. A pull that
fails (the remote is down, the token expired) keeps its records queued and is tried again after a growing
pause (`RETRY_FIRST` doubling up to `RETRY_MAX`); the scheduled sync would find them anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rolo.core.errors import RoloError, UserError
from rolo.core.sync import remotes as remote_config
from rolo.core.sync.webhooks import ReplayGuard, WebhookEvent, WebhookRejected, webhook_secret

if TYPE_CHECKING:
    from rolo.core.config import Config
    from rolo.core.sync.adapter import Adapter
    from rolo.core.sync.api import SyncAPI

RETRY_FIRST = 2.0
RETRY_MAX = 300.0


@dataclass
class Endpoint:
    """One remote that receives webhooks: its adapter class, options and signing secret (never shown)."""

    name: str
    adapter: type[Adapter]
    options: Mapping[str, str]
    secret: str = field(repr=False)

    @property
    def path(self) -> str:
        """Where the remote must POST: `/hooks/NAME`."""
        return f"/hooks/{self.name}"


def endpoints(api: SyncAPI, config: Config, names: tuple[str, ...] = ()) -> dict[str, Endpoint]:
    """The remotes with a webhook secret (or only `names`, each of which must have one), by name.

    Raises:
        UserError: a named remote is unknown, its adapter receives no webhooks, or its secret is not found.
    """
    configured = remote_config.remotes(config)
    for name in names:
        remote_config.get_remote(config, name)  # an unknown name is an error naming the configured ones
    found: dict[str, Endpoint] = {}
    for name, remote in configured.items():
        if names and name not in names:
            continue
        wanted = bool(names) or remote.webhook_secret_env is not None
        cls = remote_config.adapter_class(api.plugin_manager, remote.adapter)
        if not cls.capabilities.webhooks:
            if names:
                raise UserError(f"remote {name!r}: adapter {cls.name} receives no webhooks")
            continue
        secret = webhook_secret(remote)
        if secret is None:
            if wanted:
                where = f"${remote.webhook_secret_env} is not set and the keyring" if remote.webhook_secret_env \
                    else "the keyring"
                raise UserError(f"remote {name!r}: no webhook secret ({where} has no entry rolo / {name}:webhook)",
                                hint=f"rolo remote add {name} ... --webhook-secret-env VAR --replace, then export VAR")
            continue
        found[name] = Endpoint(name, cls, dict(remote.options), secret)
    return found


class Receiver:
    """Verifies deliveries (any thread) and pulls what they name (the thread running `run`)."""

    def __init__(self, api: SyncAPI, endpoints: Mapping[str, Endpoint], log: Callable[[str], None]) -> None:
        self.api = api
        self.endpoints = dict(endpoints)
        self.log = log
        self.replays = ReplayGuard()
        self._pending: dict[str, dict[str, WebhookEvent]] = {}
        self._wake = threading.Condition()
        self.pulls = 0  # pull runs done (tests wait on it)

    # -- any thread: one delivery -----------------------------------------------------------------------------
    def receive(self, name: str, headers: Mapping[str, str], body: bytes, *,
                now: float | None = None) -> list[WebhookEvent]:
        """Verify one delivery to `/hooks/NAME` and queue its records; returns them.

        Raises:
            WebhookRejected: unknown endpoint (404), bad or expired signature or a replay (401), or a body
                that is no event (400). Nothing is queued then.
        """
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise WebhookRejected(f"no webhook endpoint {name!r}", status=404)
        lowered = {k.lower(): v for k, v in headers.items()}
        events = endpoint.adapter.webhook_events(lowered, body, endpoint.secret, options=endpoint.options, now=now)
        self.replays.check(name, self.replays.fingerprint(lowered, body), now=now)
        if events:
            with self._wake:
                queued = self._pending.setdefault(name, {})
                for event in events:
                    queued[event.remote_id] = event
                self._wake.notify_all()
        return events

    # -- the worker ---------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Pull queued records until `stop` is set."""
        pause = 0.0
        while not stop.is_set():
            with self._wake:
                if not self._pending:
                    self._wake.wait(0.2)
                    continue
                batch, self._pending = self._pending, {}
            failed = self._pull(batch)
            if failed:
                with self._wake:  # back in the queue, behind any newer event of the same record
                    for name, events in failed.items():
                        self._pending[name] = {**events, **self._pending.get(name, {})}
                pause = min(RETRY_MAX, pause * 2 or RETRY_FIRST)
                self.log(f"webhooks: trying again in {pause:.0f} s")
                stop.wait(pause)
            else:
                pause = 0.0

    def _pull(self, batch: dict[str, dict[str, WebhookEvent]]) -> dict[str, dict[str, WebhookEvent]]:
        failed = {}
        for name, events in batch.items():
            what = ", ".join(f"{e.action} {e.remote_id}" for e in list(events.values())[:5])
            more = f" and {len(events) - 5} more" if len(events) > 5 else ""
            try:
                report = self.api.pull_records(name, list(events))
            except RoloError as exc:
                failed[name] = events
                self.log(f"Error: webhooks: {name}: pulling {what}{more} failed: {exc}")
                continue
            finally:
                self.pulls += 1
            self.log(f"webhooks: {name}: {what}{more}: {_summary(report.counts, len(report.conflicts))}")
        return failed

    def wait_idle(self, pulls: int, timeout: float = 10.0) -> bool:
        """Wait until at least `pulls` pull runs were done and nothing is queued (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._wake:
                if self.pulls >= pulls and not self._pending:
                    return True
            time.sleep(0.02)
        return False


def _summary(counts: Mapping[str, int], conflicts: int) -> str:
    said = [f"{key.replace('local_', 'book ').replace('_', ' ')} {n}" for key, n in sorted(counts.items()) if n]
    if conflicts:
        said.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''} (rolo conflicts)")
    return ", ".join(said) or "nothing to change"
