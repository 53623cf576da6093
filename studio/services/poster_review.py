"""What a reviewer sees of a poster: the rendered image (the branch's render for a variant, the sample render
for a template version; no staff overlay) and the per-layer diff of its texts."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from studio.db.models import TemplateVersion, Variant
from studio.domain.views import Actor
from studio.errors import NotFound, StudioError
from studio.localisation.layer_diff import LayerDiff, layer_diff
from studio.localisation.slots import SlotSpec
from studio.posters.layout import OverlayLayer, PosterLayout
from studio.posters.texts import branch_fields, layer_texts, overlay_text, sample_values
from studio.services import posters, reviews
from studio.workflow.permissions import require

log = logging.getLogger(__name__)


class PosterReview(BaseModel):
    """The poster part of a review item. `image` is None when it could not be rendered (`image_error` says
    why, in Chinese); `compared_with` names what `layers` compare against (None: a first version)."""

    model_config = ConfigDict(frozen=True)

    image: posters.PosterImage | None
    image_error: str | None
    layers: list[LayerDiff]
    compared_with: str | None
    texts_error: str | None = None


def _texts(layout: PosterLayout, values: dict[str, Any]) -> dict[str, str]:
    """Every text layer's and branch overlay's text, by layer name, as drawn with these slot values."""
    fields = branch_fields(values)
    overlays = {
        layer.name: overlay_text(layer, fields)
        for layer in layout.layers
        if isinstance(layer, OverlayLayer) and not layer.field.per_staff
    }
    return {**layer_texts(layout, {k: str(v) for k, v in values.items()}), **overlays}


def _samples(version: TemplateVersion) -> dict[str, Any]:
    """The values HQ's preview is drawn with (so the diff's left side is what the template shows)."""
    return dict(sample_values(SlotSpec.model_validate(s) for s in version.slots))


def _previous_poster(session: Session, version: TemplateVersion) -> TemplateVersion | None:
    """The template's latest approved version before this one (the review queue's query), if it was a
    poster too."""
    previous = reviews._previous_approved(session, version)
    return previous if previous is not None and previous.poster else None


def _subject(session: Session, subject_type: str, subject_id: int) -> tuple[Variant | None, TemplateVersion]:
    variant = session.get(Variant, subject_id) if subject_type == "variant" else None
    version_id = variant.template_version_id if variant is not None else subject_id
    version = session.get(TemplateVersion, version_id)
    if version is None:
        raise NotFound(f"{subject_type} {subject_id} not found")
    return variant, version


def poster_review(session: Session, actor: Actor, subject_type: str, subject_id: int) -> PosterReview | None:
    """The rendered poster and layer diff of a review item; None when the item is no poster."""
    require(actor, "review.decide")
    reviews.current_version(session, actor, subject_type, subject_id)  # exists, in the reviewer's scope
    variant, version = _subject(session, subject_type, subject_id)
    if not version.poster:
        return None
    layout = PosterLayout.model_validate(version.poster)
    image, image_error = _image(session, actor, variant, version)
    try:
        before, after, compared = _compared(session, layout, variant, version)
    except StudioError as error:
        return PosterReview(
            image=image, image_error=image_error, layers=[], compared_with=None, texts_error=error.message_zh
        )
    return PosterReview(
        image=image, image_error=image_error, layers=layer_diff(layout, before, after), compared_with=compared
    )


def _compared(
    session: Session, layout: PosterLayout, variant: Variant | None, version: TemplateVersion
) -> tuple[dict[str, str] | None, dict[str, str], str | None]:
    """(before, after, what before is): a variant against HQ's sample text; a template version against
    its latest approved version (None: a first version)."""
    if variant is not None:
        return _texts(layout, _samples(version)), _texts(layout, variant.slot_values), "总行模板示例文字"
    after = _texts(layout, _samples(version))
    previous = _previous_poster(session, version)
    if previous is None:
        return None, after, None
    before = _texts(PosterLayout.model_validate(previous.poster), _samples(previous))
    return before, after, "上一审核通过版本"


def _image(
    session: Session, actor: Actor, variant: Variant | None, version: TemplateVersion
) -> tuple[posters.PosterImage | None, str | None]:
    try:
        if variant is not None:
            return posters.variant_poster(session, actor, variant.id or 0), None
        return posters.render_version_base(session, actor, version.id or 0), None
    except StudioError as error:
        return None, error.message_zh
    except Exception:  # the reviewer still sees the texts and findings
        log.exception("poster of %s not rendered for review", version.id)
        return None, "海报暂时无法生成，请稍后重试。"
