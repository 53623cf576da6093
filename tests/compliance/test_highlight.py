"""highlight_html escapes user text and marks (overlapping) finding spans."""

from __future__ import annotations

from studio.compliance import Finding, check_text
from studio.compliance.highlight import highlight_html
from studio.domain.enums import Severity


def _finding(code: str, start: int | None, end: int | None, severity: Severity) -> Finding:
    return Finding(
        code=code,
        slug="x",
        severity=severity,
        start=start,
        end=end,
        text="",
        message="m",
        source="s",
        suggestion="f",
    )


def test_user_text_is_escaped() -> None:
    text = '<script>alert("保本")</script>'
    out = highlight_html(text, check_text(text, product="wealth").findings)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert '<mark class="sev-block" title="INV001">保本</mark>' in out


def test_overlapping_spans_are_split_with_worst_severity() -> None:
    text = "abcdef"
    findings = [
        _finding("AAA001", 0, 4, Severity.REVIEW),
        _finding("BBB001", 2, 6, Severity.BLOCK),
        _finding("CCC001", None, None, Severity.BLOCK),
    ]
    out = highlight_html(text, findings)
    assert out == (
        '<mark class="sev-review" title="AAA001">ab</mark>'
        '<mark class="sev-block" title="AAA001 BBB001">cd</mark>'
        '<mark class="sev-block" title="BBB001">ef</mark>'
    )


def test_no_findings_is_plain_escaped_text() -> None:
    assert highlight_html("a & b", []) == "a &amp; b"
    assert (
        highlight_html("x", [_finding("INF001", 0, 1, Severity.INFO)])
        == '<mark class="sev-info" title="INF001">x</mark>'
    )
