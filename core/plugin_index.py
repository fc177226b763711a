"""Which hooks the installed plugins implement, remembered between runs.

Knowing whether any plugin listens to `contact_changed` means loading every plugin: importing
`importlib.metadata` and each plugin's module (the adapters bring httpx): about 0.15 s on a local write that
otherwise takes 0.05 s. So the first full load writes this index, and a write after it loads plugins only
when one implements the hook it calls. Plugins that only register adapters or commands are then never
imported for a local write.

The index is only trusted for the installation it describes: its fingerprint is `sys.path`, every
entry-point file on it (path, size, modification time), `ROLO_LOAD_PLUGINS`, and the source files of each
plugin's module or package folder. Any difference makes it stale, and the caller loads everything, as
without an index. (A hook implemented in a file outside the plugin's own folder is not seen changing; a
reinstall or any edit in that folder is.)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

VERSION = 1


def index_path() -> Path:
    """Where the index lives: $ROLO_HOME/.cache, else the user cache folder."""
    if home := os.environ.get("ROLO_HOME"):
        return Path(home) / ".cache" / "plugin-index.json"
    import platformdirs

    return Path(platformdirs.user_cache_dir("rolo", appauthor=False)) / "plugin-index.json"


def _stamp(path: str) -> list[Any] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _installation() -> dict[str, Any]:
    """The entry-point files on sys.path, and what decides which plugins load."""
    files: dict[str, Any] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                path = os.path.join(entry or ".", name, "entry_points.txt")
                if (stamp := _stamp(path)) is not None:
                    files[path] = stamp
    return {"version": VERSION, "sys_path": list(sys.path), "load": os.environ.get("ROLO_LOAD_PLUGINS"),
            "entry_points": files}


def _sources(module: Any) -> dict[str, Any]:
    """The source files of a plugin: its module, or every module of its package folder."""
    origin = getattr(module, "__file__", None)
    if not origin:
        return {}
    folder = os.path.dirname(origin)
    paths = ([os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".py")]
             if os.path.basename(origin) == "__init__.py" else [origin])
    return {p: _stamp(p) for p in sorted(paths)}


def record(pm: Any) -> None:
    """Write the index for a fully loaded plugin manager (best effort: a read-only cache is no error)."""
    hooks: dict[str, list[str]] = {}
    sources: dict[str, Any] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        sources.update(_sources(plugin))
        for caller in pm.get_hookcallers(plugin) or []:
            hooks.setdefault(caller.name, []).append(name)
    data = {**_installation(), "sources": sources, "hooks": hooks}
    path = index_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def implemented(hook: str) -> bool | None:
    """Whether a loaded plugin implements this hook; None when the index is missing or stale."""
    try:
        data = json.loads(index_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    current = _installation()
    if not isinstance(data, dict) or {k: data.get(k) for k in current} != current:
        return None
    if any(_stamp(path) != stamp for path, stamp in data.get("sources", {}).items()):
        return None
    return bool(data.get("hooks", {}).get(hook))
