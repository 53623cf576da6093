"""A sample of services, each refused to an actor of the wrong role and to one of another branch.

World (tests/conftest.py): HQ with branches JX (sub-branches JX-A, JX-B) and GX (GX-A); `jx_reviewer` is a
reviewer at JX, `loc_a` the localiser of JX-A, `loc_gx` of GX-A.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from studio.db.models import AuditEvent, Org
from studio.domain.enums import Decision
from studio.errors import PermissionDenied
from studio.materials.exporter import export_library
from studio.services import calendar, month_view, orgs, planning, reviews, templates
from studio.workflow import audit
from tests.conftest import decide_now


def _approved_variant(world):  # type: ignore[no-untyped-def]
    """An approved JX-A variant of an approved HQ template."""
    from studio.services import variants

    draft = templates.TemplateDraft(
        title="防诈骗提醒",
        body="{{ city }}的朋友们，{{ branch_name }}提醒您：谨防诈骗。",
        content_type="knowledge",
        channel="moments",
    )
    t = templates.create_template(world.session, world.actor("editor"), draft)
    decide_now(world.session, world.actor("reviewer"), "template_version", t.version_id, Decision.APPROVE)
    v = variants.localise(
        world.session, world.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "章贡"}
    )
    decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    return t, v


def _org(world, code: str) -> Org:  # type: ignore[no-untyped-def]
    return world.session.exec(select(Org).where(Org.code == code)).one()


def _events(world, action: str) -> int:  # type: ignore[no-untyped-def]
    return len(world.session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_staff_cannot_export_the_audit_log(world):
    with pytest.raises(PermissionDenied):
        audit.export_csv(world.session, world.actor("staff_a"))
    assert _events(world, "audit.export") == 0
    assert "seq" in audit.export_csv(world.session, world.actor("admin")).splitlines()[0]
    assert _events(world, "audit.export") == 1


def test_a_branch_reviewer_cannot_read_the_whole_networks_audit_log(world):
    # Same role as HQ's reviewers, but the log names every org's content: only the head office reads it.
    jx_reviewer = world.actor("jx_reviewer")
    for read in (
        lambda: audit.export_csv(world.session, jx_reviewer),
        lambda: audit.list_events(world.session, jx_reviewer),
        lambda: audit.actions(world.session, jx_reviewer),
    ):
        with pytest.raises(PermissionDenied):
            read()
    audit.export_csv(world.session, world.actor("admin"))  # one event for HQ's reviewer to see
    assert audit.list_events(world.session, world.actor("reviewer")).total == 1


def test_withdraw_needs_the_capability_and_the_subtree(world):
    _, v = _approved_variant(world)
    for outsider in ("staff_a", "admin", "loc_gx", "loc_b"):
        with pytest.raises(PermissionDenied):
            reviews.withdraw(world.session, world.actor(outsider), v.id, "不再使用")
    reviews.withdraw(world.session, world.actor("loc_a"), v.id, "不再使用")
    assert _events(world, "variant.withdraw") == 1


def test_expiry_runs_only_for_the_head_office(world):
    for outsider in ("staff_a", "loc_a", "jx_reviewer"):
        with pytest.raises(PermissionDenied):
            reviews.expire_due(world.session, world.actor(outsider), date(2099, 1, 1))
    assert reviews.expire_due(world.session, world.actor("admin"), date(2020, 1, 1)) == 0


def test_calendar_export_checks_role_and_subtree(world, tmp_path):
    _approved_variant(world)
    tmp_path = tmp_path / "out"  # the fixture's tmp_path also holds the database
    tmp_path.mkdir()
    with pytest.raises(PermissionDenied):
        list(planning.export_month(world.session, world.actor("staff_a"), "JX-A", "2099-12", tmp_path))
    with pytest.raises(PermissionDenied):
        list(
            planning.export_month(
                world.session, world.actor("loc_gx"), "JX-A", "2099-12", tmp_path, ("json",)
            )
        )
    with pytest.raises(PermissionDenied):
        planning.refresh_document(world.session, world.actor("loc_gx"), _org(world, "JX-A"), "2099-12")
    with pytest.raises(PermissionDenied):
        planning.export_all_parallel(
            world.session, world.actor("staff_a"), "unused://", "2099-12", tmp_path, ("json",), jobs=2
        )
    assert not any(tmp_path.iterdir())
    # --all for a branch's localiser is its own subtree, not every branch of the bank.
    docs = list(
        planning.export_month(world.session, world.actor("loc_a"), None, "2099-12", tmp_path, ("json",))
    )
    assert [d.org_code for d in docs] == ["JX-A"]
    event = world.session.exec(select(AuditEvent).where(AuditEvent.action == "calendar.export")).one()
    assert event.actor == "loc_a"


def test_calendar_reads_stop_at_the_subtree(world):
    loc_gx, jx_a = world.actor("loc_gx"), _org(world, "JX-A")
    for read in (
        lambda: orgs.get_org(world.session, loc_gx, jx_a.id),
        lambda: orgs.ancestors(world.session, loc_gx, jx_a),
        lambda: calendar.month_slots(world.session, loc_gx, jx_a.id, 2099, 12),
        lambda: month_view.month_view(world.session, loc_gx, jx_a.id, "2099-12"),
        lambda: planning.propose_month(world.session, loc_gx, jx_a.id, "2099-12"),
    ):
        with pytest.raises(PermissionDenied):
            read()
    # The branch above JX-A sees it.
    assert orgs.get_org(world.session, world.actor("jx_reviewer"), jx_a.id).code == "JX-A"


def test_template_and_policy_reads_check_the_role(world, tmp_path):
    t, _ = _approved_variant(world)
    with pytest.raises(PermissionDenied):
        templates.get_version(world.session, world.actor("staff_a"), t.version_id)
    with pytest.raises(PermissionDenied):
        templates.latest_version(world.session, world.actor("staff_a"), t.id)
    for outsider in ("staff_a", "loc_a", "editor"):
        with pytest.raises(PermissionDenied):
            reviews.policies(world.session, world.actor(outsider))
    with pytest.raises(PermissionDenied):
        export_library(world.session, world.actor("staff_a"), tmp_path)
    assert templates.get_version(world.session, world.actor("loc_a"), t.version_id).id == t.version_id
