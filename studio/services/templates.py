"""HQ material library use cases: create, edit (new version), list, read."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnClause, Label, exists, false, func, literal_column, or_, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapped, aliased
from sqlmodel import Session, col, select

from studio.db.locking import claim
from studio.db.models import Template, TemplateVersion, utcnow
from studio.domain.enums import (
    ReviewState,
)
from studio.domain.views import Actor, TemplateView
from studio.errors import NotFound, ValidationError
from studio.localisation.draft import TemplateDraft, validate_draft
from studio.localisation.slots import SlotSpec
from studio.materials.search import (
    FTS_TABLE,
    POSTGRES_VECTOR,
    postgres_tsquery,
    query_terms,
    search_tokens,
    season_prefixes,
    sqlite_match,
)
from studio.services import post_images
from studio.services.poster_templates import PosterParts, record_version_parts
from studio.services.reviews import digest_of
from studio.services.rules import findings_json
from studio.workflow import audit
from studio.workflow.permissions import require


def to_view(template: Template, version: TemplateVersion) -> TemplateView:
    return TemplateView(
        id=template.id or 0,
        code=template.code,
        lock_version=template.lock_version,
        version_id=version.id or 0,
        version_no=version.version_no,
        title=version.title,
        body=version.body,
        slots=version.slots,
        occasion_kind=version.occasion_kind,
        occasion=version.occasion,
        content_type=version.content_type,
        persona=version.persona,
        channel=version.channel,
        product_type=version.product_type,
        region=version.region,
        valid_from=version.valid_from,
        valid_to=version.valid_to,
        state=version.state,
        verdict=version.verdict,
        findings=version.findings,
        ruleset=version.ruleset,
        created_at=version.created_at,
        submitted_by=version.submitted_by,
        poster=version.poster,
        images=version.images or [],
        rendered_sha256=version.rendered_sha256,
    )


def _new_version(
    session: Session,
    template: Template,
    version_no: int,
    draft: TemplateDraft,
    slots: list[SlotSpec],
    sample: str,
    actor: Actor,
    submit: bool,
    digest: str | None = None,
    parts: PosterParts | None = None,
) -> TemplateVersion:
    result, images = post_images.ensure_draft_checked(session, actor, draft, sample)  # body + images' text
    parts = parts or PosterParts()
    now = utcnow()
    version = TemplateVersion(
        template_id=template.id or 0,
        version_no=version_no,
        title=draft.title,
        body=draft.body,
        slots=[s.model_dump(mode="json") for s in slots],
        occasion_kind=draft.occasion_kind,
        occasion=draft.occasion,
        content_type=draft.content_type,
        persona=draft.persona,
        channel=draft.channel,
        product_type=draft.product_type,
        region=draft.region,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        images=images,
        state=(ReviewState.SUBMITTED if submit else ReviewState.DRAFT).value,
        verdict=result.verdict.value,
        findings=findings_json(result),
        ruleset=result.ruleset,
        source_digest=digest,
        created_by=actor.user_id,
        created_at=now,
        submitted_by=actor.user_id if submit else None,
        submitted_at=now if submit else None,
        poster=parts.poster,
        rendered_sha256=parts.rendered_sha256,
    )
    version.content_digest = digest_of(version, version)
    # Versions are immutable: their search words are written once, here, in the creating transaction.
    version.search_tokens = _search_words(template.code, version)
    return version


def _search_words(code: str, version: TemplateVersion) -> str:
    """The words a version is found by: its template's code and its own title, body and facets."""
    return search_tokens(
        code=code,
        title=version.title,
        body=version.body,
        occasion=version.occasion,
        region=version.region,
        occasion_kind=version.occasion_kind,
        content_type=version.content_type,
        persona=version.persona,
        channel=version.channel,
        product_type=version.product_type,
    )


def create_template(
    session: Session,
    actor: Actor,
    draft: TemplateDraft,
    *,
    submit: bool = True,
    digest: str | None = None,
    commit: bool = True,
) -> TemplateView:
    require(actor, "template.edit")
    clean, slots, sample = validate_draft(draft)
    parts = record_version_parts(session, actor, clean, slots)
    code = (clean.code or f"tpl-{uuid.uuid4().hex[:10]}").strip()
    if session.exec(select(Template).where(col(Template.code) == code)).first():
        raise ValidationError(f"template code {code} exists", f"模板编号 {code} 已存在。")
    template = Template(code=code, owner_org_id=actor.org_id, created_by=actor.user_id)
    session.add(template)
    session.flush()
    version = _new_version(session, template, 1, clean, slots, sample, actor, submit, digest, parts)
    session.add(version)
    session.flush()
    audit.append(
        session,
        actor,
        "template.create",
        f"template:{template.id}",
        {"version": 1, "state": version.state, "verdict": version.verdict},
    )
    if commit:
        session.commit()
    return to_view(template, version)


def update_template(
    session: Session,
    actor: Actor,
    template_id: int,
    draft: TemplateDraft,
    *,
    expected_lock_version: int,
    submit: bool = True,
    digest: str | None = None,
    commit: bool = True,
) -> TemplateView:
    """Every edit makes a new version; the approved one stays in use until the new one is approved."""
    require(actor, "template.edit")
    clean, slots, sample = validate_draft(draft)
    parts = record_version_parts(session, actor, clean, slots)
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound(f"template {template_id} not found")
    template.lock_version = claim(session, Template, template_id, expected_lock_version)
    template.latest_version_no += 1
    version = _new_version(
        session, template, template.latest_version_no, clean, slots, sample, actor, submit, digest, parts
    )
    # Earlier versions still waiting for review are history now: nobody approves text the editor replaced.
    # (Conditional on state, so a decision that already landed on one of them stands.)
    session.execute(
        update(TemplateVersion)
        .where(
            col(TemplateVersion.template_id) == template_id,
            col(TemplateVersion.state) == ReviewState.SUBMITTED.value,
        )
        .values(state=ReviewState.SUPERSEDED.value, lock_version=col(TemplateVersion.lock_version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.add(template)
    session.add(version)
    session.flush()
    audit.append(
        session,
        actor,
        "template.update",
        f"template:{template.id}",
        {"version": version.version_no, "state": version.state, "verdict": version.verdict},
    )
    if commit:
        session.commit()
    return to_view(template, version)


def latest_version(session: Session, actor: Actor, template_id: int) -> TemplateVersion:
    require(actor, "template.read")
    version = session.exec(
        select(TemplateVersion)
        .where(col(TemplateVersion.template_id) == template_id)
        .order_by(col(TemplateVersion.version_no).desc())
    ).first()
    if version is None:
        raise NotFound(f"template {template_id} has no version")
    return version


def list_templates(
    session: Session, actor: Actor, *, approved_only: bool = False, search: str | None = None
) -> list[TemplateView]:
    """Every template's current version, whole: for scripts and the demo seed. Pages use `list_library`."""
    require(actor, "template.read")
    query = _current(select(Template, TemplateVersion), approved_only)
    if search and (terms := query_terms(search)):
        query, _ = _matching(query, session, terms)
    rows = session.exec(
        query.order_by(col(TemplateVersion.occasion_kind), col(TemplateVersion.title), col(Template.id))
    ).all()
    return [to_view(t, v) for t, v in rows]


def current_titles(session: Session, actor: Actor, template_ids: list[int], limit: int = 100) -> list[str]:
    """The latest version's title of each template named (at most `limit` of them), in template id order."""
    require(actor, "template.read")
    rows = session.exec(
        select(col(Template.id), col(TemplateVersion.title))
        .join(TemplateVersion, col(TemplateVersion.template_id) == col(Template.id))
        .where(
            col(Template.id).in_(template_ids[:limit]),
            col(TemplateVersion.version_no) == col(Template.latest_version_no),
        )
        .order_by(col(Template.id))
    ).all()
    return [title for _, title in rows]


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


_ROW_COLUMNS: tuple[Mapped[Any] | Label[Any], ...] = (
    col(Template.id),
    col(Template.code),
    col(Template.lock_version),
    col(TemplateVersion.id).label("version_id"),
    col(TemplateVersion.version_no),
    col(TemplateVersion.title),
    col(TemplateVersion.occasion_kind),
    col(TemplateVersion.occasion),
    col(TemplateVersion.content_type),
    col(TemplateVersion.persona),
    col(TemplateVersion.channel),
    col(TemplateVersion.product_type),
    col(TemplateVersion.region),
    col(TemplateVersion.state),
    col(TemplateVersion.verdict),
)


def _current(query: Any, approved_only: bool) -> Any:
    """Restrict a query over template ⋈ template_version to each template's current version.

    Editors see the latest version (`template.latest_version_no`, kept by create/update, served by the
    (template_id, version_no) unique index). Localisers see the latest *approved* one: approved, with no
    newer approved version of the same template (a NOT EXISTS probe on (template_id, state, version_no)).
    Derived on read, so decisions, expiry and withdrawal need no pointer kept in step.
    """
    query = query.select_from(TemplateVersion).join(
        Template, col(Template.id) == col(TemplateVersion.template_id)
    )
    if not approved_only:
        return query.where(col(TemplateVersion.version_no) == col(Template.latest_version_no))
    newer = aliased(TemplateVersion)
    return query.where(
        col(TemplateVersion.state) == ReviewState.APPROVED.value,
        ~exists().where(
            col(newer.template_id) == col(TemplateVersion.template_id),
            col(newer.state) == ReviewState.APPROVED.value,
            col(newer.version_no) > col(TemplateVersion.version_no),
        ),
    )


def _matching(query: Any, session: Session, terms: list[str]) -> tuple[Any, Any]:
    """Add the full-text condition; returns the query and an ORDER BY expression, best match first."""
    if session.get_bind().dialect.name == "sqlite":
        fts: ColumnClause[Any] = literal_column(FTS_TABLE)
        hits = (
            select(literal_column("rowid").label("vid"), func.bm25(fts).label("rank"))
            .select_from(text(FTS_TABLE))
            .where(fts.op("MATCH")(sqlite_match(terms)))
            # Materialised: else SQLite may probe the FTS index once per candidate row (seconds at 20k).
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        return query.join(hits, hits.c.vid == col(TemplateVersion.id)), hits.c.rank.asc()
    vector: ColumnClause[Any] = literal_column(
        f"template_version.{POSTGRES_VECTOR}"
    )  # generated column, outside the model
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), postgres_tsquery(terms))
    return query.where(vector.op("@@")(tsquery)), func.ts_rank(vector, tsquery).desc()


def _filtered(query: Any, f: LibraryFilter) -> Any:
    exact = (
        (col(TemplateVersion.occasion_kind), f.occasion_kind),
        (col(TemplateVersion.occasion), f.occasion),
        (col(TemplateVersion.region), f.region),
        (col(TemplateVersion.content_type), f.content_type),
        (col(TemplateVersion.persona), f.persona),
        (col(TemplateVersion.channel), f.channel),
        (col(TemplateVersion.product_type), f.product_type),
        (col(TemplateVersion.state), f.state),
    )
    for column, value in exact:
        if value:
            query = query.where(column == value)
    if f.season:
        # season_of(occasion) == season, as SQL: the occasion starts with one of the season's names.
        prefixes = season_prefixes(f.season)
        query = query.where(
            or_(*[col(TemplateVersion.occasion).startswith(p, autoescape=True) for p in prefixes])
            if prefixes
            else false()
        )
    return query


def list_library(
    session: Session,
    actor: Actor,
    filters: LibraryFilter | None = None,
    *,
    approved_only: bool = False,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> LibraryPage:
    """One page of current template versions matching the filters, best search match first, and the total.

    Two statements, both bounded by the database: the page (ORDER BY, LIMIT/OFFSET) and a count(*).
    """
    require(actor, "template.read")
    f = filters or LibraryFilter()
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(0, page)
    query = _filtered(_current(sa_select(*_ROW_COLUMNS), approved_only), f)
    order: list[Any] = [col(TemplateVersion.occasion_kind), col(TemplateVersion.title), col(Template.id)]
    terms = query_terms(f.query) if f.query else []
    if terms:
        query, rank = _matching(query, session, terms)
        order.insert(0, rank)
    total = int(session.exec(select(func.count()).select_from(query.subquery())).one())
    if page * page_size >= total > 0:  # a filter shrank the list under the page the user was on
        page = (total - 1) // page_size
    rows = session.exec(query.order_by(*order).limit(page_size).offset(page * page_size)).all()
    return LibraryPage(
        rows=[TemplateRow.model_validate(dict(r._mapping)) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


class LibraryOptions(BaseModel):
    """Values the library's filters offer: those current versions use, sorted, at most MAX_OPTIONS each."""

    model_config = ConfigDict(frozen=True)

    occasions: list[str]
    regions: list[str]


def library_options(session: Session, actor: Actor, *, approved_only: bool = False) -> LibraryOptions:
    """Occasions and regions in use by current versions (SELECT DISTINCT), for the filter select boxes."""
    require(actor, "template.read")
    found: dict[str, list[str]] = {}
    for name, column in (
        ("occasions", col(TemplateVersion.occasion)),
        ("regions", col(TemplateVersion.region)),
    ):
        query = _current(select(column).distinct(), approved_only).where(column.is_not(None))
        found[name] = list(session.exec(query.order_by(column).limit(MAX_OPTIONS)).all())
    return LibraryOptions(**found)


def get_template(session: Session, actor: Actor, version_id: int) -> TemplateView:
    """One version, whole (body, slots, findings): what the 素材库 preview and the editor open."""
    require(actor, "template.read")
    version = get_version(session, actor, version_id)
    template = session.get(Template, version.template_id)
    assert template is not None
    return to_view(template, version)


def get_version(session: Session, actor: Actor, version_id: int) -> TemplateVersion:
    """One version, unrendered (templates are HQ's, shared with every org: no org scope to check)."""
    require(actor, "template.read")
    version = session.get(TemplateVersion, version_id)
    if version is None:
        raise NotFound(f"template version {version_id} not found")
    return version
