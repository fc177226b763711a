"""The HTTP side: a small server on 127.0.0.1 that answers `POST /hooks/NAME` for each remote with a secret.

Answers: 202 `{"accepted": [...]}` once the delivery is verified and its records queued (the pull follows at
once, in the receiver's thread, so a slow remote never makes the sender time out and retry); 401 for a bad,
expired or replayed signature, 400 for a body that is no event, 404 for an unknown path, 413 for a body over
`MAX_BODY`; errors as `{"error": {"code", "message"}}`. `GET /` lists the endpoints. Only loopback: put a
reverse proxy or a tunnel in front to receive from the internet.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rolo.core.errors import UserError
from rolo.core.sync.webhooks import WebhookRejected

from rolo.plugins.webhooks.receiver import Receiver

HOST = "127.0.0.1"
DEFAULT_PORT = 8790
MAX_BODY = 1 << 20  # one event is a few KB; refuse anything that is plainly not one
_CODES = {400: "invalid_event", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
          413: "too_large"}


class WebhookServer(ThreadingHTTPServer):
    """Serves a `Receiver` on 127.0.0.1 (`port` 0: any free port; `url` says which)."""

    daemon_threads = True

    def __init__(self, receiver: Receiver, port: int = DEFAULT_PORT) -> None:
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            raise UserError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}",
                            hint="another program has the port: choose one with --port") from None
        self.receiver = receiver

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_until(self, stop: threading.Event) -> None:
        """Serve (and pull, in a second thread) until `stop` is set."""
        worker = threading.Thread(target=self.receiver.run, args=(stop,), name="rolo-webhooks-pull", daemon=True)
        worker.start()
        server = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                  name="rolo-webhooks-http", daemon=True)
        server.start()
        try:
            stop.wait()
        finally:
            self.shutdown()
            self.server_close()
            server.join(5)
            worker.join(30)  # a pull in progress finishes its transaction


class _Handler(BaseHTTPRequestHandler):
    server: WebhookServer
    server_version = "rolo-webhooks"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # the receiver logs what matters; request lines would only repeat it

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.rstrip("/") != "":
            self._answer(404, error=(404, f"no such path {self.path}; webhooks are POSTed to /hooks/NAME"))
            return
        hooks = {name: e.path for name, e in self.server.receiver.endpoints.items()}
        self._answer(200, {"endpoints": hooks})

    def do_POST(self) -> None:  # noqa: N802
        name = self.path.split("?", 1)[0].removeprefix("/hooks/")
        if not self.path.startswith("/hooks/") or "/" in name or not name:
            self._answer(404, error=(404, f"no such path {self.path}; webhooks are POSTed to /hooks/NAME"))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._answer(413, error=(413, f"a webhook body is at most {MAX_BODY} bytes"))
            self.close_connection = True
            return
        body = self.rfile.read(length)
        receiver = self.server.receiver
        try:
            events = receiver.receive(name, dict(self.headers.items()), body)
        except WebhookRejected as exc:
            receiver.log(f"Error: webhooks: {name}: refused a delivery from {self.client_address[0]}: {exc}")
            self._answer(exc.status, error=(exc.status, str(exc)))
            return
        self._answer(202, {"accepted": [{"id": e.remote_id, "action": e.action} for e in events]})

    def do_PUT(self) -> None:  # noqa: N802
        self._answer(405, error=(405, "webhooks are POSTed"))

    do_PATCH = do_DELETE = do_PUT  # noqa: N815

    def _answer(self, status: int, payload: Any = None, *, error: tuple[int, str] | None = None) -> None:
        if error is not None:
            payload = {"error": {"code": _CODES.get(error[0], "error"), "message": error[1]}}
        body = json.dumps(payload).encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
