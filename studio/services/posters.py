"""Posters for pages, exports and the command line (issue 12): the branch's base render and the render for
one staff member, drawn on demand by studio.posters and cached on disk.

- A base (background, text layers, branch overlays) is what approval binds (`rendered_sha256` on the
  template version or the variant). It lives content-addressed in the asset store, <data_dir>/assets; when
  the row names no stored render yet, it is drawn from the slot values and stored there.
- A staff render (their name, title and the QR code of their contact link composited onto the base) lives
  content-addressed under <data_dir>/renders. An index entry under <data_dir>/renders/keys names it by the
  sha256 of everything it is drawn from (template version, base hash, org, staff member and their name,
  title and link, renderer version): change any of them and the key changes, so a stale render is never
  served; the same inputs find the file without drawing.

Who may see what: readers of variants in their scope (localisers, reviewers, HQ, admins); a staff member
sees approved content placed for their org or above it, rendered only for themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from studio.db.models import Asset, Org, Template, TemplateVersion, User, Variant
from studio.domain.enums import Channel, ProductType, ReviewState, Role
from studio.domain.files import write_atomic
from studio.domain.views import Actor
from studio.errors import NotFound, PermissionDenied, ValidationError
from studio.localisation.slots import SlotSpec
from studio.localisation.slots import sample_values as slot_samples
from studio.materials import asset_store
from studio.posters.layout import OverlayField, PosterLayout
from studio.posters.render import RenderedPoster, StaffFields, render_base, render_for_staff
from studio.posters.texts import branch_fields, compliance_text, layer_texts, sample_values
from studio.services.assets import _library_image, assets_dir

# _org_defaults from orgs, not variants: variants imports the staff feed, which shows posters (a cycle).
from studio.services.orgs import _org_defaults, get_org
from studio.settings import get_settings
from studio.workflow.permissions import can, in_scope, require, require_scope

# Bump when drawing changes (font, line breaking, placement): every cached staff render is then redrawn.
RENDERER = "posters-1"
PNG = "image/png"


class PosterImage(BaseModel):
    """One image of a post as a file on this server: its hash, size, the text of its QR code if any."""

    model_config = ConfigDict(frozen=True)

    sha256: str
    width: int
    height: int
    qr: str | None
    media_type: str
    path: str


class PosterLayerRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    kind: str


class PosterTemplateRow(BaseModel):
    """A poster template as `studio poster list` shows it: its latest version's title and layers."""

    model_config = ConfigDict(frozen=True)

    code: str
    title: str
    version_id: int
    layers: tuple[PosterLayerRow, ...]


class OrgPoster(BaseModel):
    """A template's poster for one org (and staff member): the image and the text compliance checks."""

    model_config = ConfigDict(frozen=True)

    image: PosterImage
    template_code: str
    version_id: int
    variant_id: int | None  # None: no approved variant, drawn from samples and the org's own values
    text: str
    product_type: ProductType
    channel: Channel


# --- files ---------------------------------------------------------------------------------------------------


def renders_dir() -> Path:
    return get_settings().data_dir / "renders"


def _key(*parts: Any) -> str:
    text = json.dumps([RENDERER, *parts], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _index_path(key: str) -> Path:
    return renders_dir() / "keys" / key[:2] / f"{key}.json"


def _image(root: Path, sha256: str, width: int, height: int, qr: str | None) -> PosterImage:
    path = asset_store.path_for(root, sha256, "png")
    return PosterImage(sha256=sha256, width=width, height=height, qr=qr, media_type=PNG, path=str(path))


def _from_index(key: str, root: Path) -> PosterImage | None:
    try:
        entry = json.loads(_index_path(key).read_text(encoding="utf-8"))
        image = _image(root, entry["sha256"], int(entry["width"]), int(entry["height"]), entry["qr"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return image if Path(image.path).is_file() else None


def _cached(key: str, root: Path, draw: Callable[[], RenderedPoster]) -> PosterImage:
    """The render indexed under `key`, or drawn now, stored content-addressed under `root` and indexed."""
    found = _from_index(key, root)
    if found is not None:
        return found
    rendered = draw()
    asset_store.store(root, rendered.png, "png")
    entry = {"sha256": rendered.sha256, "width": rendered.width, "height": rendered.height, "qr": rendered.qr}
    write_atomic(_index_path(key), json.dumps(entry).encode("utf-8"))
    return _image(root, rendered.sha256, rendered.width, rendered.height, rendered.qr)


def _stored(sha256: str | None, layout: PosterLayout) -> PosterImage | None:
    """The approved base render named on the row, if its file is in the asset store."""
    if not sha256:
        return None
    image = _image(assets_dir(), sha256, layout.width, layout.height, None)
    return image if Path(image.path).is_file() else None  # content-addressed, written by temp + rename


def _background(session: Session, sha256: str) -> bytes:
    return _library_image(session, sha256)[1]


# --- drawing -------------------------------------------------------------------------------------------------


def _layout(version: TemplateVersion) -> PosterLayout | None:
    return PosterLayout.model_validate(version.poster) if version.poster else None


def _base(
    session: Session,
    version: TemplateVersion,
    layout: PosterLayout,
    values: dict[str, str],
    stored: str | None,
) -> PosterImage:
    """The approved render if it is on disk; else drawn from `values` (the same inputs draw the same bytes)."""
    found = _stored(stored, layout)
    if found is not None:
        return found
    key = _key("base", version.id, version.poster, values)
    texts, fields = layer_texts(layout, values), branch_fields(values)
    return _cached(
        key, assets_dir(), lambda: render_base(layout, _background(session, layout.background), texts, fields)
    )


def _staff_fields(user: User) -> StaffFields:
    return StaffFields(name=user.display_name, title=user.job_title, link=user.contact_link)


def _for_staff(
    version: TemplateVersion, layout: PosterLayout, base: PosterImage, org_id: int, user: User
) -> PosterImage:
    staff = _staff_fields(user)
    key = _key("staff", version.id, base.sha256, org_id, user.id, staff.name, staff.title, staff.link)
    return _cached(key, renders_dir(), lambda: render_for_staff(layout, Path(base.path).read_bytes(), staff))


# --- who may see what ----------------------------------------------------------------------------------------


def _reader(actor: Actor) -> str:
    """The capability a poster reader uses: variants in scope, or (staff) today's content."""
    return "variant.read" if can(actor, "variant.read") else "today.read"


def _variant_in_reach(session: Session, actor: Actor, variant_id: int) -> tuple[Variant, Org]:
    variant = session.get(Variant, variant_id)
    org = session.get(Org, variant.org_id) if variant is not None else None
    if variant is None or org is None:
        raise NotFound(f"variant {variant_id} not found")
    approved_above = variant.state == ReviewState.APPROVED.value and actor.org_path.startswith(org.path)
    if can(actor, "variant.read"):
        if not approved_above:  # a parent's approved content is on the org's calendar, like the staff's
            require_scope(actor, org.path)
    elif not approved_above:
        raise NotFound(f"variant {variant_id} not found")  # staff: approved content placed for them or above
    return variant, org


def _staff_user(session: Session, actor: Actor, staff_id: int, org: Org) -> User:
    """The staff member a poster is drawn for: oneself for staff; someone of the org or below it, in the
    actor's scope, for everyone else."""
    if actor.role == Role.STAFF and staff_id != actor.user_id:
        raise PermissionDenied("staff may render posters only for themselves", "只能生成本人的海报。")
    user = session.get(User, staff_id)
    staff_org = session.get(Org, user.org_id) if user is not None else None
    if user is None or staff_org is None or not in_scope(actor, staff_org.path):
        raise NotFound(f"user {staff_id} not found")
    if not staff_org.path.startswith(org.path):
        raise ValidationError(
            f"user {user.username} does not belong to {org.code}",
            f"员工 {user.display_name} 不属于{org.name}。",
        )
    return user


# --- services ------------------------------------------------------------------------------------------------


def render_version_base(session: Session, actor: Actor, version_id: int) -> PosterImage | None:
    """A poster template version drawn with its sample values (the approved render when stored): the
    preview for editors and reviewers. None for a text template."""
    require(actor, "template.read")
    version = session.get(TemplateVersion, version_id)
    if version is None:
        raise NotFound(f"template version {version_id} not found")
    layout = _layout(version)
    if layout is None:
        return None
    values = sample_values(SlotSpec.model_validate(s) for s in version.slots)
    return _base(session, version, layout, values, version.rendered_sha256)


def variant_poster(
    session: Session, actor: Actor, variant_id: int, *, staff_id: int | None = None
) -> PosterImage | None:
    """A variant's poster: the branch render, or with `staff_id` the render for that staff member (their
    name, title, the QR code of their contact link). None for a text variant."""
    require(actor, _reader(actor))
    variant, org = _variant_in_reach(session, actor, variant_id)
    version = session.get(TemplateVersion, variant.template_version_id)
    layout = _layout(version) if version is not None else None
    if version is None or layout is None:
        return None
    values = {k: str(v) for k, v in variant.slot_values.items()}
    base = _base(session, version, layout, values, variant.rendered_sha256)
    if staff_id is None:
        return base
    return _for_staff(version, layout, base, org.id or 0, _staff_user(session, actor, staff_id, org))


def _asset_image(session: Session, sha256: str) -> PosterImage:
    asset = session.exec(select(Asset).where(col(Asset.sha256) == sha256)).first()
    if asset is None:
        raise NotFound(f"image {sha256[:12]} not found", "图片不存在或已被删除。")
    ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(asset.media_type, "png")
    path = asset_store.path_for(assets_dir(), sha256, ext)
    return PosterImage(
        sha256=sha256,
        width=asset.width,
        height=asset.height,
        qr=None,
        media_type=asset.media_type,
        path=str(path),
    )


def post_images(
    session: Session, actor: Actor, variant_id: int, *, staff_id: int | None = None
) -> list[PosterImage]:
    """Every image that goes out with a post, in order: the poster (for `staff_id` when given), then the
    template version's images (九宫格). [] for a text-only post."""
    require(actor, _reader(actor))
    variant, _ = _variant_in_reach(session, actor, variant_id)
    version = session.get(TemplateVersion, variant.template_version_id)
    if version is None:
        return []
    poster = variant_poster(session, actor, variant_id, staff_id=staff_id)
    return ([poster] if poster else []) + [_asset_image(session, sha) for sha in version.images or []]


def list_poster_templates(session: Session, actor: Actor) -> list[PosterTemplateRow]:
    """The latest version of every poster template, by code."""
    require(actor, "template.read")
    rows = session.exec(
        select(Template, TemplateVersion)
        .join(TemplateVersion, col(TemplateVersion.template_id) == Template.id)
        .where(
            col(TemplateVersion.version_no) == Template.latest_version_no,
            col(TemplateVersion.channel) == Channel.POSTER.value,
        )
        .order_by(col(Template.code))
    ).all()
    out: list[PosterTemplateRow] = []
    for template, version in rows:
        layout = _layout(version)
        if layout is not None:
            layers = tuple(PosterLayerRow(name=layer.name, kind=layer.kind) for layer in layout.layers)
            out.append(
                PosterTemplateRow(
                    code=template.code, title=version.title, version_id=version.id or 0, layers=layers
                )
            )
    return out


def _approved_variant(session: Session, template_id: int, org_id: int) -> Variant | None:
    return session.exec(
        select(Variant)
        .join(TemplateVersion, col(TemplateVersion.id) == Variant.template_version_id)
        .where(
            col(TemplateVersion.template_id) == template_id,
            col(Variant.org_id) == org_id,
            col(Variant.state) == ReviewState.APPROVED.value,
        )
        .order_by(col(Variant.id).desc())
    ).first()


def _template_version(session: Session, template_id: int) -> TemplateVersion | None:
    """The latest approved version, else the latest one."""
    versions = session.exec(
        select(TemplateVersion)
        .where(col(TemplateVersion.template_id) == template_id)
        .order_by(col(TemplateVersion.version_no).desc())
    ).all()
    approved = [v for v in versions if v.state == ReviewState.APPROVED.value]
    return next(iter(approved or versions), None)


def org_poster(
    session: Session, actor: Actor, template_id: int, org_id: int, *, staff_id: int | None = None
) -> OrgPoster | None:
    """A poster template drawn for an org: its approved variant if it has one, else the template's samples
    with what the org tree knows (branch and bank name); with `staff_id`, for that staff member. The text
    is every layer's text as drawn, for the compliance check. None for a text template."""
    require(actor, "variant.read")
    org = get_org(session, actor, org_id)
    template = session.get(Template, template_id)
    if template is None:
        raise NotFound(f"template {template_id} not found")
    variant = _approved_variant(session, template_id, org_id)
    version = session.get(TemplateVersion, variant.template_version_id) if variant else None
    version = version or _template_version(session, template_id)
    layout = _layout(version) if version is not None else None
    if version is None or layout is None:
        return None
    values = _org_values(session, actor, version, org, variant)
    image = _base(session, version, layout, values, variant.rendered_sha256 if variant else None)
    fields = branch_fields(values)
    if staff_id is not None:
        user = _staff_user(session, actor, staff_id, org)
        image = _for_staff(version, layout, image, org.id or 0, user)
        fields |= {OverlayField.STAFF_NAME: user.display_name, OverlayField.STAFF_TITLE: user.job_title or ""}
    return OrgPoster(
        image=image,
        template_code=template.code,
        version_id=version.id or 0,
        variant_id=variant.id if variant else None,
        text=compliance_text(layout, layer_texts(layout, values), fields),
        product_type=ProductType(version.product_type),
        channel=Channel(version.channel),
    )


def _org_values(
    session: Session, actor: Actor, version: TemplateVersion, org: Org, variant: Variant | None
) -> dict[str, str]:
    if variant is not None:
        return {k: str(v) for k, v in variant.slot_values.items()}
    # The template's own samples only: a standard sample address would put another branch's on this poster.
    samples = slot_samples([SlotSpec.model_validate(s) for s in version.slots])
    return {**samples, **_org_defaults(session, actor, org)}
