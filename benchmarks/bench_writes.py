"""Review decisions per second through the service layer on PostgreSQL: 1 writer, then N concurrent writers.

Usage: python benchmarks/bench_writes.py [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                         [--decisions 600] [--threads 50] [--processes 5]
                                         [--without-audit] [--keep]

Creates a dedicated database `bench_writes` (dropped first if it exists, and at the end unless --keep),
migrates it, and seeds one HQ, a branch, a maker, one reviewer per writer and 3 × `--decisions` submitted
variants with real digests. Then `reviews.decide` approves a first batch one by one in one thread (the
baseline), a second batch from `--threads` threads of this process, and a third from the same number of
writers spread over `--processes` processes (as several app instances would run them). Every writer has
its own engine and connection and its own slice of items (unrelated writes). Prints throughput, p50 and
p95 per run and the ratio to the single writer measured in the same run, and checks that the audit chain
verifies afterwards (on PostgreSQL a writer that finds the chain busy commits its event as pending and a
sealer chains it in a batch; the count of events still pending at the end is printed). The audit key and checkpoints go to a temporary data directory. `--without-audit` measures the same decisions with no audit event at all:
the ceiling that the rest of a decision (ORM, compliance check, CPU) leaves to any audit design.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB_NAME = "bench_writes"
TEXT = "本周理财小课堂：分散配置、量力而行，了解产品风险等级后再做选择。第{n}期。"


def _admin(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url, isolation_level="AUTOCOMMIT")


def recreate(admin_url: str) -> str:
    from sqlalchemy import text

    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{DB_NAME}"


def drop(admin_url: str) -> None:
    from sqlalchemy import text

    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def seed(url: str, items: int, reviewers: int) -> None:
    """Core inserts into a migrated database: orgs, users, one approved template, `items` waiting variants."""
    from sqlalchemy import insert
    from sqlmodel import Session

    from studio.db import migrate
    from studio.db.engine import make_engine
    from studio.db.models import Org, Template, TemplateVersion, User, Variant
    from studio.domain.digest import content_digest
    from studio.services.auth import hash_password

    migrate.upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    pw = hash_password("Bench@2026x")
    with Session(engine) as s:
        conn = s.connection()
        conn.execute(
            insert(Org),
            [
                {"id": 1, "code": "HQ", "name": "总行", "kind": "hq", "path": "/1/"},
                {"id": 2, "code": "B1", "name": "分行", "kind": "branch", "parent_id": 1, "path": "/1/2/"},
            ],
        )
        users = [{"id": 1, "username": "maker", "role": "branch_localiser", "org_id": 2}]
        users += [
            {"id": 10 + r, "username": f"reviewer{r}", "role": "reviewer", "org_id": 1}
            for r in range(reviewers)
        ]
        conn.execute(
            insert(User),
            [
                {**u, "display_name": u["username"], "password_hash": pw, "active": True, "created_at": now}
                for u in users
            ],
        )
        conn.execute(
            insert(Template),
            [{"id": 1, "code": "t1", "owner_org_id": 1, "created_by": 1, "created_at": now,
              "latest_version_no": 1, "lock_version": 1}],
        )  # fmt: skip
        conn.execute(
            insert(TemplateVersion),
            [{"id": 1, "template_id": 1, "version_no": 1, "title": "理财小课堂", "body": "x", "slots": [],
              "occasion_kind": "everyday", "content_type": "knowledge", "persona": "expert",
              "channel": "moments", "product_type": "general", "state": "approved", "verdict": "pass",
              "findings": [], "ruleset": "bench", "content_digest": "", "lock_version": 1,
              "created_by": 1, "created_at": now}],
        )  # fmt: skip
        rows = []
        for n in range(items):
            title, body = f"理财小课堂{n}", TEXT.format(n=n)
            digest = content_digest(title=title, text=body, channel="moments", product_type="general")
            rows.append(
                {"id": n + 1, "org_id": 2, "template_version_id": 1, "title": title, "slot_values": {},
                 "text": body, "state": "submitted", "verdict": "pass", "findings": [], "ruleset": "bench",
                 "content_digest": digest, "lock_version": 1, "created_by": 1, "submitted_by": 1,
                 "created_at": now, "updated_at": now, "submitted_at": now}
            )  # fmt: skip
        conn.execute(insert(Variant), rows)
        for table in ("org", "app_user", "template", "template_version", "variant"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        s.commit()
        conn = s.connection()
        conn.exec_driver_sql("ANALYZE")
        s.commit()
    engine.dispose()


def _digest(n: int) -> str:
    from studio.domain.digest import content_digest

    return content_digest(
        title=f"理财小课堂{n}", text=TEXT.format(n=n), channel="moments", product_type="general"
    )


def _writer(url: str, reviewer: int, ids: list[int], latencies: list[float], errors: list[str]) -> None:
    """One reviewer approving its own items, with its own engine (one connection) and a session per decision."""
    from sqlmodel import Session, select

    from studio.db.engine import make_engine
    from studio.db.models import User
    from studio.domain.enums import Decision
    from studio.domain.views import SeenVersion
    from studio.services import reviews
    from studio.services.auth import actor_for

    engine = make_engine(url)
    with Session(engine) as s:
        actor = actor_for(s, s.exec(select(User).where(User.id == 10 + reviewer)).one())
    try:
        for item in ids:
            seen = SeenVersion(lock_version=1, digest=_digest(item - 1))
            start = time.perf_counter()
            try:
                with Session(engine, expire_on_commit=False) as s:
                    reviews.decide(s, actor, "variant", item, Decision.APPROVE, seen=seen)
            except Exception as error:  # counted and shown, the run goes on
                errors.append(f"{item}: {error.__class__.__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - start)
    finally:
        engine.dispose()


def _threads(url: str, ids: list[int], threads: int, first: int = 0) -> tuple[list[float], list[str]]:
    """`threads` writers in this process; writer t is reviewer `first + t` and takes every threads-th item."""
    latencies: list[float] = []
    errors: list[str] = []
    workers = [
        threading.Thread(target=_writer, args=(url, first + t, ids[t::threads], latencies, errors))
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, errors


def _process(url: str, ids: list[int], threads: int, first: int, start_at: float, out: Any) -> None:
    time.sleep(max(0.0, start_at - time.time()))  # every process starts writing at the same moment
    out.put(_threads(url, ids, threads, first))


def _processes(url: str, ids: list[int], writers: int, processes: int) -> tuple[list[float], list[str]]:
    """`writers` writers spread over `processes` processes (as several app instances would be)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    per = writers // processes
    start_at = time.time() + 1.0
    procs = [
        ctx.Process(target=_process, args=(url, ids[p::processes], per, p * per, start_at, out))
        for p in range(processes)
    ]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return [x for lat, _ in results for x in lat], [e for _, err in results for e in err]


def run(url: str, ids: list[int], writers: int, processes: int = 1) -> dict[str, float]:
    start = time.perf_counter()
    if processes > 1:
        latencies, errors = _processes(url, ids, writers, processes)
        start += 1.0  # the processes wait for a common start
    else:
        latencies, errors = _threads(url, ids, writers)
    elapsed = time.perf_counter() - start
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    ordered = sorted(latencies)
    if not ordered:
        raise SystemExit(f"every decision failed; first error: {errors[0]}")
    return {
        "n": len(latencies),
        "errors": len(errors),
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
    }


def verify(url: str) -> str:
    from sqlmodel import Session

    from studio.db.engine import make_engine
    from studio.workflow import audit

    engine = make_engine(url)
    with Session(engine) as s:
        report = audit.verify(s)
    engine.dispose()
    if not report.ok:
        return f"BROKEN at {report.broken_seq}: {report.reason}"
    return f"intact, {report.checked} events chained, {report.pending} still pending"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--decisions", type=int, default=600, help="decisions per run")
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument(
        "--processes",
        type=int,
        default=5,
        help="also run the writers spread over this many processes (0: skip)",
    )
    parser.add_argument(
        "--without-audit",
        action="store_true",
        help="ceiling check only: decisions append no audit event (the chain's share of the cost)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_writes database")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="bench_writes_")
    os.environ["STUDIO_DATA_DIR"] = data
    for name in ("STUDIO_AUDIT_KEY", "STUDIO_AUDIT_KEY_FILE", "STUDIO_AUDIT_ANCHOR_DIR"):
        os.environ.pop(name, None)
    if args.without_audit:
        from studio.workflow import audit

        audit.append = lambda *_args, **_kw: None  # type: ignore[assignment,return-value]
        print("WITHOUT AUDIT EVENTS: an upper bound for the rest of a decision, not a valid configuration")
    warm = 20
    n = args.decisions
    url = recreate(args.admin_url)
    try:
        seed(url, warm + 3 * n, args.threads)
        run(url, list(range(1, warm + 1)), 1)  # compile the ruleset, import everything, fill caches
        batches = [list(range(warm + k * n + 1, warm + (k + 1) * n + 1)) for k in range(3)]
        runs = [("1 writer", run(url, batches[0], 1))]
        runs.append((f"{args.threads} threads, 1 process", run(url, batches[1], args.threads)))
        if args.processes > 1:
            label = f"{args.threads} writers, {args.processes} processes"
            runs.append((label, run(url, batches[2], args.threads, args.processes)))
        base = runs[0][1]["per_s"]
        for label, r in runs:
            print(
                f"{label:28s}: {r['n']:5.0f} decisions, {r['per_s']:7.1f}/s, p50 {r['p50_ms']:7.1f} ms, "
                f"p95 {r['p95_ms']:7.1f} ms, errors {r['errors']:.0f}, {r['per_s'] / base:.2f}x the 1 writer"
            )
        print(f"audit chain: {verify(url)}")
    finally:
        if not args.keep:
            drop(args.admin_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
