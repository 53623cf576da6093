"""The rule catalog for the UI and the docs: every rule with its metadata, terms and examples."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from studio.compliance.ruleset import CompiledRule, Ruleset, default_ruleset
from studio.domain.enums import Channel, ProductType, Severity

_KIND_LABEL = {"match": "词条/模式", "required": "必备要素", "pii": "个人信息识别", "length": "渠道限制"}


class RuleExample(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    product: ProductType
    channel: Channel


class RuleDoc(BaseModel):
    """One rule as the UI lists it (合规规则 page) and docs/rules.md documents it."""

    model_config = ConfigDict(frozen=True)

    code: str
    slug: str
    title: str
    severity: Severity
    kind: str
    kind_label: str
    products: tuple[ProductType, ...]
    channels: tuple[Channel, ...]
    source: str
    message: str
    suggestion: str
    why: str
    terms: tuple[str, ...]
    required: tuple[tuple[str, ...], ...]
    patterns: tuple[str, ...]
    bad_examples: tuple[RuleExample, ...]
    good_examples: tuple[RuleExample, ...]


def all_rules(ruleset: Ruleset | None = None) -> list[RuleDoc]:
    """Every rule of `ruleset` (default: the library's), in catalog order (by code)."""
    rs = ruleset if ruleset is not None else default_ruleset()
    return sorted((_doc(rule) for rule in rs.rules), key=lambda d: d.code)


def rule_doc(code: str, ruleset: Ruleset | None = None) -> RuleDoc | None:
    rs = ruleset if ruleset is not None else default_ruleset()
    rule = rs.by_code.get(code)
    return None if rule is None else _doc(rule)


def _doc(rule: CompiledRule) -> RuleDoc:
    spec = rule.spec
    products = tuple(p for p in ProductType if p in rule.products)
    channels = tuple(c for c in Channel if c in rule.channels)

    def example(e: object) -> RuleExample:
        from studio.compliance.schema import Example

        assert isinstance(e, Example)
        product = ProductType(e.product) if e.product else _default_product(products)
        channel = Channel(e.channel) if e.channel else _default_channel(channels)
        return RuleExample(text=e.full_text, product=product, channel=channel)

    return RuleDoc(
        code=spec.code,
        slug=spec.slug,
        title=spec.title,
        severity=spec.severity,
        kind=spec.kind,
        kind_label=_KIND_LABEL[spec.kind],
        products=products,
        channels=channels,
        source=spec.source,
        message=spec.message,
        suggestion=spec.suggestion,
        why=spec.why,
        terms=tuple(t.term for t in spec.terms),
        required=spec.require,
        patterns=spec.patterns,
        bad_examples=tuple(example(e) for e in spec.examples.bad),
        good_examples=tuple(example(e) for e in spec.examples.good),
    )


def _default_product(products: tuple[ProductType, ...]) -> ProductType:
    return ProductType.GENERAL if ProductType.GENERAL in products or not products else products[0]


def _default_channel(channels: tuple[Channel, ...]) -> Channel:
    return Channel.MOMENTS if Channel.MOMENTS in channels or not channels else channels[0]
