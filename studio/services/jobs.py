"""Long jobs (README, Jobs): submit, run with progress, retry, list. No Streamlit here.

A job is a row of `job` plus a runner registered by the service it wraps (`register`: planning registers the
calendar jobs, feed the staff feed jobs, ...). Where it runs:

- `STUDIO_JOB_QUEUE=procrastinate` (PostgreSQL only): the job is deferred to the procrastinate queue in the
  database and a `studio worker` process runs it (services/job_worker.py);
- otherwise ("inline", the embedded default): in this process, in a background thread (the app) or before
  `submit` returns (`wait=True`, the CLI; and always for cheap follow-up jobs such as one branch's feed).

Both paths call `execute`, so progress, attempts, the result and errors are recorded the same way.
Submitting the kind and arguments of a job that is still queued or running returns that job (its
`active_key` is unique); each runner's work is itself idempotent, so running a job twice (a retry, a worker
killed mid-job) repeats no effect.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

from studio.db.engine import session_scope
from studio.db.models import Job, User, utcnow
from studio.domain.enums import JobState, Role
from studio.domain.views import Actor, JobView
from studio.errors import Conflict, NotFound, PermissionDenied, StudioError, ValidationError
from studio.services import job_queue
from studio.services.auth import actor_for
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Runner = Callable[[Session, Actor, dict[str, Any], Progress], dict[str, Any]]
_ACTIVE = tuple(state.value for state in JobState if state.active)
_SYSTEM_USER = "library"  # the CLI's system editor (services/library_import.py): inactive by design


class JobIncomplete(StudioError):
    """Part of the work could not be done this time (a file not written): the job is run again."""


class JobRetry(Exception):
    """Raised to the queue so that it runs the job again later (procrastinate's retry strategy)."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # Chinese, for 后台任务
    check: Callable[[Actor], None]  # raises PermissionDenied: who may submit (checked again when it runs)
    clean: Callable[[dict[str, Any]], dict[str, Any]]  # validated, canonical arguments
    run: Runner
    cheap: bool = False  # in-process: run before submit returns, once (a follow-up such as one feed)
    audited: bool = True  # a user's request; follow-ups are covered by the event of what caused them


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    _KINDS[kind.name] = kind


def _kind(name: str) -> JobKind:
    if name not in _KINDS:
        raise ValidationError(f"unknown job kind {name!r}", "未知的任务类型。")
    return _KINDS[name]


def _key(kind: str, args: dict[str, Any], actor: Actor) -> str:
    # The requester's org is part of it: the same export for another org's subtree is another job.
    payload = json.dumps([kind, args, actor.org_id], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _view(session: Session, job: Job) -> JobView:
    user = session.get(User, job.requested_by)
    kind = _KINDS.get(job.kind)
    return JobView(
        id=job.id or 0,
        kind=job.kind,
        kind_label=kind.label if kind else job.kind,
        args=dict(job.args),
        requested_by=user.username if user else "?",
        state=JobState(job.state),
        runner=job.runner,
        progress_done=job.progress_done,
        progress_total=job.progress_total,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        result=dict(job.result),
        error_en=job.error_en,
        error_zh=job.error_zh,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


# -- submitting ---------------------------------------------------------------------------------------


def submit(
    session: Session, actor: Actor, kind: str, args: dict[str, Any] | None = None, *, wait: bool = False
) -> JobView:
    """Ask for a job; returns it (the one already queued or running for the same kind and arguments, if
    any). Commits. With `wait` an in-process job has ended when this returns."""
    require(actor, "job.use")
    spec = _kind(kind)
    spec.check(actor)
    clean = spec.clean(dict(args or {}))
    key = _key(kind, clean, actor)
    existing = _active(session, key)
    if existing is not None:
        return _view(session, existing)
    runner = "queue" if job_queue.configured() else "inline"
    attempts = 1 if runner == "inline" and spec.cheap else get_settings().job_max_attempts
    job = Job(
        kind=kind,
        args=clean,
        requested_by=actor.user_id,
        org_id=actor.org_id,
        state=JobState.QUEUED.value,
        runner=runner,
        max_attempts=attempts,
        idempotency_key=key,
        active_key=key,
    )
    session.add(job)
    try:
        session.flush()
    except IntegrityError:  # submitted at the same moment elsewhere: that one is the job
        session.rollback()
        found = _active(session, key)
        if found is None:
            raise Conflict(
                "the job was submitted concurrently; try again", "任务正被同时提交，请重试。"
            ) from None
        return _view(session, found)
    if spec.audited:
        audit.append(session, actor, "job.submit", f"job:{job.id}", {"kind": kind, "args": clean})
    session.commit()
    _dispatch(session, job, spec, wait=wait)
    session.refresh(job)
    return _view(session, job)


def _active(session: Session, key: str) -> Job | None:
    """The queued or running job with this key, unless it ran in a process that has gone (abandoned)."""
    job = session.exec(select(Job).where(col(Job.active_key) == key)).first()
    if job is None:
        return None
    limit = timedelta(minutes=get_settings().job_abandoned_minutes)
    if job.runner == "inline" and job.updated_at < utcnow() - limit:
        _finish(session, job, JobState.FAILED, error=_abandoned())
        return None
    return job


def _abandoned() -> StudioError:
    return StudioError(
        "abandoned: the process running it ended before it finished", "任务所在进程已结束，任务未完成。"
    )


def _dispatch(session: Session, job: Job, spec: JobKind, *, wait: bool) -> None:
    job_id = job.id or 0
    if job.runner == "queue":
        try:
            job_queue.defer(job_id)
        except Exception as error:  # the queue is unreachable: say so on the job, never half-queued
            log.exception("job %s not queued", job_id)
            with session_scope(_engine(session)) as other:
                row = other.get(Job, job_id)
                if row is not None:
                    _finish(other, row, JobState.FAILED, error=_queue_down(error))
        return
    engine = _engine(session)
    if wait or spec.cheap:
        run_inline(job_id, engine)
    else:
        threading.Thread(target=run_inline, args=(job_id, engine), name=f"job-{job_id}", daemon=True).start()


def _queue_down(error: Exception) -> StudioError:
    return StudioError(f"the job queue is unreachable: {error}", "任务队列不可用，任务未能排队，请稍后重试。")


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def retry(session: Session, actor: Actor, job_id: int, *, wait: bool = False) -> JobView:
    """Run a failed job again, as its requester (whose rights are checked again when it runs). Its
    requester or an admin may; a job still queued or running is returned as it is."""
    require(actor, "job.use")
    job = _visible(session, actor, job_id)
    if job.state != JobState.FAILED.value:
        return _view(session, job)
    spec = _kind(job.kind)
    existing = _active(session, job.idempotency_key)
    if existing is not None:  # the same work was submitted again meanwhile
        return _view(session, existing)
    job.state, job.active_key, job.attempts = JobState.QUEUED.value, job.idempotency_key, 0
    job.progress_done = job.progress_total = 0
    job.runner = "queue" if job_queue.configured() else "inline"
    job.finished_at, job.updated_at = None, utcnow()
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("the same job was submitted meanwhile", "相同的任务已在运行，请刷新。") from None
    audit.append(session, actor, "job.retry", f"job:{job_id}", {"kind": job.kind})
    session.commit()
    _dispatch(session, job, spec, wait=wait)
    session.refresh(job)
    return _view(session, job)


# -- reading -------------------------------------------------------------------------------------------


def _visible(session: Session, actor: Actor, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found", "任务不存在。")
    if not (actor.role is Role.ADMIN or job.requested_by == actor.user_id):
        raise PermissionDenied(f"job {job_id} belongs to another user", "该任务不是您提交的，无权查看。")
    return job


def get_job(session: Session, actor: Actor, job_id: int) -> JobView:
    require(actor, "job.use")
    return _view(session, _visible(session, actor, job_id))


def list_jobs(session: Session, actor: Actor, *, limit: int = 50) -> list[JobView]:
    """The actor's own jobs, newest first; an admin sees everyone's."""
    require(actor, "job.use")
    query = select(Job).order_by(col(Job.id).desc()).limit(max(1, min(limit, 500)))
    if actor.role is not Role.ADMIN:
        query = query.where(col(Job.requested_by) == actor.user_id)
    return [_view(session, job) for job in session.exec(query)]


# -- running ---------------------------------------------------------------------------------------------


def run_inline(job_id: int, engine: Engine | None = None) -> None:
    """Run a job in this process until it succeeds or has used its attempts (waiting between them)."""
    while True:
        try:
            execute(job_id, engine)
            return
        except JobRetry:
            time.sleep(get_settings().job_retry_wait_seconds)


def execute(job_id: int, engine: Engine | None = None) -> None:
    """Run one attempt of a job. Raises JobRetry when the attempt failed and another is due; a job that
    has ended already (a duplicate delivery) is left alone."""
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in _ACTIVE:
            return
        spec = _KINDS.get(job.kind)
        _start(session, job, coalesce=spec is not None and spec.cheap)
        try:
            if spec is None:
                raise ValidationError(
                    f"job kind {job.kind!r} is not known to this process", "未知的任务类型。"
                )
            actor = _actor_of(session, job)
            spec.check(actor)
            result = spec.run(session, actor, dict(job.args), _Recorder(job_id, _engine(session)))
        except Exception as error:
            session.rollback()
            _failed(session, job_id, error)
            return
        row = session.get(Job, job_id)
        if row is not None:
            _finish(session, row, JobState.SUCCEEDED, result=result)


def _start(session: Session, job: Job, *, coalesce: bool) -> None:
    job.state, job.attempts = JobState.RUNNING.value, job.attempts + 1
    job.started_at = job.updated_at = utcnow()
    if coalesce:  # a follow-up asked for while this one runs must run again: it may see newer data
        job.active_key = None
    session.add(job)
    session.commit()


def _actor_of(session: Session, job: Job) -> Actor:
    user = session.get(User, job.requested_by)
    if user is None or not (user.active or user.username == _SYSTEM_USER):
        raise PermissionDenied(
            "the requester's account is deactivated", "提交任务的账号已停用，任务不再运行。"
        )
    return actor_for(session, user)


def _retryable(error: Exception) -> bool:
    """Input, rights and missing records do not change by waiting; the rest may (I/O, the database)."""
    return not isinstance(error, ValidationError | PermissionDenied | NotFound) or isinstance(
        error, JobIncomplete
    )


def _failed(session: Session, job_id: int, error: Exception) -> None:
    job = session.get(Job, job_id)
    if job is None:
        return
    again = _retryable(error) and job.attempts < job.max_attempts
    if not isinstance(error, StudioError):
        log.error("job %s (%s) attempt %s failed", job_id, job.kind, job.attempts, exc_info=error)
    if again:
        job.state = JobState.QUEUED.value
        _record_error(job, error)
        session.add(job)
        session.commit()
        raise JobRetry(str(error))
    _finish(session, job, JobState.FAILED, error=error)


def _record_error(job: Job, error: Exception) -> None:
    if isinstance(error, StudioError):
        job.error_en, job.error_zh = error.message_en, error.message_zh
    else:
        first = (str(error).splitlines() or [""])[0][:500]
        job.error_en = f"{type(error).__name__}: {first}"
        job.error_zh = f"任务运行出错（{type(error).__name__}），请联系管理员查看日志。"
    job.error_en = f"attempt {job.attempts}: {job.error_en}"
    job.updated_at = utcnow()


def _finish(
    session: Session,
    job: Job,
    state: JobState,
    *,
    result: dict[str, Any] | None = None,
    error: Exception | None = None,
) -> None:
    job.state, job.active_key = state.value, None
    job.finished_at = job.updated_at = utcnow()
    if result is not None:
        job.result = result
    if error is not None:
        _record_error(job, error)
    session.add(job)
    session.commit()


class _Recorder:
    """The progress callback: writes done/total on a session of its own, so it is visible at once (the
    first and last step always, in between at most a few times a second)."""

    def __init__(self, job_id: int, engine: Engine) -> None:
        self.job_id, self.engine, self.last = job_id, engine, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done not in (1, total) and now - self.last < 0.3:
            return
        self.last = now
        try:
            with session_scope(self.engine) as session:
                job = session.get(Job, self.job_id)
                if job is not None:
                    job.progress_done, job.progress_total, job.updated_at = done, total, utcnow()
                    session.add(job)
                    session.commit()
        except SQLAlchemyError:  # progress is a courtesy: the work goes on
            log.warning("progress of job %s not recorded", self.job_id, exc_info=True)
