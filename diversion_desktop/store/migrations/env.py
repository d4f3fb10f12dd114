"""Alembic environment: runs on the engine the application hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from diversion_desktop.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("Alembic was given neither an engine nor sqlalchemy.url.")
        engine = create_engine(url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
