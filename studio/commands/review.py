"""`studio review expire`: move approved content past its validity or re-approval date to expired."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("review", help="review workflow maintenance")
    actions = parser.add_subparsers(dest="review_command", required=True)
    expire = actions.add_parser("expire", help="expire approved content that is past its end date")
    expire.add_argument("--date", type=date.fromisoformat, help="as of this day (default: today, Beijing)")
    expire.set_defaults(handler=_expire)


def _expire(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.domain.clock import today_cn
    from studio.services.library_import import ensure_library_actor
    from studio.services.reviews import expire_due

    with session_scope() as session:
        # Acts as the head office's system editor, like `calendar`: the events name who expired what.
        count = expire_due(session, ensure_library_actor(session), args.date or today_cn())
    sys.stderr.write(f"expired {count} item(s)\n")
    return 0
