"""Meta-tests over the rule catalog: every rule documented, every example does what it claims."""

from __future__ import annotations

import pytest

from studio.compliance import check_text, default_ruleset
from studio.compliance.catalog import RuleDoc, all_rules, rule_doc
from studio.compliance.docs import render_rules_markdown
from studio.compliance.lexicon import library_dir
from studio.domain.enums import Severity

RULES = all_rules()


def _examples(kind: str) -> list[tuple[str, int, object]]:
    return [
        (rule.code, i, example)
        for rule in RULES
        for i, example in enumerate(rule.bad_examples if kind == "bad" else rule.good_examples)
    ]


def test_catalog_has_at_least_30_rules_with_unique_codes_and_slugs() -> None:
    assert len(RULES) >= 30
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.slug for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: RuleDoc) -> None:
    assert rule.source.startswith(("《", "中国人民银行", "银发", "公募", "企业微信"))
    assert rule.message and rule.suggestion and rule.title
    assert rule.products and rule.channels
    assert rule.bad_examples, f"{rule.code} has no bad example"
    assert rule.good_examples, f"{rule.code} has no good example"
    assert rule.severity in set(Severity)


@pytest.mark.parametrize(("code", "index", "example"), _examples("bad"), ids=lambda v: str(v)[:20])
def test_bad_example_hits_its_rule(code: str, index: int, example: object) -> None:
    result = check_text(example.text, product=example.product, channel=example.channel)  # type: ignore[attr-defined]
    assert code in {f.code for f in result.findings}, f"{code} bad example #{index} not caught"


@pytest.mark.parametrize(("code", "index", "example"), _examples("good"), ids=lambda v: str(v)[:20])
def test_good_example_stays_clean_of_its_rule(code: str, index: int, example: object) -> None:
    result = check_text(example.text, product=example.product, channel=example.channel)  # type: ignore[attr-defined]
    hits = [(f.code, f.text) for f in result.findings if f.code == code]
    assert not hits, f"{code} good example #{index} flagged: {hits}"


def test_rule_doc_lookup() -> None:
    doc = rule_doc("INV001")
    assert doc is not None and doc.slug == "guaranteed-principal" and "保本" in doc.terms
    assert rule_doc("XXX999") is None


def test_docs_rules_md_is_current() -> None:
    docs = library_dir().parent / "docs" / "rules.md"
    assert docs.exists(), "run `studio rules docs`"
    assert docs.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale: run `studio rules docs`"
    )


def test_every_rule_appears_in_docs() -> None:
    rendered = render_rules_markdown()
    for rule in default_ruleset().rules:
        assert f"## {rule.code}" in rendered
