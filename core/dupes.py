"""Finding likely duplicates: the same email or phone, or very similar names sharing an organization or an
email domain, over the keys `rolo.core.store.reader.duplicate_keys` reads. Exact keys are grouped; names
are compared with rapidfuzz only within small blocks (same organization, same domain), so the work stays
near-linear at 100,000 contacts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rolo.core.emails import FREE_MAIL_DOMAINS

if TYPE_CHECKING:
    from rolo.core.store.reader import DuplicateKeys

NAME_THRESHOLD = 85  # rapidfuzz WRatio, 0-100: 'Jon Smith' ~ 'Jonathan Smith' 86, 'John' ~ 'Jane Smith' 80
MAX_BLOCK = 2000  # a block larger than this (a huge company) is too coarse to say much
# Domains shared by strangers: a shared address there says nothing about two people being one.
PUBLIC_MAIL_DOMAINS = FREE_MAIL_DOMAINS | {"example.com", "example.org", "example.net"}


@dataclass
class DuplicateGroup:
    """Contacts that are probably one person, why, and how sure (0-1)."""

    contacts: list[dict[str, str]]
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"contacts": self.contacts, "reasons": self.reasons, "score": round(self.score, 3)}


class _Groups:
    """Union-find over contact ids, remembering the reasons and best score of each link."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.links: list[tuple[int, int, str, float]] = []

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def link(self, a: int, b: int, reason: str, score: float) -> None:
        self.parent[self.find(a)] = self.find(b)
        self.links.append((a, b, reason, score))


def find_duplicates(keys: DuplicateKeys) -> list[DuplicateGroup]:
    """Every group of likely duplicates among live contacts, most certain first."""
    from rapidfuzz import fuzz, process

    groups = _Groups()
    for key, ids in _shared(keys.emails):
        _link_all(groups, ids, f"same email {key}", 1.0)
    for key, ids in _shared(keys.phones):
        _link_all(groups, ids, f"same phone {key}", 0.95)

    names = {cid: (name or "").casefold() for cid, _, name, _ in keys.contacts}
    blocks: list[tuple[str, list[int]]] = []
    by_org: dict[str, list[int]] = defaultdict(list)
    for cid, _, _, org in sorted(keys.contacts):
        if org is not None:
            by_org[org].append(cid)
    blocks += [(f"organization {org}", ids) for org, ids in by_org.items()]
    by_domain: dict[str, set[int]] = defaultdict(set)
    for key, cid in keys.emails:
        domain = key.rpartition("@")[2]
        if domain and domain not in PUBLIC_MAIL_DOMAINS:
            by_domain[domain].add(cid)
    blocks += [(f"domain {d}", sorted(ids)) for d, ids in by_domain.items()]
    for shared, ids in blocks:
        if not 1 < len(ids) <= MAX_BLOCK:
            continue
        choices = {cid: names[cid] for cid in ids if names[cid]}
        for a in ids:
            if not names[a]:
                continue
            # process.extract loops in C over the block; only pairs above the cutoff come back.
            for _, similarity, b in process.extract(names[a], choices, scorer=fuzz.WRatio, processor=None,
                                                    score_cutoff=NAME_THRESHOLD, limit=None):
                if b > a:
                    groups.link(a, b, f"similar names ({similarity:.0f}) and same {shared}", 0.5 + similarity / 250)
    return _collect(keys, groups)


def _shared(pairs: list[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    members: dict[str, set[int]] = defaultdict(set)
    for key, cid in pairs:
        members[key].add(cid)
    return [(key, sorted(ids)) for key, ids in members.items() if len(ids) > 1]


def _link_all(groups: _Groups, ids: list[int], reason: str, score: float) -> None:
    for other in ids[1:]:
        groups.link(ids[0], other, reason, score)


def _collect(keys: DuplicateKeys, groups: _Groups) -> list[DuplicateGroup]:
    members: dict[int, set[int]] = defaultdict(set)
    reasons: dict[int, list[str]] = defaultdict(list)
    scores: dict[int, float] = defaultdict(float)
    for a, b, reason, score in groups.links:
        root = groups.find(a)
        members[root] |= {a, b}
        if reason not in reasons[root]:
            reasons[root].append(reason)
        scores[root] = max(scores[root], score)
    oldest_first = [(cid, uid, name) for cid, uid, name, _ in keys.contacts]
    result = []
    for root, ids in members.items():
        contacts = [{"uid": uid, "formatted_name": name} for cid, uid, name in oldest_first if cid in ids]
        result.append(DuplicateGroup(contacts, reasons[root], scores[root]))
    result.sort(key=lambda g: (-g.score, g.contacts[0]["formatted_name"].casefold()))
    return result
