"""`studio worker`: a procrastinate worker that runs the studio's jobs from the PostgreSQL queue.

Every registered job kind is loaded here (the modules register themselves on import). The worker sends a
heartbeat; a worker that stops sending one (killed, its machine gone) is taken as dead after
STUDIO_WORKER_STALLED_SECONDS and its jobs are queued again by any live worker, which runs them with the
same idempotent code. SIGTERM or SIGINT stop the worker gracefully: it takes no new job and finishes the
ones it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import procrastinate

from studio.errors import ValidationError
from studio.services import feed, job_queue, jobs, library_import, library_recheck, planning
from studio.settings import get_settings

log = logging.getLogger(__name__)

# The modules whose job kinds this worker runs (imported above; named so the import is not "unused").
KIND_MODULES = (feed, planning, library_import, library_recheck)


def _register_task(app: procrastinate.App) -> None:
    settings = get_settings()
    # jobs.execute counts attempts in the job row and raises JobRetry only while another is due; the
    # queue's own limit is a backstop above that.
    retry = procrastinate.RetryStrategy(
        max_attempts=settings.job_max_attempts + 1,
        wait=settings.job_retry_wait_seconds,
        retry_exceptions=[jobs.JobRetry],
    )

    @app.task(name=job_queue.TASK, queue=job_queue.QUEUE, retry=retry)
    def run_job(job_id: int) -> None:
        jobs.execute(job_id)


async def _requeue_stalled(app: procrastinate.App, stalled_seconds: float) -> None:
    """Jobs of workers without a heartbeat for `stalled_seconds` are queued again (and those workers'
    rows pruned)."""
    while True:
        try:
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds):
                log.warning("job %s of a dead worker queued again", job.id)
                await app.job_manager.retry_job(job)
            await app.job_manager.prune_stalled_workers(seconds_since_heartbeat=stalled_seconds)
        except Exception:  # the database away for a moment: try again on the next round
            log.exception("stalled jobs not checked")
        await asyncio.sleep(max(1.0, stalled_seconds / 3))


async def _run(app: procrastinate.App, concurrency: int, name: str | None) -> None:
    settings = get_settings()
    async with app.open_async():
        watcher = asyncio.create_task(_requeue_stalled(app, settings.worker_stalled_seconds))
        try:
            await app.run_worker_async(
                queues=[job_queue.QUEUE],
                name=name or "studio-worker",
                concurrency=concurrency,
                wait=True,
                install_signal_handlers=True,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.worker_stalled_seconds,
                delete_jobs="successful",
            )
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def check_setup(concurrency: int) -> None:
    """Refuse to start without a queue, or with a useless concurrency (one English line on the CLI)."""
    if not job_queue.configured():
        raise ValidationError(
            "no job queue configured: set STUDIO_JOB_QUEUE=procrastinate (with a PostgreSQL database); "
            "without it jobs run in the app's own process",
            "未配置任务队列。",
        )
    if concurrency < 1:
        raise ValidationError("--concurrency must be at least 1", "并发数至少为 1。")


def run_worker(concurrency: int = 1, name: str | None = None) -> None:
    """Run until SIGTERM or SIGINT."""
    check_setup(concurrency)
    app = job_queue.queue_app(get_settings().effective_database_url)
    _register_task(app)
    asyncio.run(_run(app, concurrency, name))
