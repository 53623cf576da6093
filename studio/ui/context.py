"""What every page needs: the logged-in actor, a database session per action, errors shown in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlmodel import Session

from studio.db.engine import session_scope
from studio.domain.views import Actor
from studio.errors import StudioError
from studio.ui.components import md

ACTOR_KEY = "actor"
TOKEN_KEY = "session_token"  # this browser session's login token (services/sessions.py), kept server-side


def current_actor() -> Actor | None:
    data = st.session_state.get(ACTOR_KEY)
    return Actor.model_validate(data) if data else None


def current_token() -> str | None:
    token = st.session_state.get(TOKEN_KEY)
    return token if isinstance(token, str) else None


def require_actor() -> Actor:
    """Pages are only reachable through the router, but a page never trusts that alone."""
    actor = current_actor()
    if actor is None:
        st.error("请先登录。")
        st.stop()
    return actor


@contextmanager
def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


@contextmanager
def action() -> Iterator[None]:
    """Run one user action: a StudioError becomes a Chinese message, never a traceback."""
    try:
        yield
    except StudioError as error:
        # Messages quote user input (titles, names, template errors): shown as text.
        st.error(md(error.message_zh))
