"""`make demo`: a tour of rolo on the sample book, in a fresh book under .demo/.

Runs the real `rolo` command of this virtualenv, printing each command line before its output, as a new user
would type them. ROLO_CONFIG points at sample_book/rolo.toml, whose `book` key puts the book in .demo/.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROLO = Path(sys.executable).parent / "rolo"
DEMO = REPO / ".demo"


def run(*args: str, check: bool = True) -> str:
    print(f"\n$ rolo {shlex.join(args)}", flush=True)
    result = subprocess.run([str(ROLO), *args], cwd=REPO, text=True, capture_output=True)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    if check and result.returncode != 0:
        sys.exit(f"demo step failed with exit {result.returncode}: rolo {shlex.join(args)}")
    return result.stdout


def main() -> None:
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir()
    os.environ["ROLO_CONFIG"] = str(REPO / "sample_book" / "rolo.toml")
    os.environ.setdefault("COLUMNS", "120")
    print(f"# A fresh book in {DEMO.relative_to(REPO)}/ (ROLO_CONFIG=sample_book/rolo.toml)")
    print("# Custom fields first, so the cards' X-MET-AT, X-TIER... land in typed fields:")
    run("field", "define", "met_at", "--type", "text")
    run("field", "define", "tier", "--type", "select", "--option", "close", "--option", "friend",
        "--option", "acquaintance")
    run("field", "define", "first_met", "--type", "date")
    run("field", "define", "newsletter", "--type", "bool")
    run("import", "sample_book/contacts")
    print("\n# Importing the same files again changes nothing:")
    run("import", "sample_book/contacts")
    run("list", "--label", "Climbing")
    run("search", "org:northwind")
    run("search", "tier:close")
    run("search", "415-555-0142")
    print("\n# Jon Smith was exported by two programs; rolo spots such pairs:")
    run("dupes")
    run("merge", "dd468ec4d3954f77", "537cda91")
    run("show", "jon.smith@example.com")
    run("label", "list")
    run("add", "--name", "Ada Lovelace", "--email", "work:ada@example.com", "--phone", "mobile:+44 20 7946 0123",
        "--label", "Book Club", "--field", "tier=close")
    run("note", "add", "ada@example.com", "Met at the Royal Society; wants the Bernoulli notes")
    run("search", "bernoulli")
    run("email", "northwind")
    run("birthdays", "--within", "60")
    print(f"\n# Done. Try more yourself: export ROLO_CONFIG={REPO / 'sample_book' / 'rolo.toml'}; "
          f"{ROLO.relative_to(REPO)} --help")


if __name__ == "__main__":
    main()
