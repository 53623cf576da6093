"""The library gate's checks of poster entries and of the image files entries name (library/posters/).

A poster entry's `poster:` mapping is a PosterLayout whose `background` is a file below library/posters/;
its layout problems are reported at the key they are about (`poster.layers[2].box`), its background must be
an accepted image (studio.materials.images) of exactly the layout's size, and every text and overlay layer
must fit its box with the sample slot values. Entries of any kind may carry `images:` (九宫格, 1-9 files).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from studio.compliance import check_text
from studio.domain.enums import Channel, ProductType, Verdict
from studio.errors import StudioError
from studio.localisation.draft import MAX_IMAGES, layout_errors
from studio.localisation.slots import SlotSpec
from studio.materials.images import inspect_image
from studio.materials.loader import POSTERS_DIR, LibraryEntry
from studio.materials.loader import LoadProblem as Problem
from studio.posters.layout import PosterLayout
from studio.posters.render import check_fit
from studio.posters.texts import branch_fields, layer_texts, sample_values

_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f]+(/[^/\\\x00-\x1f]+)*$")


def resolve_file(library_dir: Path, name: Any) -> tuple[Path | None, str | None]:
    """The file a library entry names (relative to library/posters/, never outside it), or why not."""
    if not isinstance(name, str) or not name.strip():
        return None, "must name an image file below posters/, e.g. backgrounds/spring.png"
    parts = PurePosixPath(name).parts
    if not _SAFE_NAME.match(name) or name.startswith("/") or ".." in parts or "." in parts:
        return None, f"{name!r} must be a relative path below posters/ (no '..', no absolute path)"
    root = (library_dir / POSTERS_DIR).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        return None, f"{name!r} leads outside posters/"
    if not path.is_file():
        return None, f"file not found: {POSTERS_DIR}/{name}"
    return path, None


def read_image(library_dir: Path, name: Any) -> tuple[bytes | None, tuple[int, int] | None, str | None]:
    """The bytes and size of an accepted image file, or why it is refused (type sniffed from content)."""
    path, problem = resolve_file(library_dir, name)
    if path is None:
        return None, None, problem
    data = path.read_bytes()
    try:
        facts = inspect_image(data)
    except StudioError as error:
        return None, None, f"{POSTERS_DIR}/{name} is not an accepted image: {error.message_en}"
    return data, (facts.width, facts.height), None


def image_list_problems(entry: LibraryEntry, library_dir: Path) -> list[Problem]:
    images = entry.data.get("images")
    if images is None:
        return []
    if not isinstance(images, list) or not 1 <= len(images) <= MAX_IMAGES:
        return [entry.problem("images", f"must be a list of 1 to {MAX_IMAGES} image files (九宫格)")]
    problems = []
    for index, name in enumerate(images):
        problem = read_image(library_dir, name)[2]
        if problem:
            problems.append(entry.problem(f"images[{index}]", problem))
    return problems


def layout_problems(entry: LibraryEntry, library_dir: Path) -> list[Problem]:
    """Layout structure, then the background file and its size: what must hold before rendering."""
    raw = entry.data.get("poster")
    problems = [entry.problem(key, message) for key, message in layout_errors(raw)]
    if problems:
        return problems
    layout = PosterLayout.model_validate(raw)
    size = read_image(library_dir, layout.background)
    if size[2]:
        return [entry.problem("poster.background", size[2])]
    if size[1] != (layout.width, layout.height):
        width, height = size[1] or (0, 0)
        return [
            entry.problem(
                "poster.background",
                f"the image is {width}x{height}, the layout says {layout.width}x{layout.height}",
            )
        ]
    return []


def layer_key(layout: PosterLayout, layer: str | None, suffix: str = "") -> str:
    names = [item.name for item in layout.layers]
    return f"poster.layers[{names.index(layer)}]{suffix}" if layer in names else "poster.layers"


def fit_problems(entry: LibraryEntry, layout: PosterLayout, slots: list[SlotSpec]) -> list[Problem]:
    """Every text and overlay layer fits its box with the sample slot values (shrunk within its range)."""
    values = sample_values(slots)
    try:
        check_fit(layout, layer_texts(layout, values), branch_fields(values))
    except StudioError as error:
        layer = getattr(error, "layer", None) or _named_layer(error.message_en)
        return [entry.problem(layer_key(layout, layer), error.message_en)]
    return []


def _named_layer(message: str) -> str | None:
    found = re.search(r"layer '?\"?([a-z][a-z0-9_]*)", message)
    return found[1] if found else None


def compliance_problems(
    entry: LibraryEntry, layout: PosterLayout, slots: list[SlotSpec], product_type: str, channel: str
) -> list[Problem]:
    """The engine's verdict on all layer texts together (as for a text post), each hit placed at the text
    layer that carries it."""
    from studio.localisation.draft import poster_text

    values = sample_values(slots)
    result = check_text(
        poster_text(layout, values), product=ProductType(product_type), channel=Channel(channel)
    )
    if result.verdict is Verdict.PASS:
        return []
    texts = layer_texts(layout, values)
    by_key: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.severity.value == "info":
            continue
        layer = next((name for name, text in texts.items() if finding.text and finding.text in text), None)
        hit = f"{finding.code} {finding.slug}" + (f" “{finding.text}”" if finding.text else "")
        by_key.setdefault(layer_key(layout, layer, ".text" if layer else ""), []).append(hit)
    verdict = f"compliance verdict {result.verdict.value} for {product_type}/{channel}"
    if not by_key:
        return [entry.problem("poster", verdict)]
    return [entry.problem(key, f"{verdict}: {'; '.join(hits)}") for key, hits in by_key.items()]
