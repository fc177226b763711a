"""The sync scenarios (AdapterConformance) for RelayBook, over HTTP against the RelayBook emulator, in each of
the two designs it runs of the endpoints the seeds leave open (label objects or label names, and the bulk
path): the adapter finds out which one it talks to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rolo.adapters.conformance import REMOTE, AdapterConformance, person
from relaybook_support import RelayBookSide
from rolo.adapters.relaybook.emulator import BOOK_ID, DESIGNS, OTHER_TEAM_BOOK_ID, RelayBookEmulator
from rolo.core.config import load_config
from rolo.core.errors import AdapterAuthError
from rolo.core.plugins import new_plugin_manager
from rolo.core.record import AddressEntry, PhoneEntry, UrlEntry
from rolo.core.sync.api import SyncAPI


@pytest.fixture(scope="module", params=DESIGNS)
def relaybook_emulator_module(request: pytest.FixtureRequest) -> Iterator[RelayBookEmulator]:
    with RelayBookEmulator(design=request.param) as emulator:
        yield emulator


class TestRelayBook(AdapterConformance):
    @pytest.fixture
    def adapter_name(self) -> str:
        return "relaybook"

    @pytest.fixture
    def adapter_options(self) -> dict[str, str]:
        # the storms fail every 2nd or 3rd request, so a retry or two suffices; a remote down for good is
        # given up on after 3 s instead of a minute
        return {"book": BOOK_ID, "retry_attempts": "6", "retry_max_time": "3"}

    @pytest.fixture
    def remote_side(self, relaybook_emulator_module: RelayBookEmulator) -> Iterator[RelayBookSide]:
        relaybook_emulator_module.reset()
        yield RelayBookSide(relaybook_emulator_module)
        errors = list(relaybook_emulator_module.errors)
        relaybook_emulator_module.reset()
        assert not errors, "the emulator raised:\n" + "\n".join(errors)

    # -- RelayBook's own scenarios, on the same plumbing ------------------------------------------------------
    def test_a_pull_never_degrades_a_label(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com", phones=[
            PhoneEntry("+1 555 0100", None, "home", True), PhoneEntry("+1 555 0101", None, "mobile")],
            urls=[UrlEntry("https://ada.example", "work"), UrlEntry("https://x.com/ada", "twitter")]))
        sync()
        rid = remote_side.find_email("ada@example.com")
        stored = remote_side.store.get(rid)
        assert [p["label"] for p in stored["phones"]] == ["other", "mobile"]
        assert stored["website"] == "https://ada.example"
        assert stored["socials"] == [{"label": "x", "value": "https://x.com/ada"}]
        # a RelayBook user adds a phone: the whole list comes back to the book
        remote_side.store.update(rid, {"phones": [*stored["phones"], {"number": "+1 555 0102", "label": "work"}],
                                       "socials": [*stored["socials"], {"label": "github", "value": "https://gh/a"}]})

        report = sync()

        assert report.counts == {"local_updated": 1}, report.as_dict()
        ada = book.get("ada@example.com")
        assert [(p.number, p.label) for p in ada.phones] == [
            ("+1 555 0100", "home"), ("+1 555 0101", "mobile"), ("+1 555 0102", "work")]
        assert [(u.url, u.label) for u in ada.urls] == [
            ("https://ada.example", "work"), ("https://x.com/ada", "twitter"), ("https://gh/a", "github")]
        assert [p["label"] for p in remote_side.store.get(rid)["phones"]] == ["other", "mobile", "work"]
        assert sync().counts == {}
        # a RelayBook user relabels the `other` phone: their label is taken
        phones = remote_side.store.get(rid)["phones"]
        remote_side.store.update(rid, {"phones": [{**phones[0], "label": "mobile"}, *phones[1:]]})
        sync()
        assert [p.label for p in book.get("ada@example.com").phones] == ["mobile", "mobile", "work"]
        self.assert_in_step(book, config_file)

    def test_relaybooks_own_fields_round_trip(self, book, remote_side, sync, config_file):
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com", organization="Analytical Engines",
                        title="Analyst", birthday="--12-10", notes="Met at the Royal Society", starred=True,
                        addresses=[AddressEntry("home", street="12 St James's Sq", locality="London",
                                                postal_code="SW1Y 4JH", country="UK")],
                        urls=[UrlEntry("https://ada.example", None)]))
        sync()
        rid = remote_side.find_email("ada@example.com")
        stored = remote_side.store.get(rid)
        assert (stored["company"], stored["job_title"], stored["birthday"], stored["starred"]) == (
            "Analytical Engines", "Analyst", "1604-12-10", True)
        assert stored["addresses"] == [{"label": "home", "street": "12 St James's Sq", "city": "London",
                                        "state": None, "zip": "SW1Y 4JH", "country": "UK"}]
        remote_side.edit(rid, starred=False, notes="Wrote the first program", birthday="1815-12-10")

        assert sync().counts == {"local_updated": 1}

        ada = book.get("ada@example.com")
        assert (ada.starred, ada.notes, ada.birthday) == (False, "Wrote the first program", "1815-12-10")
        assert ada.addresses[0].label == "home" and ada.urls[0].url == "https://ada.example"
        self.assert_in_step(book, config_file)
        assert sync().counts == {}

    def test_a_book_the_key_cannot_reach_fails_the_run_without_retrying(self, book, remote_side, config_file):
        text = config_file.read_text(encoding="utf-8").replace(BOOK_ID, OTHER_TEAM_BOOK_ID)
        config_file.write_text(text, encoding="utf-8")
        book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
        with pytest.raises(AdapterAuthError, match="check --option book="):
            SyncAPI(book, load_config(config_file), new_plugin_manager()).sync_remote(REMOTE)
        # the first book-scoped request is refused and never retried (in the label-names design, the labels
        # listing is a 404 before the book is looked at: the contacts listing is the first refused)
        log = [(e.path, e.status) for e in remote_side.emulator.log]
        assert log[-1][1] == 403 and len(log) == len(set(log)) <= 2
