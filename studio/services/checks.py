"""The compliance check every save runs; its result (and ruleset version) is stored on the saved row."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from studio.compliance import CheckResult


def run_check(session: Session, text: str, product_type: str, channel: str) -> CheckResult:
    from studio.services.rules import check

    return check(session, text, product_type, channel)


def findings_json(result: CheckResult) -> list[dict[str, Any]]:
    return list(result.findings_json())
