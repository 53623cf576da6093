"""Library images as a use case: who may upload, content addressing (one file, one row), audit, listing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from studio.db.models import Asset, AuditEvent
from studio.domain.enums import AssetKind
from studio.errors import ImageRefused, PermissionDenied, ValidationError
from studio.services.assets import AssetTags, assets_dir, list_assets, upload_asset
from tests.conftest import World


def png(color: str = "red", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def stored_files() -> list[Path]:
    root = assets_dir()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("username", ["loc_a", "reviewer", "jx_reviewer", "staff_a", "admin"])
def test_only_head_office_editors_upload(world: World, username: str) -> None:
    with pytest.raises(PermissionDenied):
        upload_asset(world.session, world.actor(username), png(), title="春节背景", kind="background")
    assert not world.session.exec(select(Asset)).all()
    assert not stored_files()


def test_editor_outside_head_office_refused(world: World) -> None:
    editor = world.actor("editor")
    branch_editor = editor.model_copy(update={"org_path": editor.org_path + "99/"})
    with pytest.raises(PermissionDenied):
        upload_asset(world.session, branch_editor, png(), title="春节背景", kind="background")
    assert not stored_files()


def test_same_upload_twice_is_one_file_and_one_row(world: World) -> None:
    editor = world.actor("editor")
    tags = AssetTags(occasion_kind="节庆", occasion="春节", content_type="culture", product_type="general")
    first = upload_asset(world.session, editor, png(), title="春节背景", kind="background", tags=tags)
    second = upload_asset(world.session, editor, png(), title="又一次", kind="theme_skin")
    assert second.id == first.id and second.title == "春节背景"
    assert len(world.session.exec(select(Asset)).all()) == 1
    files = stored_files()
    assert [str(p) for p in files] == [first.path]
    assert files[0].name == f"{first.sha256}.png" and files[0].parent.name == first.sha256[:2]
    assert files[0].read_bytes().startswith(b"\x89PNG")
    assert (first.width, first.height, first.media_type, first.kind) == (
        32,
        24,
        "image/png",
        AssetKind.BACKGROUND,
    )
    assert (first.occasion_kind, first.occasion) == ("festival", "春节")
    events = world.session.exec(select(AuditEvent).where(AuditEvent.action == "asset.upload")).all()
    assert [e.details["duplicate"] for e in events] == [False, True]
    assert {e.subject for e in events} == {f"asset:{first.id}"}
    assert all(e.actor == "editor" for e in events)


def test_refused_image_leaves_no_file_and_no_row(world: World) -> None:
    with pytest.raises(ImageRefused):
        upload_asset(world.session, world.actor("editor"), b"<svg></svg>", title="x", kind="background")
    with pytest.raises(ValidationError):
        upload_asset(
            world.session,
            world.actor("editor"),
            png(),
            title="x",
            kind="background",
            tags=AssetTags(product_type="lottery"),
        )
    with pytest.raises(ValidationError):
        upload_asset(world.session, world.actor("editor"), png(), title="  ", kind="background")
    assert not world.session.exec(select(Asset)).all()
    assert not stored_files()


def test_list_newest_first_and_by_kind(world: World) -> None:
    editor = world.actor("editor")
    upload_asset(world.session, editor, png("red"), title="红", kind="background")
    upload_asset(world.session, editor, png("blue"), title="蓝", kind="theme_skin")
    upload_asset(world.session, editor, png("green"), title="绿", kind="海报背景")
    page = list_assets(world.session, world.actor("staff_a"))
    assert [a.title for a in page.items] == ["绿", "蓝", "红"] and page.total == 3
    skins = list_assets(world.session, editor, kind="theme_skin")
    assert [a.title for a in skins.items] == ["蓝"] and skins.total == 1
    assert list_assets(world.session, editor, limit=1, offset=1).items[0].title == "蓝"


def test_asset_migration_upgrades_and_downgrades(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from studio.db import migrate
    from studio.db.engine import make_engine

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    assert "asset" in inspect(engine).get_table_names()
    command.downgrade(migrate.alembic_config(db_url), "0013")
    assert "asset" not in inspect(engine).get_table_names()
    migrate.upgrade(db_url)
    assert {"sha256", "kind", "occasion_kind", "uploaded_by", "org_id"} <= {
        c["name"] for c in inspect(engine).get_columns("asset")
    }
    engine.dispose()
