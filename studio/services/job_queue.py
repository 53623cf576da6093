"""The PostgreSQL job queue: procrastinate, in the studio's own database (migration 0012 installs its schema).

Jobs are deferred by task name, so this module knows no job kind; `studio worker` (services/job_worker.py)
registers the one task, which runs `jobs.execute(job_id)`.
"""

from __future__ import annotations

from functools import lru_cache

import procrastinate

from studio.errors import ValidationError
from studio.settings import get_settings

TASK = "studio.run_job"
QUEUE = "studio"


def configured() -> bool:
    """Whether jobs go to the queue (STUDIO_JOB_QUEUE=procrastinate) rather than run in-process."""
    settings = get_settings()
    if settings.job_queue != "procrastinate":
        return False
    if not settings.effective_database_url.startswith("postgresql"):
        raise ValidationError(
            "STUDIO_JOB_QUEUE=procrastinate needs a PostgreSQL STUDIO_DATABASE_URL",
            "任务队列需要 PostgreSQL 数据库（STUDIO_JOB_QUEUE=procrastinate），请联系管理员。",
        )
    return True


def conninfo(url: str) -> str:
    """libpq's form of the SQLAlchemy URL (postgresql+psycopg://... → postgresql://...)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@lru_cache(maxsize=4)
def queue_app(url: str) -> procrastinate.App:
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(url)))


@lru_cache(maxsize=4)
def _deferring_app(url: str) -> procrastinate.App:
    """An app opened once per process for deferring from synchronous code (pages, CLI, running jobs), with
    a small pool of its own: the worker's asynchronous app is another one."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(url), min_size=1, max_size=2, kwargs={"autocommit": True}
    )
    return procrastinate.App(connector=connector).open()


def defer(job_id: int) -> None:
    """Put the job on the queue (its own short transaction; the job row is committed already)."""
    app = _deferring_app(get_settings().effective_database_url)
    app.configure_task(name=TASK, queue=QUEUE).defer(job_id=job_id)
