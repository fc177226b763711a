"""A REF on the command line: the forms the book resolves (uid, uid prefix, alias, email, phone), and failing
those, a name or any search term (`rolo show zoe`, `rolo edit "Zoë Hart"`).

The book's own forms come first and behave exactly as before, so a REF that worked keeps naming the same
contact. Only a REF that names nothing that way is searched: one hit acts; several are a numbered picker on a
terminal and, in a script, an error listing the candidates (exit 2) so nothing acts on a guess.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

import click

from rolo.core.cli.prompts import choose, interactive
from rolo.core.errors import AmbiguousRefError, NotFoundError, UserError

if TYPE_CHECKING:
    from rolo.core.cli.context import Env
    from rolo.core.record import ContactRecord

#: candidates listed (and offered by the picker) for an ambiguous name; more are counted, not shown
MAX_CANDIDATES = 20


class AmbiguousNameError(AmbiguousRefError):
    """A name or search term matched several contacts where no one could choose (not a terminal)."""

    exit_code = 2  # the command line did not say which contact: a usage error, as click's exit 2


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFKD", " ".join(text.split()).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def same_name(name: str, ref: str) -> bool:
    """Whether REF is the whole NAME, ignoring case, accents and spacing."""
    return _folded(name) == _folded(ref)


def candidate_line(record: ContactRecord) -> str:
    """A contact as one candidate line: name, primary email, uid."""
    email = next((e.address for e in record.emails if e.primary), record.emails[0].address if record.emails else "")
    return "  ".join(part for part in (record.display_name(), email, record.uid) if part)


def _search(env: Env, ref: str) -> list[ContactRecord]:
    try:
        return env.book.search(ref, limit=MAX_CANDIDATES + 1)
    except UserError:  # nothing searchable in it ("!!!"): it names nothing
        return []


def find_by_name(env: Env, ref: str) -> list[ContactRecord]:
    """The contacts a name or search term REF names: its search hits, or the one hit whose whole name is
    REF (ignoring case and accents) when there is exactly one such (`Ann Lee` beside `Ann Leeds`)."""
    hits = _search(env, ref)
    exact = [r for r in hits if same_name(r.display_name(), ref)]
    return exact if len(exact) == 1 else hits


def _count(total: int) -> str:
    return f"more than {MAX_CANDIDATES}" if total > MAX_CANDIDATES else str(total)


def ambiguous(ref: str, lines: list[str], total: int | None = None) -> AmbiguousNameError:
    """The error for a REF that names several contacts: a one-line summary, then one candidate a line."""
    shown = lines[:MAX_CANDIDATES]
    summary = (f"{ref!r} matches {_count(len(lines) if total is None else total)} contacts; name one by its uid "
               f"or email (on a terminal, choose from a list):")
    return AmbiguousNameError("\n".join([summary, *(f"  {line}" for line in shown)]), candidates=shown)


def pick(ref: str, lines: list[str], total: int | None = None) -> int:
    """Which of several candidates (one line each) REF means: a numbered picker on a terminal (Enter or q:
    UserError, exit 1, nothing written), else AmbiguousNameError listing them."""
    if not interactive():
        raise ambiguous(ref, lines, total)
    shown = lines[:MAX_CANDIDATES]
    total = len(lines) if total is None else total
    more = f" (the first {len(shown)} shown)" if total > len(shown) else ""
    return choose(f"{ref!r} matches {_count(total)} contacts{more}:", shown,
                  cancelled=f"no contact chosen for {ref!r}; nothing changed")


def words_match(ref: str, text: str) -> bool:
    """Whether every word of REF starts a word of TEXT, ignoring case and accents (as search matches)."""
    have = re.findall(r"\w+", _folded(text))
    return all(any(w.startswith(word) for w in have) for word in re.findall(r"\w+", _folded(ref))) and bool(
        re.search(r"\w", ref))


def resolve_contact(env: Env, ref: str) -> ContactRecord:
    """The one contact REF names on the command line (see the module docstring); NotFoundError when it names
    none, a picker or AmbiguousNameError when it names several."""
    try:
        return env.book.get(ref)
    except AmbiguousRefError as exc:
        if not interactive():
            raise  # as before: its message lists the candidates ("uid (name)" each)
        # a uid prefix, email or phone several contacts share: the person chooses among them
        records = [env.book.get(candidate.split(" (", 1)[0]) for candidate in exc.candidates]
    except NotFoundError:
        records = find_by_name(env, ref)
        if not records:
            raise  # the same error as before names were searched
    if len(records) == 1:
        return records[0]
    return records[pick(ref, [candidate_line(r) for r in records])]


def resolve_contacts(env: Env, refs: tuple[str, ...] | list[str]) -> list[ContactRecord]:
    """The contacts several REFs name, each once, in order. All or nothing: every REF that names no contact
    is named in one one-line error, and then none is returned."""
    found: dict[str, ContactRecord] = {}
    missing: list[tuple[str, NotFoundError]] = []
    for ref in refs:
        try:
            record = resolve_contact(env, ref)
        except NotFoundError as exc:
            missing.append((ref, exc))
            continue
        found.setdefault(record.uid, record)
    if len(missing) == 1:
        ref, exc = missing[0]
        if len(refs) == 1:
            raise exc
        raise NotFoundError(f"{exc}; nothing changed", hint=exc.hint)
    if missing:
        names = ", ".join(dict.fromkeys(repr(ref) for ref, _ in missing))
        raise NotFoundError(f"no contact matches {names} ({len(missing)} of {len(refs)} REFs); nothing changed")
    return list(found.values())


class ContactRef(click.ParamType):
    """A click argument type: a REF, converted to the uid of the contact it names (asking on a terminal
    when a name matches several), so the command acts on exactly one contact."""

    name = "REF"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from rolo.core.cli.context import Env

        env = ctx.find_object(Env) if ctx is not None else None
        if env is None or (ctx is not None and ctx.resilient_parsing):  # shell completion: do not open the book
            return str(value)
        return resolve_contact(env, str(value)).uid


CONTACT_REF = ContactRef()
