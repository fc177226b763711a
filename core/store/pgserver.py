"""A throw-away PostgreSQL server: the installed binaries, a cluster in a temporary folder, 127.0.0.1 only.

For the tests (`ROLO_TEST_ENGINE=postgresql pytest …` runs the storage, CLI, import, sync and plugin suites with
every test's book a database of such a server; `make test` does, after the SQLite run) and the benchmarks
(`benchmarks/postgres_bench.py`), as `rolo.adapters.carddav.emulator.RadicaleServer` is Radicale for them.
Each pytest process (xdist worker) starts its own cluster on a free port; each test gets a new database
copied from a template that holds the current schema (a copy is ~40 ms, migrating from scratch ~1 s).
initdb refuses to run as root, so as root the cluster belongs to the `postgres` user the Debian package
creates. Never for a real book: fsync is off.

`python -m rolo.core.store.pgserver COMMAND…` (what `make test` runs) starts one cluster, runs the command
with `ROLO_TEST_PG` set to the server's URL, and stops the cluster whatever the command's outcome: the test
processes then share that server (`PgCluster.attach`), each with a template of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

USER = "rolo"
TEMPLATE = "rolo_template"
SERVER_ENV = "ROLO_TEST_PG"  # the URL of a server started for a command (see the module docstring)


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them out of PATH), or None when not installed."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgCluster:
    """One throw-away cluster: `start()`, `new_book()` for each test, `stop()`."""

    def __init__(self) -> None:
        found = binaries()
        if found is None:
            raise RuntimeError("PostgreSQL is not installed (Debian's postgresql package: make test installs it)")
        self.bin = found
        self.folder: Path | None = Path(tempfile.mkdtemp(prefix="rolo-pg-"))
        self.port = _free_port()
        self._names = itertools.count(1)
        self.template = TEMPLATE
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse root
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres")

    @classmethod
    def attach(cls, url: str) -> PgCluster:
        """A cluster started by someone else (`ROLO_TEST_PG`): this process's own template in it; `stop()`
        leaves the server running."""
        cluster = cls.__new__(cls)
        cluster.bin, cluster.folder, cluster._as = Path(), None, []
        cluster.port = urlsplit(url).port or 5432
        cluster._names = itertools.count(1)
        cluster.template = f"{TEMPLATE}_{os.getpid()}"
        cluster._make_template()
        return cluster

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, cwd=self.folder)

    def start(self) -> PgCluster:
        assert self.folder is not None
        data = self.folder / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")
        self._make_template()
        return self

    def _make_template(self) -> None:
        from rolo.core.store.connection import create_book

        self._sql("postgres", f"CREATE DATABASE {self.template}")
        create_book(self.url(self.template))  # the schema, migrated once

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _sql(self, database: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def new_book(self, *, empty: bool = False) -> str:
        """A new database: a copy of the migrated template (`empty`: none of rolo's tables yet)."""
        name = f"book_{os.getpid()}_{next(self._names)}"
        self._sql("postgres", f"CREATE DATABASE {name}" + ("" if empty else f" TEMPLATE {self.template}"))
        return self.url(name)

    def stop(self) -> None:
        if self.folder is None:  # attached: the server is its starter's to stop
            return
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def run_with_server(command: list[str]) -> int:
    """Start a cluster, run `command` with ROLO_TEST_PG set to its URL, stop the cluster; the command's status."""
    try:
        cluster = PgCluster()
    except RuntimeError as exc:
        print(f"pgserver: {exc}", file=sys.stderr)
        return 1
    try:
        cluster.start()
        print(f"PostgreSQL for the tests on 127.0.0.1:{cluster.port} (data in {cluster.folder})", flush=True)
        return subprocess.call(command, env={**os.environ, SERVER_ENV: cluster.url("postgres")})
    except OSError as exc:  # the command cannot be run: said in a line, with a shell's status
        print(f"pgserver: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
        return 127
    finally:
        cluster.stop()


class PgBookLocation(str):  # the tests' stand-in for a book file's path
    """A PostgreSQL book's URL where the tests expect the book file's path: `str()` is the URL (what `--book`
    and `Book()` take); `exists()` asks whether the database holds a rolo schema; `parent`, `stem` and
    `with_name()` give the test's own folder, for files a test writes "beside the book" (exports). A test
    that needs the book file itself (its bytes, its backups) is marked `sqlite_only`."""

    folder: Path

    def __new__(cls, url: str, folder: Path) -> PgBookLocation:
        made = super().__new__(cls, url)
        made.folder = folder
        return made

    @property
    def parent(self) -> Path:
        return self.folder

    @property
    def stem(self) -> str:
        return "book"

    @property
    def name(self) -> str:
        return "book"

    def with_name(self, name: str) -> Path:
        return self.folder / name

    def exists(self) -> bool:
        from rolo.core.store.connection import book_exists

        return book_exists(str(self))


if __name__ == "__main__":
    # stopped by SIGTERM (CI cancelling a job): exit through run_with_server's cleanup, killing the command
    # and stopping the server, rather than leaving both running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(sys.argv) < 2:
        sys.exit("usage: python -m rolo.core.store.pgserver COMMAND [ARG…]  (runs COMMAND beside a throw-away server)")
    sys.exit(run_with_server(sys.argv[1:]))
