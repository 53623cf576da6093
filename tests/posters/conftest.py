"""A poster template in the database without the library: an uploaded background, a version whose layout
names it, and an approved variant for 章贡支行 (JX-A). Until poster templates come from library files,
this is how poster tests get one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session, select

from studio.db.models import Template, TemplateVersion, User, Variant
from studio.domain.enums import AssetKind
from studio.localisation.render import variables_of
from studio.localisation.slots import SlotSpec, resolve_slots
from studio.services.assets import upload_asset
from tests.conftest import World
from tests.posters.helpers import background, layout

VARIANT_VALUES = {
    "branch_name": "章贡支行",
    "hotline": "0797-8888888",
    "branch_address": "章贡区文清路88号",
    "service_hours": "周一至周日 9:00-17:00",
}


@dataclass
class PosterWorld:
    world: World
    template: Template
    version: TemplateVersion
    variant: Variant  # approved, JX-A

    @property
    def session(self) -> Session:
        return self.world.session

    def user(self, username: str) -> User:
        return self.session.exec(select(User).where(User.username == username)).one()


def _version(template: Template, editor: User, poster: dict[str, Any], body: str) -> TemplateVersion:
    hotline = SlotSpec(name="hotline", label="服务热线", sample="95588", max_length=20)
    slots = [s.model_dump(mode="json") for s in resolve_slots(variables_of(body), [hotline])]
    return TemplateVersion(
        template_id=template.id or 0,
        version_no=1,
        title="反诈提醒海报",
        body=body,
        slots=slots,
        occasion_kind="everyday",
        content_type="knowledge",
        persona="expert",
        channel="poster",
        product_type="general",
        state="approved",
        verdict="pass",
        findings=[],
        ruleset="t",
        created_by=editor.id or 0,
        poster=poster,
    )


def make_poster_world(world: World, code: str = "p-antifraud") -> PosterWorld:
    s = world.session
    asset = upload_asset(
        s, world.actor("editor"), background(), title="底图", kind=AssetKind.BACKGROUND.value
    )
    editor = s.exec(select(User).where(User.username == "editor")).one()
    lay = layout(asset.sha256)
    template = Template(code=code, owner_org_id=editor.org_id, created_by=editor.id or 0)
    s.add(template)
    s.flush()
    version = _version(template, editor, lay.model_dump(mode="json"), lay.body())
    s.add(version)
    s.flush()
    jx_a = world.actor("loc_a").org_id
    variant = Variant(
        org_id=jx_a,
        template_version_id=version.id or 0,
        title=version.title,
        slot_values=VARIANT_VALUES,
        text=lay.body(),
        state="approved",
        verdict="pass",
        findings=[],
        ruleset="t",
        created_by=editor.id or 0,
    )
    s.add(variant)
    s.commit()
    return PosterWorld(world, template, version, variant)


@pytest.fixture
def posters_world(world: World) -> PosterWorld:
    return make_poster_world(world)
