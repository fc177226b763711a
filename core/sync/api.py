"""The Python API beneath `rolo remote`, `rolo sync`, `rolo conflicts`, `rolo daemon` and `rolo emulate`.

The commands only parse their options and print what these methods return; everything else (validation,
assembling remotes, adapters, the engine and the plugin manager) happens here, once:

    from rolo.core.book import Book
    from rolo.core.config import load_config
    from rolo.core.sync.api import SyncAPI

    api = SyncAPI(Book("book.db"), load_config())     # plugin manager: the book's (the process's one)
    api.add_remote("work", "relm", token_env="RELM_KEY")
    result = api.sync()                                # every configured remote, one Report each
    print(result.to_json(), result.exit_code)
    for conflict in api.conflicts():
        api.resolve_conflict(conflict.id, "remote")

Every method checks its arguments and raises `rolo.core.errors.UserError` (or another `RoloError`) with a
one-line message; each returns a dataclass (or a list of them) whose `as_dict()` is what the command prints
with `--json` (they live in `rolo.core.sync.results` and are importable from here). A sync run's result is
the engine's `rolo.core.sync.engine.Report`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rolo.core.errors import NotFoundError, RoloError, UserError
from rolo.core.sync import merge, remotes
from rolo.core.sync import service as services
from rolo.core.sync.engine import EXIT_ERROR, Report, SyncEngine, SyncOptions
from rolo.core.sync.engine.context import check_run
from rolo.core.sync.remotes import Remote
from rolo.core.sync.results import (
    AdapterInfo,
    Conflict,
    DaemonReport,
    EmulatorInfo,
    RemoteAdded,
    RemoteInfo,
    RemoteRemoved,
    RemoteTestResult,
    Resolution,
    ScheduleReport,
    SyncFailure,
    SyncResult,
)

if TYPE_CHECKING:
    import pluggy
    from rolo.core.book import Book
    from rolo.core.config import Config

__all__ = [
    "TAKES", "AdapterInfo", "Conflict", "DaemonReport", "EmulatorInfo", "Remote", "RemoteAdded", "RemoteInfo",
    "RemoteRemoved", "RemoteTestResult", "Report", "Resolution", "ScheduleReport", "SyncAPI", "SyncFailure",
    "SyncResult", "parse_options",
]

logger = logging.getLogger("rolo.daemon")

#: What `resolve_conflict` can keep: the book's value, the remote's, or both versions as two contacts.
TAKES = ("local", "remote", "both")
#: The conflict policies a sync can settle conflicts by.
POLICIES = merge.POLICIES

ResultCallback = Callable[["Report | SyncFailure"], None]
Progress = Callable[[str, int, int], None]


# -- validation, written once --------------------------------------------------------------------------------
def parse_options(values: Mapping[str, str] | Iterable[str] | None) -> dict[str, str]:
    """Adapter options from a mapping, or from `KEY=VALUE` texts as `rolo remote add --option` takes them."""
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return {str(k): str(v) for k, v in values.items()}
    options = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--option {value!r}: use KEY=VALUE")
        options[key.strip()] = rest.strip()
    return options


def parse_interval(every: str | float) -> float:
    """Seconds between syncs from `15m`, `90s`... (`--every`): at least one second."""
    interval = remotes.parse_duration(every)
    if interval < 1:
        raise UserError("--every must be at least 1s")
    return interval


# -- the API ---------------------------------------------------------------------------------------------------
class SyncAPI:
    """Remotes, sync runs, conflicts and the daemon, for one book and one config.

    Args:
        book: the book to sync.
        config: the loaded config (rolo.toml), where remotes live; `add_remote` and `remove_remote` rewrite
            its file and reload it.
        plugin_manager: whose adapters, hooks and services to use; default: the book's, which is the
            process's (`rolo.core.plugins.get_plugin_manager()`) unless the book was given another.
    """

    def __init__(self, book: Book, config: Config, plugin_manager: pluggy.PluginManager | None = None) -> None:
        self.book = book
        self.config = config
        self._pm = plugin_manager

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The plugin manager in use (see the class docstring)."""
        return self._pm if self._pm is not None else self.book.plugin_manager

    def _reload_config(self) -> None:
        from rolo.core.config import load_config

        self.config = load_config(self.config.path)

    # -- adapters and remotes ----------------------------------------------------------------------------------
    def adapters(self) -> list[AdapterInfo]:
        """The adapters the loaded plugins register, by name."""
        found = remotes.adapter_classes(self.plugin_manager)
        return [AdapterInfo(name, cls.__module__, cls.default_url, dict(cls.options), cls.capabilities.as_dict())
                for name, cls in sorted(found.items())]

    def list_remotes(self) -> list[Remote]:
        """The configured remotes, in the config's order."""
        return list(remotes.remotes(self.config).values())

    def add_remote(self, name: str, adapter: str, *, url: str | None = None,
                   options: Mapping[str, str] | Iterable[str] | None = None, token_env: str | None = None,
                   token: str | Callable[[], str] | None = None, conflict: str = "local",
                   full_every: str | None = None, replace: bool = False,
                   webhook_secret_env: str | None = None) -> RemoteAdded:
        """Add a remote to the config file (its token, if given, to the keyring or the owner-only token file).

        Args:
            name: the remote's name (a letter, then letters, digits, `_` or `-`).
            adapter: the adapter's name (see `adapters()`).
            url: the API's base URL; default: the adapter's `default_url` (required when it has none).
            options: the adapter's options, a mapping or `KEY=VALUE` texts; each must be one it declares.
            token_env: the environment variable holding the token.
            token: the token to store, or a function returning it, called once everything else is valid (the
                CLI reads standard input then); not together with `token_env`.
            conflict: the remote's default conflict policy (local, remote or newest).
            full_every: for incremental remotes, list everything at most this often (`1h`; `0`: every sync);
                None: the adapter's `default_full_every`.
            replace: replace a remote of that name instead of refusing.
            webhook_secret_env: the environment variable holding the remote's webhook signing secret
                (`rolo serve-webhooks`); only for adapters that receive webhooks.

        Returns:
            the remote as written, and where its token comes from (None: no token given).

        Raises:
            UserError: any argument is invalid, or the remote exists (without `replace`).
        """
        remotes.validate_name(name)
        remotes.check_policy(conflict)
        cls = remotes.adapter_class(self.plugin_manager, adapter)
        full_every = cls.default_full_every if full_every is None else full_every
        remotes.parse_duration(full_every)
        values = parse_options(options)
        remotes.check_options(cls, values)
        url = url or cls.default_url
        if not url:
            raise UserError(f"adapter {cls.name} needs --url")
        if token_env and token is not None:
            raise UserError("give --token-env or --token-stdin, not both")
        if webhook_secret_env is not None:
            if not cls.capabilities.webhooks:
                raise UserError(f"adapter {cls.name} receives no webhooks; leave out --webhook-secret-env")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", webhook_secret_env) or webhook_secret_env.startswith(
                    ("whsec_", "rlbwh_", "sk_", "rlb_")):
                # never echo it: it may be the secret itself, pasted in the wrong place
                raise UserError("--webhook-secret-env takes an environment variable's name (e.g. RELM_WHSEC), "
                                "not a secret")
        secret = token() if callable(token) else token
        if secret is not None and not secret.strip():
            raise UserError("the token is empty")
        remote = Remote(name=name, adapter=cls.name, url=url, token_env=token_env, conflict=conflict,
                        full_every=full_every, options=values, webhook_secret_env=webhook_secret_env)
        remotes.add_remote(self.config.path, remote, replace=replace)
        self._reload_config()
        where = f"env {token_env}" if token_env else None
        if secret is not None:
            where = remotes.store_token(name, secret.strip())
        return RemoteAdded(remote, self.config.path, where, cls.token_help)

    def show_remote(self, name: str) -> RemoteInfo:
        """A remote's settings, its adapter's capabilities and options, and its sync state in the book
        (links, pending writes, the last runs, open conflicts). An adapter that is not installed is reported
        in `adapter_error`, not raised."""
        config = remotes.get_remote(self.config, name)
        capabilities = adapter_options = error = None
        try:
            cls = remotes.adapter_class(self.plugin_manager, config.adapter)
            capabilities, adapter_options = cls.capabilities.as_dict(), dict(cls.options)
        except UserError as exc:
            error = str(exc)
        if not self.book.exists():  # a remote added before any contact: nothing synced yet, no book to read
            return RemoteInfo(config, capabilities, adapter_options, error, 0, 0,
                              {"bookmark": None, "remote_count": 0, "last_full_at": None, "last_sync_at": None},
                              0, [])
        sync = self.book.sync_state
        counts = sync.link_counts(name)
        return RemoteInfo(config, capabilities, adapter_options, error, counts["linked"], counts["pending"],
                          sync.remote_state(name), len(sync.conflicts(remote=name)), sync.runs(name, limit=5))

    def test_remote(self, name: str) -> RemoteTestResult:
        """Check that a remote answers and accepts its token: one cheap request, nothing changed.

        Raises:
            UserError: no such remote, or its token variable is not set; AdapterError: the remote refused
                the token or could not be reached.
        """
        config = remotes.get_remote(self.config, name)
        adapter = remotes.open_adapter(config, self.plugin_manager)
        try:
            if adapter.token is None and config.token_env:
                raise UserError(f"no token for remote {name}: ${config.token_env} is not set")
            facts = adapter.check()
        finally:
            adapter.client.close()
        return RemoteTestResult(name, config.adapter, config.url, dict(facts))

    def remove_remote(self, name: str, *, confirm: Callable[[int], object] | None = None) -> RemoteRemoved:
        """Remove a remote: its config tables, its stored token, and its sync state in the book (links,
        conflicts, journal). Contacts stay in the book, records stay in the remote.

        Args:
            confirm: called with the number of linked contacts, when there are any, before anything is
                removed; a false answer keeps everything (`removed` is then False). It may raise to abort.
        """
        remotes.get_remote(self.config, name)
        links = self.book.sync_state.link_counts(name)["links"]
        if links and confirm is not None and not confirm(links):
            return RemoteRemoved(name, links, removed=False)
        remotes.remove_remote(self.config.path, name)
        self._reload_config()
        remotes.forget_token(name)
        with self.book.transaction() as tx:
            tx.sync_state.forget_remote(name)
        return RemoteRemoved(name, links)

    def start_emulator(self, adapter: str, port: int = 0) -> EmulatorInfo:
        """Start an adapter's emulator on 127.0.0.1 (port 0: any free one); `stop()` the result to end it."""
        cls = remotes.adapter_class(self.plugin_manager, adapter)
        if not 0 <= port <= 65535:
            raise UserError(f"port {port} is out of range (0-65535; 0 picks a free one)")
        try:
            server = cls.emulator(port)
        except NotImplementedError:
            raise UserError(f"adapter {adapter} has no emulator") from None
        except OSError as exc:  # the port is taken, or reserved
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                            hint="choose another --port, or 0 for any free one") from None
        # facts an emulator offers beyond its URL and key, that a remote needs (RelayBook's book id)
        extra = {name: getattr(server, name) for name in ("book_id",) if getattr(server, name, None)}
        return EmulatorInfo(adapter, server.url, server.api_key, extra, server)

    # -- sync ----------------------------------------------------------------------------------------------------
    def sync_targets(self, names: Iterable[str] = ()) -> list[str]:
        """The remotes named (each must be configured), or every configured one when none is named."""
        configured = remotes.remotes(self.config)
        if not configured:
            raise UserError("no remotes configured",
                            hint="rolo remote add NAME --adapter relm --url URL --token-env VAR")
        wanted = list(names)
        for name in wanted:
            remotes.get_remote(self.config, name)
        return wanted or list(configured)

    def sync_remote(self, name: str, *, policy: str | None = None, mode: str = "both", dry_run: bool = False,
                    force_delete: bool = False, full: bool | None = None,
                    progress: Progress | None = None, include_private: bool = False,
                    only: Iterable[str] = ()) -> Report:
        """Sync the book with one configured remote, once.

        Args:
            name: the remote.
            policy: who wins a field changed on both sides (local, remote, newest); default: the remote's
                `conflict` setting.
            mode: `both`, `pull` (only into the book) or `push` (only to the remote).
            dry_run: plan only (the report's `plan`); change nothing.
            force_delete: propagate a mass deletion the guard refuses.
            full: True to list the remote completely; None: when the remote's `full_every` says so.
            progress: called as `progress(phase, done, total)` during long phases.
            include_private: send the book's private custom fields too (else they stay in the book).
            only: remote ids: look at these records only, fetched one by one, instead of a listing (a
                webhook's pull; the bookmark stays where it was). One gone remotely is a deletion.

        Returns:
            the run's report (records refused are in `skipped`; `exit_code` 0 or 3).

        Raises:
            UserError, AdapterError: the run failed as a whole (the journal records it).
        """
        check_run(mode, policy)
        remote = remotes.get_remote(self.config, name)
        options = SyncOptions(policy=policy or remote.conflict, mode=mode, dry_run=dry_run,
                              force_delete=force_delete, full=full, progress=progress,
                              include_private=include_private, only=tuple(only))
        if options.only:
            options.full = False
        if options.full is None:
            options.full = self._full_due(remote)
        adapter = remotes.open_adapter(remote, self.plugin_manager)
        try:
            return SyncEngine(self.book, name, adapter, options, self.plugin_manager).run()
        finally:
            adapter.client.close()

    def pull_records(self, name: str, remote_ids: Iterable[str]) -> Report:
        """Pull the named records of one remote into the book now (what a webhook said changed): each is
        fetched, merged as a sync's pull would (conflicts recorded, nothing pushed), a missing one deleted."""
        ids = tuple(dict.fromkeys(remote_ids))
        if not ids:
            raise UserError("no records to pull")
        return self.sync_remote(name, mode="pull", only=ids)

    def _full_due(self, remote: Remote) -> bool | None:
        """Whether a complete listing is due by the remote's `full_every`."""
        every = remotes.parse_duration(remote.full_every)
        if every <= 0:
            return True
        last = self.book.sync_state.remote_state(remote.name)["last_full_at"]
        if not last:
            return True
        age = datetime.now(UTC) - datetime.fromisoformat(last)
        return age.total_seconds() >= every

    def _outcome(self, name: str, raise_errors: bool, **options: Any) -> Report | SyncFailure:
        try:
            return self.sync_remote(name, **options)
        except RoloError as exc:
            if raise_errors:
                raise
            return SyncFailure(name, exc)

    def sync(self, names: Iterable[str] = (), *, policy: str | None = None, mode: str = "both",
             dry_run: bool = False, force_delete: bool = False, full: bool | None = None,
             progress: Progress | None = None, on_result: ResultCallback | None = None,
             raise_errors: bool = False, include_private: bool = False) -> SyncResult:
        """Sync the remotes named (default: every configured one) once each, one after the other.

        Takes `sync_remote`'s options, and:

        Args:
            on_result: called with each remote's `Report` or `SyncFailure` as soon as it is done.
            raise_errors: raise a remote's error instead of recording a `SyncFailure` and going on.

        Returns:
            every remote's outcome; `exit_code` 0, 1 (a remote failed) or 3 (records skipped).
        """
        targets = self.sync_targets(names)
        check_run(mode, policy)
        result = SyncResult()
        for name in targets:
            outcome = self._outcome(name, raise_errors, policy=policy, mode=mode, dry_run=dry_run,
                                    force_delete=force_delete, full=full, progress=progress,
                                    include_private=include_private)
            result.outcomes.append(outcome)
            if on_result is not None:
                on_result(outcome)
        return result

    def sync_every(self, every: str | float, names: Iterable[str] = (), *, stop: threading.Event,
                   on_result: ResultCallback | None = None, raise_errors: bool = False,
                   **options: Any) -> ScheduleReport:
        """Sync the remotes named (default: all) every `every` (`15m`, at least 1s) until `stop` is set; a
        remote that fails waits twice as long each time (up to an hour) while the others keep their pace.

        Takes `sync_remote`'s keyword options; `on_result` hears each run's outcome. Returns the runs made.
        """
        interval = parse_interval(every)
        targets = self.sync_targets(names)
        check_run(options.get("mode", "both"), options.get("policy"))
        periodic = _PeriodicSync(self, targets, interval, options, on_result, raise_errors)
        periodic.run(stop)
        return periodic.report

    # -- conflicts -----------------------------------------------------------------------------------------------
    def conflicts(self, *, remote: str | None = None, include_resolved: bool = False) -> list[Conflict]:
        """The logged conflicts, oldest first (open ones only unless `include_resolved`)."""
        rows = self.book.sync_state.conflicts(remote=remote, include_resolved=include_resolved)
        return [Conflict.from_row(row) for row in rows]

    def resolve_conflict(self, conflict_id: int, take: str) -> Resolution:
        """Settle a logged conflict in the book; the next sync carries the choice to the remote.

        Args:
            conflict_id: the conflict's id (`conflicts()`).
            take: `local` or `remote` (that side's value), or `both`: the remote version becomes a second
                contact linked to the remote record, beside the local one, which is held back from that remote
                until the user merges the two (`rolo merge`). For a conflict of an imported card (remote
                `import`, `rolo.core.import_merge`), `remote` is the card's value and `both` is refused.

        Raises:
            NotFoundError: no such conflict; UserError: already resolved, or `both` for a deletion conflict
            or an imported card's.
        """
        from rolo.core import edit_merge, import_merge
        from rolo.core.book import new_uid

        if take not in TAKES:
            raise UserError(f"--take must be {', '.join(TAKES[:-1])} or {TAKES[-1]}")
        found = self.book.sync_state.conflicts(include_resolved=True, conflict_id=conflict_id)
        if not found:
            raise NotFoundError(f"no conflict with id {conflict_id}")
        conflict = found[0]
        if conflict["resolved_at"]:
            raise UserError(f"conflict {conflict_id} was already resolved ({conflict['resolution']})")
        # no remote: a card of an imported file, or an edit saved over another (rolo.core.edit_merge)
        imported = conflict["remote"] in (import_merge.REMOTE, edit_merge.REMOTE)
        if imported and take == "both":
            what = "an imported card's" if conflict["remote"] == import_merge.REMOTE else "between two edits"
            raise UserError(f"conflict {conflict_id} is {what}: there is no remote record to keep "
                            "beside the contact; take local or remote")
        if imported:
            caps = import_merge.CAPS
        else:
            remote = remotes.get_remote(self.config, conflict["remote"])
            caps = remotes.adapter_class(self.plugin_manager, remote.adapter).capabilities
        name, cid = conflict["field"], conflict["contact_id"]
        with self.book.transaction() as tx:
            record = tx.load(cid)
            deleted = tx.contact_row(record.uid)[2] is not None  # type: ignore[index]
            if take in ("local", "remote"):
                if take == conflict["kept"]:
                    outcome = f"kept the {take} value (nothing to change)"
                elif name == "(deleted)":
                    if take == "local":  # the remote deletion had won: bring the contact back (pushed next sync)
                        tx.save(record)
                        outcome = "restored the contact; the next sync creates it remotely again"
                    else:  # the local edit had won (re-created remotely): delete it after all
                        if not deleted:
                            tx.tombstone(record)
                        outcome = "deleted the contact; the next sync deletes it remotely"
                else:
                    value = conflict["local"] if take == "local" else conflict["remote_value"]
                    if imported:
                        tx.save(import_merge.apply_card(record, {name: value}))
                        outcome = (f"set {name} to the imported card's value" if conflict["remote"] == import_merge.REMOTE
                                   else f"set {name} to the value of {conflict['remote_id']}")
                    else:
                        tx.save(merge.apply_local(record, {name: value}, caps))
                        outcome = f"set {name} to the {take} value; the next sync sends it to {conflict['remote']}"
                tx.sync_state.resolve_conflicts([conflict_id], take)
                return Resolution(conflict_id, take, outcome)
            # both: the remote version becomes a second contact, linked to the remote record
            if name == "(deleted)":
                raise UserError("a deletion conflict has no two versions to keep; take local or remote")
            siblings = [c for c in tx.sync_state.conflicts(remote=conflict["remote"]) if c["contact_id"] == cid
                        and c["field"] != "(deleted)"]
            remote_values = {c["field"]: c["remote_value"] for c in siblings}
            local_values = {c["field"]: c["local"] for c in siblings}
            link = tx.sync_state.link_for_contact(conflict["remote"], cid)
            if link is None or not link.remote_id:
                raise UserError(f"contact {record.uid} is no longer linked to {conflict['remote']}; "
                                "take local or remote")
            twin = merge.apply_local(record, remote_values, caps)
            twin.uid, twin.id, twin.created_at = new_uid(), None, None
            twin.revision = 0
            saved_twin = tx.save(twin).record
            tx.save(merge.apply_local(record, local_values, caps))
            # the remote record now belongs to the twin; local_revision -1 makes the next sync compare the
            # twin with what the remote last had
            tx.sync_state.move_link(link.id, saved_twin.id)  # type: ignore[arg-type]
            # the original is held back from this remote until the user merges the two (many remotes keep
            # emails unique, and the twin has its email); it syncs again once either is gone
            tx.sync_state.mark_pending(conflict["remote"], [(cid, "hold", str(saved_twin.id), None)])
            note = (f"kept from {conflict['remote']} beside {record.uid} (conflict on "
                    f"{', '.join(sorted(remote_values))}); merge them with: rolo merge {record.uid} {saved_twin.uid}")
            tx.add_notes([(saved_twin.id, note, saved_twin.updated_at, None)])  # type: ignore[list-item]
            tx.sync_state.resolve_conflicts([c["id"] for c in siblings], "both")
            return Resolution(conflict_id, "both", f"kept both: {saved_twin.uid} holds the {conflict['remote']} "
                                                   f"version; merge with rolo merge {record.uid} {saved_twin.uid}",
                              uid=record.uid, duplicate_uid=saved_twin.uid)

    # -- the daemon ----------------------------------------------------------------------------------------------
    def services(self) -> list[str]:
        """The names of the services the loaded plugins register (`register_services`), e.g. `watch`."""
        return list(services.service_factories(self.plugin_manager))

    def daemon(self, *, stop: threading.Event, every: str | float = "15m", sync: bool = True,
               skip: Iterable[str] = (), options: Mapping[str, Any] | None = None,
               log: Callable[[str], None] | None = None, on_result: ResultCallback | None = None) -> DaemonReport:
        """Run the plugins' services and the periodic sync of every remote side by side until `stop` is set
        (or every one of them has returned).

        Each service (`register_services`) gets a `ServiceContext` with a book of its own and runs in its own
        thread; the periodic sync (`sync_every` on every configured remote) runs in another, on its own book.

        Args:
            stop: set it to stop (a signal handler may: nothing here waits holding a lock).
            every: how often to sync each remote (at least 1s).
            sync: False: no periodic sync, only the services.
            skip: names of services not to start (`rolo daemon --no-watch` skips `watch`).
            options: the daemon's options for the services (`ServiceContext.options`); `every` is added.
            log: where services and the daemon write their lines (default: the `rolo.daemon` logger).
            on_result: hears each sync run's outcome, from the sync's thread.

        Returns:
            the services that ran, the sync's runs, and the failures.

        Raises:
            UserError: nothing to run, a bad `every`, or a service whose factory refused its options.
        """
        interval = parse_interval(every)
        write = log if log is not None else logger.info
        skipped = set(skip)
        factories = {n: f for n, f in services.service_factories(self.plugin_manager).items() if n not in skipped}
        names = list(remotes.remotes(self.config)) if sync else []
        if not factories and not names:
            raise UserError("nothing to do: no remotes to sync and no service to run",
                            hint="rolo remote add, or leave out --no-watch / --no-sync")
        context_options = {**(options or {}), "every": interval}
        opened: list[Book] = []
        running: dict[str, services.Service] = {}
        periodic: _PeriodicSync | None = None
        try:
            for name, factory in factories.items():
                book = self._own_book()
                opened.append(book)
                made = factory(services.ServiceContext(name, book, self.config, self.plugin_manager,
                                                       context_options, write))
                if made is None:  # the service has nothing to do with these options
                    continue
                if not callable(getattr(made, "run", None)):
                    raise UserError(f"service {name!r}: its factory returned {made!r}, which has no run(stop)")
                running[name] = made
            if names:
                book = self._own_book()
                opened.append(book)
                periodic = _PeriodicSync(SyncAPI(book, self.config, self.plugin_manager), names, interval, {},
                                         on_result, False)
                running["sync"] = periodic
                shown = every if isinstance(every, str) else f"{interval:g}s"
                write(f"syncing {', '.join(names)} every {shown}")
            if not running:
                raise UserError("nothing to do: no remotes to sync and no service to run")
            errors = services.run_services(running, stop, log=write)
        finally:
            for book in opened:
                book.close()
        return DaemonReport([n for n in running if n != "sync"], periodic.report if periodic else None, errors)

    def _own_book(self) -> Book:
        """A book on the same file with connections of its own (for another thread), calling the same hooks."""
        from rolo.core.book import Book

        book = Book(self.book.location, region=self.book.region)
        book.plugin_manager = self.plugin_manager  # type: ignore[misc]
        return book


class _PeriodicSync:
    """The daemon's sync service: each remote every `interval` seconds, with backoff (a `Service`)."""

    def __init__(self, api: SyncAPI, names: list[str], interval: float, options: Mapping[str, Any],
                 on_result: ResultCallback | None, raise_errors: bool) -> None:
        self.api = api
        self.names = names
        self.options = dict(options)
        self.on_result = on_result
        self.raise_errors = raise_errors
        self.report = ScheduleReport(interval, list(names))

    def run(self, stop: threading.Event) -> None:
        """Sync until `stop` is set."""
        services.run_schedule(self.names, self.report.every, self._run_one, stop)

    def _run_one(self, name: str) -> bool:
        outcome = self.api._outcome(name, self.raise_errors, **self.options)
        self.report.runs[name] = self.report.runs.get(name, 0) + 1
        if isinstance(outcome, SyncFailure):
            self.report.failures[name] = self.report.failures.get(name, 0) + 1
        if self.on_result is not None:
            self.on_result(outcome)
        return outcome.exit_code != EXIT_ERROR
