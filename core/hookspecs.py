"""rolo's plugin API: the hooks a plugin may implement.

A plugin is any module or object with functions decorated by `rolo.core.hookspecs.hookimpl` and named like
the specifications below. Packages make plugins known through the `rolo` entry-point group, built-in ones
exactly like third-party ones:

    [project.entry-points.rolo]
    my_plugin = "my_package.rolo_plugin"

Each hook is called by rolo at the moment its docstring gives. Hooks are extended with new keyword
arguments over time; pluggy passes an implementation only the arguments it names, so an implementation
written against an older rolo keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable

    import click

    from rolo.core.book import Book
    from rolo.core.record import ContactRecord
    from rolo.core.sync.service import ServiceFactory

hookspec = pluggy.HookspecMarker("rolo")
hookimpl = pluggy.HookimplMarker("rolo")


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the `rolo` command line.

    Called once, when the command line needs a command that is not built in (or lists all of them for
    `--help`). A command that needs the book, the config or the plugin manager takes them from the
    command-line context, with `rolo.core.cli.context.pass_env`: `env.book`, `env.config`,
    `env.plugin_manager`, `env.sync_api` (that module is the documented, stable API for plugin commands).

    Args:
        cli: the root click group; call `cli.add_command(command)`.
    """


@hookspec
def register_adapters(register: Any) -> None:
    """Make remote adapters available to `rolo remote add --adapter NAME` and to sync.

    Called once, when the adapters are first needed.

    Args:
        register: call `register(AdapterClass)` for each adapter class (a subclass of
            `rolo.core.sync.adapter.Adapter`); its `name` attribute is the name users type.
    """


@hookspec
def register_services(register: Callable[[str, ServiceFactory], None]) -> None:
    """Offer long-running services to `rolo daemon`, which runs them side by side with the periodic sync.

    Called once each time a daemon starts (`rolo daemon`, or `rolo.core.sync.api.SyncAPI.daemon`), before
    any service runs; also by `SyncAPI.services()` to list them. Register unconditionally: the daemon decides
    which services to start (`rolo daemon --no-watch` leaves out the one named `watch`).

    For each service it starts, the daemon calls `factory(context)` with a
    `rolo.core.sync.service.ServiceContext`: the service's `name`, a `book` of its own (its own connections,
    closed when the service returns), the `config`, the `plugin_manager`, the daemon's `options` (a mapping:
    `folder` from `--folder` or None, `every` in seconds, whatever else a Python caller passes; ignore what
    you do not know) and `log(line)`, which writes one line to the daemon's log (stderr). The factory
    returns the service, any object with `run(stop)` (the `rolo.core.sync.service.Service` protocol), or
    None to stay out with these options; raising `rolo.core.errors.UserError` stops the daemon before it
    starts, with that message. The daemon then calls `service.run(stop)` once, in a thread of its own; `run`
    works until the `threading.Event` `stop` is set (SIGTERM, Ctrl-C), looking at it at least every second
    or so, and then returns. An exception from `run` is logged as that service's failure; the others go on.

    Args:
        register: call `register(name, factory)` once per service; `name` is lowercase letters, digits,
            `_` or `-`, unique among plugins (`sync` is the daemon's own).

    Returns:
        nothing; the services are what `register` was given.
    """


@hookspec
def register_interaction_sources(register: Callable[[Any], None]) -> None:
    """Offer readers of interactions kept elsewhere (mail, calendars, call logs) that set "last contacted".

    Called when rolo looks for a source (`rolo.core.interactions_import.sources`). Call `register(source)`
    with an object having `name` (`mail`, `ics`...), `description` (one line) and `read(path, options)`,
    which yields `rolo.core.interactions_import.Interaction`s read from a file or folder (`options` is a
    dict of the caller's options: `since`, a datetime or None; ignore what you do not know) and raises
    `rolo.core.errors.UserError` for a path it cannot read at all. An interaction that cannot be read is
    yielded as an `Interaction` whose `error` says why (one line), so the rest goes on.
    `rolo.core.interactions_import.import_interactions` logs them on the contacts whose email addresses
    they name; rolo's own mail and .ics readers (`rolo import-mail`, `rolo import-ics`) register this way.

    Args:
        register: call `register(source)` once per source.
    """


@hookspec
def contact_changed(book: Book, record: ContactRecord, change: str) -> None:
    """A contact was created, updated or deleted in the book, after the change was committed.

    Args:
        book: the book it changed in.
        record: the contact as it now is (for a deletion, as it was).
        change: "created", "updated" or "deleted".
    """


@hookspec
def contact_due(book: Book, contact: ContactRecord, due: Any) -> None:
    """A contact is overdue for contact by its keep-in-touch cadence (`rolo keep`, `rolo due`): called by
    `rolo daemon`'s `reminders` service at its start and then once a day, once per overdue contact, most
    overdue first, so a plugin can notify. A contact still overdue the next day is announced again.

    Args:
        book: the book (the service's own; read from it, do not hold on to it).
        contact: the contact as it is now.
        due: a `rolo.core.keep_in_touch.Due`: `every_days`, `source` (`own` or `label NAME`),
            `last_contacted` (None: never), `due_on`, `overdue_days` (> 0).

    An exception is logged by the daemon (naming the plugin and the contact); the other plugins and the
    other contacts are still called.
    """


@hookspec
def file_imported(book: Book, path: str, report: dict[str, Any]) -> None:
    """A file was imported from a watched drop folder (after the import was committed).

    Args:
        book: the book the file went into.
        path: the file's path when it was imported (it may have been moved since).
        report: the import report as `rolo import --json` prints it.
    """


@hookspec
def before_push(remote: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """A contact is about to be sent to a remote; transform it, or veto sending it.

    Called for each record a sync is about to create or update remotely, in plugin registration order,
    each implementation seeing the previous one's result.

    Args:
        remote: the remote's name (as in `rolo remote list`).
        record: the JSON contact object, restricted to the fields the adapter carries.

    Returns:
        the record to send (changed or not), or None to leave it unchanged; raise
        `rolo.core.errors.UserError` to veto sending this record (it is reported as skipped).
    """


@hookspec
def after_pull(remote: str, records: list[dict[str, Any]]) -> None:
    """A sync pulled changed records from a remote, after they were stored in the book.

    Args:
        remote: the remote's name.
        records: the JSON contact objects that changed locally because of the pull.
    """
