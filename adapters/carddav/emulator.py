"""A real CardDAV server for `rolo emulate carddav`, the adapter's tests and its benchmark: Radicale
(https://radicale.org), started as a subprocess on 127.0.0.1 with htpasswd auth and its storage in a folder
of its own. rolo does not imitate CardDAV: it runs a server that speaks it.

    with RadicaleServer() as server:          # a temporary folder, a free port, user `rolo`
        server.url                            # http://127.0.0.1:PORT/
        server.api_key                        # "rolo:PASSWORD", the token form basic auth takes
        server.make_addressbook("contacts")   # -> "/rolo/contacts/"

Radicale is an optional dependency (`pip install radicale`, a dev dependency of rolo): without it
`RadicaleServer` raises a `UserError` saying so.
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx
from rolo.core.errors import UserError

USER = "rolo"
_CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
max_connections = 32
timeout = 60
max_resource_size = {max_card_bytes}

[auth]
type = htpasswd
htpasswd_filename = {folder}/users
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {folder}/collections

[web]
type = none

[logging]
level = warning
"""
_VDIRSYNCER = """\
[general]
status_path = "{root}/status/"

[pair {pair}]
a = "local"
b = "radicale"
collections = null{resolution}

[storage local]
type = "filesystem"
path = "{root}/vdir/"
fileext = ".vcf"

[storage radicale]
type = "carddav"
url = "{url}"
username = "{user}"
password.fetch = ["command", "sh", "-c", "printf %s \\"${password_env}\\""]
"""
_MKCOL = """<?xml version="1.0" encoding="utf-8"?>
<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><set><prop>
<resourcetype><collection/><CR:addressbook/></resourcetype><displayname>{name}</displayname>
</prop></set></mkcol>"""


def _die_with_parent() -> None:
    """In the child, before Radicale starts: have Linux stop it when its parent dies, however the parent
    ends (`rolo emulate` killed with SIGTERM or SIGKILL would otherwise leave Radicale running)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A port nobody listens on at this moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RadicaleServer:
    """Radicale running in a subprocess, until `stop()` (or the end of a `with` block).

    Args:
        port: the port (0: a free one).
        folder: where its config, users and collections live (None: a temporary folder, removed on stop).
        password: the password of user `rolo` (None: a random one).
        max_card_bytes: the largest card Radicale takes (a bigger one is refused with 413).
    """

    def __init__(self, port: int = 0, folder: Path | None = None, password: str | None = None,
                 max_card_bytes: int = 10_000_000) -> None:
        if importlib.util.find_spec("radicale") is None:
            raise UserError("the carddav emulator runs Radicale, which is not installed",
                            hint="pip install radicale (it is in rolo's dev dependencies)")
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="rolo-radicale-")) if folder is None else folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.password = password or secrets.token_hex(12)
        (self.folder / "users").write_text(f"{USER}:{self.password}\n", encoding="utf-8")
        config = self.folder / "radicale.conf"
        config.write_text(_CONFIG.format(port=self.port, folder=self.folder.as_posix(), max_card_bytes=max_card_bytes),
                          encoding="utf-8")
        self.log_path = self.folder / "radicale.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.api_key = f"{USER}:{self.password}"
        self.username = USER
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-400:].strip()
                self._cleanup()
                raise OSError(f"Radicale exited at start ({tail.splitlines()[-1] if tail else 'no output'})")
            try:
                httpx.get(self.url, timeout=1.0)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise OSError(f"Radicale did not answer on port {self.port} within {timeout:.0f}s")

    def auth(self) -> tuple[str, str]:
        """(user, password) for httpx."""
        return USER, self.password

    def make_addressbook(self, name: str, display: str | None = None) -> str:
        """Create an address book of user rolo (extended MKCOL); its href."""
        href = f"/{USER}/{name}/"
        response = httpx.request("MKCOL", self.url.rstrip("/") + href, auth=self.auth(), timeout=30,
                                 content=_MKCOL.format(name=display or name).encode("utf-8"))
        if response.status_code not in (201, 405):  # 405: it exists already
            raise OSError(f"Radicale refused to create {href}: {response.status_code}")
        return href

    def vdirsyncer_config(self, root: Path, href: str, *, pair: str = "book", password_env: str = "VDS_PASSWORD",
                          conflict_resolution: str | None = None) -> str:
        """A vdirsyncer config pairing a vdir (`root/vdir/`, status in `root/status/`) with the address book
        `href` of this server, the password read from the variable `password_env` (never written down): how
        the interop test and the benchmark run vdirsyncer beside rolo."""
        resolution = f'\nconflict_resolution = "{conflict_resolution}"' if conflict_resolution else ""
        return _VDIRSYNCER.format(root=Path(root).as_posix(), pair=pair, resolution=resolution, user=USER,
                                  url=self.url.rstrip("/") + href, password_env=password_env)

    def stop(self) -> None:
        """Stop Radicale (and remove its temporary folder)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RadicaleServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()
