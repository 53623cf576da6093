"""Branch localisation: fill an approved template version's slots for one org, render, check, submit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from studio.db.locking import CONFLICT_ZH, claim
from studio.db.models import Org, Review, Template, TemplateVersion, Variant, utcnow
from studio.domain.enums import Channel, ContentType, ProductType, ReviewState, Verdict
from studio.domain.views import Actor, VariantView
from studio.errors import Conflict, NotFound, ValidationError
from studio.localisation import render as jinja
from studio.localisation.draft import poster_text
from studio.localisation.slots import SlotSpec, only_plain_slots_changed, validate_values
from studio.posters.layout import PosterLayout
from studio.services import feed, post_images
from studio.services.orgs import _org_defaults, ancestors
from studio.services.poster_templates import PosterRender, record_branch_poster
from studio.services.reviews import auto_approve_if_allowed, digest_of
from studio.services.rules import findings_json
from studio.services.templates import get_version
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope

# States in which the maker may still change a variant in place. A submitted variant is immutable (a
# reviewer may have it open): editing it makes a new submission; editing approved content a replacement.
_EDITABLE_IN_PLACE = {ReviewState.DRAFT, ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED}


def slot_specs(version: TemplateVersion) -> list[SlotSpec]:
    return [SlotSpec.model_validate(s) for s in version.slots]


def render_variant(version: TemplateVersion, slot_values: dict[str, Any]) -> tuple[dict[str, str], str]:
    specs = slot_specs(version)
    filled = {spec.name: spec.default for spec in specs if spec.editable_region}
    filled.update({k: v for k, v in slot_values.items() if v not in (None, "") or k not in filled})
    clean = validate_values(specs, filled)
    if version.poster is not None:  # what is checked: every layer's text, branch overlays included
        text = poster_text(PosterLayout.model_validate(version.poster), clean)
    else:
        text = jinja.render(version.body, clean)
    channel = Channel(version.channel)
    if len(text) > channel.max_length:
        raise ValidationError(
            f"text longer than {channel.max_length}",
            f"{channel.label}内容最多 {channel.max_length} 字（当前 {len(text)} 字）。",
        )
    return clean, text


def _to_view(session: Session, variant: Variant) -> VariantView:
    version = session.get(TemplateVersion, variant.template_version_id)
    template = session.get(Template, version.template_id) if version else None
    org = session.get(Org, variant.org_id)
    last = session.exec(
        select(Review)
        .where(col(Review.subject_type) == "variant", col(Review.subject_id) == variant.id)
        .order_by(col(Review.id).desc())
    ).first()
    assert version is not None and template is not None and org is not None
    return _view(variant, org.name, template.code, version, last.comment if last else None)


def _view(
    variant: Variant, org_name: str, template_code: str, version: TemplateVersion, last_comment: str | None
) -> VariantView:
    return VariantView(
        id=variant.id or 0,
        org_id=variant.org_id,
        org_name=org_name,
        template_version_id=version.id or 0,
        template_code=template_code,
        title=variant.title,
        slot_values=variant.slot_values,
        text=variant.text,
        channel=Channel(version.channel),
        product_type=ProductType(version.product_type),
        content_type=ContentType(version.content_type),
        state=ReviewState(variant.state),
        verdict=Verdict(variant.verdict),
        findings=variant.findings,
        ruleset=variant.ruleset,
        lock_version=variant.lock_version,
        submitted_by=variant.submitted_by,
        updated_at=variant.updated_at,
        last_comment=last_comment or None,
        rendered_sha256=variant.rendered_sha256,
    )


def _save(
    session: Session,
    actor: Actor,
    variant: Variant,
    version: TemplateVersion,
    clean: dict[str, str],
    submit: bool,
    action: str,
) -> VariantView:
    """Check, store, audit, apply the auto-approval policy, commit once."""
    result = post_images.check_post(
        session, actor, variant.text, version.product_type, version.channel, version.images
    )
    now = utcnow()
    variant.slot_values = clean
    variant.verdict = result.verdict.value
    variant.findings = findings_json(result)
    variant.ruleset = result.ruleset
    variant.content_digest = digest_of(variant, version)
    variant.state = (ReviewState.SUBMITTED if submit else ReviewState.DRAFT).value
    variant.updated_at = now
    variant.submitted_by = actor.user_id if submit else None
    variant.submitted_at = now if submit else None
    session.add(variant)
    session.flush()
    audit.append(
        session,
        actor,
        action,
        f"variant:{variant.id}",
        {
            "template_version": version.id,
            "replaces": variant.replaces_id,
            "resubmits": variant.resubmits_id,
            "state": variant.state,
            "verdict": variant.verdict,
        },
    )
    approved = submit and auto_approve_if_allowed(
        session, actor, variant, version, only_plain_slots_changed(slot_specs(version), clean)
    )
    session.commit()
    if approved and variant.replaces_id:  # the replaced text was withdrawn: its staff pages are rewritten now
        feed.queue_refresh(session, actor, variant_ids=[variant.replaces_id])
    return _to_view(session, variant)


def _inherited_parent(session: Session, actor: Actor, org: Org, version_id: int) -> Variant | None:
    """The nearest parent org's approved variant of this template version (bank → branch inheritance)."""
    for ancestor in ancestors(session, actor, org)[1:]:
        parent = session.exec(
            select(Variant)
            .where(
                col(Variant.org_id) == ancestor.id,
                col(Variant.template_version_id) == version_id,
                col(Variant.state) == ReviewState.APPROVED.value,
            )
            .order_by(col(Variant.id).desc())
        ).first()
        if parent is not None:
            return parent
    return None


def _merge_inherited(specs: list[SlotSpec], parent: Variant | None, values: dict[str, Any]) -> dict[str, Any]:
    """Start from the parent's values; bank-level slots the parent set are locked for the branch."""
    if parent is None:
        return dict(values)
    merged = {**parent.slot_values, **{k: v for k, v in values.items() if v not in (None, "")}}
    for spec in specs:
        inherited = parent.slot_values.get(spec.name)
        if spec.level == "bank" and inherited and merged.get(spec.name) != inherited:
            raise ValidationError(
                f"slot {spec.name} is set by the parent org", f"“{spec.label}”由上级机构统一设置，不能修改。"
            )
    return merged


class LocalisationForm(BaseModel):
    """What the localise page pre-fills: values inherited from the parent org (or known from the org tree),
    the bank-level slots the parent set (locked for this org), and whose variant they come from."""

    model_config = ConfigDict(frozen=True)

    inherited: dict[str, str]
    locked: frozenset[str]
    parent_org: str | None  # None: nothing inherited


def localisation_form(session: Session, actor: Actor, template_version_id: int) -> LocalisationForm:
    """What the localise page shows: values inherited from the parent org, and which slots are locked."""
    require(actor, "variant.edit")
    version = get_version(session, actor, template_version_id)
    org = session.get(Org, actor.org_id)
    assert org is not None
    parent = _inherited_parent(session, actor, org, template_version_id)
    inherited = parent.slot_values if parent else {}
    locked = frozenset(s.name for s in slot_specs(version) if s.level == "bank" and inherited.get(s.name))
    return LocalisationForm(
        inherited={**_org_defaults(session, actor, org), **inherited},
        locked=locked,
        parent_org=_org_name(session, parent),
    )


def _org_name(session: Session, variant: Variant | None) -> str | None:
    if variant is None:
        return None
    org = session.get(Org, variant.org_id)
    return org.name if org else None


def localise(
    session: Session,
    actor: Actor,
    template_version_id: int,
    slot_values: dict[str, Any],
    *,
    submit: bool = True,
) -> VariantView:
    """Create the actor's org's variant of an approved template version (inheriting its bank's values)."""
    require(actor, "variant.edit")
    version = get_version(session, actor, template_version_id)
    if version.state != ReviewState.APPROVED.value:
        raise ValidationError("template version is not approved", "只能本地化已审核通过的模板。")
    org = session.get(Org, actor.org_id)
    assert org is not None
    if version.region and org.province and version.region != org.province:
        raise ValidationError(f"template is for {version.region}", f"该模板仅适用于{version.region}地区。")
    parent = _inherited_parent(session, actor, org, template_version_id)
    clean, text = render_variant(version, _merge_inherited(slot_specs(version), parent, slot_values))
    poster = record_branch_poster(session, actor, version, clean)  # a text that does not fit raises
    variant = Variant(
        org_id=actor.org_id,
        template_version_id=version.id or 0,
        title=version.title,
        parent_variant_id=parent.id if parent else None,
        rendered_sha256=poster.sha256 if poster else None,
        text=text,
        state=ReviewState.DRAFT.value,
        verdict="pass",
        ruleset="",
        created_by=actor.user_id,
    )
    return _save(session, actor, variant, version, clean, submit, "variant.create")


def _load_scoped(session: Session, actor: Actor, variant_id: int) -> Variant:
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    org = session.get(Org, variant.org_id)
    assert org is not None
    require_scope(actor, org.path)
    return variant


def update_variant(
    session: Session,
    actor: Actor,
    variant_id: int,
    slot_values: dict[str, Any],
    *,
    expected_lock_version: int,
    submit: bool = True,
) -> VariantView:
    """Edit in place while not approved; editing approved content makes a replacement that needs review."""
    require(actor, "variant.edit")
    variant = _load_scoped(session, actor, variant_id)
    version = get_version(session, actor, variant.template_version_id)
    parent = session.get(Variant, variant.parent_variant_id) if variant.parent_variant_id else None
    clean, text = render_variant(version, _merge_inherited(slot_specs(version), parent, slot_values))
    poster = record_branch_poster(session, actor, version, clean)  # a text that does not fit raises
    state = ReviewState(variant.state)
    if state is ReviewState.SUPERSEDED:
        raise Conflict(f"variant {variant_id} was superseded by a newer submission", CONFLICT_ZH)
    if state not in _EDITABLE_IN_PLACE | {ReviewState.SUBMITTED, ReviewState.APPROVED}:
        raise ValidationError(
            f"variant in state {state.value} cannot be edited", f"{state.label}的内容不能再编辑。"
        )
    # Holds the row from here on: a decision on it either landed before (then the lock moved and this
    # fails) or waits for this edit and finds the submission superseded.
    variant.lock_version = claim(session, Variant, variant_id, expected_lock_version)
    if state in _EDITABLE_IN_PLACE:
        target = variant
        target.text = text
    else:
        if state is ReviewState.SUBMITTED:
            variant.state = ReviewState.SUPERSEDED.value
            session.add(variant)
        # An edit of a submission keeps what it would replace; an edit of approved content replaces it.
        replaces = variant.replaces_id if state is ReviewState.SUBMITTED else variant.id
        target = Variant(
            org_id=variant.org_id,
            template_version_id=variant.template_version_id,
            parent_variant_id=variant.parent_variant_id,
            replaces_id=replaces,
            resubmits_id=variant.id if state is ReviewState.SUBMITTED else None,
            title=variant.title,
            text=text,
            state=ReviewState.DRAFT.value,
            verdict="pass",
            ruleset="",
            created_by=actor.user_id,
        )
    target.rendered_sha256 = poster.sha256 if poster else None
    return _save(session, actor, target, version, clean, submit, "variant.update")


def preview_poster(
    session: Session, actor: Actor, template_version_id: int, slot_values: dict[str, Any]
) -> PosterRender | None:
    """The branch's poster for these slot values, as `localise` would save it (not kept); None for a text
    template. A ValidationError names the slot or the layer whose text does not fit."""
    require(actor, "variant.edit")
    version = get_version(session, actor, template_version_id)
    org = session.get(Org, actor.org_id)
    assert org is not None
    if version.poster is None:
        return None
    parent = _inherited_parent(session, actor, org, template_version_id)
    clean, _ = render_variant(version, _merge_inherited(slot_specs(version), parent, slot_values))
    return record_branch_poster(session, actor, version, clean, keep=False)


def get_variant(session: Session, actor: Actor, variant_id: int) -> VariantView:
    require(actor, "variant.read")
    return _to_view(session, _load_scoped(session, actor, variant_id))


PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class VariantRow(BaseModel):
    """One line of 我的内容: no text, slots or findings (those load for the one opened, `get_variant`)."""

    model_config = ConfigDict(frozen=True)

    id: int
    org_id: int
    org_name: str
    template_code: str
    title: str
    channel: Channel
    state: ReviewState
    verdict: Verdict
    updated_at: datetime


class VariantPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[VariantRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _in_subtree(org_path: str) -> Any:
    """Org.path starts with org_path, as a range the path index serves (LIKE cannot use it on SQLite).

    Paths are ASCII ("/1/3/"), compared bytewise (SQLite; PostgreSQL databases here use the C collation).
    """
    upper = org_path[:-1] + chr(ord(org_path[-1]) + 1)
    return and_(col(Org.path) >= org_path, col(Org.path) < upper)


def _scoped(query: Any, actor: Actor, state: ReviewState | None) -> Any:
    query = (
        query.select_from(Variant)
        .join(Org, col(Org.id) == col(Variant.org_id))
        .where(_in_subtree(actor.org_path))
    )
    if state is not None:
        return query.where(col(Variant.state) == state.value)
    # A superseded submission lives on in the thread of the one that replaced it.
    return query.where(col(Variant.state) != ReviewState.SUPERSEDED.value)


def list_my_variants(
    session: Session,
    actor: Actor,
    *,
    state: ReviewState | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> VariantPage:
    """A page of the variants in the actor's scope, newest first, and how many there are: two statements."""
    require(actor, "variant.read")
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(0, page)
    total = int(session.exec(_scoped(select(func.count()), actor, state)).one())
    if page * page_size >= total > 0:
        page = (total - 1) // page_size
    query = _scoped(
        sa_select(
            col(Variant.id),
            col(Variant.org_id),
            col(Org.name).label("org_name"),
            col(Template.code).label("template_code"),
            col(Variant.title),
            col(TemplateVersion.channel),
            col(Variant.state),
            col(Variant.verdict),
            col(Variant.updated_at),
        ),
        actor,
        state,
    )
    query = query.join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id)).join(
        Template, col(Template.id) == col(TemplateVersion.template_id)
    )
    rows = session.exec(
        query.order_by(col(Variant.updated_at).desc(), col(Variant.id).desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    return VariantPage(
        rows=[VariantRow.model_validate(dict(r._mapping)) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


def list_variants(session: Session, actor: Actor, *, state: ReviewState | None = None) -> list[VariantView]:
    """Every variant in scope, whole, in one statement (pages use `list_my_variants`)."""
    require(actor, "variant.read")
    last_comment = (
        select(col(Review.comment))
        .where(col(Review.subject_type) == "variant", col(Review.subject_id) == col(Variant.id))
        .order_by(col(Review.id).desc())
        .limit(1)
        .correlate(Variant)
        .scalar_subquery()
    )
    query = _scoped(
        sa_select(Variant, col(Org.name), col(Template.code), TemplateVersion, last_comment), actor, state
    )
    query = query.join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id)).join(
        Template, col(Template.id) == col(TemplateVersion.template_id)
    )
    rows = session.exec(query.order_by(col(Variant.updated_at).desc(), col(Variant.id).desc())).all()
    return [
        _view(variant, org_name, code, version, comment) for variant, org_name, code, version, comment in rows
    ]
