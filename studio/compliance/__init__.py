"""Compliance engine: `check_text(text, product=, channel=) -> CheckResult`. Pure Python, no Streamlit."""

from studio.compliance.engine import check_text, ruleset_version
from studio.compliance.types import CheckResult, Finding

__all__ = ["CheckResult", "Finding", "check_text", "ruleset_version"]
