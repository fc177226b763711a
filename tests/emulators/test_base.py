"""The emulator base: binding, lifecycle, routing, query parsing, JSON, auth hook, log, faults, outbox."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, ClassVar

import httpx
import pytest

from rolo.adapters._emulator import (
    ApiError,
    Delivery,
    Emulator,
    Outbox,
    QueryParams,
    Request,
    Response,
    route,
    split_key,
)


class TinyEmulator(Emulator):
    """A two-resource API with a token header, as a new emulator would be written."""

    name = "tiny"
    error_codes: ClassVar = {**Emulator.error_codes, "not_found": "NOT_FOUND"}

    def authenticate(self, request: Request) -> None:
        if request.path.startswith("/private") and request.header("X-Token") != "secret":
            raise ApiError(401, "unauthorized", "X-Token is required")

    @route("GET", "/things/{id}")
    def get_thing(self, request: Request) -> Any:
        if request.params["id"] not in self.state:
            raise self.not_found("thing", request.params["id"])
        return self.state[request.params["id"]]

    @route("GET", "/things/special")
    def special(self, request: Request) -> Any:
        return {"special": True}

    @route("POST", "/things")
    def create_thing(self, request: Request) -> Response:
        body = self.read_json(request)
        self.state[body["id"]] = body
        return Response(201, body)

    @route("GET", "/echo/{a}/{b}", flavour="plain")
    @route("GET", "/private/echo/{a}/{b}", flavour="private")
    def echo(self, request: Request) -> Any:
        return {
            "params": request.params,
            "query": request.query.items(),
            "filters": [[*parts, value] for parts, value in request.query.bracketed("filter")],
        }

    @route("POST", "/count")
    def count(self, request: Request) -> Any:
        # read, yield the GIL, write: only atomic because routes run under the emulator's lock
        value = self.state.get("n", 0)
        time.sleep(0)
        self.state["n"] = value + 1
        return {"n": self.state["n"]}

    @route("POST", "/body")
    def body(self, request: Request) -> Any:
        return {"size": len(request.body), "text": request.body.decode()}

    @route("GET", "/boom")
    def boom(self, request: Request) -> Any:
        raise RuntimeError("a bug in the emulator")


@pytest.fixture
def tiny():
    with TinyEmulator() as emulator:
        yield emulator


@pytest.fixture
def http(tiny):
    with httpx.Client(base_url=tiny.url, timeout=5) as client:
        yield client


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("tiny-", "Thread-")) and t.is_alive()]


# -- binding and lifecycle ---------------------------------------------------------------------------------


def test_binds_loopback_only_on_a_free_port(tiny):
    assert tiny.url == f"http://127.0.0.1:{tiny.port}"
    assert tiny.port > 0
    assert tiny._server.socket.getsockname()[0] == "127.0.0.1"


def test_stop_releases_the_port_and_joins_threads():
    before = set(threading.enumerate())
    emulator = TinyEmulator().start()
    port = emulator.port
    client = httpx.Client(base_url=emulator.url)
    assert client.get("/things/special").status_code == 200  # leaves a keep-alive connection open
    emulator.stop()
    client.close()
    assert not emulator.running
    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_stop_does_not_wait_for_idle_keep_alive_connections():
    emulator = TinyEmulator().start()
    clients = [httpx.Client(base_url=emulator.url) for _ in range(3)]
    for client in clients:
        client.get("/things/special")
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 2
    for client in clients:
        client.close()


def test_stop_interrupts_a_delayed_request():
    emulator = TinyEmulator().start()
    emulator.delay(30)
    failures: list[Exception] = []

    def call() -> None:
        try:
            httpx.get(f"{emulator.url}/things/special", timeout=10)
        except httpx.HTTPError as err:
            failures.append(err)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.2)
    started = time.monotonic()
    emulator.stop()
    caller.join(5)
    assert time.monotonic() - started < 3
    assert failures and isinstance(failures[0], httpx.RemoteProtocolError)


def test_context_manager_start_twice_and_restart():
    emulator = TinyEmulator()
    with emulator:
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()
        assert httpx.get(f"{emulator.url}/things/special").json() == {"special": True}
    emulator.stop()  # a second stop is harmless
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    with emulator:
        assert httpx.get(f"{emulator.url}/things/special").status_code == 200


def test_a_fixed_port_can_be_reused_after_stop():
    with TinyEmulator() as first:
        port = first.port
    with TinyEmulator(port) as second:
        assert second.port == port


# -- routing, query strings, JSON ----------------------------------------------------------------------------


def test_routes_are_listed_in_definition_order():
    assert TinyEmulator.routes()[:3] == ["GET /things/{id}", "GET /things/special", "POST /things"]
    assert "GET /private/echo/{a}/{b}" in TinyEmulator.routes()


def test_path_params_are_decoded_and_route_defaults_added(http):
    body = http.get("/echo/a%20b/c").json()
    assert body["params"] == {"a": "a b", "b": "c", "flavour": "plain"}


def test_literal_segment_beats_a_parameter(http, tiny):
    tiny.state["x"] = {"id": "x"}
    assert http.get("/things/special").json() == {"special": True}
    assert http.get("/things/x").json() == {"id": "x"}


def test_unknown_path_is_404_and_wrong_method_405(http):
    missing = http.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "NOT_FOUND", "message": "no route for /nowhere"}}
    wrong = http.delete("/things/1")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET"
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_query_keeps_repeated_and_bracketed_keys(http):
    body = http.get(
        "/echo/a/b",
        params=[
            ("filter[email][eq]", "ada@example.com"),
            ("tag", "x"),
            ("tag", "y"),
            ("filter[stage]", "won"),
            ("empty", ""),
        ],
    ).json()
    assert body["query"] == [
        ["filter[email][eq]", "ada@example.com"],
        ["tag", "x"],
        ["tag", "y"],
        ["filter[stage]", "won"],
        ["empty", ""],
    ]
    assert body["filters"] == [["email", "eq", "ada@example.com"], ["stage", "won"]]


def test_query_params_api():
    query = QueryParams.parse("a=1&a=2&b=&filter%5Bx%5D%5Bin%5D=p,q&c=%2B")
    assert query.get("a") == "1" and query.getlist("a") == ["1", "2"]
    assert query.get("missing", "d") == "d"
    assert query.keys() == ["a", "b", "filter[x][in]", "c"]
    assert "b" in query and query.get("b") == "" and query.get("c") == "+"
    assert query.bracketed("filter") == [(("x", "in"), "p,q")]
    assert len(query) == 5


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("filter[email][eq]", ("filter", ("email", "eq"))),
        ("filter[stage]", ("filter", ("stage",))),
        ("filter[metadata.plan][in]", ("filter", ("metadata.plan", "in"))),
        ("limit", ("limit", ())),
        ("filter[", ("filter[", ())),
        ("filter[a]x", ("filter[a]x", ())),
    ],
    ids=["field-op", "field-only", "dotted", "plain", "unclosed", "trailing-text"],
)
def test_split_key(key, expected):
    assert split_key(key) == expected


def test_json_body_round_trip(http, tiny):
    created = http.post("/things", json={"id": "t1", "name": "Thing"})
    assert created.status_code == 201 and created.json() == {"id": "t1", "name": "Thing"}
    assert created.headers["Content-Type"] == "application/json"
    assert tiny.state["t1"]["name"] == "Thing"


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_request"),
        (b"[1, 2]", "application/json", 400, "invalid_request"),
        (b"", "application/json", 400, "invalid_request"),
        (b'{"id": "x"}', "text/plain", 415, "unsupported_media_type"),
    ],
    ids=["malformed", "not-an-object", "empty", "wrong-content-type"],
)
def test_bad_json_bodies(http, content, content_type, status, code):
    answer = http.post("/things", content=content, headers={"Content-Type": content_type})
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code


def test_chunked_request_body_is_read(http):
    answer = http.post("/body", content=iter([b"hello ", b"chunked ", b"world"]))
    assert answer.json() == {"size": 19, "text": "hello chunked world"}


def test_auth_hook_refuses(http):
    refused = http.get("/private/echo/a/b")
    assert refused.status_code == 401
    assert refused.json() == {"error": {"code": "unauthorized", "message": "X-Token is required"}}
    allowed = http.get("/private/echo/a/b", headers={"X-Token": "secret"})
    assert allowed.json()["params"]["flavour"] == "private"


def test_a_route_bug_answers_500_and_is_kept(http, tiny):
    answer = http.get("/boom")
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "internal_error"
    assert len(tiny.errors) == 1 and "a bug in the emulator" in tiny.errors[0]


def test_routes_run_under_one_lock(tiny):
    def hammer() -> None:
        with httpx.Client(base_url=tiny.url) as client:
            for _ in range(40):
                client.post("/count")

    workers = [threading.Thread(target=hammer) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert tiny.state["n"] == 120


# -- log and reset -------------------------------------------------------------------------------------------


def test_log_records_method_path_status_route(http, tiny):
    http.get("/things/special")
    http.get("/things/nope", params={"a": "1"})
    http.get("/nowhere")
    assert [(e.method, e.path, e.status, e.route) for e in tiny.log] == [
        ("GET", "/things/special", 200, "GET /things/special"),
        ("GET", "/things/nope", 404, "GET /things/{id}"),
        ("GET", "/nowhere", 404, None),
    ]
    assert tiny.log[1].query == "a=1"
    assert tiny.request_count == 3
    assert len(tiny.requests("GET /things/{id}")) == 1
    assert "GET /things/special" not in tiny.unused_routes()
    assert "GET /things/{id}" in tiny.unused_routes()  # answered, but never with a 2xx


def test_reset_clears_state_log_errors_and_faults(http, tiny):
    http.post("/things", json={"id": "t1"})
    http.get("/boom")
    tiny.fail_every(1)
    tiny.delay(0.5)
    tiny.rate_limit(0, 60)
    tiny.reset()
    assert tiny.state == {} and tiny.log == [] and tiny.errors == []
    started = time.monotonic()
    assert http.get("/things/special").status_code == 200
    assert time.monotonic() - started < 0.4


# -- faults --------------------------------------------------------------------------------------------------


def test_fail_every_nth_request(http, tiny):
    tiny.fail_every(3, status=503)
    answers = [http.get("/things/special") for _ in range(7)]
    assert [answer.status_code for answer in answers] == [200, 200, 503, 200, 200, 503, 200]
    failed = answers[2]
    assert failed.json()["error"]["code"] == "service_unavailable"
    assert failed.headers["Retry-After"] == "1"


def test_fail_every_applies_before_auth_and_routing(http, tiny):
    tiny.fail_every(1, status=500)
    assert http.get("/nowhere").status_code == 500
    answer = http.get("/private/echo/a/b")
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "internal_error"
    with pytest.raises(ValueError):
        tiny.fail_every(0)
    with pytest.raises(ValueError):
        tiny.fail_every(1, status=200)


def test_delay_slows_every_request(http, tiny):
    tiny.delay(0.25)
    started = time.monotonic()
    http.get("/things/special")
    http.get("/things/special")
    assert time.monotonic() - started >= 0.5
    tiny.delay(0)
    started = time.monotonic()
    http.get("/things/special")
    assert time.monotonic() - started < 0.2


def test_drop_every_closes_the_connection_without_answer(http, tiny):
    tiny.drop_every(2)
    assert http.get("/things/special").status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/things/special")
    assert http.get("/things/special").status_code == 200
    assert [entry.status for entry in tiny.log] == [200, None, 200]


def test_rate_limit_answers_429_with_retry_after(http, tiny):
    tiny.rate_limit(2, 60)
    first = http.get("/things/special")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    reset = int(first.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert http.get("/things/special").headers["X-RateLimit-Remaining"] == "0"
    limited = http.get("/things/special")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_rate_limit_window_rolls_over(http, tiny):
    tiny.rate_limit(1, 0.3)
    assert http.get("/things/special").status_code == 200
    assert http.get("/things/special").status_code == 429
    time.sleep(0.35)
    assert http.get("/things/special").status_code == 200


def test_no_rate_limit_headers_without_a_limit(http):
    assert "X-RateLimit-Limit" not in http.get("/things/special").headers


def test_clear_faults_turns_everything_off(http, tiny):
    tiny.fail_every(1)
    tiny.drop_every(1)
    tiny.rate_limit(0, 60)
    tiny.clear_faults()
    assert [http.get("/things/special").status_code for _ in range(3)] == [200, 200, 200]


# -- outbox --------------------------------------------------------------------------------------------------


class Receiver(Emulator):
    """A webhook receiver: records each POST's headers and body."""

    name = "receiver"

    @route("POST", "/hook")
    def hook(self, request: Request) -> Any:
        self.state.setdefault("got", []).append((dict(request.headers), request.body))
        return {"ok": True}


def test_outbox_delivers_and_retries_with_backoff():
    with Receiver() as receiver:
        outbox = Outbox(backoff=0.05)
        outbox.start()
        try:
            receiver.fail_every(1, status=500)
            delivery = Delivery(
                "d1",
                f"{receiver.url}/hook",
                b'{"x":1}',
                lambda body: {"X-Sig": str(len(body))},
                max_attempts=5,
            )
            outbox.send(delivery)
            time.sleep(0.2)
            receiver.clear_faults()
            assert outbox.wait_idle(5)
        finally:
            outbox.stop()
        assert delivery.status == "succeeded" and delivery.attempts >= 2
        headers, body = receiver.state["got"][-1]
        assert body == b'{"x":1}' and headers["x-sig"] == "7"


def test_outbox_gives_up_after_max_attempts_and_never_leaves_loopback():
    with Receiver() as receiver:
        receiver.fail_every(1, status=502)
        outbox = Outbox(backoff=0.01)
        outbox.start()
        try:
            failing = Delivery("d1", f"{receiver.url}/hook", b"{}", lambda body: {}, max_attempts=3)
            remote = Delivery("d2", "https://hooks.example.com/x", b"{}", lambda body: {})
            outbox.send(failing)
            outbox.send(remote)
            assert outbox.wait_idle(5)
        finally:
            outbox.stop()
        assert (failing.status, failing.attempts, failing.last_status_code) == ("failed", 3, 502)
        assert remote.status == "failed" and remote.attempts == 0 and "loopback" in remote.last_error


def test_malformed_content_length_is_400(tiny):
    with socket.create_connection(("127.0.0.1", tiny.port), timeout=5) as raw:
        raw.sendall(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n{}")
        assert raw.recv(1024).startswith(b"HTTP/1.1 400")
