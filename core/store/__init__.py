"""The store: the only package that holds SQL.

Everything that reads or writes the book's tables goes through here, so the schema, the SQLite specifics
and the search index are kept in step in one place (`tests/test_store_boundary.py` fails on SQL anywhere
else in rolo):

- `connection.py`: opening the file: URL/path, pragmas, WAL, schema check, upgrade with a backup;
- `reader.py`: the fast read path (plain sqlite3: read commands never import SQLAlchemy);
- `writer.py`: every insert, update and delete, inside one transaction, the search index kept in step;
- `search.py`: the FTS5 index and the queries over it (the query language is `rolo.core.search`);
- `contact_json.py`: the JSON contact objects built by SQLite (`rolo list --json` on a large book);
- `refs.py`: resolving a REF to a contact;
- `sync_state.py`: links, snapshots, bookmarks, the journal and the conflict log of two-way sync;
- `orm.py`: typed SQLModel objects for library users (`Book.session()`, `Book.contact_model()`).

Reader functions take a DB-API connection (`sqlite3`, `?` parameters): the book's read connection, or the
writer's inside a transaction, so a write sees its own changes. The rest of rolo calls methods: `Book`'s,
the `Writer`'s a transaction yields, and `SyncState`'s (`book.sync_state`, `tx.sync_state`). The Writer
keeps its connection to itself; `Book.db` and `Book.snapshot()` are there for `rolo.core.store` functions.
"""
