"""合规规则: browse the rules with their legal sources, try a text live; compliance admins edit terms
(each edit makes a new ruleset version that every later check uses and records)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.domain.enums import Channel, ProductType, Severity
from studio.domain.views import Actor
from studio.services import jobs, library_recheck, rules  # noqa: F401 (library_recheck: the job kind)
from studio.services.data_version import data_version
from studio.services.templates import LibraryFilter, LibraryPage, list_library
from studio.ui.components import findings_list, highlighted, md, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.workflow.permissions import at_head_office, can

actor = require_actor()
st.title("合规规则")
if flash := st.session_state.pop("rules_flash", None):
    st.success(flash)


@st.cache_data(max_entries=64, show_spinner=False)
def _approved(version: int, actor_json: str, query: str) -> LibraryPage:
    """Keyed on the data version (any committed change moves it): a rerun that changes nothing reads nothing."""
    with db() as session:
        return list_library(
            session,
            Actor.model_validate_json(actor_json),
            LibraryFilter(query=query or None),
            approved_only=True,
        )


@st.fragment
def _policies() -> None:
    """Auto-approval per template: a searchable, paged picker (the library may hold 20,000 templates);
    searching and picking rerun only this tab."""
    from studio.services.reviews import policies, set_policy
    from studio.services.templates import current_titles

    st.caption(
        "开启后，分支行对该模板的本地化如果只填写了插槽（未改动可编辑段落）且合规检查通过，"
        "将自动通过审核，审核记录会注明所用策略。理财、保险等需双人审批的产品不适用。"
    )
    with action(), db() as session:
        current = policies(session, actor)
        enabled = sorted(current)
        if enabled:
            titles = current_titles(session, actor, enabled)
            more = f" 等 {len(enabled)} 个" if len(enabled) > len(titles) else ""
            st.markdown("**已开启：** " + "、".join(md(t) for t in titles) + more)
        query = st.text_input("搜索已通过的模板（标题、正文、编号）", key="policy-search").strip()
        listing = _approved(data_version(session), actor.model_dump_json(), query)
        if not listing.rows:
            st.info("没有找到已审核通过的模板。")
            return
        if listing.total > len(listing.rows):
            st.caption(f"共 {listing.total} 个，显示最相关的 {len(listing.rows)} 个；请输入关键词缩小范围。")
        by_id = {t.id: t for t in listing.rows}
        template_id = st.selectbox(
            "模板", list(by_id), format_func=lambda i: f"{by_id[i].title}（{by_id[i].code}）"
        )
        on = st.toggle("自动通过", value=template_id in current, key=f"policy-{template_id}")
        if on != (template_id in current) and st.button("保存策略", type="primary"):
            set_policy(session, actor, template_id, on)
            st.session_state["rules_flash"] = (
                f"已{'开启' if on else '关闭'}自动通过：{md(by_id[template_id].title)}"
            )
            st.rerun(scope="app")


with action(), db() as session:
    docs = rules.rule_docs(session)
    version = rules.active_ruleset(session).version
    st.caption(f"当前规则集版本 {version} · 共 {len(docs)} 条规则")

    tabs = ["试一试", "规则说明", "版本记录"] + (["自动通过策略"] if can(actor, "rules.edit") else [])
    try_tab, browse_tab, history_tab, *policy_tab = st.tabs(tabs)
    with try_tab:
        c = st.columns(2)
        product = c[0].selectbox("产品类型", list(ProductType), index=6, format_func=lambda v: v.label)
        channel = c[1].selectbox("渠道", list(Channel), format_func=lambda v: v.label)
        text = st.text_area("输入一段文案，立即检查", height=150, key="try-text")
        if text.strip():
            result = rules.check(session, text, product, channel)
            findings = [f.model_dump(mode="json") for f in result.findings]
            highlighted(text, findings)
            verdict_badge(result.verdict.value)
            findings_list(findings)

    with browse_tab:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "编号": d.code,
                        "名称": d.title,
                        "级别": d.severity.label,
                        "类型": d.kind_label,
                        "适用产品": "、".join(p.label for p in d.products),
                        "依据": d.source,
                    }
                    for d in docs
                ]
            ),
            hide_index=True,
            use_container_width=True,
        )
        by_code = {d.code: d for d in docs}
        code = st.selectbox("查看规则", list(by_code), format_func=lambda c: f"{c} {by_code[c].title}")
        doc = by_code[code]
        with st.container(border=True):
            st.markdown(f"**{doc.code} · {md(doc.title)}** （{doc.severity.label}）")
            st.text(f"问题：{doc.message}\n原因：{doc.why}\n依据：{doc.source}\n建议：{doc.suggestion}")
            st.caption("适用渠道：" + "、".join(c.label for c in doc.channels))
            if doc.bad_examples:
                st.markdown("**会被标出的写法**")
                for ex in doc.bad_examples:
                    st.text(f"✗ {ex.text}")
            if doc.good_examples:
                st.markdown("**合规写法**")
                for ex in doc.good_examples:
                    st.text(f"✓ {ex.text}")
            if doc.terms and can(actor, "rules.edit"):
                with st.form(f"edit-{doc.code}"):
                    terms = st.text_area("词条（每行一个）", value="\n".join(doc.terms), height=200)
                    severity = st.selectbox(
                        "级别",
                        list(Severity),
                        index=list(Severity).index(doc.severity),
                        format_func=lambda v: v.label,
                    )
                    note = st.text_input("修改说明")
                    if st.form_submit_button("保存为新版本", type="primary"):
                        with action():
                            new = rules.update_rule(
                                session,
                                actor,
                                doc.code,
                                terms=terms.splitlines(),
                                severity=severity,
                                note=note,
                            )
                            flash = f"已保存，规则集版本 {new}。"
                            if at_head_office(actor):  # a long re-check: a job, followed on 后台任务
                                job = jobs.submit(session, actor, "library.recheck", {})
                                flash += f"已在后台按新规则复查素材库（任务 #{job.id}，见“后台任务”）。"
                            st.session_state["rules_flash"] = flash
                            st.rerun()
            elif doc.terms:
                st.caption(
                    "词条："
                    + "、".join(md(t) for t in doc.terms[:60])
                    + ("……" if len(doc.terms) > 60 else "")
                )

    with history_tab:
        entries = rules.history(session)
        if not entries:
            st.info("尚未在系统中修改过规则，使用素材库中的词库文件。")
        rows = [{**e.model_dump(), "at": e.at.isoformat(timespec="minutes")} for e in entries]
        st.dataframe(
            pd.DataFrame(rows).rename(
                columns={"version": "版本", "note": "说明", "author": "修改人", "at": "时间"}
            ),
            hide_index=True,
            use_container_width=True,
        )

    if policy_tab:
        with policy_tab[0]:
            _policies()
