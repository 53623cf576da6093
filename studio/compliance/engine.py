"""The compliance engine: normalise → one automaton scan → rule families → findings on the original text."""

from __future__ import annotations

import logging

from studio.compliance import pii
from studio.compliance.errors import TextTooLong
from studio.compliance.rules import channel as channel_rules
from studio.compliance.rules import patterns, required, terms
from studio.compliance.rules.base import Hit
from studio.compliance.ruleset import Ruleset, default_ruleset
from studio.compliance.ruleset import ruleset_version as ruleset_version
from studio.compliance.scan import scan
from studio.compliance.types import CheckResult, Finding, verdict_of
from studio.domain.enums import Channel, ProductType

log = logging.getLogger(__name__)

# Far above any channel's limit (朋友圈 2000) yet small enough to keep a check well under a second.
MAX_TEXT_CHARS = 200_000


def check_text(
    text: str,
    *,
    product: ProductType | str = ProductType.GENERAL,
    channel: Channel | str = Channel.MOMENTS,
    ruleset: Ruleset | None = None,
) -> CheckResult:
    """Check one text. Spans in the result index `text` itself; `result.ruleset` is the ruleset version.

    `product`/`channel` accept the enum, its code or its Chinese label. Raises `TextTooLong` (a
    `StudioError`) above `MAX_TEXT_CHARS`, `ValueError` for an unknown product type or channel.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLong(len(text), MAX_TEXT_CHARS)
    rs = ruleset if ruleset is not None else default_ruleset()
    product = product if isinstance(product, ProductType) else ProductType.parse(product)  # type: ignore[assignment]
    channel = channel if isinstance(channel, Channel) else Channel.parse(channel)  # type: ignore[assignment]
    active = rs.active(product, channel)  # type: ignore[arg-type]
    found = scan(rs, text)
    hits: list[Hit] = []
    if found.terms:
        terms.collect(rs, found, active, product, hits)  # type: ignore[arg-type]
    patterns.collect(rs, found, active, hits)
    required.collect(rs, found, active, hits)
    if rs.has_pii:
        pii.collect(rs, found, active, hits)
    channel_rules.collect(rs, text, active, channel, hits)  # type: ignore[arg-type]
    if not hits:
        return rs.pass_result
    findings = _to_findings(rs, found.norm, _dedupe(hits))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("check: %s", ",".join(f.code for f in findings))  # codes only, never customer text
    return CheckResult.model_construct(verdict=verdict_of(findings), ruleset=rs.version, findings=tuple(findings))


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Per rule, drop a hit whose span lies inside another hit of the same rule (稳赚 in 稳赚不赔)."""
    if len(hits) < 2:
        return hits
    ordered = sorted(hits, key=lambda h: (h.rule, h.original, -1 if h.start is None else h.start,
                                          -(h.end or 0)))
    kept: list[Hit] = []
    for hit in ordered:
        if hit.start is not None and kept:
            last = kept[-1]
            if (last.rule == hit.rule and last.original == hit.original and last.start is not None
                    and last.start <= hit.start and hit.end is not None and last.end is not None
                    and hit.end <= last.end):
                continue
        if hit.start is None and any(k.rule == hit.rule and k.start is None for k in kept):
            continue
        kept.append(hit)
    return kept


def _to_findings(rs: Ruleset, norm: object, hits: list[Hit]) -> list[Finding]:
    from studio.compliance.normalise import Normalised

    assert isinstance(norm, Normalised)
    original = norm.original
    located: list[Finding] = []
    missing: list[Finding] = []
    for hit in hits:
        spec = rs.rules[hit.rule].spec
        if hit.start is None or hit.end is None:
            start = end = None
            excerpt = ""
        elif hit.original:
            start, end = hit.start, hit.end
            excerpt = original[start:end]
        else:
            start, end = norm.span(hit.start, hit.end)
            excerpt = original[start:end]
        finding = Finding.model_construct(
            code=spec.code, slug=spec.slug, severity=hit.severity, start=start, end=end, text=excerpt,
            message=spec.message, source=spec.source, suggestion=spec.suggestion, why=hit.why,
        )
        (missing if start is None else located).append(finding)
    located.sort(key=lambda f: (f.start, f.end, f.code))
    missing.sort(key=lambda f: f.code)
    return located + missing
