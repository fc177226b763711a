"""The distribution: its package list, an installed console script, and a plain (non-editable) wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from conftest import REPO


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder).parts
            found.add(".".join((name, *rel)))
    assert found == set(config["packages"])


def test_installed_console_script_runs():
    script = Path(sys.executable).parent / "rolo"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("rolo, version ")


def test_plain_wheel_installs_and_runs(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(REPO)], check=True, timeout=300)
    (wheel,) = wheels.glob("rolo-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rolo/core/migrations/versions/0001_initial_schema.py" in names
    assert "rolo/core/migrations/script.py.mako" in names
    assert not any(n.startswith(("core/", "sample_book/", "tests/")) for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "ROLO_HOME": str(tmp_path / "home")}
    result = subprocess.run([str(target / "bin" / "rolo"), "add", "--name", "Wheel User"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    where = subprocess.run([sys.executable, "-c", "import rolo.core; print(rolo.core.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout
    assert where.startswith(str(target))
