"""Phone numbers a person types are checked against default_region; imported ones are kept and flagged by
`rolo doctor`; numbers stored without E.164 are written again once the region reads them (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import python_editor, raw_db


@pytest.fixture
def region(rolo_home: Path):
    """Set default_region in the config the CLI reads (ROLO_HOME/rolo.toml)."""

    def set_region(code: str) -> Path:
        config = rolo_home / "rolo.toml"
        config.write_text(f'default_region = "{code}"\n', encoding="utf-8")
        return config

    set_region("US")
    return set_region


@pytest.mark.parametrize(("number", "why"), [
    ("+999 123", "no such country code"),
    ("0000000000", "all its digits are zeros"),
    ("+1 23 45", "too short"),
    ("99999 99999 99999 99", "too long for US, and no valid number in any region"),
], ids=["unknown-country-code", "all-zeros", "too-short-for-+1", "nowhere"])
def test_typed_impossible_numbers_are_refused_and_nothing_is_written(rolo, region, number, why):
    error = rolo.fails("add", "--name", "Ada Lovelace", "--phone", f"mobile:{number}")
    assert error == f"Error: {number!r} is not a possible phone number: {why}"
    uid = rolo("add", "--name", "Ada Lovelace").stdout.strip()
    assert why in rolo.fails("edit", uid, "--add-phone", number)
    assert rolo.json("show", uid)["phones"] == [] and rolo.json("show", uid)["revision"] == 1


def test_a_number_valid_elsewhere_is_kept_with_a_warning_naming_the_region(rolo, region):
    config = region("US")
    result = rolo("add", "--name", "Thomas Reid", "--phone", "work:020 7946 0958")
    warning = result.stderr.strip()
    assert warning.startswith("warning: '020 7946 0958' is not a valid number in US (your default_region)")
    assert "GB" in warning and "+CC" in warning and f'default_region = "GB" in {config}' in warning
    assert len(result.stderr.splitlines()) == 1
    (phone,) = rolo.json("show", result.stdout.strip())["phones"]
    assert (phone["number"], phone["e164"], phone["label"]) == ("020 7946 0958", None, "work")
    quiet = rolo("add", "--name", "Ann Lee", "--phone", "(415) 555-0199")  # valid in US: no warning
    assert quiet.stderr == ""


def test_imports_keep_impossible_numbers_and_doctor_lists_them(rolo, region, tmp_path):
    card = tmp_path / "odd.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:odd-1\r\nFN:Odd Numbers\r\nTEL;TYPE=CELL:+999 123\r\n"
                    "TEL;TYPE=HOME:0000000000\r\nTEL;TYPE=WORK:+1 415 555 0100\r\nEND:VCARD\r\n", encoding="utf-8")
    assert rolo("import", str(card)).stdout.startswith("1 created")
    phones = rolo.json("show", "odd-1")["phones"]
    assert [(p["number"], p["e164"]) for p in phones] == [
        ("+999 123", None), ("0000000000", None), ("+1 415 555 0100", "+14155550100")]
    report = rolo.json("doctor")
    assert report["ok"] is True  # worth knowing, nothing broken: doctor exits 0
    (finding,) = [f for f in report["findings"] if f["check"] == "phones"]
    assert finding["status"] == "note" and finding["message"].startswith("2 impossible numbers kept as imported")
    assert "'+999 123' of Odd Numbers (odd-1: no such country code)" in finding["message"]
    assert "'0000000000' of Odd Numbers" in finding["message"] and "rolo edit" in finding["fix"]
    text = rolo("doctor").stdout
    assert "note     phones" in text and "all is well" in text
    # editing something else in $EDITOR keeps the number that was already there
    editor = python_editor(tmp_path, "p.write_text(p.read_text().replace('title:', 'title: Tester'))")
    rolo("edit", "odd-1", env={"EDITOR": editor})
    edited = rolo.json("show", "odd-1")
    assert edited["title"] == "Tester" and len(edited["phones"]) == 3


def test_doctor_says_all_numbers_are_in_e164_form(rolo, region):
    rolo("add", "--name", "Ann Lee", "--phone", "(415) 555-0199")
    (finding,) = [f for f in rolo.json("doctor")["findings"] if f["check"] == "phones"]
    assert finding["status"] == "ok"


def test_setting_the_region_then_fix_phones_normalises_them_and_undo_reverts(rolo, region):
    uid = rolo("add", "--name", "Thomas Reid", "--phone", "work:020 7946 0958", "--phone", "+1 415 555 0100"
               ).stdout.strip()
    (foreign,) = [f for f in rolo.json("doctor")["findings"] if f["check"] == "phones"]
    assert "'020 7946 0958' of Thomas Reid" in foreign["message"] and "US (default_region)" in foreign["message"]
    assert uid in foreign["message"]
    assert foreign["key"] == "default_region"
    region("GB")
    (fixable,) = [f for f in rolo.json("doctor")["findings"] if f["check"] == "phones"]
    assert "'020 7946 0958' of Thomas Reid -> +44 20 7946 0958 (GB)" in fixable["message"]
    assert "--fix-phones" in fixable["fix"]
    fixed = rolo.json("doctor", "--fix-phones")
    assert fixed["fixed_phones"] == [{"uid": uid, "name": "Thomas Reid", "before": "020 7946 0958",
                                      "after": "+44 20 7946 0958", "region": "GB"}]
    phones = rolo.json("show", uid)["phones"]
    assert [(p["number"], p["e164"], p["label"]) for p in phones] == [
        ("+44 20 7946 0958", "+442079460958", "work"), ("+1 415 555 0100", "+14155550100", None)]
    (change,) = rolo.json("history", "--limit", "1")
    assert change["command"].endswith("doctor --fix-phones --json")
    assert change["changes"][0]["fields"]["phones"]["after"][0]["number"] == "+44 20 7946 0958"
    assert "rewrote 0 numbers" in rolo("doctor", "--fix-phones").stdout
    assert "reverted: Thomas Reid: phones" in rolo("undo").stdout
    assert rolo.json("show", uid)["phones"][0]["number"] == "020 7946 0958"


def test_an_impossible_number_added_in_the_editor_is_refused(rolo, region, tmp_path):
    uid = rolo("add", "--name", "Ada Lovelace").stdout.strip()
    editor = python_editor(tmp_path, "p.write_text(p.read_text() + 'phone: [home] +999 123\\n')")
    error = rolo("edit", uid, input="n\n", ok=False, env={"EDITOR": editor})
    assert error.exit_code == 1 and "Traceback" not in error.output
    assert error.stderr.strip().splitlines()[-1] == (
        "Error: edit abandoned, nothing changed ('+999 123' is not a possible phone number: no such country code)")
    assert rolo.json("show", uid)["revision"] == 1


def test_fix_phones_reads_a_number_in_its_contacts_country(rolo, region, tmp_path, book_path):
    # 090-2718-5530 is a mobile number in Japan, and a valid GB number too: the address says which
    card = tmp_path / "kenji.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:kenji\r\nFN:Kenji Watanabe\r\nTEL;TYPE=CELL:090-2718-5530\r\n"
                    "ADR;TYPE=WORK:;;2-3-1 Umeda;Osaka;;530-0001;Japan\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ewan\r\nFN:Ewan MacLeod\r\nTEL:0131 496 0123\r\n"
                    "TEL:+44 7700 900123\r\nEND:VCARD\r\n", encoding="utf-8")
    region("US")
    rolo("import", str(card))
    assert rolo.json("show", "kenji")["phones"][0]["e164"] == "+819027185530"  # read in JP at once
    # a book an older rolo wrote kept such a number without its E.164 form: doctor reads it in JP
    with raw_db(book_path) as db:
        db.execute("UPDATE phone SET e164 = NULL WHERE number = '090-2718-5530'")
    db.close()
    region("GB")
    output = rolo("doctor", "--fix-phones").stdout
    assert "Kenji Watanabe (kenji): 090-2718-5530 -> +81 90-2718-5530 (read in JP)" in output
    assert "Ewan MacLeod (ewan): 0131 496 0123 -> +44 131 496 0123 (read in GB)" in output
    assert rolo.json("show", "kenji")["phones"][0]["e164"] == "+819027185530"


def test_a_national_number_the_default_region_cannot_read_is_read_in_the_contacts_country(rolo, region,
                                                                                         tmp_path):
    """06-6341-8820 looks like a possible US number (+1 066...), which no US number is: a contact living in
    Japan has it read there; a number the default region reads stays read there, whatever the address."""
    card = tmp_path / "two.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:kenji\r\nFN:Kenji Watanabe\r\nTEL;TYPE=WORK:06-6341-8820\r\n"
                    "ADR;TYPE=WORK:;;2-3-1 Umeda;Osaka;;530-0001;Japan\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann Lee\r\nTEL:(415) 555-0142\r\n"
                    "ADR:;;1 Chome;Tokyo;;100-0001;Japan\r\nEND:VCARD\r\n", encoding="utf-8")
    rolo("import", str(card))
    assert [p["e164"] for p in rolo.json("show", "kenji")["phones"]] == ["+81663418820"]
    assert [p["e164"] for p in rolo.json("show", "ann")["phones"]] == ["+14155550142"]
