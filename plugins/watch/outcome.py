"""Where a file goes after import, what the watcher reports about it, and the `--keep` memory.

- `imported/YYYY-MM-DD/NAME`: files imported (the date is the local day of the import);
- `failed/NAME.vcf` + `failed/NAME.error.txt`: the cards of a file that could not be imported, each named
  with its reason; a file that is no vCard at all, or none of whose cards could be read, goes there whole.

A name already taken gets a counter (`contacts-2.vcf`). Nothing is ever overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rolo.core.vcard import CardResult

IMPORTED = "imported"
FAILED = "failed"
STATE_NAME = ".rolo-watch.json"
_FN = re.compile(r"^(?:[A-Za-z0-9-]+\.)?FN[;:](?:[^:\n]*:)?(.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class FileResult:
    """What became of one dropped file.

    `status`: `imported` (some or all cards; `failed` > 0 when some were set aside), `failed` (nothing
    imported: not a vCard, or no card readable), `skipped` (`--keep`: this content was imported before),
    `retry` (an error that may pass: unreadable, disk full, book locked; it is tried again), `changed` (it
    changed while being read: imported again once quiet), `gone` (it left the folder first).
    """

    path: Path
    status: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    reason: str | None = None
    moved_to: Path | None = None  # where the file itself went (imported/ or failed/), None if kept/deleted
    failed_to: Path | None = None  # the failed cards' .vcf, when only some cards failed
    failures: list[dict[str, Any]] = field(default_factory=list)
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object (paths as strings)."""
        return {
            "file": str(self.path), "status": self.status, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "failed": self.failed, "reason": self.reason,
            "moved_to": None if self.moved_to is None else str(self.moved_to),
            "failed_to": None if self.failed_to is None else str(self.failed_to),
            "failures": self.failures, "sha256": self.sha256,
        }


def unique_path(folder: Path, name: str, *also: str) -> Path:
    """`folder/name`, or `folder/stem-N.suffix` with the lowest N free; `also` are suffixes that must be
    free beside it under the same stem (`.error.txt` beside a `.vcf`)."""
    stem, suffix = _split(name)
    n = 1
    while True:
        candidate_stem = stem if n == 1 else f"{stem}-{n}"
        candidate = folder / f"{candidate_stem}{suffix}"
        if not os.path.lexists(candidate) and not any(
                os.path.lexists(folder / f"{candidate_stem}{extra}") for extra in also):
            return candidate
        n += 1


def _split(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, f".{suffix}"


def move_into(path: Path, folder: Path, *also: str) -> Path:
    """Move a file into `folder` (created if needed), keeping its name unless taken; returns where it went."""
    folder.mkdir(parents=True, exist_ok=True)
    # Link, then unlink, rather than rename: a rename out of the watched folder reaches inotify as a lone
    # IN_MOVED_FROM, which watchdog holds back ~0.5 s waiting for its pair, delaying every event behind it.
    # A link also never overwrites: a name taken meanwhile fails and the next one is tried.
    while True:
        target = unique_path(folder, path.name, *also)
        try:
            os.link(path, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS):
                raise
            shutil.move(path, target)  # no hard links here (FAT, some FUSE): rename, or copy across mounts
            return target
        os.unlink(path)
        return target


def imported_folder(drop: Path, when: datetime | None = None) -> Path:
    """`DROP/imported/YYYY-MM-DD` for the local day."""
    return drop / IMPORTED / (when or datetime.now()).strftime("%Y-%m-%d")


def card_name(card: CardResult) -> str:
    """`card 3 (Ada Lovelace)`: the card's number in its file, and its FN when it has one."""
    match = _FN.search(card.text)
    name = match.group(1).strip() if match else ""
    if len(name) > 60:
        name = name[:57] + "..."
    return f"card {card.index} ({name})" if name else f"card {card.index}"


def write_failed_cards(drop: Path, name: str, cards: list[CardResult], total: int) -> Path:
    """`failed/STEM.vcf` holding the cards that failed, and `failed/STEM.error.txt` naming each and why."""
    folder = drop / FAILED
    folder.mkdir(parents=True, exist_ok=True)
    stem = _split(name)[0]
    target = unique_path(folder, f"{stem}.vcf", ".error.txt")
    _write_atomic(target, "".join(card.text if card.text.endswith("\n") else card.text + "\n" for card in cards))
    lines = [f"{name}: {len(cards)} of {total} cards could not be imported; the others were.",
             f"They are in {target.name} beside this file. Fix them and drop that file in the folder again.", ""]
    lines += [f"{card_name(card)}: {card.error}" for card in cards]
    _write_atomic(_error_path(target), "\n".join(lines) + "\n")
    return target


def set_aside(path: Path, drop: Path, reason: str, *, copy: bool = False, details: list[str] | None = None) -> Path:
    """Move (or with `copy`, copy) a whole file to `failed/` and write its `.error.txt`: the reason, then
    one line per detail (each card and why)."""
    folder = drop / FAILED
    folder.mkdir(parents=True, exist_ok=True)
    if copy:
        target = unique_path(folder, path.name, ".error.txt")
        shutil.copyfile(path, target)
    else:
        target = move_into(path, folder, ".error.txt")
    lines = [f"{path.name} was not imported: {reason}", *(details or [])]
    _write_atomic(_error_path(target), "\n".join(lines) + "\n")
    return target


def _error_path(target: Path) -> Path:
    return target.with_name(f"{_split(target.name)[0]}.error.txt")


def _write_atomic(target: Path, text: str) -> None:
    """Write through a hidden temp file and rename, so nobody ever reads half of it."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class KeepState:
    """What `--keep` has imported, by content hash, in a hidden JSON file in the drop folder.

    A file whose bytes were imported before is skipped; change it and it is imported again. The file is
    rewritten whole and atomically; losing it only means files are imported again, which changes nothing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.load()

    def load(self) -> None:
        """Read the state file (a missing or unreadable one is an empty memory)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._files = dict(data.get("files", {}))
        except (OSError, ValueError, AttributeError):
            self._files = {}

    def __contains__(self, digest: object) -> bool:
        return digest in self._files

    def __len__(self) -> int:
        return len(self._files)

    def add(self, digest: str, name: str) -> None:
        """Remember a file's content as imported."""
        self._files[digest] = {"name": name, "imported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        self.dirty = True

    def save(self) -> None:
        """Write the state file if anything changed."""
        if not self.dirty:
            return
        _write_atomic(self.path, json.dumps({"version": 1, "files": self._files}, indent=1, sort_keys=True) + "\n")
        self.dirty = False
