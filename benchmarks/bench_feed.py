"""Write the static staff feed of 2,300 branches; print the time of a full build, a rebuild and a withdrawal.

Usage: python benchmarks/bench_feed.py [--branches 2300]

Generates the org tree and approved content of bench_calendar.py in a throwaway SQLite database, publishes
this month for every branch (the planner's proposal, inserted as version 1), then times through the service
the CLI uses: `studio feed build` on first run (links created, folders written), a second run (rewrites
only) and the withdrawal of one head-office post that most branches show (every such feed rewritten).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def publish_all(url: str, out: Path) -> int:
    """Version 1 of this month for every branch: the proposal, inserted in one transaction."""
    from sqlmodel import Session, col, select

    from studio.db.engine import make_engine
    from studio.db.models import CalendarPublication, Org
    from studio.domain.clock import today_cn
    from studio.services.library_import import ensure_library_actor
    from studio.services.planning import export_month

    month = f"{today_cn():%Y-%m}"
    engine = make_engine(url)
    with Session(engine) as session:
        actor = ensure_library_actor(session)
        ids = {o.code: o.id for o in session.exec(select(Org).where(col(Org.kind) == "sub_branch"))}
        docs = list(export_month(session, actor, None, month, out, ("json",)))
        for doc in docs:
            session.add(
                CalendarPublication(
                    org_id=ids[doc.org_code],
                    month=month,
                    version=1,
                    entries=[e.model_dump(mode="json") for e in doc.entries],
                    published_by=actor.user_id,
                )
            )
        session.commit()
    engine.dispose()
    return len(docs)


def _first_branch(session) -> int:  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    from studio.db.models import Org

    return int(session.exec(select(Org.id).where(col(Org.code) == "B00-0000")).one())


def _most_shown(path: str) -> int:
    """A head-office post on the first branch's page (the HQ posts every branch shows)."""
    import json

    data = json.loads((Path(os.environ["STUDIO_FEED_DIR"]) / path / "feed.json").read_text(encoding="utf-8"))
    hq_posts = [e["variant_id"] for e in data["entries"] if e["variant_id"] <= 150]
    return hq_posts[0]


def timed_feed(url: str) -> tuple[float, float, float, int, int]:
    from sqlmodel import Session, col, select

    from studio.db.engine import make_engine
    from studio.db.models import Org, Variant
    from studio.services import feed
    from studio.services.library_import import ensure_library_actor

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        actor = ensure_library_actor(session)
        t0 = time.perf_counter()
        first = feed.build_feeds(session, actor)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        feed.build_feeds(session, actor)
        rebuild = time.perf_counter() - t0
        hq = session.exec(select(Org).where(col(Org.code) == "HQ")).one()
        shown = _most_shown(feed.feed_link(session, actor, _first_branch(session)).path or "")
        post = session.get(Variant, shown)
        assert post is not None and post.org_id == hq.id
        post.state = "withdrawn"
        session.add(post)
        session.commit()
        t0 = time.perf_counter()
        after = feed.refresh_feeds(session, actor, variant_ids=[post.id or 0])
        withdrawal = time.perf_counter() - t0
    engine.dispose()
    return build, rebuild, withdrawal, first.written, after.written


def main() -> int:
    from benchmarks.bench_calendar import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=2300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        url = f"sqlite:///{tmpdir / 'bench.db'}"
        os.environ.update(
            STUDIO_DATABASE_URL=url, STUDIO_DATA_DIR=str(tmpdir), STUDIO_FEED_DIR=str(tmpdir / "feed")
        )
        generate(url, args.branches)
        published = publish_all(url, tmpdir / "scratch")
        build, rebuild, withdrawal, written, rewritten = timed_feed(url)
        files = [p for p in (tmpdir / "feed").rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
    print(f"{published} branches published; feed: {len(files)} files, {size / 1e6:.1f} MB")
    print(f"first build (links created): {written} feeds in {build:.2f} s ({written / build:.0f} feeds/s)")
    print(
        f"rebuild (daily run): {rebuild:.2f} s; withdrawal of one HQ post: {rewritten} feeds in {withdrawal:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
