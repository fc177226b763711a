"""The plugin manager: built-in and third-party plugins load the same way, from the `rolo` entry points.

`ROLO_LOAD_PLUGINS` limits which plugins from *other* distributions load: unset loads all of them; a comma
list loads only those entry-point names; empty loads none. rolo's own entry points always load, so the
built-ins are always there (and prove the API, since they use nothing else).
"""

from __future__ import annotations

import os
from functools import cache
from importlib.metadata import entry_points

import pluggy

from rolo.core import hookspecs

GROUP = "rolo"
OWN_DISTRIBUTION = "rolo"


def _allowed(name: str, distribution: str | None) -> bool:
    if distribution == OWN_DISTRIBUTION:
        return True
    wanted = os.environ.get("ROLO_LOAD_PLUGINS")
    if wanted is None:
        return True
    return name in {n.strip() for n in wanted.split(",") if n.strip()}


def new_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with rolo's hookspecs and the entry-point plugins allowed by ROLO_LOAD_PLUGINS."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for ep in entry_points(group=GROUP):
        distribution = ep.dist.name if ep.dist else None
        if _allowed(ep.name, distribution) and pm.get_plugin(ep.name) is None:
            pm.load_setuptools_entrypoints(GROUP, name=ep.name)
    pm.check_pending()
    return pm


@cache
def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, loaded once, on first use.

    This is the one place rolo gets its plugin manager from: the command line (`Env.plugin_manager` in
    `rolo.core.cli.context`), `Book.plugin_manager` and `rolo.core.sync.api.SyncAPI` all use this one, unless
    a caller hands them another (tests do, with `new_plugin_manager()`).
    """
    return new_plugin_manager()


def describe(pm: pluggy.PluginManager) -> list[dict[str, object]]:
    """What is loaded: each plugin's name, where it comes from, and the hooks it implements."""
    sources = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in sorted(pm.list_name_plugin()):
        if plugin is None:
            continue
        dist = sources.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append({
            "name": name,
            "module": getattr(plugin, "__name__", type(plugin).__name__),
            "distribution": f"{dist.project_name} {dist.version}" if dist else None,
            "builtin": bool(dist and dist.project_name == OWN_DISTRIBUTION),
            "hooks": hooks,
        })
    return rows
