"""Typed SQLModel objects for library users: the book's rows as `Contact`, `Email`, `Label`... models.

rolo's own commands read through `reader` and write through `writer`, with plain sqlite3, so that they never
pay for importing SQLAlchemy. This module is for Python code that wants typed objects instead: a SQLModel
`Session` on the book file, the models' relationships (`contact.emails`, `contact.labels`,
`contact.organization`...) and `select()` queries of its own.

    from rolo.core.store import orm
    from rolo.core.models import Contact
    from sqlmodel import select

    with orm.open_session("book.db") as session:
        for contact in orm.contacts(session, label="friends"):
            print(contact.formatted_name, [e.address for e in contact.emails])
        starred = session.exec(select(Contact).where(Contact.starred, Contact.deleted_at.is_(None))).all()

(`Book.session()`, `Book.contact_model()` and `Book.contact_models()` do the same on an open `Book`.)

The session is for reading only. Every write goes through `Book`, which keeps the search index, the
contact's `revision` and `updated_at` and the plugins' hooks in step; a change flushed through this session
would bypass all of them, so its connection runs with `PRAGMA query_only` and a flush fails with "attempt to
write a readonly database". Deleted contacts stay in the book as tombstones (`deleted_at` set, for sync):
`contact()` and `contacts()` leave them out; queries of your own should filter on `deleted_at` too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.orm import QueryableAttribute, selectinload
from sqlalchemy.pool import NullPool
from sqlmodel import Session, col, create_engine, select

from rolo.core.models import Contact, ContactLabel, FieldValue, Label
from rolo.core.store import connection


def _rel(attribute: object) -> QueryableAttribute[Any]:
    """A relationship as SQLAlchemy types it (SQLModel annotates it as its Python value, `list[Email]`)."""
    return cast("QueryableAttribute[Any]", attribute)


# What `contact()` and `contacts()` load with each contact, one query per relationship for the whole batch
# (not one per contact): every relationship of Contact, so the objects stay usable after the session closes.
_WITH_CHILDREN = (
    selectinload(_rel(Contact.organization)),
    selectinload(_rel(Contact.emails)),
    selectinload(_rel(Contact.phones)),
    selectinload(_rel(Contact.addresses)),
    selectinload(_rel(Contact.urls)),
    selectinload(_rel(Contact.labels)),
    selectinload(_rel(Contact.field_values)).selectinload(_rel(FieldValue.field)),
    selectinload(_rel(Contact.notes_log)),
    selectinload(_rel(Contact.extra_properties)),
)


def open_session(location: str | Path) -> Session:
    """A read-only SQLModel Session on the book at a path or `sqlite:///` URL (created or upgraded first,
    as every way of opening a book does).

    The session sees one state of the book, even while another process writes, from its first query until
    `close()`, `commit()` or `rollback()`; close it when done (`with open_session(path) as session:`), since
    an open read keeps SQLite from recycling the write-ahead log.
    """
    if connection.postgres.is_postgres(str(location)):
        connection.write_connection(str(location)).close()  # created or upgraded first
        # one snapshot per session, and nothing written through it (as SQLite's query_only)
        engine = create_engine(connection.postgres.sqlalchemy_url(str(location)), poolclass=NullPool,
                               isolation_level="REPEATABLE READ",
                               connect_args={"options": "-c default_transaction_read_only=on"})
        return Session(engine, autoflush=False)
    path = connection.book_path(str(location))
    connection.ensure_schema(path)
    # NullPool: closing the session closes its SQLite connection; no pool outlives it.
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 module, decides where transactions begin (see _on_begin)
        dbapi_conn.isolation_level = None
        dbapi_conn.execute(f"PRAGMA busy_timeout = {connection.BUSY_TIMEOUT_MS}")
        dbapi_conn.execute("PRAGMA query_only = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # a real read transaction (the sqlite3 module would begin none for SELECTs): one snapshot per session
        conn.exec_driver_sql("BEGIN")

    return Session(engine, autoflush=False)


def contact(session: Session, uid: str, *, include_deleted: bool = False) -> Contact | None:
    """The contact with this uid, its emails, phones, labels... loaded; None if there is none, or if it is
    deleted (unless `include_deleted`)."""
    query = select(Contact).where(Contact.uid == uid)
    if not include_deleted:
        query = query.where(col(Contact.deleted_at).is_(None))
    return session.exec(query.options(*_WITH_CHILDREN)).first()


def contact_by_id(session: Session, contact_id: int) -> Contact | None:
    """The contact with this row id (deleted or not, as `Book.load` reads), its children loaded."""
    query = select(Contact).where(Contact.id == contact_id).options(*_WITH_CHILDREN)
    return session.exec(query).first()


def contacts(session: Session, *, label: str | None = None) -> list[Contact]:
    """Every live contact (not deleted), optionally only those carrying a label (any case), by name, each
    with its emails, phones, labels... loaded."""
    query = select(Contact).where(col(Contact.deleted_at).is_(None))
    if label is not None:
        carrying = (
            select(ContactLabel.contact_id)
            .join(Label, col(Label.id) == col(ContactLabel.label_id))
            .where(Label.name_key == label.strip().casefold())
        )
        query = query.where(col(Contact.id).in_(carrying))
    query = query.order_by(col(Contact.sort_key), col(Contact.id)).options(*_WITH_CHILDREN)
    return list(session.exec(query).all())
