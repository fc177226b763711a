"""Remotes: their settings in the config file, their tokens, and the adapters that serve them.

A remote is a table under `[remotes]` in rolo.toml:

    [remotes.work]
    adapter = "relm"                  # an adapter name (rolo remote add --adapter)
    url = "https://relmcrm.com"
    token_env = "RELM_KEY"            # where the token is; see below
    webhook_secret_env = "RELM_WHSEC" # where the webhook signing secret is (rolo serve-webhooks)
    conflict = "local"                # default conflict policy: local, remote or newest
    full_every = "0"                  # incremental remotes: a complete listing at most this often ("1h")
    timeout = 30                      # seconds per request

    [remotes.work.options]            # the adapter's own options (rolo remote add --option KEY=VALUE),
    retry_attempts = "5"              # e.g. how hard its HTTP layer retries

Tokens are never stored in the book, never printed, never put in an error. They are read from, in order:

1. the environment variable the remote names (`token_env`);
2. the system keyring (service "rolo", user = the remote's name), when the `keyring` package finds a
   usable backend;
3. `tokens.toml` beside rolo.toml, which must be readable by its owner only (mode 0600), like an ssh key.

Editing the config (`rolo remote add`, `rolo remote rm`) rewrites only that remote's tables, so the user's
comments and layout elsewhere in the file are kept.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolo.core.errors import UserError
from rolo.core.sync.merge import POLICIES

if TYPE_CHECKING:
    import httpx
    import pluggy
    from rolo.core.config import Config
    from rolo.core.sync.adapter import Adapter

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
TOKENS_FILE = "tokens.toml"
KEYRING_SERVICE = "rolo"


@dataclass
class Remote:
    """One configured remote."""

    name: str
    adapter: str
    url: str
    token_env: str | None = None
    conflict: str = "local"
    full_every: str = "0"
    timeout: float = 30.0
    options: dict[str, str] = field(default_factory=dict)
    webhook_secret_env: str | None = None  # where the webhook signing secret is (rolo.core.sync.webhooks)

    def as_toml(self) -> dict[str, Any]:
        """The remote's table as written to the config (defaults left out)."""
        out: dict[str, Any] = {"adapter": self.adapter, "url": self.url}
        if self.token_env:
            out["token_env"] = self.token_env
        if self.conflict != "local":
            out["conflict"] = self.conflict
        if self.full_every != "0":
            out["full_every"] = self.full_every
        if self.webhook_secret_env:
            out["webhook_secret_env"] = self.webhook_secret_env
        if self.options:
            out["options"] = dict(self.options)
        return out

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view for `rolo remote show` (the token's source, never the token)."""
        return {"name": self.name, "adapter": self.adapter, "url": self.url, "token_env": self.token_env,
                "token": token_source(self), "conflict": self.conflict, "full_every": self.full_every,
                "timeout": self.timeout,
                "options": dict(self.options), "webhook_secret": _webhook_source(self)}


def _webhook_source(remote: Remote) -> str | None:
    from rolo.core.sync.webhooks import secret_source

    return secret_source(remote)


def validate_name(name: str) -> str:
    """A remote name: a letter, then letters, digits, `_` or `-` (it is a TOML key and a keyring user)."""
    if not _NAME.match(name):
        raise UserError(f"invalid remote name {name!r}: start with a letter, then letters, digits, '_' or '-'")
    if name in ("import", "edit"):  # the conflict log's names for imported cards' and two edits' conflicts
        raise UserError(f"the remote name {name!r} is reserved (rolo conflicts uses it for "
                        f"{'imported cards' if name == 'import' else 'edits saved over each other'})")
    return name


def parse_duration(text: str | float) -> float:
    """Seconds from `90`, `90s`, `15m`, `1h`, `1d` (and `0`)."""
    if isinstance(text, int | float):
        return float(text)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not match:
        raise UserError(f"invalid duration {text!r} (use e.g. 30s, 15m, 1h)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def check_policy(policy: str, what: str = "conflict policy") -> str:
    """A conflict policy: local, remote or newest (`what` names it in the error)."""
    if policy not in POLICIES:
        raise UserError(f"{what} must be one of {', '.join(POLICIES)}, not {policy!r}")
    return policy


def check_options(cls: type[Adapter], options: Mapping[str, str], *, remote: str | None = None) -> None:
    """Refuse options the adapter does not take (`rolo remote add --option`, and a remote's config table)."""
    unknown = set(options) - set(cls.options)
    if unknown:
        where = f"remote {remote!r}: " if remote else ""
        known = ", ".join(sorted(cls.options)) or "none"
        raise UserError(f"{where}adapter {cls.name} has no option {', '.join(sorted(unknown))} (options: {known})")


def _remote(name: str, table: dict[str, Any]) -> Remote:
    if not isinstance(table, dict) or "adapter" not in table or "url" not in table:
        raise UserError(f"remote {name!r} in the config needs `adapter` and `url`")
    conflict = check_policy(str(table.get("conflict", "local")), f"remote {name!r}: conflict")
    try:
        return Remote(
            name=name, adapter=str(table["adapter"]), url=str(table["url"]),
            token_env=table.get("token_env"), conflict=conflict, full_every=str(table.get("full_every", "0")),
            timeout=float(table.get("timeout", 30)),
            options={str(k): str(v) for k, v in (table.get("options") or {}).items()},
            webhook_secret_env=table.get("webhook_secret_env"),
        )
    except (TypeError, ValueError) as exc:
        raise UserError(f"remote {name!r} in the config: {exc}") from None


def remotes(config: Config) -> dict[str, Remote]:
    """Every configured remote, by name."""
    return {name: _remote(name, table) for name, table in config.section("remotes").items()}


def get_remote(config: Config, name: str) -> Remote:
    """One remote by name."""
    found = remotes(config)
    if name not in found:
        known = ", ".join(sorted(found)) or "none yet"
        raise UserError(f"no remote named {name!r} (configured: {known})", hint="rolo remote add NAME --adapter ...")
    return found[name]


# -- editing the config file, keeping everything else in it ----------------------------------------------------
def _section_span(lines: list[str], name: str) -> list[tuple[int, int]]:
    """Line ranges of `[remotes.NAME]` and its sub-tables."""
    header = re.compile(r"^\s*\[\s*remotes\s*\.\s*(\"?)" + re.escape(name) + r"\1\s*(\.[^\]]*)?\]\s*(#.*)?$")
    any_header = re.compile(r"^\s*\[")
    spans, index = [], 0
    while index < len(lines):
        if header.match(lines[index]):
            end = index + 1
            while end < len(lines) and not any_header.match(lines[end]):
                end += 1
            spans.append((index, end))
            index = end
        else:
            index += 1
    return spans


def add_remote(config_path: Path, remote: Remote, *, replace: bool = False) -> None:
    """Write a remote's tables into the config file (created if missing)."""
    import tomli_w

    text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    data = tomllib.loads(text) if text else {}
    if remote.name in (data.get("remotes") or {}):
        if not replace:
            raise UserError(f"a remote named {remote.name!r} already exists", hint=f"rolo remote rm {remote.name}")
        text = _without(text, remote.name)
    block = tomli_w.dumps({"remotes": {remote.name: remote.as_toml()}})
    text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block
    config_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(config_path, text)


def _without(text: str, name: str) -> str:
    lines = text.splitlines(keepends=True)
    for start, end in reversed(_section_span(lines, name)):
        del lines[start:end]
    return "".join(lines)


def remove_remote(config_path: Path, name: str) -> None:
    """Remove a remote's tables from the config file."""
    text = config_path.read_text(encoding="utf-8") if config_path.exists() else ""
    if name not in (tomllib.loads(text).get("remotes") or {}):
        raise UserError(f"no remote named {name!r}")
    text = _without(text, name)
    if name in (tomllib.loads(text).get("remotes") or {}):  # e.g. written inline: leave the file alone
        raise UserError(f"cannot remove remote {name!r} from {config_path}: edit the file by hand")
    _atomic_write(config_path, text)


def _atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode if mode is not None else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    elif path.exists():
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    os.replace(tmp, path)


# -- tokens ----------------------------------------------------------------------------------------------------
def _keyring() -> Any:
    """The keyring module when it has a usable backend, else None (headless machines usually have none)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 (any backend failure: the other token sources remain)
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
        return None
    return keyring


def _tokens_path() -> Path:
    from rolo.core.config import config_dir

    return config_dir() / TOKENS_FILE


def _token_file() -> dict[str, str]:
    path = _tokens_path()
    if not path.exists():
        return {}
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UserError(f"{path} is readable by others (mode {mode:o}); rolo will not read tokens from it",
                        hint=f"chmod 600 {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: {exc}") from None
    return {str(k): str(v) for k, v in data.items()}


def token_for(remote: Remote) -> str | None:
    """The remote's token: its environment variable, else the keyring, else the owner-only token file."""
    if remote.token_env:
        value = os.environ.get(remote.token_env)
        if value:
            return value
    keyring = _keyring()
    if keyring is not None:
        try:
            value = keyring.get_password(KEYRING_SERVICE, remote.name)
        except Exception:  # noqa: BLE001 (a keyring backend may fail in any way)
            value = None
        if value:
            return str(value)
    return _token_file().get(remote.name)


def token_source(remote: Remote) -> str:
    """Where the token comes from, for display ("env RELM_KEY", "keyring", "file", or "missing")."""
    if remote.token_env and os.environ.get(remote.token_env):
        return f"env {remote.token_env}"
    keyring = _keyring()
    if keyring is not None:
        try:
            if keyring.get_password(KEYRING_SERVICE, remote.name):
                return "keyring"
        except Exception:  # noqa: BLE001 (a keyring backend may fail in any way)
            pass
    try:
        if remote.name in _token_file():
            return f"file {_tokens_path()}"
    except UserError:
        return "file (unsafe permissions)"
    return f"missing (set {remote.token_env})" if remote.token_env else "missing"


def store_token(name: str, token: str) -> str:
    """Keep a token in the keyring when there is one, else in the owner-only token file; returns where."""
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, name, token)
            return "keyring"
        except Exception:  # noqa: BLE001 (a keyring backend may fail in any way)
            pass
    import tomli_w

    path = _tokens_path()
    tokens = _token_file()
    tokens[name] = token
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, tomli_w.dumps(tokens), mode=0o600)
    return f"file {path}"


def forget_token(name: str) -> None:
    """Remove a stored token from the keyring and the token file."""
    keyring = _keyring()
    if keyring is not None:
        try:
            keyring.delete_password(KEYRING_SERVICE, name)
        except Exception:  # noqa: BLE001 (a keyring backend may fail in any way)
            pass
    tokens = _token_file()
    if name in tokens:
        import tomli_w

        del tokens[name]
        _atomic_write(_tokens_path(), tomli_w.dumps(tokens), mode=0o600)


# -- adapters --------------------------------------------------------------------------------------------------
def adapter_classes(pm: pluggy.PluginManager) -> dict[str, type[Adapter]]:
    """Every adapter the loaded plugins register, by name (a name registered twice is an error)."""
    from rolo.core.sync.adapter import Adapter

    found: dict[str, type[Adapter]] = {}

    def register(cls: type[Adapter]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Adapter)):
            raise UserError(f"a plugin registered {cls!r}, which is not an Adapter subclass")
        name = getattr(cls, "name", None)
        if not name:
            raise UserError(f"adapter class {cls.__qualname__} has no `name`")
        if name in found and found[name] is not cls:
            raise UserError(f"two plugins register an adapter named {name!r}: "
                            f"{found[name].__module__} and {cls.__module__}")
        found[name] = cls

    pm.hook.register_adapters(register=register)
    return found


def adapter_class(pm: pluggy.PluginManager, name: str) -> type[Adapter]:
    """The adapter class registered under a name."""
    found = adapter_classes(pm)
    if name not in found:
        known = ", ".join(sorted(found)) or "none (is rolo installed? see `rolo plugins`)"
        raise UserError(f"no adapter named {name!r} (available: {known})")
    return found[name]


def open_adapter(remote: Remote, pm: pluggy.PluginManager, *, client: httpx.Client | None = None,
                 token: str | None = None) -> Adapter:
    """An adapter instance for a remote, with its client (base URL, timeout) and its token."""
    from rolo.core.sync.http import make_client

    cls = adapter_class(pm, remote.adapter)
    check_options(cls, remote.options, remote=remote.name)
    if token is None:
        token = token_for(remote)
        if token is None and remote.token_env:  # the variable the user chose is not set: say which
            raise UserError(f"{remote.name}: the token variable {remote.token_env} is not set",
                            hint=f"export {remote.token_env}=… in this shell, or keep the token in the keyring: "
                                 f"rolo remote add --help")
    if client is None:
        client = make_client(remote.url, timeout=remote.timeout)
    return cls(client, url=remote.url, token=token, options=remote.options, remote=remote.name)
