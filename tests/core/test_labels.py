"""core/labels.py: the one vocabulary of entry labels, its classification, and vCard TYPEs (pure)."""

from __future__ import annotations

import pytest
from rolo.core.labels import (
    CLASSES,
    KINDS,
    OTHER,
    classify,
    label_from_types,
    nearest,
    same_class,
    types_for_label,
    unwrap_apple,
)


@pytest.mark.parametrize(("kind", "label", "expected"), [
    # phones: what the number is beats where it is
    ("phones", "mobile", "mobile"), ("phones", "cell", "mobile"), ("phones", "Cell", "mobile"),
    ("phones", "iPhone", "mobile"), ("phones", "android", "mobile"), ("phones", "Handy", "mobile"),
    ("phones", "Móvil", "mobile"), ("phones", "home mobile", "mobile"), ("phones", "work mobile", "mobile"),
    ("phones", "x-mobile", "mobile"), ("phones", "cell phone", "mobile"),
    ("phones", "_$!<Mobile>!$_", "mobile"), ("phones", "携帯", "mobile"),
    ("phones", "work fax", "fax"), ("phones", "fax", "fax"), ("phones", "_$!<HomeFAX>!$_", "fax"),
    ("phones", "homefax", "fax"), ("phones", "fax x-aunt", "fax"),
    ("phones", "pager", "pager"), ("phones", "work pager", "pager"),
    ("phones", "main", "main"), ("phones", "Company Main", "main"), ("phones", "_$!<Main>!$_", "main"),
    ("phones", "work", "work"), ("phones", "Office", "work"), ("phones", "business", "work"),
    ("phones", "home", "home"), ("phones", "HOME", "home"), ("phones", "_$!<Home>!$_", "home"),
    ("phones", "Google Voice", "other"), ("phones", "GRAND_CENTRAL", "other"), ("phones", "voice", "other"),
    ("phones", "_$!<Other>!$_", "other"), ("phones", "school", "other"), ("phones", "", "other"),
    ("phones", None, "other"),
    # emails and addresses: a place, the first one named
    ("emails", "work", "work"), ("emails", "@work", "work"), ("emails", "home", "home"),
    ("emails", "Private", "home"), ("emails", "personal", "home"), ("emails", "school", "other"),
    ("emails", "internet", "other"), ("emails", None, "other"),
    ("addresses", "home", "home"), ("addresses", "work", "work"), ("addresses", "home work", "home"),
    ("addresses", "holiday", "other"),
    # urls
    ("urls", "homepage", "website"), ("urls", "Home Page", "website"),
    ("urls", "_$!<HomePage>!$_", "website"), ("urls", "website", "website"), ("urls", "BLOG", "blog"),
    ("urls", "PROFILE", "profile"), ("urls", "Twitter", "x"), ("urls", "x", "x"),
    ("urls", "LinkedIn", "linkedin"), ("urls", "github", "github"),
    ("urls", "work", "work"), ("urls", "home", "home"), ("urls", "ftp", "other"), ("urls", None, "other"),
], ids=lambda v: repr(v))
def test_classify(kind: str, label: str | None, expected: str) -> None:
    assert classify(kind, label) == expected
    assert expected in CLASSES[kind]


def test_every_kind_has_other_and_only_list_fields_are_kinds() -> None:
    assert set(CLASSES) == set(KINDS)
    assert all(OTHER in classes for classes in CLASSES.values())
    with pytest.raises(ValueError, match="phones"):
        classify("phone", "mobile")


def test_nearest_falls_back_to_other_then_to_no_label() -> None:
    small = {"mobile", "work", "other"}
    assert nearest("phones", "android", small) == "mobile"
    assert nearest("phones", "home", small) == "other"  # the remote has no home
    assert nearest("phones", "work fax", small) == "other"  # a fax is not a work number one calls
    assert nearest("phones", None, small) == "other"
    assert nearest("phones", "home", {"mobile", "work"}) is None  # no other either: no label


def test_same_class_is_equality_on_the_remotes_labels() -> None:
    small = {"mobile", "work", "other"}
    assert same_class("phones", "android", "mobile", small)
    assert same_class("phones", "home", None, small) and same_class("phones", "home", "fax", small)
    assert not same_class("phones", "home", "work", small)
    assert not same_class("phones", "home", None, CLASSES["phones"])  # a remote with home tells them apart


def test_unwrap_apple() -> None:
    assert unwrap_apple("_$!<Other>!$_") == "other" and unwrap_apple("_$!<HomeFAX>!$_") == "homefax"
    assert unwrap_apple("Google Voice") == "Google Voice" and unwrap_apple("_$!<>!$_") == ""


@pytest.mark.parametrize(("kind", "types", "label"), [
    ("phones", ["CELL"], "mobile"), ("phones", ["CELL", "VOICE", "PREF"], "mobile"),
    ("phones", ["FAX", "WORK"], "work fax"), ("phones", ["CELL", "HOME"], "home mobile"),
    ("phones", ["VOICE", "MSG", "WORK"], "work"), ("phones", ["VOICE"], None),
    ("emails", ["INTERNET", "HOME"], "home"), ("emails", ["INTERNET", "PREF"], None),
    ("addresses", ["WORK", "POSTAL", "PARCEL"], "work"), ("addresses", ["HOME", "WORK"], "home work"),
    ("urls", ["PREF", "HOMEPAGE"], "homepage"), ("phones", ["FAX", "X-AUNT"], "fax x-aunt"),
], ids=lambda v: repr(v))
def test_vcard_types_read_as_a_label(kind: str, types: list[str], label: str | None) -> None:
    assert label_from_types(kind, types) == label


@pytest.mark.parametrize(("kind", "label", "types"), [
    ("phones", "mobile", ["cell"]), ("phones", "work fax", ["work", "fax"]),
    ("phones", "home mobile", ["home", "cell"]),
    ("phones", "fax x-aunt", ["fax", "x-aunt"]), ("phones", "iphone", ["iphone"]),
    ("emails", "home", ["home"]), ("urls", "homepage", ["homepage"]), ("addresses", "work", ["work"]),
    # none of these reads back as itself from a TYPE: an X-ABLabel carries them
    ("phones", "cell", []), ("phones", "voice", []), ("emails", "internet", []), ("phones", "Work", []),
    ("phones", "Google Voice", []), ("emails", "work fax", []), ("phones", None, []), ("phones", "", []),
], ids=lambda v: repr(v))
def test_labels_written_as_vcard_types_read_back_unchanged(kind: str, label: str | None,
                                                           types: list[str]) -> None:
    assert types_for_label(kind, label) == types
    if types:
        assert label_from_types(kind, [t.upper() for t in types]) == label
