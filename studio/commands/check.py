"""`studio check`: run the compliance engine on a file, stdin, or a JSON-lines batch.

Imports of the engine are inside the handlers so `studio --help` and other commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from studio.domain.enums import Severity
from studio.errors import ValidationError

if TYPE_CHECKING:
    from studio.compliance.types import CheckResult
    from studio.domain.enums import Channel, ProductType

_EPILOG = """\
exit codes:
  0  pass: no finding of severity block or review (info findings may be listed)
  1  review or block findings (with --jsonl: on any line)
  2  usage or input error: unreadable file, empty input, invalid UTF-8, binary data, input over the
     size limit, unknown product type or channel; with --jsonl, any malformed line (the other lines
     are still checked and written, errors go to stderr as "line N: ..."); a --jsonl line longer than
     the line limit stops the batch there

--jsonl input: one JSON object per line, {"id": ..., "text": "...", "product"?: "...", "channel"?: "..."}.
Output: one JSON line per valid input line, in input order: {"id", "verdict", "findings"}. Blank lines
are skipped. Progress is shown on stderr only when stderr is a terminal.

json output: {"verdict": "pass|review|block", "ruleset": "<version>", "findings": [{"code", "slug",
"severity", "start", "end", "text", "message", "source", "suggestion"}]}; start/end index the input
text in characters; a missing-element finding has start/end null and text "".
"""


def add_product_channel(parser: argparse.ArgumentParser) -> None:
    """--product and --channel, as `studio check` and `studio check-image` take them."""
    parser.add_argument(
        "--product",
        default="general",
        help="product type code or label: deposit, wealth, fund, insurance, loan, credit_card, "
        "general (default: general)",
    )
    parser.add_argument(
        "--channel",
        default="moments",
        help="channel: moments, group, private, welcome, poster (default: moments)",
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check marketing copy against the compliance rules",
        description="Check marketing copy against the compliance rules (广告法, 金融营销宣传, PII).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", metavar="FILE|-", help="text file to check; '-' or omitted: stdin")
    parser.add_argument("--jsonl", metavar="FILE", help="check a JSON-lines batch ('-' for stdin)")
    add_product_channel(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default=None,
        help="output format (default: text; --jsonl always writes JSON lines)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    product, channel = _parse_product(args.product), _parse_channel(args.channel)
    if args.jsonl is not None:
        if args.file is not None:
            raise ValidationError("give either FILE or --jsonl FILE, not both")
        if args.format == "text":
            raise ValidationError("--jsonl writes JSON lines only; use --format json or omit --format")
        return _run_batch(args.jsonl, product, channel)
    source = args.file or "-"
    if source == "-" and sys.stdin.isatty():
        raise ValidationError("no input: give a FILE or pipe text on stdin")
    text = decode_input(_read_bytes(source), what="input")
    from studio.compliance import check_text

    result = check_text(text, product=product, channel=channel)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(format_text(result, text, "<stdin>" if source == "-" else source))
    return 0 if result.verdict.value == "pass" else 1


def max_input_bytes() -> int:
    """The most bytes one text may take: even 4-byte UTF-8 characters would exceed the engine's limit."""
    from studio.compliance import MAX_TEXT_CHARS

    return MAX_TEXT_CHARS * 4


def max_line_bytes() -> int:
    """The most bytes one --jsonl line may take: a text at the engine's limit written as JSON escapes
    (up to 12 bytes a character, a surrogate pair), plus 64 KiB for the id and the other fields."""
    from studio.compliance import MAX_TEXT_CHARS

    return MAX_TEXT_CHARS * 12 + 65536


def decode_input(data: bytes, *, what: str) -> str:
    """Bytes → text, or a `ValidationError` that says exactly what is wrong with the input."""
    from studio.compliance import MAX_TEXT_CHARS

    if len(data) > max_input_bytes():
        raise ValidationError(
            f"{what} is over {max_input_bytes()} bytes; the maximum is {MAX_TEXT_CHARS} characters"
        )
    if b"\x00" in data:
        raise ValidationError(f"{what} looks binary (contains NUL bytes); expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(f"{what} is not valid UTF-8 (invalid byte at offset {error.start})") from None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls and controls * 20 > len(text):
        raise ValidationError(f"{what} looks binary ({controls} control characters); expected UTF-8 text")
    if not text.strip():
        raise ValidationError(f"{what} is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"{what} is {len(text)} characters; the maximum is {MAX_TEXT_CHARS}")
    return text


def format_text(result: CheckResult, text: str, name: str) -> str:
    """Human-readable report: one block per finding with line:col, then a verdict line."""
    lines: list[str] = []
    for finding in result.findings:
        severity = finding.severity.value.upper()
        if finding.start is None:
            where = f"{name}: (missing)"
            quoted = ""
        else:
            line, column = _line_col(text, finding.start)
            where = f"{name}:{line}:{column}:"
            quoted = f" “{finding.text}”"
        lines.append(f"{where} {severity} {finding.code} [{finding.slug}]{quoted} {finding.message}")
        if finding.why:
            lines.append(f"    why: {finding.why}")
        lines.append(f"    fix: {finding.suggestion}")
        lines.append(f"    source: {finding.source}")
    counts = {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    lines.append(
        f"verdict: {result.verdict.value} ({counts['block']} block, {counts['review']} review, "
        f"{counts['info']} info; ruleset {result.ruleset})"
    )
    return "\n".join(lines) + "\n"


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _read_bytes(source: str) -> bytes:
    """At most one byte over the limit, so /dev/zero or a huge file is refused without reading it all."""
    limit = max_input_bytes() + 1
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with open(source, "rb") as stream:
            return stream.read(limit)
    except OSError as error:
        raise ValidationError(f"cannot read {source}: {error.strerror or error}") from None


def _parse_product(value: str) -> ProductType:
    from studio.domain.enums import ProductType

    try:
        return ProductType.parse(value)  # type: ignore[return-value]
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _parse_channel(value: str) -> Channel:
    from studio.domain.enums import Channel

    try:
        return Channel.parse(value)  # type: ignore[return-value]
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _run_batch(source: str, product: ProductType, channel: Channel) -> int:
    stream = _open_source(source)
    progress = sys.stderr.isatty()
    try:
        checked, problems, malformed = _check_lines(stream, product, channel, progress)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if progress:
        sys.stderr.write(f"\rchecked {checked} lines, {malformed} malformed\n")
    sys.stdout.flush()
    if malformed:
        return 2
    return 1 if problems else 0


def _open_source(source: str) -> IO[bytes]:
    if source == "-":
        return sys.stdin.buffer
    try:
        return open(source, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as error:
        raise ValidationError(f"cannot read {source}: {error.strerror or error}") from None


def _check_lines(
    stream: IO[bytes], product: ProductType, channel: Channel, progress: bool
) -> tuple[int, int, int]:
    """Check each JSON line, writing one result line per item; (checked, with problems, malformed)."""
    from studio.compliance import check_text
    from studio.compliance.errors import TextTooLong

    out = sys.stdout
    malformed = problems = checked = 0
    limit = max_line_bytes()
    for number, raw in enumerate(_lines(stream, limit), start=1):
        if len(raw) > limit:
            # Not JSON lines at all (or one absurd line): stop rather than skip through it.
            sys.stderr.write(
                f"line {number}: longer than {limit} bytes (the maximum for one line); stopped\n"
            )
            malformed += 1
            break
        if not raw.strip():
            continue
        try:
            item_id, text, item_product, item_channel = _parse_line(raw, product, channel)
            result = check_text(text, product=item_product, channel=item_channel)
        except (ValidationError, TextTooLong) as error:
            malformed += 1
            sys.stderr.write(f"line {number}: {error.message_en}\n")
            continue
        payload = result.to_json_dict()
        out.write(
            json.dumps(
                {"id": item_id, "verdict": payload["verdict"], "findings": payload["findings"]},
                ensure_ascii=False,
            )
            + "\n"
        )
        checked += 1
        problems += result.verdict.value != "pass"
        if progress and checked % 500 == 0:
            sys.stderr.write(f"\rchecked {checked} lines")
    return checked, problems, malformed


def _lines(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    """Lines of at most `limit` bytes; a longer one is yielded cut at `limit + 1` bytes for the caller to refuse."""
    try:
        while line := stream.readline(limit + 1):
            yield line
    except OSError as error:
        raise ValidationError(f"cannot read input: {error.strerror or error}") from None


def _parse_line(raw: bytes, product: ProductType, channel: Channel) -> tuple[Any, str, ProductType, Channel]:
    try:
        item = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ValidationError(f"not valid UTF-8 (invalid byte at offset {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValidationError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(item, dict):
        raise ValidationError('expected a JSON object with "id" and "text"')
    if "id" not in item or isinstance(item["id"], (dict, list)) or item["id"] is None:
        raise ValidationError('missing "id" (a string or number)')
    text = item.get("text")
    if not isinstance(text, str):
        raise ValidationError('missing "text" (a string)')
    if not text.strip():
        raise ValidationError('"text" is empty')
    item_product = _parse_product(item["product"]) if item.get("product") is not None else product
    item_channel = _parse_channel(item["channel"]) if item.get("channel") is not None else channel
    return item["id"], text, item_product, item_channel
