"""What a sync run knows about a Relate workspace besides its contacts: custom field definitions,
organizations and label lists (each read once per run and kept up to date as rolo changes them), and how
rolo creates things in an API without idempotency keys (`Creator`).

**Creating without idempotency keys.** Relate dedupes nothing, so a create whose answer is lost (a 5xx, a
dropped connection, a timeout) may or may not have happened. `Creator` sends it again (a create whose
attempts all fail is not left half-known), and once one attempt succeeds after a failure, it looks for
*twins*: records matching what was sent, created since the first attempt (with a few seconds' margin for
clock skew). Any twin other than the one kept is deleted. A refusal after a failed attempt (Relate
refusing a second organization with the same domain, a second entry for the same contact, a second field
with the same name) is the sign that the first attempt landed: the twin is looked up and kept. A killed
run is settled on the next one through `RelateAdapter.find`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from rolo.adapters._http import HttpClient
from rolo.adapters.relate.client import RelateClient
from rolo.adapters.relate.mapping import (
    book_definition,
    company_domain,
    definition_for_value,
    incompatibility,
    name_key,
    options_needed,
    org_display_name,
    relate_type,
)
from rolo.core.errors import AdapterUnavailable, RemoteRejected
from rolo.core.fields import FieldDefinition

log = logging.getLogger("rolo.adapters.relate")

TWIN_MARGIN = timedelta(seconds=5)
Record = dict[str, Any]


def created_at(record: Mapping[str, Any]) -> datetime | None:
    """A record's `created_at` as an aware datetime, or None."""
    text = record.get("created_at")
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def since(records: Iterable[Record], moment: datetime) -> list[Record]:
    """The records created at or after `moment` (those without a readable `created_at` too), oldest first."""
    kept = [r for r in records if (created_at(r) or moment) >= moment]
    return sorted(kept, key=lambda r: (created_at(r) or moment, str(r.get("id"))))


class Creator:
    """Creates once in an API without idempotency keys (see the module docstring)."""

    def __init__(self, http: HttpClient, sleep: Callable[[float], None] = time.sleep) -> None:
        self.http = http
        self.sleep = sleep

    def start(self) -> datetime:
        """The moment from which a twin may have been created (the remote's clock when known)."""
        return (self.http.server_time() or datetime.now(UTC)) - TWIN_MARGIN

    def create(
        self,
        what: str,
        post: Callable[[], Record],
        twins: Callable[[datetime], list[Record]],
        delete: Callable[[Record], None],
    ) -> Record:
        """`post()` until it succeeds (attempts as the retry policy allows), keeping exactly one record.

        Args:
            what: what is created, for the log.
            post: sends the create; returns the record.
            twins: the records matching the create made since a moment, oldest first.
            delete: deletes a record (a twin left by an attempt whose answer was lost).
        """
        started = self.start()
        last: Exception | None = None
        attempts = max(1, self.http.retry.attempts)
        for attempt in range(1, attempts + 1):
            failures = attempt - 1  # every earlier attempt failed, or we would have returned
            try:
                made = post()
            except RemoteRejected as err:
                if err.status is not None and 0 < err.status < 500:
                    if failures:  # refused as a duplicate of what a lost attempt made?
                        found = twins(started)
                        if found:
                            return self._keep(what, found, None, delete)
                    raise
                last = err
            except AdapterUnavailable as err:
                last = err
            else:
                if failures:
                    return self._keep(what, twins(started), made, delete)
                return made
            log.info("relate: creating %s failed (%s); attempt %d/%d", what, last, attempt, attempts)
            if attempt < attempts:
                self.sleep(self.http.retry.backoff_for(attempt))
        found = twins(started)
        if found:
            return self._keep(what, found, None, delete)
        assert last is not None
        raise last

    def _keep(
        self, what: str, found: list[Record], made: Record | None, delete: Callable[[Record], None]
    ) -> Record:
        keep = made if made is not None else found[0]
        for twin in found:
            if twin.get("id") != keep.get("id"):
                log.info(
                    "relate: deleting %s %s, a twin left by a create whose answer was lost",
                    what,
                    twin.get("id"),
                )
                delete(twin)
        return keep


def _gone_ok(call: Callable[[], Any]) -> None:
    try:
        call()
    except RemoteRejected as err:
        if err.status != 404:
            raise


# -- custom fields -------------------------------------------------------------------------------------------


class FieldSchema:
    """The workspace's contact custom fields, by id and by name (`name_key`)."""

    def __init__(self, relate: RelateClient, creator: Creator) -> None:
        self.relate = relate
        self.creator = creator
        self._fields: dict[str, Record] | None = None

    @property
    def fields(self) -> dict[str, Record]:
        """Contact field definitions by id (listed once per run)."""
        if self._fields is None:
            self._fields = {
                str(f["id"]): f
                for f in self.relate.list_custom_fields()
                if f.get("model") == "contact" and f.get("id")
            }
        return self._fields

    def named(self, name: str) -> Record | None:
        """The definition whose name matches (without case, spaces as `_`), the oldest when several."""
        key = name_key(name)
        return next((f for f in self.fields.values() if name_key(str(f.get("name") or "")) == key), None)

    def definitions(self) -> list[FieldDefinition]:
        """Book definitions of the contact fields."""
        return [book_definition(f) for f in self.fields.values()]

    def _define(self, body: Mapping[str, Any]) -> Record:
        key = name_key(str(body["name"]))

        def twins(moment: datetime) -> list[Record]:
            listed = [
                f
                for f in self.relate.list_custom_fields()
                if f.get("model") == "contact" and name_key(str(f.get("name") or "")) == key
            ]
            return sorted(listed, key=lambda f: str(f.get("created_at") or ""))

        made = self.creator.create(
            f"custom field {body['name']!r}",
            lambda: self.relate.create_custom_field(body),
            twins,
            lambda f: _gone_ok(lambda: self.relate.delete_custom_field(str(f["id"]))),
        )
        self.fields[str(made["id"])] = made
        return made

    def _grow(self, remote: Record, missing: list[str]) -> Record:
        options = [*[str(o) for o in remote.get("options") or []], *missing]
        changed = self.relate.update_custom_field(str(remote["id"]), {"options": options})
        remote = {**remote, **changed, "options": changed.get("options") or options}
        self.fields[str(remote["id"])] = remote
        return remote

    def prepare(self, definitions: Iterable[FieldDefinition]) -> None:
        """Check every book field against Relate, then define the missing ones and add missing options.

        Raises:
            RemoteRejected: a field exists with an incompatible type (before anything is changed).
        """
        wanted = list(definitions)
        for definition in wanted:
            remote = self.named(definition.name)
            problem = incompatibility(definition, remote) if remote is not None else None
            if problem:
                raise RemoteRejected(
                    f"relate: {problem}", adapter="relate", status=409, code="incompatible_field"
                )
        for definition in wanted:
            remote = self.named(definition.name)
            target = relate_type(definition)
            if remote is None:
                if target["data_type"] == "select" and not target["options"]:
                    continue  # a multi-valued field's options come from its values: defined on first use
                body = {"name": definition.name, "model": "contact", "data_type": target["data_type"]}
                if target["data_type"] == "select":
                    body["options"] = target["options"]
                if target["data_type"] in ("select", "user", "contact"):
                    body["accepts_multiple_values"] = target["accepts_multiple_values"]
                self._define(body)
            elif remote.get("data_type") == "select" and target["options"]:
                missing = options_needed(remote, target["options"])
                if missing:
                    self._grow(remote, missing)

    def ensure(self, values: Mapping[str, Any]) -> dict[str, Record]:
        """Make every field with a value here definable: define unknown ones from their value, add
        missing select options. Returns the definitions by the names given."""
        out: dict[str, Record] = {}
        for name, value in values.items():
            remote = self.named(name)
            if value in (None, "", []):
                if remote is not None:
                    out[name] = remote
                continue
            if remote is None:
                body = definition_for_value(name, value)
                if body["data_type"] == "select" and not body["options"]:
                    body["options"] = options_needed({"data_type": "select", "options": []}, value)
                remote = self._define(body)
            missing = options_needed(remote, value)
            if missing:
                remote = self._grow(remote, missing)
            out[name] = remote
        return out


# -- organizations -------------------------------------------------------------------------------------------


class Organizations:
    """The workspace's organizations by id, and by display name (see `mapping.org_display_name`)."""

    def __init__(self, relate: RelateClient, creator: Creator) -> None:
        self.relate = relate
        self.creator = creator
        self._by_id: dict[str, Record] | None = None
        self._names: dict[str, Record] | None = None  # display name, casefolded -> the organization
        self._domains: set[str] = set()

    def load(self) -> None:
        """List them all (again)."""
        self._by_id = {str(o["id"]): o for o in self.relate.list_organizations() if o.get("id")}
        self._names = None

    def _add(self, organization: Record) -> None:
        self.by_id[str(organization["id"])] = organization
        self._names = None

    def _index(self) -> dict[str, Record]:
        if self._names is None:
            # a named organization before a nameless one, the oldest first
            ordered = sorted(
                self.by_id.values(), key=lambda o: (not o.get("name"), str(o.get("created_at") or ""))
            )
            self._names = {}
            for organization in reversed(ordered):
                self._names[(org_display_name(organization) or "").casefold()] = organization
            self._domains = {str(d).lower() for o in ordered for d in o.get("domains") or []}
        return self._names

    @property
    def by_id(self) -> dict[str, Record]:
        if self._by_id is None:
            self.load()
        assert self._by_id is not None
        return self._by_id

    def name_for(self, organization_id: Any) -> str | None:
        """The display name of an organization (fetched when created since the listing), or None."""
        if not organization_id:
            return None
        ident = str(organization_id)
        if ident not in self.by_id:
            try:
                self._add(self.relate.get_organization(ident))
            except RemoteRejected as err:
                if err.status != 404:
                    raise
                return None
        return org_display_name(self.by_id[ident])

    def named(self, name: str) -> Record | None:
        """The organization with this display name (without case): a named one before a nameless one,
        the oldest first."""
        return self._index().get(name.strip().casefold()) if name.strip() else None

    def _domain_taken(self, domain: str) -> bool:
        self._index()
        return domain in self._domains

    def id_for(self, name: str | None, email: str | None) -> str | None:
        """The id of the organization named `name`, created (with the email's company domain) when missing."""
        if not name or not name.strip():
            return None
        found = self.named(name)
        if found is not None:
            return str(found["id"])
        body: dict[str, Any] = {"name": name.strip()}
        domain = company_domain(email, name)
        if domain and not self._domain_taken(domain):
            body["domains"] = [domain]
        key = name.strip().casefold()

        def twins(moment: datetime) -> list[Record]:
            self.load()
            return since(
                [o for o in self.by_id.values() if (org_display_name(o) or "").casefold() == key], moment
            )

        def post() -> Record:
            try:
                return self.relate.create_organization(body)
            except RemoteRejected as err:
                if (
                    err.status == 422 and "domains" in body
                ):  # the domain went to another organization meanwhile
                    body.pop("domains")
                    return self.relate.create_organization(body)
                raise

        made = self.creator.create(
            f"organization {name!r}",
            post,
            twins,
            lambda o: _gone_ok(lambda: self.relate.delete_organization(str(o["id"]))),
        )
        self._add(made)
        return str(made["id"])


# -- labels as lists -----------------------------------------------------------------------------------------


def is_label_list(item: Mapping[str, Any]) -> bool:
    """A regular (not process), not archived list of contacts: one label."""
    return (
        item.get("process") is False
        and item.get("entry_type") == "Contact"
        and not item.get("archived_at")
        and bool(str(item.get("name") or "").strip())
    )


class Labels:
    """Label lists (one per label, by name without case) and which contacts they hold."""

    def __init__(self, relate: RelateClient, creator: Creator) -> None:
        self.relate = relate
        self.creator = creator
        self._lists: dict[str, Record] | None = None  # label key -> its (oldest) list
        self._extra: dict[str, list[Record]] = {}  # label key -> lists of the same name but the oldest
        self._members: dict[str, dict[str, list[tuple[str, str]]]] = {}  # contact -> key -> (list, entry)

    def load(self) -> None:
        """List the label lists and every entry of them (again)."""
        lists = sorted(
            (item for item in self.relate.list_lists() if is_label_list(item)),
            key=lambda item: (str(item.get("created_at") or ""), str(item.get("id"))),
        )
        self._lists, self._extra, self._members = {}, {}, {}
        for item in lists:
            key = str(item["name"]).strip().casefold()
            if key in self._lists:
                self._extra.setdefault(key, []).append(item)
            else:
                self._lists[key] = item
        for key, item in self._lists.items():
            for same in [item, *self._extra.get(key, [])]:
                for entry in self.relate.list_entries(str(same["id"])):
                    self._note(entry, key)

    def _note(self, entry: Mapping[str, Any], key: str) -> None:
        if entry.get("entryable_type") not in (None, "Contact") or not entry.get("entryable_id"):
            return
        held = self._members.setdefault(str(entry["entryable_id"]), {}).setdefault(key, [])
        pair = (str(entry.get("list_id")), str(entry.get("id")))
        if pair not in held:
            held.append(pair)

    @property
    def lists(self) -> dict[str, Record]:
        if self._lists is None:
            self.load()
        assert self._lists is not None
        return self._lists

    def of(self, contact_id: str) -> list[str]:
        """The labels a contact carries (each list's name as Relate has it)."""
        lists = self.lists
        held = self._members.get(str(contact_id), {})
        return sorted(
            (str(lists[key]["name"]).strip() for key, pairs in held.items() if pairs), key=str.casefold
        )

    def forget(self, contact_id: str) -> None:
        """Drop what is known of a deleted contact."""
        self._members.pop(str(contact_id), None)

    def _list_for(self, label: str) -> Record:
        key = label.strip().casefold()
        if key in self.lists:
            return self.lists[key]
        body = {"name": label.strip(), "process": False, "entry_type": "Contact"}

        def twins(moment: datetime) -> list[Record]:
            found = [
                item
                for item in self.relate.list_lists()
                if is_label_list(item) and str(item["name"]).strip().casefold() == key
            ]
            return since(found, moment)

        made = self.creator.create(
            f"list {label!r}",
            lambda: self.relate.create_list(body),
            twins,
            lambda item: _gone_ok(lambda: self.relate.delete_list(str(item["id"]))),
        )
        made = {**body, **made}
        self.lists[key] = made
        return made

    def _add(self, contact_id: str, label: str) -> None:
        target = self._list_for(label)
        list_id = str(target["id"])
        body = {"entryable_id": contact_id, "entryable_type": "Contact"}

        def twins(moment: datetime) -> list[Record]:
            # a regular list holds a contact once, so any entry for it is the one (whenever made)
            return [e for e in self.relate.list_entries(list_id) if str(e.get("entryable_id")) == contact_id]

        def post() -> Record:
            try:
                return self.relate.create_entry(list_id, body)
            except RemoteRejected as err:
                found = twins(datetime.now(UTC)) if err.status == 422 else []
                if found:  # already in the list (added behind rolo's back since the listing)
                    return found[0]
                raise

        made = self.creator.create(
            f"entry for {contact_id} in {label!r}",
            post,
            twins,
            lambda e: _gone_ok(lambda: self.relate.delete_entry(list_id, str(e["id"]))),
        )
        self._note(
            {**made, "list_id": made.get("list_id") or list_id, "entryable_id": contact_id},
            label.strip().casefold(),
        )

    def _remove(self, contact_id: str, key: str) -> None:
        for list_id, entry_id in self._members.get(contact_id, {}).get(key, []):
            try:
                self.relate.delete_entry(list_id, entry_id)
            except RemoteRejected as err:
                if err.status != 404:
                    raise
        self._members.get(contact_id, {}).pop(key, None)

    def set(self, contact_id: str, labels: Iterable[str]) -> None:
        """Make the label lists hold the contact exactly for these labels."""
        contact_id = str(contact_id)
        self.lists  # noqa: B018 -- load before comparing
        wanted = {str(label).strip().casefold(): str(label).strip() for label in labels if str(label).strip()}
        held = {key for key, pairs in self._members.get(contact_id, {}).items() if pairs}
        for key in sorted(held - set(wanted)):
            self._remove(contact_id, key)
        for key in sorted(set(wanted) - held):
            self._add(contact_id, wanted[key])
