"""Alembic migrations of the book's schema. `rolo.core.storage` runs them; there is no alembic.ini."""
