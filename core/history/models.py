"""The history's tables (SQLModel; created by migration 0006).

A `changeset` is one thing that changed the book (a command, a dropped file, a sync run, an undo); each
`contactchange` is what it did to one contact, kept as a field diff (`rolo.core.history.fields`), never as a
copy: a created contact records no fields (the contact itself holds them), an update only the fields that
changed, before and after. A contact purged from the trash takes its history with it (ON DELETE CASCADE):
emptying the trash forgets for good.

`importbase` is the base of an import's three-way merge: per import source (a file path, or a drop folder)
and card uid, the hash of the card last imported and its fields, or NULL while the contact still equals
that card (the writer fills the fields in before it changes the contact; see rolo.core.store.import_base).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChangeSet(SQLModel, table=True):
    """One change of the book as the user sees it: `rolo history` lists these, `rolo undo` reverts one."""

    __tablename__ = "changeset"

    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(description="when it began (the book's time format)")
    actor: str = Field(description="'person' (a command, a dropped file, an undo) or 'sync'")
    command: str | None = Field(default=None, description="the command line, or what ran ('watch')")
    source: str | None = Field(default=None, description="a file path, a drop folder, '<remote> run <id>'")
    author: str | None = Field(default=None, description="who: $ROLO_AUTHOR, else user@host (NULL before 0009)")
    undoes: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("changeset.id", ondelete="SET NULL"), index=True)
    )


class ContactChange(SQLModel, table=True):
    """What one change set did to one contact: `op` and the fields it changed, before and after."""

    __tablename__ = "contactchange"
    __table_args__ = (Index("ix_contactchange_contact", "contact_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    changeset_id: int = Field(sa_column=Column(
        Integer, ForeignKey("changeset.id", ondelete="CASCADE"), nullable=False, index=True))
    contact_id: int = Field(sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False))
    op: str = Field(description="created, updated, deleted, restored, note, relinked")
    diff: str | None = Field(default=None, description="JSON {field: [before, after]}")


class ImportBase(SQLModel, table=True):
    """The card an import source last brought in for a uid: the base of the next import's merge."""

    __tablename__ = "importbase"
    __table_args__ = (UniqueConstraint("source", "card_uid", name="uq_importbase_source_uid"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(description="the file's absolute path, or 'folder:<path>' for a drop folder")
    card_uid: str
    contact_id: int = Field(sa_column=Column(
        Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=True))
    card_hash: str
    fields: str | None = Field(default=None, description="JSON fields of the card; NULL: the contact's own")
