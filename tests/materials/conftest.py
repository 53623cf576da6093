"""Fixtures for the material library: the real library loaded once, and fresh migrated databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from studio.materials.loader import LibraryEntry, load_library
from studio.settings import REPO_ROOT

LIBRARY_DIR = REPO_ROOT / "library"


@pytest.fixture(scope="session")
def library_entries() -> list[LibraryEntry]:
    entries, problems = load_library(LIBRARY_DIR)
    assert not problems, [str(p) for p in problems]
    return entries


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """A freshly migrated, unseeded database (what `studio db upgrade` gives): SQLite, and PostgreSQL
    when STUDIO_TEST_POSTGRES_URL is set."""
    from studio.db.migrate import upgrade

    upgrade(db_url)
    return db_url


@pytest.fixture
def migrated_engine(migrated_url: str) -> Iterator[Engine]:
    from studio.db.engine import make_engine

    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()
