"""Review workflow: queue, decisions (maker ≠ checker, dual approval), comments, withdrawal, expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    RowMapping,
    Select,
    String,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    union_all,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Subquery
from sqlmodel import Session, col, select

from studio.compliance import CheckResult
from studio.db import typed
from studio.db.locking import transition
from studio.db.models import (
    CalendarSlot,
    Comment,
    Org,
    Review,
    ReviewPolicy,
    TemplateVersion,
    User,
    Variant,
    utcnow,
)
from studio.db.prefix import starts_with
from studio.domain.clock import as_utc
from studio.domain.digest import content_digest
from studio.domain.enums import Channel, Decision, ProductType, ReviewState, Role, Severity, Verdict
from studio.domain.severity import at_least, max_severity_of
from studio.domain.views import (
    Actor,
    BatchResult,
    BatchSkip,
    PickRow,
    QueuePage,
    ReviewItem,
    ReviewRow,
    SeenVersion,
    ThreadEntry,
)
from studio.errors import Conflict, NotFound, PermissionDenied, StudioError, ValidationError
from studio.localisation import render as jinja
from studio.localisation.draft import poster_text
from studio.localisation.slots import SlotSpec, sample_values
from studio.posters.layout import PosterLayout
from studio.services import feed, post_images
from studio.services.occasion_calendar import hot_topic_ends
from studio.services.rules import findings_json
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require, require_network_scope, require_scope

MAX_COMMENT = 2000
_OUTCOME = {
    Decision.APPROVE: ReviewState.APPROVED,
    Decision.REJECT: ReviewState.REJECTED,
    Decision.REQUEST_CHANGES: ReviewState.CHANGES_REQUESTED,
}


def required_approvals(product_type: str) -> int:
    return 2 if product_type in get_settings().dual_approval_products else 1


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else None


def _is_hq(actor: Actor) -> bool:
    return actor.org_path.count("/") <= 2


def template_sample_text(version: TemplateVersion) -> str:
    """What a template version's check reads: its body (a poster: every layer's text) with sample values."""
    values = sample_values([SlotSpec.model_validate(s) for s in version.slots])
    if version.poster is not None:
        return poster_text(PosterLayout.model_validate(version.poster), values)
    return jinja.render(version.body, values)


def _parent_text(session: Session, variant: Variant, version: TemplateVersion) -> str:
    """The approved text this variant is compared with: what it replaces, its bank's variant, or HQ's."""
    for parent_id in (variant.replaces_id, variant.parent_variant_id):
        if parent_id:
            parent = session.get(Variant, parent_id)
            if parent is not None:
                return parent.text
    return template_sample_text(version)


def _approvals(session: Session, subject_type: str, subject_id: int, round_lock: int) -> list[Review]:
    """Approvals of one review round (the lock version they were given on), oldest first."""
    return list(
        session.exec(
            select(Review)
            .where(
                col(Review.subject_type) == subject_type,
                col(Review.subject_id) == subject_id,
                col(Review.subject_lock) == round_lock,
                col(Review.decision) == Decision.APPROVE.value,
            )
            .order_by(col(Review.id))
        ).all()
    )


_MODELS: dict[str, type[TemplateVersion] | type[Variant]] = {
    "template_version": TemplateVersion,
    "variant": Variant,
}


def digest_of(subject: TemplateVersion | Variant, version: TemplateVersion) -> str:
    """The digest of what the row holds now (compared with the stored one to catch edits behind our back).
    Images bind too: the rendered poster (the version's sample render, the variant's branch render) first,
    then the version's 九宫格 images."""
    if isinstance(subject, Variant):
        return content_digest(
            title=subject.title,
            text=subject.text,
            channel=version.channel,
            product_type=version.product_type,
            images=_with_render(subject.rendered_sha256, version.images),
        )
    return content_digest(
        title=subject.title,
        text=subject.body,
        channel=subject.channel,
        product_type=subject.product_type,
        slots=subject.slots,
        images=_with_render(subject.rendered_sha256, subject.images),
    )


def _with_render(rendered_sha256: str | None, images: list[str] | None) -> list[str]:
    return [rendered_sha256, *(images or [])] if rendered_sha256 else list(images or [])


def _previous_approved(session: Session, version: TemplateVersion) -> TemplateVersion | None:
    """The template's latest approved version before this one: what a new version is compared with."""
    return session.exec(
        select(TemplateVersion)
        .where(
            col(TemplateVersion.template_id) == version.template_id,
            col(TemplateVersion.version_no) < version.version_no,
            col(TemplateVersion.state) == ReviewState.APPROVED.value,
        )
        .order_by(col(TemplateVersion.version_no).desc())
        .limit(1)
    ).first()


def _item(
    session: Session,
    subject_type: str,
    subject: TemplateVersion | Variant,
    org: Org | None,
    version: TemplateVersion,
) -> ReviewItem:
    from studio.localisation.diff import diff_segments

    if isinstance(subject, Variant):
        text, parent = subject.text, _parent_text(session, subject, version)
        org_name, org_id = (org.name if org else None), subject.org_id
    else:
        text, parent = template_sample_text(subject), None
        previous = _previous_approved(session, subject)
        if previous is not None:
            parent = template_sample_text(previous)
        org_name, org_id = None, None  # HQ's library
    submitted = subject.submitted_at
    age = _age_hours(submitted, utcnow())
    approvals = _approvals(session, subject_type, subject.id or 0, subject.lock_version)
    return ReviewItem(
        subject_type=subject_type,
        subject_id=subject.id or 0,
        title=subject.title,
        org_name=org_name,
        org_id=org_id,
        text=text,
        parent_text=parent,
        diff=diff_segments(parent, text) if parent is not None else [],
        channel=Channel(version.channel),
        product_type=ProductType(version.product_type),
        verdict=Verdict(subject.verdict),
        findings=subject.findings,
        max_severity=Severity(top) if (top := max_severity_of(subject.findings)) else None,
        submitted_by_name=_name(session, subject.submitted_by),
        submitted_at=submitted,
        age_hours=round(age, 1),
        overdue=age > get_settings().review_sla_hours,
        seen=SeenVersion(lock_version=subject.lock_version, digest=subject.content_digest),
        approvals=len(approvals),
        required_approvals=required_approvals(version.product_type),
        approved_by=[_name(session, r.reviewer_id) for r in approvals],
    )


PAGE_SIZE = 20
MAX_BATCH = 50  # batch approval takes at most a couple of pages' clean rows
_QUEUE_ORDER = ("submitted_at", "subject_type", "subject_id")  # oldest first, stable tiebreak


def _age_hours(submitted: datetime | None, now: datetime) -> float:
    # Never negative: pages pass a clock truncated to the minute (a cache key) that may precede a submission.
    return max(0.0, (now - as_utc(submitted)).total_seconds() / 3600) if submitted else 0.0


def _variant_rows(actor: Actor, org_id: int | None, dialect: str) -> Select[*tuple[Any, ...]]:
    """Submitted variants in the actor's subtree (one org if given), as the queue's light columns."""
    v, tv = Variant, TemplateVersion
    variants: Select[*tuple[Any, ...]] = (
        sa_select(
            literal_column("'variant'", String).label("subject_type"),
            col(v.id).label("subject_id"),
            col(v.title),
            col(Org.name).label("org_name"),
            col(v.org_id),
            col(tv.channel),
            col(tv.product_type),
            col(v.verdict),
            col(v.max_severity),
            col(v.submitted_by),
            col(v.submitted_at),
            col(v.lock_version),
            col(v.content_digest),
        )
        .select_from(v)
        .join(Org, col(Org.id) == v.org_id)
        .join(tv, col(tv.id) == v.template_version_id)
        .where(
            col(v.state) == ReviewState.SUBMITTED.value, starts_with(col(Org.path), actor.org_path, dialect)
        )
    )
    if org_id is not None:
        variants = variants.where(col(v.org_id) == org_id)
    return variants


def _template_rows() -> Select[*tuple[Any, ...]]:
    """Submitted template versions (HQ's library, no org), in the same columns as _variant_rows."""
    tv = TemplateVersion
    return sa_select(
        literal_column("'template_version'", String),
        col(tv.id),
        col(tv.title),
        cast(null(), String),
        cast(null(), Integer),
        col(tv.channel),
        col(tv.product_type),
        col(tv.verdict),
        col(tv.max_severity),
        col(tv.submitted_by),
        col(tv.submitted_at),
        col(tv.lock_version),
        col(tv.content_digest),
    ).where(col(tv.state) == ReviewState.SUBMITTED.value)


def _queue_union(
    session: Session,
    actor: Actor,
    *,
    org_id: int | None,
    product_type: str | None,
    min_severity: str | None,
    min_age_hours: float | None,
    now: datetime,
) -> Subquery:
    """Submitted variants in the actor's subtree and (HQ reviewers, no org filter) submitted template
    versions, filtered in SQL, as one subquery with the same light columns for both."""
    floor = at_least(min_severity) if min_severity else None
    cutoff = now - timedelta(hours=min_age_hours) if min_age_hours else None
    parts = [_variant_rows(actor, org_id, session.get_bind().dialect.name)]
    if _is_hq(actor) and org_id is None:
        parts.append(_template_rows())
    models: tuple[type[Variant] | type[TemplateVersion], ...] = (Variant, TemplateVersion)
    for i, (part, model) in enumerate(zip(parts, models, strict=False)):
        if product_type:
            part = part.where(col(TemplateVersion.product_type) == product_type)
        if floor is not None:
            part = part.where(col(model.max_severity).in_(floor))
        if cutoff is not None:
            part = part.where(col(model.submitted_at) <= cutoff)
        parts[i] = part
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("queue")


def queue_page(
    session: Session,
    actor: Actor,
    *,
    org_id: int | None = None,
    product_type: str | None = None,
    min_severity: str | None = None,
    min_age_hours: float | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> QueuePage:
    """One page of submitted items within the reviewer's scope, oldest first, filtered and counted in SQL.

    Rows are light (no text, no diff): the detail of the one item opened comes from item_detail().
    """
    require(actor, "review.decide")
    if min_severity is not None and min_severity not in Severity._value2member_map_:
        raise ValidationError(f"unknown severity {min_severity}", "未知的风险级别。")
    page_size = max(1, min(page_size, 100))
    now = now or utcnow()
    sla = get_settings().review_sla_hours
    q = _queue_union(
        session,
        actor,
        org_id=org_id,
        product_type=product_type,
        min_severity=min_severity,
        min_age_hours=min_age_hours,
        now=now,
    )
    total, overdue = _queue_counts(session, q, now - timedelta(hours=sla))
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    return QueuePage(
        rows=[_row(r, now, sla) for r in _page_rows(session, q, page, page_size)],
        total=total,
        overdue=overdue,
        page=page,
        page_size=page_size,
    )


def _queue_counts(session: Session, q: Subquery, overdue_before: datetime) -> tuple[int, int]:
    """How many items the filtered queue holds, and how many of them were submitted before the SLA cut."""
    total, overdue = (
        typed.rows(
            session,
            sa_select(
                func.count(),
                func.coalesce(func.sum(case((q.c.submitted_at < overdue_before, 1), else_=0)), 0),
            ).select_from(q),
        )
        .tuples()
        .one()
    )
    return int(total), int(overdue or 0)


def _page_rows(session: Session, q: Subquery, page: int, page_size: int) -> Sequence[RowMapping]:
    """One page of the queue, with the submitter's name and the approvals of each item's current round."""
    order = [q.c[name] for name in _QUEUE_ORDER]
    p = sa_select(q).order_by(*order).limit(page_size).offset(page * page_size).subquery("page")
    approvals = (
        select(func.count())
        .select_from(Review)
        .where(
            col(Review.subject_type) == p.c.subject_type,
            col(Review.subject_id) == p.c.subject_id,
            col(Review.subject_lock) == p.c.lock_version,
            col(Review.decision) == Decision.APPROVE.value,
        )
        .correlate(p)
        .scalar_subquery()
    )
    return (
        session.execute(
            sa_select(p, col(User.display_name).label("submitted_by_name"), approvals.label("approvals"))
            .outerjoin(User, col(User.id) == p.c.submitted_by)
            .order_by(*(p.c[name] for name in _QUEUE_ORDER))
        )
        .mappings()
        .all()
    )


def _row(r: Any, now: datetime, sla: float) -> ReviewRow:
    age = _age_hours(r["submitted_at"], now)
    return ReviewRow(
        subject_type=r["subject_type"],
        subject_id=r["subject_id"],
        title=r["title"],
        org_name=r["org_name"],
        org_id=r["org_id"],
        channel=r["channel"],
        product_type=r["product_type"],
        verdict=r["verdict"],
        max_severity=r["max_severity"] or None,
        submitted_by_name=r["submitted_by_name"],
        submitted_at=r["submitted_at"],
        age_hours=round(age, 1),
        overdue=age > sla,
        seen=SeenVersion(lock_version=r["lock_version"], digest=r["content_digest"]),
        approvals=int(r["approvals"] or 0),
        required_approvals=required_approvals(r["product_type"]),
    )


def item_detail(session: Session, actor: Actor, subject_type: str, subject_id: int) -> ReviewItem:
    """The one item a reviewer opened: text with findings, diff against its approved parent, approvals."""
    require(actor, "review.decide")
    subject, version, _ = _load(session, actor, subject_type, subject_id)
    if subject.state != ReviewState.SUBMITTED.value:
        raise Conflict(f"{subject_type} {subject_id} is {subject.state}, not submitted", _GONE_ZH)
    org = session.get(Org, subject.org_id) if isinstance(subject, Variant) else None
    return _item(session, subject_type, subject, org, version)


def withdrawable(
    session: Session, actor: Actor, search: str = "", page: int = 0, page_size: int = PAGE_SIZE
) -> tuple[list[PickRow], int]:
    """Approved variants in the actor's subtree matching `search` (title, org name or #id), newest first,
    one page of them and the total count."""
    require(actor, "variant.read")
    query = (
        select(col(Variant.id), col(Variant.title), col(Org.name))
        .join(Org, col(Org.id) == col(Variant.org_id))
        .where(
            col(Variant.state) == ReviewState.APPROVED.value,
            starts_with(col(Org.path), actor.org_path, session.get_bind().dialect.name),
        )
    )
    if term := search.strip().lstrip("#"):
        pattern = f"%{_escape_like(term)}%"
        match: list[ColumnElement[bool]] = [
            col(Variant.title).like(pattern, escape="\\"),
            col(Org.name).like(pattern, escape="\\"),
        ]
        if term.isdigit():
            match.append(col(Variant.id) == int(term))
        query = query.where(or_(*match))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Variant.id).desc()).limit(page_size).offset(max(page, 0) * page_size)
    ).all()
    return [PickRow(id=i, title=t, org_name=o) for i, t, o in rows if i is not None], int(total)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _org_path(session: Session, org_id: int) -> str:
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"org {org_id} not found")
    return org.path


def _load(
    session: Session, actor: Actor, subject_type: str, subject_id: int
) -> tuple[TemplateVersion | Variant, TemplateVersion, str]:
    """The subject, its template version and the text that gets checked; scope enforced."""
    if subject_type == "template_version":
        subject = session.get(TemplateVersion, subject_id)
        if subject is None:
            raise NotFound(f"template version {subject_id} not found")
        if not _is_hq(actor):
            raise PermissionDenied("only HQ reviewers review templates", "只有总行审核员可以审核总行模板。")
        return subject, subject, template_sample_text(subject)
    if subject_type == "variant":
        # One round trip: the variant, its org's path (for the scope check) and its template version.
        found = session.exec(
            select(Variant, Org.path, TemplateVersion)
            .join(Org, col(Org.id) == col(Variant.org_id))
            .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
            .where(col(Variant.id) == subject_id)
        ).first()
        if found is None:
            raise NotFound(f"variant {subject_id} not found")
        variant, org_path, version = found
        require_scope(actor, org_path)
        return variant, version, variant.text
    raise ValidationError(f"unknown subject type {subject_type}", "未知的审核对象。")


STALE_ZH = "内容已更新，请重新审阅。"
_GONE_ZH = "该内容已不在待审核状态（可能已被他人处理），请刷新队列。"


def current_version(session: Session, actor: Actor, subject_type: str, subject_id: int) -> SeenVersion:
    """The version an item holds now: for callers (CLI, seed, tests) that show the reviewer this version."""
    require(actor, "review.decide")
    subject, _, _ = _load(session, actor, subject_type, subject_id)
    return SeenVersion(lock_version=subject.lock_version, digest=subject.content_digest)


def _claim_round(session: Session, subject_type: str, subject_id: int, seen: SeenVersion) -> None:
    """Lock the item if it still is the submitted version the reviewer saw, or explain why not.

    A no-op UPDATE conditioned on state, lock version and digest is the transaction's first statement:
    PostgreSQL locks the row, SQLite takes its write lock (a transaction that starts by writing waits for
    the other writer and then reads fresh data). Every decider of this item queues here, so a second
    approval sees the first, and an edit that lands first makes this claim fail.
    """
    model = _MODELS[subject_type]
    claimed = session.execute(
        update(model)
        .where(
            col(model.id) == subject_id,
            col(model.state) == ReviewState.SUBMITTED.value,
            col(model.lock_version) == seen.lock_version,
            col(model.content_digest) == seen.digest,
        )
        .values(lock_version=model.lock_version)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        session.expire_all()  # what the identity map holds may predate the lock
        return
    session.rollback()
    row = session.get(model, subject_id, populate_existing=True)
    if not isinstance(row, TemplateVersion | Variant):  # None; the check also narrows the type
        raise NotFound(f"{subject_type} {subject_id} not found")
    if row.state in (ReviewState.SUBMITTED.value, ReviewState.SUPERSEDED.value):
        raise Conflict(f"{subject_type} {subject_id} changed since it was shown (stale version)", STALE_ZH)
    raise Conflict(f"{subject_type} {subject_id} is {row.state}, not submitted", _GONE_ZH)


def decide(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: int,
    decision: Decision,
    comment: str = "",
    *,
    seen: SeenVersion,
) -> str:
    """Decide the version the reviewer saw; returns the state afterwards (submitted after a first approval).

    Text, verdict under the current ruleset and state are re-checked while the item is locked, and the
    decision is written in the same transaction; anything that changed since `seen` is a Conflict.
    """
    require(actor, "review.decide")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment too long", f"审核意见最多 {MAX_COMMENT} 字。")
    if decision is not Decision.APPROVE and not comment:
        raise ValidationError("a reason is required", "驳回或退回修改时必须填写原因。")
    if subject_type not in _MODELS:
        raise ValidationError(f"unknown subject type {subject_type}", "未知的审核对象。")
    _claim_round(session, subject_type, subject_id, seen)
    try:
        state = _decide_claimed(session, actor, subject_type, subject_id, decision, comment, seen)
    except StudioError:
        session.rollback()  # release the lock taken by the claim
        raise
    except IntegrityError:
        # The unique index on (item, round, reviewer): this reviewer's other click got there first.
        session.rollback()
        raise Conflict(
            "this reviewer already decided this version", "您已对该版本作出过审核决定，请刷新队列。"
        ) from None
    if subject_type == "variant" and state == ReviewState.APPROVED.value:
        _refresh_replaced(session, actor, subject_id)
    return state


def _refresh_replaced(session: Session, actor: Actor, variant_id: int) -> None:
    """An approved replacement withdrew the text it replaces: the staff pages that showed that text are
    rewritten now, not at the next daily build."""
    variant = session.get(Variant, variant_id)
    if variant is not None and variant.replaces_id:
        feed.queue_refresh(session, actor, variant_ids=[variant.replaces_id])


def _decide_claimed(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: int,
    decision: Decision,
    comment: str,
    seen: SeenVersion,
) -> str:
    # Under the claim's lock, in this order: re-read, maker-checker, digest, re-check, approvals, write, audit.
    subject, version, text = _load(session, actor, subject_type, subject_id)
    if actor.user_id in {subject.submitted_by, subject.created_by}:
        raise PermissionDenied(
            "maker-checker: you cannot review your own submission",
            "不能审核自己提交或创建的内容（双人复核）。",
        )
    if digest_of(subject, version) != subject.content_digest:
        # The row's text no longer matches its digest: changed behind the application's back.
        raise Conflict(f"{subject_type} {subject_id} content does not match its digest", STALE_ZH)
    # Re-check with the current ruleset: a rule added since submission still counts.
    result = post_images.check_post(
        session, actor, text, version.product_type, version.channel, version.images
    )
    if decision is Decision.APPROVE and result.verdict is Verdict.BLOCK:
        raise ValidationError(
            "blocking findings cannot be approved", "内容存在阻断级合规问题，不能通过；请驳回或退回修改。"
        )
    outcome = _round_outcome(session, actor, subject_type, subject_id, decision, seen, version.product_type)
    _write_decision(session, actor, subject, subject_type, decision, comment, seen, result, outcome)
    _audit_decision(session, actor, subject, subject_type, decision, seen, result, outcome)
    session.commit()
    return subject.state


def _round_outcome(
    session: Session,
    actor: Actor,
    subject_type: str,
    subject_id: int,
    decision: Decision,
    seen: SeenVersion,
    product_type: str,
) -> ReviewState:
    """The state this decision leads to, counting this round's approvals (read under the claim's lock)."""
    outcome = _OUTCOME[decision]
    if decision is Decision.APPROVE:
        earlier = _approvals(session, subject_type, subject_id, seen.lock_version)
        if any(r.reviewer_id == actor.user_id for r in earlier):
            raise PermissionDenied(
                "second approval must come from another reviewer",
                "您已通过该版本，第二次审批必须由另一位审核员完成。",
            )
        if len(earlier) + 1 < required_approvals(product_type):
            outcome = ReviewState.SUBMITTED  # first of two approvals: the item stays in the queue
    return outcome


def _write_decision(
    session: Session,
    actor: Actor,
    subject: TemplateVersion | Variant,
    subject_type: str,
    decision: Decision,
    comment: str,
    seen: SeenVersion,
    result: CheckResult,
    outcome: ReviewState,
) -> None:
    """The subject's new state and verdict, and the review row of this round (flushed, not committed)."""
    now = utcnow()
    if outcome is not ReviewState.SUBMITTED:
        # The round ends: the state moves and the lock version with it, so no later click can reuse it.
        subject.state = outcome.value
        subject.decided_at = now
        subject.lock_version = seen.lock_version + 1
    subject.findings = findings_json(result)
    subject.verdict = result.verdict.value
    subject.ruleset = result.ruleset
    if outcome is ReviewState.APPROVED and isinstance(subject, Variant) and subject.replaces_id:
        _supersede(session, actor, subject)
    session.add(subject)
    session.add(
        Review(
            subject_type=subject_type,
            subject_id=subject.id or 0,
            reviewer_id=actor.user_id,
            decision=decision.value,
            comment=comment,
            findings_snapshot=subject.findings,
            ruleset=result.ruleset,
            subject_lock=seen.lock_version,
            content_digest=seen.digest,
            created_at=now,
        )
    )
    session.flush()


def _audit_decision(
    session: Session,
    actor: Actor,
    subject: TemplateVersion | Variant,
    subject_type: str,
    decision: Decision,
    seen: SeenVersion,
    result: CheckResult,
    outcome: ReviewState,
) -> None:
    first_of_two = decision is Decision.APPROVE and outcome is ReviewState.SUBMITTED
    audit.append(
        session,
        actor,
        "review.approve_first" if first_of_two else f"review.{decision.value}",
        f"{subject_type}:{subject.id}",
        {
            "state": subject.state,
            "verdict": subject.verdict,
            "ruleset": result.ruleset,
            "round": seen.lock_version,
            "digest": seen.digest,
        },
    )


def batch_approve(session: Session, actor: Actor, items: list[tuple[str, int, SeenVersion]]) -> BatchResult:
    """Approve several clean items, each at the version the reviewer saw; the others stay, with a reason."""
    require(actor, "review.decide")  # each decision checks again; this refuses the batch as a whole
    if len(items) > MAX_BATCH:
        raise ValidationError(f"at most {MAX_BATCH} items per batch", f"每次最多批量通过 {MAX_BATCH} 条。")
    done, skipped = 0, []
    for subject_type, subject_id, seen in items:
        subject, _, _ = _load(session, actor, subject_type, subject_id)
        if subject.verdict != Verdict.PASS.value:
            skipped.append(
                BatchSkip(
                    subject_type=subject_type,
                    subject_id=subject_id,
                    title=subject.title,
                    has_findings=True,
                    message_zh=None,
                )
            )
            continue
        try:
            decide(session, actor, subject_type, subject_id, Decision.APPROVE, seen=seen)
            done += 1
        except (PermissionDenied, ValidationError, Conflict) as error:
            session.rollback()
            skipped.append(
                BatchSkip(
                    subject_type=subject_type,
                    subject_id=subject_id,
                    title=subject.title,
                    has_findings=False,
                    message_zh=error.message_zh,
                )
            )
    return BatchResult(approved=done, skipped=skipped)


def auto_approve_if_allowed(
    session: Session, actor: Actor, variant: Variant, version: TemplateVersion, only_slots_changed: bool
) -> bool:
    """Apply the template's auto-approval policy to a variant `actor` just submitted (caller commits).

    The policy decides, not the submitter: the approval and its audit event name no reviewer."""
    require(actor, "variant.edit")
    require_scope(actor, _org_path(session, variant.org_id))
    if not only_slots_changed or variant.verdict != Verdict.PASS.value:
        return False
    if required_approvals(version.product_type) > 1:
        return False  # dual-approval products always get two people
    policy = session.exec(
        select(ReviewPolicy).where(
            col(ReviewPolicy.template_id) == version.template_id, col(ReviewPolicy.enabled)
        )
    ).first()
    if policy is None:
        return False
    now = utcnow()
    variant.state = ReviewState.APPROVED.value
    variant.decided_at = now
    session.add(variant)
    session.flush()
    session.add(
        Review(
            subject_type="variant",
            subject_id=variant.id or 0,
            reviewer_id=None,
            policy_id=policy.id,
            decision=Decision.APPROVE.value,
            comment=f"按模板自动通过策略 #{policy.id} 自动通过",
            findings_snapshot=variant.findings,
            ruleset=variant.ruleset,
            subject_lock=variant.lock_version,
            content_digest=variant.content_digest,
            created_at=now,
        )
    )
    if variant.replaces_id:
        _supersede(session, None, variant)
    audit.append(session, None, "review.auto_approve", f"variant:{variant.id}", {"policy": policy.id})
    return True


def set_policy(session: Session, actor: Actor, template_id: int, enabled: bool) -> None:
    require(actor, "rules.edit")
    policy = session.exec(select(ReviewPolicy).where(col(ReviewPolicy.template_id) == template_id)).first()
    if policy is None:
        policy = ReviewPolicy(template_id=template_id, enabled=enabled, set_by=actor.user_id)
    else:
        policy.enabled, policy.set_by, policy.set_at = enabled, actor.user_id, utcnow()
        policy.lock_version += 1
    session.add(policy)
    session.flush()
    audit.append(session, actor, "policy.set", f"template:{template_id}", {"auto_approve": enabled})
    session.commit()


def policies(session: Session, actor: Actor) -> frozenset[int]:
    """The templates whose auto-approval policy is on."""
    require(actor, "rules.edit")
    enabled = select(col(ReviewPolicy.template_id)).where(col(ReviewPolicy.enabled))
    return frozenset(session.exec(enabled))


def _supersede(session: Session, actor: Actor | None, replacement: Variant) -> None:
    """The newly approved version takes the old one's future calendar places; the old one is withdrawn."""
    old = session.get(Variant, replacement.replaces_id)
    if old is None:
        return
    old.state = ReviewState.WITHDRAWN.value
    session.add(old)
    for slot in session.exec(select(CalendarSlot).where(col(CalendarSlot.variant_id) == old.id)):
        slot.variant_id = replacement.id or 0
        session.add(slot)
    audit.append(session, actor, "variant.superseded", f"variant:{old.id}", {"by": replacement.id})


def withdraw(session: Session, actor: Actor, variant_id: int, reason: str) -> None:
    """Take approved content out of use (reviewer, or the localiser of its org); calendars drop it."""
    require(actor, "variant.withdraw")
    if not reason.strip():
        raise ValidationError("a reason is required", "撤回时必须填写原因。")
    variant, _, _ = _load(session, actor, "variant", variant_id)
    transition(session, Variant, variant_id, ReviewState.APPROVED.value, ReviewState.WITHDRAWN.value)
    variant.state = ReviewState.WITHDRAWN.value
    session.add(
        Comment(
            subject_type="variant",
            subject_id=variant_id,
            author_id=actor.user_id,
            body=f"撤回：{reason.strip()}",
        )
    )
    audit.append(
        session, actor, "variant.withdraw", f"variant:{variant_id}", {"reason": reason.strip()[:200]}
    )
    session.commit()
    feed.queue_refresh(session, actor, variant_ids=[variant_id])  # staff pages stop showing it now


def expiry_date(
    version: TemplateVersion, decided_at: datetime | None, topic_ends: dict[str, date] | None = None
) -> date | None:
    """The last day approved content may be used: validity end, its hot topic's end, or re-approval date."""
    candidates = []
    if version.valid_to:
        candidates.append(version.valid_to)
    if topic_ends and version.occasion_kind == "hot_topic" and version.occasion in topic_ends:
        candidates.append(topic_ends[version.occasion])
    days = get_settings().reapproval_days.get(version.product_type)
    if days and decided_at:
        candidates.append((as_utc(decided_at) + timedelta(days=days)).date())
    return min(candidates) if candidates else None


def expire_due(session: Session, actor: Actor, today: date) -> int:
    """Mark approved variants and template versions past their expiry as expired; audited per item.

    Runs over every org (HQ templates and every branch's variants), so only an actor at the head office."""
    require(actor, "review.expire")
    require_network_scope(actor)
    ends = hot_topic_ends(session)
    expired = 0
    expired_variants = []
    for variant in session.exec(
        select(Variant).where(col(Variant.state) == ReviewState.APPROVED.value)
    ).all():
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None
        until = expiry_date(version, variant.decided_at, ends)
        if until is not None and until < today:
            variant.state = ReviewState.EXPIRED.value
            session.add(variant)
            expired_variants.append(variant.id or 0)
            audit.append(
                session, actor, "variant.expire", f"variant:{variant.id}", {"until": until.isoformat()}
            )
            expired += 1
    for version in session.exec(
        select(TemplateVersion).where(col(TemplateVersion.state) == ReviewState.APPROVED.value)
    ).all():
        until = expiry_date(version, version.decided_at, ends)
        if until is not None and until < today:
            version.state = ReviewState.EXPIRED.value
            session.add(version)
            audit.append(
                session,
                actor,
                "template.expire",
                f"template_version:{version.id}",
                {"until": until.isoformat()},
            )
            expired += 1
    session.commit()
    if expired_variants:
        feed.refresh_feeds(session, actor, variant_ids=expired_variants, today=today)
    return expired


def add_comment(session: Session, actor: Actor, subject_type: str, subject_id: int, body: str) -> None:
    body = body.strip()
    if not body:
        raise ValidationError("empty comment", "评论不能为空。")
    if len(body) > MAX_COMMENT:
        raise ValidationError("comment too long", f"评论最多 {MAX_COMMENT} 字。")
    _check_thread_access(session, actor, subject_type, subject_id)
    session.add(Comment(subject_type=subject_type, subject_id=subject_id, author_id=actor.user_id, body=body))
    audit.append(session, actor, "comment.add", f"{subject_type}:{subject_id}", {})
    session.commit()


def _check_thread_access(session: Session, actor: Actor, subject_type: str, subject_id: int) -> None:
    require(actor, "variant.read")
    if actor.role is Role.BRANCH_LOCALISER and subject_type != "variant":
        raise PermissionDenied("localisers see variant threads only", "只能查看本机构本地化内容的讨论。")
    _load(session, actor, subject_type, subject_id)


def _lineage(session: Session, subject_type: str, subject_id: int) -> list[int]:
    """The item and the submissions it superseded (newest first), so a thread survives an edit."""
    ids = [subject_id]
    while subject_type == "variant" and len(ids) < 100:
        row = session.get(Variant, ids[-1])
        if row is None or row.resubmits_id is None or row.resubmits_id in ids:
            break
        ids.append(row.resubmits_id)
    return ids


THREAD_LIMIT = PAGE_SIZE  # newest decisions and newest comments shown, each


def thread(session: Session, actor: Actor, subject_type: str, subject_id: int) -> list[ThreadEntry]:
    """Decisions and comments on one item and on the submissions it superseded, oldest first (the newest
    THREAD_LIMIT of each kind; names joined, not looked up one by one)."""
    _check_thread_access(session, actor, subject_type, subject_id)
    ids = _lineage(session, subject_type, subject_id)
    entries: list[ThreadEntry] = []
    for r, name in session.exec(
        select(Review, col(User.display_name))
        .outerjoin(User, col(User.id) == col(Review.reviewer_id))
        .where(col(Review.subject_type) == subject_type, col(Review.subject_id).in_(ids))
        .order_by(col(Review.id).desc())
        .limit(THREAD_LIMIT)
    ):
        entries.append(
            ThreadEntry(
                at=as_utc(r.created_at),
                decision=Decision(r.decision),
                author_name=name,
                policy_id=None if r.reviewer_id else r.policy_id,
                text=r.comment,
            )
        )
    for c, name in session.exec(
        select(Comment, col(User.display_name))
        .outerjoin(User, col(User.id) == col(Comment.author_id))
        .where(col(Comment.subject_type) == subject_type, col(Comment.subject_id).in_(ids))
        .order_by(col(Comment.id).desc())
        .limit(THREAD_LIMIT)
    ):
        entries.append(
            ThreadEntry(at=as_utc(c.created_at), decision=None, author_name=name, policy_id=None, text=c.body)
        )
    return sorted(entries, key=lambda entry: entry.at)
