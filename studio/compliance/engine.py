"""The compliance engine: normalise → one automaton scan → rule families → findings on the original text."""

from __future__ import annotations

import logging
from operator import attrgetter, itemgetter

from studio.compliance import pii
from studio.compliance.errors import TextTooLong
from studio.compliance.normalise import Normalised
from studio.compliance.rules import channel as channel_rules
from studio.compliance.rules import patterns, required, terms
from studio.compliance.rules.base import Hit
from studio.compliance.ruleset import Ruleset, default_ruleset
from studio.compliance.ruleset import ruleset_version as ruleset_version
from studio.compliance.scan import scan
from studio.compliance.types import CheckResult, Finding, finding_from, trusted_result, verdict_of
from studio.domain.enums import Channel, ProductType

log = logging.getLogger(__name__)

# Enum members by themselves, their code and their Chinese label: a dict lookup on the hot path.
_PRODUCTS: dict[object, ProductType] = {k: p for p in ProductType for k in (p, p.value, p.label)}
_CHANNELS: dict[object, Channel] = {k: c for c in Channel for k in (c, c.value, c.label)}

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
    product_type = _PRODUCTS.get(product) or ProductType.parse(product)
    channel_kind = _CHANNELS.get(channel) or Channel.parse(channel)
    scope = rs.scope(product_type, channel_kind)  # type: ignore[arg-type]
    found = scan(scope, text)
    hits: list[Hit] = []
    if found.terms:
        terms.collect(rs, found, hits)
    if found.triggers:
        patterns.collect(rs, found, scope.active, hits)
    if scope.required:
        required.collect(rs, found, scope.required, hits)
    if scope.pii and (found.pii_digits or found.pii_email or found.pii_spelled):
        pii.collect(rs, found, scope.pii, hits)
    if scope.length and len(text) > channel_rules.SHORTEST_LIMIT:
        channel_rules.collect(rs, text, scope.length, channel_kind, hits)  # type: ignore[arg-type]
    if not hits:
        return rs.pass_result
    findings = _to_findings(rs, found.norm, _dedupe(hits))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("check: %s", ",".join(f.code for f in findings))  # codes only, never customer text
    return trusted_result(verdict_of(findings), rs.version, tuple(findings))


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Merge overlapping hits of the same rule into one (保本 inside 保本保息, 确保本金 + 本金安全)."""
    if len(hits) < 2:
        return hits
    located = sorted((h for h in hits if h[1] is not None), key=_DEDUPE_KEY)
    merged: list[Hit] = []
    last: Hit | None = None
    for hit in located:
        rule, start, end, severity, why, original = hit
        if last is not None and last[0] == rule and last[5] == original and start < last[2]:  # type: ignore[operator]
            last_end = last[2]
            last_severity = last[3]
            last_why = last[4]
            end = last_end if last_end >= end else end  # type: ignore[operator]
            if last_severity.rank >= severity.rank:
                severity = last_severity
            why = last_why if why in last_why else f"{last_why}；{why}"
            last = merged[-1] = Hit(rule, last[1], end, severity, why, original)
        else:
            merged.append(hit)
            last = hit
    if len(merged) == len(hits):  # nothing merged, nothing missing
        return merged
    missing: dict[int, Hit] = {}
    for hit in hits:
        if hit[1] is None:
            missing.setdefault(hit[0], hit)
    return merged + list(missing.values())


_DEDUPE_KEY = itemgetter(0, 5, 1)  # (rule, original, start)


def _to_findings(rs: Ruleset, norm: Normalised, hits: list[Hit]) -> list[Finding]:
    original = norm.original
    mapped = bool(norm.run_positions)  # without dropped runs, normalised offsets are original offsets
    located: list[Finding] = []
    missing: list[Finding] = []
    parts = rs.finding_parts
    for rule, hit_start, hit_end, severity, why, in_original in hits:
        code, slug, message, source, suggestion = parts[rule]
        if hit_start is None or hit_end is None:
            start = end = None
            excerpt = ""
        elif in_original or (not mapped and hit_end > hit_start):
            start, end = hit_start, hit_end
            excerpt = original[start:end]
        else:
            start, end = norm.span(hit_start, hit_end)
            excerpt = original[start:end]
        # the same fields, in the same order, as trusted_finding(code=..., ..., why=...)
        finding = finding_from(
            {
                "code": code,
                "slug": slug,
                "severity": severity,
                "start": start,
                "end": end,
                "text": excerpt,
                "message": message,
                "source": source,
                "suggestion": suggestion,
                "why": why,
            }
        )
        (missing if start is None else located).append(finding)
    located.sort(key=_FINDING_KEY)
    missing.sort(key=_CODE_KEY)
    return located + missing


_FINDING_KEY = attrgetter("start", "end", "code")
_CODE_KEY = attrgetter("code")
