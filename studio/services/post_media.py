"""The images of placed posts, for the files staff read: calendar exports and the static staff feed.

Both show the branch's render (the variant's slot values and branch overlays, no staff overlay): a file is
read by many staff, so no one's name or QR code goes into it. The poster comes first, then the post's
九宫格 images, as `studio.services.posters.post_images` gives them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from studio.db.models import TemplateVersion, Variant
from studio.domain.views import Actor
from studio.errors import StudioError
from studio.planning.images import EntryImage
from studio.services import posters
from studio.workflow.permissions import require

log = logging.getLogger(__name__)


class VariantImages(BaseModel):
    """Each variant's images in export form; a variant without images is absent."""

    model_config = ConfigDict(frozen=True)

    by_variant: dict[int, tuple[EntryImage, ...]] = {}


def entry_image(image: posters.PosterImage) -> EntryImage:
    return EntryImage(
        sha256=image.sha256,
        width=image.width,
        height=image.height,
        media_type=image.media_type,
        source=image.path,
    )


def _with_images(session: Session, variant_ids: Iterable[int]) -> list[int]:
    """Which of these variants belong to a poster template or a version with images (one query): only
    those are rendered, so a month of text posts costs nothing."""
    ids = sorted(set(variant_ids))
    if not ids:
        return []
    rows = session.exec(
        select(col(Variant.id), col(TemplateVersion.poster), col(TemplateVersion.images))
        .join(TemplateVersion, col(TemplateVersion.id) == col(Variant.template_version_id))
        .where(col(Variant.id).in_(ids))
    ).all()
    return sorted(vid for vid, poster, images in rows if vid is not None and (poster or images))


def images_for_variants(
    session: Session, actor: Actor, variant_ids: Iterable[int], *, strict: bool = True
) -> VariantImages:
    """The branch render of each variant's images. `strict` (exports) lets a rendering error through, so
    no file is written without its images; otherwise (the staff feed, which must keep working) the post is
    shown without them and the error is logged."""
    require(actor, "calendar.read")
    found: dict[int, tuple[EntryImage, ...]] = {}
    for variant_id in _with_images(session, variant_ids):
        try:
            images = posters.post_images(session, actor, variant_id)
        except StudioError:
            if strict:
                raise
            log.exception("images of variant %s not rendered for the staff feed", variant_id)
            continue
        if images:
            found[variant_id] = tuple(entry_image(i) for i in images)
    return VariantImages(by_variant=found)
