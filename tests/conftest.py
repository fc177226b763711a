"""Shared fixtures: a real book file in tmp_path, a CLI runner bound to it, an isolated ROLO_HOME.

With `ROLO_TEST_ENGINE=postgresql` the `book_path` of every test is a new database of a real PostgreSQL
server instead (rolo.core.store.pgserver: the server `make test` started, named by `ROLO_TEST_PG`, else one
this process starts), and tests marked `sqlite_only` are skipped with their reason.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rolo.adapters.relm.emulator import RelmEmulator
from rolo.core.book import Book
from rolo.core.cli import cli

ENGINE = os.environ.get("ROLO_TEST_ENGINE", "sqlite")
REPO = Path(__file__).resolve().parent.parent
SHARED_VCARDS = REPO.parent / "shared" / "vcards"
SAMPLE_BOOK = REPO / "sample_book"


@pytest.fixture(autouse=True)
def rolo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ROLO_HOME, so nothing touches the user's real book or config."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ROLO_HOME", str(home))
    for var in ("ROLO_BOOK", "ROLO_CONFIG", "ROLO_LOAD_PLUGINS", "EDITOR", "VISUAL"):
        monkeypatch.delenv(var, raising=False)
    return home


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that open the test's book (`book_path`, directly or through `rolo`
    or `book`): the others (vCard parsing, help texts, label vocabularies) say nothing of the engine and ran
    on SQLite already. Skip the tests about the book file itself, each saying why."""
    if ENGINE != "postgresql":
        return
    keep = [item for item in items if "book_path" in getattr(item, "fixturenames", ())]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "about the SQLite book file"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def raw_db(location: object) -> sqlite3.Connection:
    """The book's database opened directly, to look at its tables (either engine: the store's PostgreSQL
    connection takes the same `?` statements). Use as `with raw_db(path) as db:` or `raw_db(path).execute()`."""
    if ENGINE == "postgresql":
        from rolo.core.store.postgres import PgConnection

        return PgConnection(str(location))  # type: ignore[return-value]
    return sqlite3.connect(location)  # type: ignore[arg-type]


def book_bytes(location: object) -> bytes:
    """Everything the book holds, as bytes, to look for what must never be in it (a token): the file and
    its write-ahead log, or on PostgreSQL a `pg_dump` of the database."""
    if ENGINE == "postgresql":
        import subprocess

        from rolo.core.store.pgserver import binaries

        dump = subprocess.run([str(binaries() / "pg_dump"), str(location)], check=True,  # type: ignore[operator]
                              capture_output=True).stdout
        # sequences are not transactional (a rolled-back insert still moves one on, which is no data), and
        # each dump brackets itself with a random \restrict key
        return b"".join(line for line in dump.splitlines(keepends=True)
                        if not line.startswith((b"SELECT pg_catalog.setval(", b"\\restrict", b"\\unrestrict")))
    book = Path(location)  # type: ignore[arg-type]
    return b"".join(p.read_bytes() for p in [book, *book.parent.glob(book.name + "-*")] if p.is_file())


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """The PostgreSQL cluster of this test process: the one `make test` started, else its own."""
    from rolo.core.store.pgserver import SERVER_ENV, PgCluster, binaries

    if os.environ.get(SERVER_ENV):  # `make test` started one server for the run
        cluster = PgCluster.attach(os.environ[SERVER_ENV])
        yield cluster
        return
    if binaries() is None and ENGINE != "postgresql":  # make test installs it; a bare checkout may lack it
        pytest.skip("PostgreSQL is not installed (Debian's postgresql: `make test` installs it)")
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def book_path(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """Where the test's book is: tmp_path/book.db, or on PostgreSQL a new database (its URL)."""
    if ENGINE == "postgresql":
        from rolo.core.store.pgserver import PgBookLocation

        return PgBookLocation(request.getfixturevalue("pg_cluster").new_book(), tmp_path)  # type: ignore[return-value]
    return tmp_path / "book.db"


@pytest.fixture
def book(book_path: Path) -> Book:
    """A new, empty book at tmp_path/book.db (region US)."""
    with Book(str(book_path), region="US") as opened:
        yield opened


@pytest.fixture
def sample_book(tmp_path: Path) -> Path:
    """A copy of the sample book's vCards and config under tmp_path."""
    target = tmp_path / "sample_book"
    shutil.copytree(SAMPLE_BOOK, target)
    return target


class Rolo:
    """Runs the CLI in-process against one book, as a user would type the commands."""

    def __init__(self, book_path: Path) -> None:
        self.book_path = book_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True, env: dict | None = None) -> Result:
        result = self.runner.invoke(cli, ["--book", str(self.book_path), *args], input=input, env=env,
                                    catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, f"rolo {' '.join(args)} -> {result.exit_code}\n{result.output}"
        return result

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json").stdout)

    def fails(self, *args: str, code: int = 1, input: str | None = None) -> str:
        """Run a command that must fail; return its one-line error (stderr)."""
        result = self(*args, input=input, ok=False)
        assert result.exit_code == code, f"expected exit {code}, got {result.exit_code}: {result.output}"
        if code == 1:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert lines and lines[-1].startswith("Error: "), result.stderr
            assert "Traceback" not in result.output
            return lines[-1]
        return result.stderr


@pytest.fixture
def rolo(book_path: Path) -> Rolo:
    """The `rolo` command bound to a fresh book."""
    return Rolo(book_path)


def python_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR command running a Python snippet on the file `p` (`n`: how many times it ran before)."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, os, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "count_file = pathlib.Path(__file__).with_suffix('.count')\n"
        "n = int(count_file.read_text()) if count_file.exists() else 0\n"
        "count_file.write_text(str(n + 1))\n"
        f"{body}\n"
    )
    return f'"{sys.executable}" "{script}"'


def vcard_corpus() -> list[Path]:
    """Every real-world vCard file in ../shared/vcards (empty when the folder is absent)."""
    return sorted(SHARED_VCARDS.glob("*.vcf")) if SHARED_VCARDS.is_dir() else []


@pytest.fixture(scope="module")
def relm_module() -> Iterator[RelmEmulator]:
    """A Relm emulator on 127.0.0.1, one per test module."""
    with RelmEmulator() as emulator:
        yield emulator


@pytest.fixture
def relm(relm_module: RelmEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[RelmEmulator]:
    """The module's Relm emulator, reset, its key in RELM_KEY and no system keyring, so `rolo remote add …
    --token-env RELM_KEY` works as a user types it."""
    relm_module.reset()
    monkeypatch.setenv("RELM_KEY", relm_module.api_key)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")  # no keyring: the file
    yield relm_module
    relm_module.reset()
