"""Value objects of the compliance engine: the fixed interface other layers and tools rely on."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from studio.domain.enums import Severity, Verdict


class Finding(BaseModel):
    """One rule hit. `start`/`end` index the ORIGINAL text; both None for a missing-element finding."""

    model_config = ConfigDict(frozen=True)

    code: str
    slug: str
    severity: Severity
    start: int | None
    end: int | None
    text: str
    message: str
    source: str
    suggestion: str
    why: str = ""


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    verdict: Verdict
    ruleset: str
    findings: tuple[Finding, ...] = ()

    @property
    def blocking(self) -> bool:
        return self.verdict is Verdict.BLOCK

    def to_json_dict(self) -> dict[str, object]:
        """The `studio check --format json` shape (design.md §7)."""
        return {
            "verdict": self.verdict.value,
            "ruleset": self.ruleset,
            "findings": [
                {
                    "code": f.code,
                    "slug": f.slug,
                    "severity": f.severity.value,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "message": f.message,
                    "source": f.source,
                    "suggestion": f.suggestion,
                }
                for f in self.findings
            ],
        }


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.BLOCK in severities:
        return Verdict.BLOCK
    if Severity.REVIEW in severities:
        return Verdict.REVIEW
    return Verdict.PASS
