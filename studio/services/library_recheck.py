"""Re-check the library after a rule change (a job, services/jobs.py): every approved or submitted template
version (its sample text) and localised variant in the requester's subtree, under the active ruleset.

It changes nothing: the result lists the items whose verdict differs from the one stored when they were
checked, so reviewers can withdraw or send back what the new rule now blocks. Running it twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from studio.db.models import Org, TemplateVersion, Variant
from studio.domain.enums import ReviewState
from studio.domain.views import Actor
from studio.errors import StudioError
from studio.services import jobs, post_images
from studio.services.reviews import template_sample_text
from studio.workflow.permissions import require, require_network_scope

_STATES = (ReviewState.APPROVED.value, ReviewState.SUBMITTED.value)
_BATCH = 500
_LISTED = 200  # items named in the result; the counts cover all
# kind, id, title, text, product type, channel, stored verdict, images (sha256s)
_Item = tuple[str, int, str, str, str, str, str, Sequence[str]]


def _check_allowed(actor: Actor) -> None:
    require(actor, "rules.edit")
    require_network_scope(actor)


def _versions(session: Session) -> Iterator[_Item]:
    last = 0
    while True:
        rows = session.exec(
            select(TemplateVersion)
            .where(col(TemplateVersion.state).in_(_STATES), col(TemplateVersion.id) > last)
            .order_by(col(TemplateVersion.id))
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for v in rows:
            try:
                text = template_sample_text(v)  # a poster: every layer's text
            except (StudioError, ValueError):
                text = v.body  # unrenderable now: check the source text rather than skip it
            yield "template_version", v.id or 0, v.title, text, v.product_type, v.channel, v.verdict, v.images
        last = rows[-1].id or 0
        session.expunge_all()


def _variants(session: Session, actor: Actor) -> Iterator[_Item]:
    last = 0
    while True:
        rows = session.exec(
            select(Variant, TemplateVersion.product_type, TemplateVersion.channel, TemplateVersion.images)
            .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
            .join(Org, col(Org.id) == col(Variant.org_id))
            .where(
                col(Variant.state).in_(_STATES),
                col(Org.path).startswith(actor.org_path),
                col(Variant.id) > last,
            )
            .order_by(col(Variant.id))
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for variant, product, channel, images in rows:
            yield (
                "variant",
                variant.id or 0,
                variant.title,
                variant.text,
                product,
                channel,
                variant.verdict,
                images,
            )
        last = rows[-1][0].id or 0
        session.expunge_all()


def _total(session: Session, actor: Actor) -> int:
    versions = session.exec(
        select(func.count()).select_from(TemplateVersion).where(col(TemplateVersion.state).in_(_STATES))
    ).one()
    variants = session.exec(
        select(func.count())
        .select_from(Variant)
        .join(Org, col(Org.id) == col(Variant.org_id))
        .where(col(Variant.state).in_(_STATES), col(Org.path).startswith(actor.org_path))
    ).one()
    return int(versions) + int(variants)


def _run(session: Session, actor: Actor, args: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    total = _total(session, actor)
    checked, differing, blocked = 0, 0, 0
    changed: list[dict[str, Any]] = []
    for kind, item_id, title, text, product, channel, stored, images in _chain(session, actor):
        # The post's images' text counts too (九宫格), as when it was checked.
        verdict = post_images.check_post(session, actor, text, product, channel, images).verdict.value
        checked += 1
        if verdict != stored:
            differing += 1
            blocked += verdict == "block"
            if len(changed) < _LISTED:
                changed.append({"type": kind, "id": item_id, "title": title, "was": stored, "now": verdict})
        if checked % 50 == 0 or checked == total:
            progress(checked, max(total, checked))
    if not checked:
        progress(0, 0)
    return {"checked": checked, "changed": differing, "now_block": blocked, "items": changed}


def _chain(session: Session, actor: Actor) -> Iterator[_Item]:
    yield from _versions(session)
    yield from _variants(session, actor)


jobs.register(
    jobs.JobKind(
        name="library.recheck",
        label="按新规则复查素材库",
        check=_check_allowed,
        clean=lambda args: {},
        run=_run,
    )
)
