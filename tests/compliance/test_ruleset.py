"""Lexicon loading and validation: bad data fails with a message naming the problem."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from studio.compliance import LexiconError, build_ruleset, check_text, default_ruleset, load_lexicons
from studio.compliance.lexicon import lexicon_dir, library_dir
from studio.compliance.ruleset import reset_default_ruleset

BASE = load_lexicons()


def _edit(rule_code: str, /, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    rule = next(r for r in data["rules"] if r["code"] == rule_code)
    rule.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"severity": "fatal"}, "severity"),
        ({"products": ["stocks"]}, "unknown product"),
        ({"patterns": ["(unclosed"], "triggers": ["x"]}, "invalid regex"),
        ({"code": "adv1"}, "code"),
        ({"unexpected": 1}, "unexpected"),
        ({"cues": ["nonexistent"]}, "unknown cue list"),
    ],
)
def test_invalid_data_raises_lexicon_error(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(LexiconError) as error:
        build_ruleset(_edit("ADV001", **changes))
    assert message in error.value.message_en
    assert error.value.message_zh


def test_allow_phrase_must_contain_its_term() -> None:
    with pytest.raises(LexiconError, match="does not contain"):
        build_ruleset(_edit("ADV001", terms=[{"term": "最高", "allow": ["气温"]}]))


def test_duplicate_codes_are_refused() -> None:
    data = copy.deepcopy(BASE)
    data["rules"].append(copy.deepcopy(data["rules"][0]))
    with pytest.raises(LexiconError, match="duplicate"):
        build_ruleset(data)


def test_library_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lexicons = tmp_path / "lexicons"
    lexicons.mkdir()
    (lexicons / "mini.yaml").write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {
                        "code": "TST001",
                        "slug": "test-term",
                        "title": "测试",
                        "severity": "review",
                        "kind": "match",
                        "source": "测试",
                        "message": "测试",
                        "suggestion": "测试",
                        "terms": ["测试词"],
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("STUDIO_LIBRARY_DIR", str(tmp_path))
    reset_default_ruleset()
    try:
        assert library_dir() == tmp_path.resolve() and lexicon_dir() == tmp_path.resolve() / "lexicons"
        assert [f.code for f in check_text("这是测试词").findings] == ["TST001"]
        assert check_text("保本").findings == ()
    finally:
        monkeypatch.delenv("STUDIO_LIBRARY_DIR")
        reset_default_ruleset()
    assert default_ruleset().by_code.get("TST001") is None


def test_missing_directory_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        load_lexicons(tmp_path / "nope")
    (tmp_path / "bad.yaml").write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(LexiconError, match="bad.yaml"):
        load_lexicons(tmp_path)
