"""Shared fixtures: the team's reference dates in ../shared/reference (outside the repo)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference"

# calendar_reference.json names some festivals without 节; the studio uses the common full forms.
REFERENCE_NAMES = {"元宵": "元宵节", "端午": "端午节", "中秋": "中秋节", "中元": "中元节", "重阳": "重阳节"}


@pytest.fixture(scope="session")
def calendar_reference() -> dict[str, Any]:
    path = REFERENCE_DIR / "calendar_reference.json"
    if not path.is_file():
        pytest.skip(f"reference file {path} not found (it lives outside the repository)")
    return json.loads(path.read_text(encoding="utf-8"))
