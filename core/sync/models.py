"""The sync state kept in the book (SQLModel tables; the schema is owned by migration 0002).

Per remote: which local contact each remote record is linked to, with the last synced snapshot of both
sides (the three-way merge's base), the remote's version marker and a pending marker for crash safety;
the pull bookmark; a journal of runs; and the conflict log. JSON columns hold text written by `json.dumps`,
so the fast read path (plain sqlite3) reads them without SQLAlchemy.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel


class SyncLink(SQLModel, table=True):
    """A local contact linked to one remote record, with the base of the next three-way merge.

    `remote_id` is NULL while a create is pending: the marker (`pending`, `pending_key`, `pending_data`)
    is committed before the remote call, so a sync killed during the call can tell, on resume, that the
    record may exist remotely (and replay the create with the same idempotency key and body, or look the
    record up).
    """

    __tablename__ = "sync_link"
    __table_args__ = (
        UniqueConstraint("remote", "remote_id", name="uq_sync_link_remote_id"),
        UniqueConstraint("remote", "contact_id", name="uq_sync_link_contact"),
    )

    id: int | None = Field(default=None, primary_key=True)
    remote: str = Field(index=True)
    contact_id: int = Field(
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    remote_id: str | None = None
    local_snapshot: str | None = Field(default=None, description="JSON: carried fields, local side")
    remote_snapshot: str | None = Field(default=None, description="JSON: carried fields, remote side")
    local_revision: int | None = Field(default=None, description="the contact's revision the snapshot is of")
    remote_version: str | None = None
    pending: str | None = Field(default=None, description="'create' or 'delete' while a remote write is out")
    pending_key: str | None = Field(default=None, description="idempotency key of the pending write")
    pending_data: str | None = Field(default=None, description="JSON body of the pending create")
    synced_at: str | None = None


class SyncState(SQLModel, table=True):
    """Per remote: the pull bookmark and how many records the remote had (for the mass-deletion guard)."""

    __tablename__ = "sync_state"

    remote: str = Field(primary_key=True)
    bookmark: str | None = None
    remote_count: int = 0
    last_full_at: str | None = None
    last_sync_at: str | None = None
    activity_since: str | None = Field(default=None, description="when the last activity pull began")
    adapter_memo: str | None = Field(default=None, description="JSON: what the adapter found out about the "
                                     "remote (Adapter.remembered), given back to it each run")


class SyncRun(SQLModel, table=True):
    """The journal: one row per sync run of one remote."""

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    remote: str = Field(index=True)
    started_at: str
    finished_at: str | None = None
    status: str = Field(default="running", description="running, ok, partial (records skipped), failed")
    mode: str = Field(default="both", description="both, pull, push")
    counts: str = Field(default="{}", description="JSON: created/updated/deleted per side, conflicts...")
    errors: str = Field(default="[]", description="JSON list of {uid, remote_id, code, message}")


class SyncConflictLog(SQLModel, table=True):
    """A field changed on both sides to different values; the policy kept one, the other is kept here."""

    __tablename__ = "sync_conflict"

    id: int | None = Field(default=None, primary_key=True)
    remote: str = Field(index=True)
    contact_id: int = Field(
        sa_column=Column(Integer, ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    remote_id: str | None = None
    run_id: int | None = None
    field: str
    local_value: str | None = Field(default=None, description="JSON")
    remote_value: str | None = Field(default=None, description="JSON")
    kept: str = Field(description="local or remote: the side whose value the policy kept")
    policy: str
    created_at: str
    resolved_at: str | None = None
    resolution: str | None = None
