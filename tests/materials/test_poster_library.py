"""Poster templates in library files: `studio library check` finds every problem of a poster entry at its
key (file:line field), import stores backgrounds as assets and binds the rendered poster's hash in the
digest, export writes them back, and a re-import of what export wrote changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from studio.db.models import Asset, AuditEvent, Template, TemplateVersion
from studio.domain.digest import content_digest
from studio.domain.enums import ReviewState
from studio.materials import asset_store
from studio.materials.exporter import export_library
from studio.materials.validate import LibraryProblems, check_library
from studio.services.assets import assets_dir
from studio.services.library_import import ensure_library_actor, import_library

from .poster_fixtures import (
    BRANCH_LAYER,
    QR_LAYER,
    TITLE_LAYER,
    png,
    poster_entry,
    write_library,
)


def _lines(root: Path) -> list[str]:
    return [p.render(str(p.path.relative_to(root))) for p in check_library(root).problems]


def _line_of(root: Path, marker: str) -> int:
    text = (root / "posters" / "posters.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(text, 1) if marker in line)


def test_a_good_poster_library_passes(tmp_path: Path) -> None:
    root = write_library(tmp_path, [poster_entry(), poster_entry("poster-two")])
    report = check_library(root)
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.entries) == 2


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1080" height="1920"></svg>'
OVERFLOW = (
    '{name: title, kind: text, text: "' + "新春快乐万事如意" * 20 + '", '
    "box: {x: 60, y: 200, w: 300, h: 60}, font_size: [40, 48], max_lines: 1}"
)
BANNED = (
    '{name: promise, kind: text, text: "保本保息，稳赚不赔，零风险", '
    "box: {x: 60, y: 900, w: 960, h: 200}, font_size: [32, 60], max_lines: 2}"
)
OUTSIDE = (
    "{name: body, kind: text, text: 新春快乐, box: {x: 900, y: 600, w: 400, h: 200}, font_size: [32, 60]}"
)
DUPLICATE = (
    "{name: title, kind: text, text: 新春快乐, box: {x: 60, y: 600, w: 900, h: 200}, font_size: [32, 60]}"
)
TEN = "    images: [" + ", ".join(["backgrounds/spring.png"] * 10) + "]\n"

# name -> (entry, files (None: the default background), marker of the line, field, message fragment)
HOSTILE: dict[str, tuple[str, dict[str, bytes] | None, str, str, str]] = {
    "missing background": (
        poster_entry(background="backgrounds/gone.png"),
        None,
        "background: backgrounds/gone.png",
        "poster.background",
        "file not found: posters/backgrounds/gone.png",
    ),
    "svg renamed .png": (
        poster_entry(),
        {"backgrounds/spring.png": SVG},
        "background: backgrounds/spring.png",
        "poster.background",
        "only PNG, JPEG and WebP images are accepted",
    ),
    "wrong size": (
        poster_entry(),
        {"backgrounds/spring.png": png(size=(1080, 1080))},
        "background: backgrounds/spring.png",
        "poster.background",
        "the image is 1080x1080, the layout says 1080x1920",
    ),
    "background outside the library": (
        poster_entry(background="../../etc/passwd"),
        None,
        "background: ../../etc/passwd",
        "poster.background",
        "relative path below posters/",
    ),
    "layer outside the canvas": (
        poster_entry(layers=(TITLE_LAYER, OUTSIDE, QR_LAYER)),
        None,
        "name: body, kind: text, text: 新春快乐, box: {x: 900",
        "poster.layers[1].box",
        "lies outside the 1080x1920 canvas",
    ),
    "duplicate layer names": (
        poster_entry(layers=(TITLE_LAYER, DUPLICATE, QR_LAYER)),
        None,
        "text: 新春快乐, box: {x: 60, y: 600",
        "poster.layers[1].name",
        "layer name 'title' used twice",
    ),
    "text overflow": (
        poster_entry(layers=(OVERFLOW, BRANCH_LAYER, QR_LAYER)),
        None,
        "新春快乐万事如意新春快乐",
        "poster.layers[0]",
        "title",
    ),
    "non-compliant layer text": (
        poster_entry(layers=(TITLE_LAYER, BANNED, QR_LAYER), product_type="wealth"),
        None,
        "保本保息",
        "poster.layers[1].text",
        "compliance verdict block for wealth/poster",
    ),
    "ten images": (poster_entry(extra=TEN), None, "images: [", "images", "1 to 9 image files"),
    "a body besides the layers": (
        poster_entry(extra="    body: 新春快乐\n"),
        None,
        "body: 新春快乐",
        "body",
        "derived from its text layers",
    ),
    "small qr": (
        poster_entry(layers=(TITLE_LAYER, "{name: qr, kind: qr, box: {x: 760, y: 1560, w: 60, h: 60}}")),
        None,
        "name: qr, kind: qr",
        "poster.layers[1]",
        "at least 120 pixels",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_poster_entries_are_refused_at_their_key(tmp_path: Path, name: str) -> None:
    entry, files, marker, field, fragment = HOSTILE[name]
    root = write_library(tmp_path, [entry], files=files)
    lines = _lines(root)
    assert lines, f"{name}: accepted"
    line = _line_of(root, marker)
    expected = f"posters/posters.yaml:{line} {field}: "
    assert any(p.startswith(expected) and fragment in p for p in lines), (expected, fragment, lines)


def test_poster_entries_belong_in_the_posters_folder(tmp_path: Path) -> None:
    root = write_library(tmp_path, [poster_entry()])
    (root / "templates").mkdir()
    (root / "posters" / "posters.yaml").rename(root / "templates" / "misplaced.yaml")
    assert any("poster templates belong in posters/" in line for line in _lines(root))


def test_text_entries_may_carry_images(tmp_path: Path) -> None:
    root = write_library(tmp_path, [poster_entry()])
    (root / "templates").mkdir()
    text = (
        "templates:\n  - code: moments-nine\n    title: 九宫格\n    occasion_kind: festival\n"
        "    occasion: 春节\n    content_type: culture\n    persona: perks\n    channel: moments\n"
        "    product_type: general\n    images: [backgrounds/spring.png, backgrounds/other.png]\n"
        "    body: 新春快乐，{{ branch_name }}给您拜年！\n"
    )
    (root / "templates" / "t.yaml").write_text(text, encoding="utf-8")
    assert _lines(root) == ["templates/t.yaml:10 images[1]: file not found: posters/backgrounds/other.png"]
    (root / "posters" / "backgrounds" / "other.png").write_bytes(png("#123456", (600, 600)))
    assert _lines(root) == []


# -- import ------------------------------------------------------------------------------------------------


def _version(session: Session, code: str) -> TemplateVersion:
    template = session.exec(select(Template).where(Template.code == code)).one()
    return session.exec(
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template.id)
        .order_by(TemplateVersion.version_no.desc())  # type: ignore[attr-defined]
    ).first()  # type: ignore[return-value]


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_import_stores_the_background_once_and_binds_the_render(session: Session, tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib", [poster_entry(), poster_entry("poster-two")])
    report = import_library(session, root)
    assert sorted(report.created) == ["poster-spring", "poster-two"]
    assets = session.exec(select(Asset)).all()
    assert len(assets) == 1  # one file, two templates: one asset row
    assert assets[0].kind == "background" and assets[0].title == "spring"
    version = _version(session, "poster-spring")
    assert version.poster is not None and version.poster["background"] == assets[0].sha256
    assert version.body == "{{ branch_name }}恭祝新春快乐\n阖家团圆，万事如意"
    assert version.rendered_sha256 and re.fullmatch(r"[0-9a-f]{64}", version.rendered_sha256)
    stored = asset_store.path_for(assets_dir(), version.rendered_sha256, "png")
    assert asset_store.address(stored.read_bytes()) == version.rendered_sha256
    assert version.content_digest == content_digest(
        title=version.title,
        text=version.body,
        channel="poster",
        product_type="general",
        slots=version.slots,
        images=[version.rendered_sha256],
    )
    assert {s["name"] for s in version.slots} == {"branch_name"}  # the overlay's field is a slot too


def test_reimport_of_unchanged_files_writes_nothing(session: Session, tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib", [poster_entry()])
    import_library(session, root)
    audit = _count(session, AuditEvent)
    report = import_library(session, root)
    assert report.unchanged == ["poster-spring"] and not report.changed
    assert _count(session, AuditEvent) == audit
    assert _count(session, TemplateVersion) == 1


def test_a_changed_background_is_a_new_version_that_needs_review(session: Session, tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib", [poster_entry()])
    import_library(session, root)
    first = _version(session, "poster-spring")
    (root / "posters" / "backgrounds" / "spring.png").write_bytes(png("#203050"))
    report = import_library(session, root)
    assert report.updated == ["poster-spring"]
    second = _version(session, "poster-spring")
    assert second.version_no == 2 and second.state == ReviewState.SUBMITTED.value
    assert second.body == first.body  # same words, new picture:
    assert second.rendered_sha256 != first.rendered_sha256
    assert second.content_digest != first.content_digest
    assert second.poster["background"] != first.poster["background"]  # type: ignore[index]
    assert _count(session, Asset) == 2


def test_a_bad_file_imports_nothing(session: Session, tmp_path: Path) -> None:
    root = write_library(
        tmp_path / "lib",
        [poster_entry(), poster_entry("poster-bad", background="backgrounds/missing.png")],
    )
    with pytest.raises(LibraryProblems):
        import_library(session, root)
    assert _count(session, Template) == 0 and _count(session, Asset) == 0


def test_export_writes_posters_back_and_reimport_changes_nothing(session: Session, tmp_path: Path) -> None:
    root = write_library(tmp_path / "lib", [poster_entry(), poster_entry("poster-two")])
    import_library(session, root)
    actor = ensure_library_actor(session)
    out = tmp_path / "out"
    report = export_library(session, actor, out)
    assert out / "posters" / "festival.yaml" in report.files
    assert (out / "posters" / "backgrounds" / "spring.png").is_file()
    check = check_library(out)
    assert check.ok, [str(p) for p in check.problems]
    versions = _count(session, TemplateVersion)
    again = import_library(session, out)
    assert not again.changed and sorted(again.unchanged) == ["poster-spring", "poster-two"]
    assert _count(session, TemplateVersion) == versions and _count(session, Asset) == 1


def test_text_entry_images_become_assets(session: Session, tmp_path: Path) -> None:
    root = write_library(
        tmp_path / "lib",
        [poster_entry()],
        files={"backgrounds/spring.png": png(), "photos/a.png": png("#00AA00", (600, 600))},
    )
    (root / "templates").mkdir()
    (root / "templates" / "t.yaml").write_text(
        "templates:\n  - code: moments-two\n    title: 两张图\n    occasion_kind: festival\n"
        "    occasion: 春节\n    content_type: culture\n    persona: perks\n    channel: moments\n"
        "    product_type: general\n    images: [photos/a.png, backgrounds/spring.png]\n"
        "    body: 新春快乐，{{ branch_name }}给您拜年！\n",
        encoding="utf-8",
    )
    import_library(session, root)
    version = _version(session, "moments-two")
    shas = {a.title: a.sha256 for a in session.exec(select(Asset)).all()}
    assert version.images == [shas["a"], shas["spring"]] and version.rendered_sha256 is None
    assert version.content_digest == content_digest(
        title=version.title,
        text=version.body,
        channel="moments",
        product_type="general",
        slots=version.slots,
        images=version.images,
    )
    out = tmp_path / "out"
    export_library(session, ensure_library_actor(session), out)
    assert check_library(out).ok
    assert not import_library(session, out).changed
