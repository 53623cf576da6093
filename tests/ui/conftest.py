"""AppTest against the real router, each test on its own migrated SQLite database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from studio.db import engine as engine_module
from studio.db import migrate
from studio.settings import get_settings
from tests.conftest import PASSWORD, World, build_world

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def app_world(tmp_path, monkeypatch) -> Iterator[World]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("STUDIO_DATABASE_URL", url)
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()
    migrate.upgrade(url)
    from sqlmodel import Session

    with Session(engine_module.default_engine(), expire_on_commit=False) as session:
        yield build_world(session)
    engine_module.default_engine().dispose()
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()


def _use_demo_dir(patch: pytest.MonkeyPatch, path: Path) -> str:
    url = f"sqlite:///{path / 'demo.db'}"
    patch.setenv("STUDIO_DATABASE_URL", url)
    patch.setenv("STUDIO_DATA_DIR", str(path))
    patch.setenv("STUDIO_CALENDARS_DIR", str(path / "calendars"))
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()
    return url


@pytest.fixture(scope="session")
def _seeded_demo_dir(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The demo seeded once per test run (it renders posters: most of a minute); modules get copies."""
    path = tmp_path_factory.mktemp("demo-seeded")
    patch = pytest.MonkeyPatch()
    url = _use_demo_dir(patch, path)
    migrate.upgrade(url)
    from sqlmodel import Session

    from studio.services.seed import seed_demo

    with Session(engine_module.default_engine(), expire_on_commit=False) as session:
        seed_demo(session)
    engine_module.default_engine().dispose()
    patch.undo()
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()
    return path


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory, _seeded_demo_dir: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The `make run` demo database (database, images, audit key), a fresh copy for each module."""
    path = tmp_path_factory.mktemp("demo")
    shutil.copytree(_seeded_demo_dir, path, dirs_exist_ok=True)
    patch = pytest.MonkeyPatch()
    url = _use_demo_dir(patch, path)
    yield url
    engine_module.default_engine().dispose()
    patch.undo()
    get_settings.cache_clear()
    engine_module.engine_for.cache_clear()


def by_label(elements, label: str):  # type: ignore[no-untyped-def]
    for element in elements:
        if element.label == label or element.label.startswith(label):
            return element
    raise AssertionError(f"no element labelled {label!r}: {[e.label for e in elements]}")


def login(username: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    at.run()
    by_label(at.text_input, "用户名").input(username)
    by_label(at.text_input, "密码").input(password)
    by_label(at.button, "登录").click().run()
    assert not at.exception, at.exception
    return at
