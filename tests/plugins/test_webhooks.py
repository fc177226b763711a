"""Webhooks (`rolo serve-webhooks`, the daemon's `webhooks` service): the emulators send real signed
deliveries over HTTP to a real server on 127.0.0.1, and the book pulls what they name.

The four cases the issue names are driven by hand with httpx against the running server: a valid delivery, a
wrongly signed one, an expired one and a replayed one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rolo.adapters.relaybook.emulator import RelayBookEmulator
from rolo.core.book import Book
from rolo.core.config import load_config
from rolo.core.sync.api import SyncAPI
from rolo.core.sync.webhooks import WebhookRejected, verify_signature
from rolo.plugins import webhooks as plugin
from rolo.plugins.webhooks import receiver as receiver_module

SECRET_ENV = "ROLO_TEST_WHSEC"
ROLO = str(Path(sys.executable).with_name("rolo"))


def sign(secret: str, stamp: int, body: bytes) -> str:
    """Relm's documented signature, written out independently of rolo's code."""
    return hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()


class Served:
    """A webhook server of the plugin's, running in threads on 127.0.0.1 against the test's book."""

    def __init__(self, book_path: Path, names: tuple[str, ...] = (), port: int = 0) -> None:
        self.lines: list[str] = []
        self.book = Book(str(book_path))
        self.api = SyncAPI(self.book, load_config())
        server = plugin.start(self.api, self.api.config, self.lines.append, port=port, names=names)
        assert server is not None
        self.server = server
        self.stop = threading.Event()
        self.thread = threading.Thread(target=server.serve_until, args=(self.stop,), daemon=True)
        self.thread.start()

    @property
    def receiver(self) -> receiver_module.Receiver:
        return self.server.receiver

    def url(self, name: str) -> str:
        return f"{self.server.url}/hooks/{name}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
        self.book.close()


@pytest.fixture
def relm_remote(rolo, relm, monkeypatch) -> tuple[str, str]:
    """Remote `work` on the Relm emulator, synced once, with a webhook endpoint whose secret is in the env.
    Returns (endpoint id, secret); the endpoint's URL is set once the server runs (`point`)."""
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY",
         "--webhook-secret-env", SECRET_ENV)
    rolo("sync", "work")
    hook = relm.store.create_webhook({"url": "http://127.0.0.1:9/unset", "event_types": ["*"]})
    monkeypatch.setenv(SECRET_ENV, hook["secret"])
    return hook["id"], hook["secret"]


@pytest.fixture
def served(relm_remote, relm, book_path) -> Iterator[Served]:
    running = Served(book_path)
    relm.store.update_webhook(relm_remote[0], {"url": running.url("work")})
    yield running
    running.close()


def settle(relm, served: Served, pulls: int) -> None:
    assert relm.wait_for_webhooks()
    assert served.receiver.wait_idle(pulls), served.lines


def names(rolo) -> list[str]:
    return sorted(c["formatted_name"] for c in rolo.json("list"))


def test_a_remote_change_reaches_the_book_without_a_sync(rolo, relm, served):
    """Created, updated and deleted on Relm: each is in the book as soon as its webhook is delivered."""
    grace = relm.store.create_contact(first_name="Grace", last_name="Hopper", email="grace@example.com")
    settle(relm, served, 1)
    assert names(rolo) == ["Ada Lovelace", "Grace Hopper"]
    relm.store.update_contact(grace["id"], last_name="Brewster Hopper")
    settle(relm, served, 2)
    assert names(rolo) == ["Ada Lovelace", "Grace Brewster Hopper"]
    relm.store.delete_contact(grace["id"])
    settle(relm, served, 3)
    assert names(rolo) == ["Ada Lovelace"]
    assert any("work: created" in line and "book created 1" in line for line in served.lines), served.lines
    # the pulls are the sync engine's: the journal has them, and the next sync has nothing left to do
    assert rolo.json("sync", "work")["counts"] == {}


def test_a_pull_keeps_what_the_user_changed_meanwhile(rolo, relm, served):
    """A contact changed in the book and on Relm: the webhook's pull records a conflict, never overwrites."""
    (ada,) = relm.store.contacts()
    rolo("edit", "Ada Lovelace", "--set", "title=Countess")
    relm.store.update_contact(ada["id"], first_name="Augusta Ada")
    settle(relm, served, 1)
    shown = rolo.json("show", "ada@example.com")
    assert shown["title"] == "Countess"  # the user's edit stays
    assert shown["given_name"] == "Augusta Ada"  # the remote's change to another field is taken


def deliver(served: Served, name: str, body: bytes, signature: str) -> httpx.Response:
    return httpx.post(served.url(name), content=body,
                      headers={"Content-Type": "application/json", "relm-signature": signature})


def event_for(relm_id: str, action: str = "updated") -> bytes:
    return json.dumps({"id": "evt_test", "object": "event", "type": f"contact.{action}",
                       "data": {"object": {"id": relm_id}}}).encode()


def test_signed_wrong_expired_and_replayed_deliveries(rolo, relm, served, relm_remote):
    """A valid delivery is accepted; a wrong signature, an expired one and the same delivery again are
    refused with 401, logged, and pull nothing. Neither the secret nor the signature is ever echoed."""
    _, secret = relm_remote
    grace = relm.store.create_contact(first_name="Grace", email="grace@example.com")
    settle(relm, served, 1)
    pulls = served.receiver.pulls
    body = event_for(grace["id"])
    now = int(time.time())

    valid = deliver(served, "work", body, f"t={now},v1={sign(secret, now, body)}")
    assert valid.status_code == 202
    assert valid.json() == {"accepted": [{"id": grace["id"], "action": "updated"}]}
    assert served.receiver.wait_idle(pulls + 1)

    wrong = deliver(served, "work", body, f"t={now},v1={sign('whsec_not_the_secret', now, body)}")
    old = now - 301
    expired = deliver(served, "work", body, f"t={old},v1={sign(secret, old, body)}")
    replayed = deliver(served, "work", body, f"t={now},v1={sign(secret, now, body)}")
    tampered = deliver(served, "work", event_for("con_other"), f"t={now},v1={sign(secret, now, body)}")
    unsigned = httpx.post(served.url("work"), content=body)
    for answer, says in ((wrong, "does not match"), (expired, "expired"), (replayed, "replay"),
                         (tampered, "does not match"), (unsigned, "no relm-signature header")):
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["code"] == "unauthorized"
        assert says in answer.json()["error"]["message"]
    time.sleep(0.3)
    assert served.receiver.pulls == pulls + 1  # nothing refused was pulled
    refused = [line for line in served.lines if "refused a delivery" in line]
    assert len(refused) == 5
    everything = "\n".join(served.lines) + "".join(a.text for a in (valid, wrong, expired, replayed))
    assert secret not in everything and sign(secret, now, body) not in everything


def test_bad_requests_are_answered_clearly(served, relm_remote):
    _, secret = relm_remote
    now = int(time.time())
    not_json = b"hello"
    answer = deliver(served, "work", not_json, f"t={now},v1={sign(secret, now, not_json)}")
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_event")
    assert deliver(served, "nobody", b"{}", "t=1,v1=00").status_code == 404
    assert httpx.get(f"{served.server.url}/").json() == {"endpoints": {"work": "/hooks/work"}}
    assert httpx.put(served.url("work"), content=b"{}").status_code == 405
    other = json.dumps({"id": "evt_x", "type": "deal.updated", "data": {"object": {"id": "deal_1"}}}).encode()
    ignored = deliver(served, "work", other, f"t={now},v1={sign(secret, now, other)}")
    assert (ignored.status_code, ignored.json()) == (202, {"accepted": []})


def test_a_failed_pull_is_tried_again(rolo, relm, served, monkeypatch):
    """The remote is down when the event comes: the records stay queued and are pulled once it is back."""
    monkeypatch.setattr(receiver_module, "RETRY_FIRST", 0.2)
    relm.revoke_api_key(relm.api_key)
    relm.store.create_contact(first_name="Grace", email="grace@example.com")
    assert relm.wait_for_webhooks()
    deadline = time.monotonic() + 10
    while not any("failed" in line for line in served.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("Error: webhooks: work: pulling created" in line for line in served.lines), served.lines
    relm.add_api_key(relm.api_key)
    deadline = time.monotonic() + 10
    while "Grace" not in names(rolo) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert names(rolo) == ["Ada Lovelace", "Grace"]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_relaybook_events_are_pulled_and_other_books_ignored(rolo, book_path, monkeypatch):
    from rolo.adapters.relaybook.emulator import SECOND_BOOK_ID

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with RelayBookEmulator() as relaybook:
        monkeypatch.setenv("RLB_KEY", relaybook.api_key)
        rolo("remote", "add", "team", "--adapter", "relaybook", "--url", relaybook.url, "--token-env", "RLB_KEY",
             "--option", f"book={relaybook.book_id}", "--webhook-secret-env", SECRET_ENV)
        rolo("sync", "team")
        port = free_port()
        # RelayBook's endpoints are set up in its web app, which shows the secret to paste into the env
        monkeypatch.setenv(SECRET_ENV, relaybook.store.subscribe_webhook(f"http://127.0.0.1:{port}/hooks/team"))
        served = Served(book_path, port=port)
        try:
            made = relaybook.store.create_contact(first_name="Linus", last_name="Pauling", company="Caltech")
            relaybook.store.create_contact(SECOND_BOOK_ID, first_name="Not", last_name="Ours")
            assert relaybook.wait_for_webhooks()
            assert served.receiver.wait_idle(1), served.lines
            assert names(rolo) == ["Linus Pauling"]
            relaybook.store.delete_contact(made["id"])
            assert relaybook.wait_for_webhooks()
            assert served.receiver.wait_idle(2), served.lines
            assert names(rolo) == []
            assert served.receiver.pulls == 2  # the other book's event pulled nothing
        finally:
            served.close()


def test_remote_settings_name_the_secret_variable_never_the_secret(rolo, relm, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "whsec_do_not_print_me")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY",
         "--webhook-secret-env", SECRET_ENV)
    shown = rolo("remote", "show", "work", "--json").stdout
    assert json.loads(shown)["webhook_secret"] == f"env {SECRET_ENV}"
    assert "whsec_do_not_print_me" not in shown
    error = rolo.fails("remote", "add", "dav", "--adapter", "carddav", "--url", "http://127.0.0.1:9/",
                       "--webhook-secret-env", SECRET_ENV)
    assert "receives no webhooks" in error
    error = rolo.fails("remote", "add", "w2", "--adapter", "relm", "--url", relm.url,
                       "--webhook-secret-env", "whsec_pasted_the_value_by_mistake")
    assert "environment variable's name" in error and "whsec_pasted" not in error


def test_serve_webhooks_says_what_is_missing(rolo, relm, monkeypatch):
    assert "no remote has a webhook secret" in rolo.fails("serve-webhooks")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "RELM_KEY",
         "--webhook-secret-env", SECRET_ENV)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    error = rolo.fails("serve-webhooks")
    assert f"${SECRET_ENV} is not set" in error


def test_daemon_runs_the_webhooks_service(relm_remote, relm, book_path):
    lines: list[str] = []
    stop = threading.Event()
    with Book(str(book_path)) as book:
        api = SyncAPI(book, load_config())
        thread = threading.Thread(target=api.daemon, kwargs={
            "stop": stop, "sync": False, "skip": ["watch", "reminders"], "options": {"webhook_port": 0},
            "log": lines.append}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not any("posts to" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        (said,) = [line for line in lines if "posts to" in line]
        relm.store.update_webhook(relm_remote[0], {"url": said.rsplit(" ", 1)[1]})
        relm.store.create_contact(first_name="Grace", email="grace@example.com")
        assert relm.wait_for_webhooks()
        deadline = time.monotonic() + 10
        while not any("book created 1" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        thread.join(10)
    assert any("book created 1" in line for line in lines), lines


def test_serve_webhooks_command_end_to_end(relm_remote, relm, book_path, tmp_path):
    """The command a user runs: it says where to post, pulls what a delivery names, and stops on SIGTERM."""
    env = {**os.environ}
    process = subprocess.Popen([ROLO, "--book", str(book_path), "serve-webhooks", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        lines = []
        while url is None:
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
            if "posts to" in line:
                url = line.strip().rsplit(" ", 1)[1]
        relm.store.update_webhook(relm_remote[0], {"url": url})
        relm.store.create_contact(first_name="Grace", email="grace@example.com")
        assert relm.wait_for_webhooks()
        while "book created 1" not in line:
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with Book(str(book_path)) as book:
        assert sorted(c.formatted_name for c in book.contacts()) == ["Ada Lovelace", "Grace"]


def test_verify_signature_accepts_any_matching_v1_and_compares_whole_digests():
    body = b'{"id":"evt_1"}'
    now = 1_751_500_000
    good = sign("whsec_a", now, body)
    assert verify_signature(f"t={now},v1={'0' * 64},v1={good}", body, "whsec_a", now=now)[0] == now
    with pytest.raises(WebhookRejected, match="malformed"):
        verify_signature(f"v1={good}", body, "whsec_a", now=now)
    with pytest.raises(WebhookRejected, match="does not match"):
        verify_signature(f"t={now},v1={good[:-2]}", body, "whsec_a", now=now)
    with pytest.raises(WebhookRejected, match="expired"):  # from the future, too
        verify_signature(f"t={now + 400},v1={sign('whsec_a', now + 400, body)}", body, "whsec_a", now=now)
