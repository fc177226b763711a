"""Silent nonsense (issue 11): options that used to answer nothing, or the wrong thing, without a word now
say what is wrong in one line. (`birthdays --within 0`: tests/cli/test_lookup.py.)"""

from __future__ import annotations


def test_list_of_a_label_nobody_has_is_an_error_not_an_empty_list(rolo):
    rolo("add", "--name", "Ann Lee", "--label", "Book Club")
    assert [c["formatted_name"] for c in rolo.json("list", "--label", "book club")] == ["Ann Lee"]
    assert rolo.fails("list", "--label", "book clubs") == (
        "Error: no label named 'book clubs' (hint: rolo label list shows the labels)")
    result = rolo("list", "--label", "nosuch", "--json", ok=False)
    assert result.exit_code == 1 and result.stdout == ""


def test_sync_pull_only_with_push_only_is_a_usage_error(rolo, relm):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    assert "choose one of --pull-only and --push-only" in rolo.fails("sync", "--pull-only", "--push-only", code=2)
    assert relm.store.contacts() == []


def test_conflicts_of_a_remote_that_does_not_exist_is_an_error_not_none(rolo, relm):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY")
    assert rolo("conflicts", "--remote", "work").stdout.strip() == "no conflicts"
    assert rolo.json("conflicts", "--remote", "import") == []
    assert rolo.fails("conflicts", "--remote", "wrok").startswith("Error: no remote named 'wrok' (configured: work)")


def test_show_vcard_version_without_vcard_is_a_usage_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert "--vcard-version goes with --vcard" in rolo.fails("show", "ada@example.com", "--vcard-version", "4.0",
                                                             code=2)
    assert "VERSION:4.0" in rolo("show", "ada@example.com", "--vcard", "--vcard-version", "4.0").stdout


def test_rm_in_a_script_without_yes_or_an_answer_deletes_nothing_in_one_line(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert rolo.fails("rm", "ada@example.com", input="") == (
        "Error: not deleted (hint: --yes deletes without asking)")
    assert len(rolo.json("list")) == 1


def test_trash_empty_in_a_script_without_yes_purges_nothing_in_one_line(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("rm", "ada@example.com", "--yes")
    assert rolo.fails("trash", "empty", input="") == "Error: nothing purged (hint: --yes purges without asking)"
    assert len(rolo.json("trash")) == 1


def test_add_with_only_a_blank_name_is_refused(rolo):
    rolo("init")
    assert "give at least --name" in rolo.fails("add", "--name", "   ", code=2)
    assert "give at least --name" in rolo.fails("add", "--given", "", "--org", " ", code=2)
    assert rolo.json("list") == []
    assert rolo.json("add", "--name", " ", "--org", "Analytical Engines")["organization"] == "Analytical Engines"


def test_a_mistyped_search_qualifier_is_named_with_what_was_meant(rolo):
    rolo("add", "--name", "Ann Lee", "--email", "ann@example.com")
    rolo("field", "define", "favourite_colour", "--type", "text")
    typo = rolo("search", "emial:ann", "--json")
    assert typo.stderr.strip() == ("note: emial: is neither a qualifier nor a custom field, so it was searched as "
                                   "plain words (did you mean email:?)")
    assert "did you mean favourite_colour:?" in rolo("search", "favorite_colour:red").stderr
    assert "rolo search --help lists the qualifiers" in rolo("search", "zz:top").stderr
    # qualifiers, custom fields, URLs and times say nothing
    for quiet in ("email:ann", "favourite_colour:red", "https://example.com", "10:30", "Tel:555"):
        assert rolo("search", quiet).stderr == "", quiet
    assert [c["formatted_name"] for c in rolo.json("search", "email:ann")] == ["Ann Lee"]
