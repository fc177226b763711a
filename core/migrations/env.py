"""Alembic environment: runs on the connection that rolo.core.store.connection hands over in `attributes`."""

from alembic import context
from sqlmodel import SQLModel

import rolo.core.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import rolo.core.sync.models  # noqa: F401  (the sync state tables)
import rolo.core.history.models  # noqa: F401  (the history tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("rolo migrations run through rolo.core.store.connection, which supplies the connection")

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
