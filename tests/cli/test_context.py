"""`rolo.core.cli.context` is the documented API plugin commands use; one plugin manager serves the CLI, the
book and the sync API."""

from __future__ import annotations

import inspect

import click
from click.testing import CliRunner
from conftest import REPO

from rolo.core import hookspecs
from rolo.core.cli import context
from rolo.core.cli.context import Env, pass_env
from rolo.core.plugins import get_plugin_manager

STABLE = ("book", "config", "plugin_manager", "sync_api", "debug")


def test_the_context_module_says_it_is_the_plugin_command_api_and_what_is_stable():
    module_doc = inspect.getdoc(context) or ""
    assert "public API" in module_doc and "stable" in module_doc
    class_doc = inspect.getdoc(Env) or ""
    for name in STABLE:
        assert f"`{name}`" in module_doc and f"`{name}`" in class_doc, name
    assert set(context.__all__) == {"Env", "pass_env"}


def test_register_commands_and_the_readme_point_plugin_authors_to_it():
    assert "rolo.core.cli.context" in (inspect.getdoc(hookspecs.register_commands) or "")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    plugins = readme[readme.index("### Plugins"):readme.index("### JSON")]
    assert "rolo.core.cli.context" in plugins and "register_services" in plugins


def test_a_plugin_command_gets_the_one_plugin_manager_the_book_uses(book_path):
    seen = {}

    @click.command()
    @pass_env
    def probe(env: Env) -> None:
        seen.update(pm=env.plugin_manager, book_pm=env.book.plugin_manager, api_pm=env.sync_api.plugin_manager)

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = Env(book_option=str(book_path))
        ctx.call_on_close(ctx.obj.close)

    root.add_command(probe)
    result = CliRunner().invoke(root, ["probe"], catch_exceptions=False)
    assert result.exit_code == 0
    assert seen["pm"] is seen["book_pm"] is seen["api_pm"] is get_plugin_manager()
