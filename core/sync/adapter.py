"""The adapter contract: what a remote CRM plugin implements so rolo can sync a book with it.

An adapter *translates*; the engine (`rolo.core.sync.engine`) *decides*. The adapter turns the remote's
records into the book's vocabulary and back, and performs the HTTP calls it is asked to. It never touches
the book, never merges, and never decides what to create or delete.

The book's vocabulary is the JSON contact object (`rolo.core.record.ContactRecord.to_json`, the same object
`rolo show --json` prints), restricted to the keys the adapter carries (`Capabilities.fields`). A remote
record in that vocabulary is a `RemoteRecord`; its `data` might look like this for a remote that carries
names, one email, one phone, the organization, labels and custom fields:

    {"given_name": "Ada", "family_name": "Lovelace",
     "emails": [{"address": "ada@example.com", "label": None, "primary": True}],
     "phones": [{"number": "+44 20 7946 0123", "label": None, "primary": True}],
     "organization": "Analytical Engines Ltd", "labels": ["math"], "custom_fields": {"tier": "close"}}

Rules for `data`, both ways:

- keys are JSON contact keys, only those in `Capabilities.fields`; a key the remote left empty is present
  with the empty value (`None`, `[]`, `{}`), so that "emptied remotely" and "not carried" differ;
- list entries use the JSON object's entry shapes (`emails`: address/label/primary; `phones`:
  number/label/primary, `e164` optional and ignored; `addresses`, `urls` likewise); a sub-key the remote
  cannot carry is `None`, and the engine keeps the local value of it;
- a field in `Capabilities.single` is a list of which the remote holds only one entry (say, Relm's single
  `email`): give and take a list of at most one entry; the engine sends the contact's primary entry and,
  on a pull, replaces only that entry locally, keeping the others;
- `custom_fields` maps field name to JSON value (typed: numbers, booleans, lists for multi-valued fields);
  `labels` is a list of label names. How the remote stores labels (a tag API, a custom field, a list) is
  the adapter's business; document it in the adapter's docstring;
- `organization` is the organization's name; resolving it to the remote's company id is the adapter's job.

Errors: adapters translate every transport error at their boundary and raise only the `AdapterError`
family of `rolo.core.errors` (no httpx exception may leave an adapter):

- `AdapterAuthError`: 401/403;
- `AdapterUnavailable`: the remote cannot be reached, times out, or keeps answering 429/5xx;
- `RemoteRejected(status=, code=)`: the remote refused this request (validation, 404 where it matters,
  409...). The engine skips the record, reports it, and goes on with the others.

Retries: the `httpx.Client` the engine hands the adapter has the remote's base URL and a timeout, and
does not retry. Retrying 429, 5xx and timeouts with capped backoff, honouring `Retry-After` and the
rate-limit headers, is the adapter's job at its HTTP boundary, since only the adapter knows which of its
requests are safe to repeat (a POST only with an idempotency key). rolo's own adapters share
`rolo.adapters._http.HttpClient` for this; a third-party adapter may use it too. Raise
`AdapterUnavailable` once retries are spent.

Registering: a plugin module implements the `register_adapters` hook and is listed under the `rolo`
entry-point group:

    from rolo.core.hookspecs import hookimpl

    @hookimpl
    def register_adapters(register):
        register(MyAdapter)

    # pyproject.toml
    [project.entry-points.rolo]
    mycrm = "my_package.mycrm"
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rolo.core import labels as entry_label_vocabulary
from rolo.core.sync.webhooks import WebhookEvent, WebhookRejected

if TYPE_CHECKING:
    import httpx
    from rolo.core.errors import RemoteRejected
    from rolo.core.fields import FieldDefinition

#: Every key of the JSON contact object an adapter may carry (bookkeeping keys such as `uid`,
#: `revision`, `created_at` are the book's own and never synced).
SYNCABLE_FIELDS = frozenset({
    "formatted_name", "prefix", "given_name", "additional_names", "family_name", "suffix", "nickname",
    "organization", "department", "title", "birthday", "emails", "phones", "addresses", "urls", "labels",
    "custom_fields", "notes", "starred", "kind",
})
#: The list fields among them (one entry per email, phone...).
LIST_FIELDS = frozenset({"emails", "phones", "addresses", "urls"})


@dataclass(frozen=True)
class Capabilities:
    """What a remote can carry and do. The engine never asks an adapter for more than this.

    Attributes:
        fields: the JSON contact keys the remote carries (a subset of `SYNCABLE_FIELDS`). Including
            "labels", "custom_fields", "organization" or "notes" declares that the remote carries labels,
            custom fields, organizations or notes.
        single: list fields of which the remote holds only one entry (e.g. {"emails", "phones"}).
        deletes: records can be deleted remotely (else local deletions are not propagated, and the
            remote's records are never deleted by rolo).
        incremental: `list_changes(since=bookmark)` returns only what changed since the bookmark.
        batch: `create_many` is implemented (a bulk create/upsert endpoint).
        batch_size: the most items one `create_many` call takes.
        idempotent_create: `create` honours its `idempotency_key` (the remote dedupes retries), so a
            create interrupted by a crash can be replayed safely with the same key and body.
        lookup: `find` is implemented (a lookup by email or phone), used to find a record whose create
            was interrupted by a crash when the remote has no idempotency.
        webhooks: `webhook_events` is implemented: the remote sends signed events when records change
            (`rolo serve-webhooks` receives them and pulls those records at once).
        entry_labels: the labels the remote has for the entries of a list field, per list field ("phones",
            "emails", "addresses", "urls"): a set of the book's canonical classes
            (`rolo.core.labels.CLASSES`), e.g. `{"phones": frozenset({"mobile", "work", "other"})}`. See
            "Entry labels" below.

    Entry labels. The book's entry labels are free text (`mobile`, `iPhone`, `work fax`, `Handy`...); most
    remotes have a short fixed list. Declaring that list in `entry_labels` is the plugin author's contract:

    - sending, a book label becomes `remote_label(kind, label)` (`rolo.core.labels.nearest` over the declared
      set): the label's class (`rolo.core.labels.classify`: `android` and `cell` are mobile, `work fax` is
      fax) when the remote has that class, else `other` when the remote has `other`, else None. The adapter
      writes the class in the remote's own word (RelayBook's `personal` for home);
    - receiving, the adapter reports the class the remote's label stands for, in the book's word (`home`, not
      `personal`); the remote's `other` may be reported as None (no label, which is class `other` too);
    - the engine compares a declared field's labels by `remote_label`: the book's `android` phone and the
      remote's `mobile` one are the same entry (no change, no conflict), and a pull keeps the book's label
      while the remote's still stands for it, so a finer label is never replaced by the remote's coarser
      one, and a label changed remotely to another class is taken. The remote needs no memo of the book's
      labels for them to come back unchanged;
    - in a declared field a None label means "no label", not "not carried". A list field whose labels the
      remote does not keep is left out: its `label` is None both ways and the engine keeps the book's.
    """

    fields: frozenset[str]
    single: frozenset[str] = frozenset()
    deletes: bool = True
    incremental: bool = False
    batch: bool = False
    batch_size: int = 100
    idempotent_create: bool = False
    lookup: bool = False
    webhooks: bool = False
    # not hashed: a mapping is not hashable (equality still compares it)
    entry_labels: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    # Set by the engine, not by adapters: the book's private custom fields (`rolo field define --local`), by
    # field key. Every sync form leaves them out, the book's side, the remote's and the stored snapshots, so
    # they are never sent, and a remote's value of the same name never reaches the book.
    private_fields: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.fields) - SYNCABLE_FIELDS
        if unknown:
            raise ValueError(f"capabilities name fields the book does not have: {sorted(unknown)}")
        if not set(self.single) <= (set(self.fields) & LIST_FIELDS):
            raise ValueError("`single` must name list fields that are also in `fields`")
        declared: dict[str, frozenset[str]] = {}
        for kind, names in self.entry_labels.items():
            if kind not in set(self.fields) & LIST_FIELDS:
                raise ValueError(f"`entry_labels` names {kind!r}, which is not a list field in `fields`")
            if isinstance(names, str):  # a plain string would pass as a set of its letters
                raise ValueError(f"`entry_labels[{kind!r}]` must be a set of labels, not a string")
            odd = set(names) - entry_label_vocabulary.CLASSES[kind]
            if odd or not names:
                raise ValueError(f"`entry_labels[{kind!r}]` must be a non-empty subset of "
                                 f"{sorted(entry_label_vocabulary.CLASSES[kind])} (not {sorted(odd)})")
            declared[kind] = frozenset(names)
        object.__setattr__(self, "entry_labels", declared)  # frozensets, whatever sets were given

    def remote_label(self, kind: str, label: str | None) -> str | None:
        """The remote's label (a class of `entry_labels[kind]`) for a book entry label: the label's class
        when the remote has it, else `other` when the remote has that, else None.

        Raises:
            KeyError: `kind` has no declared labels.
        """
        return entry_label_vocabulary.nearest(kind, label, self.entry_labels[kind])

    @property
    def labels(self) -> bool:
        """The remote carries labels."""
        return "labels" in self.fields

    @property
    def custom_fields(self) -> bool:
        """The remote carries custom fields."""
        return "custom_fields" in self.fields

    @property
    def organizations(self) -> bool:
        """The remote carries the organization."""
        return "organization" in self.fields

    @property
    def notes(self) -> bool:
        """The remote carries notes."""
        return "notes" in self.fields

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (for `rolo remote show --json`)."""
        return {
            "fields": sorted(self.fields), "single": sorted(self.single), "labels": self.labels,
            "custom_fields": self.custom_fields, "organizations": self.organizations, "notes": self.notes,
            "deletes": self.deletes, "incremental": self.incremental, "batch": self.batch,
            "batch_size": self.batch_size, "idempotent_create": self.idempotent_create, "lookup": self.lookup,
            "webhooks": self.webhooks, "entry_labels": {kind: sorted(names) for kind, names in sorted(self.entry_labels.items())},
        }


@dataclass
class RemoteRecord:
    """One remote contact, in the book's vocabulary.

    Attributes:
        id: the remote's id for it (a string, whatever the remote uses).
        data: the JSON contact keys the adapter carries (see the module docstring).
        version: a marker that changes whenever the record changes remotely (an etag, `updated_at`, a
            revision number), or None when the remote has none. The engine uses it to skip unchanged
            records cheaply; with None it compares `data`.
        updated_at: when it last changed remotely (ISO 8601 UTC, `Z`), when the remote says; the
            `newest` conflict policy compares it with the contact's `updated_at`.
        unset: on a record `create` returns, the keys of the pushed data the remote did not take (a
            follow-up write after the create failed). The engine links the record anyway and remembers
            these keys as the remote holds them, so the next run sends them again as local changes.
    """

    id: str
    data: dict[str, Any]
    version: str | None = None
    updated_at: str | None = None
    unset: frozenset[str] = frozenset()


@dataclass
class Changes:
    """What `Adapter.list_changes` found.

    Attributes:
        records: the remote records changed since the bookmark (all of them when `complete`).
        deleted: ids of records deleted since the bookmark, or None when the remote cannot tell (the
            engine then finds deletions by a complete listing).
        bookmark: the value to pass as `since` next time, or None when the remote has no incremental
            listing. The engine stores it only after every record here is stored in the book.
        complete: `records` is the full remote set (a listing from scratch), so a linked record missing
            from it was deleted remotely.
    """

    records: list[RemoteRecord] = field(default_factory=list)
    deleted: list[str] | None = None
    bookmark: str | None = None
    complete: bool = True


class Emulator(Protocol):
    """A running emulator of a remote (see `Adapter.emulator`)."""

    url: str
    api_key: str

    def stop(self) -> None:
        """Stop serving."""


class Adapter(abc.ABC):
    """Base class of every remote adapter. Subclass it, set the class attributes, implement the methods.

    Class attributes:
        name: the unique adapter name users type (`rolo remote add NAME --adapter relm`).
        options: the config options the adapter understands, option -> one-line help
            (`rolo remote add ... --option KEY=VALUE`). Values arrive as strings.
        capabilities: what the remote can carry and do.
        default_url: the API's base URL, used when `rolo remote add` is given no `--url`.
        default_full_every: the `full_every` `rolo remote add` writes when given no `--full-every`: "0" (a
            complete listing every sync) unless the remote's incremental listings report deletions too, so a
            complete one is only a safety net (CardDAV's sync-collection: "1d").
        token_help: where a user gets a token (shown by `rolo remote add` and in errors).

    An instance serves one sync run of one remote. The engine creates it with an `httpx.Client` whose
    `base_url` is the remote's URL; the adapter adds its own auth headers from `token` (e.g. in
    `__init__`, with `client.headers["Authorization"] = f"Bearer {token}"`) and never builds a client.
    """

    name: ClassVar[str]
    options: ClassVar[Mapping[str, str]] = {}
    capabilities: ClassVar[Capabilities]
    default_url: ClassVar[str | None] = None
    default_full_every: ClassVar[str] = "0"
    token_help: ClassVar[str] = ""

    def __init__(self, client: httpx.Client, *, url: str, token: str | None,
                 options: Mapping[str, str] | None = None, remote: str = "") -> None:
        """Keep what a run needs.

        Args:
            client: the HTTP client to use for every request (its `base_url` is `url`).
            url: the remote's base URL, as configured.
            token: the secret (API key, bearer token), or None when the remote needs none. Never log it,
                never put it in an exception message.
            options: the remote's configured options (keys from `options`), as strings.
            remote: the remote's name in the user's config (for messages).

        Raises:
            UserError: an option is missing or invalid.
        """
        self.client = client
        self.url = url
        self.token = token
        self.option_values: dict[str, str] = dict(options or {})
        self.remote = remote or self.name

    # -- essentials ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_changes(self, since: str | None) -> Changes:
        """List remote records changed since a bookmark (all records when `since` is None).

        Page through the whole listing before returning. With `since`, an adapter that cannot filter by
        change time returns the complete listing (`complete=True`).

        Args:
            since: a bookmark returned by an earlier call, or None for a complete listing.

        Returns:
            the records, the deletions when known, the next bookmark, and whether the listing is complete.
            Re-listing from an older bookmark must be harmless: records the engine already has (same
            `version`) are skipped.

        Raises:
            AdapterAuthError, AdapterUnavailable, RemoteRejected.
        """

    @abc.abstractmethod
    def get(self, remote_id: str) -> RemoteRecord | None:
        """Fetch one record by id.

        Returns:
            the record, or None when it does not exist (deleted remotely).

        Raises:
            AdapterAuthError, AdapterUnavailable, RemoteRejected.
        """

    @abc.abstractmethod
    def create(self, data: dict[str, Any], *, idempotency_key: str) -> RemoteRecord:
        """Create a remote record.

        Args:
            data: the contact in the book's vocabulary, carried fields only.
            idempotency_key: a key derived from the remote, the contact's uid and its revision. Send it
                where the API supports idempotency (Relm's `Idempotency-Key` header), so that a create
                replayed after a crash returns the record created the first time.

        Returns:
            the record as the remote stored it (its `data` read back from the response).

        Raises:
            RemoteRejected: the remote refused this record (the engine reports it and goes on).
            AdapterAuthError, AdapterUnavailable.
        """

    @abc.abstractmethod
    def update(self, remote_id: str, data: dict[str, Any], *, changed: frozenset[str],
               previous: dict[str, Any] | None) -> RemoteRecord:
        """Change a remote record.

        Args:
            remote_id: the record's id.
            data: the whole record as it should now be (carried fields), not just the changes, for remotes
                whose update replaces the record (a PUT) or whole arrays.
            changed: the keys of `data` that differ from the remote's current version; a PATCH sends only
                these.
            previous: the record as last seen remotely (for remotes that need deltas, e.g. an endpoint that
                removes emails), or None when unknown.

        Returns:
            the record as the remote now stores it.

        Raises:
            RemoteRejected: refused (status 404 when the record no longer exists).
            AdapterAuthError, AdapterUnavailable.
        """

    @abc.abstractmethod
    def delete(self, remote_id: str) -> None:
        """Delete a remote record. Deleting a record that does not exist (404) is not an error: a retried
        delete must succeed.

        Raises:
            RemoteRejected, AdapterAuthError, AdapterUnavailable.
        """

    # -- optional capabilities: raise NotImplementedError when the remote has none -------------------------
    def create_many(self, items: list[tuple[dict[str, Any], str]]) -> list[RemoteRecord | RemoteRejected]:
        """Create many records in one call (declare `Capabilities.batch`).

        The engine passes at most `capabilities.batch_size` items, and only contacts that have an email
        not shared by another item, so a bulk endpoint that upserts on email (Relm's `dedup_on: ["email"]`)
        makes a batch replayed after a crash harmless. Contacts without an email go through `create`.

        Args:
            items: (data, idempotency_key) pairs, as for `create`.

        Returns:
            one result per item, in order: the stored record, or the `RemoteRejected` error for an item
            the remote refused (the others still count).

        Raises:
            AdapterAuthError, AdapterUnavailable; RemoteRejected when the whole batch was refused.
        """
        raise NotImplementedError

    def find(self, data: dict[str, Any]) -> RemoteRecord | None:
        """Look up a remote record matching a contact by its email (or phone); declare `Capabilities.lookup`.

        Used on resuming an interrupted sync, to find a record whose create may have reached the remote.

        Returns:
            the matching record, or None.
        """
        raise NotImplementedError

    def prepare(self, fields: list[FieldDefinition]) -> None:
        """Make sure the remote can store these custom fields before records using them are pushed (create
        the remote schema fields, or check they exist with a compatible type).

        Called once per sync run that pushes, with the book's definitions of the fields in use.

        Raises:
            RemoteRejected: a field exists remotely with an incompatible type (the message says which).
        """
        raise NotImplementedError

    def remote_fields(self) -> list[FieldDefinition]:
        """The custom fields defined remotely, so that a pull can define the ones the book lacks with the
        right type (without this, a pulled field unknown to the book is defined from its value: bool,
        number, or text).

        Returns:
            book field definitions (name, type, options, multiple) of the remote's contact fields.
        """
        raise NotImplementedError

    def pull_activity(self, since: str | None) -> list[tuple[str, str, str, str]]:
        """Read-only activity (meetings, calls, recordings) to add to the notes logs of the people in it.

        Called by a sync that pulls, after the contacts are stored. The engine adds each entry to the log of
        every live contact with that email, once per (contact, key): a meeting seen again, or updated,
        is not added twice.

        Args:
            since: when the previous activity pull began (ISO 8601 UTC, the engine's clock), or None for all.

        Returns:
            (email, created_at, body, key) tuples: created_at ISO 8601 UTC with `Z` (the entry's date),
            key a stable id of the activity (the same for every attendee and every later update).

        Raises:
            NotImplementedError: the remote has no such activity (the default).
        """
        raise NotImplementedError

    def remembered(self) -> dict[str, Any]:
        """What this adapter found out about its remote and wants back next run (JSON-friendly), say which
        of two plausible endpoint designs the server has. The engine stores it with the remote's sync state
        after each run and hands it to `recall` before the next. Never a secret. Default: nothing."""
        return {}

    def recall(self, memo: Mapping[str, Any]) -> None:
        """Take back what `remembered` returned in an earlier run (possibly an older adapter version's:
        ignore what you do not understand). Default: nothing to do."""

    def check(self) -> dict[str, Any]:
        """Check the token and reachability with one cheap request (`rolo remote test`).

        Returns:
            facts worth showing (API version, workspace, rate limit...), JSON-friendly; never the token.

        Raises:
            AdapterAuthError, AdapterUnavailable.
        """
        self.list_changes(None)
        return {}

    @classmethod
    def webhook_events(cls, headers: Mapping[str, str], body: bytes, secret: str, *,
                       options: Mapping[str, str], now: float | None = None) -> list[WebhookEvent]:
        """Verify one webhook delivery and say which records it names (declare `Capabilities.webhooks`).

        Check the signature over the raw `body` first (`rolo.core.sync.webhooks.verify_signature` for the
        `t=…,v1=…` scheme), then read the body. `rolo serve-webhooks` refuses replays itself.

        Args:
            headers: the request's headers, names lower-cased.
            body: the raw request body, exactly as received.
            secret: the remote's signing secret (never put it in a message).
            options: the remote's configured options (say, which book the remote is).
            now: the time to check the timestamp against (tests pass it); None: now.

        Returns:
            the contacts the event is about (an event about something else, or another book: none).

        Raises:
            WebhookRejected: a missing, malformed, wrong or expired signature (401), or an unreadable body
                (400).
        """
        raise WebhookRejected(f"adapter {cls.name} receives no webhooks", status=404)

    @classmethod
    def emulator(cls, port: int = 0) -> Emulator:
        """Start an in-process emulator of this remote on 127.0.0.1 (`rolo emulate NAME`), port 0 for any.

        Returns:
            the running emulator, with its `url` and an `api_key` it accepts; call `stop()` when done.
        """
        raise NotImplementedError
