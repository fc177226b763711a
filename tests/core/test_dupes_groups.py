"""The shape of `rolo dupes` groups, over generated books (hypothesis): every group holds contacts that all
match each other directly, every direct match is in a group, and no group is part of another."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from rolo.core.dupes import find_duplicates, names_differ
from rolo.core.store.reader import DuplicateKeys

NAMES = ["Alice Martin", "Bob Jones", "Robert Jones", "Ada Byron", "Ada Lovelace", "Chen Wei", "", "A. Martin"]
# example.com is a public domain: only shared addresses link these contacts, no name blocks
EMAILS = [f"{who}@example.com" for who in ("info", "office", "ada", "bob", "chen")]

books = st.lists(st.tuples(st.sampled_from(NAMES), st.sets(st.sampled_from(EMAILS), max_size=3)),
                 min_size=1, max_size=12)


def _keys(book: list[tuple[str, set[str]]]) -> DuplicateKeys:
    return DuplicateKeys(emails=[(e, cid) for cid, (_, emails) in enumerate(book, 1) for e in sorted(emails)],
                         phones=[], contacts=[(cid, f"u{cid}", name, None) for cid, (name, _) in enumerate(book, 1)])


def _direct(book: list[tuple[str, set[str]]], a: int, b: int) -> bool:
    (name_a, emails_a), (name_b, emails_b) = book[a - 1], book[b - 1]
    return bool(emails_a & emails_b) and not names_differ(name_a.casefold(), name_b.casefold())


@settings(max_examples=200, deadline=None)
@given(books)
def test_groups_are_the_maximal_sets_of_direct_matches(book):
    groups = [{int(c["uid"][1:]) for c in g.contacts} for g in find_duplicates(_keys(book))]
    for group in groups:
        assert len(group) >= 2
        assert all(_direct(book, a, b) for a, b in combinations(sorted(group), 2)), group
        assert not any(group < other for other in groups)
    for a, b in combinations(range(1, len(book) + 1), 2):
        if _direct(book, a, b):
            assert any({a, b} <= group for group in groups), (a, b)


def test_names_that_clearly_differ():
    assert names_differ("alice martin", "bob jones")
    assert not names_differ("ada byron", "ada lovelace")  # one first name: a new family name
    assert not names_differ("a. martin", "alice martin")  # an initial
    assert not names_differ("", "bob jones")  # a missing name says nothing
    assert not names_differ("jon smith", "jonathan smith")
    assert not names_differ("tanaka yuki", "田中 由紀")  # two scripts: no telling
    assert names_differ("田中 由紀", "佐藤 健")
    assert names_differ("josé garcía", "ana lópez")


@settings(max_examples=100, deadline=None)
@given(books)
def test_a_tangle_too_large_to_search_is_still_grouped_in_direct_matches(book):
    from rolo.core import dupes

    saved, dupes.MAX_CLIQUE_SEARCH = dupes.MAX_CLIQUE_SEARCH, 2  # every tangle goes the greedy way
    try:
        groups = [{int(c["uid"][1:]) for c in g.contacts} for g in find_duplicates(_keys(book))]
    finally:
        dupes.MAX_CLIQUE_SEARCH = saved
    for group in groups:
        assert all(_direct(book, a, b) for a, b in combinations(sorted(group), 2)), group
    assert sum(len(g) for g in groups) == len(set().union(*groups)) if groups else True  # disjoint
