"""The browser's half of a login session: the cookie that holds its opaque token (services/sessions.py).

Streamlit gives a script no way to answer with a Set-Cookie header, so the cookie is written by a one-line
script in the page (`st.html` with JavaScript, not iframed: it runs in the app's own document) and read
back on the server from the WebSocket handshake (`st.context.cookies`), which carries it on every new
connection: a refresh, a new tab, a deep link. What this protects and what not: README.md, Sessions.

The script holds only the token this module was handed (`secrets.token_urlsafe`, checked against its
alphabet here) and the cookie name from the settings (checked by the settings): never user text.
"""

from __future__ import annotations

import json
import re

import streamlit as st

from studio.settings import get_settings

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def read() -> str | None:
    """The token the browser sent when this connection opened (a later write shows after a reload)."""
    value = st.context.cookies.get(get_settings().session_cookie_name)
    return value if isinstance(value, str) and value else None  # AppTest has no real cookies


def _write(value: str, max_age: int) -> None:
    settings = get_settings()
    attributes = f"Path=/; Max-Age={max_age}; SameSite=Strict" + (
        "; Secure" if settings.session_cookie_secure else ""
    )
    cookie = f"{settings.session_cookie_name}={value}; {attributes}"
    # Nothing to show: the element only carries the script (no user text; see the module doc).
    st.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def store(token: str) -> None:
    """Keep the token in the browser for the session's absolute lifetime (the server enforces every expiry)."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("not a session token")
    _write(token, round(get_settings().session_absolute_hours * 3600))


def forget() -> None:
    """Delete the cookie (logout, or a token the server no longer accepts)."""
    _write("", 0)
