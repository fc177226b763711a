"""`rolo dupes` finds likely duplicates; `rolo merge` folds them into one contact without losing a value."""

from __future__ import annotations


def test_dupes_by_email_phone_and_similar_names(rolo):
    jon = rolo("add", "--name", "Jon Smith", "--email", "Jon.Smith@example.com").stdout.strip()
    jonathan = rolo("add", "--name", "Jonathan Smith", "--email", "jon.smith@EXAMPLE.com").stdout.strip()
    rolo("add", "--name", "Ann Lee", "--phone", "+1 415 555 0199")
    rolo("add", "--name", "Annie Lee", "--phone", "(415) 555-0199")
    rolo("add", "--name", "Min-jun Park", "--org", "Hanbit Robotics")
    rolo("add", "--name", "Minjun Park", "--org", "hanbit robotics")
    rolo("add", "--name", "John Smith", "--org", "Hanbit Robotics")  # similar to nobody there
    rolo("add", "--name", "Jane Smith", "--email", "jane@example.com")  # example.com is no shared domain
    groups = rolo.json("dupes")
    by_names = {tuple(sorted(c["formatted_name"] for c in g["contacts"])): g for g in groups}
    assert set(by_names) == {("Jon Smith", "Jonathan Smith"), ("Ann Lee", "Annie Lee"),
                             ("Min-jun Park", "Minjun Park")}
    assert by_names[("Jon Smith", "Jonathan Smith")]["reasons"] == ["same email jon.smith@example.com"]
    assert by_names[("Ann Lee", "Annie Lee")]["reasons"] == ["same phone +14155550199"]
    assert "similar names" in by_names[("Min-jun Park", "Minjun Park")]["reasons"][0]
    assert groups[0]["score"] >= groups[-1]["score"]
    assert {c["uid"] for c in by_names[("Jon Smith", "Jonathan Smith")]["contacts"]} == {jon, jonathan}


def test_merge_unions_and_logs_losing_values(rolo):
    rolo("field", "define", "tier", "--type", "select", "--option", "close", "--option", "friend")
    keep = rolo("add", "--name", "Jon Smith", "--email", "jon@example.com", "--title", "Engineer",
                "--label", "Friends", "--field", "tier=close", "--note", "Keep's notes").stdout.strip()
    other = rolo("add", "--name", "Jonathan Smith", "--email", "JON@example.com", "--email", "js@work.example",
                 "--phone", "+1 415 555 0142", "--title", "Staff Engineer", "--label", "climbing",
                 "--field", "tier=friend", "--birthday", "1988-09-14", "--note", "Other's notes").stdout.strip()
    dry = rolo.json("merge", keep, other, "--dry-run")
    assert dry["dry_run"] is True and len(rolo.json("list")) == 2  # nothing written
    result = rolo.json("merge", keep, other)
    merged = rolo.json("show", keep)
    assert result["contact"]["uid"] == keep and result["merged"] == [other]
    assert [e["address"] for e in merged["emails"]] == ["jon@example.com", "js@work.example"]
    assert [p["e164"] for p in merged["phones"]] == ["+14155550142"]
    assert merged["labels"] == ["climbing", "Friends"]
    assert merged["title"] == "Engineer" and merged["birthday"] == "1988-09-14"
    assert merged["custom_fields"] == {"tier": "close"}
    assert merged["notes"] == "Keep's notes\n\nOther's notes"
    log = " | ".join(n["body"] for n in rolo.json("note", "list", keep))
    assert "title was 'Staff Engineer'" in log and "tier was 'friend'" in log and other in log
    assert [c["uid"] for c in rolo.json("list")] == [keep]
    assert rolo.json("show", other)["uid"] == keep  # the merged-away uid is an alias of KEEP


def test_merge_refuses_the_same_contact_twice(rolo):
    keep = rolo("add", "--name", "A", "--email", "a@example.com").stdout.strip()
    assert "already in this merge" in rolo.fails("merge", keep, "a@example.com")
    assert rolo.json("show", keep)["uid"] == keep
