"""Load test of the several-instance layout: two app instances + PostgreSQL + nginx, driven by locust.

Usage: python benchmarks/bench_load.py [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                       [--seconds 60] [--users 50] [--feed-users 20] [--processes 1]
                                       [--branches 400] [--keep]
(`make load` runs it.) Needs nginx and the `load` extra (locust). Steps:
1. Recreates the database `load_studio` (dropped at the end unless --keep) and a temporary data directory
   (audit key, anchors, feed), migrates, runs `studio seed --demo`, then the scale seed with moderate sizes
   (`--branches` orgs, a tenth of them banks, 10 templates and 3 waiting review items per org); gives the
   first 300 sub-branches a staff feed link (their pages and JSON are written).
2. Starts `deploy/cluster.py` (two instances, nginx) on free ports.
3. Scenario "work": `--users` locust users for `--seconds`: reviewers and localisers through the service
   layer (queue page, open, decide; localise and submit; library pages) and app visitors through nginx
   (health, app page, static assets). Scenario "feed": `--feed-users` readers of branch feed pages and
   JSON through nginx, no wait between requests, for `--seconds`.
4. Checks for lost updates: every decision the service acknowledged (locust writes one line each) is a
   review row in the database, and `studio audit verify` exits 0.
Prints, per scenario and request name: requests, failures, throughput, p50 and p95 (locust's figures).
Exit 1 when any request failed, any acknowledged decision is missing or the audit chain does not verify.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB_NAME = "load_studio"
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
FEED_LINKS = 300


def _admin(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url, isolation_level="AUTOCOMMIT")


def _database(admin_url: str, *, create: bool) -> str:
    from sqlalchemy import text

    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{DB_NAME}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], branches: int, tokens: Path) -> None:
    """Migrate, demo seed (CLI, as an operator would), moderate scale seed and feed links (services)."""
    for step in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run([sys.executable, "-m", "studio.cli", *step], env=env, cwd=ROOT, check=True)
    os.environ.update({k: env[k] for k in ("STUDIO_DATABASE_URL", "STUDIO_DATA_DIR")})
    from sqlmodel import col, select

    from studio.db.engine import session_scope
    from studio.db.models import Org
    from studio.domain.enums import OrgKind
    from studio.services import feed
    from studio.services.library_import import ensure_library_actor
    from studio.services.seed_scale import ScaleSizes, seed_scale

    sizes = ScaleSizes(
        templates=branches * 10, waiting=branches * 3, banks=max(2, branches // 10), branches=branches
    )
    with session_scope() as session:
        print(f"load: scale seed {sizes}", flush=True)
        seed_scale(session, sizes)
    with session_scope() as session:
        actor = ensure_library_actor(session)
        orgs = session.exec(
            select(Org)
            .where(col(Org.kind) == OrgKind.SUB_BRANCH.value)
            .order_by(col(Org.id))
            .limit(FEED_LINKS)
        ).all()
        links = [feed.rotate_link(session, actor, int(org.id or 0)) for org in orgs]
    tokens.write_text("\n".join((link.path or "").strip("/") for link in links) + "\n", encoding="utf-8")


class Cluster:
    """deploy/cluster.py in a child process; `url` once it printed that it is ready."""

    def __init__(self, env: dict[str, str], runtime: Path) -> None:
        first = _free_port()
        command = [
            sys.executable,
            str(ROOT / "deploy" / "cluster.py"),
            "--no-seed",
            "--runtime-dir",
            str(runtime),
        ]
        command += ["--port", str(_free_port()), "--first-app-port", str(first)]
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [*command, "--nginx", nginx],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                if line.startswith("cluster ready: "):
                    self.url = line.split(": ", 1)[1].strip()
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(300) or not self.url:
            self.stop()
            raise SystemExit("load: the cluster did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def run_locust(
    env: dict[str, str], url: str, classes: list[str], users: int, seconds: int, processes: int, out: Path
) -> list[dict[str, str]]:
    """One headless locust run; its per-name statistics rows (the last one is "Aggregated")."""
    prefix = out / "_".join(classes)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", url]
    command += ["-u", str(users), "-r", str(max(1, users // 2)), "-t", f"{seconds}s", "--stop-timeout", "10"]
    command += ["--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    if processes > 1:
        command += ["--processes", str(processes)]
    print(f"load: locust {' '.join(classes)}: {users} users for {seconds} s", flush=True)
    subprocess.run([*command, *classes], env=env, cwd=ROOT, check=False)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def report(title: str, rows: list[dict[str, str]]) -> None:
    print(f"\n{title}")
    print(f"{'request':<62} {'count':>7} {'fail':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "TOTAL"
        print(
            f"{(row['Type'] + ' ' + name).strip():<62} {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{float(row['Requests/s']):>8.1f} {row['50%']:>7} {row['95%']:>7}"
        )


def lost_updates(acks: Path) -> tuple[int, int]:
    """(acknowledged decisions, of them missing from the review table)."""
    from sqlmodel import col, select

    from studio.db.engine import session_scope
    from studio.db.models import Review

    lines = (
        [json.loads(line) for line in acks.read_text(encoding="utf-8").splitlines()] if acks.exists() else []
    )
    missing = 0
    with session_scope() as session:
        for ack in lines:
            found = session.exec(
                select(col(Review.id)).where(
                    col(Review.subject_type) == ack["type"],
                    col(Review.subject_id) == ack["id"],
                    col(Review.reviewer_id) == ack["reviewer"],
                    col(Review.subject_lock) == ack["lock"],
                    col(Review.decision) == ack["decision"],
                )
            ).first()
            missing += found is None
    return len(lines), missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "STUDIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--feed-users", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="locust worker processes per scenario")
    parser.add_argument("--branches", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the database and print the data directory")
    args = parser.parse_args()
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        sys.stderr.write("load: nginx not installed (make nginx-deps)\n")
        return 2
    work = Path(tempfile.mkdtemp(prefix="studio-load-"))
    env = {
        **os.environ,
        "STUDIO_DATABASE_URL": _database(args.admin_url, create=True),
        "STUDIO_DATA_DIR": str(work / "data"),
        "LOAD_ACKS": str(work / "acks.jsonl"),
        "LOAD_FEED_TOKENS": str(work / "tokens.txt"),
        "PYTHONPATH": str(ROOT),
    }
    cluster = None
    try:
        prepare(env, args.branches, work / "tokens.txt")
        cluster = Cluster(env, work / "runtime")
        work_rows = run_locust(
            env,
            cluster.url,
            ["Reviewer", "Localiser", "AppVisitor"],
            args.users,
            args.seconds,
            args.processes,
            work,
        )
        feed_rows = run_locust(
            env, cluster.url, ["FeedReader"], args.feed_users, args.seconds, args.processes, work
        )
    finally:
        if cluster:
            cluster.stop()
    acked, missing = lost_updates(work / "acks.jsonl")
    verify = subprocess.run([sys.executable, "-m", "studio.cli", "audit", "verify"], env=env, cwd=ROOT)
    report(f"work: {args.users} users, {args.seconds} s", work_rows)
    report(f"feed: {args.feed_users} users, {args.seconds} s", feed_rows)
    failures = sum(int(r["Failure Count"]) for r in (work_rows[-1], feed_rows[-1]))
    print(f"\ndecisions acknowledged {acked}, missing from the database {missing} (lost updates)")
    print(f"audit verify: exit {verify.returncode}; failures: {failures}")
    if args.keep:
        print(f"kept database {DB_NAME} and {work}")
    else:
        _database(args.admin_url, create=False)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures or missing or verify.returncode else 0


if __name__ == "__main__":
    sys.exit(main())
