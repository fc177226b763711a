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


def test_export_of_a_label_nobody_has_is_an_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    assert rolo.fails("export", "--label", "nosuch") == (
        "Error: no label named 'nosuch' (hint: rolo label list shows the labels)")
    assert "Ada Lovelace" in rolo("export", "--label", "MATH").stdout


def test_import_of_something_that_is_no_file(rolo):
    assert rolo.fails("import", "/dev/null") == (
        "Error: /dev/null: not a file or folder (rolo imports .vcf files and folders of them)")


def test_emulate_on_a_port_out_of_range_or_taken(rolo):
    import socket

    assert "99999 is not in the range 0<=x<=65535" in rolo("emulate", "relm", "--port", "99999", ok=False).stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = rolo.fails("emulate", "relm", "--port", str(port))
    assert error.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ") and "choose another --port" in error


def test_a_missing_token_variable_is_named(rolo, relm, monkeypatch):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "MY_RELM_TOKEN")
    monkeypatch.delenv("MY_RELM_TOKEN", raising=False)
    assert rolo.fails("sync").startswith("Error: work: the token variable MY_RELM_TOKEN is not set")
