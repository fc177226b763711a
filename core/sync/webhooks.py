"""Webhooks: a remote tells rolo at once that records changed, so the book pulls them without waiting for the
next scheduled sync.

What is common to every remote lives here; the rest is the adapter's (`Adapter.webhook_events`):

- the signature scheme Relm documents, `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
  (`verify_signature`): the digest is compared in constant time, a timestamp more than `WINDOW` seconds away
  from now is refused (an old capture cannot be sent again later), and `ReplayGuard` refuses a signature seen
  before inside that window (a capture sent again at once). A remote's own re-delivery signs afresh, so it
  passes, and pulling a record twice is harmless;
- where a remote's signing secret is (`webhook_secret`): the environment variable named by the remote's
  `webhook_secret_env`, else the system keyring (service "rolo", user "NAME:webhook"). Never the config
  file, never the book, never a log line or an error message.

The server that receives them is the `webhooks` built-in plugin (`rolo serve-webhooks`, and `rolo daemon`'s
`webhooks` service); the pull is `SyncAPI.pull_records`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.errors import RoloError

if TYPE_CHECKING:
    from rolo.core.sync.remotes import Remote

#: Seconds a signed timestamp may be away from now (either way) before the event is refused.
WINDOW = 300.0
KEYRING_USER = "{name}:webhook"


class WebhookRejected(RoloError):
    """An event refused before anything was pulled: `status` is the HTTP answer (401 bad signature, expired
    or replayed; 400 unreadable body). The message never quotes the secret or the signature."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class WebhookEvent:
    """One record a remote says changed: its id there, what happened (`created`, `updated`, `deleted`), and
    the event's own id (for the log)."""

    remote_id: str
    action: str
    event_id: str = ""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 keyed by the whole secret over `"<timestamp>.<body>"`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(header: str | None, body: bytes, secret: str, *, now: float | None = None,
                     window: float = WINDOW, name: str = "signature") -> tuple[int, str]:
    """Check a `t=…,v1=…` signature header over the raw body; returns (timestamp, the matching digest).

    Several `v1=` values are allowed (a remote rotating its secret signs with both); one must match.

    Raises:
        WebhookRejected: the header is missing or malformed, no digest matches, or the timestamp is more
            than `window` seconds away from `now`.
    """
    if not header:
        raise WebhookRejected(f"no {name} header")
    stamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            stamp = int(value)
        elif key == "v1" and value:
            digests.append(value.strip().lower())
    if stamp is None or not digests:
        raise WebhookRejected(f"malformed {name} header (expected t=<unix time>,v1=<hex digest>)")
    expected = sign(secret, stamp, body)
    # compare every candidate, in constant time each, so timing says nothing about which part differed
    matches = [d for d in digests if hmac.compare_digest(d, expected)]
    if not matches:
        raise WebhookRejected(f"{name} does not match the body (wrong secret, or the body was changed)")
    now = time.time() if now is None else now
    if abs(now - stamp) > window:
        raise WebhookRejected(f"{name} timestamp is {abs(now - stamp):.0f} s away from now "
                              f"(more than {window:.0f} s): refused as expired")
    return stamp, matches[0]


class ReplayGuard:
    """Remembers the deliveries accepted in the last minutes and refuses one received again.

    A delivery is known by its signature headers and body (`fingerprint`): sent again unchanged, it is a
    replay; a remote's own re-delivery is signed afresh and passes. Kept in memory: a capture older than the
    window is refused as expired anyway, so only a restarted server can be replayed to, and only within the
    window after its restart."""

    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def fingerprint(headers: Mapping[str, str], body: bytes) -> str:
        """A digest of the delivery's signature headers (names ending in `signature`) and its body."""
        digest = hashlib.sha256()
        for name, value in sorted((k.lower(), v) for k, v in headers.items()):
            if name.endswith("signature"):
                digest.update(f"{name}:{value}\n".encode())
        digest.update(body)
        return digest.hexdigest()

    def check(self, remote: str, fingerprint: str, *, now: float | None = None) -> None:
        """Accept a delivery once; raises WebhookRejected when it was accepted before."""
        now = time.time() if now is None else now
        with self._lock:
            for old in [k for k, at in self._seen.items() if now - at > 2 * self.window]:
                del self._seen[old]
            if (remote, fingerprint) in self._seen:
                raise WebhookRejected("this signed event was received before: refused as a replay")
            self._seen[(remote, fingerprint)] = now


def json_body(body: bytes) -> dict[str, Any]:
    """A (verified) webhook body as a JSON object; WebhookRejected (400) otherwise."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("the body is not JSON", status=400) from None
    if not isinstance(event, dict):
        raise WebhookRejected("the body is not a JSON object", status=400)
    return event


def contact_event(event: Mapping[str, Any], record: Any) -> list[WebhookEvent]:
    """The contact a `contact.created|updated|deleted` event names (`record`: the contact, or what is left of
    it, holding its `id`); [] for an event about anything else.

    Raises:
        WebhookRejected: (400) a contact event without its contact's id.
    """
    kind, _, action = str(event.get("type", "")).partition(".")
    if kind != "contact" or action not in ("created", "updated", "deleted"):
        return []
    if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
        raise WebhookRejected("a contact event without its contact's id", status=400)
    return [WebhookEvent(record["id"], action, str(event.get("id", "")))]


def webhook_secret(remote: Remote, environ: Mapping[str, str] | None = None) -> str | None:
    """The remote's webhook signing secret: its `webhook_secret_env` variable, else the keyring; else None."""
    environ = os.environ if environ is None else environ
    if remote.webhook_secret_env:
        value = environ.get(remote.webhook_secret_env)
        if value:
            return value
    from rolo.core.sync.remotes import KEYRING_SERVICE, _keyring

    keyring = _keyring()
    if keyring is None:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER.format(name=remote.name))
    except Exception:  # noqa: BLE001 (a keyring backend may fail in any way)
        return None
    return str(value) if value else None


def secret_source(remote: Remote) -> str | None:
    """Where the secret comes from, for `rolo remote show` (never the secret): None when not configured."""
    if remote.webhook_secret_env and os.environ.get(remote.webhook_secret_env):  # the variable wins, as in use
        return f"env {remote.webhook_secret_env}"
    if webhook_secret(remote, {}) is not None:
        return "keyring"
    return f"env {remote.webhook_secret_env} (not set)" if remote.webhook_secret_env else None
