"""The shared base of rolo's in-process HTTP emulators of remote CRM APIs.

An emulator is a small HTTP server that behaves as one remote API's document says, with in-memory state. It
runs in a background thread on 127.0.0.1 (never another interface), on a free port unless told one, and uses
only the standard library (`http.server`). Adapter tests, contract tests and the demo talk to it over real
HTTP with a real `httpx.Client`; nothing is mocked.

Defining an emulator: subclass `Emulator`, mark small methods with `@route(method, pattern)`, and override the
hooks that differ from one API to the next::

    class TinyEmulator(Emulator):
        name = "tiny"
        error_codes = {**Emulator.error_codes, "not_found": "NOT_FOUND"}

        def authenticate(self, request: Request) -> None:
            if request.bearer_token() != "secret":
                raise ApiError(401, "unauthorized", "a valid bearer token is required")

        @route("GET", "/things/{id}")
        def get_thing(self, request: Request) -> Any:
            thing = self.state.get(request.params["id"])
            if thing is None:
                raise self.not_found("thing", request.params["id"])
            return thing                          # a plain value is answered 200 as JSON

        @route("POST", "/things")
        def create_thing(self, request: Request) -> Response:
            body = self.read_json(request)
            self.state[body["id"]] = body
            return Response(201, body)

    with TinyEmulator() as tiny:
        httpx.get(f"{tiny.url}/things/1", headers={"Authorization": "Bearer secret"})

Stacked `@route` decorators put one method on several paths; keyword arguments of `route` are added to
`request.params` (so one method can serve `/v1/contacts` and `/v1/companies` and know which). A literal
path segment beats a `{param}` one, so `/v1/contacts/batch` and `/v1/contacts/{id}` can coexist.

How a request is answered, in order:

1. Fault switches: `delay` sleeps, `drop_every` closes the connection without an answer, `fail_every`
   answers its status (with the emulator's error body).
2. `authenticate(request)`: the subclass raises `ApiError` to refuse.
3. The rate limit (`rate_limit()`, or the class's `default_rate_limit`): over it, 429 with `Retry-After` and
   the rate-limit headers.
4. Routing: an unknown path is 404, a known path with another method 405 (with `Allow`).
5. `dispatch(request, handler)` calls the route method under the emulator's global lock, so every state
   change is atomic; subclasses wrap it (idempotency keys, for instance). `ApiError` becomes an error answer
   shaped by `error_body()`; any other exception is a bug in the emulator: it is answered 500 and kept in
   `errors` so that a test can fail on it.
6. Every answer gets the rate-limit headers while a limit is on, then `finalize(request, response)`.

Every request is logged (`log`: method, path, status, route) so a test can assert which endpoints were used.
`reset()` clears the state, the log and the fault switches between tests. `Outbox` delivers outbound
webhooks (to loopback addresses only) with retries and exponential backoff, for the APIs that have them.
"""

from __future__ import annotations

import contextlib
import heapq
import http.server
import ipaddress
import json
import math
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar, Self, TypeVar

__all__ = [
    "ApiError",
    "Delivery",
    "Emulator",
    "LogEntry",
    "Outbox",
    "QueryParams",
    "Request",
    "Response",
    "Route",
    "is_loopback_url",
    "route",
    "split_key",
]

HOST = "127.0.0.1"
_F = TypeVar("_F", bound=Callable[..., Any])


class ApiError(Exception):
    """An error answer: raise it from a route or a hook and the emulator replies with its error body."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def split_key(key: str) -> tuple[str, tuple[str, ...]]:
    """Split a bracketed query key: `filter[email][eq]` gives `("filter", ("email", "eq"))`.

    A key without brackets, or with malformed ones, is returned whole with no parts: `("limit", ())`.
    """
    match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])+)", key)
    if match is None:
        return key, ()
    return match[1], tuple(re.findall(r"\[([^\[\]]*)\]", match[2]))


class QueryParams:
    """A parsed query string that keeps every pair in order, so repeated and bracketed keys survive."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)

    @classmethod
    def parse(cls, query: str) -> QueryParams:
        """Parse a raw query string (percent-decoded; blank values kept)."""
        return cls(urllib.parse.parse_qsl(query, keep_blank_values=True))

    def get(self, key: str, default: str | None = None) -> str | None:
        """The first value of `key`, or `default`."""
        for name, value in self._pairs:
            if name == key:
                return value
        return default

    def getlist(self, key: str) -> list[str]:
        """Every value of `key`, in order."""
        return [value for name, value in self._pairs if name == key]

    def items(self) -> list[tuple[str, str]]:
        """Every (key, value) pair, in order, repeats included."""
        return list(self._pairs)

    def keys(self) -> list[str]:
        """The distinct keys, in first-seen order."""
        return list(dict.fromkeys(name for name, _ in self._pairs))

    def bracketed(self, prefix: str) -> list[tuple[tuple[str, ...], str]]:
        """The pairs whose key is `prefix[a][b]…`, as `((a, b, …), value)`: `bracketed("filter")`."""
        found = []
        for name, value in self._pairs:
            base, parts = split_key(name)
            if base == prefix and parts:
                found.append((parts, value))
        return found

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self._pairs)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"QueryParams({self._pairs!r})"


@dataclass
class Request:
    """One HTTP request as a route sees it."""

    method: str
    path: str
    query: QueryParams
    headers: Mapping[str, str]
    """Header names in lower case; use `header()` to look one up in any case."""
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters (`{id}`) and the route's fixed keyword arguments."""
    route: str | None = None
    """The matched route's label, like `"GET /v1/contacts/{id}"`."""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, looked up case-insensitively."""
        return self.headers.get(name.lower(), default)

    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer …` header, or None."""
        scheme, _, token = (self.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    @property
    def query_string(self) -> str:
        """The query re-encoded (for the log)."""
        return urllib.parse.urlencode(self.query.items())

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower case (`""` when absent)."""
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()


@dataclass
class Response:
    """An answer: a status, a JSON-able body (None for no body) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        """The body as UTF-8 JSON bytes (empty for None)."""
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class LogEntry:
    """One request the emulator received: `status` is None when a fault dropped the connection."""

    method: str
    path: str
    status: int | None
    route: str | None
    query: str = ""


@dataclass(frozen=True)
class Route:
    """A method and a path pattern with `{name}` parameters, bound to a method of the emulator."""

    method: str
    pattern: str
    handler: str
    defaults: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """`"GET /v1/contacts/{id}"`: how the log and `unused_routes()` name the route."""
        return f"{self.method} {self.pattern}"

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile_pattern(self.pattern)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters (percent-decoded) when `path` matches, else None."""
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        return {name: urllib.parse.unquote(value) for name, value in found.groupdict().items()}

    def specificity(self) -> tuple[int, int]:
        """Sort key: fewer parameters first, then longer literal text first."""
        params = self.pattern.count("{")
        return params, -len(re.sub(r"\{[^}]*\}", "", self.pattern))


_PATTERN_CACHE: dict[str, re.Pattern[str]] = {}


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    if pattern not in _PATTERN_CACHE:
        parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", pattern)
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
        )
        _PATTERN_CACHE[pattern] = re.compile(regex)
    return _PATTERN_CACHE[pattern]


def route(method: str, pattern: str, **defaults: str) -> Callable[[_F], _F]:
    """Mark an emulator method as the handler of `method pattern`; stack it for several routes.

    Keyword arguments are fixed parameters the handler finds in `request.params`, e.g.
    `@route("GET", "/v1/contacts", object_type="contact")`.
    """

    def mark(func: _F) -> _F:
        # Decorators apply bottom-up; insert at the front so routes() lists them top-down.
        func.__dict__.setdefault("_emulator_routes", []).insert(
            0, (method.upper(), pattern, tuple(sorted(defaults.items())))
        )
        return func

    return mark


@dataclass
class _Faults:
    fail_every: int = 0
    fail_status: int = 500
    fail_seen: int = 0
    drop_every: int = 0
    drop_seen: int = 0
    delay: float = 0.0

    def decide(self) -> tuple[bool, int | None]:
        """Count one request against each switch: (drop it?, status to fail it with or None)."""
        drop = fail = False
        if self.drop_every:
            self.drop_seen += 1
            drop = self.drop_seen % self.drop_every == 0
        if self.fail_every:
            self.fail_seen += 1
            fail = self.fail_seen % self.fail_every == 0
        return drop, (self.fail_status if fail else None)


@dataclass
class _RateWindow:
    """A fixed window: `limit` requests per `window` seconds, counted from the window's first request."""

    limit: int
    window: float
    started: float = field(default_factory=time.monotonic)
    used: int = 0

    def roll(self, now: float) -> None:
        if now - self.started >= self.window:
            self.started, self.used = now, 0

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.started + self.window - now)


class Emulator:
    """Base of the in-process emulators: HTTP plumbing, routing, auth hook, state, request log, faults.

    Use as a context manager, or `start()` and `stop()`. `url` is `http://127.0.0.1:PORT`.
    """

    name: ClassVar[str] = "emulator"
    default_rate_limit: ClassVar[tuple[int, float] | None] = None
    """`(limit, window_seconds)` in force after `reset()`/`clear_faults()`; None for no limit."""
    rate_limit_header_names: ClassVar[tuple[str, str, str] | None] = (
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    )
    """Limit, remaining, reset (unix seconds) header names; None to send none."""
    error_codes: ClassVar[Mapping[str, str]] = {
        "invalid_json": "invalid_request",
        "unsupported_media_type": "unsupported_media_type",
        "not_found": "not_found",
        "method_not_allowed": "method_not_allowed",
        "rate_limited": "rate_limited",
        "internal": "internal_error",
    }
    """The codes the base itself answers with, by situation; override to match the API's vocabulary."""

    _routes: ClassVar[tuple[Route, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Route] = {}
        for klass in reversed(cls.__mro__):
            for attr_name, attr in vars(klass).items():
                for method, pattern, defaults in getattr(attr, "_emulator_routes", ()):
                    spec = Route(method, pattern, attr_name, defaults)
                    found[spec.label] = spec
        cls._routes = tuple(found.values())

    def __init__(self, port: int = 0) -> None:
        self.lock = threading.RLock()
        """The global lock: route handlers run under it; take it to change state from outside."""
        self.state: dict[str, Any] = {}
        """Free-form in-memory state for simple emulators; `reset()` clears it."""
        self.log: list[LogEntry] = []
        self.errors: list[str] = []
        """Tracebacks of exceptions raised by routes (bugs in the emulator), answered 500."""
        self.outbox = Outbox()
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._faults = _Faults()
        self._rate: _RateWindow | None = None
        self._matching = sorted(self._routes, key=Route.specificity)
        self.clear_faults()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 (the port given, or a free one) and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} emulator is already running at {self.url}")
        self._stopping.clear()
        server = _Server((HOST, self._port), _Handler, self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-emulator",
            daemon=True,
        )
        self._thread.start()
        self.outbox.start(name=f"{self.name}-outbox")
        self.on_start()
        return self

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until every queued webhook delivery was attempted for good; False on timeout."""
        return self.outbox.wait_idle(timeout)

    def stop(self) -> None:
        """Stop serving: close the listening socket and every open connection, and join all threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        self.on_stop()
        self.outbox.stop()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_threads()
        thread.join()
        self._server = self._thread = None

    def on_start(self) -> None:
        """Hook: called after the server started (start background workers here)."""

    def on_stop(self) -> None:
        """Hook: called first thing in `stop()`."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._server is None:
            raise RuntimeError(f"{self.name} emulator is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://{HOST}:{self.port}"

    # -- state -------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything a test did: state, log, errors, fault switches (back to the defaults)."""
        with self.lock:
            self.clear_faults()
            self.log.clear()
            self.errors.clear()
            self.state.clear()
            self.outbox.clear()
            self.reset_state()

    def reset_state(self) -> None:
        """Hook: clear the subclass's own state (called by `reset()` under the lock)."""

    # -- faults ------------------------------------------------------------------------------------------

    def fail_every(self, n: int, status: int = 500) -> None:
        """Answer every `n`th request from now on with `status` and the API's error body (n=1: all)."""
        if n < 1 or status not in {s.value for s in HTTPStatus} or not 400 <= status <= 599:
            raise ValueError("fail_every needs n >= 1 and a standard error status (4xx or 5xx)")
        with self.lock:
            self._faults.fail_every, self._faults.fail_status, self._faults.fail_seen = n, status, 0

    def drop_every(self, n: int) -> None:
        """Close the connection without answering every `n`th request from now on (n=1: all)."""
        if n < 1:
            raise ValueError("drop_every needs n >= 1")
        with self.lock:
            self._faults.drop_every, self._faults.drop_seen = n, 0

    def delay(self, seconds: float) -> None:
        """Sleep `seconds` before handling each request (0 to stop)."""
        if seconds < 0:
            raise ValueError("delay needs seconds >= 0")
        with self.lock:
            self._faults.delay = seconds

    def rate_limit(self, limit: int, window_seconds: float) -> None:
        """Allow `limit` requests per fixed window of `window_seconds`; the window starts now."""
        if limit < 0 or window_seconds <= 0:
            raise ValueError("rate_limit needs limit >= 0 and window_seconds > 0")
        with self.lock:
            self._rate = _RateWindow(limit, window_seconds)

    def clear_faults(self) -> None:
        """Turn every fault switch off and restore the default rate limit (with a fresh window)."""
        with self.lock:
            self._faults = _Faults()
            self._rate = _RateWindow(*self.default_rate_limit) if self.default_rate_limit else None

    def fault_error(self, status: int) -> ApiError:
        """The error an injected fault answers with; override for the API's codes."""
        code = "internal" if status == 500 else ("rate_limited" if status == 429 else None)
        name = self.error_codes[code] if code else HTTPStatus(status).phrase.lower().replace(" ", "_")
        headers = {"Retry-After": "1"} if status in (429, 503) else None
        return ApiError(
            status, name, f"injected fault: every request like this one answers {status}", headers=headers
        )

    # -- request log -------------------------------------------------------------------------------------

    @classmethod
    def routes(cls) -> list[str]:
        """Every route's label, like `"GET /v1/contacts/{id}"`, in definition order."""
        return [spec.label for spec in cls._routes]

    def requests(self, route: str | None = None) -> list[LogEntry]:
        """The logged requests, all or those of one route label."""
        with self.lock:
            return [entry for entry in self.log if route is None or entry.route == route]

    @property
    def request_count(self) -> int:
        """How many requests arrived since the last `reset()`."""
        return len(self.log)

    def unused_routes(self) -> list[str]:
        """The routes that never gave a 2xx answer since the last `reset()` (for "every endpoint used")."""
        with self.lock:
            used = {entry.route for entry in self.log if entry.status is not None and entry.status < 300}
        return [label for label in self.routes() if label not in used]

    # -- hooks and helpers for routes --------------------------------------------------------------------

    def authenticate(self, request: Request) -> None:
        """Hook: raise `ApiError` (401/403) to refuse a request. The base accepts every request."""

    def dispatch(self, request: Request, handler: Callable[[Request], Any]) -> Response:
        """Call a route's handler (under the global lock); its result or `ApiError` becomes a Response."""
        try:
            result = handler(request)
        except ApiError as err:
            return self.error_response(err)
        return result if isinstance(result, Response) else Response(200, result)

    def finalize(self, request: Request, response: Response) -> None:
        """Hook: add headers every answer carries (an API version, say). Called for every answer."""

    def error_body(self, error: ApiError) -> Any:
        """The JSON body of an error answer; the default is `{"error": {"code", "message"}}`."""
        return {"error": {"code": error.code, "message": error.message}}

    def error_response(self, error: ApiError) -> Response:
        """An `ApiError` as a Response."""
        return Response(error.status, self.error_body(error), dict(error.headers))

    def not_found(self, what: str, ident: str) -> ApiError:
        """A 404 for a missing record."""
        return ApiError(404, self.error_codes["not_found"], f"no {what} with id {ident!r}")

    def read_json(self, request: Request, *, expect: type = dict, required: bool = True) -> Any:
        """The request's JSON body: 415 for another Content-Type, 400 for malformed JSON or another type.

        An empty body gives None when not `required`.
        """
        if not request.body.strip():
            if required:
                raise ApiError(400, self.error_codes["invalid_json"], "the request needs a JSON body")
            return None
        if request.media_type != "application/json" and not request.media_type.endswith("+json"):
            raise ApiError(
                415,
                self.error_codes["unsupported_media_type"],
                "send the body as JSON with Content-Type: application/json",
            )
        try:
            value = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as err:
            raise ApiError(
                400, self.error_codes["invalid_json"], f"the body is not valid JSON: {err}"
            ) from None
        if not isinstance(value, expect):
            raise ApiError(
                400,
                self.error_codes["invalid_json"],
                f"the body must be a JSON {'object' if expect is dict else expect.__name__}",
            )
        return value

    # -- the request pipeline (runs in the server's request threads) -------------------------------------

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        allowed: list[str] = []
        for spec in self._matching:
            params = spec.match(path)
            if params is None:
                continue
            if spec.method == method:
                return spec, params, allowed
            allowed.append(spec.method)
        return None, {}, allowed

    def _handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Response | None:
        """Answer one request; None means: close the connection without answering."""
        split = urllib.parse.urlsplit(target)
        request = Request(method, split.path, QueryParams.parse(split.query), headers, body)
        spec, params, allowed = self._match(method, split.path)
        if spec is not None:
            request.route = spec.label
            request.params = {**dict(spec.defaults), **params}
        with self.lock:
            drop, fail_status = self._faults.decide()
            delay = self._faults.delay
        if delay:
            self._stopping.wait(delay)
        if drop or self._stopping.is_set():
            self._record(request, None)
            return None
        response = self._respond(request, spec, allowed, fail_status)
        self._record(request, response.status)
        return response

    def _respond(
        self, request: Request, spec: Route | None, allowed: list[str], fail_status: int | None
    ) -> Response:
        try:
            if fail_status is not None:
                raise self.fault_error(fail_status)
            self.authenticate(request)
            self._count_against_rate_limit()
            if spec is None:
                if allowed:
                    raise ApiError(
                        405,
                        self.error_codes["method_not_allowed"],
                        f"{request.method} is not allowed on {request.path}",
                        headers={"Allow": ", ".join(sorted(set(allowed)))},
                    )
                raise ApiError(404, self.error_codes["not_found"], f"no route for {request.path}")
            with self.lock:
                response = self.dispatch(request, getattr(self, spec.handler))
        except ApiError as err:
            response = self.error_response(err)
        except Exception:  # noqa: BLE001 -- a bug in the emulator: answer 500, keep it for the test to see
            self.errors.append(traceback.format_exc())
            response = self.error_response(ApiError(500, self.error_codes["internal"], "emulator error"))
        response.headers.update(self._rate_limit_headers())
        self.finalize(request, response)
        return response

    def _count_against_rate_limit(self) -> None:
        with self.lock:
            window = self._rate
            if window is None:
                return
            now = time.monotonic()
            window.roll(now)
            if window.used >= window.limit:
                retry = max(1, math.ceil(window.seconds_left(now)))
                raise ApiError(
                    429,
                    self.error_codes["rate_limited"],
                    f"rate limit of {window.limit} requests per {window.window:g}s exceeded",
                    headers={"Retry-After": str(retry)},
                )
            window.used += 1

    def _rate_limit_headers(self) -> dict[str, str]:
        with self.lock:
            window, names = self._rate, self.rate_limit_header_names
            if window is None or names is None:
                return {}
            now = time.monotonic()
            window.roll(now)
            reset = math.ceil(time.time() + window.seconds_left(now))
            values = (window.limit, max(0, window.limit - window.used), reset)
        return {name: str(value) for name, value in zip(names, values, strict=True)}

    def _record(self, request: Request, status: int | None) -> None:
        entry = LogEntry(request.method, request.path, status, request.route, request.query_string)
        with self.lock:
            self.log.append(entry)


class _Server(http.server.ThreadingHTTPServer):
    """A threading HTTP server that knows its open connections, so stop() can close idle keep-alives."""

    # Daemon threads, so a forgotten emulator never keeps the interpreter alive; socketserver does not join
    # daemon threads, so the server keeps them itself and join_threads() waits for them.
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._request_threads: list[threading.Thread] = []
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"{self.emulator.name}-request",
            daemon=True,
        )
        with self._connections_lock:
            self._request_threads = [t for t in self._request_threads if t.is_alive()]
            self._request_threads.append(thread)
        thread.start()

    def join_threads(self) -> None:
        """Wait for every request thread (after close_connections() made the idle ones return)."""
        with self._connections_lock:
            threads = list(self._request_threads)
        for thread in threads:
            thread.join()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (socket.getfqdn), a DNS lookup we don't need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut every open connection down, so handler threads blocked on a keep-alive read return."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up, or stop() closing a connection, is not worth a traceback on stderr.
        if self.emulator._stopping.is_set() or isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads a request, hands it to the emulator, writes its answer (or drops the connection)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't let Nagle hold the second
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)
        if self.server.emulator._stopping.is_set():  # accepted just as stop() closed the others
            self.close_connection = True
            self._shutdown()

    def _shutdown(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator keeps its own log."""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError:  # a Content-Length or chunk size that is not a number: the stream is lost
            self.close_connection = True
            self.send_error(400, "malformed request body framing")
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        response = self.server.emulator._handle(self.command, self.path, headers, body)
        if response is None:
            self.close_connection = True
            self._shutdown()
            return
        if self.server.emulator._stopping.is_set():
            self.close_connection = True
            response.headers["Connection"] = "close"
        data = response.encode()
        self.send_response(response.status)
        extra = dict(response.headers)
        if data:
            extra.setdefault("Content-Type", "application/json")
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


# -- outbound webhooks -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One outbound webhook delivery: a payload POSTed to `url` until it gets a 2xx or runs out of attempts.

    `headers` is called before each attempt, so a signature can carry the attempt's own timestamp.
    """

    id: str
    url: str
    body: bytes
    headers: Callable[[bytes], dict[str, str]]
    max_attempts: int = 8
    attempts: int = 0
    status: str = "pending"
    """pending, succeeded, failed or cancelled."""
    last_status_code: int | None = None
    last_error: str | None = None


def is_loopback_url(url: str) -> bool:
    """Whether `url` is http(s) to localhost or a loopback address (the only place an Outbox delivers)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class Outbox:
    """Delivers webhooks from a background thread, retrying with exponential backoff.

    A failed attempt (no answer, or not 2xx) is retried after `backoff * 2 ** (attempts - 1)` seconds until
    `max_attempts`. Only loopback URLs are delivered to: any other fails at once, untried.
    """

    def __init__(self, backoff: float = 0.1, timeout: float = 2.0) -> None:
        self.backoff = backoff
        self._initial_backoff = backoff
        self.timeout = timeout
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._serial = 0
        self._in_flight = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy

    def start(self, name: str = "outbox") -> None:
        """Start the delivery thread."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread (pending deliveries stay queued) and join it."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._cond.notify_all()
        if thread is not None:
            thread.join()

    def clear(self) -> None:
        """Forget every queued delivery and restore the backoff given at construction."""
        with self._cond:
            self._queue.clear()
            self.backoff = self._initial_backoff
            self._cond.notify_all()

    def send(self, delivery: Delivery, delay: float = 0.0) -> None:
        """Queue a delivery attempt `delay` seconds from now."""
        with self._cond:
            delivery.status = "pending"
            self._serial += 1
            heapq.heappush(self._queue, (time.monotonic() + delay, self._serial, delivery))
            self._cond.notify_all()

    def cancel(self, delivery: Delivery) -> None:
        """Take a delivery's queued attempt off the queue; a pending one is marked cancelled."""
        with self._cond:
            self._queue = [item for item in self._queue if item[2] is not delivery]
            heapq.heapify(self._queue)
            if delivery.status == "pending":
                delivery.status = "cancelled"
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is queued or in flight; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._cond.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        if not is_loopback_url(delivery.url):
            with self._cond:
                delivery.status, delivery.last_error = "failed", "the emulator delivers only to loopback URLs"
            return
        code: int | None = None
        error: str | None = None
        request = urllib.request.Request(
            delivery.url,
            data=delivery.body,
            method="POST",
            headers={"Content-Type": "application/json", **delivery.headers(delivery.body)},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                code = answer.status
        except urllib.error.HTTPError as err:
            code = err.code
        except (OSError, ValueError) as err:
            error = str(err)
        with self._cond:
            delivery.attempts += 1
            delivery.last_status_code, delivery.last_error = code, error
            if code is not None and 200 <= code < 300:
                delivery.status = "succeeded"
            elif delivery.attempts >= delivery.max_attempts:
                delivery.status = "failed"
            else:
                self._serial += 1
                due = time.monotonic() + self.backoff * 2 ** (delivery.attempts - 1)
                heapq.heappush(self._queue, (due, self._serial, delivery))
