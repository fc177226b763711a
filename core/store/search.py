"""The search index: one row per live contact, and the queries over it.

On SQLite the index is a plain FTS5 table keyed by the contact's row id; on PostgreSQL a table of the same
name and columns whose generated `doc` is a weighted `tsvector` (migration 0001). Either is kept current by
`reindex`, which the writer calls inside each write transaction (a contact's text spans seven tables and its
notes log, so triggers would not do). The query language is `rolo.core.search`; it speaks FTS5, which
`_pg_query` reads back into PostgreSQL's terms:

- the columns hold each text's words split and folded as FTS5's `unicode61 remove_diacritics 2` tokenizer
  does (letters and digits, lower case, accents off), so both engines see the same words;
- a term `"w1 w2"*` (a phrase, its last word a prefix) is the tsquery `w1 <-> w2:*`; `col : term` also
  requires the term in that column; `( a OR b )` is `(a | b)`;
- ranking is `ts_rank_cd` (cover density) over the weights (name A; nickname, email, phone B; org, title, labels C; notes and
  custom fields D), then the sort key, as FTS5's bm25 weights put the name first;
- custom-field filters are the same `LIKE 'value%'`, as `ILIKE` (SQLite's LIKE ignores ASCII case), served
  by a `pg_trgm` index.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from rolo.core.phones import search_digits
from rolo.core.record import ContactRecord
from rolo.core.store.postgres import dialect

# The index's columns (qualifiers of the query language name them: rolo.core.search.QUALIFIERS).
COLUMNS = ("name", "nickname", "org", "title", "email", "phone", "notes", "labels", "fields")
# bm25 weights in COLUMNS order: a hit in the name counts most.
_WEIGHTS = "10.0, 6.0, 4.0, 2.0, 5.0, 4.0, 1.0, 2.0, 1.0"


def _document(record: ContactRecord, log_notes: list[str]) -> tuple[str, ...]:
    name = " ".join(
        p for p in (record.formatted_name, record.prefix, record.given_name, record.additional_names,
                    record.family_name, record.suffix) if p
    )
    phones = " ".join(d for p in record.phones for d in search_digits(p.number, p.e164))
    fields = " ".join(
        " ".join(str(v) for v in (value if isinstance(value, list) else [value]))
        for value in record.custom_fields.values()
    )
    return (
        name,
        record.nickname or "",
        " ".join(p for p in (record.organization, record.department) if p),
        record.title or "",
        " ".join(e.address for e in record.emails),
        phones,
        "\n".join([record.notes or "", *log_notes]),
        " ".join(record.labels),
        fields,
    )


def reindex(conn: sqlite3.Connection, records: Iterable[ContactRecord]) -> None:
    """Replace the index entries of these contacts (deleted ones are only removed)."""
    records = [r for r in records if r.id is not None]
    if not records:
        return
    ids = [r.id for r in records]
    notes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for cid, body in conn.execute(
            f"SELECT contact_id, body FROM note WHERE contact_id IN ({marks}) ORDER BY created_at", chunk
        ):
            notes[cid].append(body)
    conn.executemany("DELETE FROM contact_fts WHERE rowid = ?", [(i,) for i in ids])
    documents = [(r.id, *_document(r, notes[r.id])) for r in records]  # type: ignore[index]
    if dialect(conn) == "postgresql":
        documents = [(d[0], *(_words(text) for text in d[1:])) for d in documents]
    conn.executemany(
        f"INSERT INTO contact_fts (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})", documents)


def unindex(conn: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Drop contacts from the index (on delete)."""
    conn.executemany("DELETE FROM contact_fts WHERE rowid = ?", [(i,) for i in ids])


def search_ids(conn: sqlite3.Connection, query: str, region: str, limit: int | None = 50) -> list[int]:
    """Row ids of live contacts matching the query, best first."""
    from rolo.core.search import parse_query  # the query language: not needed by writes, which import this

    field_names = [r[0] for r in conn.execute("SELECT name FROM fielddef")]
    parsed = parse_query(query, region, field_names)
    where, params = ["c.deleted_at IS NULL"], []
    like = "ILIKE" if dialect(conn) == "postgresql" else "LIKE"  # SQLite's LIKE ignores ASCII case already
    for key, value in parsed.field_filters:
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(
            "c.id IN (SELECT fv.contact_id FROM fieldvalue fv JOIN fielddef fd ON fd.id = fv.field_id "
            f"WHERE fd.name_key = ? AND fv.value {like} ? ESCAPE '\\')"
        )
        params += [key, escaped + "%"]
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    if dialect(conn) == "postgresql":
        return _pg_search(conn, parsed.fts, where, params, limit_sql)
    if parsed.fts and not parsed.field_filters and limit:
        # Rank inside the index first and join only the best few to `contact`: broad queries (a label, a
        # two-letter prefix) match thousands of rows, and scoring + joining them all dominated p95.
        sql = (
            f"WITH top AS MATERIALIZED (SELECT rowid AS id, bm25(contact_fts, {_WEIGHTS}) AS score "
            f"FROM contact_fts WHERE contact_fts MATCH ? ORDER BY score LIMIT {4 * int(limit)}) "
            f"SELECT c.id FROM top JOIN contact c ON c.id = top.id WHERE c.deleted_at IS NULL "
            f"ORDER BY top.score, c.sort_key LIMIT {int(limit)}"
        )
        params = [" AND ".join(parsed.fts)]
    elif parsed.fts:
        sql = (
            f"SELECT c.id FROM contact_fts f JOIN contact c ON c.id = f.rowid "
            f"WHERE contact_fts MATCH ? AND {' AND '.join(where)} "
            f"ORDER BY bm25(contact_fts, {_WEIGHTS}), c.sort_key{limit_sql}"
        )
        params = [" AND ".join(parsed.fts), *params]
    else:
        sql = f"SELECT c.id FROM contact c WHERE {' AND '.join(where)} ORDER BY c.sort_key{limit_sql}"
    return [row[0] for row in conn.execute(sql, params)]


# -- PostgreSQL (see the module docstring) -------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_TERM = re.compile(r'^(?:(\w+) : )?(.*)$', re.S)
_PHRASE = re.compile(r'"([^"]*)"(\*?)')


def _fold(text: str) -> str:
    """Lower case without accents, as FTS5's unicode61 tokenizer with remove_diacritics 2."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> str:
    """A text as the words FTS5 would index, space-separated."""
    return " ".join(_TOKEN.findall(_fold(text or "")))


def _tsquery(expr: str) -> str:
    """One FTS5 term of `rolo.core.search` (`"w1 w2"*`, or `( "a"* OR "b"* )`) as tsquery text."""
    alternatives = []
    for words, star in _PHRASE.findall(expr):
        tokens = _TOKEN.findall(_fold(words))
        if not tokens:
            continue
        tokens = [t.replace("'", "") for t in tokens]
        if star:
            tokens[-1] += ":*"
        alternatives.append(" <-> ".join(tokens))
    return "(" + " | ".join(alternatives) + ")" if alternatives else ""


def _pg_search(conn: sqlite3.Connection, fts: list[str], where: list[str], params: list[object],
               limit_sql: str) -> list[int]:
    if not fts:
        sql = f"SELECT c.id FROM contact c WHERE {' AND '.join(where)} ORDER BY c.sort_key{limit_sql}"
        return [row[0] for row in conn.execute(sql, params)]
    whole, per_column, column_params = [], [], []
    for term in fts:
        column, expr = _TERM.match(term).groups()  # type: ignore[union-attr]
        query = _tsquery(expr)
        if not query:
            continue
        whole.append(query)
        if column in COLUMNS:
            per_column.append(f"to_tsvector('simple', coalesce(f.{column}, '')) @@ to_tsquery('simple', ?)")
            column_params.append(query)
    if not whole:
        return []
    sql = (f"SELECT c.id FROM contact_fts f JOIN contact c ON c.id = f.rowid, to_tsquery('simple', ?) q "
           f"WHERE f.doc @@ q AND {' AND '.join([*per_column, *where])} "
           f"ORDER BY ts_rank_cd(f.doc, q) DESC, c.sort_key{limit_sql}")
    return [row[0] for row in conn.execute(sql, [" & ".join(whole), *column_params, *params])]
