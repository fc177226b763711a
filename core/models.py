"""The book's tables (SQLModel): the schema's single declaration.

The alembic migrations in `migrations/` build existing users' books step by step; the tables they create
must be exactly what these models declare (`tests/core/test_schema.py` compares the two with alembic's
autogenerate), so a change here comes with a migration. Only the FTS5 search index is created by raw SQL in
a migration and has no model.

Timestamps are stored as ISO 8601 UTC text ending in `Z`, so raw SQL reads (the fast read path) need no
conversion and text order is time order. Child rows keep a `position` so a contact's emails, phones... come
back in the order the user gave them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel


def _contact_fk(*, index: bool = True) -> Any:
    return Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=index)


def _in_order(table: str) -> tuple[Any, ...]:
    """A contact's entries are read in `position` order (migration 0004): an index on (contact_id,
    position) serves both the lookup and the order, so reads need no sort (the list --json fast path)."""
    return (Index(f"ix_{table}_contact_position", "contact_id", "position"),)


# Relationships are for reading typed objects (`rolo.core.store.orm`, `Book.contact_model()`); they add
# nothing to the tables. They are view-only because every write goes through `Book`, which keeps the search
# index, `revision` and `updated_at` in step (a change made through the ORM would bypass all three).
# They are spelled as SQLAlchemy `relationship()`s, rather than through `Relationship(back_populates=...)`,
# because this module uses postponed annotations (`list[Email]` is a string at class creation, which SQLModel
# cannot turn into a target class): the target is named explicitly and `collection_class=list` makes the
# to-many sides lists.
def _children(target: str, order_by: str, back_populates: str = "contact") -> Any:
    """A contact's (or organization's, field's) rows in another table, in the given order."""
    return Relationship(sa_relationship=relationship(
        target, back_populates=back_populates, order_by=order_by, collection_class=list, viewonly=True
    ))


def _parent(target: str, back_populates: str) -> Any:
    """The row a foreign key points to."""
    return Relationship(sa_relationship=relationship(target, back_populates=back_populates, viewonly=True))


class Organization(SQLModel, table=True):
    """A company or institution; contacts point to it, domains help match people by email."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True, description="casefolded name, for matching")
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))

    # every contact pointing here, tombstones included (check `deleted_at`)
    contacts: list[Contact] = _children("Contact", "Contact.sort_key, Contact.id", "organization")


class ContactBase(SQLModel):
    """The contact's own columns (everything but ids, links and bookkeeping)."""

    uid: str = Field(unique=True, index=True)
    kind: str = "individual"
    formatted_name: str = ""
    prefix: str | None = None
    given_name: str | None = None
    additional_names: str | None = None
    family_name: str | None = None
    suffix: str | None = None
    nickname: str | None = None
    department: str | None = None
    title: str | None = None
    birthday: str | None = Field(default=None, description="YYYY-MM-DD or --MM-DD when the year is unknown")
    notes: str | None = None
    starred: bool = False
    photo_type: str | None = None


class Contact(ContactBase, table=True):
    """A person (or organization card) in the book. Deleted contacts keep a tombstone for sync."""

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    )
    photo: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    sort_key: str = Field(default="", index=True, description="casefolded family+given name, for listing")
    created_at: str
    updated_at: str = Field(index=True)
    revision: int = 1
    deleted_at: str | None = Field(default=None, index=True)
    source_hash: str | None = Field(default=None, index=True, description="hash of the imported card text")

    organization: Organization | None = _parent("Organization", "contacts")
    emails: list[Email] = _children("Email", "Email.position, Email.id")
    phones: list[Phone] = _children("Phone", "Phone.position, Phone.id")
    addresses: list[Address] = _children("Address", "Address.position, Address.id")
    urls: list[Url] = _children("Url", "Url.position, Url.id")
    # through the ContactLabel link model's table
    labels: list[Label] = Relationship(sa_relationship=relationship(
        "Label", secondary="contactlabel", back_populates="contacts", order_by="Label.name_key",
        collection_class=list, viewonly=True,
    ))
    field_values: list[FieldValue] = _children("FieldValue", "FieldValue.field_id, FieldValue.position")
    # the dated notes log (`notes` is the card's own NOTE text); interactions are its entries with a kind
    notes_log: list[Note] = _children("Note", "Note.created_at, Note.id")
    dates: list[ContactDate] = _children("ContactDate", "ContactDate.position, ContactDate.id")
    related: list[Related] = _children("Related", "Related.position, Related.id")
    extra_properties: list[ExtraProperty] = _children(
        "ExtraProperty", "ExtraProperty.position, ExtraProperty.id"
    )


class Email(SQLModel, table=True):
    """An email address, kept as written; `address_key` is its casefolded form for matching."""

    __table_args__ = _in_order("email")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    address: str
    address_key: str = Field(index=True)
    label: str | None = None
    pref: bool = False

    contact: Contact | None = _parent("Contact", "emails")


class Phone(SQLModel, table=True):
    """A phone number as the user typed it, with its E.164 form when it parses."""

    __table_args__ = _in_order("phone")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    number: str
    e164: str | None = Field(default=None, index=True)
    label: str | None = None
    pref: bool = False

    contact: Contact | None = _parent("Contact", "phones")


class Address(SQLModel, table=True):
    """A postal address (vCard ADR parts)."""

    __table_args__ = _in_order("address")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    label: str | None = None
    po_box: str | None = None
    extended: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    pref: bool = False

    contact: Contact | None = _parent("Contact", "addresses")


class Url(SQLModel, table=True):
    """A website or social profile."""

    __table_args__ = _in_order("url")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    url: str
    label: str | None = None

    contact: Contact | None = _parent("Contact", "urls")


class Label(SQLModel, table=True):
    """A label (tag, group); unique case-insensitively through `name_key`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True)

    # every contact carrying the label, tombstones included (check `deleted_at`)
    contacts: list[Contact] = Relationship(sa_relationship=relationship(
        "Contact", secondary="contactlabel", back_populates="labels", order_by="Contact.sort_key, Contact.id",
        collection_class=list, viewonly=True,
    ))


class ContactLabel(SQLModel, table=True):
    """Many-to-many link between contacts and labels."""

    contact_id: int = Field(
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True)
    )
    label_id: int = Field(
        sa_column=Column(Integer, ForeignKey("label.id", ondelete="CASCADE"), primary_key=True, index=True)
    )


class FieldDef(SQLModel, table=True):
    """A custom field definition: its type, the options of a select, whether it holds several values."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True)
    type: str
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    multiple: bool = False
    created_at: str
    local_only: bool = Field(default=False, description="never pushed to a remote nor exported unless asked")

    values: list[FieldValue] = _children("FieldValue", "FieldValue.contact_id, FieldValue.position", "field")


class FieldValue(SQLModel, table=True):
    """One value of a custom field on a contact, stored in its canonical text form."""

    __table_args__ = (UniqueConstraint("contact_id", "field_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    field_id: int = Field(
        sa_column=Column(Integer, ForeignKey("fielddef.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    position: int = 0
    value: str

    contact: Contact | None = _parent("Contact", "field_values")
    field: FieldDef | None = _parent("FieldDef", "values")


class Note(SQLModel, table=True):
    """A dated entry in a contact's notes log (calls, meetings, merge leftovers)."""

    # One entry per source and contact: an activity pulled twice lands once (`INSERT OR IGNORE` relies on
    # it). NULL source keys (notes typed by the user) never clash. Created by migration 0003.
    __table_args__ = (
        Index("ux_note_contact_source", "contact_id", "source_key", unique=True),
        # last contacted: the latest interaction of each contact, read from the index alone (migration 0008)
        Index("ix_note_interaction", "contact_id", "kind", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    created_at: str = Field(index=True)
    body: str
    source_key: str | None = Field(default=None, description="what a pulled entry came from (a meeting...)")
    # An interaction (`rolo log --via`): call, meeting, email, message or other; NULL for a plain note.
    # `last contacted` is the latest created_at among a contact's entries with a kind. Migration 0008.
    kind: str | None = Field(default=None)
    local_only: bool = Field(default=False, description="never pushed to a remote nor exported unless asked")

    contact: Contact | None = _parent("Contact", "notes_log")


class ContactDate(SQLModel, table=True):
    """A dated event beside the birthday: an anniversary (vCard ANNIVERSARY), or a custom date with its label
    (Apple's X-ABDATE, Android's custom events). Created by migration 0008."""

    __table_args__ = _in_order("contactdate")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    label: str = Field(description="anniversary, or the event's own label")
    value: str = Field(description="YYYY-MM-DD or --MM-DD when the year is unknown")

    contact: Contact | None = _parent("Contact", "dates")


class Related(SQLModel, table=True):
    """A typed link from a contact to another person (vCard RELATED, Apple X-ABRELATEDNAMES): `uid` when
    the other person is a contact of the book (or was a card's urn:uuid), else only `name`. The other
    direction is derived when shown, not stored. Created by migration 0008."""

    __table_args__ = _in_order("related")

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk(index=False))
    position: int = 0
    kind: str = Field(description="spouse, partner, child, parent, sibling, friend, colleague, manager...")
    uid: str | None = Field(default=None, index=True, description="the related contact's uid, when known")
    name: str | None = None

    contact: Contact | None = _parent("Contact", "related")


class KeepInTouch(SQLModel, table=True):
    """A keep-in-touch cadence (`rolo keep`): for one contact, or for every contact carrying a label; a
    contact's own cadence wins over its labels', and the shortest of its labels' applies. Migration 0008."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=True, unique=True))
    label_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("label.id", ondelete="CASCADE"), nullable=True, unique=True))
    every_days: int
    created_at: str


class ExtraProperty(SQLModel, table=True):
    """A vCard property rolo does not model, kept verbatim (group, parameters and all) for export."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = 0
    name: str = Field(description="property name, upper case, without group")
    raw: str = Field(description="the unfolded content line exactly as imported")

    contact: Contact | None = _parent("Contact", "extra_properties")


class ContactAlias(SQLModel, table=True):
    """A uid that now names another contact: the uid of a contact merged away into it (`rolo merge`), so a
    card or a REF carrying that uid reaches the contact that absorbed it. Created by migration 0005."""

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(unique=True, index=True)
    contact_id: int = Field(sa_column=_contact_fk())
