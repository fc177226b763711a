"""The typed API for library users (issue 9): contacts written through `Book` read back as SQLModel objects
with their relationships, from `Book.contact_model(s)` and from `rolo.core.store.orm` directly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy.exc import InternalError, OperationalError
from sqlmodel import select

from rolo.core.book import Book
from rolo.core.fields import FieldDefinition
from rolo.core.models import Address, Contact, Email, Label, Phone
from rolo.core.record import AddressEntry, ContactRecord, EmailEntry, PhoneEntry, UrlEntry
from rolo.core.store import orm


def ada() -> ContactRecord:
    return ContactRecord(
        uid="ada-0001", given_name="Ada", family_name="Lovelace", organization="Analytical Engines",
        title="Countess", birthday="1815-12-10",
        emails=[EmailEntry("ada@example.com", "work", primary=True), EmailEntry("ada@home.example", "home")],
        phones=[PhoneEntry("+44 20 7946 0123", label="mobile")],
        addresses=[AddressEntry(label="home", street="12 St James's Square", locality="London")],
        urls=[UrlEntry("https://ada.example", "blog")],
        labels=["Book Club", "friends"],
        custom_fields={"tier": "close", "languages": ["en", "fr"]},
    )


@pytest.fixture
def filled(book: Book) -> Book:
    """A book with Ada (everything set), Grace (one email, a label) and Linus (deleted)."""
    book.define_field(FieldDefinition("tier", "select", ["close", "friend"]))
    book.define_field(FieldDefinition("languages", "select", ["en", "fr"], multiple=True))
    book.add(ada())
    book.add(ContactRecord(uid="grace-0002", given_name="Grace", family_name="Hopper",
                           emails=[EmailEntry("grace@navy.example")], labels=["Friends"]))
    book.add(ContactRecord(uid="linus-0003", given_name="Linus", family_name="Pauling", labels=["friends"],
                           emails=[EmailEntry("linus@example.com")]))
    book.add_note("ada@example.com", "Lunch; she is moving to Paris in May")
    book.delete("linus-0003")
    return book


def test_contact_model_is_a_typed_contact_with_its_children(filled: Book):
    contact = filled.contact_model("ada@example.com")  # any REF: here an email
    assert isinstance(contact, Contact)
    assert (contact.uid, contact.formatted_name, contact.title, contact.birthday) == (
        "ada-0001", "Ada Lovelace", "Countess", "1815-12-10"
    )
    assert contact.organization is not None and contact.organization.name == "Analytical Engines"
    assert all(isinstance(e, Email) for e in contact.emails)
    assert [(e.address, e.label, e.pref) for e in contact.emails] == [
        ("ada@example.com", "work", True), ("ada@home.example", "home", False)
    ]
    assert all(isinstance(p, Phone) for p in contact.phones)
    assert [(p.number, p.e164, p.label) for p in contact.phones] == [
        ("+44 20 7946 0123", "+442079460123", "mobile")
    ]
    assert isinstance(contact.addresses[0], Address) and contact.addresses[0].locality == "London"
    assert [u.url for u in contact.urls] == ["https://ada.example"]
    assert all(isinstance(label, Label) for label in contact.labels)
    assert [label.name for label in contact.labels] == ["Book Club", "friends"]
    assert [(v.field.name, v.value) for v in contact.field_values if v.field] == [
        ("tier", "close"), ("languages", "en"), ("languages", "fr")
    ]
    assert [n.body for n in contact.notes_log] == ["Lunch; she is moving to Paris in May"]
    assert contact.deleted_at is None and contact.revision == 1


def test_contact_models_lists_live_contacts_by_name(filled: Book):
    contacts = filled.contact_models()
    assert [c.formatted_name for c in contacts] == ["Grace Hopper", "Ada Lovelace"]  # by family name
    assert [e.address for e in contacts[0].emails] == ["grace@navy.example"]


def test_a_deleted_contact_is_not_listed(filled: Book):
    assert "linus-0003" not in [c.uid for c in filled.contact_models()]
    assert "linus-0003" not in [c.uid for c in filled.contact_models(label="friends")]
    with filled.session() as session:
        assert orm.contact(session, "linus-0003") is None
        tombstone = orm.contact(session, "linus-0003", include_deleted=True)
        assert tombstone is not None and tombstone.deleted_at is not None


def test_label_filter_ignores_case(filled: Book):
    assert [c.uid for c in filled.contact_models(label="FRIENDS")] == ["grace-0002", "ada-0001"]
    assert [c.uid for c in filled.contact_models(label="book club")] == ["ada-0001"]
    assert filled.contact_models(label="nobody has this") == []


def test_open_session_on_a_path_with_queries_of_ones_own(filled: Book):
    with orm.open_session(filled.location) as session:
        ada = orm.contact(session, "ada-0001")
        assert ada is not None and [p.number for p in ada.phones] == ["+44 20 7946 0123"]
        assert ada.emails[0].contact is ada  # relationships run both ways
        label = session.exec(select(Label).where(Label.name_key == "friends")).one()
        # a label's (or organization's) contacts include tombstones: check deleted_at
        assert sorted(c.uid for c in label.contacts) == ["ada-0001", "grace-0002", "linus-0003"]


def test_the_session_refuses_writes(filled: Book):
    # writes go through Book, which keeps the search index and the revision in step
    with filled.session() as session:
        contact = orm.contact(session, "ada-0001")
        assert contact is not None
        contact.formatted_name = "Someone Else"
        session.add(contact)
        with pytest.raises((OperationalError, InternalError), match="readonly|read-only"):
            session.commit()
    assert filled.get("ada-0001").formatted_name == "Ada Lovelace"


def test_a_session_reads_one_state_of_the_book(filled: Book):
    with filled.session() as session:
        assert len(orm.contacts(session)) == 2
        filled.add(ContactRecord(uid="new-0004", formatted_name="Newcomer"))  # another connection writes
        assert len(orm.contacts(session)) == 2  # still the state the session began with
        session.rollback()
        assert len(orm.contacts(session)) == 3


def test_from_rolo_core_import_book_is_lazy_and_loads_no_sqlalchemy():
    code = (
        "import sys, rolo.core\n"
        "assert 'rolo.core.book' not in sys.modules, 'importing rolo.core loaded the book'\n"
        "from rolo.core import Book\n"
        "import rolo.core.book\n"
        "assert Book is rolo.core.book.Book\n"
        "assert 'sqlalchemy' not in sys.modules, 'the Book (and so every command) imported SQLAlchemy'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
