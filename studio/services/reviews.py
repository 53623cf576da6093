"""Review queue and decisions. Maker ≠ checker; a blocking finding can never be approved."""

from __future__ import annotations

from sqlmodel import Session, select

from studio.db.models import CalendarSlot, Org, Review, TemplateVersion, User, Variant, utcnow
from studio.db.locking import transition
from studio.domain.enums import Decision, ReviewState, Verdict
from studio.domain.views import Actor, ReviewItem
from studio.errors import Conflict, NotFound, PermissionDenied, ValidationError
from studio.services.checks import findings_json, run_check
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope

MAX_COMMENT = 2000
_OUTCOME = {Decision.APPROVE: ReviewState.APPROVED, Decision.REJECT: ReviewState.REJECTED,
            Decision.REQUEST_CHANGES: ReviewState.CHANGES_REQUESTED}


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "—"


def queue(session: Session, actor: Actor) -> list[ReviewItem]:
    """Everything submitted within the reviewer's scope, oldest first."""
    require(actor, "review.decide")
    items: list[ReviewItem] = []
    hq_scope = actor.org_path.count("/") <= 2  # the root org: HQ reviewers also review templates
    if hq_scope:
        versions = session.exec(select(TemplateVersion).where(
            TemplateVersion.state == ReviewState.SUBMITTED.value)).all()
        for v in versions:
            items.append(ReviewItem(
                subject_type="template_version", subject_id=v.id or 0, title=v.title, org_name="总行素材库",
                text=v.body, parent_text=None, channel=v.channel, product_type=v.product_type,
                verdict=v.verdict, findings=v.findings, submitted_by_name=_name(session, v.submitted_by),
                submitted_at=v.submitted_at, lock_version=v.version_no,
            ))
    rows = session.exec(
        select(Variant, Org).join(Org, Org.id == Variant.org_id)
        .where(Variant.state == ReviewState.SUBMITTED.value)
        .where(Org.path.startswith(actor.org_path))  # type: ignore[attr-defined]
    ).all()
    for variant, org in rows:
        version = session.get(TemplateVersion, variant.template_version_id)
        assert version is not None
        items.append(ReviewItem(
            subject_type="variant", subject_id=variant.id or 0, title=variant.title, org_name=org.name,
            text=variant.text, parent_text=version.body, channel=version.channel,
            product_type=version.product_type, verdict=variant.verdict, findings=variant.findings,
            submitted_by_name=_name(session, variant.submitted_by), submitted_at=variant.submitted_at,
            lock_version=variant.lock_version,
        ))
    return sorted(items, key=lambda i: (i.submitted_at is None, i.submitted_at))


def decide(session: Session, actor: Actor, subject_type: str, subject_id: int, decision: Decision,
           comment: str = "") -> None:
    require(actor, "review.decide")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment too long", f"审核意见最多 {MAX_COMMENT} 字。")
    if decision is not Decision.APPROVE and not comment:
        raise ValidationError("a reason is required", "驳回或退回修改时必须填写原因。")
    if subject_type == "template_version":
        subject = session.get(TemplateVersion, subject_id)
        if subject is None:
            raise NotFound(f"template version {subject_id} not found")
        if actor.org_path.count("/") > 2:
            raise PermissionDenied("only HQ reviewers review templates", "只有总行审核员可以审核总行模板。")
        text, product, channel = _sample_text(subject), subject.product_type, subject.channel
    elif subject_type == "variant":
        subject = session.get(Variant, subject_id)
        if subject is None:
            raise NotFound(f"variant {subject_id} not found")
        org = session.get(Org, subject.org_id)
        assert org is not None
        require_scope(actor, org.path)
        version = session.get(TemplateVersion, subject.template_version_id)
        assert version is not None
        text, product, channel = subject.text, version.product_type, version.channel
    else:
        raise ValidationError(f"unknown subject type {subject_type}", "未知的审核对象。")
    if subject.state != ReviewState.SUBMITTED.value:
        raise Conflict(f"{subject_type} {subject_id} is {subject.state}, not submitted",
                       "该内容已不在待审核状态（可能已被他人处理），请刷新队列。")
    if actor.user_id in {subject.submitted_by, subject.created_by}:
        raise PermissionDenied("maker-checker: you cannot review your own submission",
                               "不能审核自己提交或创建的内容（双人复核）。")
    # Re-check with the current ruleset: a rule added since submission still counts.
    result = run_check(text, product, channel)
    if decision is Decision.APPROVE and result.verdict is Verdict.BLOCK:
        raise ValidationError("blocking findings cannot be approved",
                              "内容存在阻断级合规问题，不能通过；请驳回或退回修改。")
    now = utcnow()
    transition(session, type(subject), subject_id, ReviewState.SUBMITTED.value, _OUTCOME[decision].value)
    subject.state = _OUTCOME[decision].value
    subject.decided_at = now
    subject.findings = findings_json(result)
    subject.verdict = result.verdict.value
    subject.ruleset = result.ruleset
    if isinstance(subject, Variant):
        subject.lock_version += 1
        if decision is Decision.APPROVE and subject.replaces_id:
            _supersede(session, subject)
    session.add(subject)
    session.add(Review(subject_type=subject_type, subject_id=subject_id, reviewer_id=actor.user_id,
                       decision=decision.value, comment=comment, findings_snapshot=subject.findings,
                       ruleset=result.ruleset, created_at=now))
    audit.append(session, actor, f"review.{decision.value}", f"{subject_type}:{subject_id}",
                 {"state": subject.state, "verdict": subject.verdict, "ruleset": result.ruleset})
    session.commit()


def _supersede(session: Session, replacement: Variant) -> None:
    """The newly approved version takes the old one's calendar places; the old one is withdrawn."""
    old = session.get(Variant, replacement.replaces_id)
    if old is None:
        return
    old.state = ReviewState.WITHDRAWN.value
    session.add(old)
    for slot in session.exec(select(CalendarSlot).where(CalendarSlot.variant_id == old.id)):
        slot.variant_id = replacement.id or 0
        session.add(slot)


def _sample_text(version: TemplateVersion) -> str:
    from studio.localisation import render as jinja
    from studio.localisation.slots import SlotSpec, sample_values

    return jinja.render(version.body, sample_values([SlotSpec.model_validate(s) for s in version.slots]))


def history(session: Session, actor: Actor, subject_type: str, subject_id: int) -> list[dict[str, str]]:
    require(actor, "variant.read")
    rows = session.exec(select(Review).where(Review.subject_type == subject_type, Review.subject_id == subject_id)
                        .order_by(Review.id)).all()  # type: ignore[arg-type]
    return [{"reviewer": _name(session, r.reviewer_id), "decision": Decision(r.decision).label,
             "comment": r.comment, "at": r.created_at.isoformat(timespec="minutes")} for r in rows]

