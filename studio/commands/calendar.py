"""`studio calendar build|publish|export`: the approved content calendars (README, Command line)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calendar", help="content calendars")
    actions = parser.add_subparsers(dest="calendar_command", required=True)
    build = actions.add_parser(
        "build", help="propose the month from approved content and save it as the org's slots"
    )
    build.add_argument("--org", required=True, help="org code")
    build.add_argument("--month", required=True, help="YYYY-MM")
    build.add_argument("--dry-run", action="store_true", help="print the proposal without saving it")
    build.set_defaults(handler=_build)
    publish = actions.add_parser("publish", help="freeze the org's month as a new published version")
    publish.add_argument("--org", required=True)
    publish.add_argument("--month", required=True)
    publish.add_argument("--out", type=Path, help="also write the files here (default: the calendars dir)")
    publish.set_defaults(handler=_publish)
    export = actions.add_parser(
        "export", help="write calendar files; an unpublished month exports the proposal"
    )
    who = export.add_mutually_exclusive_group(required=True)
    who.add_argument("--org", help="org code")
    who.add_argument("--all", action="store_true", help="every branch")
    export.add_argument("--month", required=True)
    export.add_argument("--format", required=True, choices=("json", "ics", "xlsx", "csv", "html"))
    export.add_argument("--out", type=Path, required=True)
    export.add_argument(
        "--jobs", type=int, default=1, help="with --all: processes to use (default 1; 0 = one per CPU core)"
    )
    export.add_argument(
        "--queue",
        action="store_true",
        help="with --all: submit a job for `studio worker` (STUDIO_JOB_QUEUE=procrastinate) and print its id",
    )
    export.set_defaults(handler=_export)


def _system_actor(session):
    """The CLI acts as the library's system editor at the head office (no login), audited under that name."""
    from studio.services.library_import import ensure_library_actor

    return ensure_library_actor(session)


def _org_id(session, code: str) -> int:
    from sqlmodel import select

    from studio.db.models import Org
    from studio.errors import NotFound

    org = session.exec(select(Org).where(Org.code == code)).first()
    if org is None:
        raise NotFound(f"org {code} not found")
    return int(org.id)


def _build(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services import planning

    with session_scope() as session:
        actor = _system_actor(session)
        org_id = _org_id(session, args.org)
        if args.dry_run:
            plan = planning.propose_month(session, actor, org_id, args.month)
        else:
            plan = planning.build_month(session, actor, org_id, args.month)
    for e in plan.entries:
        print(
            f"{e.day} {e.time_of_day} {e.channel.value:8} {e.content_type.value:12} {e.title}"
            + (f"  [{e.occasion}]" if e.occasion else "")
        )
    for gap in plan.gaps:
        sys.stderr.write(f"gap: {gap.day} {gap.message}\n")
    for warning in plan.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    sys.stderr.write(f"{len(plan.entries)} entries, {len(plan.gaps)} gaps\n")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.services import planning
    from studio.settings import get_settings

    with session_scope() as session:
        version = planning.publish_month(
            session,
            _system_actor(session),
            _org_id(session, args.org),
            args.month,
            out_dir=args.out or get_settings().calendars_dir,
        )
    sys.stderr.write(f"published {args.org} {args.month} as version {version}\n")
    return 0


def _progress_bar(show: bool) -> Callable[[int, int], None]:
    """A progress callback that draws a bar on stderr, or does nothing (one org, or not a terminal)."""

    def progress(done: int, total: int) -> None:
        if show:
            width = 30
            filled = width * done // total
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")

    return progress


def _export(args: argparse.Namespace) -> int:
    import os

    from studio.db.engine import session_scope
    from studio.services import planning
    from studio.settings import get_settings

    if args.queue:
        return _submit_export(args)
    progress = _progress_bar(bool(args.all) and sys.stderr.isatty())
    jobs = args.jobs or os.cpu_count() or 1
    drafts = written = 0
    with session_scope() as session:
        actor = _system_actor(session)
        if args.all and jobs > 1:
            written, drafts = planning.export_all_parallel(
                session,
                actor,
                get_settings().effective_database_url,
                args.month,
                args.out,
                (args.format,),
                jobs=jobs,
                progress=progress,
            )
        else:
            for doc in planning.export_month(
                session,
                actor,
                None if args.all else args.org,
                args.month,
                args.out,
                (args.format,),
                progress=progress,
            ):
                written += 1
                drafts += doc.draft
    if drafts:
        sys.stderr.write(
            f"note: {drafts} of {written} calendars are not published; exported the proposal (草稿)\n"
        )
    sys.stderr.write(f"wrote {written} {args.format} file(s) under {args.out}\n")
    return 0


def _submit_export(args: argparse.Namespace) -> int:
    from studio.db.engine import session_scope
    from studio.errors import ValidationError
    from studio.services import jobs, planning  # noqa: F401  (planning registers the calendar jobs)

    if not args.all:
        raise ValidationError("--queue goes with --all")
    args_ = {"month": args.month, "format": args.format, "out": str(args.out.resolve())}
    with session_scope() as session:
        # Without a queue the job runs here, before this returns (wait); with one, a worker runs it.
        job = jobs.submit(session, _system_actor(session), "calendar.export_all", args_, wait=True)
    print(job.id)
    where = "for `studio worker`" if job.runner == "queue" else "in this process (no queue configured)"
    sys.stderr.write(f"job {job.id} ({job.kind}) {job.state.value} {where}\n")
    return 1 if job.state.value == "failed" else 0
