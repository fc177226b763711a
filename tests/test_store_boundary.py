"""SQL lives in rolo.core.store only (issue 9): a test that fails when SQL appears anywhere else in rolo.

It reads every module of the three packages as Python (ast), so comments and docstrings may talk about SQL
freely; what it refuses is a string that is SQL, or a call that runs SQL, outside `core/store/`. The
alembic migrations are the schema's history and are run only by the store, so they are left out too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

PACKAGES = ("core", "adapters", "plugins")
ALLOWED = ("core/store/", "core/migrations/")
SQL = re.compile(
    r"\bSELECT\s.+\sFROM\s|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\s|\bUPDATE\s+\w+\s+SET\s|\bDELETE\s+FROM\s"
    r"|\bCREATE\s+(?:TABLE|INDEX|UNIQUE|VIRTUAL)\b|\bDROP\s+(?:TABLE|INDEX)\b|\bPRAGMA\s+\w+"
    r"|^\s*(?:BEGIN|COMMIT|ROLLBACK)(?:\s+(?:IMMEDIATE|DEFERRED|EXCLUSIVE|TRANSACTION))?\s*;?\s*$",
    re.DOTALL,
)
RUNS_SQL = {"execute", "executemany", "executescript", "exec_driver_sql"}


def sql_in(source: str) -> list[tuple[int, str]]:
    """(line, what) for each SQL string or SQL-running call in a module's source."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if SQL.search(node.value):
                found.append((node.lineno, f"SQL string {node.value[:60]!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNS_SQL:
            found.append((node.lineno, f".{node.func.attr}() call"))
    return sorted(found)


def test_no_sql_outside_the_store():
    offences = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative.startswith(ALLOWED):
                continue
            offences += [f"{relative}:{line}: {what}" for line, what in sql_in(path.read_text(encoding="utf-8"))]
    assert not offences, "SQL outside rolo.core.store (add a store function instead):\n" + "\n".join(offences)


def test_the_check_catches_sql_in_strings_f_strings_and_calls():
    source = '''
"""A docstring may say SELECT x FROM y."""
def f(db, table):
    """So may this one: DELETE FROM contact."""
    db.run("SELECT id FROM contact WHERE uid = ?")
    db.run(f"DELETE FROM {table} WHERE id = ?")
    db.execute("anything")
    return "BEGIN IMMEDIATE"
'''
    assert [line for line, _ in sql_in(source)] == [5, 6, 7, 8]


def test_the_store_itself_holds_sql():
    # the allowed folder really is where the SQL went (a renamed folder would make the check vacuous)
    store = REPO / "core" / "store"
    assert sum(len(sql_in(p.read_text(encoding="utf-8"))) for p in store.glob("*.py")) > 50
    assert Path(store / "writer.py").exists() and Path(store / "reader.py").exists()
