"""Interop: vdirsyncer (another CardDAV client, from PyPI) and rolo sync the same Radicale address book.
vdirsyncer keeps it in a local vdir (one .vcf per card), which the test edits as a user of khard or a phone
would; rolo runs as the `rolo` command. Each side sees the other's creates, edits and deletions, a field
edited on both sides is a conflict rolo shows, and what rolo does not model stays on the card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from carddav_support import *  # noqa: F403

BIN = Path(sys.executable).parent


class Sides:
    """vdirsyncer's vdir and the `rolo` command, on one address book."""

    def __init__(self, root: Path, radicale: RadicaleServer, href: str) -> None:
        self.root = root
        self.vdir = root / "vdir"
        self.vdir.mkdir(parents=True)
        self.config = root / "vdirsyncer.conf"
        self.config.write_text(radicale.vdirsyncer_config(root, href, conflict_resolution="b wins"), encoding="utf-8")
        self.env = {**os.environ, "ROLO_HOME": str(root / "home"), "VDS_PASSWORD": radicale.password,
                    "CARDDAV_TOKEN": radicale.api_key}
        self.vdirsyncer("discover")
        self.rolo("remote", "add", "phone", "--adapter", "carddav", "--url", radicale.url.rstrip("/") + href,
                  "--token-env", "CARDDAV_TOKEN")

    def vdirsyncer(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "vdirsyncer"), "-c", str(self.config), *args], env=self.env,
                              capture_output=True, text=True, timeout=120, input="y\n" * 5, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def rolo(self, *args: str, code: int = 0) -> str:
        done = subprocess.run([str(BIN / "rolo"), *args], env=self.env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == code, done.stdout + done.stderr
        return done.stdout

    def cards(self) -> dict[str, str]:
        """The vdir's cards by file name."""
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(self.vdir.glob("*.vcf"))}

    def card_with(self, text: str) -> Path:
        (found,) = [p for p in self.vdir.glob("*.vcf") if text in p.read_text(encoding="utf-8")]
        return found

    def contact(self, ref: str) -> dict:
        return json.loads(self.rolo("show", ref, "--json"))


@pytest.fixture
def sides(tmp_path: Path, radicale: RadicaleServer, addressbook: str) -> Sides:
    return Sides(tmp_path, radicale, addressbook)


def test_each_side_sees_the_others_changes(sides: Sides) -> None:
    sides.rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    sides.rolo("add", "--name", "Grace Hopper", "--email", "grace@example.com", "--phone", "work:+1 212 555 0100")
    sides.rolo("add", "--name", "Alan Turing", "--email", "alan@example.com")
    sides.rolo("sync", "phone")

    sides.vdirsyncer("sync")
    cards = sides.cards()
    assert len(cards) == 3
    assert "CATEGORIES:math" in sides.card_with("ada@example.com").read_text(encoding="utf-8")

    # vdirsyncer's side: an edit (with a property rolo does not model), a new card, a deletion
    grace = sides.card_with("grace@example.com")
    text = grace.read_text(encoding="utf-8").replace("Hopper", "Hopper-Murray")
    grace.write_text(text.replace("END:VCARD", "X-PHONETIC-LAST-NAME:hopper\r\nIMPP:xmpp:grace@example.com\r\nEND:VCARD"),
                     encoding="utf-8")
    (sides.vdir / "new-katherine.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:new-katherine\r\nFN:Katherine Johnson\r\nN:Johnson;Katherine;;;\r\n"
        "EMAIL;TYPE=INTERNET:katherine@example.com\r\nEND:VCARD\r\n", encoding="utf-8")
    sides.card_with("alan@example.com").unlink()
    sides.vdirsyncer("sync")

    out = sides.rolo("sync", "phone")
    assert "book 1 created, 1 updated, 1 deleted" in out, out
    assert sides.contact("grace@example.com")["family_name"] == "Hopper-Murray"
    assert sides.contact("katherine@example.com")["given_name"] == "Katherine"
    sides.rolo("show", "alan@example.com", code=1)

    # rolo's side: an edit of the card vdirsyncer changed; what rolo does not model stays on it
    sides.rolo("edit", "grace@example.com", "--set", "title=Rear Admiral")
    sides.rolo("sync", "phone")
    sides.vdirsyncer("sync")
    text = sides.card_with("grace@example.com").read_text(encoding="utf-8")
    assert "TITLE:Rear Admiral" in text and "Hopper-Murray" in text
    assert "X-PHONETIC-LAST-NAME:hopper" in text and "IMPP:xmpp:grace@example.com" in text
    assert sides.rolo("sync", "phone").strip() == "phone: book no changes; remote no changes"


def test_a_field_edited_on_both_sides_is_a_conflict_rolo_shows(sides: Sides) -> None:
    sides.rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    sides.rolo("sync", "phone")
    sides.vdirsyncer("sync")
    ada = sides.card_with("ada@example.com")
    ada.write_text(ada.read_text(encoding="utf-8").replace("END:VCARD", "TITLE:Countess\r\nEND:VCARD"),
                   encoding="utf-8")
    sides.vdirsyncer("sync")
    sides.rolo("edit", "ada@example.com", "--set", "title=Analyst")

    out = sides.rolo("sync", "phone")

    assert "1 conflicts" in out, out
    conflicts = json.loads(sides.rolo("conflicts", "--json"))
    assert [(c["field"], c["local"], c["remote_value"], c["kept"]) for c in conflicts] == [
        ("title", "Analyst", "Countess", "local")]
    sides.vdirsyncer("sync")
    assert "TITLE:Analyst" in sides.card_with("ada@example.com").read_text(encoding="utf-8")
