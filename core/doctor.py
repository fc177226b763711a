"""`rolo doctor`: what is wrong with the book, the config and the remotes, and what to do about each.

`diagnose()` returns findings, each `ok`, `note` (worth knowing, nothing wrong) or `problem` (something to
fix), with what to do. It changes nothing: the book is opened without being created or upgraded, and each
remote gets the one cheap request of `rolo remote test` (`SyncAPI.test_remote`). Tokens never appear in a
finding: a remote's own error text is scrubbed of its token before it is shown.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rolo.core.config import Config, config_problems, load_config, resolve_book_location
from rolo.core.errors import AdapterAuthError, AdapterUnavailable, RoloError, UserError
from rolo.core.store import connection, integrity

OK, NOTE, PROBLEM = "ok", "note", "problem"


@dataclass
class Finding:
    """One thing doctor looked at: which check (`config`, `book`, `integrity`, `schema`, `search index`,
    `backups`, `remote NAME`), its status, what it found, what to do (problems), the config key concerned."""

    check: str
    status: str
    message: str
    fix: str | None = None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as `rolo doctor --json` prints it."""
        return asdict(self)


@dataclass
class Diagnosis:
    """Every finding, and where the book and config are."""

    book: Path | str | None  # a file, or a PostgreSQL book's URL (no password)
    config: Path | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found (notes are fine)."""
        return not any(f.status == PROBLEM for f in self.findings)

    @property
    def problems(self) -> int:
        """How many problems."""
        return sum(f.status == PROBLEM for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        """The report as `rolo doctor --json` prints it."""
        return {"ok": self.ok, "book": str(self.book) if self.book else None,
                "config": str(self.config) if self.config else None,
                "findings": [f.as_dict() for f in self.findings]}


def diagnose(book_option: str | None, config_option: str | None, *, full: bool = False) -> Diagnosis:
    """Check the config (every key), the book (integrity, schema, search index, backups) and each remote.

    Args:
        book_option: `--book` (else $ROLO_BOOK, the config's `book`, the default book).
        config_option: `--config` (else $ROLO_CONFIG, the default rolo.toml).
        full: run `PRAGMA integrity_check` instead of `quick_check` (several times slower).
    """
    config, findings, book_valid = _config_findings(config_option)
    location = None
    if book_option or os.environ.get("ROLO_BOOK") or book_valid:
        location = resolve_book_location(book_option, config or Config(Path("rolo.toml")))
    diagnosis = Diagnosis(None, config.path if config else None, findings)
    if location is None:
        diagnosis.findings.append(Finding("book", NOTE, "not checked: the config does not say where the book is "
                                          "(see above)", "fix the config, or name the book with --book"))
    else:
        try:
            diagnosis.book = connection.book_name(location)
        except RoloError:
            pass  # an unsupported URL: _book_findings says so
        region = config.default_region if config is not None else None
        diagnosis.findings += _book_findings(location, full=full, region=region)
    if config is not None:
        diagnosis.findings += _remote_findings(config, location or "")
    return diagnosis


# -- the config -----------------------------------------------------------------------------------------------------
def _config_findings(option: str | None) -> tuple[Config | None, list[Finding], bool]:
    """The config loaded without validation, its findings, and whether its `book` (if any) can be used."""
    try:
        config = load_config(option, validate=False)
    except UserError as exc:
        return None, [Finding("config", PROBLEM, str(exc), "fix the file (its line and column are given), or "
                              "move it aside to use the defaults")], False
    if not config.path.exists():
        return config, [Finding("config", NOTE, f"no config file at {config.path}: every setting has its "
                                "default")], True
    problems = config_problems(config.data)
    # an unknown table may be a plugin's own (Config.section): a note; an unknown key is likely a misspelling
    findings = [Finding("config", NOTE if p.unknown and isinstance(config.data.get(p.key), dict) else PROBLEM,
                        p.message, p.fix, p.key) for p in problems]
    if not any(f.status == PROBLEM for f in findings):
        findings.insert(0, Finding("config", OK, f"{config.path}: every value valid"))
    return config, findings, not any(p.key == "book" for p in problems)


# -- the book -------------------------------------------------------------------------------------------------------
def _book_findings(location: str, *, full: bool, region: str | None = None) -> list[Finding]:
    if connection.postgres.is_postgres(location):
        return _server_book_findings(location, region)
    try:
        path = connection.book_path(location).absolute()
    except RoloError as exc:
        return [Finding("book", PROBLEM, str(exc), exc.hint or "name a file with --book")]
    if not connection.is_book_file(path):
        error = connection.missing_book_error(location)
        return [Finding("book", PROBLEM, str(error), error.hint)]
    size = path.stat().st_size
    found = [Finding("book", OK, f"{path} ({size / 1e6:.1f} MB)")]
    try:
        conn = connection.connect_existing(path, doctor=False)
    except RoloError as exc:
        return [*found, Finding("integrity", PROBLEM, str(exc), exc.hint), _backups(path)]
    try:
        found += _integrity(conn, path, full=full)
        if not any(f.status == PROBLEM for f in found):
            found += _schema_and_index(conn, path)
        if region and not any(f.status == PROBLEM for f in found):
            found += _phone_findings(conn, region)
    finally:
        conn.close()
    found.append(_backups(path))
    return found


def _server_book_findings(location: str, region: str | None) -> list[Finding]:
    """A PostgreSQL book: reachable, its schema and search index, its phones. The server keeps its own
    storage sound (checksums, the WAL) and its backups are pg_dump's: nothing of SQLite's to check."""
    shown = connection.postgres.shown(location)
    try:
        conn = connection.postgres.PgConnection(location)
    except RoloError as exc:
        return [Finding("book", PROBLEM, str(exc), exc.hint)]
    try:
        version, size = integrity.server_facts(conn)
        found = [Finding("book", OK, f"{shown} (PostgreSQL {version}, {size / 1e6:.1f} MB)")]
        found += _schema_and_index(conn, shown)  # type: ignore[arg-type]
        if region and not any(f.status == PROBLEM for f in found):
            found += _phone_findings(conn, region)  # type: ignore[arg-type]
    finally:
        conn.close()
    found.append(Finding("backups", NOTE, "a PostgreSQL book is backed up by the server's tools",
                         "pg_dump -Fc DATABASE > rolo.dump, or rolo book copy BOOK backup.db"))
    return found


def _damage(path: Path, detail: str) -> Finding:
    error = connection.damaged_error(path, detail, doctor=False)
    return Finding("integrity", PROBLEM, str(error), error.hint)


def _integrity(conn: sqlite3.Connection, path: Path, *, full: bool) -> list[Finding]:
    pragma = "SQLite integrity_check" if full else "SQLite quick_check (--full: integrity_check)"
    try:
        problems = integrity.check(conn, full=full)
    except sqlite3.DatabaseError as exc:  # not corruption (that is a problem found): a lock, a read error
        return [Finding("integrity", PROBLEM, f"{pragma} could not run: {exc}", "run rolo doctor again; "
                        "rolo --debug doctor shows where it fails")]
    if problems:
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        return [_damage(path, f"{pragma.split(' (')[0]}: {shown}")]
    return [Finding("integrity", OK, f"{pragma}: ok")]


def _schema_and_index(conn: sqlite3.Connection, path: Path) -> list[Finding]:
    try:
        revision, has_tables = integrity.revision(conn)
    except sqlite3.DatabaseError as exc:
        return [_damage(path, str(exc))]
    head = connection.SCHEMA_HEAD
    if revision is None:
        if has_tables:
            return [Finding("schema", PROBLEM, f"{path} is not a rolo book (tables, but no rolo schema version)",
                            "--book, $ROLO_BOOK or the config's book names the book file")]
        return [Finding("schema", PROBLEM, f"{path} has no tables yet", "rolo init makes it a book")]
    if revision not in connection.KNOWN_REVISIONS:
        return [Finding("schema", PROBLEM, f"{revision}: newer than this rolo ({head})", "upgrade rolo")]
    if revision != head:
        return [Finding("schema", NOTE, f"{revision}, older than this rolo's {head}: the next command upgrades "
                        "it, after a backup beside it", "nothing: or rolo init to upgrade it now")]
    found = [Finding("schema", OK, f"{revision}, the schema this rolo writes")]
    try:
        report = integrity.index_report(conn)
    except sqlite3.DatabaseError as exc:
        if connection.is_corruption(exc):
            return [*found, _damage(path, str(exc))]
        return [*found, Finding("search index", PROBLEM, f"cannot read the search index: {exc}",
                                "rolo doctor --reindex rebuilds it")]
    counts = f"{report.live} live contacts, {report.indexed} indexed ({report.trashed} in the trash)"
    if report.ok:
        checked = "" if isinstance(path, str) else "; FTS5 integrity-check: ok"
        return [*found, Finding("search index", OK, f"{counts}{checked}")]
    wrong = []
    if report.missing:
        wrong.append(f"{report.missing} live contact{' is' if report.missing == 1 else 's are'} not in the "
                     "search index (search cannot find them)")
    if report.orphans:
        wrong.append(f"{report.orphans} index row{'' if report.orphans == 1 else 's'} of no live contact")
    if report.fts_problem:
        wrong.append(f"FTS5 integrity-check: {report.fts_problem}")
    if not wrong:
        wrong.append("the counts differ")
    return [*found, Finding("search index", PROBLEM, f"{'; '.join(wrong)} ({counts})",
                            "rolo doctor --reindex rebuilds the index from the contacts")]


def _phone_findings(conn: sqlite3.Connection, region: str) -> list[Finding]:
    """Numbers kept without E.164 form: impossible ones (an import keeps them as written), and national
    ones default_region now reads (`--fix-phones` writes them in international form)."""
    from rolo.core.phone_review import review

    try:
        found = review(conn, region)
    except sqlite3.DatabaseError as exc:
        return [Finding("phones", PROBLEM, f"cannot read the phone numbers: {exc}", "run rolo doctor again")]
    findings = []
    if found.impossible:
        shown = [f"{p.number!r} of {p.name} ({p.uid}: {check.why})" for p, check in found.impossible]
        findings.append(Finding("phones", NOTE, f"{_count(len(shown), 'impossible number')} kept as imported: "
                                + _some(shown), "correct or remove each: rolo edit UID (or --rm-phone NUMBER "
                                "--add-phone NUMBER)"))
    if found.fixable:
        shown = [f"{p.number!r} of {p.name} -> {new} ({where})" for p, new, where in found.fixable]
        findings.append(Finding("phones", NOTE, f"{_count(len(shown), 'number')} stored without a country "
                                "code can now be read (in its contact's country, or default_region "
                                f"{region}): " + _some(shown),
                                "rolo doctor --fix-phones writes them in international form (rolo undo "
                                "reverts it)", "default_region"))
    if found.foreign:
        shown = [f"{p.number!r} of {p.name} ({p.uid})" for p in found.foreign]
        findings.append(Finding("phones", NOTE, f"{_count(len(shown), 'number')} without a country code that "
                                f"neither its contact's country nor {region} (default_region) reads: "
                                + _some(shown), "write each with its +CC (rolo edit UID), or set default_region "
                                "in the config to the region they belong to, then rolo doctor --fix-phones",
                                "default_region"))
    if not findings:
        findings.append(Finding("phones", OK, "every number has its international (E.164) form"))
    return findings


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _some(items: list[str], limit: int = 10) -> str:
    """The first `limit` items, then how many more."""
    more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def _backups(path: Path) -> Finding:
    found = connection.backups(path)
    if not found:
        return Finding("backups", NOTE, f"none beside {path}", "rolo backup makes one (safe while rolo runs)")
    return Finding("backups", OK, f"{len(found)} beside the book; the newest is {found[0]}")


# -- remotes --------------------------------------------------------------------------------------------------------
def _remote_findings(config: Config, location: str) -> list[Finding]:
    tables = config.data.get("remotes")
    if not isinstance(tables, dict):
        return []  # reported with the config
    from rolo.core.book import Book
    from rolo.core.sync import remotes
    from rolo.core.sync.api import SyncAPI

    found = []
    book = Book(location or "unused.db")  # test_remote never opens it
    for name, table in tables.items():
        check = f"remote {name}"
        # one remote per config, so that a broken one does not hide the others
        single = Config(config.path, {**config.data, "remotes": {name: table}})
        token = None
        try:
            remote = remotes.get_remote(single, name)
            token = remotes.token_for(remote)
            if token is None:
                found.append(_no_token(remote))
                continue
            result = SyncAPI(book, single).test_remote(name)
        except AdapterAuthError as exc:
            where = f"${remote.token_env}" if remote.token_env else "its stored token"
            found.append(Finding(check, PROBLEM, _scrub(f"{remote.adapter} at {remote.url} refused the token: "
                                                        f"{exc}", token),
                                 f"check {where}, or store a new one: rolo remote add {name} --replace "
                                 f"--adapter {remote.adapter} --url {remote.url} --token-stdin"))
        except AdapterUnavailable as exc:
            found.append(Finding(check, PROBLEM, _scrub(f"cannot reach {remote.adapter} at {remote.url}: {exc}",
                                                        token),
                                 f"check the URL and the network, then rolo remote test {name}"))
        except RoloError as exc:
            fix = exc.hint or f"rolo remote show {name}; rolo --debug remote test {name} shows more"
            found.append(Finding(check, PROBLEM, _scrub(str(exc), token), _scrub(fix, token)))
        else:
            found.append(Finding(check, OK, f"{result.adapter} at {result.url}: reachable, token accepted"))
    book.close()
    return found


def _no_token(remote: Any) -> Finding:
    store = (f"rolo remote add {remote.name} --replace --adapter {remote.adapter} --url {remote.url} "
             "--token-stdin stores one")
    if remote.token_env:
        return Finding(f"remote {remote.name}", PROBLEM, f"no token: ${remote.token_env} is not set (nor is a "
                       "token stored for it)", f"export {remote.token_env}=... (the key), or {store}")
    return Finding(f"remote {remote.name}", PROBLEM, "no token: none is stored for it", store)


def _scrub(text: str, token: str | None) -> str:
    """The text without the token (an API may echo what it was sent)."""
    if token and len(token) >= 4:
        text = text.replace(token, "***")
    return text
