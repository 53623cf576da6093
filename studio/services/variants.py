"""Branch localisation: fill an approved template version's slots for one org, render, check, submit."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from studio.db.models import Org, Review, Template, TemplateVersion, Variant, utcnow
from studio.domain.enums import Channel, ReviewState
from studio.domain.views import Actor, VariantView
from studio.db.locking import claim
from studio.errors import NotFound, ValidationError
from studio.localisation import render as jinja
from studio.localisation.slots import SlotSpec, validate_values
from studio.services.checks import findings_json, run_check
from studio.services.templates import get_version
from studio.workflow import audit
from studio.workflow.permissions import require, require_scope

# States in which the maker may still change a variant in place.
_EDITABLE_IN_PLACE = {ReviewState.DRAFT, ReviewState.SUBMITTED, ReviewState.CHANGES_REQUESTED,
                      ReviewState.REJECTED}


def render_variant(version: TemplateVersion, slot_values: dict[str, Any]) -> tuple[dict[str, str], str]:
    specs = [SlotSpec.model_validate(s) for s in version.slots]
    clean = validate_values(specs, slot_values)
    text = jinja.render(version.body, clean)
    channel = Channel(version.channel)
    if len(text) > channel.max_length:
        raise ValidationError(f"text longer than {channel.max_length}",
                              f"{channel.label}内容最多 {channel.max_length} 字（当前 {len(text)} 字）。")
    return clean, text


def to_view(session: Session, variant: Variant) -> VariantView:
    version = session.get(TemplateVersion, variant.template_version_id)
    template = session.get(Template, version.template_id) if version else None
    org = session.get(Org, variant.org_id)
    last = session.exec(
        select(Review).where(Review.subject_type == "variant", Review.subject_id == variant.id)
        .order_by(Review.id.desc())  # type: ignore[union-attr]
    ).first()
    assert version is not None and template is not None and org is not None
    return VariantView(
        id=variant.id or 0, org_id=variant.org_id, org_name=org.name, template_version_id=version.id or 0,
        template_code=template.code, title=variant.title, slot_values=variant.slot_values, text=variant.text,
        channel=version.channel, product_type=version.product_type, content_type=version.content_type,
        state=variant.state, verdict=variant.verdict, findings=variant.findings, ruleset=variant.ruleset,
        lock_version=variant.lock_version, submitted_by=variant.submitted_by, updated_at=variant.updated_at,
        last_comment=last.comment if last and last.comment else None,
    )


def _apply(variant: Variant, version: TemplateVersion, clean: dict[str, str], text: str, actor: Actor,
           submit: bool) -> None:
    result = run_check(text, version.product_type, version.channel)
    now = utcnow()
    variant.slot_values = clean
    variant.text = text
    variant.verdict = result.verdict.value
    variant.findings = findings_json(result)
    variant.ruleset = result.ruleset
    variant.state = (ReviewState.SUBMITTED if submit else ReviewState.DRAFT).value
    variant.updated_at = now
    variant.submitted_by = actor.user_id if submit else None
    variant.submitted_at = now if submit else None


def localise(session: Session, actor: Actor, template_version_id: int, slot_values: dict[str, Any], *,
             submit: bool = True) -> VariantView:
    """Create the actor's org's variant of an approved template version."""
    require(actor, "variant.edit")
    version = get_version(session, template_version_id)
    if version.state != ReviewState.APPROVED.value:
        raise ValidationError("template version is not approved", "只能本地化已审核通过的模板。")
    org = session.get(Org, actor.org_id)
    assert org is not None
    if version.region and org.province and version.region != org.province:
        raise ValidationError(f"template is for {version.region}", f"该模板仅适用于{version.region}地区。")
    clean, text = render_variant(version, slot_values)
    variant = Variant(org_id=actor.org_id, template_version_id=version.id or 0, title=version.title,
                      text=text, state=ReviewState.DRAFT.value, verdict="pass", ruleset="",
                      created_by=actor.user_id)
    _apply(variant, version, clean, text, actor, submit)
    session.add(variant)
    session.flush()
    audit.append(session, actor, "variant.create", f"variant:{variant.id}",
                 {"template_version": version.id, "state": variant.state, "verdict": variant.verdict})
    session.commit()
    return to_view(session, variant)


def _load_scoped(session: Session, actor: Actor, variant_id: int) -> Variant:
    variant = session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"variant {variant_id} not found")
    org = session.get(Org, variant.org_id)
    assert org is not None
    require_scope(actor, org.path)
    return variant


def update_variant(session: Session, actor: Actor, variant_id: int, slot_values: dict[str, Any], *,
                   expected_lock_version: int, submit: bool = True) -> VariantView:
    """Edit in place while not approved; editing approved content makes a replacement that needs review."""
    require(actor, "variant.edit")
    variant = _load_scoped(session, actor, variant_id)
    version = get_version(session, variant.template_version_id)
    clean, text = render_variant(version, slot_values)
    state = ReviewState(variant.state)
    if state not in _EDITABLE_IN_PLACE and state is not ReviewState.APPROVED:
        raise ValidationError(f"variant in state {state.value} cannot be edited",
                              f"{state.label}的内容不能再编辑。")
    variant.lock_version = claim(session, Variant, variant_id, expected_lock_version)
    if state in _EDITABLE_IN_PLACE:
        target = variant
    else:
        target = Variant(org_id=variant.org_id, template_version_id=variant.template_version_id,
                         parent_variant_id=variant.parent_variant_id, replaces_id=variant.id,
                         title=variant.title, text=text, state=ReviewState.DRAFT.value, verdict="pass",
                         ruleset="", created_by=actor.user_id)
    _apply(target, version, clean, text, actor, submit)
    session.add(target)
    session.flush()
    audit.append(session, actor, "variant.update", f"variant:{target.id}",
                 {"replaces": target.replaces_id, "state": target.state, "verdict": target.verdict})
    session.commit()
    return to_view(session, target)


def get_variant(session: Session, actor: Actor, variant_id: int) -> VariantView:
    require(actor, "variant.read")
    return to_view(session, _load_scoped(session, actor, variant_id))


def list_variants(session: Session, actor: Actor, *, state: ReviewState | None = None) -> list[VariantView]:
    require(actor, "variant.read")
    query = select(Variant).join(Org, Org.id == Variant.org_id).where(
        Org.path.startswith(actor.org_path)  # type: ignore[attr-defined]
    )
    if state is not None:
        query = query.where(Variant.state == state.value)
    rows = session.exec(query.order_by(Variant.updated_at.desc())).all()  # type: ignore[attr-defined]
    return [to_view(session, v) for v in rows]
