"""A post's images (九宫格): which library images a template version carries, and their text in its check.

A Moments post may carry 1–9 images, a group, private or welcome message one, a poster none besides itself.
Every image's recognised text (`Asset.ocr`, studio/materials/ocr.py) is checked with the body as one post
(studio.materials.image_check.check_post): a banned phrase in image 7 blocks the post, and its finding says
`"image": 7` and where on the image it is (`"box"`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError
from sqlmodel import Session, col, select

from studio.compliance import CheckResult
from studio.db.models import Asset, Org, TemplateVersion, Variant
from studio.domain.enums import AssetKind, Channel, ProductType, Verdict
from studio.domain.views import Actor
from studio.errors import NotFound, ValidationError
from studio.localisation.draft import TemplateDraft
from studio.materials import asset_store
from studio.materials.image_check import check_post as check_post_texts
from studio.materials.image_check import check_recognised
from studio.materials.ocr import OcrResult, recognise
from studio.services.assets import assets_dir
from studio.services.rules import active_ruleset
from studio.workflow.permissions import require, require_scope

MAX_IMAGES = 9
_LIMITS = {Channel.MOMENTS: MAX_IMAGES, Channel.POSTER: 0}  # every other channel: one image
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CheckedImage(BaseModel):
    """One image of a post (or a library image on its own): where its bytes are, what it says, and the
    findings placed on it (each with "box": [x0, y0, x1, y1] or None)."""

    model_config = ConfigDict(frozen=True)

    number: int  # position in the post, 1-based (1 for a library image on its own)
    sha256: str
    title: str
    media_type: str
    width: int
    height: int
    path: str
    ocr_text: str | None  # None: not recognised yet
    verdict: Verdict | None  # the image's own verdict where it was checked alone; None within a post
    findings: list[dict[str, Any]]


def max_images(channel: str | Channel) -> int:
    return _LIMITS.get(Channel(channel), 1)


def _clean_list(channel: str, images: Sequence[str]) -> list[str]:
    shas = [str(sha).strip().lower() for sha in images]
    limit = max_images(channel)
    if len(shas) > limit:
        label = Channel(channel).label
        raise ValidationError(
            f"a {channel} post carries at most {limit} images ({len(shas)} given)",
            f"{label}最多配 {limit} 张图片（当前 {len(shas)} 张）。",
        )
    if any(not _SHA256.match(sha) for sha in shas):
        raise ValidationError(
            "an image is not a library image address (sha256)", "图片不是图片素材库中的图片。"
        )
    if len(set(shas)) != len(shas):
        raise ValidationError("the same image is in the post twice", "同一张图片不能重复出现在一条内容中。")
    return shas


def _assets(session: Session, shas: Sequence[str]) -> list[Asset]:
    """The library images named, in the order named; NotFound-like refusal for any that is not there."""
    rows = {a.sha256: a for a in session.exec(select(Asset).where(col(Asset.sha256).in_(list(shas))))}
    missing = [sha[:12] for sha in shas if sha not in rows or rows[sha].kind == AssetKind.RENDER.value]
    if missing:
        raise ValidationError(
            f"images not in the library: {', '.join(missing)}", "所选图片不在图片素材库中，请重新选择。"
        )
    return [rows[sha] for sha in shas]


def _ext(asset: Asset) -> str:
    return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[asset.media_type]


def _path(asset: Asset) -> str:
    return str(asset_store.path_for(assets_dir(), asset.sha256, _ext(asset)))


def _recognised(asset: Asset) -> OcrResult:
    """The asset's stored OCR, or its text recognised now from its stored bytes (not stored: a read)."""
    if asset.ocr is not None:
        try:
            return OcrResult.model_validate(asset.ocr)
        except PydanticError:
            pass  # not what ocr.py stores (edited by hand?): read the image again
    try:
        with open(_path(asset), "rb") as stream:
            return recognise(stream.read())
    except OSError:
        raise ValidationError(
            f"the file of image {asset.sha256[:12]} is missing from the asset store",
            f"图片“{asset.title}”的文件缺失，请重新上传。",
        ) from None


def ensure_recognised(session: Session, actor: Actor, images: Sequence[str]) -> list[OcrResult]:
    """The recognised text of each image, in order; OCR runs (and is stored) for those without it."""
    require(actor, "template.read")
    found: list[OcrResult] = []
    for asset in _assets(session, images):
        result = _recognised(asset)
        if asset.ocr is None:
            asset.ocr = result.model_dump(mode="json")
            session.add(asset)
        found.append(result)
    return found


def ensure_draft_checked(
    session: Session, actor: Actor, draft: TemplateDraft, sample: str
) -> tuple[CheckResult, list[str]]:
    """A template draft's images checked (count for the channel, in the library, no repeats) and recognised,
    and the check of its sample text with every image's text; (result, the images' sha256s in order)."""
    require(actor, "template.edit")
    images = _clean_list(draft.channel, draft.images)
    texts = ensure_recognised(session, actor, images)
    result = check_post_texts(
        sample, texts, draft.product_type, draft.channel, ruleset=active_ruleset(session)
    )
    return result, images


def check_post(
    session: Session,
    actor: Actor,
    text: str,
    product: str | ProductType,
    channel: str | Channel,
    images: Sequence[str] = (),
) -> CheckResult:
    """What every save and decision of a post runs: the body and its images' text, with the active ruleset.
    Without images exactly `studio.services.rules.check`."""
    require(actor, "template.read")
    texts = [_recognised(asset) for asset in _assets(session, images)] if images else []
    return check_post_texts(
        text, texts, ProductType(product), Channel(channel), ruleset=active_ruleset(session)
    )


def _view(asset: Asset, number: int, findings: list[dict[str, Any]], verdict: Verdict | None) -> CheckedImage:
    return CheckedImage(
        number=number,
        sha256=asset.sha256,
        title=asset.title,
        media_type=asset.media_type,
        width=asset.width,
        height=asset.height,
        path=_path(asset),
        ocr_text=asset.ocr.get("text") if asset.ocr is not None else None,
        verdict=verdict,
        findings=findings,
    )


def _subject(session: Session, actor: Actor, subject_type: str, subject_id: int) -> TemplateVersion | Variant:
    if subject_type == "template_version":
        require(actor, "template.read")
        version = session.get(TemplateVersion, subject_id)
        if version is None:
            raise NotFound(f"template version {subject_id} not found")
        return version
    if subject_type == "variant":
        require(actor, "variant.read")
        found = session.exec(
            select(Variant, Org.path)
            .join(Org, col(Org.id) == col(Variant.org_id))
            .where(col(Variant.id) == subject_id)
        ).first()
        if found is None:
            raise NotFound(f"variant {subject_id} not found")
        require_scope(actor, found[1])
        return found[0]
    raise ValidationError(f"unknown subject type {subject_type}", "未知的内容类型。")


def images_of(session: Session, actor: Actor, subject_type: str, subject_id: int) -> list[CheckedImage]:
    """The images of a template version or variant, in order, each with the stored findings placed on it."""
    require(actor, "variant.read")  # the roles that read templates and variants (scope: `_subject`)
    subject = _subject(session, actor, subject_type, subject_id)
    version = (
        subject
        if isinstance(subject, TemplateVersion)
        else session.get(TemplateVersion, subject.template_version_id)
    )
    if version is None or not version.images:
        return []
    by_sha = {a.sha256: a for a in session.exec(select(Asset).where(col(Asset.sha256).in_(version.images)))}
    shown: list[CheckedImage] = []
    for number, sha in enumerate(version.images, start=1):
        if (asset := by_sha.get(sha)) is not None:
            placed = [f for f in subject.findings or [] if f.get("image") == number]
            shown.append(_view(asset, number, placed, None))
    return shown


def asset_check(session: Session, actor: Actor, asset_id: int) -> CheckedImage:
    """A library image checked on its own (its product type tag, as a Moments post): what 图片素材 shows."""
    require(actor, "asset.read")
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    if asset.ocr is None:
        return _view(asset, 1, [], None)
    checked = check_recognised(
        OcrResult.model_validate(asset.ocr),
        asset.product_type,
        Channel.MOMENTS,
        ruleset=active_ruleset(session),
    )
    return _view(asset, 1, checked.findings_json(), checked.result.verdict)
