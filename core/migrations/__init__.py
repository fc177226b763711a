"""Alembic migrations of the book's schema. `rolo.core.store.connection` runs them; there is no alembic.ini."""
