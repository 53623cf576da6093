"""README, Makefile, CI and pre-commit run the same checks, and CI runs them before the tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ("ruff format --check", "ruff check", "mypy")


def _make_target(name: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}:"))
    body = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line.strip())
    return body


def test_make_lint_runs_format_check_lint_and_types() -> None:
    body = " ".join(_make_target("lint"))
    assert all(check in body for check in CHECKS), body


def test_ci_runs_lint_before_the_tests_and_fails_on_it() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make lint" in script and "make test" in script
    assert script.index("make lint") < script.index("make test")
    failing = script[script.index("if ! make lint") :].splitlines()[:3]
    assert any(line.strip().startswith("exit 1") for line in failing), failing


def test_pre_commit_runs_the_same_checks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = " ".join(hook["entry"] for repo in config["repos"] for hook in repo["hooks"])
    assert all(check in entries for check in CHECKS), entries


def test_readme_names_make_lint_and_the_config_enables_complexity_and_bugbear() -> None:
    assert "make lint" in (ROOT / "README.md").read_text(encoding="utf-8")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = config["tool"]["ruff"]["lint"]
    assert {"B", "C901"} <= set(lint["select"]) and lint["mccabe"]["max-complexity"] <= 10
    test_extras = " ".join(config["project"]["optional-dependencies"]["test"])
    assert "mypy" in test_extras and "ruff" in test_extras
