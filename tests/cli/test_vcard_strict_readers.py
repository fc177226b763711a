"""Strict readers accept every vCard rolo exports (issue 11).

Every real-world file of ../shared/vcards (vCard 2.1, 3.0 and 4.0 from phones, mail programs and the broken
cases of other projects' test suites) is imported with `rolo import` into a fresh book and exported with
`rolo export --format vcf --vcard-version 3.0` and `4.0`. Each export must be read by:

- vobject with its default settings (no `allowQP`): every card, and every property's value;
- ical.js (Mozilla's parser, installed by `make test` into `.node/`), a second independent implementation,
  driven by tests/tools/icaljs_check.cjs in one node process for the whole session;
- the grammar both RFCs share, checked line by line below: a valid property name, `NAME=value` parameters
  only (no bare 2.1 `;WORK;VOICE`), no quoted-printable and no CHARSET, ENCODING=b only in 3.0 and no
  ENCODING in 4.0 (inline data is a `data:` URI there). A reader that forgives these is not a reason to
  write them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import vobject  # type: ignore[import-untyped]
from conftest import REPO, SHARED_VCARDS, Rolo, vcard_corpus

VERSIONS = ("3.0", "4.0")
NODE = shutil.which("node")
NODE_MODULES = REPO / ".node" / "node_modules"
CHECKER = REPO / "tests" / "tools" / "icaljs_check.cjs"
NO_CORPUS = pytest.param(None, marks=pytest.mark.skip(reason=f"{SHARED_VCARDS} is absent"), id="no-corpus")


class IcalJs:
    """One node process running ical.js over the files it is given, one JSON line per file."""

    def __init__(self) -> None:
        env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
        self.process = subprocess.Popen([NODE, str(CHECKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, encoding="utf-8", env=env)

    def read(self, path: Path) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(str(path)) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the ical.js checker stopped (exit {self.process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def icaljs() -> Iterator[IcalJs | None]:
    """ical.js in one node process for the whole session; None where node is absent."""
    if NODE is None:
        yield None
        return
    if not (NODE_MODULES / "ical.js").is_dir():
        # `make test` installs it; a bare `pytest` after a fresh clone does the same here.
        npm = shutil.which("npm")
        assert npm, "node is installed without npm: cannot install ical.js (make test does it)"
        run = subprocess.run([npm, "install", "--prefix", str(REPO / ".node"), "--no-audit", "--no-fund",
                              "--silent", "ical.js@2"], capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            pytest.fail(f"npm could not install ical.js into .node/: {run.stderr.strip()[-500:]}")
    reader = IcalJs()
    yield reader
    reader.close()


# -- the grammar check -------------------------------------------------------------------------------------

_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+")
_HEAD = re.compile(r'((?:"[^"]*"|[^":])*):')  # up to the first colon outside double quotes
_PARAM = re.compile(r'[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*')


def grammar_errors(text: str, version: str) -> list[str]:
    """Lines of an export that break the content-line grammar of its version (see the module docstring)."""
    errors = []
    for line in re.sub(r"\r\n[ \t]", "", text).split("\r\n"):
        if not line:
            continue
        head = _HEAD.match(line)
        parts = re.findall(r'(?:"[^"]*"|[^;])+', head.group(1)) if head else [line]
        problem = None
        if not head:
            problem = "no colon"
        elif not _NAME.fullmatch(parts[0]):
            problem = "invalid property name"
        elif bad := [p for p in parts[1:] if not _PARAM.fullmatch(p)]:
            problem = f"parameter without NAME=value: {bad[0]}"
        else:
            keys = {p[0].upper(): [v.upper() for v in p[1:]] for p in vobject.base.parseLine(line)[1]}
            if "CHARSET" in keys:
                problem = "CHARSET parameter"
            elif "QUOTED-PRINTABLE" in keys.get("ENCODING", []):
                problem = "quoted-printable"
            elif "ENCODING" in keys and (version == "4.0" or keys["ENCODING"] != ["B"]):
                problem = f"ENCODING={','.join(keys['ENCODING'])} in {version}"
        if problem:
            errors.append(f"{problem}: {line[:100]}")
    return errors


def test_grammar_check_finds_what_it_names() -> None:
    bad = ("X-messaging/aim-All:a\r\nX-MS-TEL;VOICE;CALLBACK:1\r\nLABEL;CHARSET=UTF-8:a\r\n"
           "NOTE;ENCODING=QUOTED-PRINTABLE:a=3Db\r\nPHOTO;ENCODING=BASE64;TYPE=JPEG:AAAA\r\n")
    assert [e.split(":")[0] for e in grammar_errors(bad, "3.0")] == [
        "invalid property name", "parameter without NAME=value", "CHARSET parameter", "quoted-printable",
        "ENCODING=BASE64 in 3.0"]
    good = ('ADR;LABEL="1 Main St\\nTown";TYPE=home,work:;;1 Main St;Town;;;\r\n'
            "PHOTO;ENCODING=b;TYPE=JPEG:AA\r\n")
    assert grammar_errors(good, "3.0") == []
    assert grammar_errors(good, "4.0") == ["ENCODING=B in 4.0: PHOTO;ENCODING=b;TYPE=JPEG:AA"]


# -- the corpus ----------------------------------------------------------------------------------------------


def vobject_error(text: str) -> str | None:
    """Why vobject (default settings) refuses the text, or None when it reads every card and value."""
    try:
        for card in vobject.readComponents(text):
            for child in card.getChildren():
                str(child.value)
    except Exception as exc:  # vobject raises ParseError, ValueError (base64), binascii.Error...
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in vcard_corpus()] or [NO_CORPUS])
def test_strict_readers_accept_the_export(path: Path, rolo: Rolo, icaljs: IcalJs | None, tmp_path: Path
                                          ) -> None:
    rolo("import", str(path), "--json", ok=False)  # the corpus's broken cards are refused; the rest import
    imported = len(rolo.json("list"))
    refused = []
    for version in VERSIONS:
        export = tmp_path / f"export-{version}.vcf"
        rolo("export", "--format", "vcf", "--vcard-version", version, "-o", str(export))
        text = export.read_bytes().decode("utf-8")
        assert text.count("BEGIN:VCARD\r\n") == imported
        if error := vobject_error(text):
            refused.append(f"{version} vobject: {error}")
        answer = icaljs.read(export) if icaljs else {"error": None, "cards": imported}
        if answer["error"]:
            refused.append(f"{version} ical.js: {answer['error'][:300]}")
        elif answer["cards"] != imported:
            refused.append(f"{version} ical.js read {answer['cards']} of {imported} cards")
        refused += [f"{version} grammar: {e}" for e in grammar_errors(text, version)]
    assert not refused, "\n".join(refused)
    if icaljs is None:  # vobject and the grammar check have passed; the second reader could not run
        pytest.skip("node is not installed: the second strict reader (ical.js) runs on node")


KHARD = shutil.which("khard", path=str(Path(sys.executable).parent)) or shutil.which("khard")


@pytest.mark.skipif(KHARD is None, reason="khard is not installed: pip install -e '.[dev]'")
@pytest.mark.skipif(not SHARED_VCARDS.is_dir(), reason=f"{SHARED_VCARDS} is absent")
@pytest.mark.parametrize("version", VERSIONS)
def test_khard_lists_a_vdir_of_the_whole_corpus(version: str, rolo: Rolo, tmp_path: Path) -> None:
    """khard reads a vdir with vobject and its own checks; one bad card makes it fail on the whole folder."""
    rolo("import", str(SHARED_VCARDS), ok=False)
    uids = [c["uid"] for c in rolo.json("list")]
    vdir = tmp_path / "vdir"
    rolo("export", "--format", "vdir", "--vcard-version", version, "-o", str(vdir))
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[corpus]]\npath = {vdir}\n", encoding="utf-8")
    run = subprocess.run([KHARD, "-c", str(config), "list", "--parsable", "--fields", "uid"], check=False,
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                         env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
    assert run.returncode == 0 and run.stderr == "", run.stderr[-2000:]
    assert sorted(line.strip() for line in run.stdout.splitlines() if line.strip()) == sorted(uids)
