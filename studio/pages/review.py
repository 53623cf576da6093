"""审核: the reviewer's queue, one page at a time, filtered in the database; the opened item's text,
findings, diff and thread; batch approval of the page's clean items; withdrawal of approved content."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from studio.domain.enums import Decision, ProductType, Severity, Verdict
from studio.domain.views import (
    Actor,
    OrgView,
    PickRow,
    QueuePage,
    ReviewItem,
    ReviewRow,
    SeenVersion,
    ThreadEntry,
)
from studio.services import reviews
from studio.services.data_version import data_version
from studio.services.orgs import search_orgs
from studio.services.poster_review import PosterReview, poster_review
from studio.settings import get_settings
from studio.ui.checked_image import post_images_panel
from studio.ui.components import diff_view, findings_list, highlighted, md, verdict_badge
from studio.ui.context import action, db, require_actor
from studio.ui.format import batch_problem, person, subject_org, thread_caption
from studio.ui.poster_review import poster_panel

actor = require_actor()
st.title("审核")


# --- reads, cached on the data version: a rerun that changes nothing reads nothing expensive -------------


def _version() -> int:
    with db() as session:
        return data_version(session)


@st.cache_data(max_entries=256, show_spinner=False)
def _queue(
    version: int,
    actor_json: str,
    org_id: int | None,
    product: str | None,
    severity: str | None,
    min_age: float | None,
    page: int,
    minute: str,
) -> QueuePage:
    # `minute` keys the cache on the clock too: ages and the age filter move without any data change.
    with db() as session:
        return reviews.queue_page(
            session,
            Actor.model_validate_json(actor_json),
            org_id=org_id,
            product_type=product,
            min_severity=severity,
            min_age_hours=min_age,
            page=page,
            now=datetime.fromisoformat(minute),
        )


@st.cache_data(max_entries=256, show_spinner=False)
def _detail(
    version: int, actor_json: str, subject_type: str, subject_id: int
) -> tuple[ReviewItem, list[ThreadEntry]]:
    viewer = Actor.model_validate_json(actor_json)
    with db() as session:
        return (
            reviews.item_detail(session, viewer, subject_type, subject_id),
            reviews.thread(session, viewer, subject_type, subject_id),
        )


@st.cache_data(max_entries=64, show_spinner=False)
def _poster(version: int, actor_json: str, subject_type: str, subject_id: int) -> PosterReview | None:
    with db() as session:
        return poster_review(session, Actor.model_validate_json(actor_json), subject_type, subject_id)


def _poster_block(item: ReviewItem) -> None:
    """A poster template version or poster variant: its rendered poster and per-layer text diff."""
    with action():
        review = _poster(_version(), who, item.subject_type, item.subject_id)
        if review is not None:
            poster_panel(review)


@st.cache_data(max_entries=64, show_spinner=False)
def _orgs(version: int, actor_json: str, search: str) -> list[OrgView]:
    with db() as session:
        return search_orgs(session, Actor.model_validate_json(actor_json), search, limit=30)


@st.cache_data(max_entries=64, show_spinner=False)
def _withdrawable(version: int, actor_json: str, search: str, page: int) -> tuple[list[PickRow], int]:
    with db() as session:
        return reviews.withdrawable(session, Actor.model_validate_json(actor_json), search, page)


# --- decisions --------------------------------------------------------------------------------------------
# Decisions are taken in button callbacks, which run before the rerun reloads the queue: they carry the
# version that was on screen when the button was drawn, so an item edited meanwhile is never approved.
def _request_decision(subject_type: str, subject_id: int, seen: dict, decision: str, title: str) -> None:
    st.session_state["review_pending"] = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "seen": seen,
        "decision": decision,
        "title": title,
        "comment": st.session_state.get(f"comment-{subject_type}-{subject_id}", ""),
    }


def _request_batch(shown: list[tuple[str, int, dict, str]]) -> None:
    st.session_state["review_batch"] = [
        entry for entry in shown if st.session_state.get(f"pick-{entry[0]}-{entry[1]}")
    ]


def _to_page(number: int) -> None:
    st.session_state["review-page"] = max(1, number)


if pending := st.session_state.pop("review_pending", None):
    decision = Decision(pending["decision"])
    with action(), db() as session:
        state = reviews.decide(
            session,
            actor,
            pending["subject_type"],
            pending["subject_id"],
            decision,
            pending["comment"],
            seen=SeenVersion.model_validate(pending["seen"]),
        )
        note = "（第一位审批人，等待第二位审核员）" if state == "submitted" else ""
        st.session_state["review_flash"] = f"已{decision.label}：{md(pending['title'])}{note}"
if (batch := st.session_state.pop("review_batch", None)) is not None:
    with action(), db() as session:
        result = reviews.batch_approve(
            session, actor, [(t, i, SeenVersion.model_validate(seen)) for t, i, seen, _ in batch]
        )
        for skipped in result.skipped:
            st.warning(md(batch_problem(skipped)))
        st.session_state["review_flash"] = f"已批量处理 {result.approved} 条。"
if flash := st.session_state.pop("review_flash", None):
    st.success(flash)

who = actor.model_dump_json()
version = _version()

# --- filters (applied in the database); a filter change goes back to page 1 -----------------------------
c = st.columns([2, 2, 2, 2, 2])
org_search = c[0].text_input(
    "查找机构", key="f-org-search", placeholder="名称或代码", on_change=_to_page, args=(1,)
)
org_labels = {0: "全部机构", **{o.id: o.name for o in _orgs(version, who, org_search.strip())}}
org_id = c[1].selectbox(
    "机构",
    list(org_labels),
    format_func=lambda i: org_labels[i],
    key=f"f-org-{org_search.strip()}",
    on_change=_to_page,
    args=(1,),
)
product = c[2].selectbox(
    "产品类型",
    ["", *ProductType],
    format_func=lambda v: v.label if v else "全部",
    key="f-product",
    on_change=_to_page,
    args=(1,),
)
severity = c[3].selectbox(
    "最低风险级别",
    ["", *Severity],
    format_func=lambda v: v.label if v else "全部",
    key="f-severity",
    on_change=_to_page,
    args=(1,),
)
min_age = c[4].number_input(
    "等待超过（小时）", min_value=0, value=0, step=1, key="f-age", on_change=_to_page, args=(1,)
)

minute = datetime.now().astimezone().replace(second=0, microsecond=0).isoformat()
queue: QueuePage | None = None
with action():
    queue = _queue(
        version,
        who,
        org_id or None,
        product or None,
        severity or None,
        float(min_age) if min_age else None,
        st.session_state.get("review-page", 1) - 1,
        minute,
    )
if queue is None:
    st.stop()
st.session_state["review-page"] = queue.page + 1  # clamped by the service (e.g. the last page emptied)

sla = get_settings().review_sla_hours
st.caption(
    f"待审核 {queue.total} 条 · 超过 {sla} 小时时限 {queue.overdue} 条 · 第 {queue.page + 1}/{queue.pages} 页"
)
if queue.pages > 1:
    p = st.columns([1, 1, 6])
    p[0].button("上一页", key="review-prev", disabled=queue.page == 0, on_click=_to_page, args=(queue.page,))
    p[1].button(
        "下一页",
        key="review-next",
        disabled=queue.page + 1 >= queue.pages,
        on_click=_to_page,
        args=(queue.page + 2,),
    )
if not queue.rows:
    st.info("审核队列为空。")

clean = [r for r in queue.rows if r.verdict is Verdict.PASS]
if clean:
    with st.form("batch"):
        st.markdown("**批量通过本页无合规提示的内容**")
        for r in clean:
            st.checkbox(
                f"{md(r.title)} · {md(subject_org(r.subject_type, r.org_name))}",
                key=f"pick-{r.subject_type}-{r.subject_id}",
            )
        st.form_submit_button(
            "批量通过所选",
            on_click=_request_batch,
            args=([(r.subject_type, r.subject_id, r.seen.model_dump(), r.title) for r in clean],),
        )


def _label(row: ReviewRow) -> str:
    kind = "总行模板" if row.subject_type == "template_version" else "本地化内容"
    late = " · ⏰超时" if row.overdue else ""
    return (
        f"{kind} · {md(row.title)} · {md(subject_org(row.subject_type, row.org_name))} · "
        f"{row.channel.label} · {row.product_type.label} · 合规：{row.verdict.label}"
        f" · 等待 {row.age_hours:.0f} 小时{late}"
    )


@st.fragment
def _opened(rows: list[ReviewRow]) -> None:
    """The list of this page and the one item opened; switching items reruns only this part."""
    if "review_pending" in st.session_state:
        st.rerun()  # a decision was clicked here: the whole page applies it and reloads the queue
    if not rows:
        return
    by_key = {f"{r.subject_type}-{r.subject_id}": r for r in rows}
    # The key follows the rows, so a reloaded page opens its first item instead of a vanished one.
    key = st.radio(
        "打开",
        list(by_key),
        format_func=lambda k: _label(by_key[k]),
        key=f"review-open-{hash(tuple(by_key))}",
    )
    row = by_key[key]
    with action():
        item, entries = _detail(_version(), who, row.subject_type, row.subject_id)
        _show(item, entries)


def _show(item: ReviewItem, entries: list[ThreadEntry]) -> None:
    key = f"{item.subject_type}-{item.subject_id}"
    with st.container(border=True):
        st.markdown(f"**{md(item.title)}** · {md(subject_org(item.subject_type, item.org_name))}")
        st.caption(
            f"提交人：{md(person(item.submitted_by_name))}"
            + (
                f" · 需双人审批（已 {item.approvals}/{item.required_approvals}："
                f"{'、'.join(md(person(n)) for n in item.approved_by) or '无'}）"
                if item.required_approvals > 1
                else ""
            )
        )
        left, right = st.columns(2)
        with left:
            st.markdown("**内容（标出合规命中）**")
            highlighted(item.text, item.findings)
            verdict_badge(item.verdict)
            findings_list(item.findings)
        post_images_panel(actor, item.subject_type, item.subject_id)  # 九宫格 with findings boxed (ocr)
        with right:
            st.markdown("**与已审核版本的差异**" if item.parent_text is not None else "**首次提交**")
            if item.parent_text is not None:
                diff_view(item.parent_text, item.text)
            for entry in entries:
                st.caption(thread_caption(entry))
        _poster_block(item)
        comment = st.text_area("审核意见（驳回或退回时必填）", key=f"comment-{key}")
        b = st.columns(4)
        buttons = (
            (Decision.APPROVE, "通过"),
            (Decision.REQUEST_CHANGES, "退回修改"),
            (Decision.REJECT, "驳回"),
        )
        for column, (decision, label) in zip(b, buttons, strict=False):
            # The seen version is the one of the detail drawn right here.
            column.button(
                label,
                key=f"{decision.value}-{key}",
                type="primary" if decision is Decision.APPROVE else "secondary",
                on_click=_request_decision,
                args=(item.subject_type, item.subject_id, item.seen.model_dump(), decision.value, item.title),
            )
        if b[3].button("仅评论", key=f"note-{key}"):
            with action(), db() as session:
                reviews.add_comment(session, actor, item.subject_type, item.subject_id, comment)
                st.session_state["review_flash"] = "评论已添加。"
                st.rerun()


_opened(queue.rows)


@st.fragment
def _withdraw() -> None:
    """Approved content found by search, one page at a time; searching reruns only this part."""
    st.caption("撤回后，该内容立即从所有日历和今日内容中移除，操作记入审计日志。")
    search = st.text_input(
        "查找内容（标题、机构或编号）",
        key="withdraw-search",
        on_change=lambda: st.session_state.update({"withdraw-page": 1}),
    )
    data = _version()
    rows, total = _withdrawable(data, who, search.strip(), st.session_state.get("withdraw-page", 1) - 1)
    pages = max(1, -(-total // reviews.PAGE_SIZE))
    if st.session_state.get("withdraw-page", 1) > pages:  # the list shrank under the page shown
        st.session_state["withdraw-page"] = pages
        rows, total = _withdrawable(data, who, search.strip(), pages - 1)
    if total == 0:
        st.info("暂无符合条件的已通过本地化内容。")
        return
    if pages > 1:
        st.number_input(
            f"页码（共 {pages} 页，{total} 条）", min_value=1, max_value=pages, step=1, key="withdraw-page"
        )
    labels = {r.id: f"#{r.id} {r.title} · {r.org_name}" for r in rows}
    variant_id = st.selectbox("内容", list(labels), format_func=lambda i: labels[i], key="withdraw-pick")
    reason = st.text_input("撤回原因", key="withdraw-reason")
    if st.button("撤回", key="withdraw-go"):
        with action(), db() as session:
            reviews.withdraw(session, actor, variant_id, reason)
            st.session_state["review_flash"] = f"已撤回：{md(labels[variant_id])}"
            st.rerun()


with st.expander("撤回已通过的内容"):
    _withdraw()
