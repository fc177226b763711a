"""Numbers in the book that are not in E.164 form, sorted into what `rolo doctor` reports, and the fix for
the ones `default_region` now reads (`rolo doctor --fix-phones`).

Imports and syncs never refuse a number (nothing a card holds is lost): an impossible one (`+999 123`,
`0000000000`) is kept as written, without an E.164 form, and doctor names it. A national number typed while
`default_region` was another region has no E.164 form either; once the region is set, the fix writes it in
international form (`020 7946 0000` -> `+44 20 7946 0000`) through the writer, as one change in the history
that `rolo undo` reverts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rolo.core.phones import IMPOSSIBLE, VALID, PhoneCheck, check_number, international_form
from rolo.core.store.phone_audit import StoredPhone, phones_without_e164

if TYPE_CHECKING:
    from rolo.core.book import Book


@dataclass
class PhoneReview:
    """The numbers stored without E.164 form: impossible ones, ones `region` now reads (with their new
    form), and the rest (not valid in `region`: written for another region, or without an area code)."""

    region: str
    impossible: list[tuple[StoredPhone, PhoneCheck]] = field(default_factory=list)
    fixable: list[tuple[StoredPhone, str]] = field(default_factory=list)
    foreign: list[StoredPhone] = field(default_factory=list)


def review(conn: sqlite3.Connection, region: str) -> PhoneReview:
    """Sort the book's numbers without E.164 form (a read: nothing changes). A number written without +CC
    is called impossible only when all zeros: telling whether it is valid in any region costs too much for
    a whole book, so it is listed with those `region` does not read."""
    found = PhoneReview(region)
    for phone in phones_without_e164(conn):
        if (new := _new_form(phone.number, region)) is not None:
            found.fixable.append((phone, new))
        elif (check := check_number(phone.number, region, scan_regions=False)).status == IMPOSSIBLE:
            found.impossible.append((phone, check))
        else:
            found.foreign.append(phone)
    return found


def _new_form(number: str, region: str) -> str | None:
    """The international form of a number that is a valid one in `region` (a merely possible one, such as
    `555-0123` read as a GB number, is left as written)."""
    if check_number(number, region, scan_regions=False).status != VALID:
        return None
    return international_form(number, region)


@dataclass(frozen=True)
class PhoneFixed:
    """A number `fix_phones` rewrote."""

    uid: str
    name: str
    before: str
    after: str


def fix_phones(book: Book) -> list[PhoneFixed]:
    """Write every number stored without E.164 form that the book's region now reads in international form,
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
                if phone.e164 is None and (new := _new_form(phone.number, book.region)):
                    fixed.append(PhoneFixed(record.uid, record.display_name(), phone.number, new))
                    phone.number, changed = new, True
            if changed:
                tx.save(record)
    return fixed
