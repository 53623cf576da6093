"""The paging guard itself: it sees a whole-table read, and the data version moves with every change."""

from __future__ import annotations

import pytest
from sqlmodel import select

from studio.db.models import User
from studio.errors import StudioError
from studio.services.auth import authenticate, logout
from studio.services.data_version import audit_head, data_version
from studio.services.templates import TemplateDraft, create_template
from tests.bounded import rows_per_query
from tests.conftest import PASSWORD


def test_guard_counts_rows_of_each_select(world, engine):
    with rows_per_query(engine) as log:
        world.session.exec(select(User)).all()
        world.session.exec(select(User).limit(2)).all()
    counts = [n for n, sql in log.queries if "app_user" in sql]
    assert counts == [10, 2]
    assert log.largest == 10 and len(log.over(5)) == 1


def test_data_version_moves_with_a_change_and_only_then(world):
    before = data_version(world.session)
    assert data_version(world.session) == before
    create_template(world.session, world.actor("editor"), TemplateDraft(title="问候", body="您好！"))
    assert data_version(world.session) > before


def test_sign_ins_do_not_move_the_data_version_but_move_the_audit_head(world):
    """Thousands of logins a morning must not empty every page cache; the audit log page still sees them."""
    version, head = data_version(world.session), audit_head(world.session)
    actor = authenticate(world.session, "editor", PASSWORD)
    with pytest.raises(StudioError):
        authenticate(world.session, "editor", "wrong password")
    logout(world.session, actor)
    world.session.commit()
    assert data_version(world.session) == version
    assert audit_head(world.session) >= head + 3
    create_template(world.session, world.actor("editor"), TemplateDraft(title="问候", body="您好！"))
    assert data_version(world.session) == audit_head(world.session) > head + 3
