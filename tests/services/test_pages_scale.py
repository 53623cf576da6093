"""审计日志, 内容日历, 看板, 今日内容, 节日日历 at scale: bounded reads, right answers, indexes used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import select

from studio.db.models import AuditEvent, CalendarSlot, Org, PostMark, Template, TemplateVersion, User, Variant
from studio.domain.clock import today_cn
from studio.domain.enums import ContentType, OrgKind
from studio.services import calendar
from studio.services.dashboard import adoption_page, dashboard
from studio.services.month_view import month_view
from studio.services.occasion_calendar import overview
from studio.services.orgs import create_org, search_orgs
from studio.workflow import audit, audit_anchor
from tests.bounded import rows_per_query

PAGE = 10
SLACK = 3


# --- helpers -------------------------------------------------------------------------------------------------


def _events(world, n: int, action: str = "test.event", who=None) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        audit.append(world.session, who, action, f"thing:{i}", {"n": i})
    world.session.commit()


def _statements(engine: Engine, call: Callable[[], object]) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "EXPLAIN" not in statement.upper():
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _plans(engine: Engine, statements: list[tuple[str, object]]) -> list[str]:
    """EXPLAIN each statement with its parameters; PostgreSQL told to avoid seq scans on tiny tables."""
    plans = []
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            conn.exec_driver_sql("ANALYZE")  # real selectivities, so the planner picks the selective index
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()  # type: ignore[arg-type]
            plans.append(" | ".join(str(r[-1]) for r in rows))
    return plans


def _uses(plans: list[str], index: str) -> bool:
    return any(index in plan for plan in plans)


# --- 审计日志 ------------------------------------------------------------------------------------------------


def test_audit_pages_are_bounded_newest_first_and_counted(world, engine):
    admin = world.actor("admin")
    _events(world, 3 * PAGE)
    _events(world, 5, action="other.thing", who=admin)
    with rows_per_query(engine) as log:
        pages = [audit.list_events(world.session, admin, page=p, page_size=PAGE) for p in range(4)]
    assert log.over(PAGE + SLACK) == [], log.over(PAGE + SLACK)
    head = world.session.exec(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).first()  # type: ignore[attr-defined]
    assert [e.seq for e in pages[0].rows] == list(range(head, head - PAGE, -1))
    assert {p.total for p in pages} == {head} and sum(len(p.rows) for p in pages) == min(head, 4 * PAGE)


def test_audit_filters_run_in_the_database(world):
    admin = world.actor("admin")
    _events(world, 4)
    _events(world, 3, action="other.thing", who=admin)
    by_action = audit.list_events(world.session, admin, audit.AuditFilter(actions=("other.thing",)))
    assert by_action.total == 3 and {e.action for e in by_action.rows} == {"other.thing"}
    assert audit.list_events(world.session, admin, audit.AuditFilter(actor="admin")).total == 3
    assert audit.list_events(world.session, admin, audit.AuditFilter(subject="thing:1")).total == 2
    today = today_cn()
    assert (
        audit.list_events(world.session, admin, audit.AuditFilter(first_day=today, last_day=today)).total
        == audit.list_events(world.session, admin).total
    )
    assert (
        audit.list_events(world.session, admin, audit.AuditFilter(last_day=today - timedelta(days=1))).total
        == 0
    )
    assert "other.thing" in audit.actions(world.session, admin)
    with pytest.raises(Exception, match="audit"):
        audit.list_events(world.session, world.actor("staff_a"))


def test_export_streams_the_whole_filtered_log(world):
    admin = world.actor("admin")
    _events(world, 2 * PAGE)
    _events(world, 2, action="other.thing", who=admin)
    text_all = audit.export_csv(world.session, admin)
    count = world.session.exec(select(AuditEvent)).all()
    assert text_all.count("\r\n") == 1 + len(count) - 1  # header + every event before the export's own
    only = audit.export_csv(world.session, admin, filters=audit.AuditFilter(actions=("other.thing",)))
    assert only.count("\r\n") == 1 + 2


def test_incremental_verify_reads_only_what_is_new(world, engine):
    audit.forget_verified()
    _events(world, 3 * PAGE)
    assert audit.verify_incremental(world.session, only_if_known=True) is None  # first check: a button
    assert audit.verify(world.session).ok
    _events(world, 2)
    with rows_per_query(engine) as log:
        report = audit.verify_incremental(world.session)
    assert report is not None and report.ok and report.checked == 3 * PAGE + 2
    assert report.checkpoints == audit.verify(world.session).checkpoints
    assert log.over(SLACK) == [], log.queries  # the head row and the two new events, not the log
    with rows_per_query(engine) as log:
        again = audit.verify_incremental(world.session)
    assert again == report and log.largest <= 1


def test_incremental_verify_still_catches_tampering(world, engine):
    audit.forget_verified()
    _events(world, 5)
    assert audit.verify(world.session).ok
    _events(world, 2)
    # An edit to an event after the verified head (test tables have no append-only trigger).
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET subject = 'forged' WHERE seq = 7"))
    report = audit.verify_incremental(world.session)
    assert report is not None and not report.ok and report.broken_seq == 7
    # An edit to the remembered head itself: falls back to the full check.
    audit.forget_verified()
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET subject = 'thing:1' WHERE seq = 7"))
    assert audit.verify(world.session).ok
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 7"), {"h": "f" * 64})
    report = audit.verify_incremental(world.session)
    assert report is not None and not report.ok and report.broken_seq == 7


def test_incremental_verify_sees_a_truncated_anchor_file(world):
    audit.forget_verified()
    _events(world, 4)
    assert audit.verify(world.session).ok
    path = sorted(audit_anchor.anchor_dir().glob("*.jsonl"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1][:20])  # the last line cut short
    report = audit.verify_incremental(world.session)
    assert report is not None and not report.ok and report.broken_seq is None


def test_incremental_verify_sees_a_forged_new_checkpoint(world):
    audit.forget_verified()
    _events(world, 3)
    assert audit.verify(world.session).ok
    _events(world, 1)
    path = sorted(audit_anchor.anchor_dir().glob("*.jsonl"))[-1]
    with path.open("a") as handle:
        handle.write('{"v":1,"seq":4,"hash":"00","at":"x","kid":"k","since":1,"mac":"00"}\n')
    report = audit.verify_incremental(world.session)
    assert report is not None and not report.ok


# --- 看板 ----------------------------------------------------------------------------------------------------


def _network(world, branches: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """`branches` more sub-branches under JX, each with two slots a day (some inherited) and some marks."""
    s = world.session
    for n in range(branches):
        create_org(s, code=f"JX-N{n}", name=f"新支行{n}", kind=OrgKind.SUB_BRANCH, parent_code="JX")
    s.flush()
    editor = s.exec(select(User).where(User.username == "editor")).one()
    t = Template(code="t-scale", owner_org_id=1, created_by=editor.id)
    s.add(t)
    s.flush()
    v = TemplateVersion(
        template_id=t.id,
        version_no=1,
        title="x",
        body="x",
        slots=[],
        occasion_kind="everyday",
        content_type="culture",
        persona="expert",
        channel="moments",
        product_type="general",
        state="approved",
        verdict="pass",
        findings=[],
        ruleset="t",
        created_by=editor.id,
    )
    s.add(v)
    s.flush()
    variant = Variant(
        org_id=1,
        template_version_id=v.id,
        title="x",
        text="x",
        state="approved",
        verdict="pass",
        findings=[],
        ruleset="t",
        created_by=editor.id,
    )
    s.add(variant)
    s.flush()
    today = today_cn()
    first = today.replace(day=1)
    jx = s.exec(select(Org).where(Org.code == "JX")).one()
    subs = s.exec(select(Org).where(Org.kind == OrgKind.SUB_BRANCH.value)).all()
    slots = [
        {
            "org_id": o.id,
            "day": first + timedelta(days=d),
            "channel": "moments",
            "variant_id": variant.id,
            "created_by": editor.id,
        }
        for o in subs
        for d in range(0, 20, 3)
        if (first + timedelta(days=d)).month == first.month
    ]
    slots += [
        {
            "org_id": jx.id,
            "day": first,
            "channel": "moments",
            "variant_id": variant.id,
            "created_by": editor.id,
        }
    ]
    s.connection().execute(insert(CalendarSlot), slots)
    s.flush()
    users = []
    for o in subs[: len(subs) // 2]:
        users.append(
            User(username=f"st{o.id}", display_name="s", password_hash="!", role="staff", org_id=o.id)
        )
    s.add_all(users)
    s.flush()
    by_org = {u.org_id: u.id for u in users}
    marks = [
        {"slot_id": sl.id, "user_id": by_org[sl.org_id]}
        for sl in s.exec(select(CalendarSlot))
        if sl.org_id in by_org and sl.day <= today
    ]
    if marks:
        s.connection().execute(insert(PostMark), marks)
    s.commit()
    return by_org


def _naive_adoption(world, today: date) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    """The old whole-table computation, as the oracle."""
    s = world.session
    first = today.replace(day=1)
    slots = [sl for sl in s.exec(select(CalendarSlot)) if first <= sl.day <= today]
    marked = {
        (u.org_id, m.slot_id)
        for m, u in s.exec(select(PostMark, User).join(User, User.id == PostMark.user_id))
    }
    out = {}
    for org in s.exec(select(Org).where(Org.kind == OrgKind.SUB_BRANCH.value)):
        chain = {int(p) for p in org.path.strip("/").split("/")}
        due = [sl for sl in slots if sl.org_id in chain]
        out[org.name] = (len(due), sum(1 for sl in due if (org.id, sl.id) in marked))
    return out


def test_dashboard_is_bounded_and_matches_the_whole_table_answer(world, engine):
    _network(world, 3 * PAGE)
    editor, today = world.actor("editor"), today_cn()
    month = f"{today:%Y-%m}"
    with rows_per_query(engine) as log:
        data = dashboard(world.session, editor, month, today)
        pages = [adoption_page(world.session, editor, month, today, page=p, page_size=PAGE) for p in range(4)]
        adoption_page(
            world.session, editor, month, today, page_size=PAGE, ascending_share=True, bank="赣州分行"
        )
    assert log.over(PAGE + SLACK) == [], log.over(PAGE + SLACK)
    expected = _naive_adoption(world, today)
    got = {r.branch: (r.slots, r.posted) for p in pages for r in p.rows}
    assert got == expected and pages[0].total == len(expected)
    assert data.due == sum(d for d, _ in expected.values()) and data.posted == sum(
        p for _, p in expected.values()
    )
    assert {r.bank: r.branches for r in data.by_bank} == {"赣州分行": 2 + 3 * PAGE, "桂林分行": 1}
    lowest = adoption_page(world.session, editor, month, today, page_size=PAGE, ascending_share=True)
    shares = [r.share if r.slots else 1.0 for r in lowest.rows]
    assert shares == sorted(shares)


# --- 内容日历, 今日内容, 节日日历 ------------------------------------------------------------------------------


def test_org_search_is_bounded_and_scoped(world, engine):
    _network(world, 3 * PAGE)
    with rows_per_query(engine) as log:
        found = search_orgs(world.session, world.actor("editor"), "新支行", limit=PAGE)
    assert len(found) == PAGE and log.over(PAGE + SLACK) == []
    assert [o.name for o in search_orgs(world.session, world.actor("loc_gx"), "支行")] == ["秀峰支行"]
    assert [o.code for o in search_orgs(world.session, world.actor("editor"), "JX-N1", limit=50)][:1] == [
        "JX-N1"
    ]


def test_month_view_and_today_are_bounded(world, engine):
    by_org = _network(world, 3 * PAGE)
    org_id, user_id = next(iter(by_org.items()))
    staff = world.session.get(User, user_id)
    from studio.services.auth import actor_for

    actor = actor_for(world.session, staff)
    today = today_cn()
    with rows_per_query(engine) as log:
        view = month_view(world.session, world.actor("editor"), org_id, f"{today:%Y-%m}")
        posts = calendar.todays_content(world.session, actor, today.replace(day=1))
        calendar.approved_variants_for(world.session, world.actor("editor"), org_id, limit=PAGE)
    assert log.over(31 + SLACK) == [], log.over(31 + SLACK)
    assert sum(d.moments for d in view.days) == len(view.slots) == 1 + len(range(0, 20, 3))
    assert sum(view.mix.values()) == len(view.slots) and all(type(k) is ContentType for k in view.mix)
    assert sorted(p.posted for p in posts) == [False, True]  # its own slot marked, the bank's one not


def _version(
    world,
    template_code: str,
    no: int,
    occasion: str | None,
    state: str = "approved",
    channel: str = "moments",
) -> None:  # type: ignore[no-untyped-def]
    s = world.session
    editor = s.exec(select(User).where(User.username == "editor")).one()
    t = s.exec(select(Template).where(Template.code == template_code)).first()
    if t is None:
        t = Template(code=template_code, owner_org_id=1, created_by=editor.id)
        s.add(t)
        s.flush()
    s.add(
        TemplateVersion(
            template_id=t.id,
            version_no=no,
            title="x",
            body="x",
            slots=[],
            occasion_kind="festival",
            occasion=occasion,
            content_type="culture",
            persona="expert",
            channel=channel,
            product_type="general",
            state=state,
            verdict="pass",
            findings=[],
            ruleset="t",
            created_by=editor.id,
        )
    )
    s.flush()


def test_occasion_overview_counts_latest_approved_in_the_database(world, engine):
    year = today_cn().year
    _version(world, "moved", 1, "冬至")
    _version(world, "moved", 2, "圣诞节")  # its latest approved version is for Christmas only
    _version(world, "group", 1, "冬至", channel="group")
    _version(world, "draft", 1, "冬至", state="draft")
    for n in range(3 * PAGE):  # plenty of approved content for other occasions
        _version(world, f"other{n}", 1, "国庆节")
    world.session.commit()
    with rows_per_query(engine) as log:
        data = overview(world.session, world.actor("editor"), date(year, 12, 1), date(year, 12, 31), None)
    assert log.over(PAGE + SLACK) == [], log.over(PAGE + SLACK)
    rows = {r.name: r for r in data.rows}
    assert (rows["冬至"].approved, rows["冬至"].approved_moments) == (1, 0)
    assert "朋友圈" in (rows["冬至"].gap or "")
    assert (rows["圣诞节"].approved, rows["圣诞节"].approved_moments, rows["圣诞节"].gap) == (1, 1, None)


# --- indexes ----------------------------------------------------------------------------------------------


def test_page_queries_use_their_indexes(world, engine):
    admin, editor, today = world.actor("admin"), world.actor("editor"), today_cn()
    _events(world, 3)
    _network(world, 3)
    month = f"{today:%Y-%m}"

    def counts(filters: audit.AuditFilter) -> list[tuple[str, object]]:
        found = _statements(engine, lambda: audit.list_events(world.session, admin, filters))
        return [(sql, params) for sql, params in found if "count(" in sql.lower()]

    assert _uses(_plans(engine, counts(audit.AuditFilter(actions=("test.event",)))), "ix_audit_event_action")
    assert _uses(_plans(engine, counts(audit.AuditFilter(actor="admin"))), "ix_audit_event_actor")
    assert _uses(_plans(engine, counts(audit.AuditFilter(subject="thing:1"))), "ix_audit_event_subject")
    assert _uses(_plans(engine, counts(audit.AuditFilter(first_day=today))), "ix_audit_event_at")
    board = _plans(engine, _statements(engine, lambda: dashboard(world.session, editor, month, today)))
    assert _uses(board, "ix_slot_day_org") or _uses(board, "ix_slot_org_day")
    if engine.dialect.name == "sqlite":
        assert any(
            _uses(board, ix)
            for ix in ("ix_variant_org_state", "ix_variant_state", "ix_variant_state_submitted")
        )
    else:  # PostgreSQL picks among the variant indexes by size (or a bitmap of them); never a table scan
        assert not _uses(board, "Seq Scan on variant") and _uses(board, "Index")
    for n in range(3 * PAGE):  # approved content for other occasions: the occasion index is the selective one
        _version(world, f"other{n}", 1, "国庆节")
    world.session.commit()
    occasions = _plans(
        engine,
        _statements(
            engine,
            lambda: overview(world.session, editor, date(today.year, 12, 1), date(today.year, 12, 31), None),
        ),
    )
    if engine.dialect.name == "sqlite":
        assert _uses(occasions, "ix_template_version_occasion_state")
    else:  # on a table this small PostgreSQL may prefer the state index; either way no table scan
        assert not _uses(occasions, "Seq Scan on template_version") and _uses(occasions, "Index")
    marks = _plans(
        engine,
        _statements(engine, lambda: calendar.todays_content(world.session, world.actor("staff_a"), today)),
    )
    assert _uses(marks, "ix_slot_org_day") or _uses(marks, "ix_slot_day_org")
