"""`rolo import` and `rolo export` on the sample book and on hand-made files."""

from __future__ import annotations

import csv
import io
import json
from conftest import Rolo

SAMPLE_FIELDS = [("met_at", "text", []), ("tier", "select", ["close", "friend", "acquaintance"]),
                 ("first_met", "date", []), ("newsletter", "bool", [])]
GOOD = """BEGIN:VCARD\r\nVERSION:3.0\r\nUID:good-1\r\nFN:Good One\r\nN:One;Good;;;\r\nEMAIL:good@example.com\r
END:VCARD\r\n"""
BROKEN = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Never Closed\r\n"


def define_sample_fields(rolo: Rolo) -> None:
    for name, type_, options in SAMPLE_FIELDS:
        args = ["field", "define", name, "--type", type_]
        for option in options:
            args += ["--option", option]
        rolo(*args)


def test_import_sample_book_then_again_changes_nothing(rolo, sample_book):
    define_sample_fields(rolo)
    report = rolo.json("import", str(sample_book / "contacts"))
    assert report["failed"] == 0 and report["created"] >= 50 and report["files"] == 6
    again = rolo.json("import", str(sample_book / "contacts"))
    assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == report["created"]
    contacts = rolo.json("list")
    assert len(contacts) == report["created"]
    assert any(c["custom_fields"].get("tier") for c in contacts)
    assert any(isinstance(c["custom_fields"].get("newsletter"), bool) for c in contacts)
    assert {"Climbing", "Book Club"} <= {label for c in contacts for label in c["labels"]}


def test_bad_card_is_reported_and_the_rest_imported(rolo, tmp_path):
    path = tmp_path / "mixed.vcf"
    path.write_text(GOOD + "garbage line\r\n" + BROKEN, newline="")
    result = rolo("import", str(path), ok=False)
    assert result.exit_code == 3
    assert f"failed: {path} card" in result.stderr
    assert "1 created" in result.stdout and "failed" in result.stdout
    assert [c["uid"] for c in rolo.json("list")] == ["good-1"]
    report = json.loads(rolo("import", str(path), "--json", ok=False).stdout)
    assert report["unchanged"] == 1 and report["failed"] >= 1
    assert all(f["file"] == str(path) and f["card"] and f["reason"] for f in report["failures"])


def test_import_of_missing_path_is_an_error(rolo, tmp_path):
    assert "no such file or folder" in rolo.fails("import", str(tmp_path / "nope.vcf"))


def test_updated_card_updates_the_contact(rolo, tmp_path):
    path = tmp_path / "one.vcf"
    path.write_text(GOOD, newline="")
    rolo("import", str(path))
    path.write_text(GOOD.replace("FN:Good One", "FN:Good One Renamed"), newline="")
    assert rolo.json("import", str(path))["updated"] == 1
    assert rolo.json("show", "good-1")["formatted_name"] == "Good One Renamed"


def test_export_formats_round_trip_into_a_new_book(rolo, sample_book, tmp_path):
    define_sample_fields(rolo)
    rolo("import", str(sample_book / "contacts"))
    original = {c["uid"]: c for c in rolo.json("list")}
    for version in ("3.0", "4.0"):
        out = tmp_path / f"export-{version}.vcf"
        rolo("export", "--vcard-version", version, "-o", str(out))
        other = Rolo(tmp_path / f"other-{version}.db")
        define_sample_fields(other)
        assert other.json("import", str(out))["created"] == len(original)
        for uid, contact in ((c["uid"], c) for c in other.json("list")):
            before = {k: v for k, v in original[uid].items() if k not in ("created_at", "updated_at", "revision")}
            after = {k: v for k, v in contact.items() if k not in ("created_at", "updated_at", "revision")}
            assert after == before, uid


def test_export_vdir_json_csv_and_label_filter(rolo, tmp_path):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math", "--uid", "ada/1")
    rolo("add", "--name", "Bob Brown", "--uid", "bob-2")
    vdir = tmp_path / "vdir"
    rolo("export", "--format", "vdir", "-o", str(vdir))
    assert sorted(p.name for p in vdir.iterdir()) == ["ada_1.vcf", "bob-2.vcf"]
    assert "UID:ada/1" in (vdir / "ada_1.vcf").read_text()
    data = json.loads(rolo("export", "--format", "json", "--label", "MATH").stdout)
    assert [c["uid"] for c in data] == ["ada/1"]
    rows = list(csv.DictReader(io.StringIO(rolo("export", "--format", "csv").stdout)))
    assert [r["formatted_name"] for r in rows] == ["Bob Brown", "Ada Lovelace"]
    assert rows[1]["emails"] == "ada@example.com" and rows[1]["labels"] == "math"
    assert "needs -o" in rolo.fails("export", "--format", "vdir", code=2)


def test_show_vcard(rolo):
    uid = rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com").stdout.strip()
    card = rolo("show", uid, "--vcard").stdout_bytes.decode()
    assert card.startswith("BEGIN:VCARD\r\n") and "FN:Ada Lovelace\r\n" in card
    assert "VERSION:4.0" in rolo("show", uid, "--vcard", "--vcard-version", "4.0").stdout


def test_import_folder_recurses_and_skips_other_files(rolo, tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "a.VCF").write_text(GOOD, newline="")
    (tmp_path / "in" / "notes.txt").write_text("not a card")
    assert rolo.json("import", str(tmp_path / "in"))["created"] == 1


ANDROID_JON = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Smith;Jon;;;\r\nFN:Jon Smith\r\nTEL;CELL:+14155550142\r\n"
               "EMAIL;HOME:jon.smith@EXAMPLE.com\r\nEND:VCARD\r\n")


def test_card_without_uid_matching_an_existing_contact_is_flagged(rolo, tmp_path):
    rolo("add", "--name", "Jonathan Smith", "--email", "Jon.Smith@example.com", "--uid", "jonathan")
    path = tmp_path / "android.vcf"
    path.write_text(ANDROID_JON, newline="")
    report = rolo.json("import", str(path))
    assert report["created"] == 1  # imported, not silently merged
    (flag,) = report["likely_duplicates"]
    assert flag["matches"] == ["jonathan"] and flag["formatted_name"] == "Jon Smith" and flag["card"] == 1
    assert len(rolo.json("dupes")) == 1


def test_a_shared_office_address_alone_flags_no_duplicate_when_the_names_are_two_people(rolo, tmp_path):
    rolo("add", "--name", "Grace Hopper", "--email", "office@navy.example")
    path = tmp_path / "colleague.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alan Turing\r\nN:Turing;Alan;;;\r\n"
                    "EMAIL:office@navy.example\r\nEND:VCARD\r\n", newline="")
    report = rolo.json("import", str(path))
    assert report["created"] == 1 and report["likely_duplicates"] == []  # as `rolo dupes` sees them
    assert rolo.json("dupes") == []


def test_duplicate_flag_shows_in_the_summary(rolo, tmp_path):
    rolo("add", "--name", "Jon", "--phone", "(415) 555-0142")
    path = tmp_path / "android.vcf"
    path.write_text(ANDROID_JON, newline="")
    assert "(1 likely duplicate: rolo dupes)" in rolo("import", str(path)).stdout


def test_export_to_an_unwritable_place_is_a_one_line_error(rolo, tmp_path):
    rolo("add", "--name", "Ada")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "cannot write" in rolo.fails("export", "-o", str(blocker / "out.vcf"))
    assert "cannot write" in rolo.fails("export", "--format", "vdir", "-o", str(blocker / "dir"))
