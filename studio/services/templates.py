"""HQ material library use cases: create, edit (new version), list, read."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, false, func, literal_column, or_, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from studio.db.locking import claim
from studio.db.models import Template, TemplateVersion, utcnow
from studio.domain.enums import (
    Channel,
    ContentType,
    OccasionKind,
    Persona,
    ProductType,
    ReviewState,
)
from studio.domain.views import Actor, TemplateView
from studio.errors import NotFound, ValidationError
from studio.localisation import render as jinja
from studio.localisation.slots import SlotSpec, resolve_slots, sample_values
from studio.materials.search import (
    FTS_TABLE,
    POSTGRES_VECTOR,
    postgres_tsquery,
    query_terms,
    search_tokens,
    season_prefixes,
    sqlite_match,
)
from studio.services.checks import findings_json, run_check
from studio.services.reviews import digest_of
from studio.workflow import audit
from studio.workflow.permissions import require

MAX_TITLE = 100
MAX_BODY = jinja.MAX_BODY  # the renderer's own limit, checked here first for a friendlier message
# Template codes name files on export and appear in URLs: lowercase letters, digits and '-' only.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


class TemplateDraft(BaseModel):
    """What an editor submits; tags are codes or Chinese labels, checked in `validated()`."""

    model_config = ConfigDict(frozen=True)

    title: str
    body: str
    occasion_kind: str = OccasionKind.EVERYDAY.value
    occasion: str | None = None
    content_type: str = ContentType.KNOWLEDGE.value
    persona: str = Persona.EXPERT.value
    channel: str = Channel.MOMENTS.value
    product_type: str = ProductType.GENERAL.value
    region: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    slots: list[dict[str, Any]] = Field(default_factory=list)
    code: str | None = None


def validate_draft(draft: TemplateDraft) -> tuple[TemplateDraft, list[SlotSpec], str]:
    """Normalise tags to codes, resolve slots, render with samples; raise ValidationError on any problem."""
    title = draft.title.strip()
    if not title:
        raise ValidationError("title is empty", "标题不能为空。")
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title longer than {MAX_TITLE}", f"标题最多 {MAX_TITLE} 字。")
    if not draft.body.strip():
        raise ValidationError("body is empty", "正文不能为空。")
    if len(draft.body) > MAX_BODY:
        raise ValidationError(f"body longer than {MAX_BODY}", f"正文最多 {MAX_BODY} 字。")
    tags: dict[str, str] = {}
    for field, enum in (("occasion_kind", OccasionKind), ("content_type", ContentType), ("persona", Persona),
                        ("channel", Channel), ("product_type", ProductType)):
        try:
            tags[field] = enum.parse(getattr(draft, field)).value
        except ValueError:
            raise ValidationError(
                f"unknown {field} {getattr(draft, field)!r}",
                f"未知的标签“{getattr(draft, field)}”（{_FIELD_ZH[field]}）。",
            ) from None
    if draft.code is not None and not CODE_PATTERN.match(draft.code):
        raise ValidationError(f"template code {draft.code!r} must be 2-80 characters of a-z, 0-9 and '-'",
                              "模板编号只能由 2-80 位小写字母、数字和“-”组成。")
    if draft.valid_from and draft.valid_to and draft.valid_to < draft.valid_from:
        raise ValidationError("valid_to before valid_from", "有效期结束日期早于开始日期。")
    try:
        declared = [SlotSpec.model_validate(s) for s in draft.slots]
    except Exception as error:
        raise ValidationError(f"invalid slot declaration: {error}", "插槽定义不合法。") from None
    slots = resolve_slots(jinja.variables_of(draft.body), declared)
    sample = jinja.render(draft.body, sample_values(slots))
    channel = Channel(tags["channel"])
    if len(sample) > channel.max_length:
        raise ValidationError(
            f"text longer than {channel.max_length} characters for {channel.value}",
            f"{channel.label}内容最多 {channel.max_length} 字（当前约 {len(sample)} 字）。",
        )
    clean = draft.model_copy(update={**tags, "title": title, "occasion": (draft.occasion or None),
                                     "region": (draft.region or None)})
    return clean, slots, sample


_FIELD_ZH = {"occasion_kind": "场景", "content_type": "内容类型", "persona": "人设", "channel": "渠道",
             "product_type": "产品类型"}


def to_view(template: Template, version: TemplateVersion) -> TemplateView:
    return TemplateView(
        id=template.id or 0, code=template.code, lock_version=template.lock_version, version_id=version.id or 0,
        version_no=version.version_no, title=version.title, body=version.body, slots=version.slots,
        occasion_kind=version.occasion_kind, occasion=version.occasion, content_type=version.content_type,
        persona=version.persona, channel=version.channel, product_type=version.product_type,
        region=version.region, valid_from=version.valid_from, valid_to=version.valid_to, state=version.state,
        verdict=version.verdict, findings=version.findings, ruleset=version.ruleset,
        created_at=version.created_at, submitted_by=version.submitted_by,
    )


def _new_version(session: Session, template: Template, version_no: int, draft: TemplateDraft, slots: list[SlotSpec],
                 sample: str, actor: Actor, submit: bool, digest: str | None = None) -> TemplateVersion:
    result = run_check(session, sample, draft.product_type, draft.channel)
    now = utcnow()
    version = TemplateVersion(
        template_id=template.id or 0, version_no=version_no, title=draft.title, body=draft.body,
        slots=[s.model_dump(mode="json") for s in slots], occasion_kind=draft.occasion_kind,
        occasion=draft.occasion, content_type=draft.content_type, persona=draft.persona, channel=draft.channel,
        product_type=draft.product_type, region=draft.region, valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        state=(ReviewState.SUBMITTED if submit else ReviewState.DRAFT).value,
        verdict=result.verdict.value, findings=findings_json(result), ruleset=result.ruleset,
        source_digest=digest, created_by=actor.user_id, created_at=now,
        submitted_by=actor.user_id if submit else None, submitted_at=now if submit else None,
    )
    version.content_digest = digest_of(version, version)
    # Versions are immutable: their search words are written once, here, in the creating transaction.
    version.search_tokens = search_tokens(
        code=template.code, title=version.title, body=version.body, occasion=version.occasion,
        region=version.region, occasion_kind=version.occasion_kind, content_type=version.content_type,
        persona=version.persona, channel=version.channel, product_type=version.product_type)
    return version


def create_template(session: Session, actor: Actor, draft: TemplateDraft, *, submit: bool = True,
                    digest: str | None = None, commit: bool = True) -> TemplateView:
    require(actor, "template.edit")
    clean, slots, sample = validate_draft(draft)
    code = (clean.code or f"tpl-{uuid.uuid4().hex[:10]}").strip()
    if session.exec(select(Template).where(Template.code == code)).first():
        raise ValidationError(f"template code {code} exists", f"模板编号 {code} 已存在。")
    template = Template(code=code, owner_org_id=actor.org_id, created_by=actor.user_id)
    session.add(template)
    session.flush()
    version = _new_version(session, template, 1, clean, slots, sample, actor, submit, digest)
    session.add(version)
    session.flush()
    audit.append(session, actor, "template.create", f"template:{template.id}",
                 {"version": 1, "state": version.state, "verdict": version.verdict})
    if commit:
        session.commit()
    return to_view(template, version)


def update_template(session: Session, actor: Actor, template_id: int, draft: TemplateDraft, *,
                    expected_lock_version: int, submit: bool = True, digest: str | None = None,
                    commit: bool = True) -> TemplateView:
    """Every edit makes a new version; the approved one stays in use until the new one is approved."""
    require(actor, "template.edit")
    clean, slots, sample = validate_draft(draft)
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound(f"template {template_id} not found")
    template.lock_version = claim(session, Template, template_id, expected_lock_version)
    template.latest_version_no += 1
    version = _new_version(session, template, template.latest_version_no, clean, slots, sample, actor, submit, digest)
    # Earlier versions still waiting for review are history now: nobody approves text the editor replaced.
    # (Conditional on state, so a decision that already landed on one of them stands.)
    session.execute(update(TemplateVersion).where(
        TemplateVersion.template_id == template_id,  # type: ignore[arg-type]
        TemplateVersion.state == ReviewState.SUBMITTED.value,  # type: ignore[arg-type]
    ).values(state=ReviewState.SUPERSEDED.value, lock_version=TemplateVersion.lock_version + 1)
        .execution_options(synchronize_session=False))
    session.add(template)
    session.add(version)
    session.flush()
    audit.append(session, actor, "template.update", f"template:{template.id}",
                 {"version": version.version_no, "state": version.state, "verdict": version.verdict})
    if commit:
        session.commit()
    return to_view(template, version)


def latest_version(session: Session, template_id: int) -> TemplateVersion:
    version = session.exec(
        select(TemplateVersion).where(TemplateVersion.template_id == template_id)
        .order_by(TemplateVersion.version_no.desc())  # type: ignore[attr-defined]
    ).first()
    if version is None:
        raise NotFound(f"template {template_id} has no version")
    return version


def list_templates(session: Session, actor: Actor, *, approved_only: bool = False,
                   search: str | None = None) -> list[TemplateView]:
    """Every template's current version, whole: for scripts and the demo seed. Pages use `list_library`."""
    require(actor, "template.read")
    query = _current(select(Template, TemplateVersion), approved_only)
    if search and (terms := query_terms(search)):
        query, _ = _matching(query, session, terms)
    rows = session.exec(query.order_by(TemplateVersion.occasion_kind, TemplateVersion.title, Template.id)).all()
    return [to_view(t, v) for t, v in rows]


def current_titles(session: Session, template_ids: list[int], limit: int = 100) -> dict[int, str]:
    """The latest version's title of each template named (at most `limit` of them), by template id."""
    rows = session.exec(
        select(Template.id, TemplateVersion.title).join(TemplateVersion, TemplateVersion.template_id == Template.id)
        .where(Template.id.in_(template_ids[:limit]),  # type: ignore[union-attr]
               TemplateVersion.version_no == Template.latest_version_no)
    ).all()
    return {int(i): title for i, title in rows}


# --- 素材库 listing: latest version per template, filtered, searched, counted and paged in the database ---

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_OPTIONS = 500  # option lists are names from the occasion catalogue and provinces: bounded anyway


class LibraryFilter(BaseModel):
    """What the 素材库 filters ask for; None (or "") means any. Hashable: part of cache keys."""

    model_config = ConfigDict(frozen=True)

    occasion_kind: str | None = None
    occasion: str | None = None
    season: str | None = None
    region: str | None = None
    content_type: str | None = None
    persona: str | None = None
    channel: str | None = None
    product_type: str | None = None
    state: str | None = None
    query: str | None = None


class TemplateRow(BaseModel):
    """One line of the library list: tags and state, no body or findings (those load for the opened one)."""

    model_config = ConfigDict(frozen=True)

    id: int
    code: str
    lock_version: int
    version_id: int
    version_no: int
    title: str
    occasion_kind: str
    occasion: str | None
    content_type: str
    persona: str
    channel: str
    product_type: str
    region: str | None
    state: str
    verdict: str


class LibraryPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[TemplateRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


_ROW_COLUMNS = (Template.id, Template.code, Template.lock_version, TemplateVersion.id.label("version_id"),  # type: ignore[union-attr]
                TemplateVersion.version_no, TemplateVersion.title, TemplateVersion.occasion_kind,
                TemplateVersion.occasion, TemplateVersion.content_type, TemplateVersion.persona,
                TemplateVersion.channel, TemplateVersion.product_type, TemplateVersion.region,
                TemplateVersion.state, TemplateVersion.verdict)


def _current(query: Any, approved_only: bool) -> Any:
    """Restrict a query over template ⋈ template_version to each template's current version.

    Editors see the latest version (`template.latest_version_no`, kept by create/update, served by the
    (template_id, version_no) unique index). Localisers see the latest *approved* one: approved, with no
    newer approved version of the same template (a NOT EXISTS probe on (template_id, state, version_no)).
    Derived on read, so decisions, expiry and withdrawal need no pointer kept in step.
    """
    query = query.select_from(TemplateVersion).join(Template, Template.id == TemplateVersion.template_id)
    if not approved_only:
        return query.where(TemplateVersion.version_no == Template.latest_version_no)
    newer = aliased(TemplateVersion)
    return query.where(
        TemplateVersion.state == ReviewState.APPROVED.value,
        ~exists().where(newer.template_id == TemplateVersion.template_id, newer.state == ReviewState.APPROVED.value,
                        newer.version_no > TemplateVersion.version_no),
    )


def _matching(query: Any, session: Session, terms: list[str]) -> tuple[Any, Any]:
    """Add the full-text condition; returns the query and an ORDER BY expression, best match first."""
    if session.get_bind().dialect.name == "sqlite":
        fts = literal_column(FTS_TABLE)
        hits = (select(literal_column("rowid").label("vid"), func.bm25(fts).label("rank"))
                .select_from(text(FTS_TABLE)).where(fts.op("MATCH")(sqlite_match(terms)))
                # Materialised: else SQLite may probe the FTS index once per candidate row (seconds at 20k).
                .cte("hits").prefix_with("MATERIALIZED"))
        return query.join(hits, hits.c.vid == TemplateVersion.id), hits.c.rank.asc()
    vector = literal_column(f"template_version.{POSTGRES_VECTOR}")  # generated column, outside the model
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), postgres_tsquery(terms))
    return query.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery).desc()


def _filtered(query: Any, f: LibraryFilter) -> Any:
    exact = ((TemplateVersion.occasion_kind, f.occasion_kind), (TemplateVersion.occasion, f.occasion),
             (TemplateVersion.region, f.region), (TemplateVersion.content_type, f.content_type),
             (TemplateVersion.persona, f.persona), (TemplateVersion.channel, f.channel),
             (TemplateVersion.product_type, f.product_type), (TemplateVersion.state, f.state))
    for column, value in exact:
        if value:
            query = query.where(column == value)
    if f.season:
        # season_of(occasion) == season, as SQL: the occasion starts with one of the season's names.
        prefixes = season_prefixes(f.season)
        query = query.where(or_(*[TemplateVersion.occasion.startswith(p, autoescape=True)  # type: ignore[union-attr]
                                  for p in prefixes]) if prefixes else false())
    return query


def list_library(session: Session, actor: Actor, filters: LibraryFilter | None = None, *,
                 approved_only: bool = False, page: int = 0, page_size: int = PAGE_SIZE) -> LibraryPage:
    """One page of current template versions matching the filters, best search match first, and the total.

    Two statements, both bounded by the database: the page (ORDER BY, LIMIT/OFFSET) and a count(*).
    """
    require(actor, "template.read")
    f = filters or LibraryFilter()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(0, page)
    query = _filtered(_current(select(*_ROW_COLUMNS), approved_only), f)
    order: list[Any] = [TemplateVersion.occasion_kind, TemplateVersion.title, Template.id]
    terms = query_terms(f.query) if f.query else []
    if terms:
        query, rank = _matching(query, session, terms)
        order.insert(0, rank)
    total = int(session.exec(select(func.count()).select_from(query.subquery())).one())  # type: ignore[call-overload]
    if page * page_size >= total > 0:  # a filter shrank the list under the page the user was on
        page = (total - 1) // page_size
    rows = session.exec(query.order_by(*order).limit(page_size).offset(page * page_size)).all()
    return LibraryPage(rows=[TemplateRow.model_validate(dict(r._mapping)) for r in rows], total=total, page=page,
                       page_size=page_size)


def library_options(session: Session, actor: Actor, *, approved_only: bool = False) -> dict[str, list[str]]:
    """Occasions and regions in use by current versions (SELECT DISTINCT), for the filter select boxes."""
    require(actor, "template.read")
    out: dict[str, list[str]] = {}
    for name, column in (("occasions", TemplateVersion.occasion), ("regions", TemplateVersion.region)):
        query = _current(select(column).distinct(), approved_only).where(column.is_not(None))  # type: ignore[union-attr]
        out[name] = list(session.exec(query.order_by(column).limit(MAX_OPTIONS)).all())
    return out


def get_template(session: Session, actor: Actor, version_id: int) -> TemplateView:
    """One version, whole (body, slots, findings): what the 素材库 preview and the editor open."""
    require(actor, "template.read")
    version = get_version(session, version_id)
    template = session.get(Template, version.template_id)
    assert template is not None
    return to_view(template, version)


def get_version(session: Session, version_id: int) -> TemplateVersion:
    version = session.get(TemplateVersion, version_id)
    if version is None:
        raise NotFound(f"template version {version_id} not found")
    return version
