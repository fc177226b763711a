"""Importing CSV files: Google Contacts, Outlook and LinkedIn exports recognised by their header rows, any
other CSV through `--map COLUMN=FIELD`. Each row becomes a contact record that goes through the same import
as a vCard card (three-way merge on re-import, history, likely-duplicate hints, a bad row reported with its
line and the rest imported).

A row has no UID, so it gets one derived from what identifies the person in that export: its first email,
else its name and first phone, else its name. Importing the same file again, or a newer export of the same
contacts, updates them instead of adding them twice.

Mappings (column -> book field; `N` stands for 1, 2, 3...; " ::: " separates several values in one cell,
as Google writes them):

Google Contacts (current export)      | Google Contacts (older export)
--------------------------------------|--------------------------------------
First Name / Middle Name / Last Name  | Given Name / Additional Name / Family Name
Name Prefix / Name Suffix / Nickname  | Name Prefix / Name Suffix / Nickname
Organization Name / Title / Department| Organization 1 - Name / - Title / - Department
Birthday (YYYY-MM-DD, --MM-DD)        | Birthday
Notes                                 | Notes
Labels (`* myContacts` dropped, `* starred` stars) | Group Membership (same)
E-mail N - Label / - Value            | E-mail N - Type / - Value
Phone N - Label / - Value             | Phone N - Type / - Value
Address N - Label / Street / City / PO Box / Region / Postal Code / Country / Extended Address
Website N - Label / - Value           | Website N - Type / - Value
Event N - Label / - Value (dates)     | Event N - Type / - Value
Relation N - Label / - Value (relationships, by name)
Custom Field N - Label / - Value: a custom field of that name when the book defines it, else kept in the notes

Outlook: First Name, Middle Name, Last Name, Title (prefix), Suffix, Nickname, Company, Department, Job Title,
E-mail Address / E-mail 2 Address / E-mail 3 Address, Primary / Home / Home 2 / Mobile / Business /
Business 2 / Other Phone (labelled so), Home / Business / Other Fax, Home / Business / Other Street, City,
State, Postal Code, Country/Region (three addresses), Web Page, Birthday and Anniversary (M/D/YYYY, 0/0/00
is none), Spouse, Manager's Name, Assistant's Name (relationships), Notes, Categories (labels, `;`).

LinkedIn (Connections.csv, after its "Notes:" preamble): First Name, Last Name, URL (a `linkedin` URL), Email
Address, Company, Position (title), Connected On (a dated event `connected on LinkedIn`).

Any other CSV: `--map COLUMN=FIELD` for each column to read, FIELD one of name, given, middle, family,
prefix, suffix, nickname, email, phone, org, department, title, birthday, anniversary, notes, url, label, or
the name of a custom field the book defines. Columns left unmapped are reported once, not read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rolo.core.errors import UserError, ValidationError
from rolo.core.record import (AddressEntry, ContactRecord, DateEntry, EmailEntry, PhoneEntry, RelatedEntry,
                              UrlEntry)

FORMATS = ("google", "outlook", "linkedin", "csv")
MAP_FIELDS = ("name", "given", "middle", "family", "prefix", "suffix", "nickname", "email", "phone", "org",
              "department", "title", "birthday", "anniversary", "notes", "url", "label")
_MULTI = " ::: "
_SLOT = re.compile(r"^(E-mail|Phone|Address|Website|Event|Relation|Custom Field|Organization) (\d+) - (.+)$")


@dataclass
class CsvRow:
    """One row: its line in the file (the import reports it as the card's number), its text (for the
    import's content hash), the record or the reason."""

    line: int
    text: str
    record: ContactRecord | None
    error: str | None = None
    uid_derived: bool = True


@dataclass
class CsvFile:
    """What reading a file found: its format, the columns nobody reads, and the rows."""

    format: str
    unread_columns: list[str] = field(default_factory=list)
    rows: list[CsvRow] = field(default_factory=list)
    warning: str | None = None  # a --format the header does not look like


def decode(data: bytes) -> str:
    """The text of a CSV export: UTF-8 (with or without BOM), UTF-16 with BOM (Outlook, some Google exports),
    else Windows-1252 (older Outlook)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect(header: list[str]) -> str | None:
    """The exporter a header row comes from: google, outlook, linkedin, or None."""
    names = {h.strip() for h in header}
    if {"First Name", "Last Name", "URL", "Connected On"} <= names:
        return "linkedin"
    if "E-mail 1 - Value" in names or "Phone 1 - Value" in names or "Group Membership" in names \
            or {"First Name", "Labels"} <= names:
        return "google"
    if {"First Name", "Last Name"} <= names and ("E-mail Address" in names or "Mobile Phone" in names
                                                  or "Business Phone" in names or "Categories" in names):
        return "outlook"
    return None


def read_csv(path: Path, *, fmt: str | None = None, mapping: dict[str, str] | None = None,
             custom_fields: tuple[str, ...] | list[str] = ()) -> CsvFile:
    """Read a CSV export into rows; raise UserError naming the file for one rolo cannot read as a whole."""
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and (lines[start].startswith("Notes:") or not lines[start].strip()
                                  or lines[start].startswith('"When exporting')):
        start += 1  # LinkedIn's Connections.csv opens with a "Notes:" paragraph before its header
    body = "".join(lines[start:])
    # Excel's CSV (double quotes, quotes doubled inside); the delimiter the header line uses most: some
    # locales' Outlook writes `;`, and a saved-as-text file tabs (csv.Sniffer guesses wrong on quoted notes)
    first = body.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(body), csv.excel, delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise UserError(f"{path}: empty CSV file") from None
    found = fmt if fmt and fmt != "csv" else None
    if mapping:
        found = "csv"
    detected = detect(header)
    warning = None
    if found and found != "csv" and detected != found:
        warning = (f"read as {found} as asked, but its header looks like "
                   f"{detected + ' export' if detected else 'no export rolo knows'}")
    found = found or detected
    if found is None:
        raise UserError(f"{path}: not a Google, Outlook or LinkedIn export (its header is "
                        f"{', '.join(header[:6])}{'...' if len(header) > 6 else ''})",
                        hint="map its columns: rolo import FILE --map 'Full name=name' --map 'E-mail=email'")
    if found == "csv" and not mapping:
        raise UserError(f"{path}: --format csv needs --map COLUMN=FIELD for the columns to read")
    reading = _ROW_READERS[found]
    known = set(custom_fields)
    out = CsvFile(found, warning=warning)
    used: set[str] = set()
    missing = [c for c in (mapping or {}) if c not in header]
    if missing:
        raise UserError(f"{path}: --map names columns it does not have: {', '.join(missing)} "
                        f"(its columns: {', '.join(header)})")
    for number, values in enumerate(reader, start=1):
        line = start + 1 + number  # the header is line start+1
        if not any(v.strip() for v in values):
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}
        raw = ",".join(values)
        try:
            record, touched = reading(row, mapping or {}, known)
            used |= touched
            if not (record.formatted_name or record.given_name or record.family_name or record.organization
                    or record.emails or record.phones):
                raise ValidationError("no name, organization, email or phone in this row")
            record.uid = _uid(found, record)
            out.rows.append(CsvRow(line, raw, record))
        except (ValidationError, ValueError) as exc:
            out.rows.append(CsvRow(line, raw, None, str(exc)))
    out.unread_columns = [h for h in header if h and h not in used] if found == "csv" else []
    return out


def _uid(fmt: str, r: ContactRecord) -> str:
    """The row's uid, from what identifies the person in this export (see the module docstring)."""
    name = " ".join(p for p in (r.given_name, r.family_name) if p) or r.formatted_name or r.organization or ""
    if r.emails:
        key = "email:" + r.emails[0].address.strip().casefold()
    elif r.phones:
        key = "phone:" + name.casefold() + ":" + re.sub(r"\D", "", r.phones[0].number)
    else:
        key = "name:" + " ".join(name.casefold().split())
    digest = hashlib.sha256(f"rolo-csv:{fmt}:{key}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{digest[16:20]}-{digest[20:32]}"


# -- dates ------------------------------------------------------------------------------------------------
def _date(text: str) -> str | None:
    """A date as the exporters write it (2026-03-15, --03-15, 3/15/1980, 15 Mar 2026), in the book's form;
    None for an empty one or Outlook's 0/0/00."""
    value = text.strip()
    if not value or value in ("0/0/00", "0/0/0000", "1/0/00"):
        return None
    if re.fullmatch(r"-?-\d\d-\d\d", value):
        return "--" + value.lstrip("-")
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%Y%m%d"):
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValidationError(f"{value!r} is not a date rolo reads (YYYY-MM-DD, --MM-DD, M/D/YYYY, 15 Mar 2026)")


def _values(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(_MULTI) if v.strip()]


# -- Google -------------------------------------------------------------------------------------------------
def _google(row: dict[str, str], _map: dict[str, str], known: set[str]) -> tuple[ContactRecord, set[str]]:
    def get(*names: str) -> str:
        return next((row[n] for n in names if row.get(n)), "")

    r = ContactRecord(uid="")
    r.given_name = get("First Name", "Given Name") or None
    r.additional_names = get("Middle Name", "Additional Name") or None
    r.family_name = get("Last Name", "Family Name") or None
    r.prefix = get("Name Prefix") or None
    r.suffix = get("Name Suffix") or None
    r.nickname = get("Nickname") or None
    r.formatted_name = get("Name") or ""
    r.organization = get("Organization Name", "Organization 1 - Name") or None
    r.title = get("Organization Title", "Organization 1 - Title") or None
    r.department = get("Organization Department", "Organization 1 - Department") or None
    r.birthday = _date(get("Birthday"))
    r.notes = get("Notes") or None
    for group in _values(get("Labels", "Group Membership")):
        name = group.removeprefix("* ").strip()
        if name.casefold() == "starred":
            r.starred = True
        elif name.casefold() not in ("mycontacts", "my contacts") and name not in r.labels:
            r.labels.append(name)
    slots: dict[tuple[str, str], dict[str, str]] = {}
    for column, value in row.items():
        if (match := _SLOT.match(column)) and value:
            slots.setdefault((match[1], match[2]), {})[match[3]] = value
    extra_notes = []
    for (kind, _n), parts in sorted(slots.items(), key=lambda s: (s[0][0], int(s[0][1]))):
        label = (parts.get("Label") or parts.get("Type") or "").removeprefix("* ").strip() or None
        values = _values(parts.get("Value", ""))
        if kind == "E-mail":
            r.emails += [EmailEntry(v, label) for v in values]
        elif kind == "Phone":
            r.phones += [PhoneEntry(v, None, label) for v in values]
        elif kind == "Website":
            r.urls += [UrlEntry(v, label) for v in values]
        elif kind == "Event":
            kind_of = label.lower() if label and label.lower() in ("anniversary", "other") else label
            r.dates += [DateEntry(kind_of or "other", d) for v in values if (d := _date(v))]
        elif kind == "Relation":
            r.related += [RelatedEntry((label or "other").lower(), None, v) for v in values]
        elif kind == "Custom Field" and label:
            if label in known:
                r.custom_fields[label] = values[0] if len(values) == 1 else values
            else:
                extra_notes += [f"{label}: {v}" for v in values]
        elif kind == "Address":
            r.addresses.append(AddressEntry(label, parts.get("PO Box"), parts.get("Extended Address"),
                                            parts.get("Street"), parts.get("City"), parts.get("Region"),
                                            parts.get("Postal Code"), parts.get("Country")))
    if extra_notes:
        r.notes = "\n".join([*([r.notes] if r.notes else []), *extra_notes])
    if r.emails:
        r.emails[0].primary = True
    if r.phones:
        r.phones[0].primary = True
    return r, set(row)


# -- Outlook ------------------------------------------------------------------------------------------------
_OUTLOOK_PHONES = (("Primary Phone", "pref"), ("Mobile Phone", "mobile"), ("Business Phone", "work"),
                   ("Business Phone 2", "work"), ("Home Phone", "home"), ("Home Phone 2", "home"),
                   ("Other Phone", "other"), ("Business Fax", "work fax"), ("Home Fax", "home fax"),
                   ("Other Fax", "fax"), ("Pager", "pager"), ("Car Phone", "car"), ("Assistant's Phone",
                                                                                   "assistant"))


def _outlook(row: dict[str, str], _map: dict[str, str], known: set[str]) -> tuple[ContactRecord, set[str]]:
    get = row.get
    r = ContactRecord(uid="")
    r.given_name, r.additional_names, r.family_name = (get("First Name") or None, get("Middle Name") or None,
                                                       get("Last Name") or None)
    r.prefix, r.suffix, r.nickname = get("Title") or None, get("Suffix") or None, get("Nickname") or None
    r.organization, r.department = get("Company") or None, get("Department") or None
    r.title = get("Job Title") or None
    r.birthday = _date(get("Birthday") or "")
    if anniversary := _date(get("Anniversary") or ""):
        r.dates.append(DateEntry("anniversary", anniversary))
    r.notes = get("Notes") or None
    r.emails = [EmailEntry(v) for c in ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address") if (v := get(c))]
    if r.emails:
        r.emails[0].primary = True
    for column, label in _OUTLOOK_PHONES:
        if number := get(column):
            if label == "pref":
                r.phones.insert(0, PhoneEntry(number, None, None, True))
            elif not any(p.number == number for p in r.phones):
                r.phones.append(PhoneEntry(number, None, label))
    for where, label in (("Home", "home"), ("Business", "work"), ("Other", "other")):
        street = "\n".join(v for c in ("Street", "Street 2", "Street 3") if (v := get(f"{where} {c}")))
        address = AddressEntry(label, get(f"{where} PO Box") or None, None, street or None,
                               get(f"{where} City") or None, get(f"{where} State") or None,
                               get(f"{where} Postal Code") or None, get(f"{where} Country/Region") or None)
        if not address.is_empty():
            r.addresses.append(address)
    if url := get("Web Page"):
        r.urls.append(UrlEntry(url))
    for column, kind in (("Spouse", "spouse"), ("Manager's Name", "manager"), ("Assistant's Name", "assistant"),
                         ("Children", "child")):
        r.related += [RelatedEntry(kind, None, v.strip()) for v in (get(column) or "").split(",") if v.strip()]
    r.labels = [c.strip() for c in re.split(r"[;,]", get("Categories") or "") if c.strip()]
    return r, set(row)


# -- LinkedIn -----------------------------------------------------------------------------------------------
def _linkedin(row: dict[str, str], _map: dict[str, str], known: set[str]) -> tuple[ContactRecord, set[str]]:
    r = ContactRecord(uid="")
    r.given_name, r.family_name = row.get("First Name") or None, row.get("Last Name") or None
    if email := row.get("Email Address"):
        r.emails.append(EmailEntry(email, None, True))
    if url := row.get("URL"):
        r.urls.append(UrlEntry(url, "linkedin"))
    r.organization, r.title = row.get("Company") or None, row.get("Position") or None
    if connected := _date(row.get("Connected On") or ""):
        r.dates.append(DateEntry("connected on LinkedIn", connected))
    return r, set(row)


# -- any CSV, mapped ----------------------------------------------------------------------------------------
def parse_mapping(items: tuple[str, ...] | list[str], custom_fields: list[str]) -> dict[str, str]:
    """`COLUMN=FIELD` options as {column: field}; UserError naming a FIELD that is none of the book's."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise UserError(f"--map {item!r}: write COLUMN=FIELD, e.g. --map 'Full name=name'")
        if target.lower() not in MAP_FIELDS and target not in custom_fields:
            raise UserError(f"--map {item!r}: {target!r} is not a field (one of {', '.join(MAP_FIELDS)}, or a "
                            "custom field: rolo field list)")
        mapping[column] = target if target in custom_fields else target.lower()
    return mapping


def _mapped(row: dict[str, str], mapping: dict[str, str], known: set[str]) -> tuple[ContactRecord, set[str]]:
    from rolo.core.cli.entries import split_name

    r = ContactRecord(uid="")
    for column, target in mapping.items():
        value = row.get(column, "").strip()
        if not value:
            continue
        if target == "name":
            r.formatted_name = " ".join(value.split())
            if not (r.given_name or r.family_name):
                r.given_name, r.family_name = split_name(value)
        elif target in ("given", "middle", "family", "prefix", "suffix", "nickname", "org", "department",
                        "title", "notes"):
            attr = {"given": "given_name", "middle": "additional_names", "family": "family_name",
                    "org": "organization"}.get(target, target)
            setattr(r, attr, value)
        elif target == "email":
            r.emails += [EmailEntry(v, None, not r.emails) for v in re.split(r"[;,]\s*| ::: ", value) if v]
        elif target == "phone":
            r.phones += [PhoneEntry(v.strip(), None, None, not r.phones) for v in re.split(r";| ::: ", value)
                         if v.strip()]
        elif target == "url":
            r.urls.append(UrlEntry(value))
        elif target == "label":
            r.labels += [v.strip() for v in re.split(r"[;,]| ::: ", value) if v.strip()]
        elif target == "birthday":
            r.birthday = _date(value)
        elif target == "anniversary":
            if day := _date(value):
                r.dates.append(DateEntry("anniversary", day))
        else:  # a custom field of the book
            r.custom_fields[target] = value
    return r, set(mapping)


_ROW_READERS = {"google": _google, "outlook": _outlook, "linkedin": _linkedin, "csv": _mapped}
