"""`rolo dupes` groups contacts that match each other directly, never through a chain, and a shared office
address or number does not make clearly different people duplicates (issue 11)."""

from __future__ import annotations


def _groups(rolo) -> set[tuple[str, ...]]:
    return {tuple(sorted(c["formatted_name"] for c in g["contacts"])) for g in rolo.json("dupes")}


def test_a_shared_office_email_does_not_make_colleagues_duplicates(rolo):
    for name in ("Alice Martin", "Bob Jones", "Chen Wei"):
        rolo("add", "--name", name, "--email", "info@northwind.example", "--phone", "+1 415 555 0100")
    rolo("add", "--email", "info@northwind.example")  # no name: nothing says it is someone else
    groups = rolo.json("dupes")
    assert {tuple(sorted(c["formatted_name"] for c in g["contacts"])) for g in groups} == {
        ("Alice Martin", "info@northwind.example"), ("Bob Jones", "info@northwind.example"),
        ("Chen Wei", "info@northwind.example")}
    assert all(g["reasons"] == ["same email info@northwind.example"] for g in groups)
    assert "3 groups of likely duplicates" in rolo("dupes").stdout


def test_groups_are_not_chains(rolo):
    # A ~ B: one email; B ~ C: similar names at one organization; A and C match in nothing
    rolo("add", "--name", "Jon Smith", "--email", "js@acme.example")
    rolo("add", "--name", "Jonathan Smith", "--email", "js@acme.example", "--org", "Northwind")
    rolo("add", "--name", "Jonathon Smyth", "--org", "Northwind")
    groups = rolo.json("dupes")
    assert _groups(rolo) == {("Jon Smith", "Jonathan Smith"), ("Jonathan Smith", "Jonathon Smyth")}
    by_names = {tuple(sorted(c["formatted_name"] for c in g["contacts"])): g for g in groups}
    assert by_names[("Jonathan Smith", "Jonathon Smyth")]["reasons"] == [
        "similar names (86) and same organization Northwind"]
    assert set(groups[0]) == {"contacts", "reasons", "score"}  # the JSON shape is kept
    assert groups[0]["score"] == 1.0 and groups[1]["score"] < 1.0


def test_a_group_holds_contacts_that_all_match(rolo):
    # three cards of one person: every pair shares an email or a number
    rolo("add", "--name", "Ana Ferreira", "--email", "ana@northwind.example", "--phone", "+55 11 96120-3847")
    rolo("add", "--name", "Ana Luísa Ferreira", "--email", "ANA@northwind.example")
    rolo("add", "--name", "A. Ferreira", "--email", "ana@northwind.example", "--phone", "+55 (11) 961203847")
    (group,) = rolo.json("dupes")
    assert len(group["contacts"]) == 3 and group["score"] == 1.0
    assert group["reasons"][:2] == ["same email ana@northwind.example", "same phone +5511961203847"]


def test_a_new_family_name_still_matches_by_a_shared_address(rolo):
    rolo("add", "--name", "Ada Byron", "--email", "ada@home.example")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@home.example")
    rolo("add", "--name", "Grace Hopper", "--phone", "+1 415 555 0199")
    rolo("add", "--name", "Howard Aiken", "--phone", "(415) 555-0199")  # one office line, two people
    assert _groups(rolo) == {("Ada Byron", "Ada Lovelace")}


def test_dupes_on_a_book_with_no_duplicates(rolo):
    rolo("add", "--name", "Ada Lovelace")
    assert rolo.json("dupes") == []
    assert "0 groups of likely duplicates" in rolo("dupes").stdout
