"""The 名片 section of 账户与安全 and the 关键人 page, through the real router (AppTest)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from studio.db.models import Partner, User
from studio.domain.enums import PartnerKind
from studio.services import contacts, partners
from tests.qr_decode import decode_qr
from tests.ui.conftest import by_label, login

LINK = "https://work.weixin.qq.com/ca/cawcde5a1b2c3d4e5f"


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    parts = [
        e.value for kind in (at.markdown, at.caption, at.info, at.success, at.warning, at.error) for e in kind
    ]
    return "\n".join(str(p) for p in parts).replace("\\", "").replace("\u2060", "")  # md()'s escapes


def _card_page(username: str):  # type: ignore[no-untyped-def]
    at = login(username)
    at.switch_page("studio/pages/password.py").run()
    assert not at.exception, at.exception
    return at


def _save(at, link: str, title: str):  # type: ignore[no-untyped-def]
    by_label(at.text_input, "联系链接").input(link)
    by_label(at.text_input, "职务").input(title)
    return by_label(at.button, "保存名片").click().run()


def _user(world, username: str) -> User:  # type: ignore[no-untyped-def]
    world.session.expire_all()
    return world.session.exec(select(User).where(User.username == username)).one()


def test_staff_set_their_card_and_get_its_qr_code(app_world):
    at = _card_page("staff_a")
    assert "尚未设置联系链接" in _texts(at) and not at.get("image")
    at = _save(at, " " + LINK + "\n", "客户经理")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "名片已保存" in _texts(at)
    assert by_label(at.text_input, "联系链接").value == LINK
    assert by_label(at.text_input, "职务").value == "客户经理"
    stored = _user(app_world, "staff_a")
    assert (stored.contact_link, stored.job_title) == (LINK, "客户经理")
    assert len(at.get("image")) == 1
    download = at.get("download_button")
    assert len(download) == 1 and "下载名片二维码" in str(download[0].proto)
    staff = app_world.actor("staff_a")
    png = contacts.contact_qr_png(app_world.session, staff, staff.user_id)
    assert png is not None and decode_qr(png) == LINK


@pytest.mark.parametrize(
    ("link", "title", "message"),
    [
        ("http://work.weixin.qq.com/ca/x", "客户经理", "仅接受以 https:// 开头的链接"),
        ("https://work.weixin.qq.com.evil.cn/ca/x", "客户经理", "不在允许的范围内"),
        ("https://work.weixin.qq.com@evil.cn/", "客户经理", "@"),
        (LINK, "最佳理财经理", "职务未通过合规检查"),
    ],
)
def test_a_refused_card_shows_the_reason_and_stores_nothing(app_world, link, title, message):
    at = _save(_card_page("staff_a"), link, title)
    assert not at.exception
    assert len(at.error) == 1 and message in _texts(at)
    stored = _user(app_world, "staff_a")
    assert (stored.contact_link, stored.job_title) == (None, None)


def _partners_page(username: str):  # type: ignore[no-untyped-def]
    at = login(username)
    at.switch_page("studio/pages/partners.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "关键人"
    return at


def test_partners_page_without_a_card_says_what_to_do(app_world):
    at = _partners_page("staff_a")
    assert "还没有设置联系链接的员工" in _texts(at) and "还没有关键人" in _texts(at)


def test_a_localiser_adds_renames_and_deactivates_a_partner(app_world):
    staff = app_world.actor("staff_a")
    contacts.set_contact(app_world.session, staff, staff.user_id, LINK, "客户经理")
    at = _partners_page("loc_a")
    by_label(at.text_input, "名称").input("章贡区商会")
    by_label(at.selectbox, "类型").set_value(PartnerKind.CHAMBER)
    assert [o for o in by_label(at.selectbox, "负责人").options] == ["staff_a（staff_a）"]
    at = by_label(at.button, "新增").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "已新增关键人" in _texts(at)
    partner = app_world.session.exec(select(Partner)).one()
    tracked = f"{LINK}?customer_channel=p_{partner.code}"
    assert [c.value for c in at.code] == [tracked]
    assert len(at.get("image")) == 1 and len(at.get("download_button")) == 1

    names = [t for t in at.text_input if t.label == "名称"]
    names[-1].input("章贡区工商联")  # the edit form's name field follows the add form's
    at = by_label(at.button, "保存").click().run()
    assert not at.error and "关键人已更新" in _texts(at) and "章贡区工商联" in _texts(at)
    at = by_label(at.button, "停用").click().run()
    assert "已停用" in _texts(at) and not at.code and not at.get("image")
    app_world.session.expire_all()
    assert not app_world.session.exec(select(Partner)).one().active


def test_staff_see_only_their_own_partners(app_world):
    for username in ("staff_a", "loc_a"):
        actor = app_world.actor(username)
        contacts.set_contact(app_world.session, actor, actor.user_id, LINK, None)
        partners.create_partner(
            app_world.session, actor, actor.user_id, f"{username}的商会", PartnerKind.CHAMBER
        )
    at = _partners_page("staff_a")
    assert "staff_a的商会" in _texts(at) and "loc_a的商会" not in _texts(at)
    assert [o for o in by_label(at.selectbox, "负责人").options] == ["staff_a（staff_a）"]
    at = _partners_page("loc_a")
    assert "staff_a的商会" in _texts(at) and "loc_a的商会" in _texts(at)


def test_an_admin_picks_the_org(app_world):
    staff = app_world.actor("staff_b")
    contacts.set_contact(app_world.session, staff, staff.user_id, LINK, None)
    partners.create_partner(app_world.session, staff, staff.user_id, "南康商会", PartnerKind.CHAMBER)
    at = _partners_page("admin")
    assert "南康商会" in _texts(at)  # the head office sees every branch's partners
    by_label(at.text_input, "查找机构").input("章贡").run()
    assert not at.exception and "南康商会" not in _texts(at)
