"""`studio seed --demo`: a living demo (orgs, one user per role, library, reviews, calendar, audit)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("seed", help="load demo data")
    parser.add_argument("--demo", action="store_true", required=True, help="the demo org tree, users and content")
    parser.set_defaults(handler=_seed)


def _seed(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services.seed import seed_demo

    with session_scope() as session:
        summary = seed_demo(session)
    sys.stderr.write(summary + "\n")
    return 0
