"""`studio check-image FILE`: recognise the text in an image and run the compliance engine on it.

Imports of the OCR engine are inside the handler so `studio --help` and other commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from studio.commands.check import _parse_channel, _parse_product, add_product_channel, format_text
from studio.errors import ValidationError

if TYPE_CHECKING:
    from studio.materials.image_check import ImageCheck

_EPILOG = """\
exit codes (as `studio check`):
  0  pass: no finding of severity block or review (info findings may be listed)
  1  review or block findings
  2  usage or input error: unreadable file, not a PNG/JPEG/WebP image (the content decides, not the
     name), a damaged or truncated image, a file over STUDIO_ASSET_MAX_BYTES or an image over
     STUDIO_ASSET_MAX_PIXELS pixels, unknown product type or channel

json output: `studio check`'s object plus "ocr_text", the recognised text (lines in reading order, joined
by "\\n"); start/end of each finding index "ocr_text", and each finding has "box": [x0, y0, x1, y1], the
finding's place in image pixels (x1/y1 exclusive), or null where it has none (a missing disclosure):
{"verdict", "ruleset", "ocr_text", "findings": [{"code", "slug", "severity", "start", "end", "text",
"message", "source", "suggestion", "box"}]}
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-image",
        help="recognise the text in an image (OCR) and check it against the compliance rules",
        description="Recognise the text in a PNG, JPEG or WebP image (an agency poster, a photo of a flyer) "
        "and check it like `studio check`; every finding is placed on the image.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="image file (PNG, JPEG or WebP)")
    add_product_channel(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(handler=run)


def _read(path: str) -> bytes:
    """At most one byte over the size limit, so a huge file is refused without reading it all."""
    from studio.settings import get_settings

    try:
        with open(path, "rb") as stream:
            return stream.read(get_settings().asset_max_bytes + 1)
    except OSError as error:
        raise ValidationError(f"cannot read {path}: {error.strerror or error}") from None


def run(args: argparse.Namespace) -> int:
    product, channel = _parse_product(args.product), _parse_channel(args.channel)
    data = _read(args.file)
    from studio.materials.image_check import check_image

    checked = check_image(data, product, channel)
    if args.format == "json":
        sys.stdout.write(json.dumps(checked.to_json_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(format_report(checked, args.file))
    return 0 if checked.result.verdict.value == "pass" else 1


def format_report(checked: ImageCheck, name: str) -> str:
    """The recognised text, `studio check`'s report on it, and where each finding is on the image."""
    text = checked.ocr.text
    lines = [f"recognised text ({checked.ocr.engine}):"]
    lines += [f"  | {line}" for line in text.split("\n")] if text else ["  (no text found)"]
    report = format_text(checked.result, text, name)
    placed = [
        f"  {f.code} “{f.text}”: "
        + (f"[{', '.join(str(v) for v in box)}]" if box else "no place on the image")
        for f, box in zip(checked.result.findings, checked.boxes, strict=True)
    ]
    boxes = ["boxes (x0, y0, x1, y1 in image pixels):", *placed] if placed else []
    return "\n".join(lines) + "\n" + report + ("\n".join(boxes) + "\n" if boxes else "")
