"""`studio occasions`: JSON shape on stdout, notes on stderr, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
ALLOWED_KEYS = {"date", "name", "kind", "region", "end", "source", "note"}


def test_json_is_one_array_of_occasion_objects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["occasions", "--year", "2026", "--province", "广西", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert {"date", "name", "kind"} <= set(row) <= ALLOWED_KEYS
        assert all(value is not None for value in row.values())
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    assert {"date": "2026-02-17", "name": "春节", "kind": "festival"} in rows
    assert {"date": "2026-04-05", "name": "清明", "kind": "solar_term"} in rows
    assert any(r["name"] == "壮族三月三" and r["region"] == "广西" for r in rows)
    assert "statutory" not in err


def test_unannounced_year_note_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["occasions", "--year", "2027", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert "2027 statutory holidays not yet announced" in err
    assert "not yet announced" not in out
    assert not [r for r in json.loads(out) if r["kind"] in {"holiday", "workday"}]


def test_text_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["occasions", "--year", "2025"]) == 0
    out, _ = capsys.readouterr()
    assert "2025-01-28" in out and "除夕" in out
    assert not out.lstrip().startswith("[")


def test_bad_province_exits_2_with_one_line_and_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "studio.cli", "occasions", "--year", "2026", "--province", "火星", "--format", "json"],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown province" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("year", ["1900", "2100"])
def test_year_out_of_range_exits_2(year: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["occasions", "--year", year]) == 2
    _, err = capsys.readouterr()
    assert err == "error: year must be between 1901 and 2099, got " + year + "\n"
