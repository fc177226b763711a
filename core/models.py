"""The book's tables (SQLModel). The schema itself is owned by the alembic migrations in `migrations/`.

Timestamps are stored as ISO 8601 UTC text ending in `Z`, so raw SQL reads (the fast read path) need no
conversion and text order is time order. Child rows keep a `position` so a contact's emails, phones... come
back in the order the user gave them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _contact_fk() -> Any:
    return Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=True)


class Organization(SQLModel, table=True):
    """A company or institution; contacts point to it, domains help match people by email."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True, description="casefolded name, for matching")
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))


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


class Email(SQLModel, table=True):
    """An email address, kept as written; `address_key` is its casefolded form for matching."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = 0
    address: str
    address_key: str = Field(index=True)
    label: str | None = None
    pref: bool = False


class Phone(SQLModel, table=True):
    """A phone number as the user typed it, with its E.164 form when it parses."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = 0
    number: str
    e164: str | None = Field(default=None, index=True)
    label: str | None = None
    pref: bool = False


class Address(SQLModel, table=True):
    """A postal address (vCard ADR parts)."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
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


class Url(SQLModel, table=True):
    """A website or social profile."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = 0
    url: str
    label: str | None = None


class Label(SQLModel, table=True):
    """A label (tag, group); unique case-insensitively through `name_key`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(unique=True, index=True)


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


class Note(SQLModel, table=True):
    """A dated entry in a contact's notes log (calls, meetings, merge leftovers)."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    created_at: str = Field(index=True)
    body: str
    source_key: str | None = Field(default=None, description="what a pulled entry came from (a meeting...)")


class ExtraProperty(SQLModel, table=True):
    """A vCard property rolo does not model, kept verbatim (group, parameters and all) for export."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(sa_column=_contact_fk())
    position: int = 0
    name: str = Field(description="property name, upper case, without group")
    raw: str = Field(description="the unfolded content line exactly as imported")
