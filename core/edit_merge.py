"""Saving an edit begun on an older revision: what was saved meanwhile is merged, never overwritten.

`rolo edit` reads a contact, the user spends minutes in $EDITOR, and meanwhile someone else (another
terminal, the drop folder, a sync, a second person on a shared book) saves the same contact. The save then
compares three versions field by field, with the sync's own merge (`rolo.core.sync.merge.three_way`, the
import's capabilities: every field):

- the base: the contact as the editor read it;
- mine: what the editor saved;
- theirs: the contact as it stands now.

A field only one side changed takes that change; labels merge as sets; a field both changed to different
values keeps the editor's value (the person saving now sees what they typed) and the other value goes to
the conflict log (`rolo conflicts`, remote `edit`, naming who saved it and at which revision), where `rolo
conflicts resolve N --take remote` brings it back. Nothing anyone typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rolo.core.history.fields import contact_fields
from rolo.core.import_merge import CAPS, apply_card, shaped
from rolo.core.sync.merge import three_way

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.store.writer import Writer

#: The conflict log's `remote` for conflicts between two edits of one contact.
REMOTE = "edit"


@dataclass
class EditSaved:
    """The contact as saved, and the conflicts logged (empty when nobody saved it meanwhile)."""

    record: ContactRecord
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def save_edit(tx: Writer, base: ContactRecord, edited: ContactRecord) -> EditSaved:
    """Save `edited` (an edit of `base`) in this transaction, merged with any change saved since `base`."""
    current = tx.load(base.id)  # type: ignore[arg-type]
    if current.revision == base.revision:
        return EditSaved(tx.save(edited).record)
    was = shaped(contact_fields(base))
    merge = three_way(shaped(contact_fields(edited)), shaped(contact_fields(current)), was, was, CAPS, "local")
    saved = tx.save(apply_card(current, merge.to_remote) if merge.to_remote else current).record
    if not merge.conflicts:
        return EditSaved(saved)
    who = tx.last_author(current.id)  # type: ignore[arg-type]
    meanwhile = f"revision {current.revision}" + (f" by {who}" if who else "")
    rows = [{"remote": REMOTE, "contact_id": current.id, "remote_id": meanwhile, "run_id": None, "field": c.field,
             "local": c.local, "remote_value": c.remote, "kept": "local", "policy": "local"}
            for c in merge.conflicts]
    tx.sync_state.log_conflicts(rows)
    return EditSaved(saved, rows)
