"""The HTTP layer every adapter shares: requests on the handed-in `httpx.Client`, retries, errors, pages.

An adapter is handed an `httpx.Client` (it never builds one) and wraps it once::

    http = HttpClient(client, base_url=url, adapter="relm", token=token, retry=RetryPolicy())
    contact = http.get("/v1/contacts/con_1")                       # parsed JSON
    created = http.post("/v1/contacts", json=body, headers={"Idempotency-Key": key})
    for item in http.paginate_cursor("/v1/contacts", params={"limit": 200}):
        ...

What it does for every request:

* **Retries** (with tenacity) on 429, 500, 502, 503, 504, timeouts and dropped connections, with exponential
  backoff plus jitter, capped both in attempts and in total time (`RetryPolicy`; tests pass small numbers).
  A request is retried after it may have reached the server (a timeout, a dropped connection, a 5xx) only
  when repeating it is harmless: GET, HEAD, OPTIONS, PUT and DELETE, any request carrying an
  `Idempotency-Key` header, or one the caller marks `idempotent=True` (a PATCH that sets fields). Other
  requests (a POST without a key) are retried only when the server cannot have acted on them: a 429, or a
  connection that was never made.
* **Server-asked waits**: `Retry-After` (delta seconds or an HTTP date) on a 429 or 503 replaces the backoff;
  a 429 without it waits for `X-RateLimit-Reset`. After any response whose `X-RateLimit-Remaining` (or
  `RateLimit-Remaining`) is 0, the next request first waits until `X-RateLimit-Reset` (unix seconds, or
  seconds from now when the number is small). Every such wait is capped by `RetryPolicy.max_server_wait`;
  a 429/503 asking for longer than the cap, or for longer than the time budget left, fails at once rather
  than hammering a server that said no.
* **Errors** (nothing from httpx leaves this module; see `core/errors.py`):

  ======================================================  ====================================
  401, 403                                                `AdapterAuthError`
  timeouts, connection errors (after retries)             `AdapterUnavailable`
  429, 502, 503, 504 still failing after retries          `AdapterUnavailable`
  every other 4xx/5xx (incl. a persistent 500)            `RemoteRejected` (.status, .code)
  a 2xx body that is not JSON where JSON was expected     `RemoteRejected` (code `invalid_json`)
  a 3xx (redirects are not followed: the URL is wrong)    `RemoteRejected` (code `redirect`)
  a bad base URL                                          `UserError`
  ======================================================  ====================================

  A persistent 429/502/503/504 means "the remote is not serving us now", which the sync engine must treat
  like a network failure (stop, keep the bookmark, try later), not like a record the remote refused; a 500
  that survives the retries is more often a record that trips a server bug, so it stays a rejection of
  that one request. The remote's own code and message are parsed from whatever JSON error shape it
  uses (`parse_error_body`).
* **Secrets** never appear in exception messages, log lines or reprs: the token (and any `secrets=` given),
  `Authorization`/`Bearer` values and token-like query parameters are replaced by `***`. httpx's own
  request log line is filtered the same way.
* **Pagination** generators for the three styles the remotes use: `walk_cursor` (`next_cursor`/`has_more`,
  also `pagination.end_cursor`/`pagination.has_next_page`), `walk_pages` (`page`/`per_page`) and
  `walk_offset` (`offset`/`limit`). Each takes a `fetch(params) -> body` callable, so they are independent
  of HTTP; `HttpClient.paginate_*` binds them to a GET. They follow what the server says (a next cursor, a
  `last_page` or `total`), stop at an empty page or a page shorter than the longest seen (a server that
  caps the page size below what was asked does not end the walk early), and raise `AdapterError` if the
  server returns the same page or cursor twice instead of looping forever.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import tenacity
from rolo.core.errors import (
    AdapterAuthError,
    AdapterError,
    AdapterUnavailable,
    RemoteRejected,
    UserError,
)

__all__ = [
    "NO_RETRY",
    "HttpClient",
    "RemoteErrorInfo",
    "RetryPolicy",
    "dig",
    "parse_error_body",
    "parse_rate_limit_wait",
    "parse_retry_after",
    "redact_url",
    "walk_cursor",
    "walk_offset",
    "walk_pages",
]

log = logging.getLogger("rolo.adapters.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that mean "not serving us now" once retries are spent: AdapterUnavailable, not RemoteRejected.
UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SECRET_PARAMS = frozenset({
    "token", "access_token", "refresh_token", "api_key", "apikey", "key", "secret", "client_secret",
    "password", "auth", "signature", "sig",
})
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:" + "|".join(sorted(SECRET_PARAMS)) + r")=)[^&;#\s\"']*")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=\-]{6,}")
_MESSAGE_MAX = 300


# -- policy -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. The defaults suit a CLI run; tests pass tiny numbers to stay fast.

    Attributes:
        attempts: tries in all, the first included (1 disables retrying).
        max_time: seconds from the first try after which no new try starts.
        backoff: the first backoff wait; it doubles each retry...
        backoff_max: ...up to this cap,
        jitter: plus a random 0..jitter seconds, so clients that failed together do not retry together.
        max_server_wait: the longest wait honoured when the server asks (Retry-After, rate-limit reset).
        statuses: the HTTP statuses that are retried.
    """

    attempts: int = 5
    max_time: float = 60.0
    backoff: float = 0.5
    backoff_max: float = 10.0
    jitter: float = 0.5
    max_server_wait: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None, **defaults: Any) -> RetryPolicy:
        """A policy from adapter options `retry_attempts`, `retry_max_time`, `retry_backoff`, ...

        Any of the attribute names prefixed with `retry_` is read; unknown options are ignored.
        """
        values = dict(defaults)
        for name in ("attempts", "max_time", "backoff", "backoff_max", "jitter", "max_server_wait"):
            raw = (options or {}).get(f"retry_{name}")
            if raw is not None:
                values[name] = int(raw) if name == "attempts" else float(raw)
        return cls(**values)

    def backoff_for(self, retry_number: int) -> float:
        """The backoff before retry number `retry_number` (1 for the first retry), jitter included."""
        base = min(self.backoff_max, self.backoff * (2 ** max(0, retry_number - 1)))
        return base + (random.uniform(0, self.jitter) if self.jitter > 0 else 0.0)


NO_RETRY = RetryPolicy(attempts=1)


def page_size_option(options: Mapping[str, Any], remote: str, maximum: int) -> int:
    """The `page_size` adapter option (1..maximum, default maximum), or a UserError naming the remote."""
    try:
        size = int(options.get("page_size") or maximum)
    except ValueError:
        raise UserError(f"{remote}: option page_size must be a number") from None
    if not 1 <= size <= maximum:
        raise UserError(f"{remote}: option page_size must be from 1 to {maximum}")
    return size


# The help text of the options retry_option reads, for an adapter's `options` mapping.
RETRY_OPTION_HELP: dict[str, str] = {
    "retry_attempts": "tries per request, the first included (default 5; 1 disables retries)",
    "retry_max_time": "seconds after which a request is no longer retried (default 60)",
    "retry_backoff": "seconds before the first retry, doubling each time up to 10 (default 0.5)",
}


def retry_option(options: Mapping[str, Any], remote: str) -> RetryPolicy | None:
    """A RetryPolicy from the `retry_*` adapter options, None when none is given (the default policy)."""
    if not any(k.startswith("retry_") for k in options):
        return None
    try:
        return RetryPolicy.from_options(options)
    except ValueError:
        raise UserError(f"{remote}: retry options must be numbers") from None



# -- parsing helpers ----------------------------------------------------------------------------------------


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta seconds or an HTTP date; None if absent/unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def parse_rate_limit_wait(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds until the rate-limit window resets, if the headers say none are left; else None.

    Reads `X-RateLimit-Remaining`/`X-RateLimit-Reset` (or the unprefixed `RateLimit-*`). A reset above
    10**9 is unix seconds (Relm's, GitHub's); a smaller one is seconds from now (the IETF draft's).
    """
    remaining = _header(headers, "x-ratelimit-remaining", "ratelimit-remaining")
    if remaining is None:
        return None
    try:
        if float(remaining) > 0:
            return None
    except ValueError:
        return None
    return _reset_wait(headers, now=now)


def _reset_wait(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    reset = _header(headers, "x-ratelimit-reset", "ratelimit-reset")
    if reset is None:
        return None
    try:
        number = float(reset)
    except ValueError:
        return None
    if number > 1e9:
        return max(0.0, number - (time.time() if now is None else now))
    return max(0.0, number)


def dig(body: Any, path: str | None) -> Any:
    """`body["a"]["b"]` for path "a.b"; the body itself for None or ""; None when any step is missing."""
    if not path:
        return body
    for part in path.split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(part)
    return body


@dataclass
class RemoteErrorInfo:
    """What a remote said about a failed request: its machine code and human message, when it gave them."""

    code: str | None = None
    message: str | None = None
    details: Any = None


def parse_error_body(response: httpx.Response) -> RemoteErrorInfo:
    """The remote's error code and message, from whichever common JSON shape it uses.

    Understood: `{"error": {"code", "message"}}` (Relm, Stripe), `{"error": "CODE"|"msg", "message"?,
    "code"?}`, `{"code", "message"}` (RelayBook), `{"message", "errors": {field: [..]}}` (Laravel),
    `{"errors": [{"code", "message"|"detail"|"title"}]}` (JSON:API), `{"detail"}` / RFC 7807 problem
    details, `{"error_description"}` (OAuth). Anything else: the first line of the text body.
    """
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, Mapping):
        return _error_from_mapping(body)
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        return _error_from_mapping({"errors": body})
    text = ""
    try:
        text = response.text.strip()
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        text = ""
    if text.startswith("<"):  # an HTML error page says nothing useful in one line
        text = ""
    return RemoteErrorInfo(message=text.splitlines()[0] if text else None)


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (Mapping, list)):
        return None
    return str(value)


def _error_from_mapping(body: Mapping[str, Any]) -> RemoteErrorInfo:
    error = body.get("error")
    if isinstance(error, Mapping):
        inner = _error_from_mapping(error)
        return RemoteErrorInfo(
            code=inner.code or _str(body.get("code")),
            message=inner.message or _str(body.get("message")),
            details=inner.details,
        )
    code = _str(body.get("code")) or _str(body.get("error_code")) or _str(body.get("type"))
    message = (
        _str(body.get("message"))
        or _str(body.get("error_description"))
        or _str(body.get("detail"))
        or _str(body.get("title"))
        or _str(body.get("msg"))
    )
    if isinstance(error, str):
        # {"error": "not_found", "message": "..."} or {"error": "Contact not found"}
        if message is None:
            message = error
        elif code is None:
            code = error
        if code is None and re.fullmatch(r"[A-Za-z0-9_.\-]+", error) and error != message:
            code = error
    errors = body.get("errors")
    details: Any = errors
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, Mapping):
            code = code or _str(first.get("code"))
            message = message or _str(first.get("message")) or _str(first.get("detail")) or _str(
                first.get("title")
            )
        elif message is None:
            message = _str(first)
    elif isinstance(errors, Mapping) and errors and message is None:
        name, problems = next(iter(errors.items()))
        first = problems[0] if isinstance(problems, list) and problems else problems
        message = f"{name}: {first}"
    return RemoteErrorInfo(code=code, message=message, details=details)


def redact_url(url: str | httpx.URL) -> str:
    """The URL with credentials in the userinfo or in token-like query parameters replaced by `***`."""
    text = str(url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return _SECRET_QUERY.sub(r"\1***", text)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = _SECRET_QUERY.sub(r"\1***", "?" + parts.query)[1:] if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1\2***", text)
    return _SECRET_QUERY.sub(r"\1***", text)


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request's full URL at INFO; hide token-like query parameters in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(a) if isinstance(a, httpx.URL) or (isinstance(a, str) and "?" in a) else a
                for a in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _RedactHttpxLog) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactHttpxLog())


# -- the client ---------------------------------------------------------------------------------------------


class _RetryableStatus(Exception):
    """Raised inside the retry loop for a response whose status is retried."""

    def __init__(self, response: httpx.Response, server_wait: float | None) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.server_wait = server_wait


class _GiveUp(Exception):
    """The server asked for a wait longer than the policy allows; carries the last response."""

    def __init__(self, response: httpx.Response, wait: float) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.wait = wait


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class _Plan:
    """One request's retry decisions, shared by tenacity's `retry`, `wait` and `stop` hooks.

    tenacity asks `wait` and `stop` separately (and in different orders across versions); both read the
    one decision made per attempt here, so "the server asked for too long" and "the budget is spent"
    stop the loop instead of sleeping for nothing.
    """

    def __init__(self, policy: RetryPolicy, idempotent: bool) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.started = time.monotonic()
        self._decisions: dict[int, float | None] = {}

    def should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, _RetryableStatus):
            return self.idempotent or exc.response.status_code == 429
        if isinstance(exc, _NOT_SENT):
            return True
        if isinstance(exc, _RETRYABLE_TRANSPORT):
            return self.idempotent
        return False

    def decide(self, state: tenacity.RetryCallState) -> float | None:
        """The wait before the next attempt, or None to stop."""
        n = state.attempt_number
        if n not in self._decisions:
            self._decisions[n] = self._decide(state, n)
        return self._decisions[n]

    def _decide(self, state: tenacity.RetryCallState, n: int) -> float | None:
        if n >= self.policy.attempts:
            return None
        exc = state.outcome.exception() if state.outcome else None
        server_wait = exc.server_wait if isinstance(exc, _RetryableStatus) else None
        if server_wait is not None:
            if server_wait > self.policy.max_server_wait:
                return None
            wait = server_wait
        else:
            wait = self.policy.backoff_for(n)
        if time.monotonic() - self.started + wait > self.policy.max_time:
            return None
        return wait

    def wait(self, state: tenacity.RetryCallState) -> float:
        return self.decide(state) or 0.0

    def stop(self, state: tenacity.RetryCallState) -> bool:
        return self.decide(state) is None


class HttpClient:
    """Requests to one remote on a handed-in `httpx.Client`, with retries, error translation and paging.

    Args:
        client: the `httpx.Client` the adapter was handed (its timeouts and transport are used as is).
        base_url: the remote's base URL; request paths are joined to it.
        adapter: the adapter's name, put on every error (`.adapter`) and in messages.
        token: sent as `Authorization: <auth_scheme> <token>` unless `auth_scheme` is None; always
            scrubbed from messages.
        auth_scheme: "Bearer" by default; None sends no Authorization header (put the token in `headers`).
        headers: extra headers on every request (e.g. `X-Book-ID`).
        retry: the RetryPolicy.
        sleep: how to wait (tests may pass a recorder); defaults to time.sleep.
        secrets: more strings to scrub from messages and logs.
        auth_hint: the hint put on an AdapterAuthError (where to get or fix the token).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str,
        adapter: str,
        token: str | None = None,
        auth_scheme: str | None = "Bearer",
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        secrets: Iterable[str] = (),
        auth_hint: str | None = None,
    ) -> None:
        if not base_url or urlsplit(base_url).scheme not in ("http", "https"):
            raise UserError(f"{adapter}: the remote URL must start with http:// or https:// (got {base_url!r})")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.adapter = adapter
        self.retry = retry or RetryPolicy()
        self.auth_hint = auth_hint
        self._sleep = sleep
        self._token = token
        self._headers = dict(headers or {})
        if token and auth_scheme:
            self._headers["Authorization"] = f"{auth_scheme} {token}"
        self._secrets = [s for s in (token, *secrets) if s]
        self._not_before = 0.0  # monotonic time before which no request is sent (rate limit spent)
        self.last_headers: httpx.Headers | None = None
        """The headers of the latest response (rate-limit numbers, `Date`, an API version...)."""

    def __repr__(self) -> str:
        return f"<HttpClient {self.adapter} {redact_url(self.base_url)} token={'***' if self._token else None}>"

    # -- requests ----------------------------------------------------------------------------------------

    def server_time(self) -> datetime | None:
        """The remote's clock (the latest response's `Date` header, to the second), or None."""
        value = self.last_headers.get("date") if self.last_headers is not None else None
        if not value:
            return None
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when

    def url(self, path: str) -> str:
        """The absolute URL of `path` (returned unchanged when already absolute)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        content: str | bytes | None = None,
    ) -> httpx.Response:
        """Send one request with retries; return the 2xx response, or raise an AdapterError.

        Args:
            idempotent: whether repeating the request is harmless after it may have reached the server;
                by default true for GET/HEAD/OPTIONS/PUT/DELETE and for requests with an Idempotency-Key.
            timeout: overrides the client's timeout for this request.
            content: a raw body (XML, a vCard) instead of `json`.
        """
        method = method.upper()
        all_headers = {**self._headers, **(headers or {})}
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or any(
                k.lower() == "idempotency-key" for k in all_headers
            )
        clean_params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            request = self.client.build_request(
                method,
                self.url(path),
                params=clean_params or None,
                json=json,
                content=content,
                headers=all_headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise UserError(f"{self.adapter}: bad URL for {method} {path}: {self._clean(str(exc))}") from None
        where = f"{method} {redact_url(request.url.copy_with(query=None))}"
        plan = _Plan(self.retry, idempotent)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(plan.should_retry),
            wait=plan.wait,
            stop=plan.stop,
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: self._log_retry(where, state),
        )
        try:
            return retrying(self._send_once, request)
        except _RetryableStatus as exc:
            raise self._status_error(where, exc.response, attempts=len(plan._decisions)) from None
        except _GiveUp as exc:
            raise self._status_error(where, exc.response, wait=exc.wait) from None
        except httpx.TimeoutException as exc:
            raise AdapterUnavailable(
                f"{self.adapter}: {where} timed out ({type(exc).__name__}){self._tries(plan)}",
                adapter=self.adapter,
            ) from None
        except httpx.TransportError as exc:
            detail = self._clean(str(exc)) or type(exc).__name__
            raise AdapterUnavailable(
                f"{self.adapter}: {where} failed: {detail}{self._tries(plan)}", adapter=self.adapter
            ) from None
        except httpx.HTTPError as exc:  # decoding errors, too many redirects
            raise RemoteRejected(
                f"{self.adapter}: {where}: {type(exc).__name__}: {self._clean(str(exc))}",
                adapter=self.adapter,
                status=0,
                code=type(exc).__name__,
            ) from None

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        wait = self._not_before - time.monotonic()
        if wait > 0:
            log.info("%s: rate limit spent; waiting %.1fs", self.adapter, wait)
            self._sleep(wait)
        response = self.client.send(request)
        self.last_headers = response.headers
        spent = parse_rate_limit_wait(response.headers)
        if spent is not None:
            self._not_before = time.monotonic() + min(spent, self.retry.max_server_wait)
        status = response.status_code
        if status in self.retry.statuses:
            server_wait = None
            if status in (429, 503):
                server_wait = parse_retry_after(response.headers.get("retry-after"))
                if server_wait is None and status == 429:
                    server_wait = _reset_wait(response.headers)
            if server_wait is not None and server_wait > self.retry.max_server_wait:
                raise _GiveUp(response, server_wait)
            raise _RetryableStatus(response, server_wait)
        if status >= 400:
            raise self._status_error(
                f"{request.method} {redact_url(request.url.copy_with(query=None))}", response
            )
        if 300 <= status < 400:
            # adapters are not meant to follow redirects (a POST would turn into a GET): the URL is wrong
            where = redact_url(request.url.copy_with(query=None))
            target = redact_url(response.headers.get("location", "?"))
            raise RemoteRejected(
                f"{self.adapter}: {request.method} {where} -> {status}, redirected to {target}; "
                "check the remote's URL",
                adapter=self.adapter, status=status, code="redirect",
            )
        return response

    def _tries(self, plan: _Plan) -> str:
        n = len(plan._decisions)
        return f" after {n} attempts" if n > 1 else ""

    def _log_retry(self, where: str, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        what = str(exc.response.status_code) if isinstance(exc, _RetryableStatus) else type(exc).__name__
        log.info(
            "%s: %s -> %s; retry %d/%d in %.2fs",
            self.adapter, where, what, state.attempt_number, self.retry.attempts - 1,
            state.next_action.sleep if state.next_action else 0.0,
        )

    def _clean(self, text: str) -> str:
        text = _scrub(text, self._secrets)
        return text if len(text) <= _MESSAGE_MAX else text[: _MESSAGE_MAX - 1] + "…"

    def _status_error(
        self, where: str, response: httpx.Response, *, attempts: int = 0, wait: float | None = None
    ) -> AdapterError:
        info = parse_error_body(response)
        status = response.status_code
        said = " ".join(
            part for part in (info.code, self._clean(info.message) if info.message else None) if part
        )
        message = f"{self.adapter}: {where} -> {status}" + (f" {said}" if said else "")
        if wait is not None:
            message += f" (the remote asks to wait {wait:.0f}s; try again later)"
        elif attempts:
            message += f" after {attempts} attempts"
        if status in (401, 403):
            return AdapterAuthError(message, adapter=self.adapter, hint=self.auth_hint)
        if status in UNAVAILABLE_STATUSES:
            return AdapterUnavailable(message, adapter=self.adapter)
        return RemoteRejected(message, adapter=self.adapter, status=status, code=info.code)

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """`request`, then the body parsed as JSON (None for an empty body or a 204)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise RemoteRejected(
                f"{self.adapter}: {method.upper()} {path} -> {response.status_code} with a body that is not JSON",
                adapter=self.adapter,
                status=response.status_code,
                code="invalid_json",
            ) from None

    def get(self, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET `path`; the parsed JSON body."""
        return self.request_json("GET", path, params=params, **kwargs)

    def post(self, path: str, *, json: Any = None, **kwargs: Any) -> Any:
        """POST `json` to `path`; the parsed JSON body. Pass an Idempotency-Key header to make it retryable."""
        return self.request_json("POST", path, json=json, **kwargs)

    def patch(self, path: str, *, json: Any = None, **kwargs: Any) -> Any:
        """PATCH `path`; the parsed JSON body. Pass `idempotent=True` when it only sets values."""
        return self.request_json("PATCH", path, json=json, **kwargs)

    def put(self, path: str, *, json: Any = None, **kwargs: Any) -> Any:
        """PUT `path`; the parsed JSON body."""
        return self.request_json("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE `path`; the parsed JSON body, if any."""
        return self.request_json("DELETE", path, **kwargs)

    # -- pagination --------------------------------------------------------------------------------------

    def _fetcher(self, path: str, headers: Mapping[str, str] | None) -> Callable[[dict[str, Any]], Any]:
        return lambda params: self.get(path, params=params, headers=headers)

    def paginate_cursor(
        self, path: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
        **style: Any,
    ) -> Iterator[Any]:
        """Every item of a cursor-paginated GET list; `style` as `walk_cursor`."""
        return walk_cursor(self._fetcher(path, headers), params=params, adapter=self.adapter, **style)

    def paginate_pages(
        self, path: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
        **style: Any,
    ) -> Iterator[Any]:
        """Every item of a page/per_page GET list; `style` as `walk_pages`."""
        return walk_pages(self._fetcher(path, headers), params=params, adapter=self.adapter, **style)

    def paginate_offset(
        self, path: str, *, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
        **style: Any,
    ) -> Iterator[Any]:
        """Every item of an offset/limit GET list; `style` as `walk_offset`."""
        return walk_offset(self._fetcher(path, headers), params=params, adapter=self.adapter, **style)


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value


# -- pagination walkers -------------------------------------------------------------------------------------

Fetch = Callable[[dict[str, Any]], Any]


def _items(body: Any, path: str | None, adapter: str | None) -> list[Any]:
    items = dig(body, path)
    if items is None and isinstance(body, list):  # a remote answering a bare array
        return body
    if items is None:
        return []
    if not isinstance(items, list):
        raise RemoteRejected(
            f"{adapter or 'remote'}: a list page has no {path or 'list'} array",
            adapter=adapter, status=200, code="bad_page",
        )
    return items


def _loop_error(adapter: str | None, what: str) -> AdapterError:
    return AdapterError(f"{adapter or 'remote'}: pagination does not advance ({what})", adapter=adapter)


def walk_cursor(
    fetch: Fetch,
    *,
    params: Mapping[str, Any] | None = None,
    items: str | None = "data",
    cursor_param: str = "cursor",
    next_cursor: str = "next_cursor",
    has_more: str | None = "has_more",
    limit_param: str | None = "limit",
    limit: int | None = None,
    adapter: str | None = None,
) -> Iterator[Any]:
    """Every item of a cursor-paginated list, fetching page after page lazily.

    Args:
        fetch: called with the query parameters of one page; returns the parsed body.
        items: where the page's items are (dotted path; None when the body is the list).
        cursor_param: the query parameter carrying the cursor (Relm "cursor", Relate "after").
        next_cursor: where the next cursor is (Relm "next_cursor", Relate "pagination.end_cursor").
        has_more: where the more-pages flag is (Relm "has_more", Relate "pagination.has_next_page");
            when the body lacks it, a non-empty next cursor alone means more.
        limit_param, limit: the page size parameter and value (nothing sent when limit is None).
    """
    query = dict(params or {})
    if limit is not None and limit_param:
        query[limit_param] = limit
    seen: set[str] = set()
    while True:
        body = fetch(dict(query))
        yield from _items(body, items, adapter)
        cursor = dig(body, next_cursor)
        more = dig(body, has_more) if has_more else None
        if cursor in (None, "") or more is False:
            return
        key = str(cursor)
        if key in seen:
            raise _loop_error(adapter, f"cursor {key[:40]!r} came back twice")
        seen.add(key)
        query[cursor_param] = cursor


def walk_pages(
    fetch: Fetch,
    *,
    params: Mapping[str, Any] | None = None,
    items: str | None = "data",
    page_param: str = "page",
    per_page_param: str | None = "per_page",
    per_page: int | None = 100,
    first_page: int = 1,
    last_page: str | None = "meta.last_page",
    total: str | None = "meta.total",
    adapter: str | None = None,
) -> Iterator[Any]:
    """Every item of a page-numbered list (`?page=N&per_page=M`), fetching lazily.

    Stops at the `last_page` or `total` the body gives (dotted paths; missing keys are ignored), at an
    empty page, or at a page shorter than the longest seen.
    """
    query = dict(params or {})
    if per_page is not None and per_page_param:
        query[per_page_param] = per_page
    page, count, longest = first_page, 0, 0
    previous: list[Any] | None = None
    while True:
        query[page_param] = page
        body = fetch(dict(query))
        batch = _items(body, items, adapter)
        if not batch:
            return
        if batch == previous:
            raise _loop_error(adapter, f"page {page} repeats page {page - 1}")
        yield from batch
        count += len(batch)
        longest = max(longest, len(batch))
        last = dig(body, last_page)
        known_total = dig(body, total)
        if isinstance(last, int) and page >= last:
            return
        if isinstance(known_total, int) and count >= known_total:
            return
        if len(batch) < longest:
            return
        previous, page = batch, page + 1


def walk_offset(
    fetch: Fetch,
    *,
    params: Mapping[str, Any] | None = None,
    items: str | None = "data",
    offset_param: str = "offset",
    limit_param: str = "limit",
    limit: int = 100,
    total: str | None = "meta.total",
    adapter: str | None = None,
) -> Iterator[Any]:
    """Every item of an offset/limit list, fetching lazily.

    The offset advances by the number of items received (a server may cap `limit` lower than asked).
    Stops at the `total` the body gives, at an empty page, or at a page shorter than the longest seen.
    """
    query = dict(params or {})
    offset, longest = 0, 0
    previous: list[Any] | None = None
    while True:
        query[offset_param] = offset
        query[limit_param] = limit
        body = fetch(dict(query))
        batch = _items(body, items, adapter)
        if not batch:
            return
        if batch == previous:
            raise _loop_error(adapter, f"offset {offset} repeats the previous page")
        yield from batch
        offset += len(batch)
        longest = max(longest, len(batch))
        known_total = dig(body, total)
        if isinstance(known_total, int) and offset >= known_total:
            return
        if len(batch) < longest:
            return
        previous = batch

