"""`studio audit verify`: exit 0 when the hash chain is intact, 1 naming the first broken event."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("audit", help="audit log")
    actions = parser.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser("verify", help="verify the audit hash chain")
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.workflow import audit

    with session_scope() as session:
        report = audit.verify(session)
    if report.ok:
        print(f"audit chain intact: {report.checked} events")
        return 0
    print(f"audit chain broken at event {report.broken_seq}: {report.reason} "
          f"({report.checked} events verified before it)")
    return 1
