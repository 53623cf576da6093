"""Minimal keyword engine behind the fixed interface; the full engine replaces its internals."""

from __future__ import annotations

import hashlib
import re

from studio.compliance.types import CheckResult, Finding, verdict_of
from studio.domain.enums import Channel, ProductType, Severity

_TERMS: tuple[tuple[str, str, str, Severity, str, str], ...] = (
    ("保本", "INV001", "guaranteed-principal", Severity.BLOCK, "《广告法》第二十五条", "改为“产品有风险，投资须谨慎”"),
    ("稳赚", "INV002", "sure-profit", Severity.BLOCK, "《广告法》第二十五条", "删除收益承诺"),
    ("零风险", "INV003", "no-risk", Severity.BLOCK, "《广告法》第二十五条", "说明产品风险等级"),
    ("最高", "ADV001", "superlative", Severity.REVIEW, "《广告法》第九条(三)", "删除绝对化用语"),
)
_NEGATED = re.compile(r"非$")


def ruleset_version() -> str:
    digest = hashlib.sha256(repr(_TERMS).encode()).hexdigest()[:12]
    return f"minimal-{digest}"


def check_text(
    text: str, *, product: ProductType = ProductType.GENERAL, channel: Channel = Channel.MOMENTS
) -> CheckResult:
    findings: list[Finding] = []
    for term, code, slug, severity, source, suggestion in _TERMS:
        for match in re.finditer(re.escape(term), text):
            if _NEGATED.search(text[: match.start()]):
                continue
            findings.append(
                Finding(
                    code=code, slug=slug, severity=severity, start=match.start(), end=match.end(),
                    text=match.group(), message=f"出现禁用词“{term}”", source=source, suggestion=suggestion,
                )
            )
    findings.sort(key=lambda f: (f.start or 0, f.code))
    return CheckResult(verdict=verdict_of(findings), ruleset=ruleset_version(), findings=tuple(findings))
