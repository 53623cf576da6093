"""`studio check` and `studio rules`: exit codes, JSON shape, JSON lines, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.cli import main
from studio.compliance import MAX_TEXT_CHARS

REPO = Path(__file__).resolve().parents[2]
FINDING_KEYS = {"code", "slug", "severity", "start", "end", "text", "message", "source", "suggestion"}


def run_cli(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args], input=stdin, capture_output=True, cwd=REPO, timeout=60
    )


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def test_json_output_shape_and_spans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "新品理财：保 本保息！\n联系13800138000"
    code = main(["check", write(tmp_path, "post.txt", text), "--product", "wealth", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(payload) == {"verdict", "ruleset", "findings"} and payload["verdict"] == "block"
    for finding in payload["findings"]:
        assert set(finding) == FINDING_KEYS
        if finding["start"] is None:
            assert finding["end"] is None and finding["text"] == ""
        else:
            assert text[finding["start"] : finding["end"]] == finding["text"]
    codes = {f["code"] for f in payload["findings"]}
    assert {"INV001", "PII002", "DIS001"} <= codes


def test_pass_exits_0_and_text_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", write(tmp_path, "ok.txt", "祝您中秋快乐！")]) == 0
    assert "verdict: pass" in capsys.readouterr().out


def test_text_format_has_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "p.txt", "第一行没事\n第二行：稳赚不赔")
    assert main(["check", path, "--product", "fund"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:2:5: BLOCK INV003" in out
    assert f"{path}: (missing) BLOCK DIS002" in out
    assert "verdict: block" in out


def test_stdin_and_review_exit_1() -> None:
    result = run_cli(["check", "-", "--format", "json"], "限时优惠，欢迎咨询".encode())
    assert result.returncode == 1
    assert json.loads(result.stdout)["verdict"] == "review"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"\xff\xfe\xfa bad", b"not valid UTF-8"),
        (b"", b"input is empty"),
        (b"   \n\n", b"input is empty"),
        (b"\x00\x01\x02binary\x00", b"binary"),
        ("好".encode() * (MAX_TEXT_CHARS + 1), b"maximum"),
    ],
)
def test_bad_stdin_exits_2_with_one_line(stdin: bytes, message: bytes) -> None:
    result = run_cli(["check"], stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count(b"\n") == 1 and b"Traceback" not in result.stderr
    assert result.stdout == b""


def test_megabyte_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", write(tmp_path, "big.txt", "a" * 1_000_000)]) == 2
    assert "maximum" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--product", "stocks", "-"], "unknown ProductType"),
        (["check", "--channel", "tv", "-"], "unknown Channel"),
        (["check", "/nonexistent/post.txt"], "cannot read"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_jsonl_with_malformed_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps({"id": "a", "text": "保本理财", "product": "wealth"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 2, "text": "中秋快乐"}, ensure_ascii=False),
        "",
        json.dumps({"text": "no id"}),
        json.dumps({"id": "c", "text": "好", "product": "stocks"}),
        json.dumps({"id": "d", "text": "日息万分之三", "product": "loan"}, ensure_ascii=False),
    ]
    code = main(["check", "--jsonl", write(tmp_path, "batch.jsonl", "\n".join(lines) + "\n")])
    captured = capsys.readouterr()
    assert code == 2  # any malformed line
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "d"]
    assert all(set(o) == {"id", "verdict", "findings"} for o in out)
    assert [o["verdict"] for o in out] == ["block", "pass", "block"]
    errors = captured.err.splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 5", "line 6"]


def test_jsonl_exit_codes_without_malformed_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = write(tmp_path, "clean.jsonl", json.dumps({"id": 1, "text": "中秋快乐"}) + "\n")
    assert main(["check", "--jsonl", clean]) == 0
    flagged = write(
        tmp_path, "flagged.jsonl", json.dumps({"id": 1, "text": "限时"}, ensure_ascii=False) + "\n"
    )
    assert main(["check", "--jsonl", flagged, "--format", "json"]) == 1
    capsys.readouterr()
    assert main(["check", "--jsonl", flagged, "--format", "text"]) == 2


def test_jsonl_invalid_utf8_line_via_stdin() -> None:
    stdin = (
        b'{"id": 1, "text": "\xe4\xbf\x9d\xe6\x9c\xac"}\n{"id": 2, "text": "\xff"}\n{"id": 3, "text": "ok"}\n'
    )
    result = run_cli(["check", "--jsonl", "-"], stdin)
    assert result.returncode == 2
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 3]
    assert result.stderr.decode().startswith("line 2: not valid UTF-8")


def test_rules_list_and_docs_check(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["rules", "list"]) == 0
    assert "INV001" in capsys.readouterr().out
    assert main(["rules", "list", "--format", "json", "--product", "loan"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert all("loan" in r["products"] for r in listed["rules"]) and listed["ruleset"]
    assert main(["rules", "docs", "--check"]) == 0
    stale = tmp_path / "rules.md"
    stale.write_text("old", encoding="utf-8")
    assert main(["rules", "docs", "--check", "--output", str(stale)]) == 1
    assert main(["rules", "docs", "--output", str(stale)]) == 0
    assert main(["rules", "docs", "--check", "--output", str(stale)]) == 0


# -- bounded input: endless or huge input is refused after reading one byte past the limit --------------


def _bounded_cli(args: list[str], stdin=None) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    """The CLI with its address space capped at 2 GiB: reading /dev/zero to the end fails fast, not the host."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args],
        stdin=stdin,
        capture_output=True,
        cwd=REPO,
        timeout=120,
        preexec_fn=cap,
    )


def _one_line_refusal(result: subprocess.CompletedProcess[bytes], message: bytes) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert (
        message in result.stderr and b"Traceback" not in result.stderr and b"MemoryError" not in result.stderr
    )
    assert result.stderr.count(b"\n") == 1


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_dev_zero_is_refused_without_reading_it_all(how: str) -> None:
    from studio.commands.check import max_input_bytes

    if how == "file":
        result = _bounded_cli(["check", "/dev/zero"])
    else:
        with open("/dev/zero", "rb") as zero:
            result = _bounded_cli(["check", "-"], stdin=zero)
    _one_line_refusal(result, f"input is over {max_input_bytes()} bytes".encode())


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_jsonl_dev_zero_stops_at_the_line_limit(how: str) -> None:
    if how == "file":
        result = _bounded_cli(["check", "--jsonl", "/dev/zero"])
    else:
        with open("/dev/zero", "rb") as zero:
            result = _bounded_cli(["check", "--jsonl", "-"], stdin=zero)
    _one_line_refusal(result, b"line 1: longer than")
    assert result.stdout == b""


def test_file_at_and_just_over_the_limits(tmp_path: Path) -> None:
    from studio.commands.check import max_input_bytes

    # One byte over the byte limit: refused before decoding.
    over_bytes = run_cli(["check", write(tmp_path, "over.txt", b"a" * (max_input_bytes() + 1))])
    _one_line_refusal(over_bytes, b"is over")
    # One character over the character limit (well under the byte limit): refused with the count.
    over_chars = run_cli(["check", write(tmp_path, "chars.txt", "a" * (MAX_TEXT_CHARS + 1))])
    _one_line_refusal(
        over_chars, f"is {MAX_TEXT_CHARS + 1} characters; the maximum is {MAX_TEXT_CHARS}".encode()
    )
    # Exactly at both limits (4-byte characters): checked, not refused.
    at_limit = run_cli(["check", write(tmp_path, "at.txt", "😀" * MAX_TEXT_CHARS), "--format", "json"])
    assert at_limit.returncode in (0, 1), at_limit.stderr
    assert json.loads(at_limit.stdout)["verdict"]


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    result = run_cli(["check", write(tmp_path, "gbk.txt", "保本理财".encode("gbk"))])
    _one_line_refusal(result, b"is not valid UTF-8")


def test_jsonl_line_over_the_limit_stops_after_earlier_lines(tmp_path: Path) -> None:
    from studio.commands.check import max_line_bytes

    good = json.dumps({"id": 1, "text": "中秋快乐"}).encode() + b"\n"
    huge = b'{"id": 2, "text": "' + b"a" * max_line_bytes() + b'"}\n'
    result = run_cli(["check", "--jsonl", write(tmp_path, "b.jsonl", good + huge + good)])
    assert result.returncode == 2
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1]
    assert result.stderr.decode().startswith("line 2: longer than") and result.stderr.count(b"\n") == 1
