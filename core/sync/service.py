"""Long-running services, as `rolo daemon` runs them: what a service is, how plugins offer theirs, running
several side by side until told to stop, and the schedule of the periodic sync.

A service is any object with `run(stop)` (the `Service` protocol below). Plugins offer services through the
`register_services` hook (`rolo.core.hookspecs`): a name and a factory each. `rolo daemon`
(`rolo.core.sync.api.SyncAPI.daemon`) calls the factory of every service it starts with a `ServiceContext`
(the service's own book, the config, the plugin manager, the daemon's options, a log function), runs each
service in a thread of its own next to the periodic sync of the remotes, and sets `stop` to end them all.

The built-in drop-folder watcher is such a service (`rolo.plugins.watch`, name `watch`): core knows it only
through the hook.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from rolo.core.errors import RoloError, UserError

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.config import Config

logger = logging.getLogger(__name__)

#: Names the daemon uses itself: no plugin may register a service under them.
RESERVED = frozenset({"sync"})
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
#: How long stopping waits for each service to return.
JOIN_SECONDS = 30.0


@runtime_checkable
class Service(Protocol):
    """Long-running work that `rolo daemon` runs in a thread of its own (see `register_services`)."""

    def run(self, stop: threading.Event) -> None:
        """Do the service's work until `stop` is set, then return.

        Called once, in a thread of the service's own (never the main thread: do not install signal
        handlers). Look at `stop` at least every second or so, or wait on it (`stop.wait(timeout)`); once it
        is set, finish the step at hand and return. Log what a user should see through the context's `log`.

        Args:
            stop: set when the daemon stops (SIGTERM, Ctrl-C, or the caller of `SyncAPI.daemon`).

        Raises:
            anything: the daemon logs it as this service's failure (`Error: NAME: ...`, with the traceback
            when it is not a `RoloError`) and keeps the other services running; `rolo daemon` then exits 1.
        """


@dataclass
class ServiceContext:
    """What a service's factory is given when `rolo daemon` starts the service."""

    name: str
    """The name the service was registered under."""
    book: Book
    """A `Book` of the service's own (its own connections, safe in its thread); closed after `run` returns."""
    config: Config
    """The loaded config (rolo.toml): a service may read a section of its own (`config.section("watch")`)."""
    plugin_manager: pluggy.PluginManager
    """The plugin manager, for calling hooks (`file_imported`...)."""
    options: Mapping[str, Any]
    """The daemon's options, by name: `folder` (`--folder`, a str, or None), `every` (seconds between syncs),
    and whatever else a caller of `SyncAPI.daemon` passes. Read what you know, ignore the rest."""
    log: Callable[[str], None]
    """Write one line to the daemon's log (`rolo daemon` prints it to stderr); safe from any thread."""


ServiceFactory = Callable[[ServiceContext], "Service | None"]


def service_factories(pm: pluggy.PluginManager) -> dict[str, ServiceFactory]:
    """Every service the loaded plugins register through `register_services`, by name.

    Raises:
        UserError: a name registered twice (by different factories), a reserved or malformed name, or a
            factory that is not callable.
    """
    found: dict[str, ServiceFactory] = {}

    def register(name: str, factory: ServiceFactory) -> None:
        if not isinstance(name, str) or not _NAME.match(name) or name in RESERVED:
            raise UserError(f"a plugin registered a service named {name!r}: use lowercase letters, digits, '_' or "
                            f"'-' (and not {', '.join(sorted(RESERVED))})")
        if not callable(factory):
            raise UserError(f"service {name!r}: {factory!r} is not a factory (a callable taking a ServiceContext)")
        if name in found and found[name] is not factory:
            raise UserError(f"two plugins register a service named {name!r}: "
                            f"{getattr(found[name], '__module__', '?')} and {getattr(factory, '__module__', '?')}")
        found[name] = factory

    pm.hook.register_services(register=register)
    return found


def run_services(services: Mapping[str, Service], stop: threading.Event, *,
                 log: Callable[[str], None]) -> dict[str, str]:
    """Run each service in a thread of its own until `stop` is set or every one has returned.

    On the way out (`stop` set, or KeyboardInterrupt in the calling thread, which is raised again after)
    logs `stopping`, sets `stop` and waits up to `JOIN_SECONDS` for each service. Returns the failures: the
    one-line error of each service that raised, by name.
    """
    failures: dict[str, str] = {}

    def run(name: str, service: Service) -> None:
        try:
            service.run(stop)
        except RoloError as exc:
            failures[name] = str(exc) + (f" (hint: {exc.hint})" if exc.hint else "")
            log(f"Error: {name}: {failures[name]}")
        except Exception as exc:  # a bug: keep its traceback, let the other services go on
            logger.exception("service %s failed", name)
            failures[name] = f"{type(exc).__name__}: {exc}"
            log(f"Error: {name}: {failures[name]}")

    threads = [threading.Thread(target=run, args=(name, service), name=f"rolo-{name}", daemon=True)
               for name, service in services.items()]
    for thread in threads:
        thread.start()
    try:
        while not stop.is_set() and any(t.is_alive() for t in threads):
            stop.wait(0.2)
    finally:
        log("stopping")
        stop.set()
        for thread in threads:
            thread.join(JOIN_SECONDS)
    return failures


# -- the periodic sync's schedule ------------------------------------------------------------------------------
@dataclass
class Schedule:
    """Periodic syncs of several remotes, each with its own backoff after failures (`rolo sync --every`,
    `rolo daemon`). A remote that fails waits `every`, then twice that, up to `max_backoff`."""

    every: float
    max_backoff: float = 3600.0
    next_at: dict[str, float] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def due(self, names: list[str], now: float) -> list[str]:
        """The remotes whose turn it is."""
        return [n for n in names if self.next_at.get(n, 0.0) <= now]

    def done(self, name: str, ok: bool, now: float) -> float:
        """Record a run's outcome; returns the seconds until this remote's next run."""
        if ok:
            self.failures.pop(name, None)
            wait = self.every
        else:
            self.failures[name] = self.failures.get(name, 0) + 1
            wait = min(self.max_backoff, self.every * 2 ** self.failures[name])
        self.next_at[name] = now + wait
        return wait

    def sleep_for(self, names: list[str], now: float) -> float:
        """Seconds until the next remote is due."""
        return max(0.0, min((self.next_at.get(n, 0.0) for n in names), default=self.every) - now)


def run_schedule(names: list[str], every: float, run_one: Callable[[str], bool], stop: threading.Event,
                 *, max_backoff: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
    """Call `run_one(name)` for each remote every `every` seconds (backing off per remote when it returns
    False) until `stop` is set."""
    schedule = Schedule(every, max_backoff)
    while not stop.is_set():
        for name in schedule.due(names, clock()):
            if stop.is_set():
                return
            ok = run_one(name)
            schedule.done(name, ok, clock())
        stop.wait(max(0.05, schedule.sleep_for(names, clock())))
