"""Every page of every role renders on the demo data without an exception, in Chinese."""

from __future__ import annotations

import pytest

from studio.domain.enums import Role
from studio.services.seed import DEMO_PASSWORD, USERS
from studio.ui.app import _PAGES, ROLE_PAGES
from tests.ui.conftest import login

CASES = [(username, key) for username, _, role, _ in USERS for key in ROLE_PAGES[Role(role)]]


@pytest.mark.parametrize("username, page", CASES)
def test_page_renders(demo_app, username, page):
    at = login(username, DEMO_PASSWORD)
    at.switch_page(f"studio/pages/{_PAGES[page][0]}").run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert at.title[0].value == _PAGES[page][1]
