"""关键人 (url path `partners`): a branch's partners (chambers of commerce, village committees, service
stations), each with its tracked QR code to download. Staff keep their own; localisers and admins every
partner of the orgs in their scope (services/partners.py decides, this page only mirrors it)."""

from __future__ import annotations

import streamlit as st

from studio.domain.enums import PartnerKind
from studio.domain.views import Actor
from studio.services import orgs, partners
from studio.services.partners import OwnerOption, PartnerView
from studio.ui.components import md
from studio.ui.context import action, db, require_actor

FLASH = "partners_flash"


def _pick_org(actor: Actor) -> int:
    """The actor's own org, or one they choose when their scope holds more than one."""
    with db() as session:
        several = len(orgs.search_orgs(session, actor, "", limit=2)) > 1
    if not several:
        return actor.org_id
    query = st.text_input("查找机构", placeholder="机构名称或代码")
    with db() as session:
        found = orgs.search_orgs(session, actor, query, limit=50)
    if not found:
        st.info("没有匹配的机构。")
        st.stop()
    chosen = st.selectbox("机构", found, format_func=lambda o: f"{o.name}（{o.code}）")
    return chosen.id


def _add_form(actor: Actor, owners: list[OwnerOption]) -> None:
    ready = [o for o in owners if o.has_link]
    with st.expander("新增关键人"):
        if not ready:
            st.info("本机构还没有设置联系链接的员工：请先在 账户与安全 → 名片 中设置联系链接。")
            return
        with st.form("partner_add", clear_on_submit=True):
            name = st.text_input("名称", placeholder="如：章贡区工商业联合会", max_chars=60)
            kind = st.selectbox("类型", list(PartnerKind), format_func=lambda k: k.label)
            owner = st.selectbox("负责人", ready, format_func=lambda o: f"{o.display_name}（{o.username}）")
            added = st.form_submit_button("新增", type="primary")
        if added and owner is not None:
            with action(), db() as session:
                made = partners.create_partner(session, actor, owner.user_id, name, kind)
                st.session_state[FLASH] = f"已新增关键人：{made.name}"
                st.rerun()


def _edit(actor: Actor, row: PartnerView) -> None:
    with st.expander("修改或停用"):
        with st.form(f"partner_edit_{row.id}"):
            name = st.text_input("名称", value=row.name, max_chars=60)
            kinds = list(PartnerKind)
            kind = st.selectbox("类型", kinds, index=kinds.index(row.kind), format_func=lambda k: k.label)
            saved = st.form_submit_button("保存")
        if saved:
            with action(), db() as session:
                partners.update_partner(session, actor, row.id, name, kind)
                st.session_state[FLASH] = "关键人已更新。"
                st.rerun()
        label = "停用" if row.active else "重新启用"
        if st.button(label, key=f"partner_active_{row.id}"):
            with action(), db() as session:
                partners.set_partner_active(session, actor, row.id, not row.active)
                st.session_state[FLASH] = f"关键人已{label}。"
                st.rerun()


def _card(actor: Actor, row: PartnerView) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 1])
        state = "" if row.active else " · 已停用"
        left.markdown(f"**{md(row.name)}** · {md(row.kind.label)}{state}")
        left.caption(f"负责人 {md(row.owner_name)} · {md(row.org_name)} · 编号 {md(row.code)}")
        if row.tracked_link:
            left.code(row.tracked_link, language=None, wrap_lines=True)
            png = partners.qr_png(row.tracked_link)
            right.image(png, width=140)
            right.download_button(
                "下载二维码",
                data=png,
                file_name=f"关键人二维码-{row.code}.png",
                mime="image/png",
                key=f"qr_{row.id}",
            )
        elif row.active:
            left.warning("负责人尚未设置联系链接，暂无二维码。")
        with left:
            _edit(actor, row)


actor = require_actor()
st.title("关键人")
st.caption(
    "商会、村委会、助农服务点等关键人各有专属二维码：在负责人的联系链接后加上关键人编号，"
    "客户扫码添加后可按关键人区分来源。"
)
if flash := st.session_state.pop(FLASH, None):
    st.success(md(flash))
org_id = _pick_org(actor)
with db() as session:
    rows = partners.list_partners(session, actor, org_id)
    owners = partners.partner_owners(session, actor, org_id)
_add_form(actor, owners)
if not rows:
    st.info("还没有关键人。")
for row in rows:
    _card(actor, row)
