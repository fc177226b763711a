"""Labels and custom fields: the RelayBook endpoints the seed document only refers to ("Books & Labels",
"Bulk Operations#Bulk Update Custom Field"), whose shapes rolo has to find out. Every use of them by the
adapter goes through `BookExtras`.

**Two shapes each.** The Contacts document says to add labels with ``POST /api/v1/contacts/{id}/labels`` and to
set custom fields with a bulk update, and nothing more. Two designs are plausible, and a server may have
either (the emulator runs both, `emulator.LABEL_OBJECTS` and `emulator.LABEL_NAMES`):

- labels: label *objects* listed at ``GET /api/v1/labels``, created at ``POST /api/v1/labels`` and attached by
  id (``{"label_ids": [...]}``), their members at ``GET /api/v1/labels/{id}/contacts``; or no label objects,
  label *names* posted straight to the contact (``{"labels": ["VIP"]}``), taken off with ``DELETE
  /api/v1/contacts/{id}/labels/{name}``, read with ``GET /api/v1/contacts/{id}/labels`` (names or objects);
- the bulk update: ``POST /api/v1/bulk/custom-fields`` or ``POST /api/v1/contacts/bulk/custom-fields``
  (`client.BULK_PATHS`), the same body.

**Finding out, and remembering.** The first guess is tried first. A 404 or 405 from an endpoint whose path
names no record (``/api/v1/labels``, the bulk paths before one has answered) means the server does not have
it: the other shape is tried, and the one the server took is remembered (`memo`). The engine keeps the memo
with the remote's sync state between runs (`Adapter.remembered` / `recall`), so a server is asked each
question once, not once a run. A 404 from a confirmed bulk path, or from a contact's labels, is a missing
contact as usual and is raised.

**Reading labels.** With label objects, a pull reads every label's members (one walk per label); without
them (or when a server refuses the members walk), each contact's labels are read from the contact when it
carries a ``labels`` array, else with one request per contact.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rolo.adapters.relaybook.client import BULK_PATHS
from rolo.adapters.relaybook.mapping import ENTRY_LABELS_KEY, custom_field_changes
from rolo.core.errors import RemoteRejected

if TYPE_CHECKING:
    from rolo.adapters.relaybook.client import RelayBookClient, RelayBookContact

__all__ = ["BY_ID", "BY_NAME", "BookExtras"]

log = logging.getLogger("rolo.adapters.relaybook")

#: how a server takes labels: label objects attached by id, or names posted to the contact
BY_ID, BY_NAME = "label-objects", "label-names"


def _absent(err: RemoteRejected) -> bool:
    """A refusal that means "no such endpoint here"."""
    return err.status in (404, 405)


class BookExtras:
    """A contact's labels and custom fields, through whichever shape of their endpoints the server has.

    Labels are listed once per run (name → id, created on demand) where the server has label objects.
    """

    def __init__(self, client: RelayBookClient) -> None:
        self.client = client
        self.labels_shape: str | None = None  # BY_ID or BY_NAME once the server said which
        self.bulk_path: str | None = None  # the bulk path that answered
        self._listing: bool | None = None  # whether GET /api/v1/labels exists (None: not asked yet)
        self._ids: dict[str, str] | None = None  # casefolded name -> label id
        self._names: dict[str, str] = {}  # label id -> name

    @property
    def memo(self) -> dict[str, Any]:
        """What this adapter learned of the server's shapes (None: not known yet); the engine keeps it
        between runs (`RelayBookAdapter.remembered`) and gives it back with `recall`."""
        return {"labels": self.labels_shape, "bulk_path": self.bulk_path, "label_listing": self._listing}

    def recall(self, memo: Mapping[str, Any]) -> None:
        """Take back what an earlier run learned (values this version does not know are ignored)."""
        if memo.get("labels") in (BY_ID, BY_NAME):
            self.labels_shape = memo["labels"]
        if memo.get("bulk_path") in BULK_PATHS:
            self.bulk_path = memo["bulk_path"]
        if memo.get("label_listing") is False:
            self._listing = False

    def _by_name(self, why: str) -> None:
        if self.labels_shape != BY_NAME:
            log.info("relaybook: %s; labels are sent by name to /api/v1/contacts/{id}/labels", why)
        self.labels_shape = BY_NAME

    # -- reading ---------------------------------------------------------------------------------------------

    def _load(self) -> dict[str, str] | None:
        """The book's labels (casefolded name → id), listed once; None when the server has no label listing."""
        if self._listing is False:
            return None
        if self._ids is None:
            try:
                labels = list(self.client.list_labels())
            except RemoteRejected as err:
                if not _absent(err):
                    raise
                self._listing = False
                self._by_name(f"the server has no label objects (GET /api/v1/labels: {err.status})")
                return None
            self._listing = True
            self._ids = {}
            for label in labels:
                self._remember(label)
        return self._ids

    def _remember(self, label: Mapping[str, Any]) -> None:
        name = str(label.get("name") or "").strip()
        if name and label.get("id") and self._ids is not None:
            self._ids.setdefault(name.casefold(), str(label["id"]))
            self._names[str(label["id"])] = name

    def labels_by_contact(self) -> dict[str, list[str]] | None:
        """Every contact's label names, by contact id (one walk per label), or None when the server cannot
        say so (no label objects, or no members listing): read each contact's with `labels_of` then."""
        self._ids = None  # a fresh listing for each pull
        ids = self._load()
        if ids is None:
            return None
        found: dict[str, list[str]] = {}
        try:
            for label_id in list(ids.values()):
                name = self._names[label_id]
                for contact_id in self.client.label_members(label_id):
                    found.setdefault(contact_id, []).append(name)
        except RemoteRejected as err:
            if not _absent(err):
                raise
            return None  # no members listing (or a label deleted meanwhile): ask each contact
        return found

    def labels_of(self, contact: Mapping[str, Any]) -> list[str]:
        """One contact's label names (from the contact when it carries them, else one request)."""
        carried = _carried_labels(contact)
        if carried is not None:
            return carried
        labels = self.client.contact_labels(str(contact["id"]))
        for label in labels:
            if isinstance(label, Mapping):
                self._remember(label)
        return _names(labels)

    # -- writing labels --------------------------------------------------------------------------------------

    def label_id(self, name: str) -> str | None:
        """The id of the book's label `name`, created when missing; None when the server takes labels by
        name (it has no label objects, or cannot create one)."""
        if self.labels_shape == BY_NAME:
            return None
        ids = self._load()
        if ids is None:
            return None
        found = ids.get(name.casefold())
        if found:
            return found
        try:
            label = self.client.create_label(name)
        except RemoteRejected as err:
            if _absent(err):
                self._by_name(f"the server cannot create labels (POST /api/v1/labels: {err.status})")
                return None
            if err.status != 409:
                raise
            self._ids = None  # created meanwhile (another client, or a retried request that went through)
            found = (self._load() or {}).get(name.casefold())
            if found is None:
                raise
            return found
        self._remember(label)
        return str(label["id"])

    def _add(self, contact_id: str, names: list[str]) -> list[str] | None:
        """Add labels to a contact; the contact's label names when the server said them, else None."""
        if self.labels_shape != BY_NAME:
            ids = []
            for name in names:
                found = self.label_id(name)
                if found is None:
                    break
                ids.append(found)
            else:
                answer = self.client.add_labels(contact_id, ids)
                self.labels_shape = BY_ID
                return _names(answer) if isinstance(answer, list) and answer else None
        answer_by_name = self.client.add_label_names(contact_id, names)
        return _names(answer_by_name) if isinstance(answer_by_name, list) and answer_by_name else None

    def _remove(self, contact_id: str, name: str) -> None:
        """Take a label (by name) off a contact; one it does not have is fine."""
        label: str | None = name
        if self.labels_shape != BY_NAME:
            ids = self._load()
            if ids is not None:
                label = ids.get(name.casefold())
        if label is None:
            return  # no such label in the book: the contact cannot have it
        try:
            self.client.remove_label(contact_id, label)
        except RemoteRejected as err:
            if err.status != 404:  # not there (any more): what we wanted
                raise

    def set_labels(self, contact_id: str, wanted: Iterable[str], current: Iterable[str]) -> list[str]:
        """Give a contact exactly the labels `wanted` (names, without case), knowing it has `current`;
        returns its labels as the server spells them."""
        want = {n.casefold(): n for n in wanted if str(n).strip()}
        have = {n.casefold(): n for n in current}
        add = [want[k] for k in want if k not in have]
        said = self._add(contact_id, add) if add else None
        for key in have.keys() - want.keys():
            self._remove(contact_id, have[key])
        spelled = {n.casefold(): n for n in said or []}
        by_id = {k: self._names.get((self._ids or {}).get(k, ""), "") for k in want}
        # as RelayBook spells them, so that the next listing reads the same
        names = [have.get(k) or spelled.get(k) or by_id[k] or want[k] for k in want]
        return sorted(names, key=str.casefold)

    # -- writing custom fields -------------------------------------------------------------------------------

    def set_custom_fields(self, contact: Mapping[str, Any], values: Mapping[str, Any] | None) -> Mapping[str, Any]:
        """Write the book's custom fields (`values`, or None to leave them) of one contact, and remove the
        entry-label memo older rolo versions kept (`ENTRY_LABELS_KEY`), in one bulk request when anything
        differs; returns the contact as it now stands."""
        changes = self.custom_field_changes(contact, values)
        if not changes:
            return contact
        updates = [{"contact_id": contact["id"], "key": k, "value": v} for k, v in changes.items()]
        stored = self.bulk_update(updates)
        return next((c for c in stored if c.get("id") == contact["id"]), contact)

    @staticmethod
    def custom_field_changes(contact: Mapping[str, Any], values: Mapping[str, Any] | None) -> dict[str, Any]:
        """The custom field values `set_custom_fields` would write (null: remove)."""
        current = dict(contact.get("custom_fields") or {})
        changes = custom_field_changes(values, current) if values is not None else {}
        if current.get(ENTRY_LABELS_KEY) is not None:
            changes[ENTRY_LABELS_KEY] = None
        return changes

    def bulk_update(self, updates: list[dict[str, Any]]) -> list[RelayBookContact]:
        """The bulk custom-field update at the path the server has (found out on first use)."""
        if self.bulk_path is not None:
            return self.client.bulk_update_custom_fields(updates, path=self.bulk_path)
        refusals: list[RemoteRejected] = []
        for path in BULK_PATHS:
            try:
                stored = self.client.bulk_update_custom_fields(updates, path=path)
            except RemoteRejected as err:
                if not _absent(err):
                    raise
                refusals.append(err)
                continue
            if path != BULK_PATHS[0]:
                log.info("relaybook: the bulk custom-field update is at %s", path)
            self.bulk_path = path
            return stored
        first = refusals[0]
        # both answered 404/405: no bulk update here, or (for a 404) a contact the server does not have
        raise RemoteRejected(
            f"relaybook: RelayBook has no bulk custom-field update at {' or '.join(BULK_PATHS)} "
            f"(or not this contact): {first}", adapter="relaybook", status=first.status, code=first.code,
        )


def _names(labels: Iterable[Any]) -> list[str]:
    """Label names from a list of names or of objects with a name."""
    names = [label.get("name") if isinstance(label, Mapping) else label for label in labels]
    return [str(n) for n in names if n]


def _carried_labels(contact: Mapping[str, Any]) -> list[str] | None:
    """Labels a server put on the contact object itself (names, or objects with a name), or None."""
    labels = contact.get("labels")
    if not isinstance(labels, list):
        return None
    return _names(labels)
