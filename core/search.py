"""The search query language (khard users know it), without the index it runs on.

Words are prefix-matched anywhere and all must match; `field:term` restricts a term to one part of the
contact: `name:`, `email:`, `phone:`, `org:`, `title:`, `nick:`, `note:`, `label:`, or the name of a custom
field. Quote phrases: `label:"book club"`. A term that looks like a phone number is matched by its digits in
every common form (E.164, national, as typed). `parse_query` turns a query into an FTS5 expression over the
index columns (`rolo.core.store.search.COLUMNS`) plus custom-field filters; `rolo.core.store.search` runs it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from rolo.core.errors import UserError
from rolo.core.fields import field_key
from rolo.core.phones import looks_like_phone, search_digits, to_e164

QUALIFIERS = {
    "name": "name", "n": "name",
    "nick": "nickname", "nickname": "nickname",
    "email": "email", "mail": "email",
    "phone": "phone", "tel": "phone",
    "org": "org", "organization": "org", "company": "org",
    "title": "title",
    "note": "notes", "notes": "notes",
    "label": "labels", "labels": "labels", "tag": "labels",
}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class ParsedQuery:
    """A query split into the FTS5 expression and the custom-field filters."""

    fts: list[str] = field(default_factory=list)
    field_filters: list[tuple[str, str]] = field(default_factory=list)


def _phrase(text: str) -> str | None:
    words = _WORD.findall(text.lower())
    return f'"{" ".join(words)}"*' if words else None


def _phone_expr(text: str, region: str) -> str | None:
    forms = {re.sub(r"\D", "", text)}
    if e164 := to_e164(text, region):
        forms.update(search_digits(text, e164))
    forms.discard("")
    return "(" + " OR ".join(f'"{f}"*' for f in sorted(forms)) + ")" if forms else None


def parse_query(query: str, region: str, field_names: Iterable[str] = ()) -> ParsedQuery:
    """Turn the user's query into FTS5 syntax plus custom-field filters; raise UserError if empty."""
    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    if len(terms) > 1 and looks_like_phone(query):  # "030 23125456": one number typed with spaces
        terms = [re.sub(r"\s+", "", query)]
    known_fields = {field_key(n) for n in field_names}
    parsed = ParsedQuery()
    for term in terms:
        key, sep, value = term.partition(":")
        if sep and value and key.lower() in QUALIFIERS:
            column = QUALIFIERS[key.lower()]
            expr = _phone_expr(value, region) if column == "phone" else _phrase(value)
            if expr:
                parsed.fts.append(f"{column} : {expr}")
            continue
        if sep and value and field_key(key) in known_fields:
            parsed.field_filters.append((field_key(key), value))
            continue
        if looks_like_phone(term):
            expr = _phone_expr(term, region)
            if expr:
                parsed.fts.append(f"phone : {expr}")
            continue
        if expr := _phrase(term):
            parsed.fts.append(expr)
    if not parsed.fts and not parsed.field_filters:
        raise UserError(f"nothing to search for in {query!r}")
    return parsed


_QUALIFIER_LIKE = re.compile(r"^([^\W\d][\w-]*):(?!//)(.+)$", re.UNICODE)


def unknown_qualifiers(query: str, field_names: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """The `word:` prefixes of a query that are neither a qualifier nor a custom field (searched as plain
    words, which is rarely what was meant), each with the closest known name or None. A URL (`https://`)
    or a time (`10:30`) is no qualifier."""
    import difflib

    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    fields = {field_key(n): n for n in field_names}
    known = sorted({*QUALIFIERS, *fields})
    found = []
    for term in terms:
        match = _QUALIFIER_LIKE.match(term)
        if not match:
            continue
        key = match.group(1)
        if key.lower() in QUALIFIERS or field_key(key) in fields:
            continue
        close = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
        found.append((key, fields.get(close[0], close[0]) if close else None))
    return found
