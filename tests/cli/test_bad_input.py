"""Bad input is one line `Error: …`, exit 1, nothing changed (issue 11): cases found by trying commands as a
new user would."""

from __future__ import annotations

import pytest


def test_field_unset_of_an_undefined_field_is_an_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert rolo.fails("field", "unset", "ada@example.com", "nosuch") == (
        "Error: no custom field named 'nosuch' (hint: rolo field list shows the fields)")
    assert rolo.json("history")[0]["ops"] == {"created": 1}  # nothing written


def test_field_unset_of_a_field_the_contact_does_not_have_says_so(rolo):
    rolo("field", "define", "tier", "--type", "text")
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    assert "tier was not set (nothing changed)" in rolo("field", "unset", "ada@example.com", "TIER").stdout


def test_export_of_a_label_nobody_has_is_an_error(rolo):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com", "--label", "math")
    assert rolo.fails("export", "--label", "nosuch") == (
        "Error: no label named 'nosuch' (hint: rolo label list shows the labels)")
    assert "Ada Lovelace" in rolo("export", "--label", "MATH").stdout


def test_import_of_something_that_is_no_file(rolo):
    assert rolo.fails("import", "/dev/null") == (
        "Error: /dev/null: not a file or folder (rolo imports .vcf files and folders of them)")


def test_emulate_on_a_port_out_of_range_or_taken(rolo):
    import socket

    assert "99999 is not in the range 0<=x<=65535" in rolo("emulate", "relm", "--port", "99999", ok=False).stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        error = rolo.fails("emulate", "relm", "--port", str(port))
    assert error.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ") and "choose another --port" in error


def test_a_missing_token_variable_is_named(rolo, relm, monkeypatch):
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    rolo("remote", "add", "work", "--adapter", "relm", "--url", relm.url, "--token-env", "MY_RELM_TOKEN")
    monkeypatch.delenv("MY_RELM_TOKEN", raising=False)
    assert rolo.fails("sync").startswith("Error: work: the token variable MY_RELM_TOKEN is not set")


# -- every command, with bad input ------------------------------------------------------------------------
def _command_paths() -> list[tuple[str, ...]]:
    import click

    from rolo.core.cli import cli

    ctx = click.Context(cli)
    paths: list[tuple[str, ...]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))  # type: ignore[arg-type]
            if not getattr(command, "invoke_without_command", False):
                return
        paths.append(path)

    for name in cli.list_commands(ctx):
        walk(cli.get_command(ctx, name), (name,))  # type: ignore[arg-type]
    return paths


# commands that run until stopped when their input is good: given bad input they must still fail fast
_RUNS_FOREVER = {("daemon",)}


def _bad_arguments(path: tuple[str, ...]) -> list[str]:
    """The command's arguments and required options, each given a value that names nothing."""
    import click

    from rolo.core.cli import cli

    command: click.Command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
    args: list[str] = []
    for param in command.params:
        value = "99999" if isinstance(param.type, click.types.IntParamType) else "nosuch-zz"
        if isinstance(param, click.Argument):
            args += [value] * (1 if param.nargs == 1 else 2)
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], value]
    return args


@pytest.mark.parametrize("path", [p for p in _command_paths() if p not in _RUNS_FOREVER], ids=" ".join)
def test_every_command_given_names_of_nothing_fails_in_one_line(rolo, tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)  # `nosuch-zz` names no file here (a backup would write it: in tmp_path)
    rolo("add", "--name", "Ada Lovelace", "--email", "ada@example.com")
    result = rolo.runner.invoke(__import__("rolo.core.cli", fromlist=["cli"]).cli,
                                ["--book", str(rolo.book_path), *path, *_bad_arguments(path)],
                                input="", catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"rolo {' '.join(path)}: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output
    if result.exit_code not in (0, 3):
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and "Error" in lines[-1], result.output
