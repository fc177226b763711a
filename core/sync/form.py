"""The one form a contact takes in sync, and every conversion between it and the book's `ContactRecord`.

A contact meets an adapter as the JSON contact object (`ContactRecord.to_json`) restricted to the fields the
remote carries (`Capabilities.fields`): the shape of a `RemoteRecord`'s data, of a link's stored snapshots,
of what `three_way` compares and of what the adapter is sent. `SyncForm` is that shape, named, with its
capabilities beside it; the engine builds one with `SyncForm.of(record)` and turns one back into a book
contact with `to_record()` (a pulled record) or `apply_changes` (pulled fields written into a contact). It
calls nothing else of `rolo.core.sync.merge` to change a contact's shape.

Adapters still give and take plain dicts (`SyncForm.data`): the form is the engine's name for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rolo.core.fields import field_key
from rolo.core.store.sync_state import loads
from rolo.core.sync import merge
from rolo.core.values import new_uid

if TYPE_CHECKING:
    from rolo.core.record import ContactRecord
    from rolo.core.sync.adapter import Capabilities


@dataclass(frozen=True, slots=True)
class SyncForm:
    """A contact as sync compares, stores and sends it: the JSON contact object restricted to what one remote
    carries (see `rolo.core.sync.adapter` for its rules), and that remote's capabilities."""

    data: dict[str, Any]
    caps: Capabilities

    def __post_init__(self) -> None:
        private = self.caps.private_fields
        fields = self.data.get("custom_fields") if private else None
        if fields and any(field_key(name) in private for name in fields):
            kept = {k: v for k, v in fields.items() if field_key(k) not in private}
            object.__setattr__(self, "data", {**self.data, "custom_fields": kept})

    # -- from the book and from the link ------------------------------------------------------------------
    @classmethod
    def of(cls, record: ContactRecord, caps: Capabilities) -> SyncForm:
        """A book contact as this remote can carry it (one entry of a single-entry field: the primary)."""
        return cls(merge.project(record.to_json(), caps), caps)

    @classmethod
    def stored(cls, snapshot: str | None, caps: Capabilities) -> SyncForm | None:
        """A link's stored snapshot (None: never synced)."""
        data = loads(snapshot)
        return None if data is None else cls(data, caps)

    # -- back into the book -------------------------------------------------------------------------------
    def to_record(self) -> ContactRecord:
        """A new book contact (a new uid) holding this data, as a record pulled from the remote."""
        return merge.new_record(new_uid(), self.data, self.caps)

    # -- derived forms ------------------------------------------------------------------------------------
    def with_changes(self, changes: dict[str, Any]) -> SyncForm:
        """This form with merged field changes (flattened names, as `Merge.to_remote`) applied: what to send."""
        return SyncForm(merge.apply_remote(self.data, changes), self.caps)

    def keeping(self, names: Iterable[str], old: SyncForm | None) -> SyncForm:
        """This form with the given fields (flattened names) as they were in `old`, or absent where `old` had
        none: a snapshot that must not move forward for fields that did not reach the other side."""
        flat = merge.flatten(self.data)
        previous = merge.flatten(old.data) if old is not None else {}
        for name in names:
            if name in previous:
                flat[name] = previous[name]
            else:
                flat.pop(name, None)
        return SyncForm(merge.unflatten(flat, self.caps.custom_fields), self.caps)

    # -- questions ----------------------------------------------------------------------------------------
    def same_as(self, other: SyncForm) -> bool:
        """Every field of this form means the same in `other` (`rolo.core.sync.merge.same`: whitespace, email
        case and phone punctuation aside)."""
        return all(merge.same(k, v, other.data.get(k), self.caps) for k, v in self.data.items())

    def emails(self) -> list[str]:
        """The email addresses as the book compares them (casefolded; empty ones left out)."""
        addresses = (str(e.get("address") or "").strip().casefold() for e in self.data.get("emails") or [])
        return [a for a in addresses if a]

    def name(self) -> str:
        """A name to show: the formatted name, else the name parts, else the first email."""
        data = self.data
        parts = [data.get("given_name"), data.get("family_name")]
        name = data.get("formatted_name") or " ".join(p for p in parts if p)
        if not name and data.get("emails"):
            name = data["emails"][0].get("address", "")
        return str(name or "")


def apply_changes(record: ContactRecord, changes: dict[str, Any], caps: Capabilities) -> ContactRecord:
    """A copy of the book contact with pulled field changes (flattened names, as `Merge.to_local`) written in;
    what the remote cannot carry, and the entries it does not hold, stay as they are."""
    return merge.apply_local(record, changes, caps)


def three_way(local: SyncForm, remote: SyncForm, local_base: SyncForm | None, remote_base: SyncForm | None,
              policy: str, *, local_time: str | None = None, remote_time: str | None = None) -> merge.Merge:
    """`rolo.core.sync.merge.three_way` over forms: each side now and at the last sync (None: never synced)."""
    return merge.three_way(
        local.data, remote.data, local_base.data if local_base is not None else None,
        remote_base.data if remote_base is not None else None, local.caps, policy,
        local_time=local_time, remote_time=remote_time,
    )
