"""Time 审计日志, 内容日历, 看板, 今日内容 and 节日日历 on a network-sized database, first render and rerun.

Usage: python benchmarks/bench_auditcal.py [--url sqlite:///x.db | postgresql+psycopg://...] [--events 100000]
                                           [--branches 2300] [--keep]

Bulk-inserts (Core executemany, not services) into a freshly migrated database: 1 HQ, 86 banks, N branches,
HQ and bank content, ~2 slots per branch per day for the current month, post marks for a third of the due
slots, 5,000 variants waiting for review, and a valid keyed audit chain of `--events` events with one signed
checkpoint at its head. Then runs each page script with Streamlit's AppTest as an HQ admin (and a branch
staff member for 今日内容): the first run (cold caches) and a second run with nothing changed (a rerun).
AppTest runs the script without a browser, so these are server-side times: the floor of what a user sees.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVINCES = ["江西", "广西", "湖南", "福建", "云南", "四川", "河南", "山东"]
TYPES = ["knowledge", "service", "interaction", "culture", "product"]
ACTIONS = [
    "login.success",
    "review.decide",
    "variant.localise",
    "calendar.place",
    "post.mark",
    "template.create",
]


def generate(url: str, branches: int, events: int) -> None:
    from sqlalchemy import select
    from sqlmodel import Session

    from studio.db import migrate
    from studio.db.engine import make_engine
    from studio.db.models import Org

    migrate.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with Session(engine) as s:
        _orgs_and_users(s, branches, now)
        _content(s, branches, rng, now)
        _slots_and_marks(s, branches, rng, now)
        s.commit()
        _audit_chain(s, events, now)
        if engine.dialect.name == "postgresql":  # bulk ids were explicit: move the sequences past them
            for table in (
                "org",
                "app_user",
                "template",
                "template_version",
                "variant",
                "calendar_slot",
                "post_mark",
            ):
                s.connection().exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            s.commit()
        # Fresh statistics, as autovacuum would gather soon after a bulk load: without them PostgreSQL
        # estimates one row per table and nests loops over 2,300 branches (看板 took 6 s instead of 0.08 s).
        s.connection().exec_driver_sql("ANALYZE")
        s.commit()
        assert s.execute(select(Org.id).where(Org.id == 100)).scalar() == 100
    engine.dispose()


def _orgs_and_users(s: Session, branches: int, now: datetime) -> None:
    """1 HQ, 86 banks, `branches` branches; an admin, an editor and one staff member per branch."""
    from sqlalchemy import insert

    from studio.db.models import Org, User
    from studio.services.auth import hash_password

    pw = hash_password("Demo@2026")
    conn = s.connection()
    conn.execute(insert(Org), [{"id": 1, "code": "HQ", "name": "总行", "kind": "hq", "path": "/1/"}])
    conn.execute(
        insert(Org),
        [
            {
                "id": 2 + b,
                "code": f"B{b:02d}",
                "name": f"第{b}分行",
                "kind": "branch",
                "parent_id": 1,
                "province": PROVINCES[b % len(PROVINCES)],
                "path": f"/1/{2 + b}/",
            }
            for b in range(86)
        ],
    )
    subs = []
    for n in range(branches):
        oid, bank = 100 + n, 2 + n % 86
        subs.append(
            {
                "id": oid,
                "code": f"S{n:04d}",
                "name": f"支行{n}",
                "kind": "sub_branch",
                "parent_id": bank,
                "province": PROVINCES[(bank - 2) % len(PROVINCES)],
                "path": f"/1/{bank}/{oid}/",
            }
        )
    conn.execute(insert(Org), subs)
    users = [
        {"id": 1, "username": "admin", "role": "admin", "org_id": 1},
        {"id": 2, "username": "editor", "role": "hq_editor", "org_id": 1},
        {"id": 3, "username": "staff", "role": "staff", "org_id": 100},
    ]
    users += [
        {"id": 10 + n, "username": f"staff{n}", "role": "staff", "org_id": 100 + n} for n in range(branches)
    ]
    conn.execute(
        insert(User),
        [
            {**u, "display_name": u["username"], "password_hash": pw, "active": True, "created_at": now}
            for u in users
        ],
    )


def _content(s: Session, branches: int, rng: random.Random, now: datetime) -> None:
    """300 HQ templates (approved), each with an HQ variant and one per bank for 20 of them; 5,000 waiting."""
    from sqlalchemy import insert

    from studio.db.models import Template, TemplateVersion, Variant

    templates, versions, variants = [], [], []
    vid = 0
    for t in range(300):
        templates.append(
            {
                "id": t + 1,
                "code": f"t{t}",
                "owner_org_id": 1,
                "created_by": 2,
                "created_at": now,
                "latest_version_no": 1,
                "lock_version": 1,
            }
        )
        versions.append(
            {
                "id": t + 1,
                "template_id": t + 1,
                "version_no": 1,
                "title": f"内容{t}",
                "body": "x",
                "slots": [],
                "occasion_kind": "everyday",
                "occasion": "冬至" if t % 50 == 0 else None,
                "content_type": TYPES[t % len(TYPES)],
                "persona": "expert",
                "channel": "moments" if t % 3 else "group",
                "product_type": "general",
                "state": "approved",
                "verdict": "pass",
                "findings": [],
                "ruleset": "bench",
                "content_digest": "",
                "lock_version": 1,
                "created_by": 2,
                "created_at": now,
            }
        )
        owners = [1] + ([2 + b for b in range(86)] if t < 20 else [])
        for owner in owners:
            vid += 1
            variants.append(
                {
                    "id": vid,
                    "org_id": owner,
                    "template_version_id": t + 1,
                    "title": f"内容{t}",
                    "slot_values": {},
                    "text": "金融知识小课堂。" * 5,
                    "state": "approved",
                }
            )
    for n in range(5000):  # the waiting queue
        vid += 1
        variants.append(
            {
                "id": vid,
                "org_id": 100 + n % branches,
                "template_version_id": 1 + n % 300,
                "title": f"待审{n}",
                "slot_values": {},
                "text": "待审核内容。",
                "state": "submitted",
                "submitted_at": now - timedelta(hours=rng.randint(1, 200)),
            }
        )
    conn = s.connection()
    conn.execute(insert(Template), templates)
    conn.execute(insert(TemplateVersion), versions)
    conn.execute(
        insert(Variant),
        [
            {
                "verdict": "pass",
                "findings": [],
                "ruleset": "bench",
                "content_digest": "",
                "created_by": 2,
                "created_at": now,
                "updated_at": now,
                "lock_version": 1,
                "submitted_at": None,
                **v,
            }
            for v in variants
        ],
    )


def _slots_and_marks(s: Session, branches: int, rng: random.Random, now: datetime) -> None:
    """2 slots a day per branch, from HQ content, for the whole current month; a third of the due posted."""
    from sqlalchemy import insert

    from studio.db.models import CalendarSlot, PostMark
    from studio.domain.clock import today_cn

    today = today_cn()
    first = today.replace(day=1)
    days = [first + timedelta(days=i) for i in range(31) if (first + timedelta(days=i)).month == first.month]
    slots, sid = [], 0
    for n in range(branches):
        for d in days:
            for k in range(2):
                sid += 1
                slots.append(
                    {
                        "id": sid,
                        "org_id": 100 + n,
                        "day": d,
                        "time_of_day": ("08:30", "18:00")[k],
                        "channel": "moments",
                        "variant_id": 1 + rng.randrange(300),
                        "created_by": 2,
                        "created_at": now,
                    }
                )
    conn = s.connection()
    for chunk in range(0, len(slots), 20000):
        conn.execute(insert(CalendarSlot), slots[chunk : chunk + 20000])
    marks = [
        {"slot_id": sl["id"], "user_id": 10 + sl["org_id"] - 100, "posted_at": now}
        for sl in slots
        if sl["day"] <= today and rng.random() < 0.33
    ]
    for chunk in range(0, len(marks), 20000):
        conn.execute(insert(PostMark), marks[chunk : chunk + 20000])


def _audit_chain(s: Session, events: int, now: datetime) -> None:
    """A keyed, valid audit chain of `events` events, anchored at its head."""
    from sqlalchemy import insert

    from studio.db.models import AuditEvent
    from studio.workflow import audit, audit_anchor

    key = audit_anchor.signing_key()
    prev, batch = audit.GENESIS, []
    start = now - timedelta(days=120)
    for seq in range(1, events + 1):
        event = AuditEvent(
            seq=seq,
            at=start + timedelta(seconds=seq * 100),
            actor_id=3,
            actor=f"user{seq % 40}",
            action=ACTIONS[seq % len(ACTIONS)],
            subject=f"thing:{seq % 5000}",
            details={audit.KEY_MARK: key.kid, audit.SINCE_MARK: 1},
            prev_hash=prev,
            hash="",
        )
        event.hash = audit.keyed_hash(key, prev, event)
        prev = event.hash
        batch.append(
            {
                c: getattr(event, c)
                for c in (
                    "seq",
                    "at",
                    "actor_id",
                    "actor",
                    "action",
                    "subject",
                    "details",
                    "prev_hash",
                    "hash",
                )
            }
        )
        if len(batch) == 10000:
            s.connection().execute(insert(AuditEvent), batch)
            batch = []
    if batch:
        s.connection().execute(insert(AuditEvent), batch)
    s.commit()
    audit_anchor.write_checkpoint(key, events, prev, 1)


def actor_json(username: str) -> dict:
    from sqlmodel import Session, select

    from studio.db.engine import default_engine
    from studio.db.models import User
    from studio.services.auth import actor_for

    with Session(default_engine()) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return actor_for(session, user).model_dump(mode="json")


def time_page(page: str, actor: dict) -> tuple[float, float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "studio" / "pages" / page), default_timeout=600)
    at.session_state["actor"] = actor
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    t0 = time.perf_counter()
    at.run()
    return first, time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=2300)
    parser.add_argument("--keep", action="store_true", help="reuse an already generated --url database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("STUDIO_DATA_DIR", tmp)
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ["STUDIO_DATABASE_URL"] = url
        if not args.keep:
            t0 = time.perf_counter()
            generate(url, args.branches, args.events)
            print(
                f"generated {args.branches} branches, {args.events} audit events in {time.perf_counter() - t0:.1f} s"
            )
        else:
            from studio.db import migrate

            migrate.upgrade(url)  # new indexes onto a database generated by an older revision
        admin, editor, staff = actor_json("admin"), actor_json("editor"), actor_json("staff")
        for page, who in (
            ("audit_log.py", admin),
            ("content_calendar.py", editor),
            ("dashboard.py", admin),
            ("today.py", staff),
            ("occasions.py", admin),
        ):
            first, rerun = time_page(page, who)
            print(f"{page:22s} first render {first:7.2f} s   rerun {rerun:7.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
