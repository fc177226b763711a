"""Numbers in the book that are not in E.164 form, sorted into what `rolo doctor` reports, and the fix for
the ones `default_region` now reads (`rolo doctor --fix-phones`).

Imports and syncs never refuse a number (nothing a card holds is lost): an impossible one (`+999 123`,
`0000000000`) is kept as written, without an E.164 form, and doctor names it. A national number typed while
`default_region` was another region has no E.164 form either; once the region is set, the fix writes it in
international form (`020 7946 0000` -> `+44 20 7946 0000`) through the writer, as one change in the history
that `rolo undo` reverts.

Which region a national number is read in: the contact's own first, when it says where it is (the country
of an address, the country code of a number written with +CC), then default_region. A Japanese `090-2718-5530` is
also a valid GB number: on a contact whose address is in Japan it becomes +81, never +44.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rolo.core.phones import (
    IMPOSSIBLE,
    VALID,
    PhoneCheck,
    check_number,
    international_form,
    region_for_country,
    region_of_international,
)
from rolo.core.record import ContactRecord
from rolo.core.store import reader
from rolo.core.store.phone_audit import StoredPhone, phones_without_e164

if TYPE_CHECKING:
    from rolo.core.book import Book


@dataclass
class PhoneReview:
    """The numbers stored without E.164 form: impossible ones, ones that can now be read (with their new
    form and the region it was read in), and the rest (not valid where the contact is or in `region`)."""

    region: str
    impossible: list[tuple[StoredPhone, PhoneCheck]] = field(default_factory=list)
    fixable: list[tuple[StoredPhone, str, str]] = field(default_factory=list)
    foreign: list[StoredPhone] = field(default_factory=list)


def review(conn: sqlite3.Connection, region: str) -> PhoneReview:
    """Sort the book's numbers without E.164 form (a read: nothing changes). A number written without +CC
    is called impossible only when all zeros: telling whether it is valid in any region costs too much for
    a whole book, so it is listed with those no region of its contact reads."""
    found = PhoneReview(region)
    phones = phones_without_e164(conn)
    contacts = {r.id: r for r in reader.load_contacts(conn, sorted({p.contact_id for p in phones}))}
    for phone in phones:
        if (new := new_form(phone.number, contacts[phone.contact_id], region)) is not None:
            found.fixable.append((phone, *new))
        elif (check := check_number(phone.number, region, scan_regions=False)).status == IMPOSSIBLE:
            found.impossible.append((phone, check))
        else:
            found.foreign.append(phone)
    return found


def contact_regions(record: ContactRecord) -> list[str]:
    """Where a contact says it is: its addresses' countries, then the countries of its numbers written with
    +CC (their E.164 forms are not used: a national number may have been read in the wrong region)."""
    found = [region_for_country(a.country) for a in record.addresses]
    found += [region_of_international(p.number) for p in record.phones]
    return list(dict.fromkeys(r for r in found if r))


def new_form(number: str, record: ContactRecord, region: str) -> tuple[str, str] | None:
    """(international form, region read in) of a number valid in a region its contact is in, else in
    `region`; None when it is valid in none. A number merely possible there (`555-0123` read as GB) is
    left as written."""
    for candidate in dict.fromkeys([*contact_regions(record), region]):
        if check_number(number, candidate, scan_regions=False).status == VALID:
            new = international_form(number, candidate)
            if new is not None:
                return new, candidate
    return None


@dataclass(frozen=True)
class PhoneFixed:
    """A number `fix_phones` rewrote, and the region it was read in."""

    uid: str
    name: str
    before: str
    after: str
    region: str


def fix_phones(book: Book) -> list[PhoneFixed]:
    """Write every number stored without E.164 form that can now be read (`new_form`) in international form,
    in one transaction (one change in the history: `rolo undo` puts the numbers back as they were)."""
    with book.snapshot() as db:
        ids = sorted({phone.contact_id for phone in phones_without_e164(db)})
    fixed: list[PhoneFixed] = []
    with book.transaction() as tx:
        for contact_id in ids:
            record = tx.load(contact_id)
            row = tx.contact_row(record.uid)
            if row is None or row[2] is not None:
                continue  # trashed since the read: saving it would bring it back
            changed = False
            for phone in record.phones:
                if phone.e164 is None and (new := new_form(phone.number, record, book.region)):
                    fixed.append(PhoneFixed(record.uid, record.display_name(), phone.number, *new))
                    phone.number, changed = new[0], True
            if changed:
                tx.save(record)
    return fixed
