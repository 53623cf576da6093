"""Shared fixtures: reference dates kept in tests/occasions/data (sources in its README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "calendar_reference.json"

# calendar_reference.json names some festivals without 节; the studio uses the common full forms.
REFERENCE_NAMES = {"元宵": "元宵节", "端午": "端午节", "中秋": "中秋节", "中元": "中元节", "重阳": "重阳节"}


@pytest.fixture(scope="session")
def calendar_reference() -> dict[str, Any]:
    # Part of the repository: a missing file is a failure, never a skip.
    if not REFERENCE_FILE.is_file():
        pytest.fail(f"reference file {REFERENCE_FILE} is missing from the repository")
    data: dict[str, Any] = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    return data
