"""The three-way, per-field merge: pure functions, no I/O (the engine does the reading and writing).

For a contact linked to a remote record there are three versions of every carried field: the local one now,
the remote one now, and the last synced snapshot of each side (the base). Each side is compared with its
own snapshot only, so a remote that stores values a little differently (a phone reformatted, an email
lower-cased) never looks changed because of it. Then, per field:

- changed on one side only: the value flows to the other side;
- changed on both sides to equivalent values: nothing to do;
- changed on both sides to different values: a conflict, settled by the policy (`local`, `remote`, or
  `newest`, which compares the contact's `updated_at` with the remote record's); the losing value goes to
  the conflict log;
- labels are a set: additions and removals from both sides are combined, so they never conflict;
- custom fields are merged per field name (`custom_fields.NAME` is one field);
- entry labels of a list field the remote declares labels for (`Capabilities.entry_labels`) compare by what
  the remote makes of them (`rolo.core.labels.nearest`): the book's `android` phone is the remote's `mobile`
  one, so neither side looks changed because of it, and a pull keeps the book's label while the remote's
  still stands for it (`apply_local`).

With no base (a local contact and a remote record first matched by email), a value present on one side
only is taken by the other, and different values on both sides are conflicts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rolo.core.fields import field_key
from rolo.core.labels import same_class
from rolo.core.record import AddressEntry, ContactRecord, DateEntry, EmailEntry, PhoneEntry, RelatedEntry, UrlEntry
from rolo.core.sync.adapter import LIST_FIELDS, Capabilities

POLICIES = ("local", "remote", "newest")
CUSTOM = "custom_fields."
_ENTRY_KEYS = {
    "emails": ("address", "label", "primary"),
    "phones": ("number", "label", "primary"),
    "addresses": ("label", "po_box", "street", "extended", "locality", "region", "postal_code", "country"),
    "urls": ("label", "url"),
}
_EMPTY: dict[str, Any] = {"emails": [], "phones": [], "addresses": [], "urls": [], "labels": [],
                          "custom_fields": {}, "starred": False}


# -- projection: the local contact as the remote can carry it --------------------------------------------------
def _primary_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for index, entry in enumerate(entries):
        if entry.get("primary"):
            return [entry, *entries[:index], *entries[index + 1 :]]
    return entries


def project(contact: dict[str, Any], caps: Capabilities) -> dict[str, Any]:
    """The JSON contact object restricted to the fields the remote carries (the snapshot's shape):
    entries reduced to their JSON keys (a phone's derived `e164` dropped), a single-entry field reduced
    to the primary entry, labels sorted, empty custom fields dropped."""
    out: dict[str, Any] = {}
    for key in caps.fields:
        value = contact.get(key, _EMPTY.get(key))
        if key in LIST_FIELDS:
            entries = [{k: e.get(k) for k in _ENTRY_KEYS[key]} for e in value or []]
            if key in caps.single:
                entries = _primary_first(entries)[:1]
            value = entries
        elif key == "labels":
            value = sorted({str(v) for v in value or []}, key=str.casefold)
        elif key == "custom_fields":  # values are scalars or lists of scalars: a shallow copy of each will do
            value = {k: (list(v) if isinstance(v, list) else v) for k, v in (value or {}).items()
                     if v not in (None, "", [])}
        elif key == "formatted_name" and not value:
            value = None
        out[key] = value
    return out


def flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Field -> value, with each custom field its own field (`custom_fields.KEY`, KEY the name as the book
    compares names: case-insensitive, `-` as `_`)."""
    out = {k: v for k, v in data.items() if k != "custom_fields"}
    if "custom_fields" in data:
        for name, value in (data["custom_fields"] or {}).items():
            out[CUSTOM + field_key(name)] = value
    return out


def unflatten(flat: dict[str, Any], custom: bool) -> dict[str, Any]:
    """The inverse of `flatten` (empty custom fields dropped)."""
    out = {k: v for k, v in flat.items() if not k.startswith(CUSTOM)}
    if custom:
        out["custom_fields"] = {k[len(CUSTOM):]: v for k, v in flat.items()
                                if k.startswith(CUSTOM) and v not in (None, "", [])}
    return out


# -- equivalence ---------------------------------------------------------------------------------------------
def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def _digits(number: Any) -> str:
    text = str(number or "")
    return ("+" if text.strip().startswith("+") else "") + re.sub(r"\D", "", text)


def _same_entry(key: str, a: dict[str, Any], b: dict[str, Any], single: bool,
                allowed: frozenset[str] | None) -> bool:
    for sub in _ENTRY_KEYS[key]:
        x, y = a.get(sub), b.get(sub)
        if sub == "label" and allowed is not None:  # declared labels: None is "no label", a value like any
            if not same_class(key, x, y, allowed):
                return False
            continue
        if sub == "primary":
            if single or x is None or y is None:
                continue
            if bool(x) != bool(y):
                return False
            continue
        if sub == "address":
            if _text(x).casefold() != _text(y).casefold():
                return False
        elif sub == "number":
            if _digits(x) != _digits(y):
                return False
        elif x is None or y is None:  # a sub-key one side cannot carry
            continue
        elif _text(x) != _text(y):
            return False
    return True


def same(name: str, a: Any, b: Any, caps: Capabilities | None = None) -> bool:
    """Whether two values of a field mean the same (whitespace, email case and phone punctuation aside;
    a sub-key one side leaves None is not compared; entry labels the remote declares compare by the
    remote's label for them, so `android` and `mobile` are one phone label for a remote with mobiles)."""
    if name in LIST_FIELDS:
        a, b = a or [], b or []
        single = bool(caps and name in caps.single)
        allowed = caps.entry_labels.get(name) if caps else None
        return len(a) == len(b) and all(_same_entry(name, x, y, single, allowed)
                                        for x, y in zip(a, b, strict=True))
    if name == "labels":
        return {str(v).casefold() for v in a or []} == {str(v).casefold() for v in b or []}
    if name == "starred":
        return bool(a) == bool(b)
    if isinstance(a, list) or isinstance(b, list):
        return [_text(v) for v in a or []] == [_text(v) for v in b or []]
    return bool(_text(a) == _text(b))


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, False)


# -- the merge -------------------------------------------------------------------------------------------
@dataclass
class Conflict:
    """A field changed on both sides to different values, and which side the policy kept."""

    field: str
    local: Any
    remote: Any
    kept: str


@dataclass
class Merge:
    """What to do for one linked pair: fields to write locally, fields to send remotely, conflicts."""

    to_local: dict[str, Any] = field(default_factory=dict)
    to_remote: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.to_local and not self.to_remote


def _newer(local_time: str | None, remote_time: str | None) -> str:
    def parse(value: str | None) -> datetime | None:
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)  # Python 3.11 reads the Z
        except ValueError:
            return None

    lt, rt = parse(local_time), parse(remote_time)
    if lt is None or rt is None:
        return "local"  # unknown remote time: the book is the source of truth
    return "remote" if rt > lt else "local"


def three_way(local: dict[str, Any], remote: dict[str, Any], local_base: dict[str, Any] | None,
              remote_base: dict[str, Any] | None, caps: Capabilities, policy: str = "local", *,
              local_time: str | None = None, remote_time: str | None = None) -> Merge:
    """Merge one linked pair, all arguments projected (`project`) or as the adapter returned them.

    Args:
        local, remote: the carried fields now, on each side.
        local_base, remote_base: each side's snapshot at the last sync, or None when never synced.
        policy: `local`, `remote` or `newest` for conflicts.
        local_time, remote_time: when each side last changed (for `newest`).

    Returns:
        the fields (flattened names) to write locally and to send remotely, and the conflicts.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown conflict policy {policy!r}")
    lf, rf = flatten(local), flatten(remote)
    lb = flatten(local_base) if local_base is not None else None
    rb = flatten(remote_base) if remote_base is not None else None
    result = Merge()
    names = sorted(set(lf) | set(rf) | set(lb or {}) | set(rb or {}))
    for name in names:
        top = "custom_fields" if name.startswith(CUSTOM) else name
        if top not in caps.fields:
            continue
        lv, rv = lf.get(name), rf.get(name)
        if name == "labels":
            merged = _merge_sets(lv or [], rv or [], (lb or {}).get(name), (rb or {}).get(name))
            if not same(name, merged, lv):
                result.to_local[name] = merged
            if not same(name, merged, rv):
                result.to_remote[name] = merged
            continue
        lc = (not same(name, lv, lb.get(name), caps)) if lb is not None else not _empty(lv)
        rc = (not same(name, rv, rb.get(name), caps)) if rb is not None else not _empty(rv)
        if not lc and not rc:
            continue
        if lc and not rc:
            if not same(name, lv, rv, caps):
                result.to_remote[name] = lv
        elif rc and not lc:
            if not same(name, lv, rv, caps):
                result.to_local[name] = rv
        elif not same(name, lv, rv, caps):
            kept = policy if policy != "newest" else _newer(local_time, remote_time)
            result.conflicts.append(Conflict(name, lv, rv, kept))
            if kept == "local":
                result.to_remote[name] = lv
            else:
                result.to_local[name] = rv
    return result


def _merge_sets(local: list[str], remote: list[str], local_base: list[str] | None,
                remote_base: list[str] | None) -> list[str]:
    """Labels: what either side added, minus what either side removed (case-insensitively)."""
    names: dict[str, str] = {}
    for value in [*remote, *local]:
        names[value.casefold()] = value
    lk, rk = {v.casefold() for v in local}, {v.casefold() for v in remote}
    if local_base is None or remote_base is None:
        keep = lk | rk
    else:
        lbk, rbk = {v.casefold() for v in local_base}, {v.casefold() for v in remote_base}
        removed = (lbk - lk) | (rbk - rk)
        keep = (lk | rk) - (removed - ((lk - lbk) | (rk - rbk)))
    return sorted((names[k] for k in keep), key=str.casefold)


# -- applying changes ----------------------------------------------------------------------------------------
def apply_remote(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The remote record's data with flattened field changes applied (what to send)."""
    flat = flatten(copy.deepcopy(data))
    flat.update(copy.deepcopy(changes))
    return unflatten(flat, "custom_fields" in data or any(k.startswith(CUSTOM) for k in changes))


def changed_keys(changes: dict[str, Any]) -> frozenset[str]:
    """The top-level JSON keys a set of flattened field changes touches."""
    return frozenset("custom_fields" if k.startswith(CUSTOM) else k for k in changes)


def _fill(kind: str, new: dict[str, Any], old: dict[str, Any] | None, allowed: frozenset[str] | None
          ) -> dict[str, Any]:
    """A remote entry, with the sub-keys it cannot carry (None) taken from the local entry it replaces.

    With declared entry labels (`allowed`, the remote's label set), the label is the local one while the
    remote's label stands for it (the book's `home` phone stays `home` when the remote, which has no home,
    says `other`), else the remote's, None included (a remote's None is "no label" there)."""
    if old is None:
        return new
    filled = {k: (old.get(k) if v is None else v) for k, v in new.items()}
    if allowed is not None:
        mine, theirs = old.get("label"), new.get("label")
        filled["label"] = mine if same_class(kind, mine, theirs, allowed) else theirs
    return filled


def _identity(kind: str, entry: dict[str, Any]) -> str | None:
    """What makes two entries the same one, whatever their labels (None: nothing to go by)."""
    if kind == "emails":
        return str(entry.get("address") or "").casefold() or None
    if kind == "phones":
        return "".join(ch for ch in str(entry.get("number") or "") if ch.isdigit())[-9:] or None
    if kind == "urls":
        return str(entry.get("url") or "").rstrip("/").casefold() or None
    parts = (entry.get("street"), entry.get("locality"), entry.get("postal_code"))
    return "|".join(str(p or "").casefold() for p in parts) if any(parts) else None


def _counterparts(kind: str, incoming: list[dict[str, Any]],
                  current: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """For each remote entry, the local entry it stands for: the same address/number/URL first, so that a
    remote deletion does not shift sub-keys (labels) onto the wrong entries; else the one at its position."""
    used: set[int] = set()
    found: list[int | None] = []
    for entry in incoming:
        key = _identity(kind, entry)
        match = next((i for i, old in enumerate(current)
                      if i not in used and key is not None and _identity(kind, old) == key), None)
        if match is not None:
            used.add(match)
        found.append(match)
    for position, match in enumerate(found):
        if match is None and position < len(current) and position not in used:
            found[position] = position
            used.add(position)
    return [current[i] if i is not None else None for i in found]


def apply_local(record: ContactRecord, changes: dict[str, Any], caps: Capabilities) -> ContactRecord:
    """A copy of the contact with flattened field changes (remote values) applied.

    Fields the adapter does not carry are never touched. For a field the remote holds one entry of, only
    the contact's primary entry is replaced (the others stay); sub-keys the remote cannot carry keep their
    local value, and so does an entry label the remote's label stands for (`Capabilities.entry_labels`: a
    pull never turns the book's `iPhone` into the remote's `mobile`). When the name parts change and the
    remote does not carry the formatted name, a formatted name that was derived from the old parts is
    derived again.
    """
    record = copy.deepcopy(record)
    old_parts_name = _parts_name(record)
    for name, value in changes.items():
        if name.startswith(CUSTOM):
            key = name[len(CUSTOM):]
            existing = next((k for k in record.custom_fields if field_key(k) == key), key)
            if _empty(value) and value is not False:
                record.custom_fields.pop(existing, None)
            else:
                record.custom_fields[existing] = value
            continue
        if name in LIST_FIELDS:
            current = [_entry_json(name, e) for e in getattr(record, name)]
            incoming = [dict(e) for e in value or []]
            allowed = caps.entry_labels.get(name)
            if name in caps.single:
                primary_index = next((i for i, e in enumerate(current) if e.get("primary")), 0)
                old = current[primary_index] if current else None
                if incoming:
                    entry = _fill(name, incoming[0], old, allowed)
                    if current:
                        current[primary_index] = {**entry, "primary": old.get("primary", True) if old else True}
                    else:
                        current = [{**entry, "primary": True}]
                elif current:
                    del current[primary_index]
                merged = current
            else:
                merged = [_fill(name, e, old, allowed)
                          for e, old in zip(incoming, _counterparts(name, incoming, current), strict=True)]
            setattr(record, name, [_entry(name, e) for e in merged])
        elif name == "labels":
            record.labels = list(value or [])
        elif name == "starred":
            record.starred = bool(value)
        elif name == "kind":
            record.kind = value or "individual"
        elif name == "formatted_name":
            record.formatted_name = value or ""
        elif name == "dates":  # whole lists, as an import carries them (no remote does)
            record.dates = [DateEntry(**d) for d in value or []]
        elif name == "related":
            record.related = [RelatedEntry(**r) for r in value or []]
        else:
            setattr(record, name, value if not isinstance(value, str) or value.strip() else None)
    names_changed = any(k in changes for k in ("prefix", "given_name", "additional_names", "family_name", "suffix"))
    derived = not record.formatted_name or record.formatted_name == old_parts_name
    if "formatted_name" not in caps.fields and names_changed and derived:
        record.formatted_name = _parts_name(record)
    return record


def _parts_name(record: ContactRecord) -> str:
    parts = [record.prefix, record.given_name, record.additional_names, record.family_name, record.suffix]
    return " ".join(p for p in parts if p)


def _entry_json(kind: str, entry: Any) -> dict[str, Any]:
    return {k: getattr(entry, k, None) for k in _ENTRY_KEYS[kind]}


def _entry(kind: str, data: dict[str, Any]) -> Any:
    if kind == "emails":
        return EmailEntry(str(data.get("address") or ""), data.get("label"), bool(data.get("primary")))
    if kind == "phones":
        return PhoneEntry(str(data.get("number") or ""), None, data.get("label"), bool(data.get("primary")))
    if kind == "addresses":
        return AddressEntry(**{k: data.get(k) for k in _ENTRY_KEYS["addresses"]},
                            primary=bool(data.get("primary")))
    return UrlEntry(str(data.get("url") or ""), data.get("label"))


def new_record(uid: str, data: dict[str, Any], caps: Capabilities) -> ContactRecord:
    """A new local contact from a remote record's data."""
    return apply_local(ContactRecord(uid=uid), flatten(data), caps)
