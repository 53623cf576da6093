"""审计日志: browse, filter and export the append-only, hash-chained log; verify it.

The list is one page of events filtered and counted in the database. Verifying reads every event and every
checkpoint line, so the first check in a server process runs on a button; after that each rerun checks only
what was appended since (audit.verify_incremental), and "完整校验" re-reads everything.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from studio.db.engine import session_scope
from studio.domain.clock import in_beijing
from studio.domain.views import Actor
from studio.services.data_version import audit_head
from studio.ui.components import md
from studio.ui.context import action, db, require_actor
from studio.workflow import audit
from studio.workflow.permissions import require

PAGE_SIZE = 50

actor = require_actor()
st.title("审计日志")


@st.cache_data(max_entries=64, show_spinner=False)
def _page(version: int, actor_json: str, filters: audit.AuditFilter, page: int) -> audit.AuditPage:
    """Keyed on the data version: a rerun with nothing new reads nothing."""
    with session_scope() as session:
        return audit.list_events(
            session, Actor.model_validate_json(actor_json), filters, page=page, page_size=PAGE_SIZE
        )


@st.cache_data(max_entries=8, show_spinner=False)
def _actions(version: int, actor_json: str) -> list[str]:
    with session_scope() as session:
        return audit.actions(session, Actor.model_validate_json(actor_json))


def _show(report: audit.ChainReport, how: str) -> None:
    if report.ok:
        st.success(
            f"哈希链完整（{how}）：共 {report.checked} 条事件，{report.checkpoints} 个签名检查点一致"
            + (f"；另有 {report.pending} 条待封存事件，各自签名校验一致。" if report.pending else "。")
        )
    elif report.pending_broken:
        st.error(f"待封存的审计事件校验失败：{md(report.reason)}")
    elif report.broken_seq is None:
        st.error(f"审计检查点文件校验失败：{md(report.reason)}")
    else:
        st.error(f"哈希链在第 {report.broken_seq} 条事件处断裂：{md(report.reason)}")


def _categories(names: list[str]) -> dict[str, tuple[str, ...]]:
    """Filter options: each action, and each action family ("review" = every review.* action)."""
    families: dict[str, list[str]] = {}
    for name in names:
        families.setdefault(name.split(".")[0], []).append(name)
    options = {
        f"{family}（全部）": tuple(members) for family, members in families.items() if len(members) > 1
    }
    options.update({name: (name,) for name in names})
    return dict(sorted(options.items()))


with action(), db() as session:
    require(actor, "audit.read")
    c = st.columns([3, 1])
    with c[0]:
        report = audit.verify_incremental(session, only_if_known=True)
        if report is None:
            st.info("本进程尚未校验哈希链：校验会读取全部事件和检查点，请点击右侧按钮。")
        else:
            _show(report, "增量校验")
    if c[1].button("完整校验", help="重新读取全部事件和全部签名检查点"):
        _show(audit.verify(session), "完整校验")
actor_json = actor.model_dump_json()


def _turn(key: str, step: int) -> None:
    st.session_state[key] = max(0, st.session_state.get(key, 0) + step)


@st.fragment
def _log() -> None:
    """Filters, paging and export rerun only this part of the page."""
    with db() as session:
        version = audit_head(session)  # read here: a fragment rerun must see events appended meanwhile
    options = _categories(_actions(version, actor_json))
    f = st.columns([2, 1, 1, 1, 1])
    chosen = f[0].selectbox("动作", ["全部", *options], help="可选一类动作（如 review（全部））或单个动作")
    who = f[1].text_input("操作人（用户名）")
    subject = f[2].text_input("对象（如 variant:12）")
    first = f[3].date_input("起始日期", value=None, max_value=date.today())
    last = f[4].date_input("截止日期", value=None)
    filters = audit.AuditFilter(
        actions=options.get(chosen, ()), actor=who, subject=subject, first_day=first, last_day=last
    )
    if st.session_state.get("audit_filters") != filters:
        st.session_state["audit_filters"], st.session_state["audit_page"] = filters, 0
    page_no = st.session_state.get("audit_page", 0)
    with action():
        page = _page(version, actor_json, filters, page_no)
        pages = max(1, -(-page.total // PAGE_SIZE))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "序号": e.seq,
                        "时间": in_beijing(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                        "操作人": e.actor,
                        "动作": e.action,
                        "对象": e.subject,
                        "哈希": e.hash[:12],
                    }
                    for e in page.rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        n = st.columns([1, 2, 1])
        # Callbacks move the page before the (fragment) rerun draws it.
        n[0].button("上一页", disabled=page_no == 0, on_click=_turn, args=("audit_page", -1))
        n[1].caption(f"共 {page.total} 条 · 第 {page_no + 1} / {pages} 页（最新在前）")
        n[2].button("下一页", disabled=page_no + 1 >= pages, on_click=_turn, args=("audit_page", 1))
        if st.button("生成导出文件", help="按当前筛选条件导出全部匹配事件（不分页）"):
            with db() as session:
                st.session_state["audit_csv"] = audit.export_csv(session, actor, filters=filters)
        if csv_text := st.session_state.get("audit_csv"):
            st.download_button(
                "下载 CSV", csv_text.encode("utf-8"), file_name="audit-log.csv", mime="text/csv"
            )


_log()
