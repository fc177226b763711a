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
        if not value or "://" in value:
            return value
        return str((self.path.parent / Path(value).expanduser()).resolve())

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read the config file named, or $ROLO_CONFIG, or the default one; a missing default is not an error."""
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
    return Config(cfg_path, data)


def resolve_book_location(option: str | None, config: Config) -> str:
    """The book to open: --book, then $ROLO_BOOK, then the config's `book`, then the data dir's book.db."""
    return option or os.environ.get("ROLO_BOOK") or config.book or str(data_dir() / BOOK_NAME)
