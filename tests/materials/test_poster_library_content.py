"""The poster templates of the library (library/posters/*.yaml): layouts, spread, fit and compliance.

Reads the files itself (independent of the library loader) with the same rules a text template has (keys,
tags, slots), plus the layout schema, the renderer's fit check on the bundled font (sample and long branch
values), a render of every poster on its background, and the compliance engine on what a poster shows:
every text layer rendered with sample slot values and every overlay with its prefix.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from studio.compliance import check_text
from studio.domain.enums import Channel, ContentType, OccasionKind, Persona, ProductType, Verdict
from studio.errors import ValidationError
from studio.localisation.draft import CODE_PATTERN
from studio.localisation.render import render, variables_of
from studio.localisation.slots import STANDARD_SLOTS, SlotSpec, resolve_slots, sample_values
from studio.materials.loader import ENTRY_KEYS, REQUIRED_KEYS
from studio.posters.fonts import missing_glyphs
from studio.posters.layout import OverlayField, OverlayLayer, PosterLayout, QrLayer, TextLayer
from studio.posters.render import check_fit, render_base
from studio.posters.text_fit import fit
from studio.posters.texts import compliance_text

from .conftest import LIBRARY_DIR
from .test_library_content import FORBIDDEN, REQUIRED_WARNINGS, SOLAR_TERMS

POSTERS_DIR = LIBRARY_DIR / "posters"
POSTER_KEYS = (ENTRY_KEYS - {"body"}) | {"poster"}
POSTER_REQUIRED = (REQUIRED_KEYS - {"body"}) | {"poster"}

# What the studio writes into overlays: the demo samples, and the longest a real branch is likely to have.
OVERLAY_SAMPLES = {
    OverlayField.BANK_NAME: STANDARD_SLOTS["bank_name"].sample,
    OverlayField.BRANCH_NAME: STANDARD_SLOTS["branch_name"].sample,
    OverlayField.BRANCH_ADDRESS: STANDARD_SLOTS["branch_address"].sample,
    OverlayField.SERVICE_HOURS: STANDARD_SLOTS["service_hours"].sample,
    OverlayField.STAFF_NAME: STANDARD_SLOTS["staff_name"].sample,
    OverlayField.STAFF_TITLE: "客户经理",
}
OVERLAY_LONG = {
    OverlayField.BANK_NAME: "江西赣州农村商业银行股份有限公司",
    OverlayField.BRANCH_NAME: "江西赣州农村商业银行股份有限公司章贡支行营业部",
    OverlayField.BRANCH_ADDRESS: "江西省赣州市章贡区文清路与红旗大道交叉口东北角文清广场一楼一号商铺",
    OverlayField.SERVICE_HOURS: "周一至周五 8:30-17:30，周六日 9:00-16:00",
    OverlayField.STAFF_NAME: "欧阳晓晨",
    OverlayField.STAFF_TITLE: "个人金融部客户经理（理财经理）",
}


def _load(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    entries = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries += [(path.name, item) for item in data["templates"]]
    return entries


ENTRIES = _load(POSTERS_DIR)
BY_CODE = {str(item["code"]): item for _, item in ENTRIES}
FILE_OF = {str(item["code"]): name for name, item in ENTRIES}


def _layout(code: str) -> PosterLayout:
    return PosterLayout.model_validate(BY_CODE[code]["poster"])


def _slots(code: str) -> list[SlotSpec]:
    declared = [SlotSpec.model_validate(s) for s in BY_CODE[code].get("slots") or []]
    return resolve_slots(variables_of(_layout(code).body()), declared)


def _texts(code: str) -> dict[str, str]:
    """Each text layer rendered with the slots' sample values (what a preview shows)."""
    values = sample_values(_slots(code))
    return {layer.name: render(layer.text, values).strip() for layer in _layout(code).text_layers}


def _shown(code: str, overlays: dict[OverlayField, str]) -> list[tuple[Any, str]]:
    """(layer, text) for every text and overlay layer, in layer order: what the poster shows."""
    texts = _texts(code)
    shown: list[tuple[Any, str]] = []
    for layer in _layout(code).layers:
        if isinstance(layer, TextLayer) and texts[layer.name]:
            shown.append((layer, texts[layer.name]))
        elif isinstance(layer, OverlayLayer):
            shown.append((layer, layer.prefix + overlays[layer.field]))
    return shown


def _joined(code: str) -> str:
    """What the compliance engine checks for the poster: every layer's text, overlays with their prefix."""
    return compliance_text(_layout(code), _texts(code), OVERLAY_SAMPLES)


def test_at_least_44_posters_with_the_category_spread() -> None:
    files = Counter(FILE_OF.values())
    assert len(ENTRIES) >= 44
    assert files["festivals.yaml"] >= 10 and files["solar-terms.yaml"] >= 10
    assert files["anti-fraud.yaml"] >= 8 and files["products.yaml"] >= 8 and files["regional.yaml"] >= 6
    festivals = {e["occasion"] for e in BY_CODE.values() if e["occasion_kind"] == "festival"}
    assert {"春节", "元宵节", "端午节", "七夕", "中秋节", "国庆节", "重阳节", "元旦", "腊八"} <= festivals
    terms = {e["occasion"] for e in BY_CODE.values() if e["occasion_kind"] == "solar_term"}
    assert len(terms) >= 10 and terms <= set(SOLAR_TERMS) and "清明" in terms
    products = {e["product_type"] for e in BY_CODE.values() if FILE_OF[e["code"]] == "products.yaml"}
    assert {"deposit", "wealth", "fund", "insurance", "loan", "credit_card", "general"} <= products
    regions = {e.get("region") for e in BY_CODE.values() if e["occasion_kind"] == "regional"}
    assert {"广西", "云南", "福建", "内蒙古", "贵州", "四川"} <= regions


def test_codes_are_unique_across_the_whole_library() -> None:
    codes = [str(item["code"]) for _, item in ENTRIES]
    assert len(codes) == len(set(codes))
    text_codes = {str(item["code"]) for _, item in _load(LIBRARY_DIR / "templates")}
    assert not set(codes) & text_codes, "a poster code is already a text template's code"


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_entry_keys_and_tags(code: str) -> None:
    entry = BY_CODE[code]
    assert set(entry) <= POSTER_KEYS and POSTER_REQUIRED <= set(entry), set(entry) ^ POSTER_KEYS
    assert CODE_PATTERN.match(code) and code.startswith("poster-")
    assert entry["channel"] == Channel.POSTER.value
    assert OccasionKind(entry["occasion_kind"]).taggable
    ContentType(entry["content_type"]), Persona(entry["persona"]), ProductType(entry["product_type"])
    assert bool(entry.get("region")) == (entry["occasion_kind"] == "regional")
    if entry["occasion_kind"] not in ("product", "everyday"):
        assert entry.get("occasion"), code


def test_occasions_are_spelled_as_the_occasions_module_spells_them() -> None:
    from studio.occasions.catalog import load_catalog

    known: dict[str, set[str]] = {"solar_term": set(SOLAR_TERMS)}
    for item in load_catalog():
        known.setdefault(str(item.kind), set()).add(item.name)
    unknown = [
        (code, e["occasion_kind"], e.get("occasion"))
        for code, e in BY_CODE.items()
        if e.get("occasion") and e["occasion"] not in known.get(e["occasion_kind"], set())
    ]
    assert not unknown


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_layout_has_title_copy_branch_staff_and_a_qr_near_the_bottom(code: str) -> None:
    layout = _layout(code)
    assert (POSTERS_DIR / layout.background).is_file(), layout.background
    assert (layout.width, layout.height) in ((1080, 1920), (1080, 1080))
    names = [layer.name for layer in layout.text_layers]
    assert names[0] == "title" and 2 <= len(names) <= 5
    fields = {layer.field for layer in layout.layers if isinstance(layer, OverlayLayer)}
    assert {OverlayField.BRANCH_NAME, OverlayField.STAFF_NAME, OverlayField.STAFF_TITLE} <= fields
    qr = layout.qr_layer
    assert isinstance(qr, QrLayer) and qr.box.w >= 200 and qr.box.y >= layout.height * 0.6


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_declared_slots_are_used_and_have_samples(code: str) -> None:
    used = variables_of(_layout(code).body())
    for slot in BY_CODE[code].get("slots") or []:
        assert slot["name"] in used and slot.get("sample"), slot
    _slots(code)  # every variable is declared or standard


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_poster_text_passes_compliance(code: str) -> None:
    entry = BY_CODE[code]
    text = _joined(code)
    assert len(text) <= Channel.POSTER.max_length
    result = check_text(text, product=ProductType(entry["product_type"]), channel=Channel.POSTER)
    assert result.verdict is Verdict.PASS, [(f.code, f.text, f.message) for f in result.findings]
    for phrase in REQUIRED_WARNINGS.get(entry["product_type"], ()):
        assert phrase in text, f"{code}: must say {phrase!r}"
    for word in FORBIDDEN:
        assert word not in text, f"{code}: contains {word!r}"


def test_the_compliance_check_sees_a_poster_missing_its_warning() -> None:
    """Attack the gate: the same wealth poster without its note layer is blocked."""
    text = "\n".join(
        t for layer, t in _shown("poster-product-wealth", OVERLAY_SAMPLES) if layer.name != "note"
    )
    assert check_text(text, product=ProductType.WEALTH, channel=Channel.POSTER).verdict is Verdict.BLOCK


# ---------------------------------------------------------------- fit and render (studio.posters)


def _branch(overlays: dict[OverlayField, str]) -> dict[OverlayField, str]:
    return {field: value for field, value in overlays.items() if not field.per_staff}


@pytest.mark.parametrize("overlays", [OVERLAY_SAMPLES, OVERLAY_LONG], ids=["samples", "long"])
@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_every_layer_fits_its_box_in_the_bundled_font(code: str, overlays: dict[OverlayField, str]) -> None:
    """The renderer's own check (glyphs, wrapping, shrinking within font_size) with the sample values and
    with long branch values; staff overlays too, though the renderer would cut a long name rather than fail."""
    layout = _layout(code)
    check_fit(layout, _texts(code), _branch(overlays))
    for layer, text in _shown(code, overlays):
        assert not missing_glyphs(text), f"{code} layer {layer.name}"
        if isinstance(layer, OverlayLayer) and layer.field.per_staff:
            fit(text, layer)


def test_the_fit_check_refuses_an_overflowing_poster() -> None:
    """Attack the fit: the spring poster with its title ten times over is refused, naming the layer."""
    texts = {**_texts("poster-festival-spring"), "title": "新春纳福" * 10}
    with pytest.raises(ValidationError) as caught:
        check_fit(_layout("poster-festival-spring"), texts, _branch(OVERLAY_SAMPLES))
    assert "title" in caught.value.message_en


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_every_poster_renders_on_its_background(code: str) -> None:
    layout = _layout(code)
    background = (POSTERS_DIR / layout.background).read_bytes()
    poster = render_base(layout, background, _texts(code), _branch(OVERLAY_SAMPLES))
    assert (poster.width, poster.height) == (layout.width, layout.height) and poster.png.startswith(
        b"\x89PNG"
    )
