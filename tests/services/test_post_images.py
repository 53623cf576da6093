"""九宫格: a template version carries 1–9 library images; every image's recognised text is in the checks of
the version, its variants and the review decision; a banned phrase in image 7 blocks and says where."""

from __future__ import annotations

import pytest
from sqlmodel import select

from studio.db.models import Asset, TemplateVersion, Variant
from studio.domain.enums import Decision, Verdict
from studio.errors import PermissionDenied, ValidationError
from studio.materials.ocr import OcrLine, OcrResult
from studio.services import post_images, variants
from studio.services.assets import upload_asset
from studio.services.templates import TemplateDraft, create_template
from tests.conftest import World, decide_now
from tests.materials.ocr_images import BANNED, GREETING, contains, drawn_box, poster, recognise_once


@pytest.fixture(autouse=True)
def _ocr_once_per_image(monkeypatch: pytest.MonkeyPatch) -> None:
    recognise_once(monkeypatch)


AT = (40, 40)


def _marked(data: bytes, number: int) -> bytes:
    """The same picture made distinct: a small grey dot at a place of its own."""
    import io

    from PIL import Image, ImageDraw

    image = Image.open(io.BytesIO(data)).convert("RGB")
    ImageDraw.Draw(image).rectangle((10 * number, 140, 10 * number + 3, 143), fill="#999999")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


BODY = "春日出游，{{ branch_name }}陪您一起看花。"


def _images(world: World) -> list[str]:
    """Nine library images: 1–6 and 8–9 say a greeting (each its own picture), 7 the banned phrase."""
    editor = world.actor("editor")
    shas = []
    for number in range(1, 10):
        text = BANNED if number == 7 else GREETING
        data = _marked(poster((text, AT), size=(520, 160)), number)
        shas.append(upload_asset(world.session, editor, data, title=f"图{number}", kind="photo").sha256)
    return shas


@pytest.fixture
def nine(world: World) -> list[str]:
    return _images(world)


def _draft(images: list[str], channel: str = "moments", body: str = BODY) -> TemplateDraft:
    return TemplateDraft(title="春日九宫格", body=body, channel=channel, images=images)


def test_upload_keeps_the_recognised_text(world: World, nine: list[str]) -> None:
    rows = {a.sha256: a for a in world.session.exec(select(Asset)).all()}
    banned, greeting = rows[nine[6]].ocr, rows[nine[0]].ocr
    assert banned is not None and banned["text"] == BANNED.replace(" ", "")
    assert greeting is not None and greeting["text"] == GREETING and greeting["engine"].startswith("rapidocr")
    assert greeting["lines"][0]["box"] and rows[nine[0]].kind == "photo"


def test_a_banned_phrase_in_image_7_blocks_and_the_finding_says_where(world: World, nine: list[str]) -> None:
    view = create_template(world.session, world.actor("editor"), _draft(nine))
    version = world.session.get(TemplateVersion, view.version_id)
    assert version is not None and version.images == nine  # order kept
    assert view.verdict == Verdict.BLOCK.value
    placed = [f for f in view.findings if f.get("image") is not None]
    assert placed and {f["image"] for f in placed} == {7}
    phrase = drawn_box(BANNED, AT)
    assert all(f["box"] is not None and contains(phrase, tuple(f["box"])) for f in placed)
    shown = post_images.images_of(world.session, world.actor("reviewer"), "template_version", view.version_id)
    assert [i.number for i in shown] == list(range(1, 10)) and [i.sha256 for i in shown] == nine
    assert [len(i.findings) for i in shown] == [0] * 6 + [len(placed)] + [0, 0]
    with pytest.raises(ValidationError):  # blocked: never approved
        decide_now(
            world.session, world.actor("reviewer"), "template_version", view.version_id, Decision.APPROVE
        )


def test_clean_images_pass(world: World, nine: list[str]) -> None:
    clean = [sha for i, sha in enumerate(nine) if i != 6]
    view = create_template(world.session, world.actor("editor"), _draft(clean))
    assert view.verdict == Verdict.PASS.value and view.findings == []


def test_too_many_images_for_the_channel_are_refused(world: World, nine: list[str]) -> None:
    cases = [("moments", [*nine, nine[0]]), ("group", nine[:2]), ("private", nine[:2]), ("welcome", nine[:2])]
    for channel, images in [*cases, ("poster", nine[:1])]:
        with pytest.raises(ValidationError, match="at most"):
            create_template(world.session, world.actor("editor"), _draft(images, channel))
    assert not world.session.exec(select(TemplateVersion)).all()
    one = create_template(world.session, world.actor("editor"), _draft(nine[:1], "group"))
    assert one.verdict == Verdict.PASS.value


def test_unknown_malformed_or_repeated_images_are_refused(world: World, nine: list[str]) -> None:
    for images in (
        ["f" * 64],
        ["not-a-hash"],
        ["../../etc/passwd"],
        [nine[0], nine[0]],
        [nine[0].upper()[:63]],
    ):
        with pytest.raises(ValidationError):
            create_template(world.session, world.actor("editor"), _draft(images))
    assert not world.session.exec(select(TemplateVersion)).all()


def _banned_ocr() -> dict[str, object]:
    line = OcrLine(text="保本保息稳赚不赔", box=(10, 10, 330, 50), score=0.99)
    return OcrResult(engine="test", text=line.text, lines=(line,)).model_dump(mode="json")


def _approved(world: World, images: list[str]) -> int:
    view = create_template(world.session, world.actor("editor"), _draft(images))
    decide_now(world.session, world.actor("reviewer"), "template_version", view.version_id, Decision.APPROVE)
    version = world.session.get(TemplateVersion, view.version_id)
    assert version is not None and version.state == "approved"
    return view.version_id


def _rewrite_ocr(world: World, sha: str) -> None:
    """The image's recognised text now holds a banned phrase (as if a rule was added for what it says)."""
    asset = world.session.exec(select(Asset).where(Asset.sha256 == sha)).one()
    asset.ocr = _banned_ocr()
    world.session.add(asset)
    world.session.commit()


def test_a_variant_check_includes_the_images(world: World, nine: list[str]) -> None:
    version_id = _approved(world, nine[:2])
    _rewrite_ocr(world, nine[1])
    view = variants.localise(world.session, world.actor("loc_a"), version_id, {"branch_name": "章贡支行"})
    variant = world.session.get(Variant, view.id)
    assert variant is not None and variant.verdict == Verdict.BLOCK.value
    assert {f.get("image") for f in variant.findings} == {2}
    shown = post_images.images_of(world.session, world.actor("loc_a"), "variant", view.id)
    assert [len(i.findings) for i in shown] == [0, len(variant.findings)]
    assert shown[1].findings[0]["box"] is not None
    with pytest.raises(PermissionDenied):  # another branch's variant
        post_images.images_of(world.session, world.actor("loc_gx"), "variant", view.id)


def test_the_review_decision_rechecks_the_images(world: World, nine: list[str]) -> None:
    view = create_template(world.session, world.actor("editor"), _draft(nine[:3]))
    assert view.verdict == Verdict.PASS.value
    _rewrite_ocr(world, nine[2])
    with pytest.raises(ValidationError, match="blocking"):
        decide_now(
            world.session, world.actor("reviewer"), "template_version", view.version_id, Decision.APPROVE
        )


def test_text_only_posts_are_checked_as_before(world: World) -> None:
    view = create_template(world.session, world.actor("editor"), _draft([], body="本周理财保本保息！"))
    assert view.verdict == Verdict.BLOCK.value and all("image" not in f for f in view.findings)
    version = world.session.get(TemplateVersion, view.version_id)
    assert version is not None and version.images == []


def test_asset_check_for_the_panel(world: World, nine: list[str]) -> None:
    reader = world.actor("staff_a")
    rows = {a.sha256: a.id for a in world.session.exec(select(Asset)).all()}
    banned = post_images.asset_check(world.session, reader, rows[nine[6]] or 0)
    assert banned.verdict is Verdict.BLOCK and banned.ocr_text and all(f["box"] for f in banned.findings)
    clean = post_images.asset_check(world.session, reader, rows[nine[0]] or 0)
    assert clean.verdict is Verdict.PASS and clean.findings == []


def test_the_library_recheck_reads_the_images_too(world: World, nine: list[str]) -> None:
    from studio.domain.enums import JobState
    from studio.services import jobs, library_recheck, rules

    assert library_recheck  # registers the job kind
    view = create_template(world.session, world.actor("editor"), _draft(nine[:2]))
    assert view.verdict == Verdict.PASS.value
    admin = world.actor("admin")
    code = next(d.code for d in rules.rule_docs(world.session) if d.terms)
    # A new blocking term only the images say (the body does not): the re-check names the version.
    rules.update_rule(
        world.session,
        admin,
        code,
        terms=[*rules.rule_terms(world.session, code), "锦程银行"],
        severity="block",
    )
    job = jobs.submit(world.session, admin, "library.recheck", {}, wait=True)
    assert job.state is JobState.SUCCEEDED, job
    assert {"type": "template_version", "id": view.version_id, "was": "pass", "now": "block"}.items() <= next(
        item for item in job.result["items"] if item["id"] == view.version_id
    ).items()


def test_a_lost_image_file_or_odd_stored_text_is_handled(world: World, nine: list[str]) -> None:
    from pathlib import Path

    asset = world.session.exec(select(Asset).where(Asset.sha256 == nine[0])).one()
    asset.ocr = {"engine": "x", "lines": "not a list"}  # not what ocr.py stores: read again from the file
    world.session.add(asset)
    world.session.commit()
    editor = world.actor("editor")
    assert (
        post_images.check_post(world.session, editor, "你好", "general", "moments", [nine[0]]).verdict.value
        == "pass"
    )
    Path(post_images._path(asset)).unlink()
    with pytest.raises(ValidationError, match="missing"):
        post_images.check_post(world.session, editor, "你好", "general", "moments", [nine[0]])
