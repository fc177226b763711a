"""CardDAV's own behaviour, against the session's real Radicale (through the fault proxy): discovery, cards
kept whole across pull → edit → push, etags and 412s, incremental listing, servers without sync-collection,
auth and secrets."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from carddav_support import *  # noqa: F403
from rolo.adapters.carddav import CardDavAdapter
from rolo.adapters.carddav.client import CardDavClient, credentials, dav_http
from rolo.adapters.conformance import person
from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.errors import AdapterAuthError, RemoteRejected, UserError
from rolo.core.fields import FieldDefinition
from rolo.core.hookspecs import hookimpl
from rolo.core.plugins import new_plugin_manager
from rolo.core.sync import remotes
from rolo.core.sync.api import SyncAPI

TOKEN_ENV = "ROLO_TEST_CARDDAV_TOKEN"


@pytest.fixture
def book(tmp_path: Path) -> Book:  # type: ignore[misc]
    with Book(str(tmp_path / "book.db"), region="US") as opened:
        yield opened


def configure(rolo_home: Path, url: str, token: str, monkeypatch: pytest.MonkeyPatch, full_every: str = "0",
              **options: str) -> Path:
    path = rolo_home / "rolo.toml"
    path.write_text('default_region = "US"\n', encoding="utf-8")
    remotes.add_remote(path, remotes.Remote("phone", "carddav", url, token_env=TOKEN_ENV, full_every=full_every,
                                            options={"retry_backoff": "0.01", **options}, timeout=10), replace=True)
    monkeypatch.setenv(TOKEN_ENV, token)
    return path


@pytest.fixture
def config_file(rolo_home: Path, carddav_side: CardDavSide, monkeypatch: pytest.MonkeyPatch) -> Path:
    return configure(rolo_home, carddav_side.url, carddav_side.api_key, monkeypatch)


def sync(book: Book, config_file: Path, pm: Any = None, **options: Any) -> Any:
    return SyncAPI(book, load_config(config_file), pm or new_plugin_manager()).sync_remote("phone", **options)


def adapter_for(side: CardDavSide, **options: str) -> CardDavAdapter:
    return CardDavAdapter(httpx.Client(timeout=10), url=side.url, token=side.api_key,
                          options={"retry_backoff": "0.01", **options}, remote="phone")


# -- discovery -------------------------------------------------------------------------------------------------
def test_discovery_from_the_server_root_or_the_well_known_url(radicale: RadicaleServer, addressbook: str) -> None:
    for start in ("/", "/.well-known/carddav"):
        with httpx.Client(timeout=10) as client:
            dav = CardDavClient(dav_http(client, base_url=radicale.url, token=radicale.api_key), start)
            found = {b.href for b in dav.discover()}
        assert addressbook in found, start


def test_a_home_on_another_host_of_the_domain_is_followed_and_a_foreign_one_is_not(
        radicale: RadicaleServer, fault_proxy: FaultProxy, addressbook: str, book: Book, rolo_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    fault_proxy.calm()
    direct = radicale.url.rstrip("/")  # the same host on another port: where the proxy says the home is
    fault_proxy.home_elsewhere = direct
    with httpx.Client(timeout=10) as client:
        found = {b.href for b in CardDavClient(dav_http(client, base_url=fault_proxy.url, token=radicale.api_key),
                                               "/").discover()}
        assert direct + addressbook in found
        fault_proxy.home_elsewhere = "http://localhost:1"  # another host name: never given the password
        assert CardDavClient(dav_http(client, base_url=fault_proxy.url, token=radicale.api_key), "/").discover() == []
    fault_proxy.calm()
    config = configure(rolo_home, fault_proxy.url, radicale.api_key, monkeypatch, addressbook=direct + addressbook)
    book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
    assert sync(book, config).counts == {"remote_created": 1}
    assert sync(book, config).counts == {}
    (href,) = [link.remote_id for link in book.sync_state.links("phone")]
    assert href.startswith(direct + addressbook)


@pytest.mark.parametrize(("here", "there", "trusted"), [
    ("contacts.icloud.com", "p42-contacts.icloud.com", True),
    ("dav.example.com", "dav.example.com", True),
    ("example.com", "dav.example.com", True),
    ("dav.example.co.uk", "evil.co.uk", False),
    ("contacts.icloud.com", "icloud.com.evil.example", False),
    ("127.0.0.1", "127.0.0.2", False),
    ("localhost", "127.0.0.1", False),
])
def test_which_hosts_discovery_may_follow(here: str, there: str, trusted: bool) -> None:
    from rolo.adapters.carddav.client import _same_domain

    assert _same_domain(here, there) is trusted


def test_several_address_books_must_be_chosen_and_remote_test_lists_them(
        radicale: RadicaleServer, addressbook: str, rolo_home: Path, monkeypatch: pytest.MonkeyPatch,
        book: Book) -> None:
    radicale.make_addressbook("second-" + addressbook.strip("/").rsplit("/", 1)[-1])  # not alone, whatever ran before
    config = configure(rolo_home, radicale.url, radicale.api_key, monkeypatch)
    with pytest.raises(UserError, match="address books found") as caught:
        sync(book, config)
    assert addressbook in str(caught.value) and radicale.password not in str(caught.value)

    config = configure(rolo_home, radicale.url, radicale.api_key, monkeypatch, addressbook=addressbook)
    api = SyncAPI(book, load_config(config), new_plugin_manager())
    facts = api.test_remote("phone").as_dict()
    assert addressbook in json.dumps(facts) and radicale.password not in json.dumps(facts)
    book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
    assert sync(book, config).counts == {"remote_created": 1}


# -- cards kept whole ------------------------------------------------------------------------------------------
PHOTO = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(40))).decode()
RICH = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\nUID:rich-1\r\n"
    "FN:Katherine Johnson\r\nN:Johnson;Katherine;;;\r\nEMAIL;TYPE=INTERNET,HOME,pref:kj@example.com\r\n"
    "item1.TEL:+1 757 555 0100\r\nitem1.X-ABLabel:Langley\r\n"
    "X-SOCIALPROFILE;type=twitter:https://twitter.com/kj\r\nIMPP;X-SERVICE-TYPE=Skype:skype:kjohnson\r\n"
    "X-PHONETIC-FIRST-NAME:Kath\r\nitem2.X-ABDATE;type=pref:1939-11-25\r\nitem2.X-ABLabel:_$!<Anniversary>!$_\r\n"
    f"PHOTO;ENCODING=b;TYPE=PNG:{PHOTO}\r\nEND:VCARD\r\n"
)


def test_what_rolo_does_not_model_survives_pull_edit_push(book, carddav_side, config_file) -> None:
    href = carddav_side.href + "rich-1.vcf"
    carddav_side.put_text(href, RICH)
    assert sync(book, config_file).counts == {"local_created": 1}

    book.update("kj@example.com", lambda c: dataclasses.replace(c, title="Mathematician", labels=["NASA"]))
    assert sync(book, config_file).counts == {"remote_updated": 1}

    card = carddav_side.card(href)
    assert card.title.value == "Mathematician" and card.categories.value == ["NASA"]
    assert card.uid.value == "rich-1"
    assert card.x_socialprofile.value == "https://twitter.com/kj"
    assert card.impp.value == "skype:kjohnson" and card.x_phonetic_first_name.value == "Kath"
    assert [d.value for d in card.contents["x-abdate"]] == ["1939-11-25"]
    labels = {line.group: line.value for line in card.contents["x-ablabel"]}
    assert "_$!<Anniversary>!$_" in labels.values() and "Langley" in labels.values()
    assert card.photo.value.startswith(b"\x89PNG")
    assert sync(book, config_file).counts == {}


# -- etags, 412 ------------------------------------------------------------------------------------------------
class RacingPhone:
    """A plugin that changes the card on the server (as a phone would) while rolo is about to push it."""

    def __init__(self, side: CardDavSide, href: str) -> None:
        self.side, self.href = side, href

    @hookimpl
    def before_push(self, remote: str, record: dict[str, Any]) -> None:
        self.side.edit(self.href, organization="Phone Co")


def test_a_card_changed_while_rolo_pushes_is_never_overwritten(book, carddav_side, config_file) -> None:
    book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
    sync(book, config_file)
    href = carddav_side.find_email("ada@example.com")
    book.update("ada@example.com", lambda c: dataclasses.replace(c, title="Countess"))
    pm = new_plugin_manager()
    pm.register(RacingPhone(carddav_side, href))

    report = sync(book, config_file, pm)

    assert report.exit_code == 3 and [s["code"] for s in report.skipped] == ["conflict"], report.as_dict()
    card = carddav_side.card(href)
    assert card.org.value == ["Phone Co"] and "title" not in card.contents  # the phone's write stands
    # the next sync lists the phone's change and merges both three-way
    report = sync(book, config_file)
    assert report.counts == {"local_updated": 1, "remote_updated": 1}, report.as_dict()
    card = carddav_side.card(href)
    assert (card.org.value, card.title.value) == (["Phone Co"], "Countess")
    assert book.get("ada@example.com").organization == "Phone Co"


def test_update_and_delete_from_a_stale_view_raise_conflict(carddav_side) -> None:
    href = carddav_side.add("Ada", "Lovelace", "ada@example.com")
    adapter = adapter_for(carddav_side)
    (seen,) = adapter.list_changes(None).records
    carddav_side.edit(href, family_name="King")
    changed = {**seen.data, "title": "Countess"}
    with pytest.raises(RemoteRejected) as caught:
        adapter.update(href, changed, changed=frozenset({"title"}), previous=seen.data)
    assert (caught.value.status, caught.value.code) == (412, "conflict")
    with pytest.raises(RemoteRejected, match="changed on the server"):
        adapter.delete(href)
    assert carddav_side.card(href).n.value.family == "King"


def test_a_replayed_create_meets_its_own_card(carddav_side) -> None:
    adapter = adapter_for(carddav_side)
    data = {"given_name": "Ada", "family_name": "Lovelace",
            "emails": [{"address": "ada@example.com", "label": None, "primary": True}]}
    first = adapter.create(data, idempotency_key="rolo-key-1")
    again = adapter_for(carddav_side).create(data, idempotency_key="rolo-key-1")
    assert again.id == first.id and carddav_side.hrefs() == [first.id]
    with pytest.raises(RemoteRejected, match="different card"):
        adapter_for(carddav_side).create({**data, "given_name": "Grace"}, idempotency_key="rolo-key-1")


# -- listing ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("full_every", ["0", "1d"], ids=["complete-listings", "incremental"])
def test_a_sync_fetches_only_the_cards_that_changed(book, carddav_side, rolo_home, monkeypatch, fault_proxy,
                                                   full_every) -> None:
    config_file = configure(rolo_home, carddav_side.url, carddav_side.api_key, monkeypatch, full_every)
    for i in range(120):
        book.add(person(f"u{i}", "Person", str(i), f"p{i}@example.com"))
    sync(book, config_file)
    for _ in range(2):  # right after the push (the listing names every card just written), and again
        fault_proxy.calm()
        assert sync(book, config_file).counts == {}
        assert [m for m, _, _ in fault_proxy.requests] == ["PROPFIND", "REPORT"]  # the collection, its cards
    carddav_side.edit(carddav_side.find_email("p3@example.com"), family_name="Three")
    fault_proxy.calm()
    assert sync(book, config_file).counts == {"local_updated": 1}
    assert [m for m, _, _ in fault_proxy.requests] == ["PROPFIND", "REPORT", "REPORT"]  # + one multiget (1 card)
    book.update("p5@example.com", lambda c: dataclasses.replace(c, title="Edited"))  # a card the run must read
    fault_proxy.calm()
    assert sync(book, config_file).counts == {"remote_updated": 1}
    assert sync(book, config_file).counts == {}


def test_a_server_without_sync_collection_is_listed_with_propfind(book, carddav_side, config_file,
                                                                  fault_proxy) -> None:
    fault_proxy.no_sync_collection = True
    book.add(person("u1", "Ada", "Lovelace", "ada@example.com"))
    alan = carddav_side.add("Alan", "Turing", "alan@example.com")
    assert sync(book, config_file).counts == {"local_created": 1, "remote_created": 1}
    carddav_side.remove(alan)
    assert sync(book, config_file).counts == {"local_deleted": 1}
    assert not any(status == 501 for _, _, status in fault_proxy.requests)  # it never asked for the report
    assert book.sync_state.remote_state("phone")["bookmark"] is None


def test_a_forgotten_sync_token_means_a_complete_listing(carddav_side) -> None:
    carddav_side.add("Ada", "Lovelace", "ada@example.com")
    adapter = adapter_for(carddav_side)
    first = adapter.list_changes(None)
    stale = json.loads(first.bookmark or "{}")
    stale["token"] = "http://radicale.org/ns/sync/forgotten"
    changes = adapter_for(carddav_side).list_changes(json.dumps(stale))
    assert changes.complete and len(changes.records) == 1 and changes.bookmark


def test_a_listing_cut_short_fails_the_run_and_deletes_nothing(book, carddav_side, config_file,
                                                               fault_proxy) -> None:
    for i in range(3):
        book.add(person(f"u{i}", "Person", str(i), f"p{i}@example.com"))
    sync(book, config_file)
    fault_proxy.cut_sync_collection = True
    with pytest.raises(RemoteRejected, match="cutting its sync-collection answer short"):
        sync(book, config_file)
    fault_proxy.cut_sync_collection = False
    assert len(book.contacts()) == 3 and sync(book, config_file).counts == {}


# -- auth and secrets ------------------------------------------------------------------------------------------
def test_a_wrong_password_is_one_auth_error_without_the_secret(book, carddav_side, rolo_home, monkeypatch) -> None:
    config = configure(rolo_home, carddav_side.url, "rolo:not-the-password", monkeypatch)
    with pytest.raises(AdapterAuthError) as caught:
        sync(book, config)
    message = str(caught.value)
    assert "401" in message and "not-the-password" not in message and "\n" not in message


def test_credentials_basic_and_bearer() -> None:
    header, secrets = credentials("s3cret", auth="basic", username="ada")
    assert header == {"Authorization": "Basic " + base64.b64encode(b"ada:s3cret").decode()}
    assert "s3cret" in secrets and header["Authorization"].split()[1] in secrets
    assert credentials("ada:pa:ss", auth="basic", username=None)[0] == {
        "Authorization": "Basic " + base64.b64encode(b"ada:pa:ss").decode()}
    assert credentials("tok", auth="bearer", username=None)[0] == {"Authorization": "Bearer tok"}
    with pytest.raises(UserError, match="user name"):
        credentials("no-colon", auth="basic", username=None)


def test_the_username_option_and_vcard_4(book, carddav_side, rolo_home, monkeypatch, radicale) -> None:
    config = configure(rolo_home, carddav_side.url, radicale.password, monkeypatch, username="rolo",
                       vcard_version="4.0")
    book.add(person("u1", "Ada", "Lovelace", "ada@example.com", birthday="--12-10"))
    assert sync(book, config).counts == {"remote_created": 1}
    text = carddav_side.text(carddav_side.find_email("ada@example.com"))
    assert "VERSION:4.0" in text and "BDAY:--1210" in text
    assert sync(book, config).counts == {}


# -- private fields ---------------------------------------------------------------------------------------------
def test_a_private_field_never_reaches_the_address_book(book, carddav_side, config_file) -> None:
    """`rolo field define --local` (issue 13): the card written to the server has the ordinary field and not
    the private one, nor does the address book learn the private field's definition."""
    book.define_field(FieldDefinition("tier", "text"))
    book.define_field(FieldDefinition("salary", "number", local_only=True))
    record = person("p1", "Ada", "Lovelace", "ada@example.com")
    record.custom_fields = {"tier": "close", "salary": 120000}
    book.add(record)
    assert sync(book, config_file).counts == {"remote_created": 1}
    (href,) = carddav_side.hrefs()
    text = carddav_side.text(href)
    assert "X-TIER:close" in text and "SALARY" not in text.upper() and "120000" not in text
    everything = carddav_side.http.request("PROPFIND", carddav_side.href, headers={"Depth": "0"}).text
    assert "salary" not in everything.lower()
    assert sync(book, config_file).counts == {}  # nothing left to send, nothing cleared
    assert book.get("p1").custom_fields == {"salary": 120000, "tier": "close"}
