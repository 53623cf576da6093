"""节日日历: a province's occasions for a month or year with their approved content, gaps marked; hot topics."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from studio.db.models import HotTopic, TemplateVersion
from studio.domain.enums import Channel, ReviewState
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.occasions import HotTopicSpan, normalize_province, occasions_between
from studio.workflow import audit
from studio.workflow.permissions import require


class OccasionRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: date
    name: str
    kind: str
    kind_label: str
    region: str | None
    approved: int
    approved_moments: int
    gap: str | None


class OccasionOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[OccasionRow]
    notes: list[str]


def overview(
    session: Session, actor: Actor, start: date, end: date, province: str | None
) -> OccasionOverview:
    require(actor, "calendar.read")
    topics = tuple(
        t for t in hot_topics(session, start, end) if province is None or t.region in (None, province)
    )
    year = occasions_between(start, end, province=province, hot_topics=topics)
    items = [o for o in year.items if start <= o.date <= end]
    counts = _approved_counts(session, sorted({o.name for o in items}), province)
    rows = []
    for o in items:
        total, moments = counts.get(o.name, (0, 0))
        gap = None
        if o.kind.postable:  # holidays, workdays and seasons are shown as context only
            where = province or "全国"
            if not total:
                gap = f"{o.name}：{where}暂无已审核通过的内容"
            elif not moments:
                gap = f"{o.name}：{where}暂无已审核通过的朋友圈内容"
        rows.append(
            OccasionRow(
                date=o.date,
                name=o.name,
                kind=o.kind,
                kind_label=o.kind.label,
                region=o.region,
                approved=total,
                approved_moments=moments,
                gap=gap,
            )
        )
    return OccasionOverview(rows=rows, notes=list(year.notes))


def _approved_counts(session: Session, names: list[str], province: str | None) -> dict[str, tuple[int, int]]:
    """Per occasion name: (templates whose latest approved version is for it, of which Moments posts).

    Counted in the database, only for the occasions shown: one row per occasion and channel comes back.
    """
    if not names:
        return {}
    approved = col(TemplateVersion.state) == ReviewState.APPROVED.value
    touched = select(col(TemplateVersion.template_id)).where(
        approved, col(TemplateVersion.occasion).in_(names)
    )
    latest = (
        select(col(TemplateVersion.template_id), func.max(col(TemplateVersion.version_no)).label("v"))
        .where(approved, col(TemplateVersion.template_id).in_(touched))
        .group_by(col(TemplateVersion.template_id))
        .subquery()
    )
    query = (
        select(col(TemplateVersion.occasion), col(TemplateVersion.channel), func.count())
        .join(
            latest,
            (latest.c.template_id == col(TemplateVersion.template_id))
            & (latest.c.v == col(TemplateVersion.version_no)),
        )
        .where(col(TemplateVersion.occasion).in_(names))
        .group_by(col(TemplateVersion.occasion), col(TemplateVersion.channel))
    )
    if province is not None:
        query = query.where(
            or_(col(TemplateVersion.region).is_(None), col(TemplateVersion.region) == province)
        )
    counts: dict[str, tuple[int, int]] = {}
    for name, channel, n in session.exec(query).all():
        if name is None:  # the IN filter never returns one; this narrows the column's type
            continue
        total, moments = counts.get(name, (0, 0))
        counts[name] = (total + n, moments + (n if channel == Channel.MOMENTS.value else 0))
    return counts


def add_hot_topic(
    session: Session, actor: Actor, *, name: str, start: date, end: date, region: str | None = None
) -> int:
    require(actor, "hot_topic.edit")
    name = name.strip()
    if not name:
        raise ValidationError("hot topic name is empty", "热点名称不能为空。")
    if len(name) > 60:
        raise ValidationError("hot topic name too long", "热点名称最多 60 字。")
    if end < start:
        raise ValidationError("end before start", "结束日期不能早于开始日期。")
    if region:
        region = normalize_province(region)
    HotTopicSpan(name=name, start=start, end=end, region=region)  # the occasions module's own checks
    topic = HotTopic(name=name, start=start, end=end, region=region or None, created_by=actor.user_id)
    session.add(topic)
    session.flush()
    audit.append(
        session,
        actor,
        "hot_topic.add",
        f"hot_topic:{topic.id}",
        {"name": name, "start": start.isoformat(), "end": end.isoformat(), "region": region},
    )
    session.commit()
    return topic.id or 0


def remove_hot_topic(session: Session, actor: Actor, topic_id: int) -> None:
    require(actor, "hot_topic.edit")
    topic = session.get(HotTopic, topic_id)
    if topic is None:
        raise NotFound(f"hot topic {topic_id} not found")
    session.delete(topic)
    audit.append(session, actor, "hot_topic.remove", f"hot_topic:{topic_id}", {"name": topic.name})
    session.commit()


def list_hot_topics(
    session: Session, actor: Actor, *, ended_after: date | None = None, limit: int = 100
) -> list[tuple[int, str, date, date, str | None]]:
    """Hot topics by start date, only those still running on or after `ended_after`, at most `limit`."""
    require(actor, "calendar.read")
    query = select(HotTopic)
    if ended_after is not None:
        query = query.where(col(HotTopic.end) >= ended_after)
    rows = session.exec(query.order_by(col(HotTopic.start), col(HotTopic.id)).limit(limit))
    return [(t.id or 0, t.name, t.start, t.end, t.region) for t in rows]


def hot_topics(session: Session, first: date | None = None, last: date | None = None) -> list[HotTopicSpan]:
    """Hot topics, or only those overlapping [first, last] (a month's worth, not every topic ever)."""
    query = select(HotTopic).order_by(HotTopic.start, HotTopic.id)  # type: ignore[arg-type]
    if first is not None:
        query = query.where(HotTopic.end >= first)
    if last is not None:
        query = query.where(HotTopic.start <= last)
    return [HotTopicSpan(name=h.name, start=h.start, end=h.end, region=h.region) for h in session.exec(query)]


def hot_topic_ends(session: Session) -> dict[str, date]:
    """Latest end date per hot-topic name: content tied to a topic expires with it."""
    ends: dict[str, date] = {}
    for t in session.exec(select(HotTopic)):
        ends[t.name] = max(ends.get(t.name, t.end), t.end)
    return ends
