"""`rolo watch` on the command line (`--once`), and the plugin's registration."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

from conftest import REPO
from watchkit import BROKEN_CARD, card


def test_once_imports_what_is_there_and_logs_a_line_per_file(rolo, tmp_path):
    drop = tmp_path / "in"
    drop.mkdir()
    (drop / "ada.vcf").write_text(card("Ada Lovelace", email="ada@example.com"), encoding="utf-8")
    result = rolo("watch", str(drop), "--once")
    (line,) = result.stderr.splitlines()
    assert "imported ada.vcf: 1 created, 0 updated, 0 unchanged, 0 failed -> imported/" in line
    assert result.stdout == ""
    assert "Ada Lovelace" in rolo("search", "ada").stdout


def test_once_exits_3_when_cards_failed_and_json_goes_to_stdout(rolo, tmp_path):
    drop = tmp_path / "in"
    drop.mkdir()
    (drop / "mixed.vcf").write_text(card("Ada Lovelace") + BROKEN_CARD, encoding="utf-8")
    result = rolo("watch", str(drop), "--once", "--json", ok=False)
    assert result.exit_code == 3
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert event["event"] == "imported" and (event["created"], event["failed"]) == (1, 1)
    assert event["failures"][0]["card"] == 2
    assert event["failed_to"] == str(drop / "failed" / "mixed.vcf")
    assert event["time"].endswith("Z")


def test_default_folder_is_drop_in_the_data_dir(rolo, rolo_home):
    result = rolo("watch", "--once")
    assert result.exit_code == 0
    assert (rolo_home / "Drop").is_dir()


def test_config_names_the_folder_relative_to_itself(rolo, tmp_path):
    config = tmp_path / "conf" / "rolo.toml"
    config.parent.mkdir()
    config.write_text('[watch]\nfolder = "cards"\n', encoding="utf-8")
    (tmp_path / "conf" / "cards").mkdir()
    (tmp_path / "conf" / "cards" / "a.vcf").write_text(card("Grace Hopper"), encoding="utf-8")
    rolo("--config", str(config), "watch", "--once")
    assert "Grace Hopper" in rolo("list").stdout


def test_keep_and_delete_together_is_a_usage_error(rolo, tmp_path):
    assert "cannot be used together" in rolo.fails("watch", str(tmp_path), "--keep", "--delete", code=2)


def test_a_folder_that_does_not_exist_is_an_error(rolo, tmp_path):
    assert rolo.fails("watch", str(tmp_path / "nope"), "--once").startswith(f"Error: {tmp_path / 'nope'}: no such")


def test_watch_has_help_with_an_example_and_a_readme_entry(rolo):
    help_text = rolo("watch", "--help").stdout
    assert "Example:" in help_text and "rolo watch" in help_text
    assert "rolo watch" in (REPO / "README.md").read_text()
    assert "[watch]" in (REPO / "sample_book" / "rolo.toml").read_text()


def test_watch_is_a_built_in_plugin_registered_by_entry_point(rolo):
    (ep,) = [ep for ep in entry_points(group="rolo") if ep.name == "watch"]
    assert ep.value == "rolo.plugins.watch"
    rows = {row["name"]: row for row in rolo.json("plugins")}
    assert rows["watch"]["builtin"] is True
    assert rows["watch"]["hooks"] == ["register_commands", "register_services"]
    assert "watch" in rolo("--help").stdout


def test_the_plugin_module_does_not_import_watchdog_until_used():
    import subprocess
    import sys

    code = "import sys, rolo.plugins.watch; print('watchdog' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_reader_that_goes_away_is_no_traceback(tmp_path, book_path):
    # `rolo watch --json | head -1`: a real process, its stdout a pipe closed after the first line
    import subprocess
    import sys

    drop = tmp_path / "in"
    drop.mkdir()
    for number in range(200):
        (drop / f"{number}.vcf").write_text(card(f"Person {number}"), encoding="utf-8")
    from pathlib import Path

    command = [str(Path(sys.executable).parent / "rolo"), "--book", str(book_path), "watch", str(drop), "--once", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert json.loads(process.stdout.readline())["event"] == "imported"
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "Broken pipe" not in stderr, stderr
