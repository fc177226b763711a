"""Interactions (`rolo log`) and keeping in touch (`rolo keep`, `rolo due`): issue 13."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest


def _days_ago(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


@pytest.fixture
def people(rolo):
    """Three contacts: Ada and Grace in the family, Alan not."""
    return {
        "ada": rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "family").stdout.strip(),
        "alan": rolo("add", "--name", "Alan Turing", "--email", "alan@example.com").stdout.strip(),
        "grace": rolo("add", "--name", "Grace Hopper", "--email", "grace@example.com", "--label",
                      "Family").stdout.strip(),
    }


@pytest.mark.parametrize("kind", ["call", "meeting", "email", "message", "other"])
def test_each_kind_of_interaction_is_logged_and_sets_last_contacted(rolo, people, kind):
    entry = rolo.json("log", "ada@example.com", "--via", kind, "--at", _days_ago(3), "Talked", "about", "Paris")
    assert (entry["kind"], entry["text"], entry["uid"]) == (kind, "Talked about Paris", people["ada"])
    assert entry["at"] == f"{_days_ago(3)}T12:00:00Z"  # a date alone: midday UTC, so no zone moves the day
    shown = rolo.json("show", "ada@example.com")
    assert shown["last_contacted"] == entry["at"]
    assert [(e["kind"], e["text"]) for e in shown["log"]] == [(kind, "Talked about Paris")]
    assert f"Last contacted  {_days_ago(3)}, 3 days ago ({kind})" in rolo("show", "ada@example.com").stdout


def test_a_plain_note_is_no_interaction_and_the_latest_interaction_wins(rolo, people):
    rolo("note", "add", "ada@example.com", "Likes tea")
    assert rolo.json("show", "ada@example.com")["last_contacted"] is None
    rolo("log", "ada@example.com", "--via", "call", "--at", _days_ago(10), "Called")
    rolo("log", "ada@example.com", "--via", "email", "--at", "yesterday", "Wrote")
    rolo("log", "ada@example.com", "--via", "meeting", "--at", _days_ago(30), "Met")  # logged late, older
    last = rolo.json("show", "ada@example.com")["last_contacted"]
    assert last == f"{_days_ago(1)}T12:00:00Z"
    listed = {c["uid"]: c["last_contacted"] for c in rolo.json("list")}
    assert listed == {people["ada"]: last, people["alan"]: None, people["grace"]: None}
    assert {c["uid"]: c["last_contacted"] for c in rolo.json("search", "ada")} == {people["ada"]: last}


def test_list_sort_contacted_puts_the_longest_out_of_touch_first(rolo, people):
    rolo("log", "ada@example.com", "--via", "call", "--at", _days_ago(5), "Called")
    rolo("log", "alan@example.com", "--via", "call", "--at", _days_ago(50), "Called")
    expected = ["Grace Hopper", "Alan Turing", "Ada Lovelace"]  # never, 50 days, 5 days
    assert [c["formatted_name"] for c in rolo.json("list", "--sort", "contacted")] == expected
    # the compact path a pipe gets is built by SQLite itself: same order, same key
    piped = rolo("list", "--sort", "contacted", "--json").stdout
    assert piped.index("Grace Hopper") < piped.index("Alan Turing") < piped.index("Ada Lovelace")


@pytest.mark.parametrize(("args", "error"), [
    (["--via", "fax", "hi"], "Invalid value for '--via'"),
    (["--at", "next week", "hi"], "--at 'next week' is not a date"),
    (["--at", (date.today() + timedelta(days=3)).isoformat(), "hi"], "is in the future"),
    (["   "], "the interaction's text is empty"),
], ids=["unknown-kind", "not-a-date", "future", "empty-text"])
def test_bad_input_is_one_clear_line_and_nothing_is_logged(rolo, people, args, error):
    result = rolo("log", "ada@example.com", *args, ok=False)
    assert result.exit_code in (1, 2) and error in result.stderr
    assert rolo.json("show", "ada@example.com")["log"] == []


def test_undo_takes_an_interaction_back(rolo, people):
    rolo("log", "ada@example.com", "--via", "call", "Called")
    assert rolo.json("show", "ada@example.com")["last_contacted"] is not None
    rolo("undo")
    shown = rolo.json("show", "ada@example.com")
    assert shown["log"] == [] and shown["last_contacted"] is None


def test_a_contacts_own_cadence_wins_over_its_labels_and_the_shortest_label_applies(rolo, people):
    rolo("label", "add", "alan@example.com", "colleagues")
    rolo("label", "add", "ada@example.com", "colleagues")
    assert "every 2 weeks" in rolo("keep", "--label", "family", "--every", "2w").stdout
    rolo("keep", "--label", "colleagues", "--every", "90d")
    rolo("keep", "grace@example.com", "--every", "1y")
    rolo("log", "ada@example.com", "--via", "call", "--at", _days_ago(20), "Called")
    rolo("log", "alan@example.com", "--via", "call", "--at", _days_ago(100), "Called")
    rolo("log", "grace@example.com", "--via", "call", "--at", _days_ago(20), "Called")
    due = rolo.json("due")
    assert [(d["name"], d["every_days"], d["source"], d["overdue_days"]) for d in due] == [
        ("Alan Turing", 90, "label colleagues", 10),
        ("Ada Lovelace", 14, "label family", 6),  # family's 14 days beat colleagues' 90
    ]  # Grace: her own year beats the family's two weeks
    cadences = rolo.json("keep")
    assert [(c["label"], c["name"], c["every_days"]) for c in cadences] == [
        ("colleagues", None, 90), ("family", None, 14), (None, "Grace Hopper", 365)]


def test_due_counts_from_when_the_cadence_began_for_those_never_contacted_and_within_looks_ahead(rolo, people):
    rolo("keep", "alan@example.com", "--every", "30d")
    assert rolo("due").stdout.strip() == "nobody is due: all caught up"
    (ahead,) = rolo.json("due", "--within", "30d")
    assert (ahead["name"], ahead["last_contacted"], ahead["overdue_days"]) == ("Alan Turing", None, -30)
    assert "due in 30 days" in rolo("due", "--within", "5w").stdout


def test_keep_off_trash_and_label_filter(rolo, people):
    rolo("keep", "--label", "family", "--every", "7d")
    rolo("log", "ada@example.com", "--via", "call", "--at", _days_ago(9), "Called")
    rolo("log", "grace@example.com", "--via", "call", "--at", _days_ago(8), "Called")
    assert [d["name"] for d in rolo.json("due", "--label", "FAMILY")] == ["Ada Lovelace", "Grace Hopper"]
    rolo("rm", "grace@example.com", "--yes")
    assert [d["name"] for d in rolo.json("due")] == ["Ada Lovelace"]  # the trash is never due
    assert "no longer keeping in touch with label family (was every week)" in rolo(
        "keep", "--label", "family", "--off").stdout
    assert rolo.json("due") == []
    assert "has no cadence of its own" in rolo.fails("keep", "ada@example.com", "--off")
    assert "no label named 'frends'" in rolo.fails("keep", "--label", "frends", "--every", "7d")
    assert "no label named 'frends'" in rolo.fails("due", "--label", "frends")
    assert "'soon' is not a duration" in rolo.fails("keep", "ada@example.com", "--every", "soon")
    assert "give --every DURATION, or --off" in rolo("keep", "ada@example.com", ok=False).stderr


def test_interactions_keep_their_kind_through_a_vcard_export_and_import(rolo, people, tmp_path):
    from conftest import Rolo

    rolo("log", "ada@example.com", "--via", "call", "--at", _days_ago(2), "Called")
    rolo("note", "add", "ada@example.com", "Likes tea")
    exported = tmp_path / "ada.vcf"
    rolo("export", "-o", str(exported), "--label", "family")
    assert "X-KIND=call" in exported.read_text(encoding="utf-8")
    fresh = Rolo(tmp_path / "fresh.db")
    fresh("import", str(exported))
    shown = fresh.json("show", "ada@example.com")
    assert [(e["text"], e["kind"]) for e in shown["log"]] == [("Called", "call"), ("Likes tea", None)]
    assert shown["last_contacted"] == f"{_days_ago(2)}T12:00:00Z"
