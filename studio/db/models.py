"""SQLModel tables. Only this package defines `table=True` classes; pages never see these rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from studio.domain.severity import max_severity_of
from studio.materials.search import attach_index_ddl


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores it the same on SQLite and PostgreSQL."""
    return datetime.now(UTC)


class Org(SQLModel, table=True):
    __tablename__ = "org"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=20)
    parent_id: int | None = Field(default=None, foreign_key="org.id", index=True)
    province: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=40)
    # Materialised path "/1/3/7/" so subtree scoping is one LIKE query.
    path: str = Field(default="/", max_length=400, index=True)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(max_length=60)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=30)
    org_id: int = Field(foreign_key="org.id", index=True)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Lower case; single sign-on with STUDIO_SSO_CLAIM=email maps the identity's email here (services/sso.py).
    email: str | None = Field(default=None, max_length=254, unique=True, index=True)
    # What a poster rendered for this person shows: job title (职务) and a QR code of the contact link, an
    # https link on an allow-listed host such as a WeCom 联系我 link (services/contacts.py).
    job_title: str | None = Field(default=None, max_length=30)
    contact_link: str | None = Field(default=None, max_length=500)


class Template(SQLModel, table=True):
    """An HQ material; its text and tags live in versions."""

    __tablename__ = "template"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=80, unique=True, index=True)
    owner_org_id: int = Field(foreign_key="org.id")
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    latest_version_no: int = 1
    lock_version: int = 1


class TemplateVersion(SQLModel, table=True):
    __tablename__ = "template_version"
    __table_args__ = (
        UniqueConstraint("template_id", "version_no"),
        # The review queue: submitted versions, oldest first, optionally older than an age.
        Index("ix_template_version_state_submitted", "state", "submitted_at"),
        # "Latest approved version of each template" (the localisers' library): a NOT EXISTS probe per row.
        Index("ix_template_version_tpl_state_no", "template_id", "state", "version_no"),
        # 节日日历: approved content per occasion of the month, not every approved version.
        Index("ix_template_version_occasion_state", "occasion", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="template.id", index=True)
    version_no: int
    title: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False))
    slots: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    occasion_kind: str = Field(max_length=30)
    occasion: str | None = Field(default=None, max_length=60)
    content_type: str = Field(max_length=30)
    persona: str = Field(max_length=30)
    channel: str = Field(max_length=30)
    product_type: str = Field(max_length=30)
    region: str | None = Field(default=None, max_length=20)
    valid_from: date | None = None
    valid_to: date | None = None
    state: str = Field(max_length=30, index=True)
    verdict: str = Field(max_length=10)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Highest finding severity ("" for none), kept in step with findings by a flush hook below: the review
    # queue filters on it in SQL.
    max_severity: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    ruleset: str = Field(max_length=80)
    # sha256 of the library file entry it was imported from, so re-import changes nothing.
    source_digest: str | None = Field(default=None, max_length=64)
    # What a review decision binds to (studio.domain.digest); versions are immutable, the lock moves when
    # a decision ends a review round.
    content_digest: str = Field(default="", max_length=64)
    lock_version: int = 1
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    submitted_by: int | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    # jieba words of code, title, body, occasion, region and tag labels, space-separated: what the full-text
    # index (SQLite FTS5 / PostgreSQL GIN) reads. Written with the version (studio.materials.search).
    search_tokens: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # A poster template's layout (studio.posters.layout.PosterLayout as JSON; background = asset sha256),
    # None for text templates. The body of a poster template is its text layers' texts (layout.body()).
    poster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Images that go out with the post (九宫格: 1-9 asset sha256s, in order); their recognised text is checked.
    images: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # sha256 of the poster rendered with sample values, stored in the asset store: part of content_digest,
    # so a changed image needs a new approval.
    rendered_sha256: str | None = Field(default=None, max_length=64)


attach_index_ddl(TemplateVersion.__table__)  # type: ignore[attr-defined]


class Variant(SQLModel, table=True):
    """One org's localisation of one template version: slot values and the text they render to."""

    __tablename__ = "variant"
    __table_args__ = (
        Index("ix_variant_state_submitted", "state", "submitted_at"),
        # 本地化 "我的内容": newest first, within one org (a branch) or across a subtree (walks this one).
        Index("ix_variant_org_updated", "org_id", "updated_at"),
        Index("ix_variant_updated", "updated_at"),
        # An org's content in one state (approved for placing, submitted for the backlog).
        Index("ix_variant_org_state", "org_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    template_version_id: int = Field(foreign_key="template_version.id", index=True)
    # Inheritance: a branch variant may build on its bank's variant of the same template version.
    parent_variant_id: int | None = Field(default=None, foreign_key="variant.id")
    # Editing approved content makes a new row that replaces this one once approved.
    replaces_id: int | None = Field(default=None, foreign_key="variant.id")
    # A submitted variant is immutable: editing it supersedes it with a new row that points back here.
    # (A plain id, no FOREIGN KEY: adding one would make SQLite rebuild a table other tables reference.)
    resubmits_id: int | None = None
    title: str = Field(max_length=100)
    slot_values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(max_length=30, index=True)
    verdict: str = Field(max_length=10)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_severity: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    ruleset: str = Field(max_length=80)
    content_digest: str = Field(default="", max_length=64)
    # sha256 of the branch's poster (its slot values and branch overlays, no staff overlay) in the asset store:
    # part of content_digest, what the reviewer saw and what staff renders are composited onto.
    rendered_sha256: str | None = Field(default=None, max_length=64)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_by: int | None = Field(default=None, foreign_key="app_user.id")
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    lock_version: int = 1


class Review(SQLModel, table=True):
    """One decision on one review round of an item: the round is the lock version the reviewer saw."""

    __tablename__ = "review"
    __table_args__ = (
        Index("ix_review_subject", "subject_type", "subject_id"),
        # A reviewer decides a round once: a double click or a race cannot record two approvals.
        Index(
            "uq_review_round_reviewer",
            "subject_type",
            "subject_id",
            "subject_lock",
            "reviewer_id",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=30)  # template_version | variant
    subject_id: int
    # A person decided, or an auto-approval policy did (then reviewer_id is None and policy_id says which).
    reviewer_id: int | None = Field(default=None, foreign_key="app_user.id")
    policy_id: int | None = Field(default=None, foreign_key="review_policy.id")
    decision: str = Field(max_length=30)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    findings_snapshot: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    ruleset: str = Field(max_length=80)
    # The version decided on: the subject's lock version (its review round) and content digest.
    subject_lock: int = 0
    content_digest: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class CalendarSlot(SQLModel, table=True):
    __tablename__ = "calendar_slot"
    __table_args__ = (
        Index("ix_slot_org_day", "org_id", "day"),
        # Month-wide reads (看板): the month's slots by day, grouped by org or variant without the table.
        Index("ix_slot_day_org", "day", "org_id", "variant_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id")
    day: date
    time_of_day: str | None = Field(default=None, max_length=5)  # "HH:MM"
    channel: str = Field(max_length=30)
    variant_id: int = Field(foreign_key="variant.id", index=True)
    note: str | None = Field(default=None, max_length=200)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PostMark(SQLModel, table=True):
    """A staff member marked a slot as posted (已发布): the adoption signal."""

    __tablename__ = "post_mark"
    __table_args__ = (UniqueConstraint("slot_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="calendar_slot.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    posted_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: hash = sha256(prev_hash + canonical JSON of the event)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)  # 审计日志's date filter
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=60, index=True)
    action: str = Field(max_length=60, index=True)
    subject: str = Field(max_length=80, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditPending(SQLModel, table=True):
    """An audit event committed with its action but not chained yet (PostgreSQL, while another writer
    holds the chain): sealed by its own HMAC until a sealer moves it into audit_event (studio.workflow.audit)."""

    __tablename__ = "audit_pending"

    id: str = Field(primary_key=True, max_length=32)  # random, known before the insert (anchored marks)
    at: datetime
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=60)
    action: str = Field(max_length=60)
    subject: str = Field(max_length=80)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    mac: str = Field(max_length=64)


class ReviewPolicy(SQLModel, table=True):
    """Per-template auto-approval: variants that only fill slots and pass the check need no reviewer."""

    __tablename__ = "review_policy"

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="template.id", unique=True)
    enabled: bool = True
    set_by: int = Field(foreign_key="app_user.id")
    set_at: datetime = Field(default_factory=utcnow)
    lock_version: int = 1


class Comment(SQLModel, table=True):
    """The discussion thread on one review item."""

    __tablename__ = "review_comment"
    __table_args__ = (Index("ix_comment_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_type: str = Field(max_length=30)
    subject_id: int
    author_id: int = Field(foreign_key="app_user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class HotTopic(SQLModel, table=True):
    """A current event HQ entered, valid for a window; it and content tied to it expire on time."""

    __tablename__ = "hot_topic"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    start: date
    end: date
    region: str | None = Field(default=None, max_length=20)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class RulesetVersion(SQLModel, table=True):
    """An edited set of compliance lexicons; the newest active one is what every check uses."""

    __tablename__ = "ruleset_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=80, unique=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=200)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class CalendarPublication(SQLModel, table=True):
    """A published (frozen) month of one org's calendar; later changes are recorded as new versions."""

    __tablename__ = "calendar_publication"
    __table_args__ = (UniqueConstraint("org_id", "month", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    version: int
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=200)
    published_by: int = Field(foreign_key="app_user.id")
    published_at: datetime = Field(default_factory=utcnow)


class FeedLink(SQLModel, table=True):
    """A branch's static staff feed lives under <feed dir>/<token>/; the unguessable token is the access
    control (services/feed.py). Kept as-is, not hashed: the studio must know the path to write and show it."""

    __tablename__ = "feed_link"

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id", unique=True)
    token: str = Field(max_length=64, unique=True)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted for one scope, "user:<name>" or "client:<id>" (services/login_throttle.py).

    Rows are only ever changed by single atomic statements (upsert, conditional update, delete ... returning),
    so concurrent attempts in any number of processes are each counted once.
    """

    __tablename__ = "login_throttle"

    scope: str = Field(primary_key=True, max_length=120)
    failures: int = 0  # within the window that started at window_start
    window_start: datetime
    locked_until: datetime | None = None
    lockouts: int = 0  # lockouts so far, for the doubling; cleared by a successful login
    unreported: int = 0  # failures not yet counted in any audit event
    updated_at: datetime = Field(index=True)


class LoginSession(SQLModel, table=True):
    """One browser's login (services/sessions.py). The browser holds a random token; only its SHA-256 is kept,
    so a copy of the database lets nobody in. Ended by logout, by the user from another session, or by time:
    the absolute `expires_at`, or `idle_seconds` (the role's, at login) after `last_seen_at`."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    method: str = Field(max_length=20)  # how the user logged in: "password", "oidc"
    client: str = Field(default="", max_length=200)  # address and browser, to tell sessions apart
    created_at: datetime
    last_seen_at: datetime  # refreshed at most once per touch interval, not on every click
    expires_at: datetime
    idle_seconds: int
    revoked_at: datetime | None = None
    revoked_reason: str | None = Field(default=None, max_length=40)


def _sync_max_severity(_mapper: Any, _connection: Any, target: TemplateVersion | Variant) -> None:
    """Every insert or update through the ORM stores the findings' highest severity with them."""
    target.max_severity = max_severity_of(target.findings)


for _model in (TemplateVersion, Variant):
    event.listen(_model, "before_insert", _sync_max_severity)
    event.listen(_model, "before_update", _sync_max_severity)


class Job(SQLModel, table=True):
    """A long task run by the job queue (services/jobs.py): who asked, what, how far it got, how it ended.

    `active_key` holds the idempotency key while the job is queued or running and is NULL afterwards: the
    unique constraint lets only one such job per key exist, on SQLite and PostgreSQL alike."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_requested_by_created", "requested_by", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    requested_by: int = Field(foreign_key="app_user.id")
    org_id: int = Field(foreign_key="org.id")  # the requester's org: the job's scope
    state: str = Field(max_length=20, index=True)
    runner: str = Field(max_length=20)  # "queue" (a `studio worker`) or "inline" (this process)
    progress_done: int = 0
    progress_total: int = 0
    attempts: int = 0
    max_attempts: int = 3
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error_en: str = Field(default="", sa_column=Column(Text, nullable=False))
    error_zh: str = Field(default="", sa_column=Column(Text, nullable=False))
    idempotency_key: str = Field(max_length=64, index=True)
    active_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Asset(SQLModel, table=True):
    """A library image (background or theme skin) uploaded by HQ: its sanitised bytes live content-addressed
    at <data_dir>/assets/<sha256[:2]>/<sha256>.<ext>, so one image is one file and one row."""

    __tablename__ = "asset"
    __table_args__ = (Index("ix_asset_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    media_type: str = Field(max_length=20)
    width: int
    height: int
    bytes: int
    title: str = Field(max_length=100)
    kind: str = Field(max_length=20, index=True)
    # Tags with the templates' vocabulary (studio.domain.enums), codes not labels.
    occasion_kind: str = Field(max_length=30)
    occasion: str | None = Field(default=None, max_length=60)
    content_type: str = Field(max_length=30)
    product_type: str = Field(max_length=30)
    region: str | None = Field(default=None, max_length=20)
    uploaded_by: int = Field(foreign_key="app_user.id")
    org_id: int = Field(foreign_key="org.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Recognised text (studio/materials/ocr.py): {"engine", "text", "lines": [{"text", "box": [x0, y0, x1, y1],
    # "score"}]}; None until recognised.
    ocr: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Partner(SQLModel, table=True):
    """A partner (关键人) of a branch: a chamber of commerce, village committee, service station. Their QR code
    is the owning staff member's contact link carrying the partner's code, so contacts they bring are counted."""

    __tablename__ = "partner"
    __table_args__ = (Index("ix_partner_org_name", "org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="org.id")
    code: str = Field(max_length=16, unique=True)  # random, what the tracked link carries
    name: str = Field(max_length=60)
    kind: str = Field(max_length=20)
    owner_id: int = Field(foreign_key="app_user.id")  # whose contact link the code extends
    active: bool = True
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
