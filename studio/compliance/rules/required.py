"""Elements a product's copy must carry (risk warnings, 年化利率, disclaimers): findings without a span."""

from __future__ import annotations

from studio.compliance.rules.base import Hit
from studio.compliance.ruleset import Ruleset
from studio.compliance.scan import Scan


def collect(ruleset: Ruleset, found: Scan, indices: tuple[int, ...], out: list[Hit]) -> None:
    """`indices`: the scope's active required-element rules."""
    for index in indices:
        rule = ruleset.rules[index]
        reason = ""
        text = found.norm.text
        if rule.when_any:
            seen = next((w for w in rule.when_any if w in text), None)
            if seen is None:
                continue
            reason = f"文案提到“{seen}”，"
        if rule.when_re is not None:
            match = rule.when_re.search(text)
            if match is None:
                continue
            reason += f"文案含“{match.group()}”，"
        missing = [group for group in rule.require if not any(key in text for key in group)]
        if missing:
            wanted = "、".join("/".join(group) for group in missing)
            lead = f"{reason}但缺少必备表述" if reason else "缺少必备表述"
            out.append(Hit(index, None, None, rule.severity, f"{lead}：{wanted}"))
