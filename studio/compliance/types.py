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
        """The `studio check --format json` shape (`studio check --help`; docs/architecture.md)."""
        return {"verdict": self.verdict.value, "ruleset": self.ruleset, "findings": self.findings_json()}

    def findings_json(self) -> list[dict[str, object]]:
        """The findings as JSON objects: the `findings` of `to_json_dict`, and what the database stores."""
        return [
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
        ]


def verdict_of(findings: tuple[Finding, ...] | list[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.BLOCK in severities:
        return Verdict.BLOCK
    if Severity.REVIEW in severities:
        return Verdict.REVIEW
    return Verdict.PASS


_FINDING_FIELDS = frozenset(Finding.model_fields)
_RESULT_FIELDS = frozenset(CheckResult.model_fields)


def trusted_finding(**values: object) -> Finding:
    """A `Finding` from values the engine built itself (already valid), without re-validation.

    Same effect as `Finding.model_construct` with every field given, at a fraction of its cost: the
    engine builds thousands of these per second. Tests assert it equals the validated constructor.
    """
    return finding_from(values)


_new_finding = Finding.__new__
_set = object.__setattr__


def finding_from(values: dict[str, object]) -> Finding:
    """`trusted_finding(**values)` without the keyword packing: `values` holds every field, in order."""
    finding = _new_finding(Finding)
    _set(finding, "__dict__", values)
    _set(finding, "__pydantic_fields_set__", set(_FINDING_FIELDS))
    _set(finding, "__pydantic_extra__", None)
    _set(finding, "__pydantic_private__", None)
    return finding


def trusted_result(verdict: Verdict, ruleset: str, findings: tuple[Finding, ...]) -> CheckResult:
    result = CheckResult.__new__(CheckResult)
    object.__setattr__(result, "__dict__", {"verdict": verdict, "ruleset": ruleset, "findings": findings})
    object.__setattr__(result, "__pydantic_fields_set__", set(_RESULT_FIELDS))
    object.__setattr__(result, "__pydantic_extra__", None)
    object.__setattr__(result, "__pydantic_private__", None)
    return result
