"""Plain, frozen values that pages and the CLI receive (never live ORM rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from studio.domain.enums import (
    AssetKind,
    Channel,
    ContentType,
    Decision,
    JobState,
    ProductType,
    ReviewState,
    Role,
    Severity,
    Verdict,
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Actor(_View):
    """The logged-in user as the domain layer sees it: who, which role, where in the org tree."""

    user_id: int
    username: str
    display_name: str
    role: Role
    org_id: int
    org_path: str
    org_name: str


class LoginSessionView(_View):
    """One of the user's own active sessions (我的会话); `current` marks the browser asking."""

    id: int
    method: str
    client: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


class OrgView(_View):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    province: str | None
    city: str | None
    path: str


class TemplateView(_View):
    id: int
    code: str
    lock_version: int
    version_id: int
    version_no: int
    title: str
    body: str
    slots: list[dict[str, Any]]
    occasion_kind: str
    occasion: str | None
    content_type: str
    persona: str
    channel: str
    product_type: str
    region: str | None
    valid_from: date | None
    valid_to: date | None
    state: str
    verdict: str
    findings: list[dict[str, Any]]
    ruleset: str
    created_at: datetime
    submitted_by: int | None
    # A poster template's layout (background = asset sha256), its 九宫格 images and its sample render.
    poster: dict[str, Any] | None = None
    images: list[str] = []
    rendered_sha256: str | None = None


class VariantView(_View):
    id: int
    org_id: int
    org_name: str
    template_version_id: int
    template_code: str
    title: str
    slot_values: dict[str, Any]
    text: str
    channel: Channel
    product_type: ProductType
    content_type: ContentType
    state: ReviewState
    verdict: Verdict
    findings: list[dict[str, Any]]
    ruleset: str
    lock_version: int
    submitted_by: int | None
    updated_at: datetime
    last_comment: str | None = None
    rendered_sha256: str | None = None  # the branch's poster (studio.services.poster_templates)


class SeenVersion(_View):
    """The version of a review item a reviewer was shown; a decision names it and applies only to it."""

    lock_version: int
    digest: str


class ReviewItem(_View):
    subject_type: str  # template_version | variant
    subject_id: int
    title: str
    org_name: str | None  # None: HQ's library (a template version), or an org that is gone
    org_id: int | None
    text: str
    parent_text: str | None
    diff: list[tuple[str, str]]
    channel: Channel
    product_type: ProductType
    verdict: Verdict
    findings: list[dict[str, Any]]
    max_severity: Severity | None  # None: no findings
    submitted_by_name: str | None  # None: unknown or deleted user
    submitted_at: datetime | None
    age_hours: float
    overdue: bool
    seen: SeenVersion
    approvals: int
    required_approvals: int
    approved_by: list[str | None]  # names of this round's approvers, oldest first


class ReviewRow(_View):
    """One line of the review queue: what the list shows and batch approval binds to; no text, no diff."""

    subject_type: str  # template_version | variant
    subject_id: int
    title: str
    org_name: str | None  # None: HQ's library (a template version)
    org_id: int | None
    channel: Channel
    product_type: ProductType
    verdict: Verdict
    max_severity: Severity | None  # None: no findings
    submitted_by_name: str | None  # None: unknown or deleted user
    submitted_at: datetime | None
    age_hours: float
    overdue: bool
    seen: SeenVersion
    approvals: int
    required_approvals: int


class QueuePage(_View):
    """One page of the review queue with the database's counts for the whole filtered queue."""

    rows: list[ReviewRow]
    total: int
    overdue: int
    page: int  # 0-based, clamped to the last page
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class ThreadEntry(_View):
    """One line of an item's thread: a decision (by a reviewer or an auto-approval policy) or a comment."""

    at: datetime  # aware, UTC
    decision: Decision | None  # None: a comment
    author_name: str | None  # None: the author's account is gone, or a policy decided
    policy_id: int | None  # the auto-approval policy that decided, if one did
    text: str


class BatchSkip(_View):
    """An item batch approval left in the queue, and why (its error's message, or findings to look at)."""

    subject_type: str
    subject_id: int
    title: str
    has_findings: bool
    message_zh: str | None  # the refusal's message when it was refused


class BatchResult(_View):
    approved: int
    skipped: list[BatchSkip]


class PickRow(_View):
    """An entry of a searchable, paged picker (id and what to show)."""

    id: int
    title: str
    org_name: str


class SlotPlacement(_View):
    id: int
    org_id: int
    day: date
    time_of_day: str | None
    channel: str
    variant_id: int
    title: str
    text: str
    occasion: str | None
    content_type: str


class DailyPost(_View):
    slot_id: int
    day: date
    time_of_day: str | None
    channel: str
    title: str
    text: str
    occasion: str | None
    content_type: str
    posted: bool
    variant_id: int = 0
    template_code: str = ""  # names downloaded images: <template code>-<date>.png


class FeedLinkView(_View):
    """A branch's static staff feed link: `path` is "<token>/" under the feed folder, None before the first."""

    org_id: int
    org_code: str
    org_name: str
    path: str | None
    url: str | None  # the base URL joined with the path, when STUDIO_FEED_BASE_URL is set
    created_at: datetime | None


class FeedBuildResult(_View):
    written: int
    failed: tuple[str, ...]  # org codes whose feed could not be written (their old files were taken away)


class JobView(_View):
    """A long job as its requester (or an admin) sees it on 后台任务 and in the CLI."""

    id: int
    kind: str
    kind_label: str  # Chinese name of the kind
    args: dict[str, Any]
    requested_by: str  # username
    state: JobState
    runner: str  # "queue" or "inline"
    progress_done: int
    progress_total: int
    attempts: int
    max_attempts: int
    result: dict[str, Any]
    error_en: str
    error_zh: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def ended(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)


class AssetView(_View):
    """A library image: its facts, tags and where its sanitised bytes are (`path`, under the data dir)."""

    id: int
    sha256: str
    media_type: str
    width: int
    height: int
    bytes: int
    title: str
    kind: AssetKind
    occasion_kind: str
    occasion: str | None
    content_type: str
    product_type: str
    region: str | None
    uploaded_by: int
    org_id: int
    created_at: datetime
    path: str


class AssetPage(_View):
    """One page of library images, newest first, and how many match in all."""

    items: list[AssetView]
    total: int
    offset: int
    limit: int
