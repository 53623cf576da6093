"""`studio feed build|rotate`: the static staff feed, one folder per branch (README, Command line)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("feed", help="the static staff feed (today/tomorrow page and JSON per branch)")
    actions = parser.add_subparsers(dest="feed_command", required=True)
    build = actions.add_parser("build", help="rewrite the feed of one org, or of every org with one (daily)")
    build.add_argument("--org", help="org code (default: every org with a link or a published month)")
    build.add_argument(
        "--queue",
        action="store_true",
        help="submit a job for `studio worker` (STUDIO_JOB_QUEUE=procrastinate) and print its id",
    )
    build.set_defaults(handler=_build)
    rotate = actions.add_parser("rotate", help="give an org a new link; the old one stops working at once")
    rotate.add_argument("--org", required=True, help="org code")
    rotate.set_defaults(handler=_rotate)


def _build(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services import feed
    from studio.services.library_import import ensure_library_actor
    from studio.settings import get_settings

    if args.queue:
        return _submit_build(args)
    with session_scope() as session:
        # Acts as the head office's system editor, like `calendar`: the audit event names it.
        result = feed.build_feeds(session, ensure_library_actor(session), args.org)
    for code in result.failed:
        sys.stderr.write(f"failed: {code} (its old files were removed; see the log)\n")
    sys.stderr.write(f"wrote {result.written} feed(s) under {get_settings().effective_feed_dir}\n")
    return 1 if result.failed else 0


def _rotate(args: argparse.Namespace) -> int:
    from sqlmodel import col, select

    from studio.db.engine import session_scope
    from studio.db.models import Org
    from studio.errors import NotFound
    from studio.services import feed
    from studio.services.library_import import ensure_library_actor

    with session_scope() as session:
        org = session.exec(select(Org).where(col(Org.code) == args.org)).first()
        if org is None:
            raise NotFound(f"org {args.org} not found")
        link = feed.rotate_link(session, ensure_library_actor(session), int(org.id or 0))
    print(link.url or link.path)
    sys.stderr.write(f"rotated the feed link of {args.org}; the old link no longer works\n")
    return 0


def _submit_build(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services import feed, jobs  # noqa: F401  (feed registers the feed jobs)
    from studio.services.library_import import ensure_library_actor

    with session_scope() as session:
        # Without a queue the job runs here, before this returns (wait); with one, a worker runs it.
        job = jobs.submit(session, ensure_library_actor(session), "feed.build", {"org": args.org}, wait=True)
    print(job.id)
    where = "for `studio worker`" if job.runner == "queue" else "in this process (no queue configured)"
    sys.stderr.write(f"job {job.id} ({job.kind}) {job.state.value} {where}\n")
    return 1 if job.state.value == "failed" else 0
