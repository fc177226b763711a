"""Where rolo keeps its files and what the user configured (rolo.toml).

Precedence, highest first: command-line option, environment variable, config file, built-in default.
`ROLO_HOME` puts the book and the config in one folder (handy for tests and portable installs).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rolo.core.errors import UserError

CONFIG_NAME = "rolo.toml"
BOOK_NAME = "book.db"


def data_dir() -> Path:
    """The folder for the book and the drop folder: $ROLO_HOME, else the platform's user data dir."""
    if home := os.environ.get("ROLO_HOME"):
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("rolo", appauthor=False))


def config_dir() -> Path:
    """The folder for rolo.toml: $ROLO_HOME, else the platform's user config dir."""
    if home := os.environ.get("ROLO_HOME"):
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_config_dir("rolo", appauthor=False))


def _region_from_locale() -> str | None:
    import locale

    for name in (locale.getlocale()[0], os.environ.get("LC_ALL"), os.environ.get("LANG")):
        if name and "_" in name:
            region = name.split("_", 1)[1][:2].upper()
            if region.isalpha() and len(region) == 2:
                return region
    return None


@dataclass
class Config:
    """The user's settings, read from rolo.toml (absent file: all defaults)."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def default_region(self) -> str:
        """Region for phone numbers written without a country code (ISO 3166 alpha-2)."""
        region = self.data.get("default_region") or _region_from_locale() or "US"
        return str(region).upper()

    @property
    def book(self) -> str | None:
        """The config's `book`; a relative path is taken from the config file's folder."""
        value = self.data.get("book")
        if not value or not isinstance(value, str):  # absent, or invalid (refused at load; doctor reports it)
            return None
        if "://" in value:
            return value
        return str((self.path.parent / Path(value).expanduser()).resolve())

    @property
    def private_notes_log(self) -> bool:
        """The whole notes log is private: exports leave it out unless asked (`--include-private`)."""
        return self.data.get("private_notes_log") is True

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}


def load_config(path: str | os.PathLike[str] | None = None, *, validate: bool = True) -> Config:
    """Read the config file named, or $ROLO_CONFIG, or the default one; a missing default is not an error.

    With `validate` (every command), a value of the wrong type is a UserError naming the file, the key and
    what was expected; `rolo doctor` loads without it and lists every problem (`config_problems`)."""
    explicit = path or os.environ.get("ROLO_CONFIG")
    cfg_path = Path(explicit).expanduser() if explicit else config_dir() / CONFIG_NAME
    if not cfg_path.exists():
        if explicit:
            raise UserError(f"config file {cfg_path} does not exist")
        return Config(cfg_path)
    try:
        data = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"config file {cfg_path}: {exc}") from None
    except OSError as exc:
        raise UserError(f"config file {cfg_path}: {exc.strerror or exc}") from None
    if validate:
        for problem in config_problems(data):
            if not problem.unknown:
                raise UserError(f"config file {cfg_path}: {problem.message}",
                                hint="rolo doctor lists every problem of the config, with what to do")
    return Config(cfg_path, data)


# -- validation ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfigProblem:
    """One problem of a config file: the key (dotted, `watch.folder`), what is wrong and what to do."""

    key: str
    message: str
    fix: str
    unknown: bool = False  # a key rolo does not read: ignored when loading, reported by `rolo doctor`


# What rolo itself reads. A plugin may read a table of its own (`Config.section`): doctor notes unknown tables
# without calling them a problem.
TOP_KEYS = ("book", "default_region", "private_notes_log", "watch", "webhooks", "remotes")
WATCH_KEYS = ("folder",)
REMOTE_KEYS = ("adapter", "url", "token_env", "conflict", "full_every", "timeout", "options", "webhook_secret_env")
_REMOTE_STRINGS = {"adapter": "an adapter name", "url": "the API's base URL", "token_env": "an environment "
                   "variable's name", "conflict": "local, remote or newest",
                   "webhook_secret_env": "an environment variable's name"}


def _kind(value: Any) -> str:
    """`an integer (5)`: how a problem names the value found (TOML's types, in words)."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 40 else "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"  # TOML dates and times


def _wrong(key: str, expected: str, value: Any, fix: str) -> ConfigProblem:
    return ConfigProblem(key, f"{key} must be {expected}, not {_kind(value)}", fix)


def is_region(code: str) -> bool:
    """Whether phonenumbers knows this region (ISO 3166 alpha-2, any case), without importing phonenumbers:
    that costs 24 ms, a fifth of `rolo show`, and the config is loaded by every command. Its metadata is one
    module per region (`phonenumbers/data/region_XX.py`); when that layout is not found, import it after all."""
    code = code.upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        return False
    import sys

    if "phonenumbers" not in sys.modules:
        import importlib.util

        spec = importlib.util.find_spec("phonenumbers")
        if spec is not None and spec.origin:
            data = Path(spec.origin).parent / "data"
            if (data / "region_US.py").exists():
                return (data / f"region_{code}.py").exists()
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS


def config_problems(data: dict[str, Any]) -> list[ConfigProblem]:
    """Every problem of a config's values, known keys first (in TOP_KEYS order), then unknown keys."""
    problems: list[ConfigProblem] = []
    book = data.get("book")
    if "book" in data:
        if not isinstance(book, str):
            problems.append(_wrong("book", "a string (a file path, a sqlite:/// or a postgresql:// URL)", book,
                                   'book = "~/contacts/book.db" (relative paths start at the config\'s folder)'))
        elif not book.strip():
            problems.append(ConfigProblem("book", "book must not be empty",
                                          "remove the line to use the default book, or name a file"))
    region = data.get("default_region")
    if "default_region" in data:
        if not isinstance(region, str):
            problems.append(_wrong("default_region", "a string (a region code such as US or GB)", region,
                                   'default_region = "US" (ISO 3166 alpha-2)'))
        elif not is_region(region):
            problems.append(ConfigProblem(
                "default_region",
                f"default_region {region!r} is not a region phonenumbers knows (expected an ISO 3166 alpha-2 code)",
                'use an ISO 3166 alpha-2 code such as "US", "GB", "DE" or "KR"'))
    if "private_notes_log" in data and not isinstance(data["private_notes_log"], bool):
        problems.append(_wrong("private_notes_log", "true or false", data["private_notes_log"],
                               "private_notes_log = true (exports then leave the whole notes log out)"))
    webhooks = data.get("webhooks")
    if "webhooks" in data:
        port = webhooks.get("port") if isinstance(webhooks, dict) else None
        if not isinstance(webhooks, dict):
            problems.append(_wrong("webhooks", "a table ([webhooks])", webhooks,
                                   "[webhooks] on a line of its own, then port = 8790"))
        elif "port" in webhooks and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
            problems.append(_wrong("webhooks.port", "a port number (1-65535)", port, "port = 8790 under [webhooks]"))
    watch = data.get("watch")
    if "watch" in data:
        if not isinstance(watch, dict):
            problems.append(_wrong("watch", "a table ([watch])", watch, '[watch] on a line of its own, then '
                                   'folder = "~/Drop"'))
        elif "folder" in watch and not isinstance(watch["folder"], str):
            problems.append(_wrong("watch.folder", "a string (a folder path)", watch["folder"],
                                   'folder = "~/Drop" under [watch]'))
    remote_tables = data.get("remotes")
    if "remotes" in data:
        if not isinstance(remote_tables, dict):
            problems.append(_wrong("remotes", "a table of remotes ([remotes.NAME])", remote_tables,
                                   "remove it and add remotes with rolo remote add NAME --adapter ..."))
        else:
            for name, table in remote_tables.items():
                problems += _remote_problems(str(name), table)
    # unknown keys: rolo ignores them (a misspelt key silently does nothing, so doctor names them)
    for key in data:
        if key not in TOP_KEYS:
            kind = "table" if isinstance(data[key], dict) else "key"
            problems.append(ConfigProblem(key, f"unknown {kind} {key!r}: rolo does not read it",
                                          f"fix its spelling ({', '.join(TOP_KEYS)}) or remove it"
                                          + (" (a plugin's own table is fine)" if kind == "table" else ""),
                                          unknown=True))
    if isinstance(watch, dict):
        problems += [ConfigProblem(f"watch.{key}", f"unknown key 'watch.{key}': rolo does not read it",
                                   f"remove it ([watch] takes {', '.join(WATCH_KEYS)})", unknown=True)
                     for key in watch if key not in WATCH_KEYS]
    if isinstance(remote_tables, dict):
        problems += [ConfigProblem(f"remotes.{name}.{key}", f"unknown key 'remotes.{name}.{key}': rolo does "
                                   "not read it", f"fix its spelling ({', '.join(REMOTE_KEYS)}) or remove it",
                                   unknown=True)
                     for name, table in remote_tables.items() if isinstance(table, dict)
                     for key in table if key not in REMOTE_KEYS]
    return problems


def _remote_problems(name: str, table: Any) -> list[ConfigProblem]:
    where = f"remotes.{name}"
    if not isinstance(table, dict):
        return [_wrong(where, f"a table ([{where}])", table, f"rolo remote add {name} --replace --adapter ...")]
    problems = []
    for key, what in _REMOTE_STRINGS.items():
        if key in table and not isinstance(table[key], str):
            problems.append(_wrong(f"{where}.{key}", f"a string ({what})", table[key],
                                   f'{key} = "..." under [{where}]'))
    if "full_every" in table and (isinstance(table["full_every"], bool)
                                  or not isinstance(table["full_every"], str | int | float)):
        problems.append(_wrong(f"{where}.full_every", "a duration (\"1h\", or seconds)", table["full_every"],
                               f'full_every = "1h" under [{where}]'))
    if "timeout" in table and (isinstance(table["timeout"], bool) or not isinstance(table["timeout"], int | float)):
        problems.append(_wrong(f"{where}.timeout", "a number (seconds)", table["timeout"],
                               f"timeout = 30 under [{where}]"))
    if "options" in table and not isinstance(table["options"], dict):
        problems.append(_wrong(f"{where}.options", f"a table ([{where}.options])", table["options"],
                               f"rolo remote add {name} --replace ... --option KEY=VALUE"))
    return problems


def resolve_book_location(option: str | None, config: Config) -> str:
    """The book to open: --book, then $ROLO_BOOK, then the config's `book`, then the data dir's book.db."""
    return option or os.environ.get("ROLO_BOOK") or config.book or str(data_dir() / BOOK_NAME)
