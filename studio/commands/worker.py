"""`studio worker`: run queued jobs (STUDIO_JOB_QUEUE=procrastinate, PostgreSQL) until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "worker", help="run long jobs from the PostgreSQL job queue (STUDIO_JOB_QUEUE=procrastinate)"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="jobs run at once (default 1)")
    parser.add_argument("--name", help="worker name shown in the queue's tables and logs")
    parser.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    import logging

    from studio.services.job_worker import check_setup, run_worker

    check_setup(args.concurrency)
    logging.getLogger("procrastinate").setLevel(logging.INFO if args.verbose else logging.WARNING)
    sys.stderr.write(f"worker started (concurrency {args.concurrency}); stop with SIGTERM or Ctrl-C\n")
    sys.stderr.flush()
    run_worker(args.concurrency, args.name)
    sys.stderr.write("worker stopped\n")
    return 0
