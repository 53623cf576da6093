"""Long jobs (services/jobs.py): in-process on SQLite, and on PostgreSQL with a real `studio worker` process.

The worker tests start `studio worker` as a subprocess against a migrated database (migration 0012 installs
procrastinate's schema) and watch the `job` row; waits are bounded polls, never assertions about speed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from studio.db.engine import make_engine
from studio.db.migrate import upgrade
from studio.db.models import AuditEvent, CalendarPublication, Job, Org, User
from studio.domain.clock import today_cn
from studio.domain.enums import JobState, OrgKind
from studio.domain.month import Month
from studio.domain.views import Actor, JobView
from studio.errors import PermissionDenied, ValidationError
from studio.services import feed, jobs, library_import, library_recheck, planning  # noqa: F401 (kinds)
from studio.services.auth import actor_for
from studio.services.orgs import create_org
from studio.services.seed import seed_demo
from studio.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
MONTH = str(Month.of(today_cn()))
EXTRA_BRANCHES = 120  # enough sub-branches that an export runs long enough to be killed half-way


@pytest.fixture(autouse=True)
def _calendars_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Export jobs write only under the calendars dir: here, the test's own folder."""
    monkeypatch.setenv("STUDIO_CALENDARS_DIR", str(tmp_path))
    get_settings.cache_clear()


def _actor(session: Session, username: str) -> Actor:
    return actor_for(session, session.exec(select(User).where(User.username == username)).one())


def _job(engine, job_id: int) -> Job:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _until(engine, job_id: int, ok: Callable[[Job], bool], seconds: float = 120) -> Job:  # type: ignore[no-untyped-def]
    """Poll the job row until `ok` (bounded: a worker that never gets there fails the test)."""
    deadline = time.monotonic() + seconds
    while True:
        job = _job(engine, job_id)
        if ok(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def _seeded(url: str, extra_branches: int = 0) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session)
        for i in range(extra_branches):
            create_org(
                session,
                code=f"JX01-X{i:03d}",
                name=f"测试支行{i}",
                kind=OrgKind.SUB_BRANCH,
                parent_code="JX01",
            )
        session.commit()
    engine.dispose()


def _branch_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Org).where(col(Org.kind) == "sub_branch")).one()


# -- in-process (the embedded default) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The demo, seeded once (it takes a while) with its audit key; each test works on a copy."""
    folder = tmp_path_factory.mktemp("jobs-seed")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STUDIO_DATA_DIR", str(folder))
        get_settings.cache_clear()
        _seeded(f"sqlite:///{folder / 'jobs.db'}")
    get_settings.cache_clear()
    return folder


@pytest.fixture
def demo(seeded_sqlite, tmp_path) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    import shutil

    shutil.copy(seeded_sqlite / "jobs.db", tmp_path / "jobs.db")
    shutil.copy(seeded_sqlite / "audit.key", tmp_path / "audit.key")
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def test_inline_jobs_of_every_kind_complete_with_progress_and_result(demo, tmp_path):
    editor, admin = _actor(demo, "editor"), _actor(demo, "admin")
    out = tmp_path / "out"
    export = jobs.submit(
        demo, editor, "calendar.export_all", {"month": MONTH, "format": "json", "out": str(out)}, wait=True
    )
    assert export.state is JobState.SUCCEEDED and export.runner == "inline", export
    branches = _branch_count(demo)
    assert export.progress_done == export.progress_total == branches == export.result["written"]
    assert len(list(out.glob("*/*.json"))) == branches
    publish = jobs.submit(demo, editor, "calendar.publish_all", {"month": MONTH}, wait=True)
    assert publish.state is JobState.SUCCEEDED and publish.result["published"] == 2, publish
    build = jobs.submit(demo, editor, "feed.build", {}, wait=True)
    assert build.state is JobState.SUCCEEDED and build.result["written"] >= 2, build
    recheck = jobs.submit(demo, admin, "library.recheck", {}, wait=True)
    assert recheck.state is JobState.SUCCEEDED and recheck.result["checked"] > 0, recheck
    assert recheck.result["changed"] == 0  # nothing changed in the rules since the demo was checked
    imported = jobs.submit(demo, editor, "library.import", {}, wait=True)
    assert imported.state is JobState.SUCCEEDED and imported.result["created"] == 0, imported  # same files


def test_publishing_every_branch_twice_publishes_once(demo):
    editor = _actor(demo, "editor")
    first = jobs.submit(demo, editor, "calendar.publish_all", {"month": MONTH}, wait=True)
    second = jobs.submit(demo, editor, "calendar.publish_all", {"month": MONTH}, wait=True)
    assert first.id != second.id  # the first had ended: a new job, whose work is a no-op
    assert (first.result["published"], second.result["published"], second.result["unchanged"]) == (2, 0, 2)
    assert demo.exec(select(func.count()).select_from(CalendarPublication)).one() == 2


def test_a_rule_change_shows_in_the_recheck(demo):
    from studio.services import rules

    admin = _actor(demo, "admin")
    docs = [d for d in rules.rule_docs(demo) if d.terms]
    code = docs[0].code
    # A new blocking term every demo post contains: the re-check names what now differs.
    rules.update_rule(demo, admin, code, terms=[*rules.rule_terms(demo, code), "银行"], severity="block")
    job = jobs.submit(demo, admin, "library.recheck", {}, wait=True)
    assert job.state is JobState.SUCCEEDED and job.result["now_block"] > 0, job
    assert job.result["items"][0]["now"] == "block"


def test_who_may_submit_what(demo):
    staff, reviewer, localiser = (_actor(demo, u) for u in ("staff", "reviewer", "localiser"))
    args = {"month": MONTH, "format": "json"}
    for actor in (staff, reviewer):
        with pytest.raises(PermissionDenied):
            jobs.submit(demo, actor, "calendar.export_all", args)
    with pytest.raises(PermissionDenied):
        jobs.submit(demo, localiser, "library.recheck", {})
    with pytest.raises(PermissionDenied):
        jobs.submit(demo, localiser, "feed.build", {})
    with pytest.raises(PermissionDenied):
        jobs.list_jobs(demo, staff)
    with pytest.raises(ValidationError):
        jobs.submit(
            demo, _actor(demo, "editor"), "calendar.export_all", {"month": "2026-13", "format": "json"}
        )
    with pytest.raises(ValidationError):
        jobs.submit(demo, _actor(demo, "editor"), "no.such.kind", {})
    assert demo.exec(select(func.count()).select_from(Job).where(col(Job.kind) != "feed.refresh")).one() == 0


def test_own_jobs_listed_admin_sees_all_and_others_cannot_retry(demo, tmp_path):
    editor, localiser, admin = (_actor(demo, u) for u in ("editor", "localiser", "admin"))
    args = {"month": MONTH, "format": "json", "out": str(tmp_path / "o")}
    job = jobs.submit(demo, editor, "calendar.export_all", args, wait=True)
    assert job.id in [j.id for j in jobs.list_jobs(demo, editor)]
    assert job.id not in [j.id for j in jobs.list_jobs(demo, localiser)]
    assert job.id in [j.id for j in jobs.list_jobs(demo, admin)]
    with pytest.raises(PermissionDenied):
        jobs.retry(demo, localiser, job.id)


def test_a_failed_job_records_its_error_and_can_be_retried(demo, tmp_path):
    editor = _actor(demo, "editor")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    job = jobs.submit(
        demo,
        editor,
        "calendar.export_all",
        {"month": MONTH, "format": "csv", "out": str(blocker / "x")},
        wait=True,
    )
    assert job.state is JobState.FAILED and job.attempts == 1  # an unwritable folder is not retried by itself
    assert "x" in job.error_en and job.error_zh
    blocker.unlink()
    again = jobs.retry(demo, editor, job.id, wait=True)
    assert again.id == job.id and again.state is JobState.SUCCEEDED, again


def test_withdrawal_and_replacement_approval_rewrite_feeds_through_jobs(demo):
    from studio.services import reviews

    editor = _actor(demo, "editor")
    jobs.submit(demo, editor, "calendar.publish_all", {"month": MONTH}, wait=True)
    before = demo.exec(select(func.count()).select_from(Job).where(col(Job.kind) == "feed.refresh")).one()
    assert before >= 2  # one per published branch
    slot_variant = demo.exec(select(CalendarPublication)).first().entries[0]["variant_id"]  # type: ignore[union-attr]
    reviews.withdraw(demo, _actor(demo, "reviewer"), slot_variant, "测试撤回")
    refresh = demo.exec(
        select(Job).where(col(Job.kind) == "feed.refresh").order_by(col(Job.id).desc())
    ).first()
    assert refresh is not None and refresh.args["variant_ids"] == [slot_variant]
    assert refresh.state == JobState.SUCCEEDED.value


# -- a real worker on PostgreSQL ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_postgres(postgres_admin_url, tmp_path_factory) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    """A migrated, seeded database (with extra sub-branches) to copy per test with CREATE DATABASE ...
    TEMPLATE, and the audit key it was seeded with."""
    from tests.conftest import _drop_postgres, _fresh_postgres

    folder = tmp_path_factory.mktemp("jobs-pg-seed")
    url, _ = _fresh_postgres(postgres_admin_url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STUDIO_DATA_DIR", str(folder))
        get_settings.cache_clear()
        _seeded(url, extra_branches=EXTRA_BRANCHES)
    get_settings.cache_clear()
    try:
        yield url, folder
    finally:
        _drop_postgres(postgres_admin_url, url)


@pytest.fixture
def queue_db(seeded_postgres, postgres_admin_url, tmp_path, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import shutil
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import _drop_postgres

    template, folder = seeded_postgres
    name = f"studio_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"'))
    admin.dispose()
    url = f"{postgres_admin_url.rsplit('/', 1)[0]}/{name}"
    shutil.copy(folder / "audit.key", tmp_path / "audit.key")
    monkeypatch.setenv("STUDIO_DATABASE_URL", url)
    monkeypatch.setenv("STUDIO_JOB_QUEUE", "procrastinate")
    get_settings.cache_clear()
    try:
        yield url
    finally:
        get_settings.cache_clear()
        _drop_postgres(postgres_admin_url, url)


class Worker:
    """`studio worker` in a subprocess, with short heartbeat, stall and retry intervals."""

    def __init__(self, url: str, log: Path) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "STUDIO_DATABASE_URL": url,
            "STUDIO_JOB_QUEUE": "procrastinate",
            "STUDIO_WORKER_HEARTBEAT_SECONDS": "0.5",
            "STUDIO_WORKER_STALLED_SECONDS": "3",
            "STUDIO_JOB_RETRY_WAIT_SECONDS": "1",
        }
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", "worker"], env=env, stdout=self.log, stderr=self.log
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: graceful
        code = self.process.wait(timeout=60)
        self.log.close()
        return code

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.log.close()


def _submit(url: str, username: str, kind: str, args: dict) -> JobView:  # type: ignore[type-arg]
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        view = jobs.submit(session, _actor(session, username), kind, args)
    engine.dispose()
    return view


@pytest.mark.postgres
def test_worker_runs_a_job_with_progress_and_resubmitting_is_idempotent(queue_db, tmp_path):
    engine = make_engine(queue_db)
    args = {"month": MONTH, "format": "json", "out": str(tmp_path / "out")}
    first = _submit(queue_db, "editor", "calendar.export_all", args)
    again = _submit(queue_db, "editor", "calendar.export_all", args)
    assert first.runner == "queue" and first.state is JobState.QUEUED
    assert again.id == first.id  # still queued: the same job
    worker = Worker(queue_db, tmp_path / "worker.log")
    try:
        done = _until(engine, first.id, lambda j: j.state == JobState.SUCCEEDED.value)
    finally:
        assert worker.stop() == 0  # SIGTERM stops it cleanly
    with Session(engine) as s:
        branches = _branch_count(s)
    assert done.state == JobState.SUCCEEDED.value, (
        done.state,
        done.error_en,
        (tmp_path / "worker.log").read_text(),
    )
    assert done.progress_done == done.progress_total == branches == done.result["written"]
    assert done.attempts == 1
    later = _submit(queue_db, "editor", "calendar.export_all", args)
    assert later.id != first.id  # the first one ended: a new job
    engine.dispose()


@pytest.mark.postgres
def test_worker_retries_a_failing_job_and_records_the_error(queue_db, tmp_path):
    engine = make_engine(queue_db)
    with Session(engine, expire_on_commit=False) as s:
        org = s.exec(select(Org).where(col(Org.code) == "JX01-01")).one()
        link = feed.rotate_link(s, _actor(s, "editor"), org.id or 0)
    folder = get_settings().effective_feed_dir / (link.path or "").strip("/")
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("a file where the feed's folder belongs: the first write fails")
    job = _submit(queue_db, "editor", "feed.build", {})
    worker = Worker(queue_db, tmp_path / "worker.log")
    try:
        done = _until(engine, job.id, lambda j: j.state in (JobState.SUCCEEDED.value, JobState.FAILED.value))
    finally:
        worker.stop()
    assert done.state == JobState.SUCCEEDED.value, (done.error_en, (tmp_path / "worker.log").read_text())
    assert done.attempts == 2  # failed once, retried by the queue
    assert "attempt 1" in done.error_en and "not written" in done.error_en and done.error_zh
    assert (folder / "index.html").is_file()
    engine.dispose()


@pytest.mark.postgres
def test_a_killed_worker_s_job_is_finished_by_another_without_duplicated_effects(queue_db, tmp_path):
    engine = make_engine(queue_db)
    out = tmp_path / "out"
    job = _submit(
        queue_db, "editor", "calendar.export_all", {"month": MONTH, "format": "json", "out": str(out)}
    )
    first = Worker(queue_db, tmp_path / "worker1.log")
    try:
        midway = _until(engine, job.id, lambda j: j.progress_done >= 1)
    finally:
        first.kill()  # SIGKILL: no graceful stop, the job is left "running"
    assert midway.state == JobState.RUNNING.value and 1 <= midway.progress_done
    cut = _job(engine, job.id)
    assert cut.state == JobState.RUNNING.value and cut.progress_done < cut.progress_total, "killed too late"
    second = Worker(queue_db, tmp_path / "worker2.log")
    try:
        done = _until(engine, job.id, lambda j: j.state == JobState.SUCCEEDED.value, seconds=180)
    finally:
        second.stop()
    assert done.state == JobState.SUCCEEDED.value, (done.error_en, (tmp_path / "worker2.log").read_text())
    assert done.attempts == 2
    with Session(engine) as s:
        branches = _branch_count(s)
        exports = s.exec(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.action) == "calendar.export")
        ).one()
    assert exports == 1  # the killed attempt never got to its audit event; the second wrote one
    assert sorted(p.parent.name for p in out.glob("*/*.json")) == sorted(
        {p.parent.name for p in out.glob("*/*.json")}
    )
    assert len(list(out.glob("*/*.json"))) == branches == done.result["written"]
    engine.dispose()


def _queued_row(session: Session, actor: Actor, kind: str, args: dict) -> int:  # type: ignore[type-arg]
    """A job as the queue holds it before a worker takes it (no dispatch)."""
    job = Job(
        kind=kind,
        args=args,
        requested_by=actor.user_id,
        org_id=actor.org_id,
        state=JobState.QUEUED.value,
        runner="queue",
        idempotency_key="k" * 64,
        active_key="k" * 64,
    )
    session.add(job)
    session.commit()
    return job.id or 0


def test_a_job_runs_only_while_its_requester_may_run_it(demo, tmp_path):
    editor = _actor(demo, "editor")
    args = {"month": MONTH, "format": "json", "out": str(tmp_path / "out")}
    engine = demo.get_bind()
    deactivated = _queued_row(demo, editor, "calendar.export_all", args)
    user = demo.exec(select(User).where(User.username == "editor")).one()
    user.active = False
    demo.add(user)
    demo.commit()
    jobs.execute(deactivated, engine)
    job = _job(engine, deactivated)
    assert job.state == JobState.FAILED.value and "deactivated" in job.error_en and job.attempts == 1
    assert not (tmp_path / "out").exists()

    user.active, user.role = True, "staff"  # demoted between submission and run: refused, not retried
    demo.add(user)
    demo.commit()
    demoted = _queued_row(demo, editor, "calendar.export_all", {**args, "format": "csv"})
    demo.exec(select(Job).where(col(Job.id) == demoted)).one().active_key = "m" * 64
    demo.commit()
    jobs.execute(demoted, engine)
    job = _job(engine, demoted)
    assert job.state == JobState.FAILED.value and "may not" in job.error_en and job.attempts == 1
    assert not (tmp_path / "out").exists()


def test_an_in_process_job_whose_process_ended_does_not_block_a_new_one(demo, tmp_path):
    from datetime import timedelta

    from studio.db.models import utcnow

    editor = _actor(demo, "editor")
    args = {"month": MONTH, "format": "json", "out": str(tmp_path / "out")}
    first = jobs.submit(demo, editor, "calendar.export_all", args, wait=True)
    row = demo.get(Job, first.id)
    assert row is not None
    row.state, row.active_key = JobState.RUNNING.value, row.idempotency_key  # as if its process died mid-run
    row.updated_at = utcnow() - timedelta(hours=2)
    demo.add(row)
    demo.commit()
    second = jobs.submit(demo, editor, "calendar.export_all", args, wait=True)
    assert second.id != first.id and second.state is JobState.SUCCEEDED
    old = _job(demo.get_bind(), first.id)
    assert old.state == JobState.FAILED.value and "abandoned" in old.error_en


def test_approving_a_replacement_rewrites_the_feeds_that_showed_the_old_text(demo):
    from studio.domain.enums import Decision
    from studio.services import variants
    from tests.conftest import decide_now

    editor, localiser = _actor(demo, "editor"), _actor(demo, "localiser")
    jobs.submit(demo, editor, "calendar.publish_all", {"month": MONTH}, wait=True)
    published = demo.exec(
        select(CalendarPublication).where(col(CalendarPublication.org_id) == localiser.org_id)
    ).one()
    old_ids = {e["variant_id"] for e in published.entries}
    old = next(
        v
        for v in (variants.get_variant(demo, localiser, i) for i in sorted(old_ids))
        if v.org_id == localiser.org_id and v.product_type.value == "general"
    )
    replacement = variants.update_variant(
        demo, localiser, old.id, dict(old.slot_values), expected_lock_version=old.lock_version
    )
    assert replacement.id != old.id
    decide_now(demo, _actor(demo, "reviewer"), "variant", replacement.id, Decision.APPROVE)
    refresh = demo.exec(
        select(Job).where(col(Job.kind) == "feed.refresh").order_by(col(Job.id).desc())
    ).first()
    assert refresh is not None and refresh.args["variant_ids"] == [old.id], refresh
    assert (
        refresh.state == JobState.SUCCEEDED.value and refresh.requested_by == _actor(demo, "reviewer").user_id
    )


def test_an_export_job_writes_only_under_the_calendars_dir(demo, tmp_path):
    editor = _actor(demo, "editor")
    for out in ("/etc/studio", str(tmp_path / ".." / "elsewhere")):
        with pytest.raises(ValidationError, match="only under the calendars dir"):
            jobs.submit(demo, editor, "calendar.export_all", {"month": MONTH, "format": "json", "out": out})
    assert not (tmp_path.parent / "elsewhere").exists()
