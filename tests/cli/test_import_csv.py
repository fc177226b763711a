"""CSV imports (issue 13): Google Contacts (current and older headers), Outlook and LinkedIn exports
recognised by their headers, any other CSV through --map, `rolo import --preview` writing nothing, and the
drop folder taking CSV files (tests/plugins/test_watch_csv.py)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import REPO, ENGINE, book_bytes

CSV = REPO / "tests" / "data" / "csv"


def _by_name(rolo) -> dict[str, dict]:
    return {c["formatted_name"]: c for c in rolo.json("list")}


def test_google_contacts_export(rolo):
    result = rolo("import", str(CSV / "google_contacts.csv"), ok=False)
    assert result.exit_code == 3  # one row names nobody
    assert result.stdout.strip() == "3 created, 0 updated, 0 unchanged, 1 failed"
    assert "google_contacts.csv line 5: no name, organization, email or phone in this row" in result.stderr
    people = _by_name(rolo)
    ada = people["Countess Ada Lovelace"]
    assert (ada["prefix"], ada["given_name"], ada["family_name"], ada["nickname"]) == (
        "Countess", "Ada", "Lovelace", "Enchantress of Numbers")
    assert (ada["organization"], ada["title"], ada["birthday"]) == ("Analytical Engines, Ltd.", "Mathematician",
                                                                   "1815-12-10")
    assert [(e["address"], e["label"], e["primary"]) for e in ada["emails"]] == [
        ("ada@example.com", "Home", True), ("ada@engines.example", "Work", False),
        ("a.lovelace@engines.example", "Work", False)]  # " ::: " holds several values in one cell
    assert [(p["e164"], p["label"]) for p in ada["phones"]] == [("+442079460123", "Mobile")]
    assert ada["addresses"][0]["street"] == "12 St James's Square" and ada["addresses"][0]["country"] == (
        "United Kingdom")
    assert ada["labels"] == ["Math"] and ada["starred"] is True  # * myContacts dropped, * starred stars
    assert ada["urls"] == [{"label": "Blog", "url": "https://ada.example/notes"}]
    assert ada["dates"] == [{"label": "anniversary", "value": "1835-07-08"}]
    assert ada["related"] == [{"kind": "spouse", "uid": None, "name": "William King"}]
    assert ada["notes"] == 'Met at Babbage\'s soirée; says "numbers are poetry".\nCall after 6pm.\nMet at: Royal Society'
    jose = people["José Müller-Løvstad"]
    assert jose["birthday"] == "--03-15" and len(jose["phones"]) == 2
    assert people["Northwind Traders"]["labels"] == ["Suppliers"]


def test_google_older_export_and_a_custom_field_the_book_defines(rolo, tmp_path):
    rolo("import", str(CSV / "google_contacts_old.csv"))
    grace = _by_name(rolo)["Grace Hopper"]
    assert (grace["organization"], grace["title"], grace["labels"]) == ("US Navy", "Rear Admiral", ["Navy"])
    assert grace["emails"][0]["address"] == "grace@navy.example" and grace["phones"][0]["e164"] == "+12025550147"
    # a custom field of that name in the book takes the value instead of the notes
    rolo("field", "define", "Met_at", "--type", "text")
    text = (CSV / "google_contacts.csv").read_text(encoding="utf-8-sig").replace("Met at", "Met_at")
    (tmp_path / "g.csv").write_text(text, encoding="utf-8")
    rolo("import", str(tmp_path / "g.csv"), ok=False)
    assert _by_name(rolo)["Countess Ada Lovelace"]["custom_fields"] == {"Met_at": "Royal Society"}


def test_outlook_export_in_windows_1252(rolo):
    result = rolo("import", str(CSV / "outlook_contacts.csv"), ok=False)
    assert "outlook_contacts.csv line 3: 'not a date' is not a date rolo reads" in result.stderr
    alan = _by_name(rolo)["Dr. Alan Mathison Turing"]
    assert (alan["department"], alan["title"], alan["birthday"]) == ("Hut 8", "Cryptanalyst", "1912-06-23")
    assert {(p["number"], p["label"]) for p in alan["phones"]} == {("+44 1908 640404", "work"),
                                                                  ("+44 7700 900123", "mobile")}
    assert alan["labels"] == ["Colleagues", "Math"] and alan["dates"] == []  # 0/0/00 is no anniversary
    assert alan["related"] == [{"kind": "manager", "uid": None, "name": "Alastair Denniston"}]
    assert alan["addresses"][0]["locality"] == "Bletchley" and alan["urls"][0]["url"] == "https://turing.example"


def test_linkedin_connections_after_its_notes_preamble(rolo):
    rolo("import", str(CSV / "Connections.csv"))
    people = _by_name(rolo)
    katherine, dorothy = people["Katherine Johnson"], people["Dorothy Vaughan"]
    assert (katherine["organization"], katherine["title"]) == ("NASA", "Research Mathematician")
    assert katherine["urls"] == [{"label": "linkedin", "url": "https://www.linkedin.com/in/kjohnson"}]
    assert katherine["dates"] == [{"label": "connected on LinkedIn", "value": "2026-12-03"}]
    assert dorothy["emails"] == [] and dorothy["organization"] == "NASA, Langley"


def test_any_other_csv_through_map_and_its_errors(rolo):
    club = str(CSV / "club_members.csv")
    refused = rolo("import", club, ok=False)
    assert refused.exit_code == 3 and "not a Google, Outlook or LinkedIn export" in refused.stderr
    assert rolo.json("list") == []
    result = rolo("import", club, "--map", "Member=name", "--map", "Mail=email", "--map", "Cell=phone")
    assert result.stdout.strip() == "2 created, 0 updated, 0 unchanged, 0 failed"
    assert "columns not read (no --map for them): Shirt size, Joined" in result.stderr
    assert sorted(_by_name(rolo)) == ["Amélie Rousseau", "Ewan MacLeod"]
    assert "'shoe' is not a field" in rolo.fails("import", club, "--map", "Member=shoe")
    assert "write COLUMN=FIELD" in rolo.fails("import", club, "--map", "Member")
    assert "columns it does not have: Nom" in rolo("import", club, "--map", "Nom=name", ok=False).stderr


@pytest.mark.parametrize("name", ["google_contacts.csv", "outlook_contacts.csv", "Connections.csv"])
def test_importing_again_changes_nothing_and_a_newer_export_updates(rolo, tmp_path, name):
    copy = tmp_path / name
    shutil.copy(CSV / name, copy)
    rolo("import", str(copy), ok=False)
    count = len(rolo.json("list"))
    again = rolo("import", str(copy), ok=False)
    assert again.stdout.startswith("0 created, 0 updated")
    data = copy.read_bytes()
    for old, new in ((b"Mathematician", b"Countess"), (b"Cryptanalyst", b"Codebreaker"),
                     (b"Research Mathematician", b"Engineer")):
        data = data.replace(old, new)
    copy.write_bytes(data)  # the same export, changed in one place: that contact is updated
    updated = rolo("import", str(copy), ok=False)
    assert updated.stdout.startswith("0 created, 1 updated") and len(rolo.json("list")) == count
    # the same people in another file (a later export, another name): matched by email, not doubled
    other = tmp_path / "later" / name
    other.parent.mkdir()
    other.write_bytes(data)
    assert rolo("import", str(other), ok=False).stdout.startswith("0 created")
    assert len(rolo.json("list")) == count


def _file_digest(path: Path) -> str:
    """The book file's digest; on PostgreSQL, the digest of a dump of the database."""
    return hashlib.sha256(book_bytes(path) if ENGINE == "postgresql" else path.read_bytes()).hexdigest()


def test_preview_shows_creates_updates_and_duplicates_and_writes_nothing(rolo, book_path, tmp_path):
    rolo("add", "--name", "Alan Turing", "--email", "alan@bletchley.example", "--title", "Codebreaker")
    rolo("add", "--name", "Katherine Johnson", "--phone", "+1 757 555 0100", "--email", "kj@nasa.example")
    connections = tmp_path / "Connections.csv"
    shutil.copy(CSV / "Connections.csv", connections)
    rolo("import", str(connections))  # Katherine is in the book under the CSV's uid now too
    before = (_file_digest(book_path), rolo("history").stdout, rolo.json("list"))
    shown = rolo("import", str(CSV / "outlook_contacts.csv"), "--preview")
    assert "would create Dr. Alan Mathison Turing" in shown.stdout
    assert "likely duplicate: Dr. Alan Mathison Turing" in shown.stdout  # shares Alan's email
    assert "outlook_contacts.csv line 3: 'not a date'" in shown.stderr
    assert "preview, nothing written: 1 created, 0 updated, 0 unchanged, 1 failed; 1 likely duplicate" in shown.stdout
    changed = connections  # the same export, changed since: an update of what it brought in
    changed.write_bytes((CSV / "Connections.csv").read_bytes().replace(b"Research Mathematician", b"Engineer"))
    data = rolo.json("import", str(changed), "--preview")
    assert data["created"] == [] and data["unchanged"] == 1
    (update,) = data["updated"]
    assert update["name"] == "Katherine Johnson" and update["changes"] == [
        {"field": "title", "before": "Research Mathematician", "after": "Engineer"}]
    assert "title: Research Mathematician -> Engineer" in rolo("import", str(changed), "--preview").stdout
    assert (_file_digest(book_path), rolo("history").stdout, rolo.json("list")) == before


def test_preview_of_vcards_too(rolo, tmp_path):
    card = tmp_path / "ada.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ada-1\r\nFN:Ada Lovelace\r\nTITLE:Countess\r\nEND:VCARD\r\n",
                    encoding="utf-8")
    assert rolo.json("import", str(card), "--preview")["created"][0]["uid"] == "ada-1"
    assert rolo.json("list") == []
    rolo("import", str(card))
    card.write_text(card.read_text(encoding="utf-8").replace("Countess", "Mathematician"), encoding="utf-8")
    (update,) = rolo.json("import", str(card), "--preview")["updated"]
    assert update["changes"] == [{"field": "title", "before": "Countess", "after": "Mathematician"}]
    assert rolo.json("show", "ada-1")["title"] == "Countess"


def test_a_forced_format_the_header_does_not_match_is_said(rolo):
    result = rolo("import", str(CSV / "google_contacts.csv"), "--format", "outlook", "--preview")
    assert "read as outlook as asked, but its header looks like google export" in result.stderr
    assert rolo.json("list") == []
