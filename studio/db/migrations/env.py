"""Alembic environment: the URL is the studio's setting unless the caller put one in the config."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import studio.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from studio.db.engine import make_engine
from studio.materials.search import is_index_object

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from studio.settings import get_settings

    return get_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _include_name(name, type_, parent_names) -> bool:
    """The library's full-text index (FTS5 tables, tsvector column, GIN index) is built by DDL the models
    cannot describe (studio.materials.search); autogenerate must not see it as drift. Nor is the job
    queue's schema (procrastinate_*, migration 0012), which procrastinate owns."""
    return not is_index_object(name) and not str(name or "").startswith("procrastinate_")


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
