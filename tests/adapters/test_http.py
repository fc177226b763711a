"""The shared HTTP layer (`rolo.adapters._http`) over real HTTP, against a tiny emulator on the shared base.

Retries, waits, error translation, redaction and the three pagination styles. Waits are recorded by a
`sleep` that also really sleeps (briefly), so the tests check both what was asked and that it worked.
"""

from __future__ import annotations

import email.utils
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rolo.adapters._emulator import ApiError, Emulator, Request, Response, route
from rolo.adapters._http import (
    HttpClient,
    RetryPolicy,
    parse_error_body,
    parse_rate_limit_wait,
    parse_retry_after,
    redact_url,
    walk_cursor,
    walk_offset,
    walk_pages,
)
from rolo.core.errors import AdapterAuthError, AdapterError, AdapterUnavailable, RemoteRejected, UserError

TOKEN = "sk_test_VERYSECRET123456"
FAST = RetryPolicy(attempts=4, max_time=5.0, backoff=0.01, backoff_max=0.05, jitter=0.01, max_server_wait=2.0)


class TinyEmulator(Emulator):
    """Just enough API to exercise the HTTP layer: items in three pagination styles, scripted failures."""

    name = "tiny"

    def reset_state(self) -> None:
        self.state["items"] = [{"id": i} for i in range(1, 251)]
        self.state["script"] = []  # responses to give before the real answer, one per request
        self.state["posts"] = 0

    def authenticate(self, request: Request) -> None:
        token = request.bearer_token()
        if token != TOKEN:
            # a careless server echoing the key it refused: the client must scrub it
            raise ApiError(401, "invalid_api_key", f"invalid API key {token!r}")

    def _scripted(self) -> Response | None:
        script = self.state["script"]
        return script.pop(0) if script else None

    @route("GET", "/v1/things/{id}")
    def get_thing(self, request: Request) -> Any:
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        if request.params["id"] == "missing":
            raise ApiError(404, "not_found", "no thing with id 'missing'")
        return {"id": request.params["id"]}

    @route("POST", "/v1/things")
    def post_thing(self, request: Request) -> Any:
        scripted = self._scripted()
        if scripted is not None:
            return scripted
        body = self.read_json(request)
        if not body.get("name"):
            raise ApiError(422, "validation_error", "name is required")
        self.state["posts"] += 1
        return Response(201, {"id": f"t{self.state['posts']}", **body})

    @route("GET", "/v1/moved")
    def moved(self, request: Request) -> Any:
        return Response(301, None, {"Location": "https://elsewhere.test/v1/moved?token=abc"})

    @route("GET", "/v1/text")
    def text(self, request: Request) -> Any:
        return Response(200, "not json, a string")  # JSON-encoded string: valid JSON

    @route("GET", "/v1/cursor")
    def cursor(self, request: Request) -> Any:
        limit = min(int(request.query.get("limit") or 50), 100)
        start = int(request.query.get("cursor") or 0)
        items = self.state["items"][start : start + limit]
        more = start + limit < len(self.state["items"])
        return {"object": "list", "data": items, "has_more": more, "next_cursor": str(start + limit) if more else None}

    @route("GET", "/v1/pages")
    def pages(self, request: Request) -> Any:
        per_page = min(int(request.query.get("per_page") or 15), 40)  # caps below what is asked
        page = int(request.query.get("page") or 1)
        items = self.state["items"][(page - 1) * per_page : page * per_page]
        return {"data": items}

    @route("GET", "/v1/offset")
    def offset(self, request: Request) -> Any:
        limit = min(int(request.query.get("limit") or 50), 60)
        offset = int(request.query.get("offset") or 0)
        items = self.state["items"][offset : offset + limit]
        return {"data": items, "meta": {"total": len(self.state["items"]), "limit": limit}}


@pytest.fixture(scope="session")
def tiny_server() -> Iterator[TinyEmulator]:
    with TinyEmulator() as server:
        yield server


@pytest.fixture
def tiny(tiny_server: TinyEmulator) -> Iterator[TinyEmulator]:
    tiny_server.reset()
    yield tiny_server
    assert not tiny_server.errors, tiny_server.errors[-1]


class Sleeps(list):
    """A sleep that records each wait and really sleeps (so server-side windows do pass)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as c:
        yield c


def make(client: httpx.Client, url: str, sleeps: Sleeps, **kwargs: Any) -> HttpClient:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("token", TOKEN)
    return HttpClient(client, base_url=url, adapter="tiny", sleep=sleeps, **kwargs)


def error_response(status: int, code: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"error": {"code": code, "message": f"scripted {status}"}}, headers or {})


# -- plain requests ------------------------------------------------------------------------------------------


def test_get_returns_parsed_json_with_bearer_auth(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    http = make(client, tiny.url + "/", sleeps)
    assert http.get("/v1/things/a1") == {"id": "a1"}
    assert http.get("v1/things/a2") == {"id": "a2"}
    assert sleeps == []


def test_not_found_is_remote_rejected_with_status_and_code(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        make(client, tiny.url, sleeps).get("/v1/things/missing")
    assert caught.value.status == 404
    assert caught.value.code == "not_found"
    assert caught.value.adapter == "tiny"
    assert "GET" in str(caught.value) and "/v1/things/missing" in str(caught.value)
    assert len(tiny.log) == 1  # a 404 is never retried


def test_validation_error_carries_the_remote_code_and_message(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        make(client, tiny.url, sleeps).post("/v1/things", json={}, headers={"Idempotency-Key": "k"})
    assert (caught.value.status, caught.value.code) == (422, "validation_error")
    assert "name is required" in str(caught.value)


def test_a_json_string_body_is_returned_as_is(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    assert make(client, tiny.url, sleeps).get("/v1/text") == "not json, a string"


def test_a_redirect_is_rejected_naming_the_new_place(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        make(client, tiny.url, sleeps).get("/v1/moved")
    assert (caught.value.status, caught.value.code) == (301, "redirect")
    assert "https://elsewhere.test/v1/moved?token=***" in str(caught.value)


def test_bad_base_url_is_a_user_error(client: httpx.Client) -> None:
    with pytest.raises(UserError, match="http"):
        HttpClient(client, base_url="relm.example.com", adapter="tiny")


# -- auth and secrets ----------------------------------------------------------------------------------------


def test_unauthorized_is_auth_error_without_the_token(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    wrong = "sk_test_WRONGKEY987654321"
    http = make(client, tiny.url, sleeps, token=wrong, auth_hint="create a key on the API Keys page")
    with pytest.raises(AdapterAuthError) as caught:
        http.get("/v1/things/a1")
    error = caught.value
    text = f"{error} {error!r} {error.hint} {error.__cause__!r} {error.__context__!r}"
    assert wrong not in text
    assert "invalid_api_key" in str(error) and "401" in str(error)
    assert error.hint == "create a key on the API Keys page"
    assert error.__cause__ is None
    assert len(tiny.log) == 1  # never retried
    assert wrong not in repr(http) and "***" in repr(http)


def test_secrets_in_query_parameters_never_reach_messages_or_logs(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    tiny.fail_every(1, 500)
    http = make(client, tiny.url, sleeps)
    with caplog.at_level(logging.DEBUG), pytest.raises(RemoteRejected) as caught:
        http.get("/v1/things/a1", params={"api_key": "QUERYSECRET42", "q": "x"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retry" in logged  # the retries were logged...
    assert "HTTP Request" in logged  # ...and so were httpx's own request lines,
    for text in (logged, str(caught.value)):
        assert "QUERYSECRET42" not in text and TOKEN not in text  # with the secrets hidden


def test_redact_url_hides_token_parameters_and_userinfo() -> None:
    assert redact_url("https://u:pw@x.test/a?token=abc&q=1&api_key=zz") == "https://***@x.test/a?token=***&q=1&api_key=***"
    assert redact_url("https://x.test/a?q=1") == "https://x.test/a?q=1"


# -- retries -------------------------------------------------------------------------------------------------


def test_a_500_storm_is_retried_then_rejected(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.fail_every(1, 500)
    with pytest.raises(RemoteRejected) as caught:
        make(client, tiny.url, sleeps).get("/v1/things/a1")
    assert caught.value.status == 500 and caught.value.code == "internal_error"
    assert "after 4 attempts" in str(caught.value)
    assert len(tiny.log) == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1
    # exponential backoff with jitter, capped
    assert all(0.01 <= s <= FAST.backoff_max + FAST.jitter for s in sleeps)
    assert sleeps[1] >= 0.02 - 1e-9


def test_intermittent_500s_are_ridden_out(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.fail_every(2, 500)
    http = make(client, tiny.url, sleeps)
    assert [http.get(f"/v1/things/{i}")["id"] for i in range(6)] == [str(i) for i in range(6)]


@pytest.mark.parametrize("status", [502, 503, 504], ids=["bad-gateway", "unavailable", "gateway-timeout"])
def test_gateway_errors_that_persist_mean_unavailable(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps, status: int
) -> None:
    tiny.state["script"] = [error_response(status, "upstream", {"Retry-After": "0"})] * 10
    with pytest.raises(AdapterUnavailable, match=str(status)):
        make(client, tiny.url, sleeps).get("/v1/things/a1")
    assert len(tiny.log) == FAST.attempts


def test_429_waits_as_long_as_retry_after_says(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.state["script"] = [error_response(429, "rate_limited", {"Retry-After": "0.2"})]
    assert make(client, tiny.url, sleeps).get("/v1/things/a1") == {"id": "a1"}
    assert sleeps == [0.2]


def test_retry_after_as_an_http_date(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    when = email.utils.formatdate(time.time() + 1, usegmt=True)
    tiny.state["script"] = [error_response(503, "maintenance", {"Retry-After": when})]
    assert make(client, tiny.url, sleeps).get("/v1/things/a1") == {"id": "a1"}
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1.0


def test_rate_limited_by_the_emulator_then_served(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    """The base emulator's rate limit: X-RateLimit-Remaining reaches 0, so the client waits for the reset
    instead of running into the 429."""
    tiny.rate_limit(2, 0.5)
    http = make(client, tiny.url, sleeps)
    for i in range(5):
        assert http.get(f"/v1/things/{i}") == {"id": str(i)}
    assert [e.status for e in tiny.log] == [200] * 5
    assert sleeps and all(0 < s <= 1.5 for s in sleeps)


def test_429_from_the_emulator_waits_for_retry_after(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.fail_every(2, 429)  # every second request: 429 with Retry-After: 1
    http = make(client, tiny.url, sleeps)
    assert [http.get(f"/v1/things/{i}")["id"] for i in range(2)] == ["0", "1"]
    assert sleeps == [1.0]


def test_a_wait_longer_than_allowed_fails_at_once(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.state["script"] = [error_response(429, "rate_limited", {"Retry-After": "3600"})]
    with pytest.raises(AdapterUnavailable, match="wait 3600s"):
        make(client, tiny.url, sleeps).get("/v1/things/a1")
    assert len(tiny.log) == 1 and sleeps == []


def test_the_time_budget_stops_retrying(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.fail_every(1, 500)
    policy = RetryPolicy(attempts=50, max_time=0.3, backoff=0.1, backoff_max=0.1, jitter=0)
    started = time.monotonic()
    with pytest.raises(RemoteRejected):
        make(client, tiny.url, sleeps, retry=policy).get("/v1/things/a1")
    assert time.monotonic() - started < 1.0
    assert 2 <= len(tiny.log) <= 4


def test_dropped_connections_are_retried_for_safe_requests(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    tiny.drop_every(2)
    http = make(client, tiny.url, sleeps)
    assert [http.get(f"/v1/things/{i}")["id"] for i in range(4)] == ["0", "1", "2", "3"]
    assert [e.status for e in tiny.log].count(None) >= 2


def test_always_dropped_is_unavailable(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.drop_every(1)
    with pytest.raises(AdapterUnavailable, match="after 4 attempts") as caught:
        make(client, tiny.url, sleeps).get("/v1/things/a1")
    assert not isinstance(caught.value, httpx.HTTPError) and caught.value.__cause__ is None


def test_a_post_without_idempotency_key_is_not_repeated_after_a_drop(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    tiny.drop_every(1)
    with pytest.raises(AdapterUnavailable):
        make(client, tiny.url, sleeps).post("/v1/things", json={"name": "a"})
    assert len(tiny.log) == 1


def test_a_post_with_idempotency_key_is_repeated_after_a_drop(
    tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps
) -> None:
    tiny.drop_every(2)
    http = make(client, tiny.url, sleeps)
    http.get("/v1/things/a")  # request 1 answered; request 2 (the POST) is dropped, then repeated
    assert http.post("/v1/things", json={"name": "a"}, headers={"Idempotency-Key": "k1"})["name"] == "a"
    assert [e.status for e in tiny.log] == [200, None, 201]


def test_a_post_without_key_is_still_retried_on_429(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.state["script"] = [error_response(429, "rate_limited", {"Retry-After": "0"})]
    assert make(client, tiny.url, sleeps).post("/v1/things", json={"name": "a"})["id"] == "t1"


def test_a_post_without_key_is_not_retried_on_500(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    tiny.state["script"] = [error_response(500, "internal_error")]
    with pytest.raises(RemoteRejected):
        make(client, tiny.url, sleeps).post("/v1/things", json={"name": "a"})
    assert len(tiny.log) == 1


def test_timeouts_are_retried_then_unavailable(tiny: TinyEmulator, sleeps: Sleeps) -> None:
    tiny.delay(0.3)
    with httpx.Client(timeout=0.05) as slow, pytest.raises(AdapterUnavailable, match="timed out"):
        make(slow, tiny.url, sleeps, retry=RetryPolicy(attempts=2, backoff=0.01, jitter=0)).get("/v1/things/a")
    assert len(sleeps) == 1
    # let the server finish the two slow requests, so they are not logged during the next test
    deadline = time.monotonic() + 3
    while len(tiny.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)


def test_connection_refused_is_unavailable(client: httpx.Client, sleeps: Sleeps) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(AdapterUnavailable):
        make(client, f"http://127.0.0.1:{port}", sleeps).get("/v1/things/a")
    assert len(sleeps) == FAST.attempts - 1


# -- parsing -------------------------------------------------------------------------------------------------

ERROR_SHAPES = [
    ({"error": {"code": "validation_error", "message": "email is invalid"}}, "validation_error", "email is invalid"),
    ({"error": "not_found", "message": "Contact not found"}, "not_found", "Contact not found"),
    ({"error": "Contact not found"}, None, "Contact not found"),
    ({"code": "VALIDATION_ERROR", "message": "Missing name"}, "VALIDATION_ERROR", "Missing name"),
    ({"error": {"code": "MISSING_BOOK", "message": "X-Book-ID is missing"}}, "MISSING_BOOK", "X-Book-ID is missing"),
    ({"message": "The given data was invalid.", "errors": {"first_name": ["required"]}}, None,
     "The given data was invalid."),
    ({"errors": {"first_name": ["The first name field is required."]}}, None,
     "first_name: The first name field is required."),
    ({"errors": [{"code": "taken", "detail": "email already used"}]}, "taken", "email already used"),
    ({"type": "about:blank", "title": "Bad Request", "detail": "limit too large"}, "about:blank", "limit too large"),
    ({"error": "invalid_token", "error_description": "expired"}, "invalid_token", "expired"),
]


@pytest.mark.parametrize(
    ("body", "code", "message"), ERROR_SHAPES,
    ids=["relm", "code-string", "message-string", "flat", "relaybook", "laravel", "laravel-errors-only",
         "jsonapi", "problem-json", "oauth"],
)
def test_parse_error_body_understands_common_shapes(body: Any, code: str | None, message: str) -> None:
    info = parse_error_body(httpx.Response(400, json=body))
    assert (info.code, info.message) == (code, message)


def test_parse_error_body_of_text_and_html() -> None:
    assert parse_error_body(httpx.Response(502, text="Bad gateway\nnginx")).message == "Bad gateway"
    assert parse_error_body(httpx.Response(502, text="<html><body>oops</body></html>")).message is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
    ids=["seconds", "fraction", "negative", "past-date", "garbage", "absent"],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_date() -> None:
    now = time.time()
    assert 9 <= parse_retry_after(email.utils.formatdate(now + 10, usegmt=True), now=now) <= 10


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "1000000005"}, None),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000000005"}, 5.0),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "7"}, 7.0),
        ({"X-RateLimit-Remaining": "0"}, None),
        ({}, None),
    ],
    ids=["left", "spent-unix", "spent-delta", "no-reset", "none"],
)
def test_parse_rate_limit_wait(headers: dict[str, str], expected: float | None) -> None:
    assert parse_rate_limit_wait(httpx.Headers(headers), now=1_000_000_000) == expected


def test_retry_policy_from_options() -> None:
    policy = RetryPolicy.from_options({"retry_attempts": "2", "retry_max_time": "1.5", "other": "x"})
    assert (policy.attempts, policy.max_time) == (2, 1.5)


# -- pagination ----------------------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_page(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    http = make(client, tiny.url, sleeps)
    items = list(http.paginate_cursor("/v1/cursor", limit=100))
    assert [i["id"] for i in items] == list(range(1, 251))
    assert len(tiny.log) == 3


def test_cursor_pagination_is_lazy(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    walk = make(client, tiny.url, sleeps).paginate_cursor("/v1/cursor", limit=10)
    assert next(walk) == {"id": 1}
    assert len(tiny.log) == 1


def test_page_pagination_survives_a_capped_page_size(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    http = make(client, tiny.url, sleeps)
    items = list(http.paginate_pages("/v1/pages", per_page=100))  # the server gives 40 a page
    assert [i["id"] for i in items] == list(range(1, 251))


def test_offset_pagination_advances_by_what_came_back(tiny: TinyEmulator, client: httpx.Client, sleeps: Sleeps) -> None:
    http = make(client, tiny.url, sleeps)
    items = list(http.paginate_offset("/v1/offset", limit=100))  # the server gives 60 a page
    assert [i["id"] for i in items] == list(range(1, 251))
    assert len(tiny.log) == 5  # stops at meta.total, without asking for an empty page


def test_cursor_that_comes_back_is_an_error() -> None:
    def fetch(params: dict[str, Any]) -> Any:
        return {"data": [{"id": 1}], "has_more": True, "next_cursor": "same"}

    with pytest.raises(AdapterError, match="does not advance"):
        list(walk_cursor(fetch))


def test_relate_style_cursor_paths() -> None:
    pages = {None: ([1, 2], 2, True), 2: ([3], 3, False)}

    def fetch(params: dict[str, Any]) -> Any:
        data, end, more = pages[params.get("after")]
        return {"data": data, "pagination": {"end_cursor": end, "has_next_page": more}}

    walk = walk_cursor(fetch, cursor_param="after", next_cursor="pagination.end_cursor",
                       has_more="pagination.has_next_page", limit_param="first", limit=2)
    assert list(walk) == [1, 2, 3]


def test_a_server_ignoring_the_page_parameter_is_an_error() -> None:
    with pytest.raises(AdapterError, match="does not advance"):
        list(walk_pages(lambda params: {"data": [1, 2]}, per_page=2))
    with pytest.raises(AdapterError, match="does not advance"):
        list(walk_offset(lambda params: {"data": [1, 2]}, limit=2))


def test_pages_stop_at_last_page() -> None:
    asked: list[int] = []

    def fetch(params: dict[str, Any]) -> Any:
        asked.append(params["page"])
        return {"data": [params["page"]] * 2, "meta": {"last_page": 2}}

    assert list(walk_pages(fetch, per_page=2)) == [1, 1, 2, 2]
    assert asked == [1, 2]
