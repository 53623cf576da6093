"""Poster templates in the template and variant services: the layout's background is a library image
(an Asset's sha256), the poster is rendered with the slot values (sample values for a template version,
the branch's for a variant) and its PNG stored content-addressed; that image's sha256 joins the content
digest, so a changed background or text needs a new approval."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from studio.db.models import Asset, TemplateVersion
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.localisation.draft import TemplateDraft, validate_draft
from studio.localisation.slots import SlotSpec
from studio.materials import asset_store
from studio.posters.layout import PosterLayout, is_sha256
from studio.posters.render import render_base
from studio.posters.texts import branch_fields, layer_texts, sample_values
from studio.services.assets import _library_image, assets_dir
from studio.workflow.permissions import require


class PosterRender(BaseModel):
    """A rendered poster: PNG bytes, size and their sha256 (stored in the asset store when kept)."""

    model_config = ConfigDict(frozen=True)

    png: bytes
    width: int
    height: int
    sha256: str


class PosterParts(BaseModel):
    """What a template version stores about its images: layout (background = asset sha256), 九宫格
    images (asset sha256s) and the sample render's sha256 (None for a text template)."""

    model_config = ConfigDict(frozen=True)

    poster: dict[str, Any] | None = None
    images: list[str] = []
    rendered_sha256: str | None = None

    @property
    def digest_images(self) -> list[str]:
        return [self.rendered_sha256, *self.images] if self.rendered_sha256 else list(self.images)


def _asset(session: Session, sha256: str) -> tuple[Asset, bytes]:
    """A library image's row and stored bytes; an editor's pick that is gone is a ValidationError."""
    try:
        return _library_image(session, sha256)
    except NotFound as error:
        raise ValidationError(error.message_en, error.message_zh) from None


def _render(
    session: Session, actor: Actor, layout: PosterLayout, values: dict[str, str], *, keep: bool
) -> PosterRender:
    if not is_sha256(layout.background):
        raise ValidationError(
            f"poster background {layout.background[:80]!r} is not a library image",
            "海报背景必须从图片素材中选择。",
        )
    asset, background = _asset(session, layout.background)
    if (asset.width, asset.height) != (layout.width, layout.height):
        raise ValidationError(
            f"background is {asset.width}x{asset.height}, the layout says {layout.width}x{layout.height}",
            f"背景图片为 {asset.width}×{asset.height}，与版式尺寸 {layout.width}×{layout.height} 不符。",
        )
    poster = render_base(layout, background, layer_texts(layout, values), branch_fields(values))
    if keep:
        asset_store.store(assets_dir(), poster.png, "png")
    return PosterRender(png=poster.png, width=poster.width, height=poster.height, sha256=poster.sha256)


def _check_images(session: Session, actor: Actor, images: list[str]) -> None:
    for sha256 in images:
        _asset(session, sha256)  # raises when the image is not in the library


def record_version_parts(
    session: Session, actor: Actor, clean: TemplateDraft, slots: list[SlotSpec]
) -> PosterParts:
    """For a validated draft: check its images exist, render its poster with sample values and keep it."""
    require(actor, "template.edit")
    _check_images(session, actor, clean.images)
    if clean.poster is None:
        return PosterParts(images=list(clean.images))
    layout = PosterLayout.model_validate(clean.poster)
    image = _render(session, actor, layout, sample_values(slots), keep=True)
    return PosterParts(poster=clean.poster, images=list(clean.images), rendered_sha256=image.sha256)


def preview_draft(session: Session, actor: Actor, draft: TemplateDraft) -> PosterRender | None:
    """The editor's preview of a poster draft with sample values (not kept), None for a text draft; a
    ValidationError names the field or the layer whose text does not fit."""
    require(actor, "template.edit")
    clean, slots, _ = validate_draft(draft)
    if clean.poster is None:
        return None
    return _render(
        session, actor, PosterLayout.model_validate(clean.poster), sample_values(slots), keep=False
    )


def record_branch_poster(
    session: Session, actor: Actor, version: TemplateVersion, values: dict[str, str], *, keep: bool = True
) -> PosterRender | None:
    """A variant's poster: the version's layout with the branch's slot values and branch overlays (no staff
    overlay, no QR); None for a text template. `keep` stores the PNG (a saved variant), else a preview."""
    require(actor, "variant.read")
    if version.poster is None:
        return None
    return _render(session, actor, PosterLayout.model_validate(version.poster), values, keep=keep)
