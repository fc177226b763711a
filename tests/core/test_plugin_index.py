"""A local write loads no plugin that does not listen to it (rolo.core.plugin_index), and a plugin that does
listen is never missed: the index is trusted only for the installation it was written for."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ADD = textwrap.dedent("""
    import sys
    from rolo.core.cli import main
    sys.argv = ["rolo", "add", "--name", sys.argv[1]]
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
    heavy = sorted(m for m in sys.modules if m.startswith(("rolo.adapters.", "httpx", "sqlalchemy")))
    print(" ".join(heavy), file=sys.stderr)
""")

LISTENER = textwrap.dedent("""
    import os
    from rolo.core.hookspecs import hookimpl

    @hookimpl
    def contact_changed(book, record, change):
        with open(os.environ["HEARD"], "a") as out:
            out.write(f"{change} {record.formatted_name}\\n")
""")


def _add(home: Path, name: str, pythonpath: str | None = None, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("ROLO_BOOK", "ROLO_CONFIG", "PYTHONPATH")}
    environ.update(ROLO_HOME=str(home), **env)
    if pythonpath:
        environ["PYTHONPATH"] = pythonpath
    result = subprocess.run([sys.executable, "-c", ADD, name], env=environ, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""


def test_a_local_write_imports_no_adapter_once_the_index_is_written(rolo_home):
    first = _add(rolo_home, "Ada")  # no index yet: every plugin loads, and the index is written
    assert "rolo.adapters.relm" in first
    assert (rolo_home / ".cache" / "plugin-index.json").exists()
    assert _add(rolo_home, "Grace") == ""  # no adapter, no httpx, no SQLAlchemy


def test_a_plugin_listening_to_contact_changed_is_always_called(rolo_home, tmp_path):
    site = tmp_path / "site"
    (site / "rolo_listener-0.1.dist-info").mkdir(parents=True)
    (site / "rolo_listener-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: rolo-listener\n"
                                                                    "Version: 0.1\n")
    (site / "rolo_listener-0.1.dist-info" / "entry_points.txt").write_text("[rolo]\nlistener = rolo_listener\n")
    (site / "rolo_listener.py").write_text(LISTENER)
    heard = tmp_path / "heard.txt"

    _add(rolo_home, "Ada")  # index written without the listener
    _add(rolo_home, "Grace", str(site), HEARD=str(heard))  # installed since: the index is stale
    _add(rolo_home, "Alan", str(site), HEARD=str(heard))  # the index now knows it listens
    assert heard.read_text().splitlines() == ["created Grace", "created Alan"]
