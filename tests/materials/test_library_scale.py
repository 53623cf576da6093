"""素材库 and 我的内容 at scale: filtered, counted, searched and paged in the database, on indexes.

Rows are bulk-inserted (as `studio seed --scale` would) and get their search words from the same
backfill the migration runs; tests/materials/test_library_search.py covers versions written by the service.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, text
from sqlmodel import select

from studio.db.models import Org, Template, TemplateVersion, User, Variant
from studio.domain.enums import ReviewState
from studio.materials.search import backfill_search_tokens, season_of
from studio.services.templates import PAGE_SIZE, LibraryFilter, library_options, list_library
from studio.services.variants import list_my_variants
from tests.bounded import rows_per_query

OCCASIONS = ["冬至", "小雪", "立春", "春节", "中秋节", None]
REGIONS = [None, "江西", "广西"]
KINDS = ["festival", "solar_term", "everyday"]
CHANNELS = ["moments", "group", "private"]
STATES = ["approved", "submitted", "draft"]
N = PAGE_SIZE * 3 + 7  # three pages and a bit


def _version(template_id: int, no: int, rnd: random.Random, editor: int, **over) -> dict:  # type: ignore[no-untyped-def]
    row = {
        "template_id": template_id,
        "version_no": no,
        "title": f"模板{template_id}第{no}版",
        "body": rnd.choice(["祝您阖家团圆。", "陌生来电要求转账，一律是诈骗。", "理财非存款，投资须谨慎。"]),
        "slots": [],
        "occasion_kind": rnd.choice(KINDS),
        "occasion": rnd.choice(OCCASIONS),
        "content_type": "culture",
        "persona": "expert",
        "channel": rnd.choice(CHANNELS),
        "product_type": "general",
        "region": rnd.choice(REGIONS),
        "state": rnd.choice(STATES),
        "verdict": "pass",
        "findings": [],
        "ruleset": "t",
        "content_digest": "",
        "lock_version": 1,
        "created_by": editor,
    }
    row.update(over)
    return row


def bulk_library(world, n: int = N, seed: int = 5) -> list[dict]:  # type: ignore[no-untyped-def]
    """n templates, every third with a second version; returns the version rows inserted."""
    s, rnd = world.session, random.Random(seed)
    hq = s.exec(select(Org).where(Org.code == "HQ")).one()
    editor = s.exec(select(User).where(User.username == "editor")).one().id
    start = (s.exec(select(Template.id).order_by(Template.id.desc())).first() or 0) + 1  # type: ignore[union-attr]
    templates, versions = [], []
    for i in range(start, start + n):
        two = i % 3 == 0
        templates.append(
            {
                "id": i,
                "code": f"bulk-{i:05d}",
                "owner_org_id": hq.id,
                "created_by": editor,
                "latest_version_no": 2 if two else 1,
                "lock_version": 1,
            }
        )
        versions += [_version(i, no, rnd, editor) for no in ((1, 2) if two else (1,))]
    s.execute(insert(Template), templates)
    s.execute(insert(TemplateVersion), versions)
    backfill_search_tokens(s.connection())
    s.commit()
    return versions


def every_page(world, filters: LibraryFilter, approved_only: bool = False) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    actor = world.actor("loc_a" if approved_only else "editor")
    codes, page, total = [], 0, None
    while True:
        got = list_library(world.session, actor, filters, approved_only=approved_only, page=page)
        assert len(got.rows) <= PAGE_SIZE and (total is None or got.total == total)
        total = got.total
        codes += [r.code for r in got.rows]
        if page + 1 >= got.pages:
            return codes, total
        page += 1


def reference(versions: list[dict], keep, approved_only: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    """What the old in-Python listing chose: the latest (approved) version of each template, filtered."""
    current: dict[int, dict] = {}
    for v in versions:
        if approved_only and v["state"] != "approved":
            continue
        if v["template_id"] not in current or v["version_no"] > current[v["template_id"]]["version_no"]:
            current[v["template_id"]] = v
    chosen = [v for v in current.values() if keep(v)]
    chosen.sort(key=lambda v: (v["occasion_kind"], v["title"], v["template_id"]))
    return [f"bulk-{v['template_id']:05d}" for v in chosen]


CASES = [
    (LibraryFilter(), lambda v: True),
    (LibraryFilter(occasion="冬至"), lambda v: v["occasion"] == "冬至"),
    (LibraryFilter(season="冬"), lambda v: season_of(v["occasion"]) == "冬"),
    (
        LibraryFilter(season="冬", channel="group"),
        lambda v: season_of(v["occasion"]) == "冬" and v["channel"] == "group",
    ),
    (
        LibraryFilter(region="江西", occasion_kind="festival"),
        lambda v: v["region"] == "江西" and v["occasion_kind"] == "festival",
    ),
    (LibraryFilter(state="submitted"), lambda v: v["state"] == "submitted"),
    (LibraryFilter(query="诈骗"), lambda v: "诈骗" in v["body"]),
    (
        LibraryFilter(query="团圆 冬至", channel="moments"),
        lambda v: "团圆" in v["body"] and v["occasion"] == "冬至" and v["channel"] == "moments",
    ),
]


@pytest.mark.parametrize("approved_only", [False, True], ids=["editor", "localiser"])
def test_filters_paging_and_count_match_the_reference(world, approved_only):
    versions = bulk_library(world)
    for filters, keep in CASES:
        want = reference(versions, keep, approved_only)
        got, total = every_page(world, filters, approved_only)
        assert total == len(want), filters
        if filters.query:  # ranked: same set, best match first
            assert sorted(got) == sorted(want), filters
        else:
            assert got == want, filters
    assert len(reference(versions, lambda v: True)) == N  # the data really spans pages


def test_latest_approved_version_for_localisers_latest_version_for_editors(world):
    bulk_library(world, n=3)
    s = world.session
    tid = s.exec(select(Template.id).where(Template.code == "bulk-00003")).one()  # two versions
    s.execute(text("UPDATE template_version SET state = 'approved' WHERE template_id = :t"), {"t": tid})
    s.execute(
        insert(TemplateVersion), [_version(tid, 3, random.Random(1), 1, state="submitted", title="第三版")]
    )
    s.execute(text("UPDATE template SET latest_version_no = 3 WHERE id = :t"), {"t": tid})
    backfill_search_tokens(s.connection())
    s.commit()
    pick = {r.code: r.version_no for r in list_library(s, world.actor("loc_a"), approved_only=True).rows}
    assert pick["bulk-00003"] == 2
    rows = {r.code: r for r in list_library(s, world.actor("editor")).rows}
    assert rows["bulk-00003"].version_no == 3 and rows["bulk-00003"].title == "第三版"
    assert list_library(s, world.actor("editor"), LibraryFilter(query="第三版")).total == 1
    assert list_library(s, world.actor("loc_a"), LibraryFilter(query="第三版"), approved_only=True).total == 0


def test_search_ranks_the_better_match_first(world):
    bulk_library(world, n=2)
    s = world.session
    s.execute(text("UPDATE template_version SET body = :b"), {"b": "储蓄存款，安全稳健。"})
    s.execute(
        text("UPDATE template_version SET body = :b WHERE template_id = (SELECT min(id) FROM template)"),
        {"b": "存款常识：防范诈骗。"},
    )
    s.execute(
        text("UPDATE template_version SET body = :b WHERE template_id = (SELECT max(id) FROM template)"),
        {"b": "防范诈骗！诈骗分子冒充客服，诈骗手法多变，谨防诈骗，远离诈骗。"},
    )
    s.execute(text("UPDATE template_version SET search_tokens = ''"))
    backfill_search_tokens(s.connection())
    s.commit()
    got = list_library(s, world.actor("editor"), LibraryFilter(query="诈骗"))
    assert [r.code for r in got.rows] == ["bulk-00002", "bulk-00001"]
    assert list_library(s, world.actor("editor"), LibraryFilter(query="防范 存款")).total == 1


def test_a_page_past_the_end_shows_the_last_page_and_options_come_from_current_versions(world):
    versions = bulk_library(world)
    got = list_library(world.session, world.actor("editor"), page=99)
    assert got.page == got.pages - 1 == 3 and len(got.rows) == N - 3 * PAGE_SIZE
    options = library_options(world.session, world.actor("editor"))
    current = {v["template_id"]: v for v in sorted(versions, key=lambda v: v["version_no"])}.values()
    assert options.occasions == sorted({v["occasion"] for v in current if v["occasion"]})
    assert options.regions == sorted({v["region"] for v in current if v["region"]})


def bulk_variants(world, per_org: int) -> None:  # type: ignore[no-untyped-def]
    """per_org variants for each of JX-A and JX-B (and one superseded each), updated a minute apart."""
    s = world.session
    bulk_library(world, n=2)
    version_id = s.exec(select(TemplateVersion.id)).first()
    orgs = {o.code: o.id for o in s.exec(select(Org))}
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for k, code in enumerate(("JX-A", "JX-B")):
        for i in range(per_org + 1):
            rows.append(
                {
                    "org_id": orgs[code],
                    "template_version_id": version_id,
                    "title": f"{code}-{i}",
                    "slot_values": {},
                    "text": "您好",
                    "verdict": "pass",
                    "findings": [],
                    "ruleset": "t",
                    "content_digest": "",
                    "created_by": 1,
                    "lock_version": 1,
                    "state": "superseded" if i == per_org else ("approved" if i % 2 else "submitted"),
                    "updated_at": base + timedelta(minutes=2 * i + k),
                }
            )
    s.execute(insert(Variant), rows)
    s.commit()


def test_my_variants_are_scoped_paged_newest_first(world):
    bulk_variants(world, per_org=PAGE_SIZE + 3)
    s = world.session
    mine = list_my_variants(s, world.actor("loc_a"))
    assert mine.total == PAGE_SIZE + 3 and len(mine.rows) == PAGE_SIZE
    assert {r.org_name for r in mine.rows} == {"章贡支行"}
    assert mine.rows[0].title == f"JX-A-{PAGE_SIZE + 2}"  # newest first, superseded left out
    second = list_my_variants(s, world.actor("loc_a"), page=1)
    assert [r.title for r in second.rows] == [f"JX-A-{i}" for i in (2, 1, 0)]
    bank = list_my_variants(s, world.actor("jx_reviewer"), page=0)
    assert bank.total == 2 * (PAGE_SIZE + 3) and bank.rows[0].title == f"JX-B-{PAGE_SIZE + 2}"
    approved = list_my_variants(s, world.actor("loc_a"), state=ReviewState.APPROVED)
    assert approved.total == (PAGE_SIZE + 3) // 2 and {r.state for r in approved.rows} == {"approved"}
    assert list_my_variants(s, world.actor("loc_gx")).total == 0


# --- bounded: no statement returns more than a page --------------------------------------------------


def test_library_and_my_content_read_at_most_a_page(world, engine):
    bulk_library(world)
    bulk_variants(world, per_org=2 * PAGE_SIZE)
    s, editor, loc = world.session, world.actor("editor"), world.actor("loc_a")
    with rows_per_query(engine) as log:
        for filters in (LibraryFilter(), LibraryFilter(season="冬"), LibraryFilter(query="诈骗")):
            list_library(s, editor, filters, page=1)
            list_library(s, loc, filters, approved_only=True, page=2)
        library_options(s, editor)
        list_my_variants(s, world.actor("jx_reviewer"), page=1)
        list_my_variants(s, loc, page=0)
    assert len(log.queries) >= 14
    assert log.over(PAGE_SIZE + 5) == []


# --- EXPLAIN: the statements run on indexes ----------------------------------------------------------


def _statements(engine, call) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _plans(world, engine, call) -> list[str]:  # type: ignore[no-untyped-def]
    statements = _statements(engine, call)
    plans = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
        for sql, params in statements:
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + sql, params).all()
            plans.append("\n".join(str(r[-1]) for r in rows))
    return plans


def test_listing_plans_use_the_indexes(world, engine):
    bulk_library(world)
    bulk_variants(world, per_org=3)
    s, editor, loc = world.session, world.actor("editor"), world.actor("loc_a")
    sqlite = engine.dialect.name == "sqlite"

    search = _plans(world, engine, lambda: list_library(s, editor, LibraryFilter(query="诈骗")))
    approved = _plans(world, engine, lambda: list_library(s, loc, approved_only=True))
    latest = _plans(world, engine, lambda: list_library(s, editor, LibraryFilter(channel="group")))
    mine = _plans(world, engine, lambda: list_my_variants(s, loc))
    assert all(
        ("template_version_fts VIRTUAL TABLE INDEX" if sqlite else "ix_template_version_search") in p
        for p in search
    ), search
    assert len(mine) == 2 and all("ix_variant_" in p for p in mine), mine  # count and page: org → variants
    if not sqlite:  # with sequential scans priced out, every table is reached through an index
        assert not any("Seq Scan" in p for p in search + approved + latest + mine)
        return
    # The newer-approved-version probe, and each current version's template by primary key.
    assert all("ix_template_version_tpl_state_no" in p for p in approved), approved
    assert all("SEARCH template USING INTEGER PRIMARY KEY" in p for p in latest + approved), latest
    assert all("ix_org_path" in p and "SCAN variant" not in p and "SCAN org" not in p for p in mine), mine


def _world_on_old_schema(s):  # type: ignore[no-untyped-def]
    """build_world's orgs and users on a database at an old revision: users go through the table as it is
    there, since the User model has columns added later (email, 0011)."""
    from sqlalchemy import MetaData, Table

    from studio.services.orgs import create_org
    from tests.conftest import ORGS, USERS, World, password_hash

    codes = {
        code: create_org(s, code=code, name=name, kind=kind, parent_code=parent, province=province, city=city)
        for code, name, kind, parent, province, city in ORGS
    }
    table = Table("app_user", MetaData(), autoload_with=s.connection())
    rows = [
        {
            "username": username,
            "display_name": username,
            "password_hash": password_hash(),
            "role": role.value,
            "org_id": codes[org].id,
            "active": True,
            "created_at": datetime.now(UTC),
        }
        for username, role, org in USERS
    ]
    s.execute(insert(table), rows)
    s.commit()
    return World(s)


def test_migration_backfills_search_words_of_existing_versions(db_url):
    from sqlmodel import Session

    from studio.db import migrate
    from studio.db.engine import make_engine

    migrate.upgrade(db_url, "0005")
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as s:
        world = _world_on_old_schema(s)
        editor = s.exec(select(User.id).where(User.username == "editor")).one()
        s.execute(
            text(
                "INSERT INTO template (id, code, owner_org_id, created_by, created_at, latest_version_no, "
                "lock_version) VALUES (1, 'old-one', 1, :u, CURRENT_TIMESTAMP, 1, 1)"
            ),
            {"u": editor},
        )
        s.execute(
            text(
                "INSERT INTO template_version (template_id, version_no, title, body, slots, occasion_kind, occasion, "
                "content_type, persona, channel, product_type, state, verdict, findings, ruleset, content_digest, "
                "lock_version, created_by, created_at) VALUES (1, 1, '冬至问候', '冬至到了，祝您阖家团圆。', '[]', "
                "'festival', '冬至', 'culture', 'expert', 'moments', 'general', 'approved', 'pass', '[]', 't', '', 1, "
                ":u, CURRENT_TIMESTAMP)"
            ),
            {"u": editor},
        )
        s.commit()
        migrate.upgrade(db_url)
        found = list_library(s, world.actor("editor"), LibraryFilter(query="团圆 冬至"))
        assert [r.code for r in found.rows] == ["old-one"]
    engine.dispose()
    migrate.check(db_url)
