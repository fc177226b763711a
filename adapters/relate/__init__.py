"""Relate (relate.so): the adapter for Relate's REST API v1, and `emulator.py`, the in-process server that
behaves as Relate's API document says (used by the adapter's tests, the demo and `rolo emulate relate`).

- `client.py`: one method per Relate endpoint (`RelateClient`), on the shared `rolo.adapters._http`;
- `mapping.py`: Relate contact ↔ the book's JSON contact object, with every choice documented (what is
  carried, phones and title, emails, organizations, custom fields, labels as lists, why notes are not);
- `workspace.py`: what a run knows of the workspace besides contacts (custom fields, organizations, label
  lists) and how it creates without idempotency keys;
- this module: `RelateAdapter`, and the `register_adapters` hook that makes it known as `relate`.

How the adapter uses Relate:

- **Pull.** Relate's contact listing has no change filter, so every pull is complete: the custom field
  definitions, the organizations, the label lists and their entries, then every contact (100 a page). The
  cursor is an offset, so a contact deleted during the walk would shift the next ones back and one of them
  would be missed, and then taken for deleted: when the walk's `total_count` moved or a record came twice,
  the walk is done again (three times at most), and if it still moved the listing is returned as
  incomplete (`complete=False`: nothing is deleted locally this run). A record's version is a digest of its
  data (labels and organization names change without touching the contact's `updated_at`).
- **Push.** Creates POST the contact with its emails, phones, custom fields and organization, then add its
  label entries. Relate has no idempotency key: a create whose answer is lost is sent again and its twins
  deleted (`workspace.Creator`). A label that cannot be added after the contact exists does not fail the
  create (the contact would be created again next run): the record is returned without it and without a
  version, so the next run compares it and adds the label. Updates PATCH the changed keys, delete emails
  that must go (`mapping.plan_emails`) and add or delete label entries. Deletes treat a 404 as done.
- **Lookup and resume.** `find` looks a contact up by email, then by phone (Relate normalises numbers, so any
  common format matches), and for a contact with neither it reads the whole listing for one with the same
  names: that is rolo's crash-resume strategy, since Relate has no idempotency key. It prefers the newest
  match whose names agree, and returns it without a version, so the run then compares the pair and sends
  what the interrupted create had not (its labels).
- **Meetings.** `pull_activity` reads calendar events (those with a finished recording) updated since a
  time, with their recordings' summaries, as notes-log entries for the attendees' emails (see its docstring).
- Missing organizations, custom field definitions and label lists are created on demand (see `mapping.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rolo.adapters._http import RETRY_OPTION_HELP, HttpClient, page_size_option, retry_option
from rolo.adapters.relate.client import PAGE_MAX, RelateClient
from rolo.adapters.relate.mapping import (
    CARRIED_FIELDS,
    clean,
    contact_body,
    decode_value,
    desired_emails,
    desired_phones,
    encode_value,
    meeting_note,
    name_key,
    plan_emails,
    read_emails,
    read_values,
    to_book,
    version_of,
)
from rolo.adapters.relate.workspace import Creator, FieldSchema, Labels, Organizations, Record, since
from rolo.core.errors import RemoteRejected, UserError
from rolo.core.hookspecs import hookimpl
from rolo.core.phones import to_e164
from rolo.core.sync.adapter import Adapter, Capabilities, Changes, Emulator, RemoteRecord

if TYPE_CHECKING:
    import httpx
    from rolo.core.fields import FieldDefinition

__all__ = ["RelateAdapter", "register_adapters"]

log = logging.getLogger("rolo.adapters.relate")

LISTING_TRIES = 3
#: how far before the asked time `pull_activity` reads (clock skew; the keys make overlaps harmless)
ACTIVITY_MARGIN = timedelta(minutes=5)


def _utc(text: Any) -> str | None:
    """An ISO 8601 timestamp in UTC with `Z` (None when unreadable)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _gone_ok(call: Callable[[], Any]) -> None:
    try:
        call()
    except RemoteRejected as err:
        if err.status != 404:
            raise


class RelateAdapter(Adapter):
    """Syncs a book with a Relate workspace (contacts, their organizations, custom fields and labels)."""

    name = "relate"
    options: ClassVar[Mapping[str, str]] = {
        "page_size": f"records per list page, 1-{PAGE_MAX} (default {PAGE_MAX})",
        "phone_region": "send numbers without a country code in E.164 as read in this region (e.g. US); "
        "default: as typed, and Relate reads them in its workspace's country",
        **RETRY_OPTION_HELP,
    }
    capabilities = Capabilities(
        fields=CARRIED_FIELDS,
        single=frozenset(),
        deletes=True,
        incremental=False,
        batch=False,
        idempotent_create=False,
        lookup=True,
    )
    default_url = "https://api.relate.so"
    token_help = (
        "create an API key in Relate's workspace settings (API) and give it with --token-env or --token"
    )

    def __init__(
        self,
        client: httpx.Client,
        *,
        url: str,
        token: str | None,
        options: Mapping[str, str] | None = None,
        remote: str = "",
    ) -> None:
        super().__init__(client, url=url, token=token, options=options, remote=remote)
        if not token:
            raise UserError(f"{self.remote}: a Relate API key is needed", hint=self.token_help)
        values = self.option_values
        page_size = page_size_option(values, self.remote, PAGE_MAX)
        region = (values.get("phone_region") or "").strip().upper()
        if region and not (len(region) == 2 and region.isalpha()):
            raise UserError(
                f"{self.remote}: option phone_region must be a two-letter region code (US, KR...)"
            )
        self.phone_region = region or None
        retry = retry_option(values, self.remote)
        self.http = HttpClient(
            client,
            base_url=url or self.default_url or "",
            adapter=self.name,
            token=token,
            headers={"Accept": "application/json"},
            retry=retry,
            auth_hint=self.token_help,
        )
        self.relate = RelateClient(self.http, page_size=page_size)
        self.creator = Creator(self.http)
        self.schema = FieldSchema(self.relate, self.creator)
        self.organizations = Organizations(self.relate, self.creator)
        self.labels = Labels(self.relate, self.creator)
        self._raw: dict[str, Record] = {}  # contacts as last read, by id

    def __repr__(self) -> str:
        return f"<RelateAdapter {self.remote} {self.http!r}>"

    # -- reading -------------------------------------------------------------------------------------------

    def _record(self, contact: Record, *, versioned: bool = True) -> RemoteRecord:
        ident = str(contact["id"])
        self._raw[ident] = contact
        data = to_book(
            contact,
            organization=self.organizations.name_for(contact.get("organization_id")),
            labels=self.labels.of(ident),
            fields=self.schema.fields,
        )
        return RemoteRecord(
            id=ident,
            data=data,
            version=version_of(data) if versioned else None,
            updated_at=_utc(contact.get("updated_at")),
        )

    def list_changes(self, since: str | None) -> Changes:
        """Every contact (Relate cannot list changes: `since` is ignored); see the module docstring."""
        self.schema.fields  # noqa: B018 -- definitions, organizations and labels before the walk
        self.organizations.load()
        self.labels.load()
        walk = self.relate.walk_contacts()
        for _ in range(LISTING_TRIES - 1):
            if walk.steady:
                break
            log.info("relate: contacts were created or deleted during the listing; listing again")
            walk = self.relate.walk_contacts()
        contacts = {str(c["id"]): c for c in walk.items if c.get("id")}
        self._raw = dict(contacts)
        return Changes(
            records=[self._record(c) for c in contacts.values()],
            deleted=None,
            bookmark=None,
            complete=walk.steady,
        )

    def get(self, remote_id: str) -> RemoteRecord | None:
        """One contact, or None when Relate has none with this id."""
        try:
            contact = self.relate.get_contact(remote_id)
        except RemoteRejected as err:
            if err.status == 404:
                return None
            raise
        return self._record(contact)

    def _e164(self) -> Callable[[str], str | None] | None:
        region = self.phone_region
        return (lambda number: to_e164(number, region)) if region else None

    def _matches(self, data: Mapping[str, Any]) -> Callable[[Record], bool]:
        """Whether a Relate contact holds what a create of `data` sends (names, title, emails)."""
        first, last = clean(data.get("given_name")), clean(data.get("family_name"))
        emails = {a.casefold() for a in desired_emails(data)}

        def same(a: Any, b: str | None) -> bool:
            return (clean(a) or "").casefold() == (b or "").casefold()

        def matches(contact: Record) -> bool:
            return (
                same(contact.get("first_name"), first)
                and same(contact.get("last_name"), last)
                and {a.casefold() for a in read_emails(contact)} == emails
            )

        return matches

    def _candidates(self, data: Mapping[str, Any], after: datetime | None = None) -> list[Record]:
        """Relate contacts holding `data` (created since `after`), oldest first."""
        emails = desired_emails(data)
        phones = desired_phones(data, self._e164())
        if emails:
            pool = list(self.relate.list_contacts(email=emails[0]))
        elif phones:
            pool = list(self.relate.list_contacts(phone_number=phones[0]))
        else:
            pool = self.relate.walk_contacts().items  # no lookup key: the whole listing
        matches = self._matches(data)
        found = [c for c in pool if c.get("id") and matches(c)]
        if after is not None:
            return since(found, after)
        return sorted(found, key=lambda c: (str(c.get("created_at") or ""), str(c["id"])))

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """The newest contact holding this contact's names and emails (found by email, else phone, else in
        the whole listing), without a version (see the module docstring); None when there is none."""
        found = self._candidates(data)
        if not found:
            return None
        return self._record(found[-1], versioned=False)

    # -- writing -------------------------------------------------------------------------------------------

    def _custom_values(self, wanted: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The `custom_fields` items making Relate's values (`current`, book names) the book's (`wanted`)."""
        wanted_keys = {name_key(n): n for n in wanted}
        changes: dict[str, Any] = {
            n: v
            for n, v in wanted.items()
            if v not in (None, "", []) and current.get(_find_key(current, n)) != v
        }
        for name in current:
            if name_key(name) not in wanted_keys:
                changes[name] = None
        definitions = self.schema.ensure(changes)
        items = []
        for name, value in changes.items():
            definition = definitions.get(name)
            if definition is None:
                continue  # nothing to clear: the field is not defined in Relate
            items.append({"name": definition["name"], "value": encode_value(value, definition)})
        return items

    def _current_values(self, contact: Record) -> dict[str, Any]:
        fields = self.schema.fields
        out = {}
        for ident, name, raw in read_values(contact.get("custom_fields")):
            definition = (fields.get(ident) if ident else None) or self.schema.named(name)
            value = decode_value(raw, definition)
            if value is not None:
                out[name] = value
        return out

    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """Create a contact (Relate has no idempotency key: see `workspace.Creator`), then its labels."""
        body = contact_body(data, to_e164=self._e164())
        emails = desired_emails(data)
        if emails:
            body["emails"] = emails
        custom = self._custom_values(data.get("custom_fields") or {}, {})
        if custom:
            body["custom_fields"] = custom
        organization = self.organizations.id_for(data.get("organization"), emails[0] if emails else None)
        if organization:
            body["organization_id"] = organization
        contact = self.creator.create(
            "contact",
            lambda: self.relate.create_contact(body),
            lambda after: self._candidates(data, after),
            lambda c: _gone_ok(lambda: self.relate.delete_contact(str(c["id"]))),
        )
        versioned = True
        if data.get("labels"):
            try:
                self.labels.set(str(contact["id"]), data["labels"])
            except RemoteRejected as err:
                # the contact exists: failing now would create it again next run; without a version the
                # next run compares the record and adds the missing labels then
                log.warning("relate: contact %s created, but not all its labels: %s", contact["id"], err)
                versioned = False
        return self._record(contact, versioned=versioned)

    def update(
        self,
        remote_id: str,
        data: dict[str, Any],
        *,
        changed: frozenset[str],
        previous: dict[str, Any] | None,
    ) -> RemoteRecord:
        """PATCH the changed keys, delete emails that must go, add or delete label entries."""
        raw = self._raw.get(remote_id) or self.relate.get_contact(remote_id)
        main = contact_body(data, keys=changed, to_e164=self._e164())
        if "custom_fields" in changed:
            custom = self._custom_values(data.get("custom_fields") or {}, self._current_values(raw))
            if custom:
                main["custom_fields"] = custom
        if "organization" in changed:
            emails = desired_emails(data)
            main["organization_id"] = self.organizations.id_for(
                data.get("organization"), emails[0] if emails else None
            )
        latest: Record | None = None
        if "emails" in changed:
            latest = self._update_emails(remote_id, raw, desired_emails(data), main)
        elif main:
            latest = self.relate.update_contact(remote_id, main)
        if "labels" in changed:
            self.labels.set(remote_id, data.get("labels") or [])
        return self._record(latest if latest else raw)

    def _update_emails(
        self, remote_id: str, raw: Record, desired: list[str], main: dict[str, Any]
    ) -> Record | None:
        """Make the contact's emails `desired` (in order) while PATCHing `main`; the contact as it ends."""
        current = read_emails(raw)
        k, to_delete = plan_emails(current, desired)
        remaining = desired[:k]
        latest: Record | None = None
        main_sent = False
        if to_delete and not remaining and not clean(raw.get("first_name")):
            # deleting first would leave the contact with neither a first name nor an email, which Relate
            # refuses: set the first name first, or keep one address throughout
            if main.get("first_name"):
                latest = self.relate.update_contact(remote_id, main)
                main_sent = True
            elif desired:
                anchor = desired[0]
                if anchor.casefold() not in {a.casefold() for a in current}:
                    latest = self.relate.update_contact(remote_id, {"emails": [anchor]})
                to_delete = [a for a in current if a.casefold() != anchor.casefold()]
                remaining = [anchor]
        if to_delete:
            latest = self.relate.delete_contact_emails(remote_id, to_delete) or latest
        final = {} if main_sent else dict(main)
        if [a.casefold() for a in remaining] != [a.casefold() for a in desired]:
            final["emails"] = desired
        if final:
            latest = self.relate.update_contact(remote_id, final)
        return latest

    def delete(self, remote_id: str) -> None:
        """Delete a contact (Relate deletes its list entries with it); one already gone is not an error."""
        _gone_ok(lambda: self.relate.delete_contact(remote_id))
        self._raw.pop(remote_id, None)
        self.labels.forget(remote_id)

    # -- schema, checks, meetings --------------------------------------------------------------------------

    def prepare(self, fields: list[FieldDefinition]) -> None:
        """Define the book's custom fields in Relate where missing (see `mapping.py` for types)."""
        self.schema.prepare(fields)

    def remote_fields(self) -> list[FieldDefinition]:
        """Relate's contact custom fields as book definitions."""
        return self.schema.definitions()

    def check(self) -> dict[str, Any]:
        """One cheap request: the key works and the API answers; how many contacts the workspace has."""
        body = self.http.get("/v1/contacts", params={"first": 1}) or {}
        headers: Mapping[str, str] = self.http.last_headers or {}
        pagination = body.get("pagination") if isinstance(body, Mapping) else None
        facts = {
            "contacts": (pagination or {}).get("total_count"),
            "rate_limit": headers.get("x-ratelimit-limit"),
            "rate_limit_remaining": headers.get("x-ratelimit-remaining"),
        }
        return {k: v for k, v in facts.items() if v is not None}

    def pull_activity(self, since: str | None) -> list[tuple[str, str, str, str]]:
        """Meetings as notes-log entries: what Relate's calendar events and recordings add to the book.

        Relate exposes only meetings with a finished recording. Each one updated after `since` (less
        `ACTIVITY_MARGIN`; all of them when None) gives one entry per attendee email: the meeting's start
        as the entry's time, its title and time, and for each finished recording its summary and action
        items (fetched with `GET /v1/recordings/:id`). The key is the same for every attendee and every
        later update of the meeting, so the caller adds each meeting to a contact's log once.

        Args:
            since: an ISO 8601 instant: when the previous pull began (the caller's clock), or None.

        Returns:
            (email, created_at, body, key) tuples; created_at is ISO 8601 UTC with `Z`. The caller adds an
            entry to the log of the contact with that email, unless that contact already has the key.
        """
        after = None
        if since:
            try:
                moment = datetime.fromisoformat(since)
            except ValueError:
                moment = None
            if moment is not None:
                moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                after = (moment - ACTIVITY_MARGIN).timestamp()
        out: list[tuple[str, str, str, str]] = []
        for event in self.relate.list_calendar_events(updated_after=after):
            recordings = []
            for summary in event.get("recordings") or []:
                if summary.get("status") != "done" or not summary.get("id"):
                    continue
                try:
                    recordings.append(self.relate.get_recording(str(summary["id"])))
                except RemoteRejected as err:
                    if err.status != 404:
                        raise
            when = _utc(event.get("start_at")) or _utc(event.get("created_at")) or ""
            body = meeting_note(event, recordings)
            key = f"relate-meeting-{event.get('id')}"
            emails: list[str] = []
            for attendee in event.get("attendees") or []:
                email = clean(attendee.get("email") if isinstance(attendee, Mapping) else attendee)
                if email and email.casefold() not in {e.casefold() for e in emails}:
                    emails.append(email)
            out += [(email, when, body, key) for email in emails]
        return out

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """A running Relate emulator (`RelateEmulator`) on 127.0.0.1: `url`, `api_key`, `stop()`."""
        from rolo.adapters.relate.emulator import serve

        # RelateEmulator's url and api_key are read-only properties, which the protocol's plain attributes do
        # not admit for mypy; it has them all the same
        return cast("Emulator", serve(port))


def _find_key(values: Mapping[str, Any], name: str) -> str:
    key = name_key(name)
    return next((n for n in values if name_key(n) == key), name)


@hookimpl
def register_adapters(register: Any) -> None:
    """Make the Relate adapter known as `relate`."""
    register(RelateAdapter)
