"""Library images (issue 12): HQ uploads backgrounds, theme skins and images from outside (photos: an agency
poster, a photo of a flyer); everyone lists them. Each upload's text is recognised (OCR) and kept on the row.

An upload is checked and re-encoded (studio.materials.images), stored content-addressed under
<data_dir>/assets (studio.materials.asset_store) and recorded once: the same image twice is one file, one row.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from studio.db.models import Asset
from studio.domain.enums import AssetKind, ContentType, OccasionKind, ProductType
from studio.domain.views import Actor, AssetPage, AssetView
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.materials import asset_store
from studio.materials.images import ImageFacts, inspect_image, sanitise
from studio.materials.ocr import recognise
from studio.posters.layout import is_sha256
from studio.settings import get_settings
from studio.workflow import audit
from studio.workflow.permissions import at_head_office, require

MAX_TITLE = 100
MAX_PAGE = 100


class AssetTags(BaseModel):
    """Tags as on templates: codes or Chinese labels, checked in `upload_asset()`."""

    model_config = ConfigDict(frozen=True)

    occasion_kind: str = OccasionKind.EVERYDAY.value
    occasion: str | None = None
    content_type: str = ContentType.CULTURE.value
    product_type: str = ProductType.GENERAL.value
    region: str | None = None


_TAG_ZH = {
    "occasion_kind": "场景",
    "content_type": "内容类型",
    "product_type": "产品类型",
    "kind": "图片用途",
}


def _code(field: str, enum: type[OccasionKind | ContentType | ProductType | AssetKind], value: str) -> str:
    try:
        return enum.parse(value).value
    except ValueError:
        raise ValidationError(
            f"unknown {field} {value!r}", f"未知的标签“{value}”（{_TAG_ZH[field]}）。"
        ) from None


def _clean_tags(tags: AssetTags) -> AssetTags:
    occasion_kind = _code("occasion_kind", OccasionKind, tags.occasion_kind)
    if not OccasionKind(occasion_kind).taggable:
        raise ValidationError(
            f"occasion_kind {occasion_kind!r} is calendar context, not a tag", "该场景不能作为素材标签。"
        )
    return AssetTags(
        occasion_kind=occasion_kind,
        occasion=(tags.occasion or "").strip()[:60] or None,
        content_type=_code("content_type", ContentType, tags.content_type),
        product_type=_code("product_type", ProductType, tags.product_type),
        region=(tags.region or "").strip()[:20] or None,
    )


def _clean_title(title: str) -> str:
    clean = title.strip()
    if not clean:
        raise ValidationError("title is empty", "标题不能为空。")
    if len(clean) > MAX_TITLE:
        raise ValidationError(f"title longer than {MAX_TITLE}", f"标题最多 {MAX_TITLE} 字。")
    return clean


def assets_dir() -> Path:
    return get_settings().data_dir / "assets"


def _ext(media_type: str) -> str:
    return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[media_type]


def to_view(asset: Asset) -> AssetView:
    path = asset_store.path_for(assets_dir(), asset.sha256, _ext(asset.media_type))
    return AssetView(
        id=asset.id or 0,
        sha256=asset.sha256,
        media_type=asset.media_type,
        width=asset.width,
        height=asset.height,
        bytes=asset.bytes,
        title=asset.title,
        kind=AssetKind(asset.kind),
        occasion_kind=asset.occasion_kind,
        occasion=asset.occasion,
        content_type=asset.content_type,
        product_type=asset.product_type,
        region=asset.region,
        uploaded_by=asset.uploaded_by,
        org_id=asset.org_id,
        created_at=asset.created_at,
        path=str(path),
    )


def _require_head_office(actor: Actor) -> None:
    if not at_head_office(actor):
        raise PermissionDenied(
            "only head-office editors may upload library images", "仅总行素材编辑可上传图片素材。"
        )


def _by_sha(session: Session, sha256: str) -> Asset | None:
    return session.exec(select(Asset).where(col(Asset.sha256) == sha256)).first()


def _library_image(session: Session, sha256: str) -> tuple[Asset, bytes]:
    """A library image's row and stored bytes, for the poster services (HQ material: whoever may render a
    poster may read its background); NotFound when the row or its file is gone."""
    asset = _by_sha(session, sha256) if is_sha256(sha256) else None
    if asset is None:
        raise NotFound(f"no library image {sha256[:64]!r}", "所选图片素材不存在或已被删除。")
    try:
        return asset, Path(to_view(asset).path).read_bytes()
    except OSError:
        raise NotFound(
            f"the file of library image {sha256} is missing", "图片素材文件缺失，请重新上传。"
        ) from None


def _insert(session: Session, asset: Asset) -> Asset:
    """Insert in a savepoint: a concurrent upload of the same image wins the unique sha256, and we use its row."""
    try:
        with session.begin_nested():
            session.add(asset)
        return asset
    except IntegrityError:
        existing = _by_sha(session, asset.sha256)
        if existing is None:
            raise
        return existing


def stored_form(data: bytes, *, known: object | None) -> bytes:
    """The bytes an upload is stored as: bytes that already are a stored asset (`known`: its row, e.g. an
    exported library file) stay as they are, since re-encoding a lossy format is not idempotent; any other
    upload is re-encoded from its pixels (`sanitise`)."""
    return data if known is not None else sanitise(data)


def upload_asset(
    session: Session, actor: Actor, data: bytes, *, title: str, kind: str, tags: AssetTags | None = None
) -> AssetView:
    """Check, sanitise, store and record an image; the same image again returns the existing asset."""
    require(actor, "template.edit")
    asset = record_asset(session, actor, data, title=title, kind=kind, tags=tags)
    session.commit()
    return to_view(asset)


def _described(row: Asset, facts: ImageFacts, actor: Actor) -> Asset:
    """A new row with the image's facts and its uploader."""
    row.media_type, row.width, row.height, row.bytes = (
        facts.media_type,
        facts.width,
        facts.height,
        facts.bytes,
    )
    row.uploaded_by, row.org_id = actor.user_id, actor.org_id
    return row


def record_asset(
    session: Session,
    actor: Actor,
    data: bytes,
    *,
    title: str,
    kind: str,
    tags: AssetTags | None = None,
    clean: bytes | None = None,
    read_text: bool = True,
) -> Asset:
    """`upload_asset` without the commit (the library import writes many in one transaction). `clean` is
    what the caller already made of `data` with `stored_form`. `read_text=False` leaves OCR for later (the
    library import: its backgrounds are drawn by our own script without text, and reading 38 of them would
    cost a minute per import; a 九宫格 image is read when a post first uses it, services/post_images.py)."""
    require(actor, "template.edit")
    _require_head_office(actor)
    clean_title = _clean_title(title)
    kind_code = _code("kind", AssetKind, kind)
    clean_tags = _clean_tags(tags or AssetTags())
    body = (
        clean if clean is not None else stored_form(data, known=_by_sha(session, asset_store.address(data)))
    )
    facts = inspect_image(body)
    sha256, _ = asset_store.store(assets_dir(), body, facts.ext)
    existing = _by_sha(session, sha256)
    # Every kind is read (~0.5 s an image, README): HQ backgrounds must not carry text that escapes checking.
    unread = read_text and (existing is None or existing.ocr is None)
    ocr = recognise(body).model_dump(mode="json") if unread else None
    if existing is not None and ocr is not None:
        existing.ocr = ocr
        session.add(existing)
    row = Asset(sha256=sha256, title=clean_title, kind=kind_code, ocr=ocr, **clean_tags.model_dump())
    asset = existing or _insert(session, _described(row, facts, actor))
    details = {"sha256": sha256, "kind": asset.kind, "bytes": asset.bytes, "duplicate": existing is not None}
    audit.append(session, actor, "asset.upload", f"asset:{asset.id}", details)
    return asset


def list_assets(
    session: Session, actor: Actor, *, kind: str | None = None, offset: int = 0, limit: int = 24
) -> AssetPage:
    """Library images, newest first (HQ material: every signed-in role may see it)."""
    require(actor, "asset.read")
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    query = select(Asset)
    counted = select(func.count()).select_from(Asset)
    if kind:
        code = _code("kind", AssetKind, kind)
        query = query.where(col(Asset.kind) == code)
        counted = counted.where(col(Asset.kind) == code)
    rows = session.exec(
        query.order_by(col(Asset.created_at).desc(), col(Asset.id).desc()).offset(offset).limit(limit)
    )
    total = session.exec(counted).one()
    return AssetPage(items=[to_view(a) for a in rows], total=total, offset=offset, limit=limit)
