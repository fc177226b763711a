"""Records whose card is fetched only when the engine reads them, and the cards a remote was seen holding.

Most syncs change few cards, but a complete listing (rolo lists a remote completely on every sync unless the
remote's `full_every` says otherwise), or the first listing after rolo pushed (the stored sync-token was
taken before the push, so it lists every card just written), names every card. The engine reads a card's
data only when its etag is not the one it linked, or the contact changed in the book; fetching all of them
(10,000 cards after a first push) would make a sync with nothing to do as slow as a first one. So cards
this adapter has already seen with the same etag (`SeenCards`, remembered between runs as short digests of
href and etag) are listed as `LazyRecord`s: the version is there at once, and the card is fetched only when
something reads `data`, then together with every other card still pending (one batch of multigets).
Correctness never rests on the digests: a lazy record always yields the server's real card.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from rolo.core.sync.adapter import RemoteRecord

_DIGEST = 16  # hex characters per card in the memo (64 bits: a collision only costs a fetch)


class LazyRecord(RemoteRecord):
    """A RemoteRecord whose `data` is loaded on first read, by `load(record)` (which sets `loaded`)."""

    def __init__(self, id: str, version: str | None, load: Callable[[LazyRecord], None]) -> None:  # noqa: A002
        self.id = id
        self.version = version
        self.updated_at = None
        self.unset = frozenset()
        self.loaded: dict[str, Any] | None = None
        self._load = load

    @property  # type: ignore[override]
    def data(self) -> dict[str, Any]:
        if self.loaded is None:
            self._load(self)
        assert self.loaded is not None, "the loader fills every record it is given"
        return self.loaded

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self.loaded = value

    def __repr__(self) -> str:  # the dataclass's would read (and so fetch) `data`
        return f"LazyRecord(id={self.id!r}, version={self.version!r}, loaded={self.loaded is not None})"


class SeenCards:
    """Digests of (href, etag) of cards seen (read or written)."""

    def __init__(self, packed: str = "") -> None:
        self.digests = {packed[i : i + _DIGEST] for i in range(0, len(packed) - _DIGEST + 1, _DIGEST)}

    @staticmethod
    def digest(href: str, etag: str) -> str:
        return hashlib.sha256(f"{href}\0{etag}".encode()).hexdigest()[:_DIGEST]

    def add(self, href: str, etag: str | None) -> None:
        if etag:
            self.digests.add(self.digest(href, etag))

    def __contains__(self, item: tuple[str, str]) -> bool:
        return self.digest(*item) in self.digests

    def pack(self) -> str:
        """One string for the memo (sorted, so that an unchanged set is an unchanged memo)."""
        return "".join(sorted(self.digests))

    def __or__(self, other: SeenCards) -> SeenCards:
        union = SeenCards()
        union.digests = self.digests | other.digests
        return union
