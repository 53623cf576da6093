"""The compliance check every save runs; its result is stored on the saved row."""

from __future__ import annotations

from typing import Any

from studio.compliance import CheckResult, check_text
from studio.domain.enums import Channel, ProductType


def run_check(text: str, product_type: str, channel: str) -> CheckResult:
    return check_text(text, product=ProductType(product_type), channel=Channel(channel))


def findings_json(result: CheckResult) -> list[dict[str, Any]]:
    return list(result.to_json_dict()["findings"])  # type: ignore[arg-type]
