"""What the sync API's methods return (`rolo.core.sync.api`): one dataclass per kind of answer, each with
`as_dict()` (what the command prints with `--json`) and `to_json()`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rolo.core.errors import RoloError
from rolo.core.sync.engine import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, Report
from rolo.core.sync.remotes import Remote

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from rolo.core.sync.adapter import Emulator

__all__ = [
    "AdapterInfo", "Conflict", "DaemonReport", "EmulatorInfo", "Remote", "RemoteAdded", "RemoteInfo",
    "RemoteRemoved", "RemoteTestResult", "Report", "Resolution", "ScheduleReport", "SyncFailure", "SyncResult",
]


class _JSON:
    """`to_json()` for the result dataclasses: their `as_dict()` as a JSON text."""

    def as_dict(self) -> Any:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_json(self, *, indent: int | None = None) -> str:
        """The result as `--json` prints it."""
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=indent)


def _error_line(exc: RoloError) -> str:
    """One line for an error, with its hint."""
    return f"{exc}" + (f" (hint: {exc.hint})" if exc.hint else "")


@dataclass
class AdapterInfo(_JSON):
    """An adapter the loaded plugins provide (`rolo remote adapters`)."""

    name: str
    module: str
    default_url: str | None
    options: dict[str, str]
    capabilities: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "default_url": self.default_url,
                "options": dict(self.options), "capabilities": self.capabilities}


@dataclass
class RemoteAdded(_JSON):
    """A remote written to the config (`rolo remote add`)."""

    remote: Remote
    config_path: Path
    token: str | None
    """Where the token comes from ("env VAR", "keyring", "file PATH"), or None when none was given."""
    token_help: str = ""
    """The adapter's words on where to get a token (for a remote added without one)."""

    def as_dict(self) -> dict[str, Any]:
        return {"remote": self.remote.as_dict(), "config": str(self.config_path), "token": self.token}


@dataclass
class RemoteRemoved(_JSON):
    """A remote removed (`rolo remote rm`): its config, token and sync state; or kept when not confirmed."""

    name: str
    links: int
    """How many contacts were linked to the remote (their links are forgotten; the contacts stay)."""
    removed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "links": self.links, "removed": self.removed}


@dataclass
class RemoteInfo(_JSON):
    """A remote's settings, what its adapter carries, and its sync state in the book (`rolo remote show`)."""

    remote: Remote
    capabilities: dict[str, Any] | None
    adapter_options: dict[str, str] | None
    adapter_error: str | None
    linked: int
    pending: int
    state: dict[str, Any]
    open_conflicts: int
    runs: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        data = self.remote.as_dict()
        data["capabilities"] = self.capabilities
        if self.adapter_error is None:
            data["adapter_options"] = dict(self.adapter_options or {})
        else:
            data["adapter_error"] = self.adapter_error
        data.update(linked=self.linked, pending=self.pending, state=self.state, open_conflicts=self.open_conflicts,
                    runs=self.runs)
        return data


@dataclass
class RemoteTestResult(_JSON):
    """A remote answered and accepted its token (`rolo remote test`); `facts` are what its adapter reported."""

    remote: str
    adapter: str
    url: str
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "ok": True, **self.facts}


@dataclass
class SyncFailure(_JSON):
    """A remote whose sync failed as a whole (nothing more was synced for it)."""

    remote: str
    error: RoloError

    @property
    def message(self) -> str:
        """The error in one line, with its hint."""
        return _error_line(self.error)

    status = "failed"
    exit_code = EXIT_ERROR

    def as_dict(self) -> dict[str, Any]:
        return {"remote": self.remote, "status": "failed", "error": self.message}


@dataclass
class SyncResult(_JSON):
    """What syncing one or several remotes did: a `Report` per remote synced, a `SyncFailure` per remote that
    failed, in the order they ran."""

    outcomes: list[Report | SyncFailure] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 everything synced, 1 a remote failed, else 3 when some records were skipped."""
        codes = {o.exit_code for o in self.outcomes}
        return EXIT_ERROR if EXIT_ERROR in codes else EXIT_SKIPPED if EXIT_SKIPPED in codes else EXIT_OK

    def as_dict(self) -> dict[str, Any] | list[dict[str, Any]]:
        """What `rolo sync --json` prints: the one remote's report, or a list of them when several ran."""
        items = [o.as_dict() for o in self.outcomes]
        return items[0] if len(items) == 1 else items


@dataclass
class ScheduleReport(_JSON):
    """What a periodic sync did until it was stopped (`rolo sync --every`, the daemon's sync)."""

    every: float
    remotes: list[str]
    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    """Runs that failed as a whole, by remote."""

    def as_dict(self) -> dict[str, Any]:
        return {"every": self.every, "remotes": list(self.remotes), "runs": dict(self.runs),
                "failures": dict(self.failures)}


@dataclass
class DaemonReport(_JSON):
    """What `rolo daemon` ran until it was stopped."""

    services: list[str]
    """The plugin services it ran (e.g. `watch`)."""
    sync: ScheduleReport | None
    """The periodic sync, when there were remotes to sync."""
    errors: dict[str, str] = field(default_factory=dict)
    """The services (or `sync`) that failed, with their error."""

    @property
    def exit_code(self) -> int:
        """0, or 1 when a service failed."""
        return EXIT_ERROR if self.errors else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        return {"services": list(self.services), "sync": self.sync.as_dict() if self.sync else None,
                "errors": dict(self.errors)}


@dataclass
class Conflict(_JSON):
    """A conflict sync settled and logged: a field changed on both sides, the value kept and the one that lost."""

    id: int
    remote: str
    contact_id: int
    uid: str
    name: str | None
    remote_id: str | None
    field: str
    local: Any
    remote_value: Any
    kept: str
    policy: str | None
    created_at: str
    resolved_at: str | None
    resolution: str | None

    KEYS = ("id", "remote", "contact_id", "uid", "name", "remote_id", "field", "local", "remote_value", "kept",
            "policy", "created_at", "resolved_at", "resolution")

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Conflict:
        """From a row of `rolo.core.store.sync_state.conflicts`."""
        return cls(**{key: row.get(key) for key in cls.KEYS})

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.KEYS}


@dataclass
class Resolution(_JSON):
    """How a conflict was settled (`rolo conflicts resolve`); with `both`, the uid of the second contact."""

    id: int
    take: str
    outcome: str
    uid: str | None = None
    duplicate_uid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "take": self.take}
        if self.duplicate_uid is not None:
            out.update(uid=self.uid, duplicate_uid=self.duplicate_uid)
        out["outcome"] = self.outcome
        return out


@dataclass
class EmulatorInfo(_JSON):
    """A running emulator (`rolo emulate`): its URL, a key it accepts, and facts a remote needs; `stop()` it."""

    adapter: str
    url: str
    api_key: str
    extra: dict[str, Any]
    server: Emulator

    def stop(self) -> None:
        """Stop the emulator (its data is gone)."""
        self.server.stop()

    def as_dict(self) -> dict[str, Any]:
        return {"adapter": self.adapter, "url": self.url, "api_key": self.api_key, **self.extra}
