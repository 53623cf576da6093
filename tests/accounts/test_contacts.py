"""E-cards (services/contacts.py): who may set whose contact link and title, what is checked, what is audited."""

from __future__ import annotations

import pytest
from sqlmodel import select

from studio.db.models import AuditEvent, User
from studio.domain.enums import Role
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.services import contacts
from studio.services.orgs import create_user
from tests.conftest import PASSWORD
from tests.qr_decode import decode_qr

LINK = "https://work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f"


def _user(world, username: str) -> User:  # type: ignore[no-untyped-def]
    return world.session.exec(select(User).where(User.username == username)).one()


def _events(world) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(world.session.exec(select(AuditEvent).where(AuditEvent.action == "user.contact_change")))


def test_staff_set_their_own_card_and_it_is_audited_without_the_link(world):
    staff = world.actor("staff_a")
    card = contacts.set_contact(
        world.session, staff, staff.user_id, " HTTPS://Work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f\n", "客户经理"
    )
    assert (card.contact_link, card.job_title, card.host) == (LINK, "客户经理", "work.weixin.qq.com")
    assert (card.username, card.org_name) == ("staff_a", "章贡支行")
    stored = _user(world, "staff_a")
    assert (stored.contact_link, stored.job_title) == (LINK, "客户经理")
    [event] = _events(world)
    assert event.actor == "staff_a" and event.subject == f"user:{staff.user_id}"
    assert event.details["host"] == "work.weixin.qq.com" and event.details["old_host"] is None
    assert event.details["job_title"] == "客户经理" and len(event.details["link_sha256"]) == 16
    assert LINK not in str(event.details) and "cawcde" not in str(event.details)
    assert contacts.contact_of(world.session, staff, staff.user_id) == card


def test_saving_the_same_card_again_writes_nothing(world):
    staff = world.actor("staff_a")
    contacts.set_contact(world.session, staff, staff.user_id, LINK, "客户经理")
    contacts.set_contact(world.session, staff, staff.user_id, LINK + " ", " 客户经理")
    assert len(_events(world)) == 1


def test_clearing_the_card(world):
    staff = world.actor("staff_a")
    contacts.set_contact(world.session, staff, staff.user_id, LINK, "客户经理")
    card = contacts.set_contact(world.session, staff, staff.user_id, "", None)
    assert (card.contact_link, card.job_title, card.host) == (None, None, None)
    assert _events(world)[-1].details["old_host"] == "work.weixin.qq.com"
    assert contacts.contact_qr_png(world.session, staff, staff.user_id) is None


@pytest.mark.parametrize(
    "link",
    ["http://work.weixin.qq.com/ca/x", "https://work.weixin.qq.com.evil.cn/ca/x", "javascript:alert(1)"],
)
def test_a_refused_link_stores_nothing(world, link):
    staff = world.actor("staff_a")
    with pytest.raises(ValidationError) as refused:
        contacts.set_contact(world.session, staff, staff.user_id, link, "客户经理")
    assert refused.value.message_zh.startswith("联系链接未接受")
    world.session.rollback()
    assert _user(world, "staff_a").contact_link is None and not _events(world)


@pytest.mark.parametrize(
    ("title", "code"), [("最佳理财经理", "ADV001"), ("第一理财师", "ADV001"), ("保本专家", "INV001")]
)
def test_a_title_the_engine_refuses_is_refused_with_the_rules_message(world, title, code):
    staff = world.actor("staff_a")
    with pytest.raises(ValidationError) as refused:
        contacts.set_contact(world.session, staff, staff.user_id, LINK, title)
    assert code in refused.value.message_zh and "职务未通过合规检查" in refused.value.message_zh
    assert "不得" in refused.value.message_zh  # the rule's own message follows
    world.session.rollback()
    assert _user(world, "staff_a").job_title is None


def test_staff_cannot_touch_another_users_card(world):
    staff, other = world.actor("staff_a"), _user(world, "staff_b")
    with pytest.raises(PermissionDenied):
        contacts.set_contact(world.session, staff, other.id or 0, LINK, "客户经理")
    with pytest.raises(PermissionDenied):
        contacts.contact_of(world.session, staff, other.id or 0)
    with pytest.raises(PermissionDenied):  # a missing user looks the same as someone else's
        contacts.contact_of(world.session, staff, 999_999)
    assert _user(world, "staff_b").contact_link is None


@pytest.mark.parametrize("username", ["loc_a", "loc_gx", "editor", "reviewer"])
def test_only_admins_set_someone_elses_card(world, username):
    """A localiser of the staff member's own branch is refused as well as one of another branch."""
    target = _user(world, "staff_a")
    with pytest.raises(PermissionDenied):
        contacts.set_contact(world.session, world.actor(username), target.id or 0, LINK, "客户经理")


def test_an_admin_sets_cards_within_their_scope_only(world):
    admin, target = world.actor("admin"), _user(world, "staff_a")
    card = contacts.set_contact(world.session, admin, target.id or 0, LINK, "大堂经理")
    assert card.job_title == "大堂经理"
    assert _events(world)[0].actor == "admin"
    with pytest.raises(NotFound):
        contacts.contact_of(world.session, admin, 999_999)
    create_user(
        world.session,
        username="gx_admin",
        display_name="桂林管理员",
        password=PASSWORD,
        role=Role.ADMIN,
        org_code="GX",
    )
    world.session.commit()
    gx_admin = world.actor("gx_admin")
    with pytest.raises(PermissionDenied):
        contacts.set_contact(world.session, gx_admin, target.id or 0, LINK, "客户经理")
    assert contacts.contact_of(world.session, gx_admin, gx_admin.user_id).contact_link is None


def test_the_qr_code_reads_back_as_the_link(world):
    staff = world.actor("staff_a")
    contacts.set_contact(world.session, staff, staff.user_id, LINK + "?a=1&b=%E4%B8%AD", None)
    png = contacts.contact_qr_png(world.session, staff, staff.user_id)
    assert png is not None and png.startswith(b"\x89PNG") and decode_qr(png) == LINK + "?a=1&b=%E4%B8%AD"


def test_the_operator_sets_a_card_from_the_shell(world):
    card = contacts.set_contact_as_operator(world.session, "staff_b", LINK, "客户经理")
    assert card.contact_link == LINK and _events(world)[0].actor_id is None
    kept = contacts.set_contact_as_operator(world.session, "staff_b", LINK + "x", None, keep_title=True)
    assert kept.job_title == "客户经理" and _events(world)[-1].details["via"] == "cli"
    with pytest.raises(NotFound):
        contacts.set_contact_as_operator(world.session, "nobody", LINK, None)
    with pytest.raises(ValidationError):
        contacts.set_contact_as_operator(world.session, "staff_b", LINK, "最佳经理")
