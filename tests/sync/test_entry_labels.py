"""Entry labels a remote declares (`Capabilities.entry_labels`) in the three-way merge (pure): the book's
label and the remote's coarser one for it are equal, and a pull never replaces the finer one."""

from __future__ import annotations

from typing import Any

import pytest
from rolo.core.record import ContactRecord, EmailEntry, PhoneEntry, UrlEntry
from rolo.core.sync.adapter import Capabilities
from rolo.core.sync.merge import apply_local, new_record, project, same, three_way

#: a remote like relatecrm or RelayBook: phones mobile/work/other, emails work/home/other; urls without labels
CAPS = Capabilities(
    fields=frozenset({"given_name", "emails", "phones", "urls"}),
    entry_labels={"phones": {"mobile", "work", "other"}, "emails": {"work", "home", "other"}},
)
#: the same remote holding one phone (as Relm does)
SINGLE = Capabilities(fields=frozenset({"given_name", "phones"}), single=frozenset({"phones"}),
                      entry_labels={"phones": {"mobile", "work", "other"}})


def phone(number: str, label: str | None, primary: bool = False) -> dict[str, Any]:
    return {"number": number, "label": label, "primary": primary}


def ada(*phones: PhoneEntry) -> ContactRecord:
    return ContactRecord(uid="u1", given_name="Ada", emails=[EmailEntry("ada@example.com", "Private", True)],
                         phones=list(phones), urls=[UrlEntry("https://ada.example", "homepage")])


def as_remote(record: ContactRecord, caps: Capabilities = CAPS) -> dict[str, Any]:
    """The contact as such a remote stores and reports it: labels as the remote's class, `other` as None."""
    data = project(record.to_json(), caps)
    for kind in caps.entry_labels:
        data[kind] = [{**e, "label": None if (c := caps.remote_label(kind, e["label"])) == "other" else c}
                      for e in data[kind]]
    return data


@pytest.mark.parametrize(("mine", "theirs", "equal"), [
    ("android", "mobile", True), ("iPhone", "mobile", True), ("home mobile", "mobile", True),
    ("home", None, True), ("home", "other", True), ("work fax", None, True), (None, "other", True),
    ("Office", "work", True), ("home", "work", False), ("android", None, False), ("work", None, False),
], ids=lambda v: repr(v))
def test_declared_phone_labels_compare_by_the_remotes_label(mine: str | None, theirs: str | None,
                                                            equal: bool) -> None:
    assert same("phones", [phone("+1 555 0100", mine)], [phone("+1 555-0100", theirs)], CAPS) is equal


def test_undeclared_labels_compare_as_before() -> None:
    urls = [{"label": "homepage", "url": "https://ada.example"}]
    assert not same("urls", urls, [{**urls[0], "label": "website"}], CAPS)
    assert same("urls", urls, [{**urls[0], "label": None}], CAPS)  # None: a label the remote cannot carry
    assert not same("phones", [phone("1", "android")], [phone("1", "mobile")])  # no capabilities: as written


def test_a_first_match_with_coarser_labels_is_no_change_and_no_conflict() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "android", True), PhoneEntry("+1 555 0101", None, "home"))
    merge = three_way(project(mine.to_json(), CAPS), as_remote(mine), None, None, CAPS)
    assert merge.empty and not merge.conflicts


def test_a_pull_keeps_the_books_finer_labels() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "android", True), PhoneEntry("+1 555 0101", None, "home"),
               PhoneEntry("+1 555 0102", None, "work fax"))
    local, remote = project(mine.to_json(), CAPS), as_remote(mine)
    assert [p["label"] for p in remote["phones"]] == ["mobile", None, None]
    # the remote's user adds a number: the whole list is pulled
    changed = {**remote, "phones": [*remote["phones"], phone("+1 555 0103", "work")]}
    merge = three_way(local, changed, local, remote, CAPS)
    assert set(merge.to_local) == {"phones"} and not merge.to_remote and not merge.conflicts
    pulled = apply_local(mine, merge.to_local, CAPS)
    assert [(p.number, p.label) for p in pulled.phones] == [
        ("+1 555 0100", "android"), ("+1 555 0101", "home"), ("+1 555 0102", "work fax"),
        ("+1 555 0103", "work")]
    assert pulled.emails[0].label == "Private"  # emails did not change: untouched
    # in step afterwards: the book's labels and the remote's compare equal
    assert same("phones", project(pulled.to_json(), CAPS)["phones"], changed["phones"], CAPS)


def test_a_number_replaced_remotely_keeps_the_label_its_class_still_stands_for() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "home", True))
    remote = as_remote(mine)
    changed = {**remote, "phones": [phone("+1 555 0199", None, True)]}  # new number, still "other"
    merge = three_way(project(mine.to_json(), CAPS), changed, project(mine.to_json(), CAPS), remote, CAPS)
    assert [(p.number, p.label) for p in apply_local(mine, merge.to_local, CAPS).phones] == [
        ("+1 555 0199", "home")]


def test_a_label_changed_remotely_to_another_class_is_taken() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "home", True), PhoneEntry("+1 555 0101", None, "work"))
    local, remote = project(mine.to_json(), CAPS), as_remote(mine)
    relabelled = {**remote, "phones": [phone("+1 555 0100", "mobile", True), phone("+1 555 0101", None)]}
    merge = three_way(local, relabelled, local, remote, CAPS)
    pulled = apply_local(mine, merge.to_local, CAPS)
    # mobile is the remote user's choice; work made `other` there is no label (not the book's work, kept)
    assert [p.label for p in pulled.phones] == ["mobile", None]


def test_equivalent_labels_set_on_both_sides_are_no_conflict() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, None, True))
    local_base, remote_base = project(mine.to_json(), CAPS), as_remote(mine)
    local = {**local_base, "phones": [phone("+1 555 0100", "iPhone", True)]}
    remote = {**remote_base, "phones": [phone("+1 555 0100", "mobile", True)]}
    merge = three_way(local, remote, local_base, remote_base, CAPS, "remote")
    assert merge.empty and not merge.conflicts


def test_a_local_relabel_the_remote_cannot_tell_apart_sends_nothing() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "mobile", True))
    base, remote = project(mine.to_json(), CAPS), as_remote(mine)
    local = {**base, "phones": [phone("+1 555 0100", "android", True)]}
    assert three_way(local, remote, base, remote, CAPS).empty
    local = {**base, "phones": [phone("+1 555 0100", "work", True)]}  # another class: sent
    assert three_way(local, remote, base, remote, CAPS).to_remote == {"phones": local["phones"]}


def test_a_single_entry_pull_keeps_the_books_label_too() -> None:
    mine = ada(PhoneEntry("+1 555 0100", None, "iPhone", True), PhoneEntry("+1 555 0101", None, "home"))
    remote = as_remote(mine, SINGLE)
    assert remote["phones"] == [phone("+1 555 0100", "mobile", True)]
    pulled = apply_local(mine, {"phones": [phone("+1 555 0199", "mobile", True)]}, SINGLE)
    assert [(p.number, p.label) for p in pulled.phones] == [
        ("+1 555 0199", "iPhone"), ("+1 555 0101", "home")]
    pulled = apply_local(mine, {"phones": [phone("+1 555 0100", "work", True)]}, SINGLE)
    assert [p.label for p in pulled.phones] == ["work", "home"]


def test_a_new_contact_from_the_remote_takes_its_labels() -> None:
    phones = [phone("+1 555 0100", "mobile", True), phone("+1 555 0101", None)]
    record = new_record("u9", {"given_name": "Bo", "emails": [], "urls": [], "phones": phones}, CAPS)
    assert [p.label for p in record.phones] == ["mobile", None]


def test_capabilities_declare_entry_labels() -> None:
    assert CAPS.entry_labels["phones"] == frozenset({"mobile", "work", "other"})
    assert CAPS.remote_label("phones", "android") == "mobile"
    assert CAPS.remote_label("emails", "Private") == "home"
    assert CAPS.as_dict()["entry_labels"] == {"emails": ["home", "other", "work"],
                                              "phones": ["mobile", "other", "work"]}
    assert Capabilities(fields=frozenset({"emails"})).as_dict()["entry_labels"] == {}
    hash(CAPS)  # still usable as a dict key or in a set
    with pytest.raises(ValueError, match="not a list field"):
        Capabilities(fields=frozenset({"emails"}), entry_labels={"phones": {"mobile"}})
    with pytest.raises(ValueError, match="subset"):
        Capabilities(fields=frozenset({"phones"}), entry_labels={"phones": {"cell", "other"}})
    with pytest.raises(ValueError, match="not a string"):
        Capabilities(fields=frozenset({"phones"}),
                     entry_labels={"phones": "mobile"})  # type: ignore[dict-item]
