"""A custom field pulled from Relm takes the field's display label, not its key: a field one book defines as
`Tier` reaches the next book as `Tier` (over HTTP against the Relm emulator, through the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Rolo
from rolo.adapters.relm.emulator import RelmEmulator
from rolo.adapters.relm.mapping import book_definition, field_name, to_book


@pytest.mark.parametrize(
    ("key", "label", "name"),
    [
        ("tier", "Tier", "Tier"),
        ("lead_source", "Lead Source", "Lead_Source"),
        ("notes_long", "notes-long", "notes-long"),
        ("rolo_list_langs", "Langs", "Langs"),
        ("acct", "Account", "acct"),
        ("a_b", "9 b", "a_b"),
        ("tier", None, "tier"),
    ],
    ids=["case", "spaces", "dash", "list", "another-name", "invalid-name", "no-label"],
)
def test_a_field_is_named_by_its_label_when_the_label_spells_its_key(key: str, label: str | None,
                                                                     name: str) -> None:
    spec = {"key": key, "label": label, "type": "text"}
    assert field_name(key, spec) == name
    assert book_definition(spec).name == name
    contact = {"first_name": "Ada", "metadata": {key: "x"}}
    assert list(to_book(contact, company_name=None, schema={key: spec})["custom_fields"]) == [name]


def test_a_field_defined_as_tier_in_one_book_arrives_as_tier_in_the_next(
    tmp_path: Path, relm: RelmEmulator, rolo: Rolo
) -> None:
    rolo("field", "define", "Tier", "--type", "select", "--option", "close", "--option", "friend")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--field", "Tier=close")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    rolo("sync")
    (field,) = [f for f in relm.store.records("field") if f["key"] == "tier"]
    assert field["label"] == "Tier"

    other = Rolo(tmp_path / "other.db")  # a fresh book, on the same remote (the config is ROLO_HOME's)
    other("init")
    assert "book 1 created" in other("sync").stdout

    assert other.json("field", "list") == [
        {"name": "Tier", "type": "select", "options": ["close", "friend"], "multiple": False, "local_only": False}]
    assert other.json("show", "ada@example.com")["custom_fields"] == {"Tier": "close"}
    assert "book no changes; remote no changes" in other("sync").stdout
    assert "book no changes; remote no changes" in rolo("sync").stdout  # the first book sees no rename
