"""Two-way sync between the book and remote CRMs, through adapter plugins.

- `adapter.py`: the `Adapter` ABC and the record types it speaks (the plugin author's contract);
- `merge.py`: the three-way, per-field merge (pure functions, no I/O);
- `state.py`: the sync state kept in the book (links, snapshots, bookmarks, journal, conflict log);
- `engine.py`: one sync run of one remote (pull, merge, push, guards, crash safety);
- `remotes.py`: remotes in the config file, their tokens, and the adapters found through the plugin manager;
- `http.py`: the httpx client the engine hands each adapter.

Core knows adapters only through the ABC: they are found through the `register_adapters` hook.
"""

from __future__ import annotations

from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord

__all__ = ["Adapter", "Capabilities", "Changes", "Emulator", "RemoteRecord"]
