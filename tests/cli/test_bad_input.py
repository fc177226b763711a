"""Bad input is one line `Error: …`, exit 1, nothing changed (issue 11): cases found by trying commands as a
new user would."""

from __future__ import annotations


def test_field_unset_of_an_undefined_field_is_an_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert rolo.fails("field", "unset", "ada@example.com", "nosuch") == (
        "Error: no custom field named 'nosuch' (hint: rolo field list shows the fields)")
    assert rolo.json("history")[0]["ops"] == {"created": 1}  # nothing written


def test_field_unset_of_a_field_the_contact_does_not_have_says_so(rolo):
    rolo("field", "define", "tier", "--type", "text")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert "tier was not set (nothing changed)" in rolo("field", "unset", "ada@example.com", "TIER").stdout
