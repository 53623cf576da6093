"""Single sign-on on the login page: Streamlit's `st.login` with the [auth] section of .streamlit/secrets.toml.

Without [auth] nothing here shows. With it, the login page offers 使用单位统一身份登录; the provider sends the
browser back with a fresh `st.user`, which `studio.services.sso.authenticate_identity` maps to a studio user.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from studio.domain.views import Actor
from studio.errors import SsoExpired, SsoRefused
from studio.ui.components import md
from studio.ui.context import db

SSO_BUTTON = "使用单位统一身份登录"
# The identity (issuer, subject, issued-at) this session already refused, and the words shown for it: a
# rerun shows them again rather than recording the same refusal once per click.
_REFUSED_KEY = "sso_refused"


def configured() -> bool:
    """Whether an [auth] section configures an OIDC provider (the embedded default has none)."""
    try:
        return st.secrets.load_if_toml_exists() and "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def _identity() -> dict[str, object] | None:
    """The provider's claims when `st.user` holds a logged-in identity, else None."""
    if not configured() or not st.user.get("is_logged_in"):
        return None
    return dict(st.user.to_dict())


def sign_in(client: str) -> Actor | None:
    """The studio user of the identity the provider just vouched for; None when there is none to map (not
    configured, not signed in at the provider, or too old to accept without a new sign-in)."""
    claims = _identity()
    if claims is None:
        return None
    fingerprint = f"{claims.get('iss')}|{claims.get('sub')}|{claims.get('iat')}"
    refused = st.session_state.get(_REFUSED_KEY)
    if refused and refused[0] == fingerprint:
        return None
    from studio.services.sso import authenticate_identity

    try:
        with db() as session:
            return authenticate_identity(session, claims, client=client)
    except SsoExpired:
        return None
    except SsoRefused as error:
        st.session_state[_REFUSED_KEY] = (fingerprint, error.message_zh)
        return None


def login_options() -> None:
    """The SSO button, and why the last identity was refused (shown as text: it quotes the claim)."""
    refused = st.session_state.get(_REFUSED_KEY)
    if refused:
        st.error(md(refused[1]), icon=":material/person_off:")
    if st.button(SSO_BUTTON, type="primary", key="sso_login", icon=":material/badge:"):
        st.login()


def identity_logged_in() -> bool:
    return _identity() is not None


def sign_out() -> None:
    """Drop Streamlit's identity cookie as well (st.logout redirects), so a new tab does not sign in again."""
    st.logout()
    st.stop()
