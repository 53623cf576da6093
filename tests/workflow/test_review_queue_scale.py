"""The review queue at scale (issue #11): paged, filtered and counted in the database, light rows, the
detail loaded for one item, indexes behind every query, and no statement returning more than a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from studio.db import migrate
from studio.db.engine import make_engine
from studio.db.models import Org, TemplateVersion, User, Variant, utcnow
from studio.domain.digest import content_digest
from studio.domain.enums import Channel, Decision, ProductType, ReviewState, Severity, Verdict
from studio.domain.severity import max_severity_of
from studio.errors import Conflict, ValidationError
from studio.services import reviews, variants
from studio.services.orgs import search_orgs
from studio.services.templates import TemplateDraft, create_template
from tests.bounded import rows_per_query
from tests.conftest import build_world, decide_now

GENERAL = TemplateDraft(
    title="周末问候", body="{{ city }}的朋友们，{{ branch_name }}祝您周末愉快！", channel="group"
)
WEALTH = TemplateDraft(
    title="理财入门",
    content_type="knowledge",
    product_type="wealth",
    channel="moments",
    body="{{ branch_name }}小课堂：买理财前先看风险等级，选与自己风险承受能力相匹配的产品。"
    "理财非存款、产品有风险、投资须谨慎。",
)
SEVERITIES = ("", "info", "review", "block")


def _finding(severity: str) -> list[dict]:
    return (
        [
            {
                "code": "T1",
                "slug": "t",
                "severity": severity,
                "text": "x",
                "start": 0,
                "end": 1,
                "message": "m",
                "source": "s",
                "suggestion": "g",
            }
        ]
        if severity
        else []
    )


def _approved(world, draft):  # type: ignore[no-untyped-def]
    t = create_template(world.session, world.actor("editor"), draft)
    for name in ("reviewer", "reviewer2"):
        if (
            decide_now(world.session, world.actor(name), "template_version", t.version_id, Decision.APPROVE)
            == ReviewState.APPROVED
        ):
            return t
    raise AssertionError("template not approved")


def _org(world, code: str) -> Org:
    return world.session.exec(select(Org).where(Org.code == code)).one()


def _bulk(
    world,
    version_id: int,
    org_code: str,
    ages: list[float],
    *,
    severity=lambda i: "",  # type: ignore[no-untyped-def]
    state: str = ReviewState.SUBMITTED.value,
    title: str = "待审",
) -> list[int]:
    """Submitted variants inserted directly (fast), `ages` hours old; findings per index."""
    org = _org(world, org_code)
    maker = world.session.exec(select(User).where(User.username == "loc_a")).one()
    version = world.session.get(TemplateVersion, version_id)
    now = utcnow()
    rows = []
    for i, age in enumerate(ages):
        sev, body = severity(i), f"{org.name}第{i}条"
        digest = content_digest(
            title=f"{title}{i}", text=body, channel=version.channel, product_type=version.product_type
        )
        rows.append(
            Variant(
                org_id=org.id,
                template_version_id=version_id,
                title=f"{title}{i}",
                slot_values={},
                text=body,
                state=state,
                findings=_finding(sev),
                verdict={"": "pass", "info": "pass"}.get(sev, sev),
                ruleset="t",
                content_digest=digest,
                created_by=maker.id,
                submitted_by=maker.id,
                submitted_at=now - timedelta(hours=age),
            )
        )
    world.session.add_all(rows)
    world.session.commit()
    return [r.id for r in rows]


@pytest.fixture
def queue_world(world):  # type: ignore[no-untyped-def]
    gen, wealth = _approved(world, GENERAL), _approved(world, WEALTH)
    jx = _bulk(
        world, gen.version_id, "JX-A", [1.5 + i for i in range(25)], severity=lambda i: SEVERITIES[i % 4]
    )
    gx = _bulk(world, wealth.version_id, "GX-A", [30 + i for i in range(5)], severity=lambda i: "review")
    waiting = create_template(
        world.session, world.actor("editor"), GENERAL.model_copy(update={"title": "新模板"})
    )
    return {"jx": jx, "gx": gx, "template": waiting.version_id}


def _all_pages(session, actor, **filters):  # type: ignore[no-untyped-def]
    first = reviews.queue_page(session, actor, page_size=7, **filters)
    rows = list(first.rows)
    for page in range(1, first.pages):
        rows += reviews.queue_page(session, actor, page_size=7, page=page, **filters).rows
    return first, rows


def test_pages_cover_the_queue_once_oldest_first_with_database_counts(queue_world, world):
    reviewer = world.actor("reviewer")
    first, rows = _all_pages(world.session, reviewer)
    keys = [(r.subject_type, r.subject_id) for r in rows]
    assert first.total == 31 and len(keys) == 31 == len(set(keys)) and first.pages == 5
    assert [r.submitted_at for r in rows] == sorted(r.submitted_at for r in rows)
    assert keys[0] == ("variant", queue_world["gx"][-1]) and keys[-1] == (
        "template_version",
        queue_world["template"],
    )
    # Overdue: older than the 24-hour SLA: JX items 24.5 and 25.5 h old and all five GX items.
    assert first.overdue == sum(r.overdue for r in rows) == 7
    assert len(first.rows) == 7
    # A page beyond the end is clamped to the last one.
    last = reviews.queue_page(world.session, reviewer, page=99, page_size=7)
    assert last.page == 4 and [r.subject_id for r in last.rows] == [k[1] for k in keys[28:]]
    row = next(r for r in rows if r.subject_type == "variant")
    assert row.submitted_by_name == "loc_a" and row.org_name in {"章贡支行", "秀峰支行"}
    tpl = next(r for r in rows if r.subject_type == "template_version")
    assert tpl.org_name is None and tpl.org_id is None and tpl.submitted_by_name == "editor"  # HQ's library
    assert isinstance(row.channel, Channel) and isinstance(row.product_type, ProductType)
    assert isinstance(row.verdict, Verdict)
    assert row.max_severity is None or isinstance(row.max_severity, Severity)


def test_filters_apply_in_the_database(queue_world, world):
    s, reviewer = world.session, world.actor("reviewer")
    jx_a = _org(world, "JX-A").id
    by_org = reviews.queue_page(s, reviewer, org_id=jx_a, page_size=100)
    assert by_org.total == 25 and {r.subject_id for r in by_org.rows} == set(queue_world["jx"])
    assert reviews.queue_page(s, reviewer, product_type="wealth").total == 5
    assert reviews.queue_page(s, reviewer, product_type="loan").total == 0
    # Severity floors: info counts a pass with info findings, which the verdict alone cannot tell.
    _, at_info = _all_pages(s, reviewer, min_severity="info")
    assert len(at_info) == 18 + 5 and all(r.max_severity in set(Severity) for r in at_info)
    assert reviews.queue_page(s, reviewer, min_severity="review").total == 12 + 5
    assert reviews.queue_page(s, reviewer, min_severity="block").total == 6
    # Age: 24 hours or more: JX items of 24.5 and 25.5 hours and the GX ones; the fresh template is not.
    assert reviews.queue_page(s, reviewer, min_age_hours=24).total == 2 + 5
    combined = reviews.queue_page(s, reviewer, org_id=jx_a, min_severity="block", min_age_hours=10)
    assert combined.total == len([i for i in range(25) if i % 4 == 3 and 1.5 + i >= 10])
    with pytest.raises(ValidationError):
        reviews.queue_page(s, reviewer, min_severity="catastrophic")


def test_scope_is_the_reviewers_subtree_and_templates_are_hq_only(queue_world, world):
    jx = reviews.queue_page(world.session, world.actor("jx_reviewer"), page_size=100)
    assert jx.total == 25 and {r.subject_type for r in jx.rows} == {"variant"}
    assert (
        reviews.queue_page(world.session, world.actor("jx_reviewer"), org_id=_org(world, "GX-A").id).total
        == 0
    )
    jx_orgs = {o.code for o in search_orgs(world.session, world.actor("jx_reviewer"))}
    assert jx_orgs == {"JX", "JX-A", "JX-B"}
    assert [o.code for o in search_orgs(world.session, world.actor("reviewer"), "秀峰")] == ["GX-A"]
    assert search_orgs(world.session, world.actor("reviewer"), "%") == []


def test_detail_is_loaded_for_the_opened_item_and_approvals_count_the_current_round(world):
    wealth = _approved(world, WEALTH)
    v = variants.localise(world.session, world.actor("loc_a"), wealth.version_id, {"branch_name": "章贡支行"})
    decide_now(world.session, world.actor("reviewer"), "variant", v.id, Decision.APPROVE)
    row = next(
        r for r in reviews.queue_page(world.session, world.actor("reviewer2")).rows if r.subject_id == v.id
    )
    assert (row.approvals, row.required_approvals) == (1, 2)
    item = reviews.item_detail(world.session, world.actor("reviewer2"), "variant", v.id)
    assert item.seen == row.seen and item.approved_by == ["reviewer"] and "章贡支行" in item.text
    assert item.parent_text is not None and item.diff
    decide_now(world.session, world.actor("reviewer2"), "variant", v.id, Decision.APPROVE)
    with pytest.raises(Conflict):
        reviews.item_detail(world.session, world.actor("reviewer2"), "variant", v.id)


def test_batch_approval_is_capped(world):
    seen = reviews.SeenVersion(lock_version=1, digest="d")
    with pytest.raises(ValidationError):
        reviews.batch_approve(
            world.session,
            world.actor("reviewer"),
            [("variant", i, seen) for i in range(reviews.MAX_BATCH + 1)],
        )


def test_max_severity_follows_findings_on_every_write(world):
    t = _approved(world, GENERAL)
    v = variants.localise(
        world.session, world.actor("loc_a"), t.version_id, {"city": "赣州", "branch_name": "独家支行"}
    )
    row = world.session.get(Variant, v.id)
    assert row.max_severity == max_severity_of(row.findings) != ""
    row.findings = _finding("block")
    world.session.add(row)
    world.session.commit()
    stored = world.session.execute(
        text("SELECT max_severity FROM variant WHERE id = :i"), {"i": v.id}
    ).scalar()
    assert stored == "block"


def test_migration_backfills_max_severity(db_url):
    from sqlmodel import Session

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        world = build_world(session)
        t = _approved(world, GENERAL)
        ids = _bulk(world, t.version_id, "JX-A", [1, 2, 3], severity=lambda i: ("info", "", "block")[i])
        # Back to a revision-0005 database holding these rows (a batch downgrade cannot rebuild SQLite
        # tables that others reference while foreign keys are on): without the column and indexes.
        for table in ("variant", "template_version"):
            session.execute(text(f"DROP INDEX ix_{table}_state_submitted"))
            session.execute(text(f"ALTER TABLE {table} DROP COLUMN max_severity"))
        session.execute(text("UPDATE alembic_version SET version_num = '0005'"))
        session.commit()
    engine.dispose()
    migrate.upgrade(db_url, "0006")  # adds the column again and computes it from the stored findings
    engine = make_engine(db_url)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, max_severity FROM variant")).all())
    engine.dispose()
    assert [got[i] for i in ids] == ["info", "", "block"]


# --- indexes ---------------------------------------------------------------------------------------------


def _plans(engine, call):  # type: ignore[no-untyped-def]
    """Run `call`, then EXPLAIN every SELECT it made, with its parameters, on one connection."""
    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    plans = []
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if not sqlite:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            plans.append((statement, "\n".join(str(r[-1]) for r in rows)))
    return plans


_TABLES = ("variant", "template_version", "org", "review", "review_comment", "app_user")


def _full_scans(plan: str, sqlite: bool) -> list[str]:
    if sqlite:  # "SCAN variant" is a full scan; "SCAN variant USING INDEX ..." walks an index
        return [
            line for line in plan.splitlines() for t in _TABLES if f"SCAN {t}" in line and "USING" not in line
        ]
    return [line for line in plan.splitlines() for t in _TABLES if f"Seq Scan on {t} " in line + " "]


def test_queue_queries_are_served_by_indexes(queue_world, world, engine):
    s = world.session
    hq, jx = world.actor("reviewer"), world.actor("jx_reviewer")
    sqlite = engine.dialect.name == "sqlite"
    jx_a = _org(world, "JX-A").id

    def calls() -> None:
        reviews.queue_page(s, hq)
        reviews.queue_page(s, hq, product_type="wealth", min_severity="review", min_age_hours=2, page=1)
        reviews.queue_page(s, jx, org_id=jx_a)
        reviews.item_detail(s, hq, "variant", queue_world["jx"][0])
        reviews.thread(s, hq, "variant", queue_world["jx"][0])
        search_orgs(s, jx, "章贡")
        reviews.withdrawable(s, jx, "待审")

    plans = _plans(engine, calls)
    assert len(plans) >= 7
    problems = [(sql[:160], line) for sql, plan in plans for line in _full_scans(plan, sqlite)]
    assert problems == []
    queue_plans = "\n".join(plan for sql, plan in plans if "UNION ALL" in sql.upper())
    assert "ix_variant_state" in queue_plans and "ix_template_version_state" in queue_plans
    # The org picker: the exact code (unique index), then the matches in path order (ix_org_path).
    org_plans = [
        plan
        for sql, plan in plans
        if sql.lstrip().startswith("SELECT org.") and ("org.path >=" in sql or "org.path LIKE" in sql)
    ]
    assert len(org_plans) == 2 and all(("ix_org_" if sqlite else "Index") in plan for plan in org_plans), (
        org_plans
    )
    assert not sqlite or "ix_org_path" in org_plans[1], org_plans


# --- bounded ---------------------------------------------------------------------------------------------


def test_no_statement_returns_more_than_a_page(world, engine):
    page = reviews.PAGE_SIZE
    t = _approved(world, GENERAL)
    ids = _bulk(world, t.version_id, "JX-A", [1 + i / 10 for i in range(3 * page)])
    _bulk(world, t.version_id, "JX-B", [1] * (3 * page), state=ReviewState.APPROVED.value, title="已通过")
    for i in ids[: 3 * page // 2]:
        reviews.add_comment(world.session, world.actor("reviewer"), "variant", ids[0], f"评论{i}")
    hq, s = world.actor("reviewer"), world.session
    with rows_per_query(engine) as log:
        first = reviews.queue_page(s, hq)
        reviews.queue_page(s, hq, page=2, min_age_hours=1)
        reviews.queue_page(s, hq, org_id=_org(world, "JX-A").id, min_severity="info")
        reviews.item_detail(s, hq, "variant", ids[0])
        entries = reviews.thread(s, hq, "variant", ids[0])
        search_orgs(s, hq)
        picked, total = reviews.withdrawable(s, hq)
        reviews.withdrawable(s, hq, "已通过", page=2)
        clean = [(r.subject_type, r.subject_id, r.seen) for r in first.rows if r.verdict is Verdict.PASS]
    assert (
        first.total == 3 * page + 0 and len(first.rows) == page and total == 3 * page and len(picked) == page
    )
    assert len(entries) == reviews.THREAD_LIMIT  # the newest ones
    assert log.over(page + 5) == [], log.over(page + 5)
    with rows_per_query(engine) as log:
        result = reviews.batch_approve(s, hq, clean)
    assert (result.approved, result.skipped) == (page, [])
    assert [(n, sql) for n, sql in log.over(page + 5) if "variant" in sql or "review" in sql] == []
