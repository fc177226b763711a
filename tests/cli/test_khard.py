"""khard reads what `rolo export --format vdir` writes, in vCard 3.0 and 4.0.

khard (pimutils' command-line address book, a `dev` extra) reads a vdir with vobject and its own checks of
RFC 2426 and RFC 6350; both versions are ones it supports. The sample book is exported, khard is pointed at
the folder with a config file of its own, and its listings must show every contact, email address, phone
number, birthday and postal address rolo holds, without a warning.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Rolo
from test_transfer import define_sample_fields

KHARD = shutil.which("khard", path=str(Path(sys.executable).parent)) or shutil.which("khard")
pytestmark = pytest.mark.skipif(KHARD is None, reason="khard is not installed: pip install -e '.[dev]'")


@pytest.fixture
def contacts(rolo: Rolo, sample_book: Path) -> list[dict]:
    """The sample book imported with its custom fields defined; its contacts as `rolo list --json` gives."""
    define_sample_fields(rolo)
    rolo("import", str(sample_book / "contacts"))
    return rolo.json("list")


def khard(config: Path, *args: str) -> str:
    """Run khard on one config; it must succeed without a word on stderr (no warning, no skipped card)."""
    run = subprocess.run([KHARD, "-c", str(config), *args], check=False, capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
    assert run.returncode == 0 and run.stderr == "", f"khard {' '.join(args)} -> {run.returncode}\n{run.stderr}"
    return run.stdout


def parsable(output: str) -> list[list[str]]:
    """The tab-separated rows of a `--parsable` listing (the email listing starts with a search line)."""
    return [line.split("\t") for line in output.splitlines() if "\t" in line]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_khard_lists_every_contact_of_an_exported_vdir(version: str, rolo: Rolo, contacts: list[dict],
                                                       tmp_path: Path) -> None:
    vdir = tmp_path / "vdir"
    rolo("export", "--format", "vdir", "--vcard-version", version, "-o", str(vdir))
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[rolo]]\npath = {vdir}\n\n[contact table]\ndisplay = formatted_name\n",
                      encoding="utf-8")

    listing = khard(config, "list")
    assert len(contacts) >= 50
    missing = [c["formatted_name"] for c in contacts if c["formatted_name"] not in listing]
    assert not missing, f"khard does not list {missing}"

    assert sorted(r[0] for r in parsable(khard(config, "email", "--parsable"))) == sorted(
        e["address"] for c in contacts for e in c["emails"])
    assert sorted(r[0] for r in parsable(khard(config, "phone", "--parsable"))) == sorted(
        p["number"] for c in contacts for p in c["phones"])
    assert sorted(r[1] for r in parsable(khard(config, "birthdays", "--parsable"))) == sorted(
        c["formatted_name"] for c in contacts if c["birthday"])
    assert len(parsable(khard(config, "postaddress", "--parsable"))) == sum(len(c["addresses"]) for c in contacts)

    # One contact in full, found by uid: khard's YAML view (what `khard edit` would open) has its values.
    richest = max(contacts, key=lambda c: len(json.dumps(c)))
    shown = khard(config, "show", "--format", "yaml", f"uid:{richest['uid']}")
    assert f"Formatted name: {richest['formatted_name']}" in shown
    for value in [e["address"] for e in richest["emails"]] + [p["number"] for p in richest["phones"]]:
        assert value in shown
