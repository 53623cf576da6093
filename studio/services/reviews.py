"""Review workflow: queue, decisions (maker ≠ checker, dual approval), comments, withdrawal, expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

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
from studio.domain.digest import content_digest
from studio.domain.enums import Decision, ReviewState, Role, Severity, Verdict
from studio.domain.views import Actor, ReviewItem, SeenVersion
from studio.errors import Conflict, NotFound, PermissionDenied, StudioError, ValidationError
from studio.localisation import render as jinja
from studio.localisation.slots import SlotSpec, sample_values
from studio.services.checks import findings_json, run_check
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope

MAX_COMMENT = 2000
_OUTCOME = {Decision.APPROVE: ReviewState.APPROVED, Decision.REJECT: ReviewState.REJECTED,
            Decision.REQUEST_CHANGES: ReviewState.CHANGES_REQUESTED}
_SEVERITY_RANK = {Severity.INFO.value: 1, Severity.REVIEW.value: 2, Severity.BLOCK.value: 3}


def required_approvals(product_type: str) -> int:
    return 2 if product_type in get_settings().dual_approval_products else 1


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "—"


def _is_hq(actor: Actor) -> bool:
    return actor.org_path.count("/") <= 2


def template_sample_text(version: TemplateVersion) -> str:
    return jinja.render(version.body, sample_values([SlotSpec.model_validate(s) for s in version.slots]))


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
    return list(session.exec(select(Review).where(
        Review.subject_type == subject_type, Review.subject_id == subject_id, Review.subject_lock == round_lock,
        Review.decision == Decision.APPROVE.value).order_by(Review.id)).all())  # type: ignore[arg-type]


_MODELS: dict[str, type[TemplateVersion] | type[Variant]] = {"template_version": TemplateVersion,
                                                             "variant": Variant}


def digest_of(subject: TemplateVersion | Variant, version: TemplateVersion) -> str:
    """The digest of what the row holds now (compared with the stored one to catch edits behind our back)."""
    if isinstance(subject, Variant):
        return content_digest(title=subject.title, text=subject.text, channel=version.channel,
                              product_type=version.product_type)
    return content_digest(title=subject.title, text=subject.body, channel=subject.channel,
                          product_type=subject.product_type, slots=subject.slots)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _item(session: Session, subject_type: str, subject: TemplateVersion | Variant, org: Org | None,
          version: TemplateVersion) -> ReviewItem:
    from studio.localisation.diff import diff_segments

    if isinstance(subject, Variant):
        text, parent = subject.text, _parent_text(session, subject, version)
        org_name, org_id = (org.name if org else "—"), subject.org_id
    else:
        text, parent = template_sample_text(subject), None
        previous = session.exec(select(TemplateVersion).where(
            TemplateVersion.template_id == subject.template_id, TemplateVersion.version_no < subject.version_no,
            TemplateVersion.state == ReviewState.APPROVED.value,
        ).order_by(TemplateVersion.version_no.desc())).first()  # type: ignore[attr-defined]
        if previous is not None:
            parent = template_sample_text(previous)
        org_name, org_id = "总行素材库", None
    submitted = subject.submitted_at
    age = (utcnow() - _aware(submitted)).total_seconds() / 3600 if submitted else 0.0
    approvals = _approvals(session, subject_type, subject.id or 0, subject.lock_version)
    return ReviewItem(
        subject_type=subject_type, subject_id=subject.id or 0, title=subject.title, org_name=org_name,
        org_id=org_id, text=text, parent_text=parent,
        diff=diff_segments(parent, text) if parent is not None else [],
        channel=version.channel, product_type=version.product_type, verdict=subject.verdict,
        findings=subject.findings, max_severity=max((f["severity"] for f in subject.findings),
                                                    key=lambda s: _SEVERITY_RANK.get(s, 0), default=""),
        submitted_by_name=_name(session, subject.submitted_by), submitted_at=submitted,
        age_hours=round(age, 1), overdue=age > get_settings().review_sla_hours,
        seen=SeenVersion(lock_version=subject.lock_version, digest=subject.content_digest),
        approvals=len(approvals), required_approvals=required_approvals(version.product_type),
        approved_by=[_name(session, r.reviewer_id) for r in approvals],
    )


def queue(session: Session, actor: Actor, *, org_id: int | None = None, product_type: str | None = None,
          min_severity: str | None = None, min_age_hours: float | None = None) -> list[ReviewItem]:
    """Submitted items within the reviewer's scope, oldest first, filtered."""
    require(actor, "review.decide")
    items: list[ReviewItem] = []
    if _is_hq(actor) and org_id is None:
        for v in session.exec(select(TemplateVersion).where(TemplateVersion.state == ReviewState.SUBMITTED.value)):
            items.append(_item(session, "template_version", v, None, v))
    query = (select(Variant, Org).join(Org, Org.id == Variant.org_id)
             .where(Variant.state == ReviewState.SUBMITTED.value)
             .where(Org.path.startswith(actor.org_path)))  # type: ignore[attr-defined]
    if org_id is not None:
        query = query.where(Variant.org_id == org_id)
    for variant, org in session.exec(query).all():
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None
        items.append(_item(session, "variant", variant, org, version))
    if product_type:
        items = [i for i in items if i.product_type == product_type]
    if min_severity:
        floor = _SEVERITY_RANK[min_severity]
        items = [i for i in items if _SEVERITY_RANK.get(i.max_severity, 0) >= floor]
    if min_age_hours is not None:
        items = [i for i in items if i.age_hours >= min_age_hours]
    return sorted(items, key=lambda i: (i.submitted_at is None, i.submitted_at))


def _load(session: Session, actor: Actor, subject_type: str, subject_id: int
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
        variant = session.get(Variant, subject_id)
        if variant is None:
            raise NotFound(f"variant {subject_id} not found")
        org = session.get(Org, variant.org_id)
        assert org is not None
        require_scope(actor, org.path)
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None
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
        update(model).where(model.id == subject_id,  # type: ignore[arg-type]
                            model.state == ReviewState.SUBMITTED.value,  # type: ignore[arg-type]
                            model.lock_version == seen.lock_version,  # type: ignore[arg-type]
                            model.content_digest == seen.digest)  # type: ignore[arg-type]
        .values(lock_version=model.lock_version).execution_options(synchronize_session=False))
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        session.expire_all()  # what the identity map holds may predate the lock
        return
    session.rollback()
    row = session.get(model, subject_id, populate_existing=True)
    if row is None:
        raise NotFound(f"{subject_type} {subject_id} not found")
    if row.state in (ReviewState.SUBMITTED.value, ReviewState.SUPERSEDED.value):
        raise Conflict(f"{subject_type} {subject_id} changed since it was shown (stale version)", STALE_ZH)
    raise Conflict(f"{subject_type} {subject_id} is {row.state}, not submitted", _GONE_ZH)


def decide(session: Session, actor: Actor, subject_type: str, subject_id: int, decision: Decision,
           comment: str = "", *, seen: SeenVersion) -> str:
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
        raise Conflict("this reviewer already decided this version",
                       "您已对该版本作出过审核决定，请刷新队列。") from None
    return state


def _decide_claimed(session: Session, actor: Actor, subject_type: str, subject_id: int, decision: Decision,
                    comment: str, seen: SeenVersion) -> str:
    subject, version, text = _load(session, actor, subject_type, subject_id)
    if actor.user_id in {subject.submitted_by, subject.created_by}:
        raise PermissionDenied("maker-checker: you cannot review your own submission",
                               "不能审核自己提交或创建的内容（双人复核）。")
    if digest_of(subject, version) != subject.content_digest:
        # The row's text no longer matches its digest: changed behind the application's back.
        raise Conflict(f"{subject_type} {subject_id} content does not match its digest", STALE_ZH)
    # Re-check with the current ruleset: a rule added since submission still counts.
    result = run_check(session, text, version.product_type, version.channel)
    if decision is Decision.APPROVE and result.verdict is Verdict.BLOCK:
        raise ValidationError("blocking findings cannot be approved",
                              "内容存在阻断级合规问题，不能通过；请驳回或退回修改。")
    outcome = _OUTCOME[decision]
    if decision is Decision.APPROVE:
        earlier = _approvals(session, subject_type, subject_id, seen.lock_version)
        if any(r.reviewer_id == actor.user_id for r in earlier):
            raise PermissionDenied("second approval must come from another reviewer",
                                   "您已通过该版本，第二次审批必须由另一位审核员完成。")
        if len(earlier) + 1 < required_approvals(version.product_type):
            outcome = ReviewState.SUBMITTED  # first of two approvals: the item stays in the queue
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
    session.add(Review(subject_type=subject_type, subject_id=subject_id, reviewer_id=actor.user_id,
                       decision=decision.value, comment=comment, findings_snapshot=subject.findings,
                       ruleset=result.ruleset, subject_lock=seen.lock_version, content_digest=seen.digest,
                       created_at=now))
    session.flush()
    action = "review.approve_first" if (decision is Decision.APPROVE and outcome is ReviewState.SUBMITTED) \
        else f"review.{decision.value}"
    audit.append(session, actor, action, f"{subject_type}:{subject_id}",
                 {"state": subject.state, "verdict": subject.verdict, "ruleset": result.ruleset,
                  "round": seen.lock_version, "digest": seen.digest})
    session.commit()
    return subject.state


def batch_approve(session: Session, actor: Actor, items: list[tuple[str, int, SeenVersion]]
                  ) -> tuple[int, list[str]]:
    """Approve several clean items, each at the version the reviewer saw. Returns (approved, problems)."""
    done, problems = 0, []
    for subject_type, subject_id, seen in items:
        subject, _, _ = _load(session, actor, subject_type, subject_id)
        if subject.verdict != Verdict.PASS.value:
            problems.append(f"“{subject.title}”有合规提示，需逐条审核")
            continue
        try:
            decide(session, actor, subject_type, subject_id, Decision.APPROVE, seen=seen)
            done += 1
        except (PermissionDenied, ValidationError, Conflict) as error:
            session.rollback()
            problems.append(f"“{subject.title}”：{error.message_zh}")
    return done, problems


def auto_approve_if_allowed(session: Session, variant: Variant, version: TemplateVersion,
                            only_slots_changed: bool) -> bool:
    """Apply the template's auto-approval policy to a freshly submitted variant (caller commits)."""
    if not only_slots_changed or variant.verdict != Verdict.PASS.value:
        return False
    if required_approvals(version.product_type) > 1:
        return False  # dual-approval products always get two people
    policy = session.exec(select(ReviewPolicy).where(ReviewPolicy.template_id == version.template_id,
                                                     ReviewPolicy.enabled)).first()  # type: ignore[arg-type]
    if policy is None:
        return False
    now = utcnow()
    variant.state = ReviewState.APPROVED.value
    variant.decided_at = now
    session.add(variant)
    session.flush()
    session.add(Review(subject_type="variant", subject_id=variant.id or 0, reviewer_id=None,
                       policy_id=policy.id, decision=Decision.APPROVE.value,
                       comment=f"按模板自动通过策略 #{policy.id} 自动通过", findings_snapshot=variant.findings,
                       ruleset=variant.ruleset, subject_lock=variant.lock_version,
                       content_digest=variant.content_digest, created_at=now))
    if variant.replaces_id:
        _supersede(session, None, variant)
    audit.append(session, None, "review.auto_approve", f"variant:{variant.id}", {"policy": policy.id})
    return True


def set_policy(session: Session, actor: Actor, template_id: int, enabled: bool) -> None:
    require(actor, "rules.edit")
    policy = session.exec(select(ReviewPolicy).where(ReviewPolicy.template_id == template_id)).first()
    if policy is None:
        policy = ReviewPolicy(template_id=template_id, enabled=enabled, set_by=actor.user_id)
    else:
        policy.enabled, policy.set_by, policy.set_at = enabled, actor.user_id, utcnow()
        policy.lock_version += 1
    session.add(policy)
    session.flush()
    audit.append(session, actor, "policy.set", f"template:{template_id}", {"auto_approve": enabled})
    session.commit()


def policies(session: Session) -> dict[int, bool]:
    return {p.template_id: p.enabled for p in session.exec(select(ReviewPolicy))}


def _supersede(session: Session, actor: Actor | None, replacement: Variant) -> None:
    """The newly approved version takes the old one's future calendar places; the old one is withdrawn."""
    old = session.get(Variant, replacement.replaces_id)
    if old is None:
        return
    old.state = ReviewState.WITHDRAWN.value
    session.add(old)
    for slot in session.exec(select(CalendarSlot).where(CalendarSlot.variant_id == old.id)):
        slot.variant_id = replacement.id or 0
        session.add(slot)
    audit.append(session, actor, "variant.superseded", f"variant:{old.id}", {"by": replacement.id})


def withdraw(session: Session, actor: Actor, variant_id: int, reason: str) -> None:
    """Take approved content out of use (reviewer, or the localiser of its org); calendars drop it."""
    if actor.role not in (Role.REVIEWER, Role.BRANCH_LOCALISER, Role.HQ_EDITOR):
        raise PermissionDenied("role may not withdraw content", "您的角色无权撤回内容。")
    if not reason.strip():
        raise ValidationError("a reason is required", "撤回时必须填写原因。")
    variant, _, _ = _load(session, actor, "variant", variant_id)
    transition(session, Variant, variant_id, ReviewState.APPROVED.value, ReviewState.WITHDRAWN.value)
    variant.state = ReviewState.WITHDRAWN.value
    session.add(Comment(subject_type="variant", subject_id=variant_id, author_id=actor.user_id,
                        body=f"撤回：{reason.strip()}"))
    audit.append(session, actor, "variant.withdraw", f"variant:{variant_id}", {"reason": reason.strip()[:200]})
    session.commit()


def expiry_date(version: TemplateVersion, decided_at: datetime | None,
                topic_ends: dict[str, date] | None = None) -> date | None:
    """The last day approved content may be used: validity end, its hot topic's end, or re-approval date."""
    candidates = []
    if version.valid_to:
        candidates.append(version.valid_to)
    if topic_ends and version.occasion_kind == "hot_topic" and version.occasion in topic_ends:
        candidates.append(topic_ends[version.occasion])
    days = get_settings().reapproval_days.get(version.product_type)
    if days and decided_at:
        candidates.append((_aware(decided_at) + timedelta(days=days)).date())
    return min(candidates) if candidates else None


def expire_due(session: Session, today: date) -> int:
    """Mark approved variants and template versions past their expiry as expired; audited per item."""
    from studio.services.occasion_calendar import hot_topic_ends

    ends = hot_topic_ends(session)
    expired = 0
    for variant in session.exec(select(Variant).where(Variant.state == ReviewState.APPROVED.value)).all():
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None
        until = expiry_date(version, variant.decided_at, ends)
        if until is not None and until < today:
            variant.state = ReviewState.EXPIRED.value
            session.add(variant)
            audit.append(session, None, "variant.expire", f"variant:{variant.id}", {"until": until.isoformat()})
            expired += 1
    for version in session.exec(select(TemplateVersion).where(
            TemplateVersion.state == ReviewState.APPROVED.value)).all():
        until = expiry_date(version, version.decided_at, ends)
        if until is not None and until < today:
            version.state = ReviewState.EXPIRED.value
            session.add(version)
            audit.append(session, None, "template.expire", f"template_version:{version.id}",
                         {"until": until.isoformat()})
            expired += 1
    session.commit()
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


def thread(session: Session, actor: Actor, subject_type: str, subject_id: int) -> list[dict[str, str]]:
    """Decisions and comments on one item and on the submissions it superseded, oldest first."""
    _check_thread_access(session, actor, subject_type, subject_id)
    ids = _lineage(session, subject_type, subject_id)
    entries: list[tuple[datetime, dict[str, str]]] = []
    for r in session.exec(select(Review).where(Review.subject_type == subject_type,
                                               Review.subject_id.in_(ids))):  # type: ignore[attr-defined]
        who = _name(session, r.reviewer_id) if r.reviewer_id else f"自动通过策略 #{r.policy_id}"
        entries.append((_aware(r.created_at), {"who": who, "what": Decision(r.decision).label,
                                               "text": r.comment, "at": _local(r.created_at)}))
    for c in session.exec(select(Comment).where(Comment.subject_type == subject_type,
                                                Comment.subject_id.in_(ids))):  # type: ignore[attr-defined]
        entries.append((_aware(c.created_at), {"who": _name(session, c.author_id), "what": "评论",
                                               "text": c.body, "at": _local(c.created_at)}))
    return [e for _, e in sorted(entries, key=lambda pair: pair[0])]


def _local(value: datetime) -> str:
    from studio.domain.clock import BEIJING

    return _aware(value).astimezone(BEIJING).strftime("%m-%d %H:%M")


