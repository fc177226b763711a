"""The history as `rolo history` and `rolo show --history` show it: change sets with their contact changes."""

from __future__ import annotations

from typing import Any

from rolo.core.history.fields import describe, is_field


def change_set_entry(changeset: dict[str, Any], ops: dict[str, int], rows: list[dict[str, Any]]
                     ) -> dict[str, Any]:
    """A change set as the JSON of `rolo history --json`: its row, `ops` (how many contact changes of each
    kind), and `changes`, the contact changes shown (`rows`, the first ones), each {uid, name, op, fields:
    {field: {before, after}}, note: {before, after} or None}; `more_changes` says how many were left out."""
    return {**changeset, "ops": ops, "changes": [_change(r) for r in rows],
            "more_changes": sum(ops.values()) - len(rows)}


def _change(row: dict[str, Any]) -> dict[str, Any]:
    diff = row["diff"]
    fields = {k: {"before": b, "after": a} for k, (b, a) in diff.items() if is_field(k) or k == "deleted"}
    note = {"before": diff["log"][0], "after": diff["log"][1]} if "log" in diff else None
    return {"uid": row["uid"], "name": row["name"], "op": row["op"], "fields": fields, "note": note}


def change_lines(change: dict[str, Any]) -> list[str]:
    """One contact change as text lines: `title: (none) → CTO`."""
    op = change["op"]
    if op == "created":
        return ["created"]
    if op in ("deleted", "restored"):
        return ["moved to the trash" if op == "deleted" else "restored from the trash"]
    if op == "relinked":
        return ["its remote records moved to the contact it was merged into"]
    if change["note"] is not None:
        before, after = change["note"]["before"], change["note"]["after"]
        if before is None:
            return [f"note added: {_short(after['text'])}"]
        if after is None:
            return [f"note removed: {_short(before['text'])}"]
        return [f"note edited: {_short(before['text'])} → {_short(after['text'])}"]
    lines = []
    for name, values in change["fields"].items():
        if name == "deleted":
            lines.append("restored from the trash" if values["before"] else "moved to the trash")
            continue
        lines.append(f"{name}: {_short(describe(name, values['before']))} → {_short(describe(name, values['after']))}")
    return lines or ["(no field changed)"]


def summary(entry: dict[str, Any]) -> str:
    """`3 contacts: 2 created, 1 updated`."""
    ops = entry["ops"]
    count = entry["contacts"]
    parts = ", ".join(f"{n} {_OP_WORDS[op][n != 1] if op in _OP_WORDS else op}" for op, n in sorted(ops.items()))
    return f"{count} contact{'s' if count != 1 else ''}: {parts}"


_OP_WORDS = {"note": ("notes-log change", "notes-log changes")}


def _short(text: str, width: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
