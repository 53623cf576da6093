"""Exports and the staff feed carry each post's images: content-addressed files beside the export, relative
URLs in the JSON, escaped <img> in the HTML; text-only posts are unchanged; a tampered image is refused."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from studio.domain.clock import today_cn
from studio.errors import ValidationError
from studio.planning.exporters import export
from studio.planning.feed_page import FeedDocument, FeedEntry, render_html, write_feed
from studio.planning.images import EntryImage
from tests.planning.test_exports import DOC

HOSTILE = '"><script>alert(1)</script>'
TOKEN = "A" * 32


def _image(folder: Path, colour: str, size: tuple[int, int] = (40, 70), fmt: str = "PNG") -> EntryImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    data = buffer.getvalue()
    path = folder / f"source-{colour.strip('#')}.{fmt.lower()}"
    path.write_bytes(data)
    return EntryImage(
        sha256=hashlib.sha256(data).hexdigest(),
        width=size[0],
        height=size[1],
        media_type=f"image/{fmt.lower()}",
        source=str(path),
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def sources(tmp_path) -> list[EntryImage]:  # type: ignore[no-untyped-def]
    folder = tmp_path / "sources"
    folder.mkdir()
    return [_image(folder, "#c00000"), _image(folder, "#00c000", (30, 30), "JPEG")]


def test_json_carries_relative_image_urls_and_the_files_exist(tmp_path, sources):
    doc = DOC.model_copy(update={"images": {7: tuple(sources)}})
    (path,) = export(doc, tmp_path / "out", ("json",))
    data = json.loads(path.read_text(encoding="utf-8"))
    poster, text_only = data["entries"]
    assert text_only["images"] == []  # a text-only post: the key is there, empty
    assert [i["url"] for i in poster["images"]] == [f"images/{s.sha256}.png" for s in sources[:1]] + [
        f"images/{sources[1].sha256}.jpg"
    ]
    for item, source in zip(poster["images"], sources, strict=True):
        assert (item["sha256"], item["width"], item["height"]) == (source.sha256, source.width, source.height)
        file = path.parent / item["url"]
        assert file.is_file() and _sha(file) == source.sha256  # relative to the export file
    # the old keys are all still there, unchanged
    assert set(poster) >= {"date", "time", "channel", "title", "text", "occasion", "variant_id"}
    assert sorted(p.name for p in (path.parent / "images").iterdir()) == sorted(s.name for s in sources)


def test_html_shows_the_images_with_escaped_alt(tmp_path, sources):
    entries = [DOC.entries[0].model_copy(update={"title": HOSTILE}), DOC.entries[1]]
    doc = DOC.model_copy(update={"entries": entries, "images": {7: tuple(sources)}})
    (path,) = export(doc, tmp_path, ("html",))
    html = path.read_text(encoding="utf-8")
    assert f'<img src="images/{sources[0].sha256}.png" alt="&#34;&gt;&lt;script&gt;' in html
    assert "<script>" not in html
    assert html.count("<img ") == 2 and (path.parent / "images" / sources[1].name).is_file()


def test_text_only_html_and_other_formats_have_no_images(tmp_path, sources):
    (html,) = export(DOC, tmp_path / "plain", ("html",))
    assert "<img" not in html.read_text(encoding="utf-8") and not (html.parent / "images").exists()
    doc = DOC.model_copy(update={"images": {7: tuple(sources)}})
    paths = export(doc, tmp_path / "sheets", ("csv", "ics", "xlsx"))
    assert not (paths[0].parent / "images").exists()  # nothing links to them: nothing is copied


def test_the_same_image_twice_is_one_file_and_a_wrong_copy_is_replaced(tmp_path, sources):
    doc = DOC.model_copy(update={"images": {7: (sources[0],), 9: (sources[0],)}})
    folder = tmp_path / "JX01-01" / "images"
    folder.mkdir(parents=True)
    (folder / sources[0].name).write_bytes(b"not the approved image")
    export(doc, tmp_path, ("json",))
    assert [p.name for p in folder.iterdir()] == [sources[0].name]
    assert _sha(folder / sources[0].name) == sources[0].sha256


def test_a_source_that_does_not_match_its_hash_writes_nothing(tmp_path, sources):
    Path(sources[1].source).write_bytes(b"swapped after approval")
    doc = DOC.model_copy(update={"images": {7: tuple(sources)}})
    with pytest.raises(ValidationError, match="does not match its sha256"):
        export(doc, tmp_path, ("json", "html"))
    assert not list((tmp_path / "JX01-01").glob("2026-12.*"))


def test_an_image_record_is_validated():
    with pytest.raises(ValueError):
        EntryImage(sha256="../../etc/passwd", width=1, height=1, media_type="image/png", source="x")
    with pytest.raises(ValueError):
        EntryImage(sha256="a" * 64, width=1, height=1, media_type="image/svg+xml", source="x")


# -- the static staff feed ------------------------------------------------------------------------------


def _feed(entries: tuple[FeedEntry, ...]) -> FeedDocument:
    today = today_cn()
    return FeedDocument(
        org_code="JX-A",
        org_name="章贡支行",
        generated_at=DOC.generated_at,
        first=today,
        days=2,
        versions={},
        entries=entries,
    )


def _entry(images: tuple[EntryImage, ...], title: str = "新春纳福") -> FeedEntry:
    return FeedEntry(
        day=today_cn(),
        time_of_day="08:30",
        channel=DOC.entries[0].channel,
        content_type=DOC.entries[0].content_type,
        title=title,
        text="新春快乐",
        occasion=None,
        variant_id=7,
        images=images,
    )


def test_feed_writes_images_beside_the_page_and_prunes_what_no_post_shows(tmp_path, sources):
    root = tmp_path / "feed"
    root.mkdir()
    folder = write_feed(_feed((_entry(tuple(sources)),)), root, TOKEN, create=True)
    data = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
    (entry,) = data["entries"]
    assert entry["posters"] == [s.url for s in sources]
    assert [i["sha256"] for i in entry["images"]] == [s.sha256 for s in sources]
    assert all(_sha(folder / s.url) == s.sha256 for s in sources)
    # The next day only the first image is shown: the other leaves the folder (withdrawn content too).
    write_feed(_feed((_entry(tuple(sources[:1])),)), root, TOKEN, create=False)
    assert [p.name for p in (folder / "images").iterdir()] == [sources[0].name]
    write_feed(_feed(()), root, TOKEN, create=False)
    assert list((folder / "images").iterdir()) == []


def test_feed_page_shows_images_escaped_under_its_csp(sources):
    page = render_html(_feed((_entry(tuple(sources), title=HOSTILE),)))
    assert f'<img src="images/{sources[0].sha256}.png" alt="&#34;&gt;&lt;script&gt;' in page
    assert 'class="grid"' in page  # two or more images: a grid
    assert "img-src 'self'" in page and "<script>alert" not in page
    one = render_html(_feed((_entry(tuple(sources[:1])),)))
    assert 'class="one"' in one and one.count("<img ") == 1


# -- through the services, on the databases ---------------------------------------------------------------


def _fake_posters(monkeypatch, answers):  # type: ignore[no-untyped-def]
    from studio.services import posters

    calls = []

    def post_images(session, actor, variant_id, *, staff_id=None):  # type: ignore[no-untyped-def]
        calls.append((variant_id, staff_id))
        answer = answers.get(variant_id, [])
        if isinstance(answer, Exception):
            raise answer
        return [
            posters.PosterImage(
                sha256=i.sha256,
                width=i.width,
                height=i.height,
                qr=None,
                media_type=i.media_type,
                path=i.source,
            )
            for i in answer
        ]

    monkeypatch.setattr(posters, "post_images", post_images)
    return calls


def _with_poster(world, variant_id: int) -> None:  # type: ignore[no-untyped-def]
    """Mark the variant's template version as carrying images (what a poster template's version does)."""
    from studio.db.models import TemplateVersion, Variant

    variant = world.session.get(Variant, variant_id)
    version = world.session.get(TemplateVersion, variant.template_version_id)
    version.images = ["0" * 64]
    world.session.add(version)
    world.session.commit()


def test_export_month_writes_the_branch_render_of_poster_posts(world, tmp_path, sources, monkeypatch):
    from studio.services import calendar, planning
    from tests.planning.test_staff_feed import _live

    poster, plain = _live(world, "新春海报"), _live(world, "天冷注意保暖")
    _with_poster(world, poster.id)
    calls = _fake_posters(monkeypatch, {poster.id: sources[:1]})
    loc = world.actor("loc_a")
    day = today_cn() + timedelta(days=1)
    for variant in (poster, plain):
        calendar.place(world.session, loc, org_id=loc.org_id, day=day, variant_id=variant.id)
    month = f"{day:%Y-%m}"
    list(planning.export_month(world.session, loc, "JX-A", month, tmp_path, ("json", "html")))
    assert calls == [(poster.id, None)]  # the branch render, and only for the post that has images
    data = json.loads((tmp_path / "JX-A" / f"{month}.json").read_text(encoding="utf-8"))
    images = {e["variant_id"]: e["images"] for e in data["entries"]}
    assert images[plain.id] == [] and images[poster.id][0]["url"] == sources[0].url
    assert _sha(tmp_path / "JX-A" / sources[0].url) == sources[0].sha256
    html = (tmp_path / "JX-A" / f"{month}.html").read_text(encoding="utf-8")
    assert f'src="{sources[0].url}"' in html


def test_staff_feed_shows_images_and_survives_a_failing_poster(world, tmp_path, sources, monkeypatch):
    from tests.planning.test_staff_feed import _live, _published, _token

    monkeypatch.setenv("STUDIO_FEED_DIR", str(tmp_path / "feed"))
    from studio.settings import get_settings

    get_settings.cache_clear()
    poster, broken, plain = _live(world, "新春海报"), _live(world, "元宵海报"), _live(world, "天冷注意保暖")
    for variant in (poster, broken):
        _with_poster(world, variant.id)
    _fake_posters(monkeypatch, {poster.id: sources, broken.id: ValidationError("no fit", "放不下")})
    today = today_cn()
    _published(world, (today, poster.id), (today, broken.id), (today, plain.id))
    folder = tmp_path / "feed" / _token(world)
    data = json.loads((folder / "feed.json").read_text(encoding="utf-8"))
    shown = {e["variant_id"]: e["images"] for e in data["entries"]}
    assert set(shown) == {poster.id, broken.id, plain.id}  # the failing post is still there, as text
    assert shown[broken.id] == [] and shown[plain.id] == []
    assert [i["url"] for i in shown[poster.id]] == [s.url for s in sources]
    assert all(_sha(folder / s.url) == s.sha256 for s in sources)
