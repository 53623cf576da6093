"""素材库 at scale: bulk-insert N templates into a fresh database, time list / filter / search.

    PYTHONPATH=$PWD python benchmarks/bench_library.py --url sqlite:////tmp/lib.db --n 20000
    PYTHONPATH=$PWD python benchmarks/bench_library.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_lib

The database is dropped and recreated (SQLite file removed; the PostgreSQL database must not be in use).
Rows go in with bulk INSERTs (no compliance check per row), then the search index is filled the way the
migration backfills it. Each figure is the best of three calls of what the 素材库 page does for one rerun.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlmodel import Session, SQLModel, select

import studio.db.models  # noqa: F401
from studio.db.engine import make_engine
from studio.db.models import Template, TemplateVersion, User
from studio.domain.enums import Channel, ContentType, OccasionKind, OrgKind, Persona, ProductType, Role
from studio.services.auth import actor_for
from studio.services.orgs import create_org

OCCASIONS = [
    "春节",
    "元宵节",
    "清明",
    "端午节",
    "中秋节",
    "国庆节",
    "冬至",
    "立春",
    "立夏",
    "立秋",
    "立冬",
    "小雪",
    "大寒",
    "初伏",
    "重阳节",
    "七夕",
    "3·15消费者权益日",
    "开学季",
    "双十一",
    None,
    None,
    None,
]
REGIONS = [None, None, None, "江西", "广西", "广东", "浙江", "四川", "湖南"]
PHRASES = [
    "祝您阖家团圆，幸福安康",
    "陌生来电要求转账，一律是诈骗",
    "理财非存款，产品有风险，投资须谨慎",
    "{{ branch_name }}提醒您添衣保暖",
    "{{ city }}的朋友们，节日快乐",
    "警惕冒充客服的电信诈骗",
    "存款保险保障您的资金安全",
    "信用卡按时还款，珍惜个人信用",
    "养老金融服务，陪您安享晚年",
    "扫码领取新春红包，数量有限",
    "基金定投，坚持长期投资",
    "保护个人信息，不要泛滥授权",
    "贷款利率以合同为准",
    "绿色金融支持乡村振兴",
    "移动支付安全小贴士",
]


def _url_ready(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).unlink(missing_ok=True)
        return
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def populate(session: Session, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    hq = create_org(session, code="HQ", name="总行", kind=OrgKind.HQ)
    branch = create_org(
        session,
        code="JX",
        name="赣州分行",
        kind=OrgKind.BRANCH,
        parent_code="HQ",
        province="江西",
        city="赣州",
    )
    for name, role, org in (("editor", Role.HQ_EDITOR, hq), ("loc", Role.BRANCH_LOCALISER, branch)):
        session.add(
            User(username=name, display_name=name, password_hash="x", role=role.value, org_id=org.id or 0)
        )
    session.commit()
    editor = session.exec(select(User).where(User.username == "editor")).one()
    templates, versions = [], []
    for i in range(1, n + 1):
        two = rnd.random() < 0.2  # a fifth have a second (newer) version
        templates.append(
            {
                "id": i,
                "code": f"tpl-{i:06d}",
                "owner_org_id": hq.id,
                "created_by": editor.id,
                "latest_version_no": 2 if two else 1,
                "lock_version": 1,
            }
        )
        for no in (1, 2) if two else (1,):
            occasion = rnd.choice(OCCASIONS)
            body = "。".join(rnd.sample(PHRASES, 5)) + "。"
            versions.append(
                {
                    "template_id": i,
                    "version_no": no,
                    "title": f"{occasion or '日常'}{rnd.choice(PHRASES)[:8]}{i}",
                    "body": body,
                    "slots": [],
                    "occasion_kind": rnd.choice(list(OccasionKind)).value,
                    "occasion": occasion,
                    "content_type": rnd.choice(list(ContentType)).value,
                    "persona": rnd.choice(list(Persona)).value,
                    "channel": rnd.choice(list(Channel)).value,
                    "product_type": rnd.choice(list(ProductType)).value,
                    "region": rnd.choice(REGIONS),
                    "state": "approved" if no == 1 or rnd.random() < 0.5 else "submitted",
                    "verdict": "pass",
                    "findings": [],
                    "ruleset": "bench",
                    "content_digest": "",
                    "lock_version": 1,
                    "created_by": editor.id,
                }
            )
    session.execute(insert(Template), templates)
    for start in range(0, len(versions), 5000):
        session.execute(insert(TemplateVersion), versions[start : start + 5000])
    session.commit()
    try:  # the search index, as the migration backfills it (absent before the library rework)
        from studio.materials.search import backfill_search_tokens
    except ImportError:
        return
    backfill_search_tokens(session.connection())
    session.commit()


def best(fn: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, result


def cases(session: Session, actor, localiser) -> dict[str, Callable[[], object]]:  # type: ignore[no-untyped-def]
    from studio.services import templates

    if hasattr(templates, "list_library"):
        from studio.services.templates import LibraryFilter, library_options, list_library

        def page(filters: LibraryFilter, who=actor, approved=False):  # type: ignore[no-untyped-def]
            return lambda: list_library(session, who, filters, approved_only=approved, page=0).total

        return {
            "open (page 1 + count + options)": lambda: (
                list_library(session, actor, LibraryFilter(), page=0).total,
                library_options(session, actor),
            ),
            "filter 时机=冬至": page(LibraryFilter(occasion="冬至")),
            "filter 季节=冬 + 渠道": page(LibraryFilter(season="冬", channel="moments")),
            "page 50": lambda: list_library(session, actor, LibraryFilter(), page=50).total,
            "search 诈骗": page(LibraryFilter(query="诈骗")),
            "search 冬至 团圆 + filter": page(LibraryFilter(query="冬至 团圆", content_type="culture")),
            "localiser picker (approved) search 理财": page(LibraryFilter(query="理财"), localiser, True),
        }
    from studio.materials.search import search, season_of

    def old(keep: Callable, query: str = "", who=actor, approved=False):  # type: ignore[no-untyped-def]
        def run() -> int:
            everything = templates.list_templates(session, who, approved_only=approved)
            # What the old page did on every rerun: option lists from all rows, filter and search in Python.
            (
                sorted({t.occasion for t in everything if t.occasion}),
                sorted({t.region for t in everything if t.region}),
            )
            return len(search([t for t in everything if keep(t)], query))

        return run

    return {
        "open (page 1 + count + options)": old(lambda t: True),
        "filter 时机=冬至": old(lambda t: t.occasion == "冬至"),
        "filter 季节=冬 + 渠道": old(lambda t: season_of(t.occasion) == "冬" and t.channel == "moments"),
        "page 50": old(lambda t: True),
        "search 诈骗": old(lambda t: True, "诈骗"),
        "search 冬至 团圆 + filter": old(lambda t: t.content_type == "culture", "冬至 团圆"),
        "localiser picker (approved) search 理财": old(lambda t: True, "理财", localiser, True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    _url_ready(args.url)
    engine = make_engine(args.url)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        start = time.perf_counter()
        populate(session, args.n)
        print(f"populated {args.n} templates in {time.perf_counter() - start:.1f} s")
        actor = actor_for(session, session.exec(select(User).where(User.username == "editor")).one())
        localiser = actor_for(session, session.exec(select(User).where(User.username == "loc")).one())
        from studio.materials.search import query_terms

        query_terms("预热")  # jieba's dictionary loads once per process: not part of a rerun
        for name, fn in cases(session, actor, localiser).items():
            ms, result = best(fn)
            session.rollback()
            print(f"{name:45s} {ms:9.1f} ms   ({result if isinstance(result, int) else result[0]} rows)")
    engine.dispose()


if __name__ == "__main__":
    main()
