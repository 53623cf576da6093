"""`studio seed --demo`: a living demo (orgs, one user per role, library, reviews, calendar, audit).

`studio seed --scale`, run after it, adds the large data set (a provincial network) in bulk.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("seed", help="load demo data")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--demo", action="store_true", help="the demo org tree, users and content")
    which.add_argument(
        "--scale",
        action="store_true",
        help="after --demo: 20,000 templates, 5,000 waiting reviews, 2,300 branches with calendars",
    )
    parser.set_defaults(handler=_seed)


def _seed(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope

    if args.scale:
        return _seed_scale()
    from studio.services.seed import seed_demo

    with session_scope() as session:
        summary = seed_demo(session)
    sys.stderr.write(summary + "\n")
    return 0


def _seed_scale() -> int:
    from studio.db.engine import session_scope
    from studio.services.seed_scale import seed_scale

    started = time.perf_counter()
    with session_scope() as session:
        report = seed_scale(session)  # a missing demo is a ValidationError: one line, exit 2 (studio.cli)
    sys.stdout.write(report.summary(time.perf_counter() - started) + "\n")
    return 0
