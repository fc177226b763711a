"""Finding likely duplicates: the same email or phone, or very similar names sharing an organization or an
email domain, over the keys `rolo.core.store.reader.duplicate_keys` reads. Names are compared with rapidfuzz
only within small blocks (same organization, same email domain, one shared email address or number), so the
work stays near-linear at 100,000 contacts.

Two contacts match directly (a pair) or not at all, and a group holds contacts that all match each other:
groups are the maximal cliques of the pairs, never chains (A and B sharing an office address, B and C
similar names, do not put A with C). A shared address or number alone is no match when the names clearly
differ (info@company on the cards of everyone there; one office number)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rolo.core.emails import FREE_MAIL_DOMAINS

if TYPE_CHECKING:
    from rolo.core.store.reader import DuplicateKeys

NAME_THRESHOLD = 85  # rapidfuzz WRatio, 0-100: 'Jon Smith' ~ 'Jonathan Smith' 86, 'John' ~ 'Jane Smith' 80
MAX_BLOCK = 2000  # a block larger than this (a huge company) is too coarse to say much
# Names this far apart (WRatio) with different first names "clearly differ": 'Alice Smith' ~ 'Bob Jones' 20;
# 'Ada Byron' ~ 'Ada Lovelace' 48 (a new family name) keep their match by their first name.
DIFFERENT_NAMES = 60
MAX_SHARED = 100  # an address on more cards than this links only similar names (compared in C, not pairwise)
# Larger tangles of pairs are grouped greedily, strongest pairs first: every pair in a group still matches,
# but a pair split between two groups is not shown (merging one group and running dupes again shows it).
MAX_CLIQUE_SEARCH = 150
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


Pair = tuple[int, int]


def find_duplicates(keys: DuplicateKeys) -> list[DuplicateGroup]:
    """Every group of likely duplicates among live contacts, most certain first."""
    from rapidfuzz import fuzz, process

    names = {cid: comparable_name(name) for cid, _, name, _ in keys.contacts}
    pairs: dict[Pair, dict[str, float]] = defaultdict(dict)

    def link(a: int, b: int, reason: str, score: float) -> None:
        found = pairs[(min(a, b), max(a, b))]
        found[reason] = max(found.get(reason, 0.0), score)

    for what, shared_keys, score in (("email", keys.emails, 1.0), ("phone", keys.phones, 0.95)):
        for key, ids in _shared(shared_keys):
            for a, b in _compatible(ids, names):
                link(a, b, f"same {what} {key}", score)

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
        for a, b, similarity in _similar(ids, names, process, fuzz):
            link(a, b, f"similar names ({similarity:.0f}) and same {shared}", 0.5 + similarity / 250)
    return _collect(keys, pairs)


def _shared(pairs: list[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    members: dict[str, set[int]] = defaultdict(set)
    for key, cid in pairs:
        members[key].add(cid)
    return [(key, sorted(ids)) for key, ids in members.items() if len(ids) > 1]


def _similar(ids: list[int], names: dict[int, str], process: Any, fuzz: Any) -> list[tuple[int, int, float]]:
    """Pairs (a < b) of these contacts whose names are very similar, with the similarity."""
    choices = {cid: names[cid] for cid in ids if names[cid]}
    found = []
    for a in ids:
        if not names[a]:
            continue
        # process.extract loops in C over the block; only pairs above the cutoff come back.
        for _, similarity, b in process.extract(names[a], choices, scorer=fuzz.WRatio, processor=None,
                                                score_cutoff=NAME_THRESHOLD, limit=None):
            if b > a:
                found.append((a, b, similarity))
    return found


def _compatible(ids: list[int], names: dict[int, str]) -> list[Pair]:
    """The pairs of contacts sharing an address or number that may be one person: not when their names
    clearly differ. On a very widely shared key, only very similar names."""
    from rapidfuzz import fuzz, process

    if len(ids) > MAX_SHARED:
        return [(a, b) for a, b, _ in _similar(ids, names, process, fuzz)]
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if not names_differ(names[a], names[b])]


def comparable_name(name: str | None) -> str:
    """A contact's name as the comparisons here see it: casefolded, spaces collapsed; "" for a card with no
    name, which is shown by its email address (that says nothing of who it is)."""
    return "" if "@" in (name or "") else " ".join((name or "").casefold().split())


def another_person(name: str | None, other: str | None) -> bool:
    """Whether two contacts' names say they are two people (`names_differ`), so that a shared email or phone
    (an office's) does not make them duplicates."""
    return names_differ(comparable_name(name), comparable_name(other))


def names_differ(a: str, b: str) -> bool:
    """Whether two (casefolded) names are clearly two people: both given, far apart, and with different
    first names (not one the initial of the other). A missing name says nothing."""
    from rapidfuzz import fuzz

    if not a or not b or _latin(a) != _latin(b):  # 'Tanaka Yuki' and '田中 由紀' cannot be compared
        return False
    if fuzz.WRatio(a, b, processor=None) >= DIFFERENT_NAMES:
        return False
    first_a, first_b = a.split()[0].strip(".,"), b.split()[0].strip(".,")
    if first_a == first_b or (len(first_a) == 1 and first_b.startswith(first_a)) or (
            len(first_b) == 1 and first_a.startswith(first_b)):
        return False
    return True


def _latin(name: str) -> bool:
    """Whether every letter of the name is a Latin one (accented or not)."""
    import unicodedata

    return all(unicodedata.name(c, "").startswith("LATIN") for c in name if c.isalpha())


def _collect(keys: DuplicateKeys, pairs: dict[Pair, dict[str, float]]) -> list[DuplicateGroup]:
    """The groups: cliques of the pairs (every member matches every other), each with the reasons of its
    pairs and the score of its least certain pair."""
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    order = {cid: (position, uid, name) for position, (cid, uid, name, _) in enumerate(keys.contacts)}
    result = []
    for component in _components(neighbours):
        for clique in _cliques(component, neighbours, pairs):
            members = sorted(clique, key=lambda cid: order[cid][0])  # oldest first
            links = [pairs[(min(a, b), max(a, b))] for i, a in enumerate(members) for b in members[i + 1:]]
            reasons = sorted({r: s for link in links for r, s in link.items()}.items(), key=lambda rs: -rs[1])
            result.append(DuplicateGroup(
                [{"uid": order[cid][1], "formatted_name": order[cid][2]} for cid in members],
                list(dict.fromkeys(r for r, _ in reasons)), min(max(link.values()) for link in links)))
    result.sort(key=lambda g: (-g.score, (g.contacts[0]["formatted_name"] or "").casefold()))
    return result


def _components(neighbours: dict[int, set[int]]) -> list[set[int]]:
    seen: set[int] = set()
    found = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        component, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in component:
                component.add(node)
                todo.extend(neighbours[node] - component)
        seen |= component
        found.append(component)
    return found


def _cliques(component: set[int], neighbours: dict[int, set[int]],
             pairs: dict[Pair, dict[str, float]]) -> list[set[int]]:
    """The maximal cliques of one component (Bron-Kerbosch with a pivot, iterative: a component is a few
    contacts, networkx.find_cliques would be a large dependency for these lines); a component too tangled
    for that is grouped greedily, strongest pairs first, each group still a clique."""
    if len(component) == 2 or all(neighbours[n] >= component - {n} for n in component):
        return [component]  # the common cases: a pair, or all one person
    if len(component) > MAX_CLIQUE_SEARCH:
        return _greedy(component, neighbours, pairs)
    found = []
    stack = [(set(), set(component), set())]
    while stack:
        clique, candidates, excluded = stack.pop()
        if not candidates and not excluded:
            found.append(clique)
            continue
        pivot = max(candidates | excluded, key=lambda n: len(neighbours[n] & candidates))
        for node in sorted(candidates - neighbours[pivot]):
            stack.append((clique | {node}, candidates & neighbours[node], excluded & neighbours[node]))
            candidates = candidates - {node}
            excluded = excluded | {node}
    return found


def _greedy(component: set[int], neighbours: dict[int, set[int]],
            pairs: dict[Pair, dict[str, float]]) -> list[set[int]]:
    group_of = {n: {n} for n in component}
    for a, b in sorted((p for p in pairs if p[0] in component), key=lambda p: (-max(pairs[p].values()), p)):
        ga, gb = group_of[a], group_of[b]
        if ga is not gb and all(y in neighbours[x] for x in ga for y in gb):
            ga |= gb
            for n in gb:
                group_of[n] = ga
    return [g for g in {id(g): g for g in group_of.values()}.values() if len(g) > 1]
