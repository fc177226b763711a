"""MemoryAdapter: an in-memory remote implementing the whole Adapter ABC (a fake, not a mock).

The remote's state is a `MemoryRemote`, found by the remote's URL (`memory://NAME`), so every adapter
instance the engine makes for a run sees the same records, as with a real server. The remote has switches
a test flips to make it behave like a real one misbehaving:

- `reject(predicate, code=...)`: refuse writes of records matching a predicate (validation errors);
- `fail_on(op, after=N, error=...)`: raise an error on the N+1-th call of an operation (an outage);
- `crash_on(op, after=N, before=False)`: raise `Crash` (a BaseException: the engine must not catch it) on
  the N+1-th call, after the operation took effect remotely (or before, with `before=True`), as a
  process killed at that moment would leave things;
- `edit(id, **fields)`, `remove(id)`, `add(data)`: a user changing the remote by hand.

Capabilities default to a rich remote (names, emails, phones, organization, labels, custom fields, notes,
deletes, incremental, batch, idempotent creates, lookup); tests make poorer ones with `MemoryRemote(caps=...)`.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rolo.core.errors import AdapterUnavailable, RemoteRejected
from rolo.core.fields import FieldDefinition
from rolo.core.hookspecs import hookimpl
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, RemoteRecord

RICH = Capabilities(
    fields=frozenset({"formatted_name", "given_name", "family_name", "emails", "phones", "organization",
                      "title", "labels", "custom_fields", "notes", "birthday"}),
    deletes=True, incremental=True, batch=True, batch_size=50, idempotent_create=True, lookup=True,
)


class Crash(BaseException):
    """The process 'died' here: nothing after this point of the run happens."""


@dataclass
class MemoryRemote:
    """The remote's records and switches."""

    name: str = "mem"
    caps: Capabilities = RICH
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)  # id -> change sequence number
    deleted_at: dict[str, int] = field(default_factory=dict)
    idempotency: dict[str, tuple[Any, str]] = field(default_factory=dict)
    schema: dict[str, FieldDefinition] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    updated: dict[str, str] = field(default_factory=dict)  # id -> ISO time of last change
    rejections: list[tuple[Callable[[dict[str, Any]], bool], str]] = field(default_factory=list)
    failures: dict[str, tuple[int, BaseException | type[BaseException], bool]] = field(default_factory=dict)
    clock: Callable[[], str] | None = None
    _emails: dict[str, list[str]] = field(default_factory=dict)  # casefolded address -> ids (may be stale)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"memory://{self.name}"

    # -- switches --------------------------------------------------------------------------------------
    def reject(self, predicate: Callable[[dict[str, Any]], bool], code: str = "validation_error") -> None:
        """Refuse creates and updates of records matching the predicate (called with the record's data)."""
        self.rejections.append((predicate, code))

    def fail_on(self, op: str, *, after: int = 0, error: BaseException | None = None, applied: bool = False) -> None:
        """Raise `error` (default AdapterUnavailable) on the call of `op` after `after` successful ones;
        with `applied`, after the remote carried it out (a 500 that was not the whole truth)."""
        self.failures[op] = (after, error or AdapterUnavailable("remote down", adapter="memory"), not applied)

    def crash_on(self, op: str, *, after: int = 0, before: bool = False) -> None:
        """Raise Crash on the call of `op` after `after` successful ones: after the remote applied it,
        or before it did with `before=True`."""
        self.failures[op] = (after, Crash(op), before)

    def clear_faults(self) -> None:
        self.failures.clear()
        self.rejections.clear()

    # -- a user editing the remote by hand --------------------------------------------------------------
    def add(self, data: dict[str, Any]) -> str:
        rid = f"m{next(self._ids)}"
        self._store(rid, _complete(data, self.caps))
        return rid

    def edit(self, rid: str, **changes: Any) -> None:
        data = copy.deepcopy(self.records[rid])
        data.update(changes)
        self._store(rid, data)

    def remove(self, rid: str) -> None:
        self.records.pop(rid)
        self.deleted_at[rid] = next(self._seq)

    def by_email(self, address: str) -> list[str]:
        return [rid for rid in self._emails.get(address.casefold(), ()) if rid in self.records]

    # -- internals -------------------------------------------------------------------------------------
    def _store(self, rid: str, data: dict[str, Any]) -> RemoteRecord:
        self.records[rid] = data
        for entry in data.get("emails") or []:
            owners = self._emails.setdefault(str(entry["address"]).casefold(), [])
            if rid not in owners:
                owners.append(rid)
        self.versions[rid] = self.versions.get(rid, 0) + 1
        self.changed_at[rid] = next(self._seq)
        if self.clock:
            self.updated[rid] = self.clock()
        self.deleted_at.pop(rid, None)
        return self.record(rid)

    def record(self, rid: str) -> RemoteRecord:
        return RemoteRecord(rid, copy.deepcopy(self.records[rid]), str(self.versions[rid]),
                            updated_at=self.updated.get(rid))

    def _gate(self, op: str, effect: Callable[[], Any]) -> Any:
        self.calls.append(op)
        if op in self.failures:
            after, error, before = self.failures[op]
            if after > 0:
                self.failures[op] = (after - 1, error, before)
            else:
                del self.failures[op]
                if before:
                    raise error
                effect()
                raise error
        return effect()

    def _check(self, data: dict[str, Any]) -> None:
        for predicate, code in self.rejections:
            if predicate(data):
                raise RemoteRejected(f"remote refused the record ({code})", status=422, code=code, adapter="memory")


def _complete(data: dict[str, Any], caps: Capabilities) -> dict[str, Any]:
    """The record as the remote stores it: every carried key present, nothing else."""
    empty: dict[str, Any] = {"emails": [], "phones": [], "addresses": [], "urls": [], "labels": [],
                             "custom_fields": {}}
    out = {key: copy.deepcopy(data.get(key, empty.get(key))) for key in caps.fields}
    for key in caps.single:
        out[key] = out[key][:1]
    for phone in out.get("phones") or []:
        phone.pop("e164", None)
    return out


class MemoryAdapter(Adapter):
    """An adapter over a MemoryRemote (see the module docstring)."""

    name = "memory"
    options = {"remote": "name of the MemoryRemote (default: the URL's host)"}
    capabilities = RICH
    REMOTES: ClassVar[dict[str, MemoryRemote]] = {}

    def __init__(self, client: Any, *, url: str, token: str | None, options: Any = None, remote: str = "") -> None:
        super().__init__(client, url=url, token=token, options=options, remote=remote)
        self.state = self.REMOTES[url.removeprefix("memory://").rstrip("/")]
        self.capabilities = self.state.caps  # type: ignore[misc]  (per remote, for tests of poorer remotes)

    def list_changes(self, since: str | None) -> Changes:
        state = self.state

        def listing() -> Changes:
            if since is None or not state.caps.incremental:
                records = [state.record(rid) for rid in sorted(state.records, key=state.changed_at.get)]
                return Changes(records, None, str(max(state.changed_at.values(), default=0)), complete=True)
            mark = int(since)
            records = [state.record(rid) for rid, seq in state.changed_at.items()
                       if seq > mark and rid in state.records]
            deleted = [rid for rid, seq in state.deleted_at.items() if seq > mark]
            top = max([mark, *state.changed_at.values(), *state.deleted_at.values()])
            return Changes(records, deleted, str(top), complete=False)

        return state._gate("list", listing)

    def get(self, remote_id: str) -> RemoteRecord | None:
        return self.state._gate("get", lambda: self.state.record(remote_id)
                                if remote_id in self.state.records else None)

    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        state = self.state

        def effect() -> RemoteRecord:
            body = _complete(data, state.caps)
            if idempotency_key in state.idempotency and state.caps.idempotent_create:
                rid, _ = state.idempotency[idempotency_key]
                if rid in state.records:
                    return state.record(rid)
            state._check(body)
            rid = f"m{next(state._ids)}"
            state.idempotency[idempotency_key] = (rid, repr(body))
            return state._store(rid, body)

        return state._gate("create", effect)

    def create_many(self, items: list[tuple[dict[str, Any], str]]) -> list[RemoteRecord | RemoteRejected]:
        state = self.state
        if not state.caps.batch:
            raise NotImplementedError
        assert len(items) <= state.caps.batch_size

        def effect() -> list[RemoteRecord | RemoteRejected]:
            out: list[RemoteRecord | RemoteRejected] = []
            for data, _key in items:
                body = _complete(data, state.caps)
                try:
                    state._check(body)
                except RemoteRejected as exc:
                    out.append(exc)
                    continue
                emails = [e["address"] for e in body.get("emails") or []]
                existing = state.by_email(emails[0]) if emails else []  # dedup_on email, as Relm's batch
                rid = existing[0] if existing else f"m{next(state._ids)}"
                out.append(state._store(rid, body))
            return out

        return state._gate("create_many", effect)

    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        state = self.state

        def effect() -> RemoteRecord:
            if remote_id not in state.records:
                raise RemoteRejected("no such record", status=404, code="not_found", adapter="memory")
            merged = {k: (data[k] if k in changed else state.records[remote_id].get(k)) for k in state.caps.fields}
            merged = _complete(merged, state.caps)
            state._check(merged)
            return state._store(remote_id, merged)

        return state._gate("update", effect)

    def delete(self, remote_id: str) -> None:
        state = self.state

        def effect() -> None:
            if remote_id in state.records:
                state.remove(remote_id)

        state._gate("delete", effect)

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """By email, else by the exact name (as a remote's search would)."""
        emails = [e["address"] for e in data.get("emails") or []]
        if emails:
            found = self.state.by_email(emails[0])
        else:
            name = (data.get("given_name"), data.get("family_name"))
            found = [rid for rid, d in self.state.records.items() if (d.get("given_name"), d.get("family_name")) == name]
        return self.state._gate("find", lambda: self.state.record(found[0]) if found else None)

    def prepare(self, fields: list[FieldDefinition]) -> None:
        for definition in fields:
            self.state.schema.setdefault(definition.name, definition)

    def remote_fields(self) -> list[FieldDefinition]:
        return list(self.state.schema.values())

    def check(self) -> dict[str, Any]:
        return {"records": len(self.state.records)}


class MemoryPlugin:
    """A plugin object registering MemoryAdapter (tests register it on their plugin manager)."""

    @hookimpl
    def register_adapters(self, register: Callable[[type[Adapter]], None]) -> None:
        register(MemoryAdapter)
