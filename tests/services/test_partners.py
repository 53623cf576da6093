"""Partners (关键人, services/partners.py): who keeps which, their tracked links and QR codes, scope."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select

from studio.db.models import AuditEvent, Org, Partner, User
from studio.domain.enums import PartnerKind
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.services import contacts, partners
from tests.qr_decode import decode_qr

LINK = "https://work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f?comp_scene=ENC%2Fab&from=card"


def _id(world, username: str) -> int:  # type: ignore[no-untyped-def]
    return world.session.exec(select(User.id).where(User.username == username)).one()


def _org(world, code: str) -> int:  # type: ignore[no-untyped-def]
    return world.session.exec(select(Org.id).where(Org.code == code)).one()


@pytest.fixture
def carded(world):  # type: ignore[no-untyped-def]
    """staff_a (章贡支行) and staff_b (南康支行) have contact links."""
    for username in ("staff_a", "staff_b"):
        actor = world.actor(username)
        contacts.set_contact(world.session, actor, actor.user_id, LINK, None)
    return world


def test_a_localiser_adds_a_partner_for_a_staff_member_and_its_link_is_tracked(carded):
    loc = carded.actor("loc_a")
    made = partners.create_partner(
        carded.session, loc, _id(carded, "staff_a"), " 章贡区商会 ", PartnerKind.CHAMBER
    )
    assert re.fullmatch(r"[a-z0-9]{10}", made.code)
    assert (made.name, made.kind, made.owner_name, made.org_name, made.active) == (
        "章贡区商会",
        PartnerKind.CHAMBER,
        "staff_a",
        "章贡支行",
        True,
    )
    # the owner's parameters stay exactly as written; the partner's channel is added at the end
    assert made.tracked_link == f"{LINK}&customer_channel=p_{made.code}"
    assert partners.list_partners(carded.session, loc, loc.org_id) == [made]
    event = carded.session.exec(select(AuditEvent).where(AuditEvent.action == "partner.create")).one()
    assert (
        event.actor == "loc_a" and event.details["code"] == made.code and event.details["owner"] == "staff_a"
    )


def test_the_qr_code_decodes_to_the_tracked_link(carded):
    loc = carded.actor("loc_a")
    made = partners.create_partner(
        carded.session, loc, _id(carded, "staff_a"), "七里村村委会", PartnerKind.VILLAGE
    )
    png = partners.partner_qr_png(carded.session, loc, made.id)
    assert decode_qr(png) == made.tracked_link


def test_the_tracked_link_follows_the_owners_current_link(carded):
    staff = carded.actor("staff_a")
    made = partners.create_partner(
        carded.session, staff, staff.user_id, "助农服务点", PartnerKind.SERVICE_STATION
    )
    new = "https://work.weixin.qq.com/ca/cawcdeffff?customer_channel=staff_a"
    contacts.set_contact(carded.session, staff, staff.user_id, new, None)
    [row] = partners.list_partners(carded.session, staff, staff.org_id)
    assert row.tracked_link == f"https://work.weixin.qq.com/ca/cawcdeffff?customer_channel=p_{made.code}"
    contacts.set_contact(carded.session, staff, staff.user_id, None, None)
    [row] = partners.list_partners(carded.session, staff, staff.org_id)
    assert row.tracked_link is None
    with pytest.raises(ValidationError, match="no contact link"):
        partners.partner_qr_png(carded.session, staff, made.id)


def test_an_owner_without_a_link_is_refused(carded):
    with pytest.raises(ValidationError) as refused:
        partners.create_partner(
            carded.session, carded.actor("loc_a"), _id(carded, "loc_a"), "商会", PartnerKind.CHAMBER
        )
    assert "尚未设置联系链接" in refused.value.message_zh


def test_staff_keep_only_their_own_partners(carded):
    staff, loc = carded.actor("staff_a"), carded.actor("loc_a")
    mine = partners.create_partner(carded.session, staff, staff.user_id, "我的商会", PartnerKind.CHAMBER)
    contacts.set_contact(carded.session, loc, loc.user_id, LINK, None)
    theirs = partners.create_partner(carded.session, loc, loc.user_id, "网点商会", PartnerKind.CHAMBER)
    assert [p.id for p in partners.list_partners(carded.session, staff, staff.org_id)] == [mine.id]
    assert {p.id for p in partners.list_partners(carded.session, loc, loc.org_id)} == {mine.id, theirs.id}
    for attempt in (
        lambda: partners.create_partner(carded.session, staff, loc.user_id, "冒名", PartnerKind.OTHER),
        lambda: partners.update_partner(carded.session, staff, theirs.id, "改名", PartnerKind.OTHER),
        lambda: partners.set_partner_active(carded.session, staff, theirs.id, False),
        lambda: partners.partner_qr_png(carded.session, staff, theirs.id),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert [o.user_id for o in partners.partner_owners(carded.session, staff, staff.org_id)] == [
        staff.user_id
    ]


def test_another_branch_is_out_of_scope(carded):
    made = partners.create_partner(
        carded.session, carded.actor("loc_a"), _id(carded, "staff_a"), "章贡商会", PartnerKind.CHAMBER
    )
    other = carded.actor("loc_b")  # 南康支行, a sibling
    for attempt in (
        lambda: partners.list_partners(carded.session, other, _org(carded, "JX-A")),
        lambda: partners.partner_owners(carded.session, other, _org(carded, "JX-A")),
        lambda: partners.create_partner(
            carded.session, other, _id(carded, "staff_a"), "越界", PartnerKind.OTHER
        ),
        lambda: partners.update_partner(carded.session, other, made.id, "越界", PartnerKind.OTHER),
        lambda: partners.set_partner_active(carded.session, other, made.id, False),
        lambda: partners.partner_qr_png(carded.session, other, made.id),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert partners.list_partners(carded.session, other, other.org_id) == []
    for username in ("editor", "reviewer"):  # roles without partners at all
        with pytest.raises(PermissionDenied):
            partners.list_partners(carded.session, carded.actor(username), _org(carded, "HQ"))


def test_an_admin_at_head_office_sees_every_branch(carded):
    admin = carded.actor("admin")
    a = partners.create_partner(
        carded.session, admin, _id(carded, "staff_a"), "章贡商会", PartnerKind.CHAMBER
    )
    b = partners.create_partner(
        carded.session, admin, _id(carded, "staff_b"), "南康商会", PartnerKind.CHAMBER
    )
    assert [p.id for p in partners.list_partners(carded.session, admin, _org(carded, "HQ"))] == [a.id, b.id]
    assert [p.id for p in partners.list_partners(carded.session, admin, _org(carded, "JX-B"))] == [b.id]
    owners = partners.partner_owners(carded.session, admin, _org(carded, "JX-A"))
    assert {o.username: o.has_link for o in owners} == {"loc_a": False, "staff_a": True}


def test_rename_deactivate_and_reactivate(carded):
    loc = carded.actor("loc_a")
    made = partners.create_partner(carded.session, loc, _id(carded, "staff_a"), "商会", PartnerKind.CHAMBER)
    renamed = partners.update_partner(carded.session, loc, made.id, "章贡区工商联", PartnerKind.ENTERPRISE)
    assert (renamed.name, renamed.kind, renamed.code) == ("章贡区工商联", PartnerKind.ENTERPRISE, made.code)
    off = partners.set_partner_active(carded.session, loc, made.id, False)
    assert not off.active and off.tracked_link is None
    with pytest.raises(ValidationError, match="inactive"):
        partners.partner_qr_png(carded.session, loc, made.id)
    again = partners.create_partner(
        carded.session, loc, _id(carded, "staff_a"), "章贡区工商联", PartnerKind.CHAMBER
    )
    with pytest.raises(ValidationError, match="already exists"):  # an active namesake now holds the name
        partners.set_partner_active(carded.session, loc, made.id, True)
    partners.update_partner(carded.session, loc, again.id, "章贡区商会", PartnerKind.CHAMBER)
    back = partners.set_partner_active(carded.session, loc, made.id, True)
    assert back.active and back.tracked_link == f"{LINK}&customer_channel=p_{made.code}"
    actions = [e.action for e in carded.session.exec(select(AuditEvent).order_by(col(AuditEvent.seq)))]
    assert [a for a in actions if a.startswith("partner.")] == [
        "partner.create",
        "partner.update",
        "partner.deactivate",
        "partner.create",
        "partner.update",
        "partner.reactivate",
    ]
    rows = partners.list_partners(carded.session, loc, loc.org_id)
    assert [r.active for r in rows] == [True, True]


@pytest.mark.parametrize(
    ("name", "zh"),
    [
        ("", "请填写"),
        ("   ", "请填写"),
        ("商" * 61, "最多"),
        ("商会\n第二行", "一行"),
        ("商\u202e会", "一行"),
    ],
)
def test_partner_names_are_checked(carded, name, zh):
    with pytest.raises(ValidationError) as refused:
        partners.create_partner(
            carded.session, carded.actor("staff_a"), _id(carded, "staff_a"), name, PartnerKind.OTHER
        )
    assert zh in refused.value.message_zh


def test_a_duplicate_active_name_is_refused(carded):
    staff = carded.actor("staff_a")
    partners.create_partner(carded.session, staff, staff.user_id, "商会", PartnerKind.CHAMBER)
    with pytest.raises(ValidationError, match="already exists"):
        partners.create_partner(carded.session, staff, staff.user_id, "商会", PartnerKind.VILLAGE)


def test_missing_records(carded):
    loc = carded.actor("loc_a")
    with pytest.raises(NotFound):
        partners.update_partner(carded.session, loc, 999_999, "x", PartnerKind.OTHER)
    with pytest.raises(NotFound):
        partners.create_partner(carded.session, loc, 999_999, "x", PartnerKind.OTHER)


def test_codes_are_unique_and_random(carded):
    staff = carded.actor("staff_a")
    codes = {
        partners.create_partner(carded.session, staff, staff.user_id, f"服务点{i}", PartnerKind.OTHER).code
        for i in range(20)
    }
    assert len(codes) == 20 and all(re.fullmatch(r"[a-z0-9]{10}", c) for c in codes)
    assert len(set(carded.session.exec(select(Partner.code)))) == 20
