"""The compliance check of text in images: one image (`studio check-image`), or a post's body and its 九宫格.

Pure apart from the OCR engine: bytes or recognised text in, the engine's result out, each finding placed on
its image (`box`, image pixels; None where a finding has no place, such as a missing disclosure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from studio.compliance import CheckResult, Finding, Ruleset, check_text, default_ruleset
from studio.compliance.types import verdict_of
from studio.domain.enums import Channel, ProductType
from studio.materials.ocr import Box, OcrResult, recognise, span_box

# Between a post's body and each image's text, so no phrase is read across two of them.
SEPARATOR = "\n\n"


class ImageCheck(BaseModel):
    """One image's check: the engine's result on its recognised text, a box (or None) per finding."""

    model_config = ConfigDict(frozen=True)

    result: CheckResult
    ocr: OcrResult
    boxes: tuple[Box | None, ...]

    def findings_json(self) -> list[dict[str, Any]]:
        """`studio check`'s findings (spans index `ocr.text`), each with "box": [x0, y0, x1, y1] or None."""
        return [
            {**plain, "box": list(box) if box is not None else None}
            for plain, box in zip(self.result.findings_json(), self.boxes, strict=True)
        ]

    def to_json_dict(self) -> dict[str, Any]:
        """The `studio check --format json` object plus "ocr_text", and a "box" on every finding."""
        return {
            "verdict": self.result.verdict.value,
            "ruleset": self.result.ruleset,
            "ocr_text": self.ocr.text,
            "findings": self.findings_json(),
        }


def check_recognised(
    ocr: OcrResult,
    product: ProductType | str = ProductType.GENERAL,
    channel: Channel | str = Channel.MOMENTS,
    *,
    ruleset: Ruleset | None = None,
) -> ImageCheck:
    result = check_text(ocr.text, product=product, channel=channel, ruleset=ruleset)
    boxes = tuple(span_box(ocr.lines, f.start, f.end) for f in result.findings)
    return ImageCheck(result=result, ocr=ocr, boxes=boxes)


def check_image(
    data: bytes,
    product: ProductType | str = ProductType.GENERAL,
    channel: Channel | str = Channel.MOMENTS,
    *,
    ruleset: Ruleset | None = None,
) -> ImageCheck:
    """Recognise the image's text and check it; `ImageRefused` for what is not an acceptable image."""
    return check_recognised(recognise(data), product, channel, ruleset=ruleset)


# --- a post: body plus up to nine images, checked as one text -------------------------------------------


class PostCheckResult(CheckResult):
    """A post's result: findings of the body as `check_text` gives them, findings in image N with spans that
    index that image's recognised text, and, as stored (`findings_json`), "image": N (1-based) and "box"."""

    placed: tuple[dict[str, Any], ...] = ()

    def findings_json(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self.placed]


def _plain(finding: Finding) -> dict[str, Any]:
    probe = CheckResult(verdict=verdict_of([finding]), ruleset="", findings=(finding,))
    return probe.findings_json()[0]


def _part_of(starts: list[int], offset: int) -> int:
    """Index of the part (0 = body, k = image k) whose text holds `offset` of the joined text."""
    part = 0
    for index, start in enumerate(starts):
        if offset >= start:
            part = index
    return part


def _in_image(
    finding: Finding, image: OcrResult, start: int, number: int
) -> tuple[Finding, dict[str, Any]] | None:
    """The finding moved onto image `number`'s own text and placed on the image; None if it covers no
    character of it (a hit on the separator)."""
    assert finding.start is not None and finding.end is not None
    local_start = finding.start - start
    local_end = min(finding.end - start, len(image.text))
    if local_start >= local_end:
        return None
    moved = finding.model_copy(
        update={"start": local_start, "end": local_end, "text": image.text[local_start:local_end]}
    )
    box = span_box(image.lines, local_start, local_end)
    return moved, {**_plain(moved), "image": number, "box": list(box) if box is not None else None}


def check_post(
    body: str,
    images: Sequence[OcrResult],
    product: ProductType | str = ProductType.GENERAL,
    channel: Channel | str = Channel.MOMENTS,
    *,
    ruleset: Ruleset | None = None,
) -> CheckResult:
    """Body and every image's text count: a banned phrase in image 7 blocks the post, and a disclosure the
    product needs may stand in the body or in an image. The channel's length limit counts the body only.
    Without images this is exactly `check_text(body)`."""
    result = check_text(body, product=product, channel=channel, ruleset=ruleset)
    if not images:
        return result
    rules = ruleset if ruleset is not None else default_ruleset()
    length_rules = {rule.code for rule in rules.rules if rule.kind == "length"}
    starts = [0]
    texts = [body, *(image.text for image in images)]
    for text in texts[:-1]:
        starts.append(starts[-1] + len(text) + len(SEPARATOR))
    whole = check_text(SEPARATOR.join(texts), product=product, channel=channel, ruleset=rules)
    placed = [(f, _plain(f)) for f in result.findings if f.start is not None]
    for finding in whole.findings:
        if finding.start is None:
            placed.append((finding, _plain(finding)))  # missing: judged on the whole post
            continue
        part = _part_of(starts, finding.start)
        if part == 0 or finding.code in length_rules:
            continue  # the body's own check placed it (and its length)
        if (moved := _in_image(finding, images[part - 1], starts[part], part)) is not None:
            placed.append(moved)
    findings = tuple(f for f, _ in placed)
    return PostCheckResult(
        verdict=verdict_of(findings),
        ruleset=whole.ruleset,
        findings=findings,
        placed=tuple(d for _, d in placed),
    )
