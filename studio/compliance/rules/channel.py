"""Channel limits: text longer than the channel carries (朋友圈 2000, 海报 300 …)."""

from __future__ import annotations

from studio.compliance.rules.base import Hit
from studio.compliance.ruleset import Ruleset
from studio.domain.enums import Channel

SHORTEST_LIMIT = min(c.max_length for c in Channel)


def collect(
    ruleset: Ruleset, original: str, indices: tuple[int, ...], channel: Channel, out: list[Hit]
) -> None:
    """`indices`: the scope's active length rules."""
    limit = channel.max_length
    if len(original) <= limit:
        return
    why = f"{channel.label}文案上限 {limit} 字，本文 {len(original)} 字，超出部分已标出"
    for index in indices:
        out.append(Hit(index, limit, len(original), ruleset.rules[index].severity, why, original=True))
