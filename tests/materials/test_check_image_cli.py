"""`studio check-image FILE`: `studio check`'s JSON plus "ocr_text" and a box per finding; exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main
from studio.settings import get_settings
from tests.materials.ocr_images import BANNED, BANNED_AT, GREETING, GREETING_AT, contains, drawn_box, poster

REPO = Path(__file__).resolve().parents[2]
FINDING_KEYS = {"code", "slug", "severity", "start", "end", "text", "message", "source", "suggestion", "box"}


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_banned_image_json_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "flyer.jpg", poster((BANNED, BANNED_AT), fmt="JPEG"))
    code = main(["check-image", path, "--product", "wealth", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(payload) == {"verdict", "ruleset", "ocr_text", "findings"} and payload["verdict"] == "block"
    assert payload["ocr_text"].replace(" ", "") == BANNED.replace(" ", "")
    phrase = drawn_box(BANNED, BANNED_AT)
    for finding in payload["findings"]:
        assert set(finding) == FINDING_KEYS
        if finding["start"] is None:
            assert finding["box"] is None and finding["text"] == ""
        else:
            assert payload["ocr_text"][finding["start"] : finding["end"]] == finding["text"]
            assert all(isinstance(v, int) for v in finding["box"]) and contains(phrase, tuple(finding["box"]))
    assert {"INV001", "INV003", "DIS001"} <= {f["code"] for f in payload["findings"]}


def test_clean_image_text_format_and_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "hello.webp", poster((GREETING, GREETING_AT), fmt="WEBP"))
    assert main(["check-image", path]) == 0
    out = capsys.readouterr().out
    assert f"  | {GREETING}\n" in out and "verdict: pass" in out and "boxes" not in out


def test_text_format_lists_boxes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "flyer.png", poster((BANNED, BANNED_AT)))
    assert main(["check-image", path, "--product", "fund"]) == 1
    out = capsys.readouterr().out
    assert "BLOCK INV003" in out and "boxes (x0, y0, x1, y1 in image pixels):" in out
    assert "DIS002 “”: no place on the image" in out


def _refused(tmp_path: Path, name: str, data: bytes, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check-image", _file(tmp_path, name, data), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ")
    return captured.err


def test_text_file_named_png_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(tmp_path, "post.png", "保本保息 稳赚不赔\n".encode(), capsys)
    assert "only PNG, JPEG and WebP" in err


def test_truncated_png_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = poster((BANNED, BANNED_AT))
    assert "truncated or damaged" in _refused(tmp_path, "cut.png", data[: len(data) // 2], capsys)


def test_oversize_file_exits_2_without_reading_it_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = poster((BANNED, BANNED_AT))
    monkeypatch.setenv("STUDIO_ASSET_MAX_BYTES", str(len(data) - 1))
    get_settings.cache_clear()
    assert "larger than" in _refused(tmp_path, "big.png", data, capsys)


def test_missing_file_and_bad_product_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-image", str(tmp_path / "nope.png")]) == 2
    assert "cannot read" in capsys.readouterr().err
    path = _file(tmp_path, "x.png", poster((GREETING, GREETING_AT)))
    assert main(["check-image", path, "--product", "lottery"]) == 2


def test_as_a_process_one_line_no_traceback(tmp_path: Path) -> None:
    path = _file(tmp_path, "x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "check-image", path], capture_output=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and b"Traceback" not in done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "studio.cli", "check-image", "--help"],
        capture_output=True,
        cwd=REPO,
        timeout=60,
    )
    assert helped.returncode == 0 and b'"ocr_text"' in helped.stdout
