"""Shared fixtures. Every database test runs on SQLite and, when STUDIO_TEST_POSTGRES_URL is set, on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

import studio.db.models  # noqa: F401
from studio.db.engine import make_engine
from studio.db.models import User
from studio.domain.enums import OrgKind, Role
from studio.domain.views import Actor
from studio.services.auth import actor_for, hash_password
from studio.services.orgs import create_org

POSTGRES_URL = os.environ.get("STUDIO_TEST_POSTGRES_URL", "")
PASSWORD = "Test@2026"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each test keeps its audit key and audit anchors in its own data directory, never the repo's.

    A fixture that already chose a data directory (the UI's module-scoped demo database) keeps it.
    """
    from studio.settings import get_settings

    if "STUDIO_DATA_DIR" not in os.environ:
        monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    for name in ("STUDIO_AUDIT_KEY", "STUDIO_AUDIT_KEY_FILE", "STUDIO_AUDIT_ANCHOR_DIR"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    if not POSTGRES_URL:
        pytest.skip("STUDIO_TEST_POSTGRES_URL not set: PostgreSQL variant skipped")
    return POSTGRES_URL


def _fresh_postgres(admin_url: str) -> tuple[str, Engine]:
    """A throwaway database per test, so tests never see each other's rows."""
    name = f"studio_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", admin


def _drop_postgres(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'studio.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url, _ = _fresh_postgres(admin_url)
    try:
        yield url
    finally:
        _drop_postgres(admin_url, url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@dataclass
class World:
    """A small org tree with one user per role; `actor(name)` gives the logged-in view."""

    session: Session

    def actor(self, username: str) -> Actor:
        user = self.session.exec(select(User).where(User.username == username)).one()
        return actor_for(self.session, user)


ORGS = (
    ("HQ", "总行", OrgKind.HQ, None, None, None),
    ("JX", "赣州分行", OrgKind.BRANCH, "HQ", "江西", "赣州"),
    ("GX", "桂林分行", OrgKind.BRANCH, "HQ", "广西", "桂林"),
    ("JX-A", "章贡支行", OrgKind.SUB_BRANCH, "JX", "江西", "赣州"),
    ("JX-B", "南康支行", OrgKind.SUB_BRANCH, "JX", "江西", "赣州"),
    ("GX-A", "秀峰支行", OrgKind.SUB_BRANCH, "GX", "广西", "桂林"),
)
USERS = (
    ("editor", Role.HQ_EDITOR, "HQ"),
    ("reviewer", Role.REVIEWER, "HQ"),
    ("reviewer2", Role.REVIEWER, "HQ"),
    ("jx_reviewer", Role.REVIEWER, "JX"),
    ("loc_a", Role.BRANCH_LOCALISER, "JX-A"),
    ("loc_b", Role.BRANCH_LOCALISER, "JX-B"),
    ("loc_gx", Role.BRANCH_LOCALISER, "GX-A"),
    ("staff_a", Role.STAFF, "JX-A"),
    ("staff_b", Role.STAFF, "JX-B"),
    ("admin", Role.ADMIN, "HQ"),
)


def build_world(session: Session) -> World:
    codes = {}
    for code, name, kind, parent, province, city in ORGS:
        codes[code] = create_org(
            session, code=code, name=name, kind=kind, parent_code=parent, province=province, city=city
        )
    for username, role, org in USERS:
        session.add(
            User(
                username=username,
                display_name=username,
                password_hash=password_hash(),
                role=role.value,
                org_id=codes[org].id,
            )
        )
    session.commit()
    return World(session)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def decide_now(
    session: Session, actor: Actor, subject_type: str, subject_id: int, decision, comment: str = ""
):  # type: ignore[no-untyped-def]
    """A reviewer who opens the item now and decides it (for tests that are not about stale versions)."""
    from studio.services import reviews

    seen = reviews.current_version(session, actor, subject_type, subject_id)
    return reviews.decide(session, actor, subject_type, subject_id, decision, comment, seen=seen)
