"""`rolo import --preview`: what an import would create, change (field by field) and flag as a likely
duplicate, found by running the import itself in one transaction that is then rolled back, so the preview
is exactly what the import would do, and nothing is written (`rolo.core.importer.import_files`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rolo.core.history.fields import describe


@dataclass
class ImportPreview:
    """Filled by `import_files(..., preview=...)`: the contacts it would create and update."""

    created: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)

    def add(self, tx: Any, pairs: list[tuple[Any, Any]]) -> None:
        """Note the outcome of each imported card (its contact is read back inside the transaction)."""
        for result, outcome in pairs:
            if outcome.status == "created":
                record = tx.load(outcome.contact_id)
                self.created.append({"uid": record.uid, "name": record.display_name(), "file": result.source,
                                     "card": result.index})
            elif outcome.status in ("updated", "merged"):
                after = tx.load(outcome.contact_id)
                changes = tx.history.pending(outcome.contact_id)
                self.updated.append({
                    "uid": after.uid, "name": after.display_name(), "file": result.source, "card": result.index,
                    "changes": [{"field": name, "before": before, "after": now}
                                for name, (before, now) in changes.items()]})

    def lines(self) -> list[str]:
        """The preview for people: one line per contact created, per contact updated and per field."""
        from rolo.core.importer import place

        out = [f"would create {c['name']} ({place(c['file'], c['card'])})" for c in self.created]
        for u in self.updated:
            out.append(f"would update {u['name']} ({u['uid']}):")
            out += [f"  {c['field']}: {describe(c['field'], c['before'])} -> {describe(c['field'], c['after'])}"
                    for c in u["changes"]]
        return out
