"""本地化: pick an approved template (searchable, paged), fill its slots, preview, submit; 我的内容 lists the
variants in scope a page at a time, and loads text, findings and thread for the one opened."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from studio.domain.enums import Channel, ReviewState
from studio.domain.views import Actor, VariantView
from studio.services import reviews
from studio.services.data_version import data_version
from studio.services.templates import LibraryFilter, LibraryPage, get_template, get_version, list_library
from studio.services.variants import (
    VariantPage,
    get_variant,
    list_my_variants,
    localisation_form,
    localise,
    render_variant,
    update_variant,
)
from studio.ui.components import findings_list, md, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.ui.format import slot_outline, thread_caption
from studio.ui.poster_editor import branch_poster_preview

actor = require_actor()
st.title("本地化")
st.caption(f"为 {md(actor.org_name)} 改编总行模板：只能填写插槽和可编辑段落，其余文字由总行锁定。")


# Cached on the data version (moves with every committed change), actor and question; pydantic values only.
@st.cache_data(max_entries=256, show_spinner=False)
def _approved(version: int, actor_json: str, query: str, page: int) -> LibraryPage:
    with db() as session:
        return list_library(
            session,
            Actor.model_validate_json(actor_json),
            LibraryFilter(query=query or None),
            approved_only=True,
            page=page,
        )


@st.cache_data(max_entries=256, show_spinner=False)
def _mine(version: int, actor_json: str, state: str, page: int) -> VariantPage:
    with db() as session:
        return list_my_variants(
            session,
            Actor.model_validate_json(actor_json),
            state=ReviewState(state) if state else None,
            page=page,
        )


def _version() -> int:
    with db() as session:
        return data_version(session)


def _pager(label: str, key: str, pages: int) -> int:
    """A page number widget shown only when there is more than one page; returns the 0-based page."""
    if pages > 1:
        st.number_input(label, min_value=1, max_value=pages, step=1, key=key)
    return int(st.session_state.get(key, 1)) - 1


def _slot_inputs(slots: list[dict], values: dict, locked: frozenset[str], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for slot in slots:
        name = slot["name"]
        # Slot labels and help come from the template (HQ-written); widget labels render markdown.
        label = md(slot["label"]) + ("" if slot.get("required", True) else "（选填）")
        value = str(values.get(name, slot.get("default", "")) or "")
        key = f"{prefix}-{name}"
        if name in locked:
            st.text_input(f"{label}（上级机构统一设置）", value=value, disabled=True, key=key)
            out[name] = value
        elif slot.get("type") == "choice":
            choices = list(slot.get("choices") or [])
            out[name] = st.selectbox(
                label, choices, index=choices.index(value) if value in choices else 0, key=key
            )
        elif slot.get("editable_region"):
            out[name] = st.text_area(
                f"{label}（可编辑段落，最多 {slot.get('max_length')} 字）", value=value, key=key
            )
        else:
            out[name] = st.text_input(label, value=value, key=key)
    return out


@st.fragment
def _new() -> None:
    query = st.text_input("搜索模板（标题、正文、时机、标签）", key="pick-search").strip()
    if st.session_state.get("pick-query") != query:  # a new search starts on its first page
        st.session_state["pick-query"], st.session_state["pick-page"] = query, 1
    listing = _approved(
        _version(), actor.model_dump_json(), query, int(st.session_state.get("pick-page", 1)) - 1
    )
    st.session_state["pick-page"] = listing.page + 1
    if not listing.rows:
        st.info("没有找到已审核通过的模板。" if query else "暂无已审核通过的模板。")
        return
    st.caption(f"共 {listing.total} 个可用模板 · 第 {listing.page + 1} / {listing.pages} 页")
    _pager("模板页码", "pick-page", listing.pages)
    by_id = {t.version_id: t for t in listing.rows}
    version_id = st.selectbox(
        "选择模板",
        list(by_id),
        format_func=lambda i: f"{by_id[i].title}（{Channel(by_id[i].channel).label}）",
    )
    with action(), db() as session:
        template = get_template(session, actor, version_id)
        form = localisation_form(session, actor, version_id)
    if form.parent_org:
        st.info(f"已继承 {md(form.parent_org)} 的本地化内容，可在其基础上继续修改。")
    left, right = st.columns([3, 2]) if template.poster else (st.container(), None)
    with left:
        st.caption("模板正文（【】内为需要填写的插槽）：")
        with action():
            st.text(slot_outline(template.body, template.slots))
        with st.form(f"localise-{version_id}"):
            values = _slot_inputs(template.slots, form.inherited, form.locked, f"slot-{version_id}")
            c = st.columns(2)
            preview = c[0].form_submit_button("预览")
            submit = c[1].form_submit_button("提交审核", type="primary")
    if right is not None:  # a poster template: the branch's poster beside the form
        with right:
            branch_poster_preview(actor, version_id, values)
    if preview:
        with action(), db() as session:
            _, text = render_variant(get_version(session, actor, version_id), values)
            st.subheader("预览")
            st.code(text, language=None, wrap_lines=True)
    if submit:
        with action(), db() as session:
            view = localise(session, actor, version_id, values)
            auto = "（已按自动通过策略通过）" if view.state == ReviewState.APPROVED else ""
            st.success(f"已提交审核（编号 {view.id}）{auto}。")
            verdict_badge(view.verdict)
            findings_list(view.findings)


_STATES = [
    "",
    ReviewState.SUBMITTED.value,
    ReviewState.CHANGES_REQUESTED.value,
    ReviewState.APPROVED.value,
    ReviewState.REJECTED.value,
    ReviewState.DRAFT.value,
    ReviewState.WITHDRAWN.value,
    ReviewState.EXPIRED.value,
]


@st.fragment
def _my_content() -> None:
    state = st.selectbox(
        "状态", _STATES, format_func=lambda s: ReviewState(s).label if s else "全部", key="mine-state"
    )
    if st.session_state.get("mine-last-state") != state:
        st.session_state["mine-last-state"], st.session_state["mine-page"] = state, 1
    listing = _mine(_version(), actor.model_dump_json(), state, int(st.session_state.get("mine-page", 1)) - 1)
    st.session_state["mine-page"] = listing.page + 1
    if not listing.rows:
        st.info("还没有本地化内容。")
        return
    st.caption(f"共 {listing.total} 条 · 第 {listing.page + 1} / {listing.pages} 页")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "编号": v.id,
                    "标题": v.title,
                    "机构": v.org_name,
                    "渠道": v.channel.label,
                    "状态": v.state.label,
                    "合规": v.verdict.label,
                    "更新时间": v.updated_at.strftime("%Y-%m-%d %H:%M"),
                }
                for v in listing.rows
            ]
        ),
        hide_index=True,
        use_container_width=True,
    )
    _pager("页码", "mine-page", listing.pages)
    by_id = {v.id: v for v in listing.rows}
    opened = st.selectbox(
        "打开内容", list(by_id), format_func=lambda i: f"#{i} {by_id[i].title} · {by_id[i].org_name}"
    )
    with action(), db() as session:
        _opened(get_variant(session, actor, opened))


def _opened(v: VariantView) -> None:
    """Text, findings, thread and actions of the one variant opened (loaded on demand)."""
    with st.container(border=True):
        st.markdown(f"**#{v.id} {md(v.title)}** · {md(v.org_name)} · {v.state.label}")
        st.code(v.text, language=None, wrap_lines=True)
        verdict_badge(v.verdict)
        findings_list(v.findings)
        if v.last_comment:
            st.warning(f"审核意见：{md(v.last_comment)}")
        with action(), db() as session:
            for entry in reviews.thread(session, actor, "variant", v.id):
                st.caption(thread_caption(entry))
        if (
            v.state
            in (ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED, ReviewState.DRAFT, ReviewState.APPROVED)
            and v.org_id == actor.org_id
        ):
            with st.form(f"edit-variant-{v.id}"):
                with db() as session:
                    version = get_version(session, actor, v.template_version_id)
                edited = _slot_inputs(version.slots, v.slot_values, frozenset(), f"v{v.id}")
                hint = (
                    "修改后生成新版本，原版本在新版本通过前继续使用"
                    if v.state == ReviewState.APPROVED
                    else ""
                )
                if st.form_submit_button("修改并重新提交", help=hint or None):
                    with action(), db() as session:
                        update_variant(session, actor, v.id, edited, expected_lock_version=v.lock_version)
                        st.success("已重新提交审核。")
        if v.state == ReviewState.APPROVED and v.org_id == actor.org_id:
            reason = st.text_input("撤回原因（撤回后立即从日历中移除）", key=f"withdraw-{v.id}")
            if st.button("撤回此内容", key=f"withdraw-btn-{v.id}"):
                with action(), db() as session:
                    reviews.withdraw(session, actor, v.id, reason)
                    st.rerun(scope="app")


new_tab, mine_tab = st.tabs(["新建本地化", "我的内容"])
with new_tab:
    _new()
with mine_tab:
    _my_content()
