"""History: every write of the book is recorded as a change set, so it can be listed and undone.

- `ChangeContext` (here) says what a write is part of: who made it (a person, or a sync), the command line,
  the file or remote run it came from. `Book.recording(context)` sets it for the writes of a block; every
  transaction inside writes into the same change set. Without one, each transaction is a change set of its
  own.
- `fields.py`: a contact as a flat dict of fields, the diff of two versions, and setting fields back.
- `models.py`: the tables. `rolo.core.store.history` reads and writes them.
- `undo.py`: reverting a change set, as a new change set (so an undo can be undone).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

PERSON = "person"
SYNC = "sync"

# option names whose values never go into the history (a command line is stored as typed otherwise)
_SECRET_OPTIONS = ("--token", "--password", "--secret", "--api-key")


def current_author() -> str:
    """Who is writing: `$ROLO_AUTHOR` when set (a name for a shared book), else `user@host`."""
    named = os.environ.get("ROLO_AUTHOR", "").strip()
    if named:
        return named
    import getpass  # here: every command imports this module, few writes need the name
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's numeric uid)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname() or 'localhost'}"


@dataclass
class ChangeContext:
    """What the writes of a block are part of: one change set in `rolo history`."""

    actor: str = PERSON  # PERSON (a command, a dropped file, an undo) or SYNC
    command: str | None = None  # the command line, or what ran ("watch")
    source: str | None = None  # the file, the drop folder, "<remote> run <id>"
    undoes: int | None = None  # the change set this one reverts (an undo)
    changeset_id: int | None = None  # set once its first change has committed
    author: str = field(default_factory=current_author)  # who: several people may write one book


def command_line(argv: list[str]) -> str:
    """The command line as the history shows it, secrets masked (`--token X` -> `--token ***`)."""
    shown, hide_next = [], False
    for arg in argv:
        if hide_next:
            shown.append("***")
            hide_next = False
            continue
        name, eq, _ = arg.partition("=")
        if name in _SECRET_OPTIONS:
            if eq:
                shown.append(f"{name}=***")
            else:
                shown.append(arg)
                hide_next = True
            continue
        shown.append(arg)
    return shlex.join(["rolo", *shown])
