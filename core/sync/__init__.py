"""Two-way sync between the book and remote CRMs, through adapter plugins.

- `adapter.py`: the `Adapter` ABC, its `Capabilities` and the record types it speaks (the plugin author's
  contract);
- `merge.py`: the three-way, per-field merge (pure functions, no I/O);
- `form.py`: `SyncForm`, a contact as sync compares, stores and sends it, and its conversions;
- `engine/`: one sync run of one remote, a module per step (resume, listing and guards, plan, apply, push,
  create, report);
- `api.py`: the Python API beneath `rolo remote`, `rolo sync`, `rolo conflicts` and `rolo daemon`;
- `service.py`: long-running services (`register_services`) and the schedule of periodic syncs;
- `remotes.py`: remotes in the config file, their tokens, and the adapters found through the plugin manager;
- `http.py`: the httpx client the engine hands each adapter.

The sync state (links, snapshots, bookmarks, journal, conflicts) is kept in the book by
`rolo.core.store.sync_state`. Core knows adapters only through the ABC: they are found through the
`register_adapters` hook.
"""

from __future__ import annotations

from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord
from rolo.core.sync.webhooks import WebhookEvent, WebhookRejected

__all__ = ["Adapter", "Capabilities", "Changes", "Emulator", "RemoteRecord", "WebhookEvent", "WebhookRejected"]
