"""`rolo doctor` (issue 11): the book's integrity, schema and search index, the config's keys and values, each
remote's reachability and token; every finding says what to do; exit 0 when all is well, else 1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from conftest import Rolo
from rolo.core.book import Book
from rolo.core.cli import cli
from rolo.core.record import ContactRecord, EmailEntry


def _fill(path: Path, count: int = 200) -> None:
    with Book(str(path)) as book, book.transaction() as tx:
        for i in range(count):
            tx.save(ContactRecord(uid=f"uid-{i:04d}", formatted_name=f"Person Number{i}",
                                  emails=[EmailEntry(address=f"p{i}@example.com", primary=True)]))


def _doctor(book: Path | str, *args: str, config: Path | None = None, env: dict | None = None):
    options = ["--config", str(config)] if config else []
    result = CliRunner().invoke(cli, ["--book", str(book), *options, "doctor", *args], env=env,
                                catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def _report(book: Path | str, *args: str, **kwargs) -> tuple[int, dict]:
    result = _doctor(book, "--json", *args, **kwargs)
    return result.exit_code, json.loads(result.stdout)


def _by_check(report: dict) -> dict[str, dict]:
    return {f["check"]: f for f in report["findings"]}


def test_a_healthy_book_is_all_ok_and_exits_0(tmp_path):
    book = tmp_path / "book.db"
    _fill(book)
    code, report = _report(book)
    assert code == 0 and report["ok"] is True and report["book"] == str(book)
    checks = _by_check(report)
    assert {"config", "book", "integrity", "schema", "search index"} <= set(checks)
    assert all(f["status"] in ("ok", "note") for f in report["findings"])
    assert "quick_check" in checks["integrity"]["message"]
    assert checks["schema"]["message"].startswith("0009")
    assert "200 live contacts, 200 indexed" in checks["search index"]["message"]
    text = _doctor(book)
    assert text.exit_code == 0 and text.stdout.rstrip().endswith("all is well")


def test_full_runs_integrity_check(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 5)
    code, report = _report(book, "--full")
    assert code == 0 and "integrity_check" in _by_check(report)["integrity"]["message"]


def test_a_missing_book_is_a_finding_and_is_not_created(tmp_path):
    book = tmp_path / "nope" / "book.db"
    code, report = _report(book)
    assert code == 1
    finding = _by_check(report)["book"]
    assert finding["status"] == "problem" and str(book) in finding["message"] and "rolo init" in finding["fix"]
    assert not book.exists() and not book.parent.exists()


def test_a_damaged_book_is_a_problem_naming_the_backups(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 300)
    Rolo(book)("backup")
    with book.open("r+b") as handle:
        handle.seek(30 * 4096)
        handle.write(b"\xde\xad\xbe\xef" * 4096)
    code, report = _report(book)
    assert code == 1
    finding = _by_check(report)["integrity"]
    assert finding["status"] == "problem" and "quick_check" in finding["message"]
    assert f"{book}.backup-0009-" in finding["fix"]
    text = _doctor(book)
    assert text.exit_code == 1 and "PROBLEM" in text.stdout


def test_a_book_that_cannot_be_read_at_all_is_a_problem(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 3)
    with book.open("r+b") as handle:
        handle.write(b"garbage" * 100)
    code, report = _report(book)
    assert code == 1 and _by_check(report)["integrity"]["status"] == "problem"


def test_a_search_index_out_of_step_is_found_and_rebuilt(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 20)
    con = sqlite3.connect(book)
    con.execute("DELETE FROM contact_fts WHERE rowid IN (SELECT id FROM contact WHERE uid = 'uid-0007')")
    con.commit()
    con.close()
    assert Rolo(book).json("search", "Number7") == []
    code, report = _report(book)
    finding = _by_check(report)["search index"]
    assert code == 1 and finding["status"] == "problem"
    assert "1 live contact is not in the search index" in finding["message"]
    assert "rolo doctor --reindex" in finding["fix"]
    result = _doctor(book, "--reindex")
    assert "rebuilt the search index: 20 contacts" in result.stdout and result.exit_code == 0
    assert [c["uid"] for c in Rolo(book).json("search", "Number7")] == ["uid-0007"]
    assert _report(book)[0] == 0


def test_a_broken_config_lists_each_key_with_what_to_do(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 2)
    config = tmp_path / "rolo.toml"
    config.write_text('default_region = "XX"\nremotes = 3\ncolour = "blue"\n[watch]\nfolder = 5\n',
                      encoding="utf-8")
    code, report = _report(book, config=config)
    assert code == 1 and report["config"] == str(config)
    problems = {f["key"]: f for f in report["findings"] if f["check"] == "config" and f["status"] != "ok"}
    assert set(problems) == {"default_region", "remotes", "watch.folder", "colour"}
    assert "phonenumbers" in problems["default_region"]["message"]
    assert problems["remotes"]["message"].startswith("remotes must be a table")
    assert "unknown key" in problems["colour"]["message"]
    assert all(p["fix"] for p in problems.values())
    # the book is still checked
    assert _by_check(report)["integrity"]["status"] == "ok"
    # and other commands refuse the config in one line
    result = CliRunner().invoke(cli, ["--book", str(book), "--config", str(config), "list"])
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: config file {config}: default_region")


def test_a_config_with_a_bad_book_key_skips_the_book(tmp_path):
    config = tmp_path / "rolo.toml"
    config.write_text("book = 5\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [f["key"] for f in report["findings"] if f["status"] == "problem"] == ["book"]
    assert "not checked" in _by_check(report)["book"]["message"]


def test_an_unreadable_config_file_is_a_problem(tmp_path):
    book = tmp_path / "book.db"
    _fill(book, 1)
    config = tmp_path / "rolo.toml"
    config.write_text("book = \n", encoding="utf-8")
    code, report = _report(book, config=config)
    assert code == 1 and _by_check(report)["config"]["status"] == "problem"
    assert _by_check(report)["integrity"]["status"] == "ok"  # --book names the book anyway


def test_remotes_are_tested_and_a_wrong_token_never_shows(tmp_path, relm, monkeypatch, rolo_home):
    book = tmp_path / "book.db"
    rolo = Rolo(book)
    rolo("init")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    code, report = _report(book)
    assert code == 0, report
    ok = _by_check(report)["remote work"]
    assert ok["status"] == "ok" and relm.url in ok["message"]

    wrong = "sk_test_doctor0wrong0token0000000000"
    monkeypatch.setenv("RELM_KEY", wrong)
    code, report = _report(book)
    finding = _by_check(report)["remote work"]
    assert code == 1 and finding["status"] == "problem"
    assert "RELM_KEY" in finding["fix"]
    text = _doctor(book)
    for output in (json.dumps(report), text.output):
        assert wrong not in output and relm.api_key not in output
    assert text.exit_code == 1

    monkeypatch.delenv("RELM_KEY")
    code, report = _report(book)
    assert code == 1 and "RELM_KEY" in _by_check(report)["remote work"]["message"]


def test_an_unreachable_remote_is_a_problem(tmp_path, rolo_home):
    book = tmp_path / "book.db"
    _fill(book, 1)
    config = rolo_home / "rolo.toml"
    config.write_text('[remotes.gone]\nadapter = "relm"\nurl = "http://127.0.0.1:9"\ntoken_env = "GONE_KEY"\n'
                      "timeout = 2\n[remotes.gone.options]\nretry_attempts = \"1\"\n", encoding="utf-8")
    code, report = _report(book, env={"GONE_KEY": "sk_test_gone0000000000000000000000"})
    finding = _by_check(report)["remote gone"]
    assert code == 1 and finding["status"] == "problem" and finding["fix"]
    assert "sk_test_gone" not in json.dumps(report)
