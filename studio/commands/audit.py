"""`studio audit verify|checkpoint|seal`: check the keyed chain against its signed checkpoints; anchor the
head; chain pending events (PostgreSQL) left by a crash between commit and seal.

verify exits 0 when intact, 1 naming the first broken event (or the bad checkpoint line), 2 when the key
is missing or unusable.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="audit log")
    actions = parser.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify", help="verify the audit chain against its key and signed checkpoints"
    )
    verify.add_argument(
        "--anchors",
        type=Path,
        default=None,
        help="checkpoint directory to check against (default: STUDIO_AUDIT_ANCHOR_DIR), "
        "e.g. a copy fetched from WORM storage",
    )
    verify.set_defaults(handler=_verify)
    checkpoint = actions.add_parser("checkpoint", help="verify, then write a signed checkpoint of the head")
    checkpoint.set_defaults(handler=_checkpoint)
    seal = actions.add_parser(
        "seal", help="chain pending audit events (PostgreSQL; e.g. from cron, after a crash)"
    )
    seal.set_defaults(handler=_seal)


def _seal(_args: argparse.Namespace) -> int:
    from studio.db.engine import default_engine
    from studio.workflow import audit

    sealed = audit.seal_pending(default_engine())
    print(f"audit: {sealed} pending events sealed into the chain")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.errors import ValidationError
    from studio.workflow import audit

    if args.anchors is not None and not args.anchors.is_dir():
        raise ValidationError(f"--anchors {args.anchors} is not a directory")
    with session_scope() as session:
        report = audit.verify(session, args.anchors)
    print(describe(report, args.anchors))
    return 0 if report.ok else 1


def _checkpoint(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.workflow import audit

    with session_scope() as session:
        report, path = audit.checkpoint(session)
    if not report.ok:
        print(describe(report))
        return 1
    if path is None:
        print("audit log is empty: nothing to checkpoint")
    else:
        print(f"audit checkpoint written: event {report.checked} to {path}")
    return 0


def describe(report, anchors: Path | None = None) -> str:
    from studio.workflow.audit_anchor import anchor_dir

    if report.ok:
        notes = [
            f"{report.checkpoints} signed checkpoints matched"
            if report.checkpoints
            else f"no checkpoints in {anchors or anchor_dir()}: truncation cannot be detected"
        ]
        if report.legacy:
            notes.append(f"the first {report.legacy} are legacy events with plain hashes")
        if report.pending:
            notes.append(f"{report.pending} pending events not chained yet, each matching its own MAC")
        return f"audit chain intact: {report.checked} events ({'; '.join(notes)})"
    if report.broken_seq is None:
        return f"audit chain broken: {report.reason} ({report.checked} events verified)"
    return (
        f"audit chain broken at event {report.broken_seq}: {report.reason} "
        f"({report.checked} events verified before it)"
    )
