"""A book synced with a MemoryRemote through the real engine: the engine tests' workbench."""

from __future__ import annotations

from typing import Any

import pluggy
from memory_adapter import MemoryAdapter, MemoryPlugin, MemoryRemote
from rolo.core.book import Book
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import ContactRecord, EmailEntry, PhoneEntry
from rolo.core.sync.engine import Report, SyncEngine, SyncOptions
from rolo.core.sync.merge import project


def person(uid: str, name: str, email: str | None = None, **extra: Any) -> ContactRecord:
    """A contact with a name and maybe an email (given/family split on the first space)."""
    given, _, family = name.partition(" ")
    return ContactRecord(
        uid=uid, formatted_name=name, given_name=given, family_name=family or None,
        emails=[EmailEntry(email, "work", True)] if email else [], **extra,
    )


def remote_person(name: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    """A record as a remote user would type it."""
    given, _, family = name.partition(" ")
    data: dict[str, Any] = {"formatted_name": name, "given_name": given, "family_name": family or None,
                            "emails": [{"address": email, "label": None, "primary": True}] if email else []}
    data.update(extra)
    return data


def phone(number: str) -> PhoneEntry:
    return PhoneEntry(number, None, "mobile", True)


class Harness:
    """One book, one MemoryRemote named `mem`, one plugin manager knowing MemoryAdapter."""

    def __init__(self, book: Book, remote: MemoryRemote, pm: pluggy.PluginManager | None = None) -> None:
        self.book = book
        self.remote = remote
        MemoryAdapter.REMOTES[remote.name] = remote
        if pm is None:
            pm = new_plugin_manager()
            pm.register(MemoryPlugin(), name="memory-test")
        self.pm = pm

    def adapter(self) -> MemoryAdapter:
        return MemoryAdapter(None, url=self.remote.url, token=None, remote=self.remote.name)

    def sync(self, **options: Any) -> Report:
        """One run; a complete listing unless `full=False` (as `rolo sync` with the default full_every)."""
        options.setdefault("full", True)
        engine = SyncEngine(self.book, self.remote.name, self.adapter(), SyncOptions(**options), self.pm)
        return engine.run()

    # -- views for assertions ---------------------------------------------------------------------------------
    def local(self) -> dict[str, ContactRecord]:
        """Live local contacts by primary email (or name)."""
        return {_key(r.to_json()): r for r in self.book.contacts()}

    def remote_records(self) -> dict[str, dict[str, Any]]:
        """Remote records by primary email (or name)."""
        return {_key(d): d for d in self.remote.records.values()}

    def assert_in_step(self) -> None:
        """Book and remote hold the same people with the same carried fields, nothing duplicated."""
        caps = self.remote.caps
        local = [project(r.to_json(), caps) for r in self.book.contacts()]
        remote = list(self.remote.records.values())
        assert len(local) == len(remote), (len(local), len(remote))
        keys = [_key(d) for d in local]
        assert len(set(keys)) == len(keys), "duplicates in the book"
        assert len({_key(d) for d in remote}) == len(remote), "duplicates remotely"
        by_key = {_key(d): d for d in remote}
        for data in local:
            other = by_key[_key(data)]
            for field in ("given_name", "family_name", "organization", "title", "notes", "custom_fields"):
                if field in caps.fields:
                    assert (data.get(field) or None) == (other.get(field) or None), (field, data, other)
            if "labels" in caps.fields:
                assert sorted(data["labels"]) == sorted(other["labels"])
            links = self.book.db.execute("SELECT count(*) FROM sync_link WHERE remote = ? AND remote_id IS NOT NULL",
                                         (self.remote.name,)).fetchone()[0]
        assert links == len(remote)


def _key(data: dict[str, Any]) -> str:
    emails = data.get("emails") or []
    if emails:
        return str(emails[0]["address"]).casefold()
    return str(data.get("formatted_name") or data.get("given_name"))
